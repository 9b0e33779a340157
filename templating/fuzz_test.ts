/**
 * Random and hostile inputs for every parser and evaluator. Seeded, so a failure reproduces;
 * bounded, so the whole file runs in a few seconds. The properties: nothing throws, every error
 * has an offset inside the text, nothing reaches `Object.prototype`, and results hold only the
 * values an expression may produce.
 */
import { ok as assert } from "node:assert/strict";
import {
  evaluateDepends,
  evaluateExpression,
  evaluateWhen,
  expandVars,
  ExprDuration,
  ExprFunction,
  ExprTime,
  parseExpression,
  type Result,
  substitute,
  substituteString,
} from "./mod.ts";

/** mulberry32: a small seeded generator. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const SEED = Number(Deno.env.get("FUZZ_SEED") ?? 20241126);
const ITERATIONS = Number(Deno.env.get("FUZZ_ITERATIONS") ?? 2500);

const FRAGMENTS = [
  "{",
  "}",
  "(",
  ")",
  "[",
  "]",
  "'",
  '"',
  "`",
  ".",
  ",",
  ":",
  ";",
  "?",
  "?.",
  "??",
  "!",
  "|",
  "||",
  "&&",
  "=",
  "==",
  "!=",
  "<",
  ">=",
  "+",
  "-",
  "*",
  "**",
  "/",
  "%",
  "^",
  "#",
  "#acc",
  "#index",
  "$env",
  "..",
  " ",
  " ",
  " ",
  "\n",
  "\\",
  "\\u",
  "\\x4",
  "0",
  "1",
  "42",
  "1.5",
  "0x",
  "1e",
  "_",
  "a",
  "b",
  "x",
  "and",
  "or",
  "not",
  "in",
  "not in",
  "matches",
  "contains",
  "startsWith",
  "let",
  "nil",
  "true",
  "false",
  "filter",
  "map",
  "all",
  "reduce",
  "len",
  "asInt",
  "toJson",
  "fromJSON",
  "jsonpath",
  "sprig",
  "sprig.",
  "sprig.env",
  "upper",
  "now()",
  "duration",
  "constructor",
  "__proto__",
  "prototype",
  "toString",
  "valueOf",
  "globalThis",
  "Deno",
  "eval",
  "Function",
  "inputs",
  "inputs.parameters",
  "['my-param']",
  "steps",
  "workflow",
  "item",
  "{{",
  "}}",
  "{{=",
  "=~",
  "!~",
  "heads",
  "tails",
  "v1.2.3",
  "A.Succeeded",
  "B.Failed",
  "task-a",
  ".AnySucceeded",
  "/*",
  "*/",
  "//",
  "é",
  "\u2028",
  "\u0000",
];

const HOSTILE = [
  "constructor.constructor('return this')()",
  "asInt.constructor('return Deno')()",
  "toJson.call(nil)",
  "sprig.upper.apply(nil, ['x'])",
  "inputs['__proto__']['polluted'] = 1",
  'fromJSON(\'{"__proto__": {"polluted": true}}\')',
  'sprig.merge({}, fromJSON(\'{"__proto__": {"polluted": true}}\'))',
  "sprig.set({}, '__proto__', {polluted: true})",
  "sprig.dict('__proto__', {polluted: true})",
  "fromPairs([['__proto__', {polluted: true}]])",
  "{__proto__: {polluted: true}}",
  "$env.constructor",
  "$env['__proto__']",
  "''.constructor.prototype",
  "now().constructor",
  "duration('1h').constructor",
  "filter([1], #.constructor)",
  "map(1..3, #.__proto__)",
  "let constructor = 1; constructor",
  "sprig.env('PATH')",
  "sprig.expandenv('$PATH')",
  "'a' matches '(a+)+$'",
  "'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa!' matches '(a|a)*$'",
  "map(1..100000, map(1..100000, #))",
  "repeat(repeat('x', 100000), 100000)",
  "reduce(1..100000, #acc + 'xxxxxxxxxxxxxxxx', '')",
  "1..1e15",
  "toJson(1..1000000)",
  "sprig.until(100000000)",
  "sprig.seq(1, 100000000)",
  "sprig.repeat(100000000, 'x')",
  "[".repeat(5000),
  "(".repeat(100000),
  "!".repeat(100000) + "true",
  "-".repeat(100000) + "1",
  "a" + ".b".repeat(50000),
  "f(" + "1,".repeat(50000) + "1)",
  "'" + "\\".repeat(10001),
  "{{=" + "{{".repeat(1000),
  "x".repeat(2 * 1024 * 1024),
];

function randomText(random: () => number, maxParts: number): string {
  const parts = Math.floor(random() * maxParts);
  let out = "";
  for (let i = 0; i < parts; i++) {
    if (random() < 0.1) out += String.fromCharCode(Math.floor(random() * 0x3000));
    else out += FRAGMENTS[Math.floor(random() * FRAGMENTS.length)];
  }
  return out;
}

/** A random, usually well-formed expression. */
function randomExpression(random: () => number, depth: number): string {
  const pick = <T>(items: T[]) => items[Math.floor(random() * items.length)];
  if (depth <= 0 || random() < 0.25) {
    return pick([
      "1",
      "2.5",
      "-3",
      "'s'",
      '"t"',
      "true",
      "nil",
      "[1, 2]",
      "{a: 1}",
      "inputs.parameters.n",
      "inputs.parameters['my-param']",
      "item.name",
      "#",
      "now()",
      "duration('1m')",
    ]);
  }
  const a = randomExpression(random, depth - 1);
  const b = randomExpression(random, depth - 1);
  return pick([
    `${a} + ${b}`,
    `${a} - ${b}`,
    `${a} * ${b}`,
    `${a} / ${b}`,
    `${a} % ${b}`,
    `${a} ** ${b}`,
    `${a} == ${b}`,
    `${a} < ${b}`,
    `${a} && ${b}`,
    `${a} || ${b}`,
    `!${a}`,
    `not ${a}`,
    `${a} in [${b}]`,
    `${a} ?? ${b}`,
    `${a} ? ${b} : ${a}`,
    `(${a})`,
    `[${a}, ${b}]`,
    `{k: ${a}}`,
    `${a}[0]`,
    `${a}?.x`,
    `${a}[1:]`,
    `filter([${a}, ${b}], # != nil)`,
    `map([${a}], {# })`,
    `len(${a})`,
    `string(${a})`,
    `toJson(${a})`,
    `asInt(${a})`,
    `sprig.default(${a}, ${b})`,
    `sprig.toString(${a})`,
    `upper(${a})`,
    `${a} matches ${b}`,
    `${a} contains ${b}`,
    `let v = ${a}; v`,
    `${a} | string()`,
  ]);
}

const ENV = expandVars({
  "inputs.parameters.n": "41",
  "inputs.parameters.my-param": "p",
  "item.name": "x",
});

function checkResult(result: Result<unknown>, text: string, what: string): void {
  if (!result.ok) {
    const { offset, message } = result.error;
    assert(
      typeof message === "string" && message.length > 0,
      `${what}: empty message for ${JSON.stringify(text)}`,
    );
    assert(
      Number.isInteger(offset) && offset >= 0 && offset <= Math.max(text.length, 256 * 1024),
      `${what}: offset ${offset} outside ${JSON.stringify(text.slice(0, 80))}`,
    );
    return;
  }
  checkValue(result.value, 0, text, what);
}

function checkValue(value: unknown, depth: number, text: string, what: string): void {
  if (depth > 300) return;
  if (value === null || ["boolean", "number", "string"].includes(typeof value)) return;
  if (value instanceof ExprTime || value instanceof ExprDuration || value instanceof ExprFunction) {
    return;
  }
  assert(typeof value === "object", `${what}: ${typeof value} produced by ${JSON.stringify(text)}`);
  if (Array.isArray(value)) {
    for (const item of value.slice(0, 100)) checkValue(item, depth + 1, text, what);
    return;
  }
  const proto = Object.getPrototypeOf(value);
  assert(
    proto === null || proto === Object.prototype,
    `${what}: host object from ${JSON.stringify(text)}`,
  );
  for (const key of Object.keys(value).slice(0, 100)) {
    checkValue((value as Record<string, unknown>)[key], depth + 1, text, what);
  }
}

function checkPrototypes(): void {
  const probe = {} as Record<string, unknown>;
  assert(probe.polluted === undefined, "Object.prototype was polluted");
  assert(
    ([] as unknown as Record<string, unknown>).polluted === undefined,
    "Array.prototype was polluted",
  );
}

const taskResult = (name: string) =>
  name.length % 2 === 0 ? { phase: "Succeeded" } : { phase: "Failed", childPhases: ["Succeeded"] };

/** Runs one input through every entry point; returns the slowest call in milliseconds. */
function exercise(text: string): number {
  let slowest = 0;
  const timed = (what: string, run: () => Result<unknown>) => {
    const start = performance.now();
    const result = run();
    slowest = Math.max(slowest, performance.now() - start);
    checkResult(result, text, what);
  };
  timed("parseExpression", () => parseExpression(text));
  timed("evaluateExpression", () => evaluateExpression(text, ENV, { now: 0, budget: 200_000 }));
  timed("evaluateWhen", () => evaluateWhen(text));
  timed("evaluateDepends", () => evaluateDepends(text, taskResult));
  timed("substituteString", () => substituteString(text, { "inputs.parameters.n": "41" }));
  timed(
    "substitute strict",
    () =>
      substitute({ [text.slice(0, 20)]: [text] }, { "inputs.parameters.n": "41" }, {
        strict: true,
      }),
  );
  timed("template with expression", () => substituteString(`a {{=${text}}} b`, {}));
  checkPrototypes();
  return slowest;
}

Deno.test("fuzz: random text never throws and errors are positioned", () => {
  const random = prng(SEED);
  let slowest = 0;
  for (let i = 0; i < ITERATIONS; i++) {
    slowest = Math.max(slowest, exercise(randomText(random, 24)));
  }
  assert(slowest < 2000, `one call took ${slowest.toFixed(0)} ms`);
});

Deno.test("fuzz: random well-formed expressions evaluate or fail cleanly", () => {
  const random = prng(SEED + 1);
  for (let i = 0; i < ITERATIONS; i++) {
    const source = randomExpression(random, 4);
    const result = evaluateExpression(source, ENV, { now: 0, budget: 200_000 });
    checkResult(result, source, "evaluateExpression");
    if (random() < 0.3) {
      // Mutate one character: the parser must still answer with a positioned error or a value.
      const at = Math.floor(random() * source.length);
      const mutated = source.slice(0, at) + FRAGMENTS[Math.floor(random() * FRAGMENTS.length)] +
        source.slice(at + 1);
      exercise(mutated);
    }
  }
  checkPrototypes();
});

Deno.test("fuzz: hostile inputs are refused, bounded and contained", () => {
  for (const text of HOSTILE) {
    const start = performance.now();
    exercise(text);
    const elapsed = performance.now() - start;
    assert(elapsed < 5000, `${JSON.stringify(text.slice(0, 60))} took ${elapsed.toFixed(0)} ms`);
  }
  for (const text of HOSTILE.slice(0, 22)) {
    const result = evaluateExpression(text, ENV);
    if (result.ok) checkValue(result.value, 0, text, "hostile");
  }
  checkPrototypes();
});
