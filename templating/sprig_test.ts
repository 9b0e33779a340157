import { deepStrictEqual, equal, ok as assert } from "node:assert/strict";
import { evaluateExpression, goJson } from "./mod.ts";

const NOW = Date.UTC(2024, 2, 5, 10, 30, 0);
const ENV = { s: "  hello  ", list: ["b", "a", "c"], m: { a: 1, b: { c: 2 } } };

function check(cases: Array<[string, unknown]>): void {
  for (const [source, expected] of cases) {
    const result = evaluateExpression(source, ENV, { now: NOW });
    if (!result.ok) throw new Error(`${source}: ${result.error.message}`);
    const value = result.value;
    const shown = value !== null && typeof value === "object" ? JSON.parse(goJson(value)) : value;
    deepStrictEqual(shown, expected, source);
  }
}

Deno.test("sprig: strings", () => {
  check([
    ["sprig.trim(s)", "hello"],
    ["sprig.trimAll('$', '$5.00$')", "5.00"],
    ["sprig.trimPrefix('-', '-hello')", "hello"],
    ["sprig.trimSuffix('-', 'hello-')", "hello"],
    ["sprig.upper('hello')", "HELLO"],
    ["sprig.lower('HELLO')", "hello"],
    ["sprig.title('hello world')", "Hello World"],
    ["sprig.untitle('Hello World')", "hello world"],
    ["sprig.repeat(3, 'hello')", "hellohellohello"],
    ["sprig.substr(0, 5, 'hello world')", "hello"],
    ["sprig.nospace('hello w o r l d')", "helloworld"],
    ["sprig.trunc(5, 'hello world')", "hello"],
    ["sprig.trunc(-5, 'hello world')", "world"],
    ["sprig.abbrev(5, 'hello world')", "he..."],
    ["sprig.initials('First Try')", "FT"],
    ["sprig.wrap(5, 'Hello World')", "Hello\nWorld"],
    ["sprig.contains('cat', 'catch')", true],
    ["sprig.hasPrefix('cat', 'catch')", true],
    ["sprig.hasSuffix('cat', 'catch')", false],
    ["sprig.quote('hello')", '"hello"'],
    ["sprig.quote('a\"b')", '"a\\"b"'],
    ["sprig.squote('hello')", "'hello'"],
    ["sprig.cat('hello', 'beautiful', 'world')", "hello beautiful world"],
    ["sprig.indent(4, 'a\\nb')", "    a\n    b"],
    ["sprig.nindent(2, 'a')", "\n  a"],
    ["sprig.replace(' ', '-', 'I Am Henry VIII')", "I-Am-Henry-VIII"],
    ["sprig.plural('one anchovy', 'many anchovies', 1)", "one anchovy"],
    ["sprig.plural('one anchovy', 'many anchovies', 2)", "many anchovies"],
    ["sprig.snakecase('FirstName')", "first_name"],
    ["sprig.kebabcase('FirstName')", "first-name"],
    ["sprig.camelcase('http_server')", "HttpServer"],
    ["sprig.swapcase('This Is A.Test')", "tHIS iS a.tEST"],
    ["sprig.toString(42)", "42"],
    ["sprig.toStrings([1, 2, 3])", ["1", "2", "3"]],
    ["sprig.join('-', ['a', 'b', 1])", "a-b-1"],
    ["sprig.splitList('$', 'foo$bar$baz')", ["foo", "bar", "baz"]],
    ["sprig.split('$', 'foo$bar')", { _0: "foo", _1: "bar" }],
    ["sprig.splitn('$', 2, 'foo$bar$baz')", { _0: "foo", _1: "bar$baz" }],
    ["sprig.sortAlpha(list)", ["a", "b", "c"]],
  ]);
});

Deno.test("sprig: regular expressions", () => {
  check([
    ["sprig.regexMatch('^[a-z]+@[a-z]+\\\\.com$', 'test@acme.com')", true],
    ["sprig.regexMatch('(', 'x')", false],
    ["sprig.regexFindAll('[2,4,6,8]', '123456789', -1)", ["2", "4", "6", "8"]],
    ["sprig.regexFindAll('[2,4,6,8]', '123456789', 2)", ["2", "4"]],
    ["sprig.regexFind('[a-zA-Z][1-9]', 'abcd1234')", "d1"],
    ["sprig.regexReplaceAll('a(x*)b', '-ab-axxb-', '${1}W')", "-W-xxW-"],
    ["sprig.regexReplaceAllLiteral('a(x*)b', '-ab-axxb-', '${1}')", "-${1}-${1}-"],
    ["sprig.regexSplit('z+', 'pizza', -1)", ["pi", "a"]],
    ["sprig.regexQuoteMeta('1.2.3')", "1\\.2\\.3"],
  ]);
  const bad = evaluateExpression("sprig.mustRegexMatch('(', 'x')", {});
  assert(!bad.ok);
  equal(bad.error.message, "error parsing regexp: missing closing ): `(`");
});

Deno.test("sprig: math", () => {
  check([
    ["sprig.add(1, 2, 3)", 6],
    ["sprig.add('1', 2)", 3],
    ["sprig.add1(41)", 42],
    ["sprig.sub(5, 3)", 2],
    ["sprig.mul(2, 3, 4)", 24],
    ["sprig.div(7, 2)", 3],
    ["sprig.mod(7, 2)", 1],
    ["sprig.max(1, 5, 3)", 5],
    ["sprig.min(1, 5, 3)", 1],
    ["sprig.biggest(1, 5)", 5],
    ["sprig.floor(1.9)", 1],
    ["sprig.ceil(1.1)", 2],
    ["sprig.round(123.555555, 3)", 123.556],
    ["sprig.round(123.5555, 3, 0.6)", 123.555],
    ["sprig.int('42')", 42],
    ["sprig.int('nope')", 0],
    ["sprig.int('0x1F')", 31],
    ["sprig.int('010')", 8],
    ["sprig.int('3.0')", 3],
    ["sprig.int64(2.9)", 2],
    ["sprig.float64('1.5')", 1.5],
    ["sprig.atoi('12')", 12],
    ["sprig.addf(1.5, 2)", 3.5],
    ["sprig.subf(5, 1.5)", 3.5],
    ["sprig.mulf(1.5, 2)", 3],
    ["sprig.divf(3, 2)", 1.5],
    ["sprig.maxf(1, 2.5)", 2.5],
    ["sprig.until(3)", [0, 1, 2]],
    ["sprig.untilStep(3, 6, 2)", [3, 5]],
    ["sprig.seq(3)", "1 2 3"],
    ["sprig.seq(2, 4)", "2 3 4"],
    ["sprig.seq(0, 2, 6)", "0 2 4 6"],
    ["sprig.seq(3, 1)", "3 2 1"],
  ]);
  const zero = evaluateExpression("sprig.div(1, 0)", {});
  assert(!zero.ok);
  equal(zero.error.message, "runtime error: integer divide by zero");
});

Deno.test("sprig: lists", () => {
  check([
    ["sprig.list(1, 2, 3)", [1, 2, 3]],
    ["sprig.first(list)", "b"],
    ["sprig.rest([1, 2, 3])", [2, 3]],
    ["sprig.last([1, 2, 3])", 3],
    ["sprig.initial([1, 2, 3])", [1, 2]],
    ["sprig.append([1, 2], 3)", [1, 2, 3]],
    ["sprig.prepend([1, 2], 0)", [0, 1, 2]],
    ["sprig.concat([1], [2, 3], [])", [1, 2, 3]],
    ["sprig.reverse([1, 2, 3])", [3, 2, 1]],
    ["sprig.uniq([1, 1, 2, 1])", [1, 2]],
    ["sprig.without([1, 2, 3, 4], 1, 3)", [2, 4]],
    ["sprig.has(4, [1, 2, 3, 4])", true],
    ["sprig.has('x', nil)", false],
    ["sprig.compact([1, '', nil, 0, 'a'])", [1, "a"]],
    ["sprig.slice([1, 2, 3, 4], 1, 3)", [2, 3]],
    ["sprig.slice([1, 2, 3, 4], 1)", [2, 3, 4]],
    ["sprig.chunk(2, [1, 2, 3])", [[1, 2], [3]]],
  ]);
  const bad = evaluateExpression("sprig.first('x')", {});
  assert(!bad.ok);
  equal(bad.error.message, "Cannot find first on type string");
});

Deno.test("sprig: dicts", () => {
  check([
    ["sprig.dict('name1', 'value1', 'name2', 'value2')", { name1: "value1", name2: "value2" }],
    ["sprig.get(m, 'a')", 1],
    ["sprig.get(m, 'zz')", ""],
    ["sprig.set(m, 'z', 3).z", 3],
    ["sprig.hasKey(sprig.set(m, 'z', 3), 'z')", true],
    ["sprig.hasKey(m, 'z')", false],
    ["sprig.unset(m, 'a')", { b: { c: 2 } }],
    ["sprig.pluck('a', {a: 1}, {b: 2}, {a: 3})", [1, 3]],
    ["sprig.keys({b: 1}, {a: 2})", ["a", "b"]],
    ["sprig.values({b: 1, a: 2})", [2, 1]],
    ["sprig.pick(m, 'a')", { a: 1 }],
    ["sprig.omit(m, 'a')", { b: { c: 2 } }],
    ["sprig.merge({a: 1, n: {x: 1}}, {a: 2, b: 3, n: {y: 2}})", { a: 1, b: 3, n: { x: 1, y: 2 } }],
    ["sprig.mergeOverwrite({a: 1}, {a: 2, b: 3})", { a: 2, b: 3 }],
    ["sprig.deepCopy(m)", { a: 1, b: { c: 2 } }],
    ["sprig.dig('b', 'c', 'default', m)", 2],
    ["sprig.dig('b', 'x', 'default', m)", "default"],
  ]);
  // The environment's own maps are never changed.
  check([["m", { a: 1, b: { c: 2 } }]]);
});

Deno.test("sprig: defaults, flow and reflection", () => {
  check([
    ["sprig.default('foo', '')", "foo"],
    ["sprig.default('foo', 'bar')", "bar"],
    ["sprig.default('foo', 0)", "foo"],
    ["sprig.default('foo', nil)", "foo"],
    ["sprig.default('foo')", "foo"],
    ["sprig.empty('')", true],
    ["sprig.empty([])", true],
    ["sprig.empty({})", true],
    ["sprig.empty(0)", true],
    ["sprig.empty(false)", true],
    ["sprig.empty('x')", false],
    ["sprig.coalesce(nil, '', 'x')", "x"],
    ["sprig.all('a', 1)", true],
    ["sprig.all('a', 0)", false],
    ["sprig.any('', 1)", true],
    ["sprig.ternary('yes', 'no', true)", "yes"],
    ["sprig.ternary('yes', 'no', false)", "no"],
    ["sprig.typeOf('x')", "string"],
    ["sprig.typeOf(1.5)", "float64"],
    ["sprig.typeOf([])", "[]interface {}"],
    ["sprig.kindOf({})", "map"],
    ["sprig.kindOf([])", "slice"],
    ["sprig.kindIs('int', 1)", true],
    ["sprig.typeIs('string', 'x')", true],
    ["sprig.deepEqual([1, {a: 2}], [1, {a: 2}])", true],
  ]);
  const failed = evaluateExpression("sprig.fail('custom failure')", {});
  assert(!failed.ok);
  equal(failed.error.message, "custom failure");
});

Deno.test("sprig: encoding and hashes", () => {
  check([
    ["sprig.b64enc('hello')", "aGVsbG8="],
    ["sprig.b64dec('aGVsbG8=')", "hello"],
    ["sprig.b64dec('!!!')", "illegal base64 data at input byte 0"],
    ["sprig.b32enc('hello')", "NBSWY3DP"],
    ["sprig.b32dec('NBSWY3DP')", "hello"],
    ["sprig.toJson({b: [1], a: '<'})", '{"a":"\\u003c","b":[1]}'],
    ["sprig.toRawJson({a: '<'})", '{"a":"<"}'],
    ["sprig.toPrettyJson({a: 1})", '{\n  "a": 1\n}'],
    ["sprig.fromJson('{\"a\": 1}').a", 1],
    ["sprig.fromJson('nope')", null],
    ["sprig.sha1sum('hello')", "aaf4c61ddcc5e8a2dabede0f3b482cd9aea9434d"],
    [
      "sprig.sha256sum('hello')",
      "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824",
    ],
    ["sprig.sha256sum('')", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"],
    ["sprig.adler32sum('hello')", "103547413"],
  ]);
});

Deno.test("sprig: dates", () => {
  check([
    ["sprig.date('2006-01-02', now())", "2024-03-05"],
    ["sprig.date('2006-01-02T15:04:05Z07:00', 0)", "1970-01-01T00:00:00Z"],
    ["sprig.date('Mon Jan 2 15:04:05 MST 2006', now())", "Tue Mar 5 10:30:00 UTC 2024"],
    ["sprig.date('2006', 'not a date')", "2024"],
    ["sprig.dateInZone('15:04 MST', now(), 'UTC')", "10:30 UTC"],
    ["sprig.htmlDate(now())", "2024-03-05"],
    ["sprig.unixEpoch(now())", String(NOW / 1000)],
    ["sprig.date('15:04', sprig.dateModify('-1.5h', now()))", "09:00"],
    ["sprig.dateModify('nope', now()) == now()", true],
    ["sprig.toDate('2006-01-02', '2017-12-31').Year()", 2017],
    ["sprig.toDate('2006-01-02', 'garbage').Year()", 1],
    ["sprig.duration(95)", "1m35s"],
    ["sprig.duration('3600')", "1h0m0s"],
    ["sprig.durationRound('2h10m5s')", "2h"],
    ["sprig.durationRound(duration('90s'))", "1m"],
    ["sprig.ago(now() - duration('5s'))", "5s"],
  ]);
  const bad = evaluateExpression("sprig.mustToDate('2006-01-02', 'garbage')", {});
  assert(!bad.ok);
  equal(
    bad.error.message,
    'parsing time "garbage" as "2006-01-02": cannot parse "garbage" as "2006"',
  );
});

Deno.test("sprig: paths", () => {
  check([
    ["sprig.base('foo/bar/baz')", "baz"],
    ["sprig.dir('foo/bar/baz')", "foo/bar"],
    ["sprig.clean('foo/bar/../baz')", "foo/baz"],
    ["sprig.ext('foo.bar')", ".bar"],
    ["sprig.isAbs('/foo')", true],
    ["sprig.isAbs('foo')", false],
  ]);
});

Deno.test("sprig: no environment access, no unknown functions", () => {
  for (const source of ["sprig.env('HOME')", "sprig.expandenv('$HOME')", "sprig.nope()"]) {
    const result = evaluateExpression(source, {});
    assert(!result.ok, source);
    assert(result.error.message.startsWith("unknown function sprig."), result.error.message);
  }
  const wrongType = evaluateExpression("sprig.upper(1)", {});
  assert(!wrongType.ok);
  equal(wrongType.error.message, "cannot use int as argument (type string) to call sprig.upper");
});
