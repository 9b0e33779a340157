/**
 * The parser for expr-lang expressions (the inside of `{{= }}` tags).
 *
 * Built on jsep: {@link ExprJsep} extends jsep's parser class and the `@jsep-plugin/ternary`
 * plugin supplies `cond ? a : b`. jsep's own token and operator rules are JavaScript's, so the
 * subclass replaces them with expr-lang's: its operator table and precedences (`and`, `or`,
 * `not`, `in`, `not in`, `matches`, `contains`, `startsWith`, `endsWith`, `??`, `..`, `**`,
 * `|` pipes), Go string literals (escapes, backtick raw strings), number literals (`0x2A`,
 * `1_000`, `1..3` ranges), `//` and block comments, map literals `{a: 1}`, closures `{# > 1}`
 * and bare predicates (`filter(xs, # > 1)`), `#`, `#acc`, `#index`, `.Field` shorthands,
 * optional chaining `?.`, slices `a[1:3]`, `$env` and `let x = ...; body`.
 * The subclass keeps to its own instances: jsep's global operator tables are left untouched.
 *
 * @module
 */
import jsep from "jsep";
import ternary from "@jsep-plugin/ternary";
import { err, fail, LIMITS, ok, quote, type Result, TemplatingFailure } from "./result.ts";

jsep.plugins.register(ternary);

/** A node of a parsed expr-lang expression. `pos` is the offset the node is reported at. */
export type ExprNode =
  | { type: "Literal"; value: null | boolean | number | string; pos: number }
  | { type: "Identifier"; name: string; pos: number }
  | { type: "Env"; pos: number }
  | { type: "Pointer"; name: string; pos: number }
  | {
    type: "Member";
    object: ExprNode;
    property: ExprNode;
    computed: boolean;
    optional: boolean;
    pos: number;
  }
  | {
    type: "Slice";
    object: ExprNode;
    from: ExprNode | null;
    to: ExprNode | null;
    optional: boolean;
    pos: number;
  }
  | { type: "Call"; callee: ExprNode; args: ExprNode[]; pos: number }
  | { type: "Chain"; node: ExprNode; pos: number }
  | { type: "Unary"; operator: string; argument: ExprNode; pos: number }
  | { type: "Binary"; operator: string; left: ExprNode; right: ExprNode; pos: number }
  | {
    type: "ConditionalExpression";
    test: ExprNode;
    consequent: ExprNode;
    alternate: ExprNode;
    pos?: number;
  }
  | { type: "Array"; elements: ExprNode[]; pos: number }
  | { type: "Map"; entries: Array<{ key: ExprNode; value: ExprNode }>; pos: number }
  | { type: "Closure"; body: ExprNode; pos: number }
  | { type: "Let"; name: string; value: ExprNode; body: ExprNode; pos: number };

/** Built-ins whose second argument is a predicate (a closure, braces optional). */
export const PREDICATE_BUILTINS: ReadonlySet<string> = new Set([
  "all",
  "any",
  "none",
  "one",
  "filter",
  "map",
  "count",
  "sum",
  "find",
  "findIndex",
  "findLast",
  "findLastIndex",
  "groupBy",
  "sortBy",
  "reduce",
]);

interface OperatorInfo {
  precedence: number;
  right: boolean;
}

/** expr-lang's binary operators and their precedences (parser/operator/operator.go). */
const BINARY: Record<string, OperatorInfo> = {
  "|": { precedence: 0, right: false },
  "or": { precedence: 10, right: false },
  "||": { precedence: 10, right: false },
  "and": { precedence: 15, right: false },
  "&&": { precedence: 15, right: false },
  "==": { precedence: 20, right: false },
  "!=": { precedence: 20, right: false },
  "<": { precedence: 20, right: false },
  ">": { precedence: 20, right: false },
  ">=": { precedence: 20, right: false },
  "<=": { precedence: 20, right: false },
  "in": { precedence: 20, right: false },
  "matches": { precedence: 20, right: false },
  "contains": { precedence: 20, right: false },
  "startsWith": { precedence: 20, right: false },
  "endsWith": { precedence: 20, right: false },
  "..": { precedence: 25, right: false },
  "+": { precedence: 30, right: false },
  "-": { precedence: 30, right: false },
  "*": { precedence: 60, right: false },
  "/": { precedence: 60, right: false },
  "%": { precedence: 60, right: false },
  "**": { precedence: 100, right: true },
  "^": { precedence: 100, right: true },
  "??": { precedence: 500, right: false },
};

const UNARY_PRECEDENCE: Record<string, number> = { "not": 50, "!": 50, "-": 90, "+": 90 };

/** Word operators that may follow `not` (`a not in b`). */
const NEGATABLE = new Set(["in", "matches", "contains", "startsWith", "endsWith"]);

const WORD_OPERATORS = new Set([
  "and",
  "or",
  "in",
  "matches",
  "contains",
  "startsWith",
  "endsWith",
]);

const C = {
  tab: 9,
  lf: 10,
  vt: 11,
  ff: 12,
  cr: 13,
  space: 32,
  bang: 33,
  dquote: 34,
  hash: 35,
  dollar: 36,
  percent: 37,
  amp: 38,
  squote: 39,
  lparen: 40,
  rparen: 41,
  star: 42,
  plus: 43,
  comma: 44,
  minus: 45,
  dot: 46,
  slash: 47,
  zero: 48,
  nine: 57,
  colon: 58,
  semicolon: 59,
  lt: 60,
  eq: 61,
  gt: 62,
  question: 63,
  lbracket: 91,
  backslash: 92,
  rbracket: 93,
  caret: 94,
  underscore: 95,
  backtick: 96,
  lbrace: 123,
  pipe: 124,
  rbrace: 125,
} as const;

function isDigit(c: number): boolean {
  return c >= C.zero && c <= C.nine;
}

function isIdentStart(c: number): boolean {
  return (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === C.underscore || c === C.dollar ||
    (c >= 128 && c !== 0x2028 && c !== 0x2029 && !Number.isNaN(c));
}

function isIdentPart(c: number): boolean {
  return isIdentStart(c) || isDigit(c);
}

/** The part of jsep's parser class this module relies on. */
interface JsepInstance {
  expr: string;
  index: number;
  readonly code: number;
  gobbleExpression(): ExprNode | false | undefined;
  gobbleIdentifier(): { type: "Identifier"; name: string };
  gobbleSpaces(): void;
  gobbleToken(): ExprNode | false;
  gobbleBinaryExpression(): ExprNode | false;
  parse(): ExprNode;
}

type JsepConstructor = new (source: string) => JsepInstance;

const JsepBase = (jsep as unknown as { Jsep: JsepConstructor }).Jsep;

/** jsep's parser with expr-lang's tokens, operators and literals. */
class ExprJsep extends JsepBase {
  private depth = 0;
  private closureDepth = 0;

  constructor(source: string) {
    super(source);
  }

  /** The current character code (a call, so TypeScript does not narrow it). */
  private ch(): number {
    return this.expr.charCodeAt(this.index);
  }

  private charAt(offset: number): number {
    return this.expr.charCodeAt(offset);
  }

  private expected(what: string): never {
    if (this.index >= this.expr.length) {
      fail(`unexpected end of expression, expected ${what}`, this.index);
    }
    fail(`unexpected ${quote(this.expr[this.index])}, expected ${what}`, this.index);
  }

  /** Whitespace and `//` and block comments. */
  override gobbleSpaces(): void {
    const text = this.expr;
    for (;;) {
      const c = text.charCodeAt(this.index);
      if (c === C.space || c === C.tab || c === C.lf || c === C.cr || c === C.ff || c === C.vt) {
        this.index++;
      } else if (c === C.slash && text.charCodeAt(this.index + 1) === C.slash) {
        const end = text.indexOf("\n", this.index);
        this.index = end < 0 ? text.length : end + 1;
      } else if (c === C.slash && text.charCodeAt(this.index + 1) === C.star) {
        const end = text.indexOf("*/", this.index + 2);
        if (end < 0) fail("unclosed comment", this.index);
        this.index = end + 2;
      } else {
        return;
      }
    }
  }

  /** The whole input: `let` bindings, then one expression, then nothing. */
  override parse(): ExprNode {
    this.gobbleSpaces();
    if (this.index >= this.expr.length) fail("empty expression", 0);
    const node = this.parseBody();
    this.gobbleSpaces();
    if (this.index < this.expr.length) {
      fail(`unexpected ${quote(this.expr[this.index])}`, this.index);
    }
    return node;
  }

  /** `let x = value; body` or a plain expression. */
  private parseBody(): ExprNode {
    this.gobbleSpaces();
    const start = this.index;
    if (this.matchWord("let")) {
      this.index += 3;
      this.gobbleSpaces();
      if (!isIdentStart(this.ch())) this.expected("a variable name after let");
      const nameStart = this.index;
      const name = this.gobbleIdentifier().name;
      if (isReservedName(name)) fail(`cannot use ${quote(name)} as a variable name`, nameStart);
      this.gobbleSpaces();
      if (this.ch() !== C.eq || this.charAt(this.index + 1) === C.eq) this.expected('"="');
      this.index++;
      const value = this.requireExpression();
      this.gobbleSpaces();
      if (this.ch() !== C.semicolon) this.expected('";"');
      this.index++;
      const body = this.parseBody();
      return { type: "Let", name, value, body, pos: start };
    }
    return this.requireExpression();
  }

  private requireExpression(): ExprNode {
    this.gobbleSpaces();
    const node = this.gobbleExpression();
    if (!node) this.expected("an expression");
    return node;
  }

  private matchWord(word: string): boolean {
    return this.expr.startsWith(word, this.index) &&
      !isIdentPart(this.charAt(this.index + word.length));
  }

  /** Reads the binary operator at the cursor without consuming it. */
  private peekOperator(): { op: string; length: number; negated: boolean } | undefined {
    const text = this.expr;
    const i = this.index;
    const c = text.charCodeAt(i);
    const next = text.charCodeAt(i + 1);
    switch (c) {
      case C.pipe:
        return next === C.pipe ? { op: "||", length: 2, negated: false } : {
          op: "|",
          length: 1,
          negated: false,
        };
      case C.amp:
        return next === C.amp ? { op: "&&", length: 2, negated: false } : undefined;
      case C.eq:
        return next === C.eq ? { op: "==", length: 2, negated: false } : undefined;
      case C.bang:
        return next === C.eq ? { op: "!=", length: 2, negated: false } : undefined;
      case C.lt:
        return next === C.eq ? { op: "<=", length: 2, negated: false } : {
          op: "<",
          length: 1,
          negated: false,
        };
      case C.gt:
        return next === C.eq ? { op: ">=", length: 2, negated: false } : {
          op: ">",
          length: 1,
          negated: false,
        };
      case C.plus:
        return { op: "+", length: 1, negated: false };
      case C.minus:
        return { op: "-", length: 1, negated: false };
      case C.star:
        return next === C.star ? { op: "**", length: 2, negated: false } : {
          op: "*",
          length: 1,
          negated: false,
        };
      case C.slash:
        return { op: "/", length: 1, negated: false };
      case C.percent:
        return { op: "%", length: 1, negated: false };
      case C.caret:
        return { op: "^", length: 1, negated: false };
      case C.dot:
        return next === C.dot ? { op: "..", length: 2, negated: false } : undefined;
      case C.question:
        return next === C.question ? { op: "??", length: 2, negated: false } : undefined;
    }
    if (!isIdentStart(c)) return undefined;
    let end = i;
    while (end < text.length && isIdentPart(text.charCodeAt(end))) end++;
    const word = text.slice(i, end);
    if (WORD_OPERATORS.has(word)) return { op: word, length: end - i, negated: false };
    if (word === "not") {
      let j = end;
      while (j < text.length && /\s/.test(text[j])) j++;
      let k = j;
      while (k < text.length && isIdentPart(text.charCodeAt(k))) k++;
      const suffix = text.slice(j, k);
      if (NEGATABLE.has(suffix)) return { op: suffix, length: k - i, negated: true };
      fail(
        `unexpected ${
          quote("not")
        }: only in, matches, contains, startsWith and endsWith may follow it`,
        i,
      );
    }
    return undefined;
  }

  /** Precedence climbing over expr's operator table (replaces jsep's JavaScript table). */
  override gobbleBinaryExpression(minPrecedence = 0): ExprNode | false {
    let left = this.gobbleToken();
    if (!left) return false;
    for (;;) {
      this.gobbleSpaces();
      const found = this.peekOperator();
      if (!found) break;
      const info = BINARY[found.op];
      if (info.precedence < minPrecedence) break;
      const pos = this.index;
      this.index += found.length;
      if (found.op === "|") {
        left = this.parsePipe(left, pos);
        continue;
      }
      this.gobbleSpaces();
      const right = this.gobbleBinaryExpression(
        info.right ? info.precedence : info.precedence + 1,
      );
      if (!right) this.expected(`an expression after ${quote(found.op)}`);
      left = { type: "Binary", operator: found.op, left, right, pos };
      if (found.negated) left = { type: "Unary", operator: "not", argument: left, pos };
    }
    return left;
  }

  /** `value | fn(args)` is `fn(value, args)`. */
  private parsePipe(left: ExprNode, pos: number): ExprNode {
    this.gobbleSpaces();
    if (!isIdentStart(this.ch())) this.expected("a function name after |");
    const start = this.index;
    let callee: ExprNode = { type: "Identifier", name: this.gobbleIdentifier().name, pos: start };
    while (this.ch() === C.dot && isIdentStart(this.charAt(this.index + 1))) {
      this.index++;
      const propertyStart = this.index;
      const name = this.gobbleIdentifier().name;
      callee = {
        type: "Member",
        object: callee,
        property: { type: "Literal", value: name, pos: propertyStart },
        computed: false,
        optional: false,
        pos: propertyStart,
      };
    }
    this.gobbleSpaces();
    if (this.ch() !== C.lparen) this.expected('"(" after the piped function name');
    const predicateIndex = callee.type === "Identifier" && PREDICATE_BUILTINS.has(callee.name)
      ? 0
      : -1;
    const args = this.parseArguments(predicateIndex);
    return { type: "Call", callee, args: [left, ...args], pos };
  }

  /** One operand: a literal, a name, a group, a collection, a closure or a unary operation. */
  override gobbleToken(): ExprNode | false {
    this.gobbleSpaces();
    const c = this.ch();
    if (Number.isNaN(c)) return false;
    if (++this.depth > LIMITS.maxDepth) {
      fail(`expression is nested too deeply (more than ${LIMITS.maxDepth} levels)`, this.index);
    }
    const node = this.parseOperand(c);
    this.depth--;
    return node;
  }

  private parseOperand(c: number): ExprNode | false {
    const start = this.index;
    const next = this.charAt(start + 1);
    // Unary operators bind as expr's do: `not a * b` is `not (a * b)`, `-a ** 2` is `-(a ** 2)`.
    let unary: string | undefined;
    if (c === C.bang && next !== C.eq) unary = "!";
    else if (c === C.minus) unary = "-";
    else if (c === C.plus) unary = "+";
    else if (this.matchWord("not")) unary = "not";
    if (unary !== undefined) {
      this.index += unary.length;
      const argument = this.gobbleBinaryExpression(UNARY_PRECEDENCE[unary]);
      if (!argument) this.expected(`an expression after ${quote(unary)}`);
      return this.parsePostfix({ type: "Unary", operator: unary, argument, pos: start });
    }
    let node: ExprNode;
    if (isDigit(c) || (c === C.dot && isDigit(next))) {
      node = this.parseNumber();
    } else if (c === C.dquote || c === C.squote) {
      node = this.parseString();
    } else if (c === C.backtick) {
      const end = this.expr.indexOf("`", start + 1);
      if (end < 0) fail("literal not terminated", start);
      this.index = end + 1;
      node = { type: "Literal", value: this.expr.slice(start + 1, end), pos: start };
    } else if (c === C.hash) {
      this.index++;
      let name = "";
      if (isIdentStart(this.ch())) name = this.gobbleIdentifier().name;
      if (name !== "" && name !== "acc" && name !== "index") {
        fail(`unknown pointer #${name}`, start);
      }
      this.requireClosure(start);
      node = { type: "Pointer", name, pos: start };
    } else if (c === C.dot && isIdentStart(next)) {
      this.requireClosure(start);
      this.index++;
      const name = this.gobbleIdentifier().name;
      node = {
        type: "Member",
        object: { type: "Pointer", name: "", pos: start },
        property: { type: "Literal", value: name, pos: start + 1 },
        computed: false,
        optional: false,
        pos: start + 1,
      };
    } else if (c === C.lparen) {
      this.index++;
      node = this.parseBody();
      this.gobbleSpaces();
      if (this.ch() !== C.rparen) this.expected('")"');
      this.index++;
    } else if (c === C.lbracket) {
      node = this.parseArray();
    } else if (c === C.lbrace) {
      node = this.parseBraces();
    } else if (isIdentStart(c)) {
      node = this.parseName();
    } else {
      return false;
    }
    return this.parsePostfix(node);
  }

  private requireClosure(offset: number): void {
    if (this.closureDepth === 0) fail("cannot use pointer accessor outside closure", offset);
  }

  private parseName(): ExprNode {
    const start = this.index;
    const name = this.gobbleIdentifier().name;
    switch (name) {
      case "true":
        return { type: "Literal", value: true, pos: start };
      case "false":
        return { type: "Literal", value: false, pos: start };
      case "nil":
        return { type: "Literal", value: null, pos: start };
      case "$env":
        return { type: "Env", pos: start };
      case "let":
        fail("let is only allowed at the start of an expression", start);
    }
    if (WORD_OPERATORS.has(name)) fail(`unexpected ${quote(name)}`, start);
    return { type: "Identifier", name, pos: start };
  }

  /** Member access, index, slice, optional chaining and calls after an operand. */
  private parsePostfix(node: ExprNode): ExprNode {
    let chained = false;
    for (;;) {
      const save = this.index;
      this.gobbleSpaces();
      const c = this.ch();
      const next = this.charAt(this.index + 1);
      let optional = false;
      if (c === C.question && next === C.dot && !isDigit(this.charAt(this.index + 2))) {
        optional = true;
        chained = true;
        this.index += 2;
        this.gobbleSpaces();
        if (this.ch() === C.lbracket) {
          node = this.parseIndex(node, true);
          continue;
        }
        if (!isIdentStart(this.ch())) this.expected("a field name after ?.");
        node = this.parseField(node, true);
        continue;
      }
      if (c === C.dot && next !== C.dot) {
        this.index++;
        this.gobbleSpaces();
        if (!isIdentStart(this.ch())) this.expected("a field name after .");
        node = this.parseField(node, optional);
      } else if (c === C.lbracket) {
        node = this.parseIndex(node, false);
      } else if (c === C.lparen) {
        const predicateIndex = node.type === "Identifier" && PREDICATE_BUILTINS.has(node.name)
          ? 1
          : -1;
        const pos = node.type === "Member" ? nodePos(node.property) : nodePos(node);
        node = { type: "Call", callee: node, args: this.parseArguments(predicateIndex), pos };
      } else {
        this.index = save;
        break;
      }
    }
    return chained ? { type: "Chain", node, pos: nodePos(node) } : node;
  }

  private parseField(object: ExprNode, optional: boolean): ExprNode {
    const start = this.index;
    const name = this.gobbleIdentifier().name;
    return {
      type: "Member",
      object,
      property: { type: "Literal", value: name, pos: start },
      computed: false,
      optional,
      pos: start,
    };
  }

  /** `[index]`, `[from:to]` (either side optional). */
  private parseIndex(object: ExprNode, optional: boolean): ExprNode {
    const pos = this.index;
    this.index++;
    this.gobbleSpaces();
    let from: ExprNode | null = null;
    if (this.ch() !== C.colon) {
      from = this.requireExpression();
      this.gobbleSpaces();
      if (this.ch() === C.rbracket) {
        this.index++;
        return { type: "Member", object, property: from, computed: true, optional, pos };
      }
      if (this.ch() !== C.colon) this.expected('"]"');
    }
    this.index++;
    this.gobbleSpaces();
    let to: ExprNode | null = null;
    if (this.ch() !== C.rbracket) {
      to = this.requireExpression();
      this.gobbleSpaces();
      if (this.ch() !== C.rbracket) this.expected('"]"');
    }
    this.index++;
    return { type: "Slice", object, from, to, optional, pos };
  }

  /** `(a, b)`; the argument at `predicateIndex` becomes a closure. */
  private parseArguments(predicateIndex: number): ExprNode[] {
    this.index++;
    const args: ExprNode[] = [];
    this.gobbleSpaces();
    if (this.ch() === C.rparen) {
      this.index++;
      return args;
    }
    for (;;) {
      const isPredicate = args.length === predicateIndex;
      this.gobbleSpaces();
      const start = this.index;
      if (isPredicate) this.closureDepth++;
      let arg = this.parseBody();
      if (isPredicate) {
        this.closureDepth--;
        if (arg.type !== "Closure") arg = { type: "Closure", body: arg, pos: start };
      }
      args.push(arg);
      this.gobbleSpaces();
      if (this.ch() === C.comma) {
        this.index++;
        continue;
      }
      if (this.ch() === C.rparen) {
        this.index++;
        return args;
      }
      this.expected('"," or ")"');
    }
  }

  private parseArray(): ExprNode {
    const pos = this.index;
    this.index++;
    const elements: ExprNode[] = [];
    for (;;) {
      this.gobbleSpaces();
      if (this.ch() === C.rbracket) {
        this.index++;
        return { type: "Array", elements, pos };
      }
      elements.push(this.requireExpression());
      this.gobbleSpaces();
      if (this.ch() === C.comma) {
        this.index++;
        continue;
      }
      if (this.ch() !== C.rbracket) this.expected('"," or "]"');
    }
  }

  /** `{}` or `{key: value, ...}` is a map; `{ expression }` is a closure. */
  private parseBraces(): ExprNode {
    const pos = this.index;
    this.index++;
    this.gobbleSpaces();
    if (this.ch() === C.rbrace) {
      this.index++;
      return { type: "Map", entries: [], pos };
    }
    const firstStart = this.index;
    const firstChar = this.ch();
    this.closureDepth++;
    const first = this.parseBody();
    this.closureDepth--;
    this.gobbleSpaces();
    if (this.ch() !== C.colon) {
      if (this.ch() !== C.rbrace) this.expected('"}"');
      this.index++;
      return { type: "Closure", body: first, pos };
    }
    const entries: Array<{ key: ExprNode; value: ExprNode }> = [];
    let key = this.mapKey(first, firstChar, firstStart);
    for (;;) {
      this.index++; // the colon
      const value = this.requireExpression();
      entries.push({ key, value });
      this.gobbleSpaces();
      if (this.ch() === C.comma) {
        this.index++;
        this.gobbleSpaces();
      } else if (this.ch() !== C.rbrace) {
        this.expected('"," or "}"');
      }
      if (this.ch() === C.rbrace) {
        this.index++;
        return { type: "Map", entries, pos };
      }
      const keyStart = this.index;
      const keyChar = this.ch();
      const keyNode = this.requireExpression();
      key = this.mapKey(keyNode, keyChar, keyStart);
      this.gobbleSpaces();
      if (this.ch() !== C.colon) this.expected('":"');
    }
  }

  /** A map key: a name or literal stands for itself, a parenthesised expression is evaluated. */
  private mapKey(node: ExprNode, firstChar: number, start: number): ExprNode {
    if (firstChar === C.lparen) return node;
    if (node.type === "Identifier") return { type: "Literal", value: node.name, pos: node.pos };
    if (
      node.type === "Literal" && (typeof node.value === "string" || typeof node.value === "number")
    ) {
      return { type: "Literal", value: String(node.value), pos: node.pos };
    }
    fail("a map key must be a name, a string, a number or a parenthesised expression", start);
  }

  /** Go number literals: decimal, `0x`, `0o`, `0b`, `_` separators, fractions, exponents. */
  private parseNumber(): ExprNode {
    const text = this.expr;
    const start = this.index;
    let i = start;
    const prefix = text.charCodeAt(i) === C.zero ? text[i + 1]?.toLowerCase() : undefined;
    let value: number;
    if (prefix === "x" || prefix === "o" || prefix === "b") {
      i += 2;
      const digitsStart = i;
      while (i < text.length && /[0-9a-fA-F_]/.test(text[i])) i++;
      const digits = text.slice(digitsStart, i).replaceAll("_", "");
      const base = prefix === "x" ? 16 : prefix === "o" ? 8 : 2;
      const valid = base === 16 ? /^[0-9a-f]+$/i : base === 8 ? /^[0-7]+$/ : /^[01]+$/;
      if (!valid.test(digits)) fail(`invalid number ${quote(text.slice(start, i))}`, start);
      value = parseInt(digits, base);
    } else {
      while (i < text.length && (isDigit(text.charCodeAt(i)) || text[i] === "_")) i++;
      if (text[i] === "." && isDigit(text.charCodeAt(i + 1))) {
        i++;
        while (i < text.length && (isDigit(text.charCodeAt(i)) || text[i] === "_")) i++;
      }
      if (text[i] === "e" || text[i] === "E") {
        let j = i + 1;
        if (text[j] === "+" || text[j] === "-") j++;
        if (isDigit(text.charCodeAt(j))) {
          while (j < text.length && isDigit(text.charCodeAt(j))) j++;
          i = j;
        }
      }
      const literal = text.slice(start, i);
      if (literal.includes("__") || literal.endsWith("_") || /_[.eE]|[.eE]_/.test(literal)) {
        fail(`invalid number ${quote(literal)}`, start);
      }
      value = Number(literal.replaceAll("_", ""));
    }
    if (isIdentPart(text.charCodeAt(i))) {
      let end = i;
      while (end < text.length && isIdentPart(text.charCodeAt(end))) end++;
      fail(`invalid number ${quote(text.slice(start, end))}`, start);
    }
    if (!Number.isFinite(value)) {
      fail(`number ${quote(text.slice(start, i))} is out of range`, start);
    }
    this.index = i;
    return { type: "Literal", value, pos: start };
  }

  /** A quoted string with Go's escapes. */
  private parseString(): ExprNode {
    const text = this.expr;
    const start = this.index;
    const quoteChar = text[start];
    let i = start + 1;
    let out = "";
    let runStart = i;
    for (;;) {
      if (i >= text.length) fail("literal not terminated", start);
      const ch = text[i];
      if (ch === quoteChar) break;
      if (ch !== "\\") {
        i++;
        continue;
      }
      out += text.slice(runStart, i);
      const escapeStart = i;
      const e = text[i + 1];
      i += 2;
      switch (e) {
        case "n":
          out += "\n";
          break;
        case "t":
          out += "\t";
          break;
        case "r":
          out += "\r";
          break;
        case "a":
          out += "\x07";
          break;
        case "b":
          out += "\b";
          break;
        case "f":
          out += "\f";
          break;
        case "v":
          out += "\v";
          break;
        case "\\":
        case "'":
        case '"':
        case "`":
          out += e;
          break;
        case "x":
        case "u":
        case "U": {
          const width = e === "x" ? 2 : e === "u" ? 4 : 8;
          const hex = text.slice(i, i + width);
          if (hex.length !== width || !/^[0-9a-fA-F]+$/.test(hex)) {
            fail("invalid char escape", escapeStart);
          }
          const code = parseInt(hex, 16);
          if (code > 0x10ffff) fail("invalid char escape", escapeStart);
          out += String.fromCodePoint(code);
          i += width;
          break;
        }
        default: {
          const octal = text.slice(i - 1, i + 2);
          if (/^[0-7]{3}$/.test(octal)) {
            out += String.fromCharCode(parseInt(octal, 8) & 0xff);
            i += 2;
            break;
          }
          fail("invalid char escape", escapeStart);
        }
      }
      runStart = i;
    }
    out += text.slice(runStart, i);
    this.index = i + 1;
    return { type: "Literal", value: out, pos: start };
  }
}

function isReservedName(name: string): boolean {
  return name === "true" || name === "false" || name === "nil" || name === "let" ||
    name === "not" || name === "$env" || WORD_OPERATORS.has(name);
}

/** Walks the tree iteratively and fails if it is deeper than the evaluator may recurse. */
function checkTreeDepth(root: ExprNode): void {
  const stack: Array<[ExprNode, number]> = [[root, 1]];
  while (stack.length > 0) {
    const [node, depth] = stack.pop()!;
    if (depth > LIMITS.maxDepth * 4) {
      fail(
        `expression is nested too deeply (more than ${LIMITS.maxDepth * 4} levels)`,
        nodePos(node),
      );
    }
    for (const child of children(node)) stack.push([child, depth + 1]);
  }
}

/** The offset a node is reported at. */
export function nodePos(node: ExprNode): number {
  return node.pos ?? (node.type === "ConditionalExpression" ? nodePos(node.test) : 0);
}

/** The direct children of a node. */
export function children(node: ExprNode): ExprNode[] {
  switch (node.type) {
    case "Member":
      return [node.object, node.property];
    case "Slice":
      return [node.object, ...(node.from ? [node.from] : []), ...(node.to ? [node.to] : [])];
    case "Call":
      return [node.callee, ...node.args];
    case "Chain":
      return [node.node];
    case "Unary":
      return [node.argument];
    case "Binary":
      return [node.left, node.right];
    case "ConditionalExpression":
      return [node.test, node.consequent, node.alternate];
    case "Array":
      return node.elements;
    case "Map":
      return node.entries.flatMap((e) => [e.key, e.value]);
    case "Closure":
      return [node.body];
    case "Let":
      return [node.value, node.body];
    default:
      return [];
  }
}

const cache = new Map<string, Result<ExprNode>>();
const CACHE_LIMIT = 4096;

/** Parses an expr-lang expression (the inside of `{{= }}`). Results are cached by source. */
export function parseExpression(source: string): Result<ExprNode> {
  const cached = cache.get(source);
  if (cached !== undefined) return cached;
  const result = parseUncached(source);
  if (cache.size >= CACHE_LIMIT) cache.clear();
  cache.set(source, result);
  return result;
}

function parseUncached(source: string): Result<ExprNode> {
  if (source.length > LIMITS.maxExpressionLength) {
    return err(
      `expression is too long (${source.length} characters; the limit is ${LIMITS.maxExpressionLength})`,
      LIMITS.maxExpressionLength,
    );
  }
  try {
    const node = new ExprJsep(source).parse();
    if (source.length > LIMITS.maxDepth * 4) checkTreeDepth(node);
    return ok(node);
  } catch (error) {
    if (error instanceof TemplatingFailure) return err(error.message, error.offset);
    // jsep's own errors (from the ternary plugin) carry `index` and `description`.
    if (error instanceof Error && "index" in error && typeof error.index === "number") {
      const description = "description" in error && typeof error.description === "string"
        ? error.description
        : error.message;
      return err(lowerFirst(description), error.index);
    }
    if (error instanceof RangeError) return err("expression is nested too deeply", 0);
    throw error;
  }
}

function lowerFirst(text: string): string {
  return text.length > 0 ? text[0].toLowerCase() + text.slice(1) : text;
}

/**
 * The dotted variable paths an expression reads, in order of first use: `inputs.parameters.x`
 * for `inputs.parameters['x']`. A path stops at the first non-constant index. Closure pointers,
 * `let` names and function names are not variables.
 */
export function expressionVariables(
  source: string,
  isFunctionName: (name: string) => boolean = () => false,
): Result<string[]> {
  const parsed = parseExpression(source);
  if (!parsed.ok) return parsed;
  const seen = new Set<string>();
  const out: string[] = [];
  const add = (path: string) => {
    if (!seen.has(path)) {
      seen.add(path);
      out.push(path);
    }
  };
  const visit = (node: ExprNode, bound: ReadonlySet<string>): void => {
    switch (node.type) {
      case "Identifier":
        if (!bound.has(node.name) && !isFunctionName(node.name)) add(node.name);
        return;
      case "Member":
      case "Slice": {
        const path = memberPath(node, bound);
        if (path !== undefined) {
          if (path.path !== "") add(path.path);
          for (const rest of path.rest) visit(rest, bound);
          return;
        }
        break;
      }
      case "Call": {
        const callee = node.callee;
        if (callee.type === "Identifier") {
          if (bound.has(callee.name)) visit(callee, bound);
        } else if (callee.type === "Member" && rootName(callee) === "sprig") {
          // sprig.fn(...): a function, not a variable.
        } else if (callee.type === "Member") {
          visit(callee.object, bound); // a method call: the receiver is what is read
          if (callee.computed) visit(callee.property, bound);
        } else {
          visit(callee, bound);
        }
        for (const arg of node.args) visit(arg, bound);
        return;
      }
      case "Let": {
        visit(node.value, bound);
        const inner = new Set(bound);
        inner.add(node.name);
        visit(node.body, inner);
        return;
      }
    }
    for (const child of children(node)) visit(child, bound);
  };
  visit(parsed.value, new Set());
  return ok(out);
}

function rootName(node: ExprNode): string | undefined {
  let current = node;
  while (current.type === "Member") current = current.object;
  return current.type === "Identifier" ? current.name : undefined;
}

/** The constant dotted path of a member chain rooted at a variable, and the nodes left to visit. */
function memberPath(
  node: ExprNode,
  bound: ReadonlySet<string>,
): { path: string; rest: ExprNode[] } | undefined {
  const links: ExprNode[] = [];
  let current = node;
  while (current.type === "Member" || current.type === "Slice") {
    links.push(current);
    current = current.object;
  }
  const rest: ExprNode[] = [];
  let path: string;
  if (current.type === "Identifier") {
    if (bound.has(current.name)) return undefined;
    path = current.name;
  } else if (current.type === "Env") {
    path = "";
  } else {
    return undefined;
  }
  let open = true;
  for (let i = links.length - 1; i >= 0; i--) {
    const link = links[i];
    if (
      link.type === "Member" && open && link.property.type === "Literal" &&
      typeof link.property.value === "string"
    ) {
      path = path === "" ? link.property.value : `${path}.${link.property.value}`;
      continue;
    }
    open = false;
    if (link.type === "Member" && link.computed) rest.push(link.property);
    if (link.type === "Slice") {
      if (link.from) rest.push(link.from);
      if (link.to) rest.push(link.to);
    }
  }
  return { path, rest };
}
