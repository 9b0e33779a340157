import { deepStrictEqual, equal, ok as assert } from "node:assert/strict";
import { evaluateExpression, expandVars, goJson } from "./mod.ts";

/** The environment Argo builds from a flat map of strings. */
const ENV = expandVars({
  "inputs.parameters.n": "41",
  "inputs.parameters.my-param": "hello",
  "inputs.parameters.flag": "true",
  "inputs.parameters.json": '{"a": {"b": [1, 2, 3]}, "name": "x"}',
  "steps.gen.outputs.result": '["a", "b", "c"]',
  "tasks.my-task.outputs.parameters.count": "3",
  "workflow.name": "wf-1",
  "workflow.parameters.env": "prod",
  "workflow.parameters.json": '[{"name":"env","value":"prod"}]',
  "item": '{"name":"x"}',
  "item.name": "x",
  "retries": "2",
});

const NOW = Date.UTC(2024, 2, 5, 10, 30, 0);

function run(source: string): unknown {
  const result = evaluateExpression(source, ENV, { now: NOW });
  if (!result.ok) throw new Error(`${source}: ${result.error.message} @${result.error.offset}`);
  return result.value;
}

function check(cases: Array<[string, unknown]>): void {
  for (const [source, expected] of cases) {
    const value = run(source);
    const shown = value !== null && typeof value === "object" ? JSON.parse(goJson(value)) : value;
    deepStrictEqual(shown, expected, source);
  }
}

function checkErrors(cases: Array<[string, string | RegExp, number?]>): void {
  for (const [source, message, offset] of cases) {
    const result = evaluateExpression(source, ENV, { now: NOW });
    assert(!result.ok, `${source} should fail`);
    if (typeof message === "string") equal(result.error.message, message, source);
    else assert(message.test(result.error.message), `${source}: ${result.error.message}`);
    if (offset !== undefined) equal(result.error.offset, offset, `${source} offset`);
  }
}

Deno.test("expr: literals", () => {
  check([
    ["42", 42],
    ["0x2A", 42],
    ["0o52", 42],
    ["0b101010", 42],
    ["1_000_000", 1000000],
    ["0.5", 0.5],
    [".5", 0.5],
    ["1e3", 1000],
    ["2.5e-1", 0.25],
    ['"foo"', "foo"],
    ["'bar'", "bar"],
    ['"a\\nb"', "a\nb"],
    ['"tab\\tq\\"x\\""', 'tab\tq"x"'],
    ["'\\u00e9\\x41\\101'", "éAA"],
    ["`raw\\n`", "raw\\n"],
    ["true", true],
    ["false", false],
    ["nil", null],
    ["[1, 2, 3]", [1, 2, 3]],
    ["[1, 'a', [true]]", [1, "a", [true]]],
    ["[]", []],
    ["[1, 2,]", [1, 2]],
    ["{a: 1, 'b': 2, \"c\": 3}", { a: 1, b: 2, c: 3 }],
    ["{}", {}],
    ["{(inputs.parameters['my-param']): 1}", { hello: 1 }],
    ["{1: 'one'}", { "1": "one" }],
    ["// comment\n1 + /* inline */ 2", 3],
  ]);
});

Deno.test("expr: arithmetic", () => {
  check([
    ["1 + 2", 3],
    ["5 - 7", -2],
    ["6 * 7", 42],
    ["7 / 2", 3.5],
    ["8 / 2", 4],
    ["7 % 3", 1],
    ["-7 % 3", -1],
    ["2 ** 10", 1024],
    ["2 ^ 3", 8],
    ["2 ** 3 ** 2", 512],
    ["-2 ** 2", -4],
    ["1 + 2 * 3", 7],
    ["(1 + 2) * 3", 9],
    ["-(3)", -3],
    ["+3", 3],
    ["10 - 2 - 3", 5],
    ["100 / 10 / 2", 5],
    ["1.5 + 1.5", 3],
  ]);
});

Deno.test("expr: strings", () => {
  check([
    ["'a' + 'b'", "ab"],
    ["'hello' contains 'ell'", true],
    ["'hello' contains 'xyz'", false],
    ["'hello' startsWith 'he'", true],
    ["'hello' endsWith 'lo'", true],
    ["'hello' endsWith 'he'", false],
    ["'abc123' matches '^[a-z]+[0-9]+$'", true],
    ["'ABC' matches '(?i)^abc$'", true],
    ["'abc' matches 'x'", false],
    ["'abc'[0]", "a"],
    ["'abc'[-1]", "c"],
    ["'hello'[1:3]", "el"],
    ["'hello'[:2]", "he"],
    ["'hello'[3:]", "lo"],
    ["'héllo'[1]", "é"],
  ]);
});

Deno.test("expr: comparisons and equality", () => {
  check([
    ["1 == 1", true],
    ["1 == 1.0", true],
    ["1 != 2", true],
    ["'a' == 'a'", true],
    ["'1' == 1", false],
    ["nil == nil", true],
    ["[1, 2] == [1, 2]", true],
    ["{a: 1} == {a: 1}", true],
    ["{a: 1} == {a: 2}", false],
    ["1 < 2", true],
    ["2 <= 2", true],
    ["3 > 2", true],
    ["2 >= 3", false],
    ["'a' < 'b'", true],
    ["'b' > 'a'", true],
    ["date('2024-01-01') < date('2024-02-01')", true],
  ]);
});

Deno.test("expr: logic", () => {
  check([
    ["true && true", true],
    ["true && false", false],
    ["false || true", true],
    ["false or false", false],
    ["true and true", true],
    ["!true", false],
    ["not true", false],
    ["not false and false", false],
    ["!(1 > 2)", true],
    ["false && undefinedName", false],
    ["true || undefinedName", true],
    ["1 < 2 && 2 < 3", true],
    ["1 < 2 || 2 > 3 && false", true],
  ]);
});

Deno.test("expr: membership, ranges, nil coalescing and the ternary", () => {
  check([
    ["'a' in ['a', 'b']", true],
    ["'c' in ['a', 'b']", false],
    ["2 in [1, 2, 3]", true],
    ["'name' in {name: 1}", true],
    ["'x' in {name: 1}", false],
    ["'c' not in ['a', 'b']", true],
    ["'a' not in ['a']", false],
    ["'abc' not matches 'x'", true],
    ["'abc' not contains 'b'", false],
    ["'abc' not startsWith 'b'", true],
    ["'abc' not endsWith 'c'", false],
    ["1..3", [1, 2, 3]],
    ["3..1", []],
    ["nil ?? 'default'", "default"],
    ["'set' ?? 'default'", "set"],
    ["inputs.parameters.missing ?? 'default'", "default"],
    ["true ? 'yes' : 'no'", "yes"],
    ["false ? 'yes' : 'no'", "no"],
    ["1 > 2 ? 'a' : 2 > 1 ? 'b' : 'c'", "b"],
    ["asInt(inputs.parameters.n) > 40 ? 'big' : 'small'", "big"],
  ]);
});

Deno.test("expr: member and index access", () => {
  check([
    ["inputs.parameters.n", "41"],
    ["inputs.parameters['my-param']", "hello"],
    ['inputs["parameters"]["n"]', "41"],
    ["tasks['my-task'].outputs.parameters.count", "3"],
    ["workflow.name", "wf-1"],
    ["item.name", "x"],
    ["inputs.parameters.nope", null],
    ["inputs?.parameters?.n", "41"],
    ["inputs.parameters.nope?.deeper", null],
    ["inputs.parameters.nope?.deeper.deepest", null],
    ["[10, 20, 30][1]", 20],
    ["[10, 20, 30][-1]", 30],
    ["[1, 2, 3, 4][1:3]", [2, 3]],
    ["[1, 2, 3, 4][:-1]", [1, 2, 3]],
    ["[1, 2, 3, 4][:]", [1, 2, 3, 4]],
    ["{a: {b: 1}}.a.b", 1],
    ["$env['workflow'].name", "wf-1"],
    ["'workflow' in $env", true],
    ["let x = 2; x * 3", 6],
    ["let a = 1; let b = a + 1; a + b", 3],
  ]);
});

Deno.test("expr: closures and predicates", () => {
  check([
    ["filter([1, 2, 3], {# > 1})", [2, 3]],
    ["filter([1, 2, 3], # > 1)", [2, 3]],
    ["map([1, 2], {# * 2})", [2, 4]],
    ["map([{n: 1}, {n: 2}], .n)", [1, 2]],
    ["map([{n: 1}, {n: 2}], #.n + #index)", [1, 3]],
    ["all([1, 2], # > 0)", true],
    ["all([], # > 0)", true],
    ["any([1, 2], # > 1)", true],
    ["any([], # > 1)", false],
    ["none([1, 2], # > 5)", true],
    ["one([1, 2], # > 1)", true],
    ["one([2, 2], # > 1)", false],
    ["count([1, 2, 3], # > 1)", 2],
    ["count([true, false, true])", 2],
    ["sum([1, 2, 3])", 6],
    ["sum([{v: 1}, {v: 2}], .v)", 3],
    ["find([1, 2, 3, 4], # > 2)", 3],
    ["findIndex([1, 2, 3, 4], # > 2)", 2],
    ["findLast([1, 2, 3, 4], # > 2)", 4],
    ["findLastIndex([1, 2, 3, 4], # > 2)", 3],
    ["find([1], # > 2)", null],
    ["groupBy([1, 2, 3], # % 2 == 0 ? 'even' : 'odd')", { odd: [1, 3], even: [2] }],
    ["sortBy([{a: 2}, {a: 1}], .a)", [{ a: 1 }, { a: 2 }]],
    ["sortBy(['bb', 'a'], len(#), 'desc')", ["bb", "a"]],
    ["reduce(1..4, #acc + #)", 10],
    ["reduce(1..4, #acc + #, 10)", 20],
    ["map(filter(1..10, # % 2 == 0), # * #)", [4, 16, 36, 64, 100]],
    ["filter(fromJSON(steps.gen.outputs.result), # != 'b')", ["a", "c"]],
    ["map([[1, 2], [3]], map(#, # * 10))", [[10, 20], [30]]],
    ["[1, 2, 3] | filter(# > 1) | map(# * 10)", [20, 30]],
    ["'a,b' | split(',') | join('-')", "a-b"],
    ["filter(nil, # > 1)", []],
  ]);
});

Deno.test("expr: Argo helpers", () => {
  check([
    ["asInt(inputs.parameters.n) + 1", 42],
    ["asInt('-5')", -5],
    ["asInt(3.9)", 3],
    ["asFloat('1.5') * 2", 3],
    ["asFloat('1e2')", 100],
    ["string(1)", "1"],
    ["string(1.5)", "1.5"],
    ["string(true)", "true"],
    ["string(nil)", "<nil>"],
    ["string([1, 'a'])", "[1 a]"],
    ["string({b: 1, a: 2})", "map[a:2 b:1]"],
    ["toJson([1, 2])", "[1,2]"],
    ["toJson({b: 'x', a: [1, 2.5]})", '{"a":[1,2.5],"b":"x"}'],
    ["toJson('<a&b>')", '"\\u003ca\\u0026b\\u003e"'],
    ["toJSON({a: 1})", '{\n  "a": 1\n}'],
    ["fromJSON(inputs.parameters.json).a.b[2]", 3],
    ["fromJSON('[1, 2]')", [1, 2]],
    ["jsonpath(inputs.parameters.json, '$.a.b[0]')", 1],
    ["jsonpath(inputs.parameters.json, '$.name')", "x"],
    ["jsonpath(inputs.parameters.json, '$.a.b[*]')", [1, 2, 3]],
    ["fromJSON(workflow.parameters.json)[0].value", "prod"],
  ]);
});

Deno.test("expr: built-in functions", () => {
  check([
    ["len([1, 2, 3])", 3],
    ["len({a: 1})", 1],
    ["len('hello')", 5],
    ["len('héllo')", 6],
    ["upper('abc')", "ABC"],
    ["lower('ABC')", "abc"],
    ["trim('  x  ')", "x"],
    ["trim('__x__', '_')", "x"],
    ["trimPrefix('HelloWorld', 'Hello')", "World"],
    ["trimSuffix('HelloWorld', 'World')", "Hello"],
    ["split('a,b,c', ',')", ["a", "b", "c"]],
    ["split('a,b,c', ',', 2)", ["a", "b,c"]],
    ["splitAfter('a,b,c', ',')", ["a,", "b,", "c"]],
    ["replace('Hello World', 'World', 'Universe')", "Hello Universe"],
    ["repeat('Hi', 3)", "HiHiHi"],
    ["indexOf('apple pie', 'pie')", 6],
    ["lastIndexOf('apple pie apple', 'apple')", 10],
    ["hasPrefix('HelloWorld', 'Hello')", true],
    ["hasSuffix('HelloWorld', 'World')", true],
    ["join(['a', 'b'], ',')", "a,b"],
    ["join(['a', 'b'])", "ab"],
    ["max(5, 7)", 7],
    ["min(5, 7)", 5],
    ["max([1, 9, 3])", 9],
    ["abs(-5)", 5],
    ["ceil(1.5)", 2],
    ["floor(1.5)", 1],
    ["round(1.5)", 2],
    ["round(-1.5)", -2],
    ["mean([1, 2, 3])", 2],
    ["median([1, 2, 3, 4])", 2.5],
    ["first([1, 2])", 1],
    ["first([])", null],
    ["last([1, 2])", 2],
    ["take([1, 2, 3, 4], 2)", [1, 2]],
    ["reverse([3, 1, 4])", [4, 1, 3]],
    ["sort([3, 1, 4])", [1, 3, 4]],
    ["sort([3, 1, 4], 'desc')", [4, 3, 1]],
    ["sort(['b', 'a'])", ["a", "b"]],
    ["uniq([1, 1, 2])", [1, 2]],
    ["concat([1, 2], [3, 4])", [1, 2, 3, 4]],
    ["flatten([1, 2, [3, [4]]])", [1, 2, 3, 4]],
    ["keys({b: 1, a: 2})", ["a", "b"]],
    ["values({b: 1, a: 2})", [2, 1]],
    ["toPairs({a: 1})", [["a", 1]]],
    ["fromPairs([['a', 1]])", { a: 1 }],
    ["get([1, 2, 3], 1)", 2],
    ["get([1, 2, 3], 5)", null],
    ["get({a: 1}, 'a')", 1],
    ["get({a: 1}, 'b')", null],
    ["type(42)", "int"],
    ["type(1.5)", "float"],
    ["type('x')", "string"],
    ["type([])", "array"],
    ["type({})", "map"],
    ["type(nil)", "nil"],
    ["type(now())", "time.Time"],
    ["int('123')", 123],
    ["int(1.9)", 1],
    ["float('123.45')", 123.45],
    ["toBase64('Hello World')", "SGVsbG8gV29ybGQ="],
    ["fromBase64('SGVsbG8gV29ybGQ=')", "Hello World"],
    ["bitand(0b1010, 0b1100)", 0b1000],
    ["bitor(0b1010, 0b1100)", 0b1110],
    ["bitxor(0b1010, 0b1100)", 0b110],
    ["bitnand(0b1010, 0b1100)", 0b10],
    ["bitnot(0b1010)", -0b1011],
    ["bitshl(0b101101, 2)", 0b10110100],
    ["bitshr(0b101101, 2)", 0b1011],
  ]);
});

Deno.test("expr: dates and durations", () => {
  check([
    ["now().Year()", 2024],
    ["now().Month()", 3],
    ["now().Day()", 5],
    ["now().Hour()", 10],
    ["now().Minute()", 30],
    ["now().Unix()", NOW / 1000],
    ["now().Format('2006-01-02T15:04:05Z07:00')", "2024-03-05T10:30:00Z"],
    ["date('2023-08-14').Year()", 2023],
    ["date('2023-08-14 00:00:00').Day()", 14],
    ["date('2023-08-14T10:00:00+02:00').UTC().Hour()", 8],
    ["date('14/08/2023', '02/01/2006').Month()", 8],
    ["duration('1h').Seconds()", 3600],
    ["duration('1h30m').Minutes()", 90],
    ["duration('1.5s').Milliseconds()", 1500],
    ["(date('2024-01-02') - date('2024-01-01')).Hours()", 24],
    ["(date('2024-01-01') + duration('36h')).Day()", 2],
    ["now() > now() - duration('1h')", true],
    ["date('2024-01-01').Before(date('2024-01-02'))", true],
    ["date('2024-01-31').AddDate(0, 1, 0).Format('2006-01-02')", "2024-03-02"],
    ["string(duration('90m'))", "1h30m0s"],
    ["date('2024-03-05T10:00:00Z').In('Europe/Zurich').Hour()", 11],
  ]);
});

Deno.test("expr: runtime errors name the problem and its position", () => {
  checkErrors([
    ["unknownName", "unknown name unknownName", 0],
    ["1 + 'a'", "invalid operation: int + string", 2],
    ["'a' - 1", "invalid operation: string - int", 4],
    ["1 / 0", "division by zero", 2],
    ["5 % 0", "integer divide by zero", 2],
    ["1.5 % 2", "invalid operation: float64 % int", 4],
    ["1 && true", /invalid operation: && on int/],
    ["!'x'", "invalid operation: ! string", 0],
    ["'a' < 1", "invalid operation: string < int"],
    ["[1][5]", "index out of range: 5 (array length is 1)"],
    ["nil.a", "cannot fetch a from <nil>"],
    ["inputs.parameters.nope.deeper", "cannot fetch deeper from <nil>"],
    ["upper(1)", "cannot use int as argument (type string) to call upper", 0],
    ["upper()", "not enough arguments to call upper", 0],
    ["upper('a', 'b')", "too many arguments to call upper"],
    ["nosuch(1)", "unknown func nosuch", 0],
    ["asInt('abc')", 'strconv.Atoi: parsing "abc": invalid syntax'],
    ["asInt('3.5')", 'strconv.Atoi: parsing "3.5": invalid syntax'],
    ["asFloat('x')", 'strconv.ParseFloat: parsing "x": invalid syntax'],
    ["asInt([1])", /cannot be converted to int/],
    ["fromJSON('{')", /^fromJSON: /],
    ["jsonpath('{}', '$.a')", "jsonpath: key error: a not found in object"],
    ["jsonpath('nope', '$.a')", /^jsonpath: invalid JSON/],
    ["filter([1], # + 1)", "predicate of filter must return a bool, not int"],
    ["1 ? 2 : 3", "non-bool expression (type int) used as condition"],
    ["toJson(upper)", "toJson: json: unsupported type: func"],
    ["'a' matches '(a)\\\\1'", "error parsing regexp: invalid escape sequence: `\\1`"],
    ["'a' matches '(?=a)'", /invalid or unsupported Perl syntax/],
    ["'a' matches '['", /missing closing \]/],
    ["duration('1x')", 'time: unknown unit "x" in duration "1x"'],
    ["date('garbage')", "invalid date garbage"],
    ["now().Nope()", "type time.Time has no method Nope"],
    ["repeat('x', -1)", "strings: negative Repeat count"],
  ]);
});

Deno.test("expr: sandbox: no globals, prototypes, constructors or host objects", () => {
  const blocked: Array<[string, string | RegExp]> = [
    ["constructor", "unknown name constructor"],
    ["globalThis", "unknown name globalThis"],
    ["Deno", "unknown name Deno"],
    ["process", "unknown name process"],
    ["this", "unknown name this"],
    ["__proto__", "unknown name __proto__"],
    ["eval('1')", "unknown func eval"],
    ["Function('return 1')()", "unknown func Function"],
    ["asInt.constructor", "cannot fetch constructor from func"],
    ["asInt.constructor('return 1')()", "cannot fetch constructor from func"],
    ["sprig.upper.constructor", "cannot fetch constructor from func"],
    ["'x'.constructor", "cannot fetch constructor from string"],
    ["'x'['constructor']", "cannot fetch constructor from string"],
    ["[].constructor", /cannot fetch constructor from \[\]interface/],
    ["(1).toString()", /cannot fetch toString from int/],
    ["now().constructor", /is a method/],
    ["sprig.env('HOME')", "unknown function sprig.env (environment access is not available)"],
    [
      "sprig.expandenv('$HOME')",
      "unknown function sprig.expandenv (environment access is not available)",
    ],
  ];
  checkErrors(blocked.map(([s, m]) => [s, m]));
  // Own-property lookups only: prototype names read as missing keys, never as functions.
  check([
    ["inputs.constructor", null],
    ["inputs['__proto__']", null],
    ["inputs.hasOwnProperty", null],
    ["{}.toString", null],
    ['fromJSON(\'{"__proto__": {"polluted": 1}}\').__proto__.polluted', 1],
    ["sprig.dict('__proto__', 1).__proto__", 1],
  ]);
  // Nothing leaked into the real prototype.
  equal(({} as Record<string, unknown>).polluted, undefined);
  // A JavaScript function planted in the environment cannot be called.
  const planted = evaluateExpression("f()", { f: () => "escaped" });
  assert(!planted.ok);
  equal(planted.error.message, "f is not a function (type unknown)");
});

Deno.test("expr: step budget and size limits", () => {
  const slow = evaluateExpression("map(1..1000, map(1..1000, # * 2))", {}, { budget: 100_000 });
  assert(!slow.ok);
  assert(slow.error.message.includes("budget of 100000 steps"), slow.error.message);
  const big = evaluateExpression("1..100000000", {});
  assert(!big.ok);
  assert(big.error.message.startsWith("too many elements"), big.error.message);
  const long = evaluateExpression("repeat('x', 100000000)", {});
  assert(!long.ok);
  assert(long.error.message.startsWith("string too long"), long.error.message);
  const doubling = evaluateExpression(
    "let a = repeat('x', 1000000); let b = a + a; let c = b + b; let d = c + c; let e = d + d; e + e",
    {},
  );
  assert(!doubling.ok);
  assert(doubling.error.message.startsWith("string too long"), doubling.error.message);
});
