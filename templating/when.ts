/**
 * `when` conditions, with the semantics Argo gets from govaluate (Knetic/govaluate, as Argo's
 * `shouldExecute` uses it) on the text left after substitution.
 *
 * The tokenizer reads as govaluate reads: numbers are runs of digits and dots (`1.2.3` is an
 * error), a word starts with a letter and runs over letters, digits, `_` and `.` (`v1.2.3` is
 * one token, `foo-bar` is `foo - bar`), `'...'` and `"..."` are strings (a string in one of
 * govaluate's date formats is a date, compared as Unix seconds), `[...]` is a name, and operator
 * symbols run until a letter, digit, bracket, quote or space. Argo then turns every bare word
 * into a string, so `heads == heads` is true and `tails == heads` is false. Dotted words are
 * govaluate accessors: `a.b` with a lower-case segment is a parse error, and others fail when
 * evaluated (there are no parameters), exactly as in Argo.
 *
 * Operators, lowest precedence first: `,`; `?` `:` `??`; `||`; `&&`; `==` `!=` `>` `>=` `<` `<=`
 * `=~` `!~` `in`; `&` `|` `^`; `<<` `>>`; `+` `-`; `*` `/` `%`; `**`; prefix `-` `!` `~`.
 *
 * @module
 */
import { err, fail, LIMITS, ok, type Result, TemplatingFailure } from "./result.ts";
import { compileRegex } from "./regex.ts";
import { parseTime } from "./dates.ts";
import { goFloatString } from "./values.ts";

type Kind =
  | "NUMERIC"
  | "BOOLEAN"
  | "STRING"
  | "TIME"
  | "VARIABLE"
  | "ACCESSOR"
  | "PREFIX"
  | "MODIFIER"
  | "COMPARATOR"
  | "LOGICALOP"
  | "TERNARY"
  | "CLAUSE"
  | "CLAUSE_CLOSE"
  | "SEPARATOR";

interface Token {
  kind: Kind;
  /** number for NUMERIC and TIME (Unix seconds), boolean, or the text */
  value: number | boolean | string;
  start: number;
}

/** A parsed `when` condition. */
export type WhenNode =
  | { type: "value"; value: number | boolean | string; pos: number }
  | { type: "accessor"; name: string; pos: number }
  | { type: "prefix"; operator: string; operand: WhenNode; pos: number }
  | { type: "binary"; operator: string; left: WhenNode; right: WhenNode; pos: number };

const VALUE_KINDS: Kind[] = ["NUMERIC", "BOOLEAN", "STRING", "TIME", "VARIABLE", "ACCESSOR"];
const AFTER_VALUE: Kind[] = [
  "MODIFIER",
  "COMPARATOR",
  "LOGICALOP",
  "CLAUSE_CLOSE",
  "TERNARY",
  "SEPARATOR",
];

/** govaluate's lexer states: which token kinds may follow which. */
const NEXT: Record<Kind | "START", ReadonlySet<Kind>> = {
  START: new Set([
    "PREFIX",
    "NUMERIC",
    "BOOLEAN",
    "VARIABLE",
    "ACCESSOR",
    "STRING",
    "TIME",
    "CLAUSE",
  ]),
  CLAUSE: new Set([
    "PREFIX",
    "NUMERIC",
    "BOOLEAN",
    "VARIABLE",
    "ACCESSOR",
    "STRING",
    "TIME",
    "CLAUSE",
    "CLAUSE_CLOSE",
  ]),
  CLAUSE_CLOSE: new Set([
    "COMPARATOR",
    "MODIFIER",
    "NUMERIC",
    "BOOLEAN",
    "VARIABLE",
    "STRING",
    "TIME",
    "CLAUSE",
    "CLAUSE_CLOSE",
    "LOGICALOP",
    "TERNARY",
    "SEPARATOR",
  ]),
  NUMERIC: new Set(AFTER_VALUE),
  BOOLEAN: new Set(AFTER_VALUE),
  STRING: new Set(AFTER_VALUE),
  TIME: new Set(AFTER_VALUE),
  VARIABLE: new Set(AFTER_VALUE),
  ACCESSOR: new Set(AFTER_VALUE),
  MODIFIER: new Set([
    "PREFIX",
    "NUMERIC",
    "VARIABLE",
    "ACCESSOR",
    "STRING",
    "BOOLEAN",
    "CLAUSE",
    "CLAUSE_CLOSE",
  ]),
  COMPARATOR: new Set([
    "PREFIX",
    "NUMERIC",
    "BOOLEAN",
    "VARIABLE",
    "ACCESSOR",
    "STRING",
    "TIME",
    "CLAUSE",
    "CLAUSE_CLOSE",
  ]),
  LOGICALOP: new Set([
    "PREFIX",
    "NUMERIC",
    "BOOLEAN",
    "VARIABLE",
    "ACCESSOR",
    "STRING",
    "TIME",
    "CLAUSE",
    "CLAUSE_CLOSE",
  ]),
  PREFIX: new Set(["NUMERIC", "BOOLEAN", "VARIABLE", "ACCESSOR", "CLAUSE", "CLAUSE_CLOSE"]),
  TERNARY: new Set([
    "PREFIX",
    "NUMERIC",
    "BOOLEAN",
    "STRING",
    "TIME",
    "VARIABLE",
    "ACCESSOR",
    "CLAUSE",
    "SEPARATOR",
  ]),
  SEPARATOR: new Set([
    "PREFIX",
    "NUMERIC",
    "BOOLEAN",
    "STRING",
    "TIME",
    "VARIABLE",
    "ACCESSOR",
    "CLAUSE",
  ]),
};

const AT_END: ReadonlySet<Kind> = new Set([...VALUE_KINDS, "CLAUSE_CLOSE"]);

const PREFIXES = new Set(["-", "!", "~"]);
const MODIFIERS = new Set(["+", "-", "*", "/", "%", "**", "&", "|", "^", ">>", "<<"]);
const LOGICAL = new Set(["&&", "||"]);
const COMPARATORS = new Set(["==", "!=", ">", ">=", "<", "<=", "=~", "!~", "in"]);
const TERNARIES = new Set(["?", ":", "??"]);

/** govaluate's date formats for quoted strings (Go's time.Local is UTC in Argo's pods). */
const TIME_LAYOUTS = [
  "Mon Jan _2 15:04:05 2006",
  "Mon Jan _2 15:04:05 MST 2006",
  "Mon Jan 02 15:04:05 -0700 2006",
  "3:04PM",
  "2006-01-02T15:04:05Z07:00",
  "2006-01-02T15:04:05.999999999Z07:00",
  "2006-01-02",
  "2006-01-02 15:04",
  "2006-01-02 15:04:05",
  "2006-01-02 15:04:05-07:00",
  "2006-01-02T15Z0700",
  "2006-01-02T15:04Z0700",
  "2006-01-02T15:04:05Z0700",
  "2006-01-02T15:04:05.999999999Z0700",
];

function isLetter(ch: string): boolean {
  return /\p{L}/u.test(ch);
}

function isDigit(ch: string): boolean {
  return ch >= "0" && ch <= "9";
}

function isSpace(ch: string): boolean {
  return /\s/u.test(ch);
}

function isQuote(ch: string): boolean {
  return ch === "'" || ch === '"';
}

function isSymbolChar(ch: string): boolean {
  return !(isDigit(ch) || isLetter(ch) || ch === "(" || ch === ")" || ch === "[" || ch === "]" ||
    isQuote(ch));
}

function tryParseTime(text: string): number | undefined {
  if (!/[0-9]/.test(text)) return undefined;
  for (const layout of TIME_LAYOUTS) {
    const parsed = parseTime(layout, text);
    if (parsed.ok) return Math.floor(parsed.time.ms / 1000);
  }
  return undefined;
}

/** Reads govaluate tokens; `previous` decides whether `-` and `!` are prefixes. */
function tokenize(source: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  const chars = source;
  // Reads while `accept` holds, stopping at whitespace; a backslash escapes the next character.
  /** Reads up to a closing character (after an opening one), honouring `\` escapes. */
  const readDelimited = (isEnd: (ch: string) => boolean): { text: string; closed: boolean } => {
    let text = "";
    while (i < chars.length) {
      const c = chars[i];
      if (c === "\\" && i + 1 < chars.length) {
        text += chars[i + 1];
        i += 2;
        continue;
      }
      i++;
      if (isEnd(c)) return { text, closed: true };
      text += c;
    }
    return { text, closed: false };
  };
  const readRun = (accept: (ch: string) => boolean): string => {
    let out = "";
    while (i < chars.length) {
      const ch = chars[i];
      if (ch === "\\" && i + 1 < chars.length) {
        out += chars[i + 1];
        i += 2;
        continue;
      }
      if (isSpace(ch) || !accept(ch)) break;
      out += ch;
      i++;
    }
    return out;
  };
  while (i < chars.length) {
    const ch = chars[i];
    if (isSpace(ch)) {
      i++;
      continue;
    }
    const start = i;
    const previous = tokens.length > 0 ? tokens[tokens.length - 1].kind : "START";
    if (isDigit(ch) || ch === ".") {
      const text = readRun((c) => isDigit(c) || c === ".");
      if (!/^([0-9]+\.?[0-9]*|\.[0-9]+)$/.test(text)) {
        fail(`Unable to parse numeric value '${text}' to float64`, start);
      }
      tokens.push({ kind: "NUMERIC", value: Number(text), start });
      continue;
    }
    if (ch === ",") {
      i++;
      tokens.push({ kind: "SEPARATOR", value: ",", start });
      continue;
    }
    if (ch === "[") {
      i++;
      const { text, closed } = readDelimited((c) => c === "]");
      if (!closed) fail("Unclosed parameter bracket", start);
      tokens.push({ kind: "VARIABLE", value: text, start });
      continue;
    }
    if (isLetter(ch)) {
      const text = readRun((c) => isLetter(c) || isDigit(c) || c === "_" || c === ".");
      if (text === "true" || text === "false") {
        tokens.push({ kind: "BOOLEAN", value: text === "true", start });
      } else if (text === "in" || text === "IN") {
        tokens.push({ kind: "COMPARATOR", value: "in", start });
      } else if (text.indexOf(".") > 0) {
        if (text.endsWith(".")) fail(`Hanging accessor on token '${text}'`, start);
        for (const part of text.split(".").slice(1)) {
          const first = Array.from(part)[0] ?? "";
          if (first.toUpperCase() !== first) {
            fail(`Unable to access unexported field '${part}' in token '${text}'`, start);
          }
        }
        tokens.push({ kind: "ACCESSOR", value: text, start });
      } else {
        tokens.push({ kind: "VARIABLE", value: text, start });
      }
      continue;
    }
    if (isQuote(ch)) {
      i++;
      const { text, closed } = readDelimited(isQuote);
      if (!closed) fail("Unclosed string literal", start);
      const time = tryParseTime(text);
      tokens.push(
        time === undefined
          ? { kind: "STRING", value: text, start }
          : { kind: "TIME", value: time, start },
      );
      continue;
    }
    if (ch === "(" || ch === ")") {
      i++;
      tokens.push({ kind: ch === "(" ? "CLAUSE" : "CLAUSE_CLOSE", value: ch, start });
      continue;
    }
    const symbol = readRun(isSymbolChar);
    if (symbol === "") fail(`Invalid token: '${ch}'`, start);
    let kind: Kind | undefined;
    if (NEXT[previous].has("PREFIX") && PREFIXES.has(symbol)) kind = "PREFIX";
    else if (MODIFIERS.has(symbol)) kind = "MODIFIER";
    else if (LOGICAL.has(symbol)) kind = "LOGICALOP";
    else if (COMPARATORS.has(symbol)) kind = "COMPARATOR";
    else if (TERNARIES.has(symbol)) kind = "TERNARY";
    if (kind === undefined) fail(`Invalid token: '${symbol}'`, start);
    tokens.push({ kind, value: symbol, start });
  }
  return tokens;
}

function tokenText(token: Token | undefined): string {
  if (!token) return "<nil>";
  return typeof token.value === "number" ? goFloatString(token.value) : String(token.value);
}

/** govaluate's checkBalance and checkExpressionSyntax. */
function checkSyntax(tokens: Token[], source: string): void {
  let depth = 0;
  for (const token of tokens) {
    if (token.kind === "CLAUSE") depth++;
    if (token.kind === "CLAUSE_CLOSE") depth--;
  }
  if (depth !== 0) fail("Unbalanced parenthesis", source.length);
  let state: Kind | "START" = "START";
  let last: Token | undefined;
  for (const token of tokens) {
    if (!NEXT[state].has(token.kind)) {
      if (last?.kind === "VARIABLE" && token.kind === "CLAUSE") {
        fail(`Undefined function ${last.value}`, last.start);
      }
      fail(
        `Cannot transition token types from ${state === "START" ? "UNKNOWN" : state} [${
          tokenText(last)
        }] to ${token.kind} [${tokenText(token)}]`,
        token.start,
      );
    }
    state = token.kind;
    last = token;
  }
  if (!AT_END.has(state as Kind)) fail("Unexpected end of expression", source.length);
}

const BINARY_LEVELS: ReadonlyArray<ReadonlySet<string>> = [
  new Set([","]),
  new Set(["?", ":", "??"]),
  new Set(["||"]),
  new Set(["&&"]),
  new Set(["==", "!=", ">", ">=", "<", "<=", "=~", "!~", "in"]),
  new Set(["&", "|", "^"]),
  new Set(["<<", ">>"]),
  new Set(["+", "-"]),
  new Set(["*", "/", "%"]),
  new Set(["**"]),
];

const OPERATOR_KINDS: ReadonlySet<Kind> = new Set([
  "MODIFIER",
  "COMPARATOR",
  "LOGICALOP",
  "TERNARY",
  "SEPARATOR",
]);

class Parser {
  private index = 0;
  private depth = 0;
  private readonly heights = new WeakMap<WhenNode, number>();

  private height(node: WhenNode): number {
    return this.heights.get(node) ?? 1;
  }
  constructor(private readonly tokens: Token[], private readonly source: string) {}

  parse(): WhenNode {
    if (this.tokens.length === 0) fail("Unexpected end of expression", 0);
    const node = this.level(0);
    if (this.index < this.tokens.length) {
      const token = this.tokens[this.index];
      fail(`Unexpected token '${tokenText(token)}'`, token.start);
    }
    return node;
  }

  private level(n: number): WhenNode {
    if (n === BINARY_LEVELS.length) return this.unary();
    let left = this.level(n + 1);
    for (;;) {
      const token = this.tokens[this.index];
      if (!token || !OPERATOR_KINDS.has(token.kind) || !BINARY_LEVELS[n].has(String(token.value))) {
        break;
      }
      this.index++;
      const right = this.level(n + 1);
      const height = Math.max(this.height(left), this.height(right)) + 1;
      if (height > LIMITS.maxDepth) fail("expression is nested too deeply", token.start);
      left = { type: "binary", operator: String(token.value), left, right, pos: token.start };
      this.heights.set(left, height);
    }
    return left;
  }

  private unary(): WhenNode {
    const token = this.tokens[this.index];
    if (!token) fail("Unexpected end of expression", this.source.length);
    if (++this.depth > LIMITS.maxDepth) fail("expression is nested too deeply", token.start);
    let node: WhenNode;
    if (token.kind === "PREFIX") {
      this.index++;
      const operand = this.unary();
      node = { type: "prefix", operator: String(token.value), operand, pos: token.start };
      this.heights.set(node, this.height(operand) + 1);
    } else if (token.kind === "CLAUSE") {
      this.index++;
      if (this.tokens[this.index]?.kind === "CLAUSE_CLOSE") {
        fail("Unexpected end of expression", this.tokens[this.index].start);
      }
      node = this.level(0);
      const close = this.tokens[this.index];
      if (close?.kind !== "CLAUSE_CLOSE") {
        fail("Unbalanced parenthesis", close?.start ?? this.source.length);
      }
      this.index++;
    } else if (token.kind === "ACCESSOR") {
      this.index++;
      node = { type: "accessor", name: String(token.value), pos: token.start };
    } else if (VALUE_KINDS.includes(token.kind)) {
      this.index++;
      node = { type: "value", value: token.value, pos: token.start };
    } else {
      fail(`Unexpected token '${tokenText(token)}'`, token.start);
    }
    this.depth--;
    return node;
  }
}

const HINT = ' (hint: try wrapping the affected expression in quotes ("))';

/**
 * Parses a `when` condition as Argo does: govaluate's tokens, then bare words turned into
 * strings. Errors carry Argo's messages.
 */
export function parseWhen(source: string): Result<WhenNode> {
  if (source.length > LIMITS.maxExpressionLength) {
    return err(
      `Invalid 'when' expression: too long (${source.length} characters; the limit is ${LIMITS.maxExpressionLength})`,
      LIMITS.maxExpressionLength,
    );
  }
  let tokens: Token[];
  try {
    tokens = tokenize(source);
    checkSyntax(tokens, source);
  } catch (error) {
    if (!(error instanceof TemplatingFailure)) throw error;
    return err(`Invalid 'when' expression '${source}': ${error.message}${HINT}`, error.offset);
  }
  // Argo's shouldExecute: every govaluate variable becomes a string literal.
  const converted = tokens.map((
    t,
  ): Token => (t.kind === "VARIABLE" ? { ...t, kind: "STRING" } : t));
  try {
    checkSyntax(converted, source);
    for (let i = 0; i + 1 < converted.length; i++) {
      const op = converted[i];
      const next = converted[i + 1];
      if ((op.value === "=~" || op.value === "!~") && next.kind === "STRING") {
        const re = compileRegex(String(next.value));
        if (!re.ok) fail(re.message, next.start);
      }
    }
    return ok(new Parser(converted, source).parse());
  } catch (error) {
    if (!(error instanceof TemplatingFailure)) throw error;
    return err(
      `Failed to parse 'when' expression '${source}': ${error.message}${HINT}`,
      error.offset,
    );
  }
}

type WhenValue = number | boolean | string | null | WhenValue[];

function formatValue(value: WhenValue): string {
  if (value === null) return "<nil>";
  if (typeof value === "number") return goFloatString(value);
  if (Array.isArray(value)) return "[" + value.map(formatValue).join(" ") + "]";
  return String(value);
}

function typeError(format: string, value: WhenValue, symbol: string, pos: number): never {
  fail(format.replace("%v", formatValue(value)).replace("%s", symbol), pos);
}

const MODIFIER_ERROR = "Value '%v' cannot be used with the modifier '%s', it is not a number";
const COMPARATOR_ERROR = "Value '%v' cannot be used with the comparator '%s', it is not a number";
const LOGICAL_ERROR = "Value '%v' cannot be used with the logical operator '%s', it is not a bool";
const TERNARY_ERROR = "Value '%v' cannot be used with the ternary operator '%s', it is not a bool";
const PREFIX_ERROR = "Value '%v' cannot be used with the prefix '%s'";

function deepEqual(a: WhenValue, b: WhenValue): boolean {
  if (Array.isArray(a) && Array.isArray(b)) {
    return a.length === b.length && a.every((item, i) => deepEqual(item, b[i]));
  }
  return a === b;
}

function evaluate(node: WhenNode, budget: { steps: number }): WhenValue {
  if (--budget.steps < 0) fail("expression evaluation exceeded its budget", node.pos);
  switch (node.type) {
    case "value":
      return node.value;
    case "accessor":
      fail(`No parameter '${node.name.split(".")[0]}' found.`, node.pos);
      break;
    case "prefix": {
      const v = evaluate(node.operand, budget);
      if (node.operator === "!") {
        if (typeof v !== "boolean") typeError(PREFIX_ERROR, v, "!", node.pos);
        return !v;
      }
      if (typeof v !== "number") typeError(PREFIX_ERROR, v, node.operator, node.pos);
      return node.operator === "-" ? -v : Number(~BigInt.asIntN(64, BigInt(Math.trunc(v))));
    }
    case "binary":
      return binary(node, budget);
  }
  return null;
}

function binary(node: Extract<WhenNode, { type: "binary" }>, budget: { steps: number }): WhenValue {
  const op = node.operator;
  const pos = node.pos;
  const left = evaluate(node.left, budget);
  // govaluate short-circuits these.
  if (op === "&&" && left === false) return false;
  if (op === "||" && left === true) return true;
  if (op === "??" && left !== null) return left;
  if (op === ":" && left !== null) return left;
  if (op === "?") {
    if (typeof left !== "boolean") typeError(TERNARY_ERROR, left, "?", pos);
    return left ? evaluate(node.right, budget) : null;
  }
  const right = evaluate(node.right, budget);
  const numbers = (format: string): [number, number] => {
    if (typeof left !== "number") typeError(format, left, op, pos);
    if (typeof right !== "number") typeError(format, right, op, pos);
    return [left as number, right as number];
  };
  const int64 = (x: number) => BigInt.asIntN(64, BigInt(Math.trunc(x)));
  switch (op) {
    case ",":
      return Array.isArray(left) ? [...left, right] : [left, right];
    case "??":
    case ":":
      return right;
    case "&&":
    case "||":
      if (typeof left !== "boolean") typeError(LOGICAL_ERROR, left, op, pos);
      if (typeof right !== "boolean") typeError(LOGICAL_ERROR, right, op, pos);
      return right;
    case "==":
      return deepEqual(left, right);
    case "!=":
      return !deepEqual(left, right);
    case ">":
    case ">=":
    case "<":
    case "<=": {
      const bothNumbers = typeof left === "number" && typeof right === "number";
      const bothStrings = typeof left === "string" && typeof right === "string";
      // govaluate checks both sides together and reports the left one.
      if (!bothNumbers && !bothStrings) typeError(COMPARATOR_ERROR, left, op, pos);
      const l = left as number | string;
      const r = right as number | string;
      return op === ">" ? l > r : op === ">=" ? l >= r : op === "<" ? l < r : l <= r;
    }
    case "=~":
    case "!~": {
      if (typeof left !== "string") typeError(COMPARATOR_ERROR, left, op, pos);
      if (typeof right !== "string") typeError(COMPARATOR_ERROR, right, op, pos);
      const re = compileRegex(right as string);
      if (!re.ok) fail(`Unable to compile regexp pattern '${right}': ${re.message}`, pos);
      let matched: boolean;
      try {
        matched = re.regex.test(left as string);
      } catch (error) {
        if (error instanceof TemplatingFailure) fail(error.message, pos);
        throw error;
      }
      return op === "=~" ? matched : !matched;
    }
    case "in":
      if (!Array.isArray(right)) typeError(COMPARATOR_ERROR, right, "in", pos);
      return (right as WhenValue[]).some((item) => !Array.isArray(item) && item === left);
    case "+":
      if (typeof left === "number" && typeof right === "number") return left + right;
      if (typeof left === "string" || typeof right === "string") {
        return formatValue(left) + formatValue(right);
      }
      return typeError(MODIFIER_ERROR, left, op, pos);
    case "-": {
      const [a, b] = numbers(MODIFIER_ERROR);
      return a - b;
    }
    case "*": {
      const [a, b] = numbers(MODIFIER_ERROR);
      return a * b;
    }
    case "/": {
      const [a, b] = numbers(MODIFIER_ERROR);
      return a / b;
    }
    case "%": {
      const [a, b] = numbers(MODIFIER_ERROR);
      return a % b;
    }
    case "**": {
      const [a, b] = numbers(MODIFIER_ERROR);
      return Math.pow(a, b);
    }
    case "&":
    case "|":
    case "^":
    case "<<":
    case ">>": {
      const [a, b] = numbers(MODIFIER_ERROR);
      const x = int64(a);
      const y = int64(b);
      const r = op === "&"
        ? x & y
        : op === "|"
        ? x | y
        : op === "^"
        ? x ^ y
        : op === "<<"
        ? x << (y & 63n)
        : x >> (y & 63n);
      return Number(BigInt.asIntN(64, r));
    }
  }
  return fail(`Invalid token: '${op}'`, pos);
}

/** Evaluates a parsed condition; a non-boolean result is Argo's "Expected boolean" error. */
export function evaluateWhenNode(node: WhenNode, source: string): Result<boolean> {
  let value: WhenValue;
  try {
    value = evaluate(node, { steps: LIMITS.stepBudget });
  } catch (error) {
    if (!(error instanceof TemplatingFailure)) throw error;
    return err(`Failed to evaluate 'when' expression '${source}': ${error.message}`, error.offset);
  }
  if (typeof value !== "boolean") {
    return err(`Expected boolean evaluation for '${source}'. Got ${formatValue(value)}`, 0);
  }
  return ok(value);
}

/** Parses and evaluates a `when` condition (already substituted). */
export function evaluateWhen(source: string): Result<boolean> {
  if (source === "") return ok(true);
  const parsed = parseWhen(source);
  if (!parsed.ok) return parsed;
  return evaluateWhenNode(parsed.value, source);
}
