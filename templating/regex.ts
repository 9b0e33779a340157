/**
 * Go (RE2) regular expressions, matched in linear time.
 *
 * JavaScript's own engine backtracks: `(a|a)*$` on forty characters runs for minutes. Argo's
 * expressions run Go's RE2, which never backtracks, so this module does the same: it parses
 * RE2 syntax into a small program and runs it as a Pike VM (Thompson's construction with
 * submatch tracking), whose work grows with text length times program size and never more.
 * Each match also has a step budget.
 *
 * Syntax: literals and escapes (`\n`, `\x41`, `\x{263a}`, `\Q...\E`, escaped punctuation),
 * `.`, classes (`[a-z]`, `[^...]`, `\d \w \s` and negations, `[[:alpha:]]`, `\pL`, `\p{Greek}`),
 * anchors (`^ $ \A \z \b \B`), groups (`(...)`, `(?:...)`, `(?P<name>...)`, `(?<name>...)`),
 * flags (`(?i)`, `(?m)`, `(?s)`, `(?U)`, and `(?i:...)`), alternation, and repetition
 * (`* + ? {n} {n,} {n,m}`, lazy with `?`). Like RE2 it has no back-references or look-around,
 * and `$` without `(?m)` matches only at the end of the text. Matching is leftmost-first, as in
 * Go.
 *
 * @module
 */
import { fail, LIMITS } from "./result.ts";

/** A compiled pattern, or why it was refused (in Go's wording). */
export type CompiledRegex = { ok: true; regex: Regex } | { ok: false; message: string };

/** Steps (threads advanced) one match may take before it is refused. */
const MATCH_BUDGET = 20_000_000;
/** Instructions one program may have. */
const MAX_PROGRAM = 20_000;

type Node =
  | { t: "char"; test: (cp: number) => boolean }
  | { t: "assert"; kind: Assertion }
  | { t: "group"; index: number | null; node: Node }
  | { t: "cat"; items: Node[] }
  | { t: "alt"; items: Node[] }
  | { t: "rep"; node: Node; min: number; max: number; greedy: boolean }
  | { t: "empty" };

type Assertion = "bol" | "eol" | "bot" | "eot" | "word" | "nonword" | "bolm" | "eolm";

interface Flags {
  i: boolean;
  m: boolean;
  s: boolean;
  U: boolean;
}

class RegexSyntaxError {
  constructor(readonly code: string, readonly fragment: string) {}
}

const POSIX_CLASSES: Record<string, (cp: number) => boolean> = {
  alnum: (c) => isAsciiDigit(c) || isAsciiLetter(c),
  alpha: (c) => isAsciiLetter(c),
  ascii: (c) => c <= 0x7f,
  blank: (c) => c === 9 || c === 32,
  cntrl: (c) => c < 32 || c === 127,
  digit: (c) => isAsciiDigit(c),
  graph: (c) => c > 32 && c < 127,
  lower: (c) => c >= 97 && c <= 122,
  print: (c) => c >= 32 && c < 127,
  punct: (c) => c > 32 && c < 127 && !isAsciiDigit(c) && !isAsciiLetter(c),
  space: (c) => c === 32 || (c >= 9 && c <= 13),
  upper: (c) => c >= 65 && c <= 90,
  word: (c) => isWordChar(c),
  xdigit: (c) => isAsciiDigit(c) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102),
};

function isAsciiDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

function isAsciiLetter(c: number): boolean {
  return (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
}

/** RE2's `\w` and `\b` are ASCII-only. */
function isWordChar(c: number): boolean {
  return isAsciiDigit(c) || isAsciiLetter(c) || c === 95;
}

function isPerlSpace(c: number): boolean {
  return c === 32 || c === 9 || c === 10 || c === 12 || c === 13;
}

/** The other case forms of a code point (simple folding). */
function caseVariants(cp: number): number[] {
  const ch = String.fromCodePoint(cp);
  const out = new Set<number>([cp]);
  for (const v of [ch.toLowerCase(), ch.toUpperCase()]) {
    if ([...v].length === 1) out.add(v.codePointAt(0)!);
  }
  return [...out];
}

function foldTest(test: (cp: number) => boolean): (cp: number) => boolean {
  return (cp) => test(cp) || caseVariants(cp).some((v) => v !== cp && test(v));
}

class Parser {
  private i = 0;
  private groups = 0;
  readonly names: Array<string | undefined> = [undefined];
  constructor(private readonly src: string) {}

  parse(): Node {
    const node = this.alternation({ i: false, m: false, s: false, U: false }, 0);
    if (this.i < this.src.length) throw new RegexSyntaxError("unexpected )", this.src);
    return node;
  }

  get groupCount(): number {
    return this.groups;
  }

  private alternation(flags: Flags, depth: number): Node {
    if (depth > LIMITS.maxDepth) {
      throw new RegexSyntaxError("expression nests too deeply", this.src);
    }
    const items: Node[] = [];
    let current = { ...flags };
    for (;;) {
      const [node, after] = this.concatenation(current, depth);
      items.push(node);
      current = after;
      if (this.src[this.i] !== "|") break;
      this.i++;
    }
    return items.length === 1 ? items[0] : { t: "alt", items };
  }

  /** A sequence up to `|`, `)` or the end; `(?flags)` changes flags for the rest of it. */
  private concatenation(flags: Flags, depth: number): [Node, Flags] {
    const items: Node[] = [];
    let current = flags;
    while (this.i < this.src.length && this.src[this.i] !== "|" && this.src[this.i] !== ")") {
      const flagSet = /^\(\?([imsU]*)(?:-([imsU]*))?\)/.exec(this.src.slice(this.i));
      if (flagSet && (flagSet[1] || flagSet[2])) {
        current = applyFlags(current, flagSet[1], flagSet[2] ?? "");
        this.i += flagSet[0].length;
        continue;
      }
      let atom = this.atom(current, depth);
      atom = this.repetitions(atom, current);
      items.push(atom);
    }
    const node: Node = items.length === 0
      ? { t: "empty" }
      : items.length === 1
      ? items[0]
      : { t: "cat", items };
    return [node, current];
  }

  private repetitions(atom: Node, flags: Flags): Node {
    let node = atom;
    let repeated = false;
    for (;;) {
      const c = this.src[this.i];
      let min: number, max: number;
      const start = this.i;
      if (c === "*") [min, max] = [0, Infinity];
      else if (c === "+") [min, max] = [1, Infinity];
      else if (c === "?") [min, max] = [0, 1];
      else if (c === "{") {
        const m = /^\{(\d+)(,(\d*))?\}/.exec(this.src.slice(this.i));
        if (!m) return node; // a literal "{"
        min = Number(m[1]);
        max = m[2] === undefined ? min : m[3] === "" ? Infinity : Number(m[3]);
        if (min > 1000 || (max !== Infinity && max > 1000) || max < min) {
          throw new RegexSyntaxError("invalid repeat count", m[0]);
        }
        this.i += m[0].length - 1;
      } else return node;
      this.i++;
      if (repeated) {
        throw new RegexSyntaxError(
          "invalid nested repetition operator",
          this.src.slice(start - 1, this.i),
        );
      }
      let greedy = !flags.U;
      if (this.src[this.i] === "?") {
        greedy = !greedy;
        this.i++;
      }
      if (node.t === "empty") {
        throw new RegexSyntaxError(
          "missing argument to repetition operator",
          this.src.slice(start, this.i),
        );
      }
      node = { t: "rep", node, min, max, greedy };
      repeated = true;
    }
  }

  private atom(flags: Flags, depth: number): Node {
    const c = this.src[this.i];
    switch (c) {
      case "(":
        return this.group(flags, depth);
      case "[":
        return this.charClass(flags);
      case ".":
        this.i++;
        return { t: "char", test: flags.s ? () => true : (cp) => cp !== 10 };
      case "^":
        this.i++;
        return { t: "assert", kind: flags.m ? "bolm" : "bol" };
      case "$":
        this.i++;
        return { t: "assert", kind: flags.m ? "eolm" : "eol" };
      case "*":
      case "+":
      case "?":
        throw new RegexSyntaxError("missing argument to repetition operator", c);
      case "\\":
        return this.escape(flags);
    }
    const cp = this.src.codePointAt(this.i)!;
    this.i += cp > 0xffff ? 2 : 1;
    return literal(cp, flags);
  }

  private group(flags: Flags, depth: number): Node {
    const rest = this.src.slice(this.i);
    let index: number | null = null;
    let inner = flags;
    if (rest.startsWith("(?")) {
      const named = /^\(\?P?<([A-Za-z_][A-Za-z0-9_]*)>/.exec(rest);
      const scoped = /^\(\?([imsU]*)(?:-([imsU]*))?:/.exec(rest);
      if (named) {
        index = ++this.groups;
        this.names[index] = named[1];
        this.i += named[0].length;
      } else if (scoped) {
        inner = applyFlags(flags, scoped[1], scoped[2] ?? "");
        this.i += scoped[0].length;
      } else {
        const fragment = rest.slice(0, rest.startsWith("(?<") ? 4 : 3);
        throw new RegexSyntaxError("invalid or unsupported Perl syntax", fragment);
      }
    } else {
      index = ++this.groups;
      this.names[index] = undefined;
      this.i++;
    }
    const node = this.alternation(inner, depth + 1);
    if (this.src[this.i] !== ")") throw new RegexSyntaxError("missing closing )", this.src);
    this.i++;
    return { t: "group", index, node };
  }

  /** An escape outside a class. */
  private escape(flags: Flags): Node {
    const next = this.src[this.i + 1];
    if (next === undefined) {
      throw new RegexSyntaxError("trailing backslash at end of expression", "");
    }
    switch (next) {
      case "A":
        this.i += 2;
        return { t: "assert", kind: "bot" };
      case "z":
        this.i += 2;
        return { t: "assert", kind: "eot" };
      case "b":
        this.i += 2;
        return { t: "assert", kind: "word" };
      case "B":
        this.i += 2;
        return { t: "assert", kind: "nonword" };
      case "Q": {
        const end = this.src.indexOf("\\E", this.i + 2);
        const text = this.src.slice(this.i + 2, end < 0 ? this.src.length : end);
        this.i = end < 0 ? this.src.length : end + 2;
        const items = [...text].map((ch) => literal(ch.codePointAt(0)!, flags));
        return items.length === 1
          ? items[0]
          : items.length === 0
          ? { t: "empty" }
          : { t: "cat", items };
      }
    }
    const test = this.classEscape();
    if (test) return { t: "char", test: flags.i ? foldTest(test) : test };
    return literal(this.escapedCodePoint(), flags);
  }

  /** `\d \D \w \W \s \S \pX \p{Name} \PX` at the cursor, or undefined. */
  private classEscape(): ((cp: number) => boolean) | undefined {
    const next = this.src[this.i + 1];
    switch (next) {
      case "d":
      case "D":
      case "w":
      case "W":
      case "s":
      case "S": {
        this.i += 2;
        const base = next.toLowerCase() === "d"
          ? isAsciiDigit
          : next.toLowerCase() === "w"
          ? isWordChar
          : isPerlSpace;
        return next === next.toLowerCase() ? base : (cp) => !base(cp);
      }
      case "p":
      case "P": {
        const braced = this.src[this.i + 2] === "{";
        const end = braced ? this.src.indexOf("}", this.i + 3) : this.i + 3;
        if (braced && end < 0) {
          throw new RegexSyntaxError("invalid character class range", this.src.slice(this.i));
        }
        let name = braced ? this.src.slice(this.i + 3, end) : this.src[this.i + 2] ?? "";
        const negated = name.startsWith("^") !== (next === "P");
        if (name.startsWith("^")) name = name.slice(1);
        const re = unicodeClass(name);
        if (!re) {
          throw new RegexSyntaxError(
            "invalid character class range",
            this.src.slice(this.i, end + 1),
          );
        }
        this.i = braced ? end + 1 : this.i + 3;
        return (cp) => re.test(String.fromCodePoint(cp)) !== negated;
      }
    }
    return undefined;
  }

  /** A single escaped character: `\n`, `\x41`, `\x{263a}`, `\101`, `\.`. */
  private escapedCodePoint(): number {
    const start = this.i;
    const next = this.src[this.i + 1];
    this.i += 2;
    const simple: Record<string, number> = { a: 7, f: 12, t: 9, n: 10, r: 13, v: 11 };
    if (next in simple) return simple[next];
    if (next === "x") {
      const braced = /^\{([0-9a-fA-F]{1,8})\}/.exec(this.src.slice(this.i));
      const plain = /^[0-9a-fA-F]{2}/.exec(this.src.slice(this.i));
      const hex = braced ? braced[1] : plain ? plain[0] : undefined;
      if (hex === undefined) {
        throw new RegexSyntaxError("invalid escape sequence", this.src.slice(start, this.i + 2));
      }
      const cp = parseInt(hex, 16);
      if (cp > 0x10ffff) {
        throw new RegexSyntaxError(
          "invalid escape sequence",
          this.src.slice(start, this.i + hex.length),
        );
      }
      this.i += braced ? braced[0].length : 2;
      return cp;
    }
    if (next >= "0" && next <= "7") {
      const m = /^[0-7]{0,2}/.exec(this.src.slice(this.i))!;
      if (next !== "0" && m[0].length < 2) {
        throw new RegexSyntaxError("invalid escape sequence", this.src.slice(start, this.i));
      }
      this.i += m[0].length;
      return parseInt(next + m[0], 8);
    }
    if (/[!-/:-@[-`{-~]/.test(next)) return next.codePointAt(0)!;
    throw new RegexSyntaxError("invalid escape sequence", this.src.slice(start, this.i));
  }

  private charClass(flags: Flags): Node {
    const start = this.i;
    this.i++;
    let negated = false;
    if (this.src[this.i] === "^") {
      negated = true;
      this.i++;
    }
    const tests: Array<(cp: number) => boolean> = [];
    const ranges: Array<[number, number]> = [];
    let first = true;
    for (;;) {
      if (this.i >= this.src.length) {
        throw new RegexSyntaxError("missing closing ]", this.src.slice(start));
      }
      const c = this.src[this.i];
      if (c === "]" && !first) {
        this.i++;
        break;
      }
      first = false;
      if (c === "[" && this.src[this.i + 1] === ":") {
        const end = this.src.indexOf(":]", this.i + 2);
        const name = end < 0 ? "" : this.src.slice(this.i + 2, end);
        const neg = name.startsWith("^");
        const test = POSIX_CLASSES[neg ? name.slice(1) : name];
        if (!test) {
          throw new RegexSyntaxError(
            "invalid character class range",
            this.src.slice(this.i, end + 2),
          );
        }
        tests.push(neg ? (cp) => !test(cp) : test);
        this.i = end + 2;
        continue;
      }
      if (c === "\\") {
        const test = this.classEscape();
        if (test) {
          tests.push(test);
          continue;
        }
      }
      const lo = this.classChar();
      if (
        this.src[this.i] === "-" && this.src[this.i + 1] !== "]" && this.i + 1 < this.src.length
      ) {
        this.i++;
        const hi = this.classChar();
        if (hi < lo) {
          throw new RegexSyntaxError(
            "invalid character class range",
            this.src.slice(start, this.i),
          );
        }
        ranges.push([lo, hi]);
      } else {
        ranges.push([lo, lo]);
      }
    }
    const inRanges = (cp: number) =>
      ranges.some(([lo, hi]) => cp >= lo && cp <= hi) || tests.some((t) => t(cp));
    const member = flags.i ? foldTest(inRanges) : inRanges;
    return { t: "char", test: negated ? (cp) => !member(cp) : member };
  }

  private classChar(): number {
    if (this.src[this.i] === "\\") {
      const next = this.src[this.i + 1];
      if (next === undefined) throw new RegexSyntaxError("missing closing ]", this.src);
      return this.escapedCodePoint();
    }
    const cp = this.src.codePointAt(this.i)!;
    this.i += cp > 0xffff ? 2 : 1;
    return cp;
  }
}

/** `\pL`, `\p{Lu}`, `\p{Greek}`: a general category or a script. */
function unicodeClass(name: string): RegExp | undefined {
  if (name === "Any") return /^[\s\S]$/u;
  for (const form of [name, `Script=${name}`]) {
    try {
      return new RegExp(`^\\p{${form}}$`, "u");
    } catch {
      // not this form
    }
  }
  return undefined;
}

function applyFlags(flags: Flags, on: string, off: string): Flags {
  const out = { ...flags };
  for (const f of on) out[f as keyof Flags] = true;
  for (const f of off) out[f as keyof Flags] = false;
  return out;
}

function literal(cp: number, flags: Flags): Node {
  if (!flags.i) return { t: "char", test: (c) => c === cp };
  const variants = caseVariants(cp);
  return { t: "char", test: (c) => variants.includes(c) || caseVariants(c).includes(cp) };
}

// ---------------------------------------------------------------------------------------------
// The program.

const CHAR = 0, SPLIT = 1, JMP = 2, SAVE = 3, ASSERT = 4, MATCH = 5;

class Program {
  op: number[] = [];
  x: number[] = [];
  y: number[] = [];
  tests: Array<((cp: number) => boolean) | undefined> = [];
  asserts: Array<Assertion | undefined> = [];

  emit(op: number, x = 0, y = 0): number {
    if (this.op.length >= MAX_PROGRAM) throw new RegexSyntaxError("expression too large", "");
    this.op.push(op);
    this.x.push(x);
    this.y.push(y);
    this.tests.push(undefined);
    this.asserts.push(undefined);
    return this.op.length - 1;
  }

  compile(node: Node): void {
    switch (node.t) {
      case "empty":
        return;
      case "char":
        this.tests[this.emit(CHAR)] = node.test;
        return;
      case "assert":
        this.asserts[this.emit(ASSERT)] = node.kind;
        return;
      case "group":
        if (node.index !== null) this.emit(SAVE, node.index * 2);
        this.compile(node.node);
        if (node.index !== null) this.emit(SAVE, node.index * 2 + 1);
        return;
      case "cat":
        for (const item of node.items) this.compile(item);
        return;
      case "alt": {
        const jumps: number[] = [];
        node.items.forEach((item, k) => {
          if (k < node.items.length - 1) {
            const split = this.emit(SPLIT);
            this.x[split] = split + 1;
            this.compile(item);
            jumps.push(this.emit(JMP));
            this.y[split] = this.op.length;
          } else {
            this.compile(item);
          }
        });
        for (const j of jumps) this.x[j] = this.op.length;
        return;
      }
      case "rep": {
        for (let k = 0; k < node.min; k++) this.compile(node.node);
        if (node.max === Infinity) {
          const split = this.emit(SPLIT);
          this.compile(node.node);
          this.emit(JMP, split);
          this.branch(split, split + 1, this.op.length, node.greedy);
        } else {
          const splits: number[] = [];
          for (let k = node.min; k < node.max; k++) {
            const split = this.emit(SPLIT);
            splits.push(split);
            this.compile(node.node);
          }
          for (const split of splits) this.branch(split, split + 1, this.op.length, node.greedy);
        }
        return;
      }
    }
  }

  private branch(split: number, body: number, after: number, greedy: boolean): void {
    this.x[split] = greedy ? body : after;
    this.y[split] = greedy ? after : body;
  }
}

/** A compiled regular expression. */
export class Regex {
  readonly groupCount: number;
  readonly names: ReadonlyArray<string | undefined>;
  private readonly program: Program;
  private readonly visited: Int32Array;
  private generation = 0;

  constructor(node: Node, groupCount: number, names: Array<string | undefined>) {
    this.program = new Program();
    this.program.emit(SAVE, 0);
    this.program.compile(node);
    this.program.emit(SAVE, 1);
    this.program.emit(MATCH);
    this.groupCount = groupCount;
    this.names = names;
    this.visited = new Int32Array(this.program.op.length);
  }

  /** Whether the pattern matches anywhere in the text. */
  test(text: string): boolean {
    return this.run(text, 0, true) !== null;
  }

  /** The leftmost-first match at or after `from`: UTF-16 offsets of each group (-1 if unset). */
  exec(text: string, from = 0): number[] | null {
    return this.run(text, from, false);
  }

  /** All non-overlapping matches, as Go's FindAll does (at most `limit` unless it is negative). */
  execAll(text: string, limit = -1): number[][] {
    const out: number[][] = [];
    let pos = 0;
    let previousEnd = -1;
    while (pos <= text.length && (limit < 0 || out.length < limit)) {
      const m = this.run(text, pos, false);
      if (!m) break;
      const [start, end] = m;
      if (end === start && start === previousEnd) {
        // An empty match right after the previous match is skipped.
        pos = start + (start < text.length ? codePointWidth(text, start) : 1);
        continue;
      }
      out.push(m);
      if (out.length > LIMITS.maxCollectionSize) fail("too many regular expression matches", -1);
      previousEnd = end;
      pos = end > start ? end : end + (end < text.length ? codePointWidth(text, end) : 1);
    }
    return out;
  }

  private run(text: string, from: number, anyMatch: boolean): number[] | null {
    const { op, x, y, tests, asserts } = this.program;
    const slots = (this.groupCount + 1) * 2;
    let clist: Array<{ pc: number; caps: number[] }> = [];
    let nlist: Array<{ pc: number; caps: number[] }> = [];
    let matched: number[] | null = null;
    let steps = 0;
    const visited = this.visited;
    const stack: Array<{ pc: number; caps: number[] }> = [];
    const add = (
      list: Array<{ pc: number; caps: number[] }>,
      pc0: number,
      caps0: number[],
      pos: number,
    ) => {
      stack.push({ pc: pc0, caps: caps0 });
      while (stack.length > 0) {
        let { pc, caps } = stack.pop()!;
        for (;;) {
          if (++steps > MATCH_BUDGET) fail("regular expression match exceeded its budget", -1);
          if (visited[pc] === this.generation) break;
          visited[pc] = this.generation;
          const o = op[pc];
          if (o === JMP) {
            pc = x[pc];
          } else if (o === SPLIT) {
            stack.push({ pc: y[pc], caps });
            pc = x[pc];
          } else if (o === SAVE) {
            caps = caps.slice();
            caps[x[pc]] = pos;
            pc++;
          } else if (o === ASSERT) {
            if (!assertionHolds(asserts[pc]!, text, pos)) break;
            pc++;
          } else {
            list.push({ pc, caps });
            break;
          }
        }
      }
    };
    const initial = new Array<number>(slots).fill(-1);
    let pos = from;
    this.generation++;
    for (;;) {
      // A new attempt starts at each position, with the lowest priority, until one matched.
      if (matched === null) add(clist, 0, initial, pos);
      else if (clist.length === 0) break;
      const cp = pos < text.length ? text.codePointAt(pos)! : -1;
      const width = cp > 0xffff ? 2 : 1;
      this.generation++;
      for (const thread of clist) {
        if (op[thread.pc] === MATCH) {
          matched = thread.caps;
          if (anyMatch) return matched;
          break; // lower-priority threads lose to this match
        }
        if (cp >= 0 && tests[thread.pc]!(cp)) add(nlist, thread.pc + 1, thread.caps, pos + width);
      }
      if (pos >= text.length) break;
      [clist, nlist] = [nlist, clist];
      nlist.length = 0;
      pos += width;
    }
    return matched;
  }
}

function codePointWidth(text: string, pos: number): number {
  return text.codePointAt(pos)! > 0xffff ? 2 : 1;
}

function assertionHolds(kind: Assertion, text: string, pos: number): boolean {
  switch (kind) {
    case "bol":
    case "bot":
      return pos === 0;
    case "eol":
    case "eot":
      return pos === text.length;
    case "bolm":
      return pos === 0 || text.charCodeAt(pos - 1) === 10;
    case "eolm":
      return pos === text.length || text.charCodeAt(pos) === 10;
    case "word":
    case "nonword": {
      const before = pos > 0 && isWordChar(text.charCodeAt(pos - 1));
      const after = pos < text.length && isWordChar(text.charCodeAt(pos));
      return (before !== after) === (kind === "word");
    }
  }
}

const cache = new Map<string, CompiledRegex>();

/** Compiles a Go regular expression (cached). */
export function compileRegex(pattern: string): CompiledRegex {
  const cached = cache.get(pattern);
  if (cached) return cached;
  let result: CompiledRegex;
  if (pattern.length > LIMITS.maxExpressionLength) {
    result = { ok: false, message: "error parsing regexp: expression too large" };
  } else {
    try {
      const parser = new Parser(pattern);
      const node = parser.parse();
      result = { ok: true, regex: new Regex(node, parser.groupCount, parser.names) };
    } catch (error) {
      if (!(error instanceof RegexSyntaxError)) throw error;
      result = {
        ok: false,
        message: error.fragment === ""
          ? `error parsing regexp: ${error.code}`
          : `error parsing regexp: ${error.code}: \`${error.fragment}\``,
      };
    }
  }
  if (cache.size > 1024) cache.clear();
  cache.set(pattern, result);
  return result;
}
