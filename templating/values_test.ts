import { deepStrictEqual, equal, ok as assert, throws } from "node:assert/strict";
import {
  ExprDuration,
  ExprTime,
  goDurationString,
  goFloatString,
  goJson,
  goString,
  newMap,
  valuesEqual,
} from "./values.ts";
import { formatTime, parseDuration, parseTime } from "./dates.ts";
import { compileRegex } from "./regex.ts";
import { jsonPathLookup } from "./jsonpath.ts";
import { TemplatingFailure } from "./result.ts";

Deno.test("values: Go's %v for floats", () => {
  const cases: Array<[number, string]> = [
    [0, "0"],
    [1, "1"],
    [1.5, "1.5"],
    [-2.25, "-2.25"],
    [100000, "100000"],
    [999999, "999999"],
    [1000000, "1e+06"],
    [1234567, "1.234567e+06"],
    [0.0001, "0.0001"],
    [0.00001, "1e-05"],
    [1e21, "1e+21"],
    [1e100, "1e+100"],
    [NaN, "NaN"],
    [Infinity, "+Inf"],
    [-Infinity, "-Inf"],
  ];
  for (const [value, expected] of cases) equal(goFloatString(value), expected, String(value));
});

Deno.test("values: Go's %v for values", () => {
  equal(goString(null), "<nil>");
  equal(goString(true), "true");
  equal(goString(42), "42");
  equal(goString(2.5), "2.5");
  equal(goString("s"), "s");
  equal(goString([1, "a", [true]]), "[1 a [true]]");
  equal(goString({ b: 1, a: [2] }), "map[a:[2] b:1]");
  equal(
    goString(new ExprTime(Date.UTC(2024, 0, 2, 3, 4, 5, 600))),
    "2024-01-02 03:04:05.6 +0000 UTC",
  );
  equal(goString(new ExprDuration(90e9)), "1m30s");
});

Deno.test("values: Go durations print as Go does", () => {
  const cases: Array<[number, string]> = [
    [0, "0s"],
    [1, "1ns"],
    [1500, "1.5µs"],
    [1_500_000, "1.5ms"],
    [1e9, "1s"],
    [1.5e9, "1.5s"],
    [3600e9, "1h0m0s"],
    [5400e9 + 5e9, "1h30m5s"],
    [-90e9, "-1m30s"],
  ];
  for (const [nanos, expected] of cases) equal(goDurationString(nanos), expected, String(nanos));
});

Deno.test("values: JSON as Go's encoding/json writes it", () => {
  equal(goJson({ b: 1, a: "x" }), '{"a":"x","b":1}');
  equal(goJson([1, 2.5, null, true]), "[1,2.5,null,true]");
  equal(goJson("<a & b>"), '"\\u003ca \\u0026 b\\u003e"');
  equal(goJson("line\nbreak\t\u0001"), '"line\\nbreak\\t\\u0001"');
  equal(goJson("\u2028"), '"\\u2028"');
  equal(goJson(1e21), "1e+21");
  equal(goJson(1e-7), "1e-7");
  equal(goJson(0.000001), "0.000001");
  equal(goJson({ a: [1] }, "  "), '{\n  "a": [\n    1\n  ]\n}');
  equal(goJson({}), "{}");
  equal(goJson([]), "[]");
  equal(goJson(new ExprTime(Date.UTC(2024, 0, 2))), '"2024-01-02T00:00:00Z"');
  equal(goJson(new ExprDuration(1500)), "1500");
  const unsupported = () => goJson(NaN);
  throws(unsupported, TemplatingFailure);
  const map = newMap();
  Object.defineProperty(map, "__proto__", { value: 1, enumerable: true });
  equal(goJson(map), '{"__proto__":1}');
});

Deno.test("values: equality", () => {
  assert(valuesEqual(1, 1.0));
  assert(valuesEqual(null, undefined));
  assert(valuesEqual([1, { a: "x" }], [1, { a: "x" }]));
  assert(!valuesEqual([1], [1, 2]));
  assert(!valuesEqual({ a: 1 }, { a: 1, b: 2 }));
  assert(!valuesEqual("1", 1));
  assert(valuesEqual(new ExprTime(5), new ExprTime(5)));
});

Deno.test("dates: Go layouts", () => {
  const t = new ExprTime(Date.UTC(2024, 2, 5, 14, 7, 9, 120));
  const cases: Array<[string, string]> = [
    ["2006-01-02T15:04:05Z07:00", "2024-03-05T14:07:09Z"],
    ["2006-01-02T15:04:05.000Z07:00", "2024-03-05T14:07:09.120Z"],
    ["2006-01-02T15:04:05.999Z07:00", "2024-03-05T14:07:09.12Z"],
    ["Jan 2, 2006 at 3:04pm (MST)", "Mar 5, 2024 at 2:07pm (UTC)"],
    ["Monday January _2 03:04:05 PM", "Tuesday March  5 02:07:09 PM"],
    ["06/1/2 002", "24/3/5 065"],
    ["-0700 -07:00 Z0700", "+0000 +00:00 Z"],
  ];
  for (const [layout, expected] of cases) equal(formatTime(t, layout), expected, layout);
  const zoned = new ExprTime(Date.UTC(2024, 2, 5, 14, 7, 9), 0, 90, "");
  equal(formatTime(zoned, "15:04 -07:00 MST"), "15:37 +01:30 +0130");

  const parsed = parseTime("2006-01-02T15:04:05Z07:00", "2024-03-05T14:07:09.5+02:00");
  assert(parsed.ok);
  equal(parsed.time.ms, Date.UTC(2024, 2, 5, 12, 7, 9, 500));
  equal(parsed.time.offsetMinutes, 120);
  const kitchen = parseTime("3:04PM", "11:30AM");
  assert(kitchen.ok);
  equal(formatTime(kitchen.time, "15:04"), "11:30");
  const bad = parseTime("2006-01-02", "2024-02-30");
  assert(!bad.ok);
  equal(bad.message, 'parsing time "2024-02-30": day out of range');
  const extra = parseTime("2006-01-02", "2024-02-03x");
  assert(!extra.ok);
  equal(extra.message, 'parsing time "2024-02-03x": extra text: "x"');
});

Deno.test("dates: Go durations", () => {
  const cases: Array<[string, number | string]> = [
    ["1h", 3.6e12],
    ["1h30m", 5.4e12],
    ["-1.5s", -1.5e9],
    ["300ms", 3e8],
    ["2us", 2000],
    ["2µs", 2000],
    ["1ns", 1],
    ["0", 0],
    ["1", 'time: missing unit in duration "1"'],
    ["1d", 'time: unknown unit "d" in duration "1d"'],
    ["", 'time: invalid duration ""'],
    ["h", 'time: invalid duration "h"'],
  ];
  for (const [text, expected] of cases) {
    const result = parseDuration(text);
    if (typeof expected === "number") {
      assert(result.ok, text);
      equal(result.duration.nanos, expected, text);
    } else {
      assert(!result.ok, text);
      equal(result.message, expected, text);
    }
  }
});

Deno.test("regex: RE2 syntax and semantics", () => {
  const matches: Array<[string, string, boolean]> = [
    ["^a+$", "aaa", true],
    ["(?i)^abc$", "ABC", true],
    ["(?i:a)b", "Ab", true],
    ["(?i:a)b", "AB", false],
    ["(?P<word>\\w+)", "hi", true],
    ["(?<word>\\w+)", "hi", true],
    ["\\Aab\\z", "ab", true],
    ["\\Aab\\z", "ab\n", false],
    ["ab$", "ab\n", false],
    ["(?m)ab$", "ab\nc", true],
    ["^c", "ab\nc", false],
    ["(?m)^c", "ab\nc", true],
    ["a.c", "a\nc", false],
    ["(?s)a.c", "a\nc", true],
    ["[[:digit:]]+", "x12", true],
    ["[^[:alpha:]]", "abc", false],
    ["\\Q1.5\\E", "105", false],
    ["\\Q1.5\\E", "1.5", true],
    ["\\pL+", "é", true],
    ["\\p{Greek}", "α", true],
    ["\\PL", "a", false],
    ["(ab){2}", "abab", true],
    ["^(ab){2}$", "ab", false],
    ["(a|b)*c", "ababc", true],
    ["\\bfoo\\b", "a foo b", true],
    ["\\bfoo\\b", "afoob", false],
    ["\\d{3}-\\d{4}", "555-1234", true],
    ["[\\]a-]+", "]-a", true],
    ["x*", "", true],
    ["(a|a)*$", "aa!", true],
    ["\\x41\\x{42}\\101", "ABA", true],
    ["😀+", "😀😀", true],
    ["^.$", "😀", true],
  ];
  for (const [pattern, text, expected] of matches) {
    const compiled = compileRegex(pattern);
    assert(compiled.ok, `${pattern}: ${!compiled.ok && compiled.message}`);
    equal(compiled.regex.test(text), expected, `${pattern} on ${JSON.stringify(text)}`);
  }
});

Deno.test("regex: leftmost-first submatches, as Go reports them", () => {
  const find = (pattern: string, text: string) => {
    const compiled = compileRegex(pattern);
    assert(compiled.ok, pattern);
    const m = compiled.regex.exec(text);
    return m
      ? Array.from(
        { length: m.length / 2 },
        (_, i) => m[2 * i] < 0 ? null : text.slice(m[2 * i], m[2 * i + 1]),
      )
      : null;
  };
  deepStrictEqual(find("a(x*)b", "-axxb-"), ["axxb", "xx"]);
  deepStrictEqual(find("(a|ab)(c|bcd)", "abcd"), ["abcd", "a", "bcd"]);
  deepStrictEqual(find("a*?", "aaa"), [""]);
  deepStrictEqual(find("a+?", "aaa"), ["a"]);
  deepStrictEqual(find("(a)|(b)", "b"), ["b", null, "b"]);
  deepStrictEqual(find("z", "abc"), null);
  const all = compileRegex("a*");
  assert(all.ok);
  deepStrictEqual(all.regex.execAll("baaac").map((m) => [m[0], m[1]]), [[0, 0], [1, 4], [5, 5]]);
});

Deno.test("regex: linear time, even for patterns that make backtracking engines explode", () => {
  const cases: Array<[string, string]> = [
    ["^(a|a)*$", "a".repeat(40) + "!"],
    ["(a+)+$", "a".repeat(40) + "!"],
    ["a*a*a*a*a*a*c", "a".repeat(5000)],
    ["(x+x+)+y", "x".repeat(5000)],
    ["^(\\s*)*$", " ".repeat(5000) + "!"],
  ];
  for (const [pattern, text] of cases) {
    const compiled = compileRegex(pattern);
    assert(compiled.ok, pattern);
    const start = performance.now();
    equal(compiled.regex.test(text), false, pattern);
    const elapsed = performance.now() - start;
    assert(elapsed < 1000, `${pattern} took ${elapsed.toFixed(0)} ms`);
  }
  const huge = compileRegex("(a|b){1,500}z");
  assert(huge.ok);
  throws(() => huge.regex.test("a".repeat(200_000)), TemplatingFailure);
});

Deno.test("regex: what RE2 refuses is refused, in Go's words", () => {
  const refused: Array<[string, string]> = [
    ["(a)\\1", "error parsing regexp: invalid escape sequence: `\\1`"],
    ["(?=a)", "error parsing regexp: invalid or unsupported Perl syntax: `(?=`"],
    ["(?!a)", "error parsing regexp: invalid or unsupported Perl syntax: `(?!`"],
    ["(?<!a)", "error parsing regexp: invalid named capture: `(?<!a)`"],
    ["(a", "error parsing regexp: missing closing ): `(a`"],
    ["a)", "error parsing regexp: unexpected ): `a)`"],
    ["[a", "error parsing regexp: missing closing ]: `[a`"],
    ["[z-a]", "error parsing regexp: invalid character class range: `z-a`"],
    ["a{2000}", "error parsing regexp: invalid repeat count: `{2000}`"],
    ["a**", "error parsing regexp: invalid nested repetition operator: `**`"],
    ["*a", "error parsing regexp: missing argument to repetition operator: `*`"],
    ["a\\", "error parsing regexp: trailing backslash at end of expression"],
    ["\\q", "error parsing regexp: invalid escape sequence: `\\q`"],
    ["[[:nope:]]", "error parsing regexp: invalid character class range: `[:nope:]`"],
    ["((((a{1000}){1000}){1000}){1000})", "error parsing regexp: invalid repeat count: `{1000}`"],
  ];
  for (const [pattern, message] of refused) {
    const compiled = compileRegex(pattern);
    assert(!compiled.ok, pattern);
    equal(compiled.message, message, pattern);
  }
});

Deno.test("jsonpath: the forms Argo users write", () => {
  const doc = JSON.parse(
    '{"store": {"book": [{"title": "A", "price": 8}, {"title": "B", "price": 12, "isbn": "x"}],' +
      ' "name": "s", "a-b": 1}, "list": [1, 2, 3, 4]}',
  );
  const cases: Array<[string, unknown]> = [
    ["$.store.name", "s"],
    ["$['store']['name']", "s"],
    ["$.store['a-b']", 1],
    ["$.store.book[0].title", "A"],
    ["$.store.book[-1].title", "B"],
    ["$.store.book[*].title", ["A", "B"]],
    ["$.list[1:3]", [2, 3]],
    ["$.list[0,2]", [1, 3]],
    ["$..title", ["A", "B"]],
    ["$.store.book[?(@.price < 10)].title", ["A"]],
    ["$.store.book[?(@.isbn)].title", ["B"]],
    ["$.store.book[?(@.title == 'B')].price", [12]],
    ["$", doc],
  ];
  for (const [path, expected] of cases) {
    const result = jsonPathLookup(doc, path);
    assert(result.ok, `${path}: ${!result.ok && result.message}`);
    equal(JSON.stringify(result.value), JSON.stringify(expected), path);
  }
  const missing = jsonPathLookup(doc, "$.nope");
  assert(!missing.ok);
  equal(missing.message, "key error: nope not found in object");
  const bad = jsonPathLookup(doc, "$.store[");
  assert(!bad.ok);
});
