/**
 * Go (RE2) regular expressions, matched in linear time, on top of the `re2js` package.
 *
 * Argo's expressions (`matches`, sprig's `regex*` functions, govaluate's `=~` and `!~`) run Go's
 * `regexp`, which is RE2: no back-references or look-around, `$` without `(?m)` matches only at
 * the end of the text, `\w`/`\b` are ASCII, `\pL`, `\p{Greek}`, `(?P<name>...)`, `(?i)` and
 * friends are available, and matching is leftmost-first. JavaScript's own `RegExp` has a
 * different syntax and backtracks (`(a|a)*$` on forty characters runs for minutes), so patterns
 * from workflows must not reach it. `re2js` is a port of RE2/J, itself a port of Go's engine: same
 * syntax, same match semantics, Go's error messages, and time linear in the text.
 *
 * Linear is still "program size times text length", and RE2 accepts programs of millions of
 * instructions, so two bounds stay ours: a pattern may compile to at most {@link MAX_PROGRAM}
 * instructions (longer ones are refused as Go refuses over-large ones, "expression too large"),
 * and one search may cost at most {@link MATCH_BUDGET} instruction-characters (program size
 * times the length of the text searched); beyond that it fails with a budget error. Offsets are
 * UTF-16 indexes into the JavaScript string.
 *
 * @module
 */
import { type Matcher, RE2JS, RE2JSSyntaxException } from "re2js";
import { fail, LIMITS } from "./result.ts";

/** A compiled pattern, or why it was refused (in Go's wording). */
export type CompiledRegex = { ok: true; regex: Regex } | { ok: false; message: string };

/** Instructions one compiled pattern may have (Go allows far more; we bound the work). */
const MAX_PROGRAM = 20_000;
/** Program size times searched text length one search may cost (about a second at worst). */
const MATCH_BUDGET = 100_000_000;

/** A compiled regular expression. */
export class Regex {
  /** Capturing groups, not counting the whole match. */
  readonly groupCount: number;
  /** The name of each group by index (index 0, the whole match, has none). */
  readonly names: ReadonlyArray<string | undefined>;
  private readonly size: number;

  /** `renamed` holds the original group openings behind stand-in names (see {@link uniqueNames}). */
  constructor(private readonly re: RE2JS, renamed?: ReadonlyArray<string>) {
    this.groupCount = re.groupCount();
    const names = new Array<string | undefined>(this.groupCount + 1).fill(undefined);
    for (const [name, index] of Object.entries(re.namedGroups())) {
      names[index] = renamed ? /<(\w+)>/.exec(renamed[Number(name.slice(1))])![1] : name;
    }
    this.names = names;
    this.size = re.programSize();
  }

  /** Whether the pattern matches anywhere in the text. */
  test(text: string): boolean {
    this.charge(text.length);
    return this.re.test(text);
  }

  /** The leftmost-first match at or after `from`: UTF-16 offsets of each group (-1 if unset). */
  exec(text: string, from = 0): number[] | null {
    this.charge(text.length - from);
    const m = this.re.matcher(text);
    return m.find(from) ? this.offsets(m) : null;
  }

  /** All non-overlapping matches, as Go's FindAll does (at most `limit` unless it is negative). */
  execAll(text: string, limit = -1): number[][] {
    const out: number[][] = [];
    const m = this.re.matcher(text);
    let pos = 0;
    let previousEnd = -1;
    while (pos <= text.length && (limit < 0 || out.length < limit)) {
      this.charge(text.length - pos);
      if (!m.find(pos)) break;
      const [start, end] = [m.start(), m.end()];
      if (end === start && start === previousEnd) {
        // An empty match right after the previous match is skipped.
        pos = start + codePointWidth(text, start);
        continue;
      }
      out.push(this.offsets(m));
      if (out.length > LIMITS.maxCollectionSize) fail("too many regular expression matches", -1);
      previousEnd = end;
      pos = end > start ? end : end + codePointWidth(text, end);
    }
    return out;
  }

  private offsets(m: Matcher): number[] {
    const out: number[] = [];
    for (let g = 0; g <= this.groupCount; g++) out.push(m.start(g), m.end(g));
    return out;
  }

  private charge(length: number): void {
    if (this.size * (length + 1) > MATCH_BUDGET) {
      fail("regular expression match exceeded its budget", -1);
    }
  }
}

/** The UTF-16 width of the code point at `pos` (1 at the end of the text). */
function codePointWidth(text: string, pos: number): number {
  return pos < text.length && text.codePointAt(pos)! > 0xffff ? 2 : 1;
}

const cache = new Map<string, CompiledRegex>();

/** Compiles a Go regular expression (cached). */
export function compileRegex(pattern: string): CompiledRegex {
  const cached = cache.get(pattern);
  if (cached) return cached;
  const result = compile(pattern);
  if (cache.size > 1024) cache.clear();
  cache.set(pattern, result);
  return result;
}

function compile(pattern: string): CompiledRegex {
  const tooLarge = { ok: false, message: "error parsing regexp: expression too large" } as const;
  if (pattern.length > LIMITS.maxExpressionLength) return tooLarge;
  let re: RE2JS;
  let renamed: string[] | undefined;
  try {
    try {
      re = RE2JS.compile(pattern);
    } catch (error) {
      if (!(error instanceof RE2JSSyntaxException)) throw error;
      if (error.getDescription() !== "duplicate capture group name") throw error;
      const unique = uniqueNames(pattern);
      renamed = unique.names;
      re = RE2JS.compile(unique.pattern);
    }
  } catch (error) {
    if (!(error instanceof RE2JSSyntaxException)) throw error;
    // RE2/J words its errors as Go does: "error parsing regexp: <code>: `<fragment>`".
    let message = error.message;
    if (renamed) message = message.replace(/\(\?P<_(\d+)>/g, (_, k) => renamed![Number(k)]);
    return { ok: false, message };
  }
  return re.programSize() > MAX_PROGRAM ? tooLarge : { ok: true, regex: new Regex(re, renamed) };
}

const NAMED_GROUP = /\(\?P?<([A-Za-z0-9_]+)>/y;

/**
 * Go lets two groups share a name (`(?P<x>a)|(?P<x>b)`); RE2/J refuses. Renames each named group
 * to `_<k>`, skipping escapes, `\Q...\E` and character classes as Go's parser does, and returns
 * each group's original opening (`(?P<x>`) by `k`.
 */
function uniqueNames(pattern: string): { pattern: string; names: string[] } {
  const names: string[] = [];
  let out = "";
  let i = 0;
  let posixEnd = -2; // the next `:]` at or after where it was last looked for (-1: none)
  while (i < pattern.length) {
    let next = i + 1;
    NAMED_GROUP.lastIndex = i;
    const group = NAMED_GROUP.exec(pattern);
    if (group) {
      out += `(?P<_${names.length}>`;
      names.push(group[0]);
      i += group[0].length;
      continue;
    }
    if (pattern.startsWith("\\Q", i)) {
      const end = pattern.indexOf("\\E", i + 2);
      next = end < 0 ? pattern.length : end + 2;
    } else if (pattern[i] === "\\") {
      next = i + 2;
    } else if (pattern[i] === "[") {
      // A class ends at the first `]` that is not its first member, escaped, or in `[:name:]`.
      next = i + (pattern[i + 1] === "^" ? 2 : 1);
      if (pattern[next] === "]") next++;
      while (next < pattern.length && pattern[next] !== "]") {
        if (pattern.startsWith("[:", next) && posixEnd !== -1 && posixEnd < next + 2) {
          posixEnd = pattern.indexOf(":]", next + 2);
        }
        const named = pattern.startsWith("[:", next) ? posixEnd : -1;
        next = named >= 0 ? named + 2 : next + (pattern[next] === "\\" ? 2 : 1);
      }
      next++;
    }
    out += pattern.slice(i, next);
    i = next;
  }
  return { pattern: out, names };
}
