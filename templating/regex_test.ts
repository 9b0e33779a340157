import { deepStrictEqual, equal, ok as assert, throws } from "node:assert/strict";
import { compileRegex, type Regex } from "./regex.ts";
import { TemplatingFailure } from "./result.ts";

function compiled(pattern: string): Regex {
  const result = compileRegex(pattern);
  assert(result.ok, `${pattern}: ${!result.ok && result.message}`);
  return result.regex;
}

/** The text of each group of the first match (null if unset), or null for no match. */
function groups(pattern: string, text: string): Array<string | null> | null {
  const m = compiled(pattern).exec(text);
  if (!m) return null;
  return Array.from(
    { length: m.length / 2 },
    (_, i) => m[2 * i] < 0 ? null : text.slice(m[2 * i], m[2 * i + 1]),
  );
}

Deno.test("regex: (a|a)*$ on a long text completes (RE2 does not backtrack)", () => {
  const text = "a".repeat(50_000) + "b";
  // Unanchored, it matches the empty string at the end; anchored, not at all.
  equal(compiled("(a|a)*$").test(text), true);
  deepStrictEqual(compiled("(a|a)*$").exec(text), [50_001, 50_001, -1, -1]);
  equal(compiled("^(a|a)*$").test(text), false);
  equal(compiled("^(a|a)*$").exec(text), null);
  equal(compiled("^(a+)+$").test(text), false);
});

Deno.test("regex: named groups, as Go names them", () => {
  const re = compiled("(?P<year>\\d{4})-(?<month>\\d{2})(x)?");
  equal(re.groupCount, 3);
  deepStrictEqual(re.names, [undefined, "year", "month", undefined]);
  deepStrictEqual(groups("(?P<year>\\d{4})-(?<month>\\d{2})(x)?", "on 2024-05."), [
    "2024-05",
    "2024",
    "05",
    null,
  ]);
  // Go accepts a name used twice (SubexpNames lists both); RE2/J alone would refuse it.
  const twice = compiled("(?P<n>a)|(?P<n>b)|[(?P<n>]\\Q(?P<n>\\E");
  deepStrictEqual(twice.names, [undefined, "n", "n"]);
  deepStrictEqual(groups("(?P<n>a)|(?P<n>b)|[(?P<n>]\\Q(?P<n>\\E", "b"), ["b", null, "b"]);
  const refused = compileRegex("(?P<n>a)(?<n>b)(");
  assert(!refused.ok);
  equal(refused.message, "error parsing regexp: missing closing ): `(?P<n>a)(?<n>b)(`");
});

Deno.test("regex: Unicode classes and case folding", () => {
  equal(compiled("^\\pL+$").test("héllo"), true);
  equal(compiled("^\\pL+$").test("h3llo"), false);
  equal(compiled("^\\p{Greek}+$").test("αβγ"), true);
  equal(compiled("^\\PL$").test("1"), true);
  equal(compiled("(?i)^hello$").test("HeLLo"), true);
  equal(compiled("(?i:h)ello").test("HELLO"), false);
  // Go folds case by Unicode orbits: k, K and the Kelvin sign; σ, ς and Σ.
  equal(compiled("(?i)^k$").test("\u212a"), true);
  equal(compiled("(?i)^σ+$").test("Σς"), true);
  // \w and \b are ASCII in RE2.
  equal(compiled("^\\w$").test("é"), false);
});

Deno.test("regex: Go's FindAll around empty matches, in UTF-16 offsets", () => {
  const spans = (pattern: string, text: string, limit = -1) =>
    compiled(pattern).execAll(text, limit).map((m) => [m[0], m[1]]);
  deepStrictEqual(spans("a*", "baaac"), [[0, 0], [1, 4], [5, 5]]);
  deepStrictEqual(spans("x*", "😀😀"), [[0, 0], [2, 2], [4, 4]]);
  deepStrictEqual(spans("b", "😀b😀b"), [[2, 3], [5, 6]]);
  deepStrictEqual(spans("a", "aaaa", 2), [[0, 1], [1, 2]]);
  // A search from an offset still sees the text before it.
  deepStrictEqual(compiled("^b").exec("ab", 1), null);
  deepStrictEqual(compiled("\\bb").exec("a b", 2), [2, 3]);
});

Deno.test("regex: our own bounds, in Go's words", () => {
  const large = compileRegex("[ab]{1,1000}".repeat(11));
  assert(!large.ok);
  equal(large.message, "error parsing regexp: expression too large");
  const nested = compileRegex("(".repeat(1001) + ")".repeat(1001));
  assert(!nested.ok);
  equal(nested.message, "error parsing regexp: expression nests too deeply");
  const long = compileRegex("a".repeat(300 * 1024));
  assert(!long.ok);
  equal(long.message, "error parsing regexp: expression too large");
  // A search costs at most (program size x text length); beyond that it is refused.
  const costly = compiled("[ab]{1,1000}$");
  throws(() => costly.test("ab".repeat(100_000)), TemplatingFailure);
  throws(() => costly.execAll("ab".repeat(100_000)), TemplatingFailure);
  equal(compiled("x").test("y".repeat(10_000_000)), false);
});
