import { equal, ok as assert } from "node:assert/strict";
import { evaluateWhen, parseWhen } from "./mod.ts";

Deno.test("when: bare words are strings, numbers stay numbers", () => {
  const cases: Array<[string, boolean]> = [
    // The coin-flip example: the substituted result is a bare word.
    ["heads == heads", true],
    ["tails == heads", false],
    ["heads != tails", true],
    ["'heads' == heads", true],
    ['"heads" == heads', true],
    ["5 > 3", true],
    ["5 < 3", false],
    ["2.0 == 2", true],
    ["10 >= 10", true],
    ["9 <= 8.5", false],
    ["05 == 5", true],
    ["b > a", true],
    ["'10' > '9'", false],
    ["true", true],
    ["false", false],
    ["true == true", true],
    ["true != false", true],
    ["Succeeded == Succeeded", true],
    ["[my-task] == [my-task]", true],
    ["'foo bar' == 'foo bar'", true],
    ["'it\\'s' == 'it\\'s'", true],
  ];
  for (const [source, expected] of cases) {
    const result = evaluateWhen(source);
    assert(result.ok, `${source}: ${!result.ok && result.error.message}`);
    equal(result.value, expected, source);
  }
});

Deno.test("when: operators", () => {
  const cases: Array<[string, boolean]> = [
    ["true && true", true],
    ["true && false", false],
    ["false || true", true],
    ["!false", true],
    ["!(1 > 2)", true],
    ["(1 > 2) || (2 > 1)", true],
    ["heads == heads && 1 < 2", true],
    ["heads == tails || 3 == 3", true],
    ["1 + 2 == 3", true],
    ["2 * 3 == 6", true],
    ["7 / 2 == 3.5", true],
    ["7 % 2 == 1", true],
    ["2 ** 3 == 8", true],
    ["-1 < 0", true],
    ["1 - 2 == -1", true],
    ["'a' + 'b' == ab", true],
    ["'a' + 1 == a1", true],
    ["6 & 3 == 2", true],
    ["6 | 3 == 7", true],
    ["1 << 3 == 8", true],
    ["foo =~ '^f'", true],
    ["'foo' =~ 'f.*'", true],
    ["foo !~ '^b'", true],
    ["'v1.2.3' =~ '^v[0-9]+'", true],
    ["heads in (heads, tails)", true],
    ["edge in (heads, tails)", false],
    ["1 in (1, 2)", true],
    ["true ? true : false", true],
    ["false ? true : false", false],
    ["'2023-01-01' < '2023-06-01'", true],
    ["'2023-01-01' == '2023-01-01T00:00:00Z'", true],
    ["1 == 1 == true", true],
  ];
  for (const [source, expected] of cases) {
    const result = evaluateWhen(source);
    assert(result.ok, `${source}: ${!result.ok && result.error.message}`);
    equal(result.value, expected, source);
  }
});

Deno.test("when: errors carry Argo's messages", () => {
  const hint = ' (hint: try wrapping the affected expression in quotes ("))';
  const cases: Array<[string, string]> = [
    ["5", "Expected boolean evaluation for '5'. Got 5"],
    ["heads", "Expected boolean evaluation for 'heads'. Got heads"],
    ["1 + 1", "Expected boolean evaluation for '1 + 1'. Got 2"],
    ["1000000 + 0", "Expected boolean evaluation for '1000000 + 0'. Got 1e+06"],
    ["(a, b)", "Expected boolean evaluation for '(a, b)'. Got [a b]"],
    ["false ? true", "Expected boolean evaluation for 'false ? true'. Got <nil>"],
    [
      "foo-bar == foo-bar",
      "Failed to evaluate 'when' expression 'foo-bar == foo-bar': " +
      "Value 'foo' cannot be used with the modifier '-', it is not a number",
    ],
    [
      "a > 1",
      "Failed to evaluate 'when' expression 'a > 1': " +
      "Value 'a' cannot be used with the comparator '>', it is not a number",
    ],
    [
      "heads == heads && x",
      "Failed to evaluate 'when' expression 'heads == heads && x': " +
      "Value 'x' cannot be used with the logical operator '&&', it is not a bool",
    ],
    [
      "a in b",
      "Failed to evaluate 'when' expression 'a in b': " +
      "Value 'b' cannot be used with the comparator 'in', it is not a number",
    ],
    [
      "v1.2.3 == v1.2.3",
      "Failed to evaluate 'when' expression 'v1.2.3 == v1.2.3': No parameter 'v1' found.",
    ],
    [
      "1.2.3 == 1.2.3",
      "Invalid 'when' expression '1.2.3 == 1.2.3': Unable to parse numeric value '1.2.3' to float64" +
      hint,
    ],
    [
      "foo.bar == foo.bar",
      "Invalid 'when' expression 'foo.bar == foo.bar': " +
      "Unable to access unexported field 'bar' in token 'foo.bar'" + hint,
    ],
    ["foo. == x", "Invalid 'when' expression 'foo. == x': Hanging accessor on token 'foo.'" + hint],
    ["a === b", "Invalid 'when' expression 'a === b': Invalid token: '==='" + hint],
    [
      "a == -b",
      "Failed to parse 'when' expression 'a == -b': Cannot transition token types from PREFIX [-] to STRING [b]" +
      hint,
    ],
    [
      "heads tails",
      "Invalid 'when' expression 'heads tails': Cannot transition token types from VARIABLE [heads] to VARIABLE [tails]" +
      hint,
    ],
    ["(a == b", "Invalid 'when' expression '(a == b': Unbalanced parenthesis" + hint],
    ["a ==", "Invalid 'when' expression 'a ==': Unexpected end of expression" + hint],
    ["'open", "Invalid 'when' expression ''open': Unclosed string literal" + hint],
    ["[open", "Invalid 'when' expression '[open': Unclosed parameter bracket" + hint],
    [
      "x =~ '('",
      "Failed to parse 'when' expression 'x =~ '('': error parsing regexp: missing closing ): `(`" +
      hint,
    ],
    ["f(x) == 1", "Invalid 'when' expression 'f(x) == 1': Undefined function f" + hint],
    ["_a == _a", "Invalid 'when' expression '_a == _a': Invalid token: '_'" + hint],
    ["  ", "Invalid 'when' expression '  ': Unexpected end of expression" + hint],
  ];
  for (const [source, message] of cases) {
    const result = evaluateWhen(source);
    assert(!result.ok, `${source} should fail`);
    equal(result.error.message, message, source);
  }
});

Deno.test("when: an empty condition runs the step", () => {
  const result = evaluateWhen("");
  assert(result.ok);
  equal(result.value, true);
});

Deno.test("when: error offsets point at the token", () => {
  const cases: Array<[string, number]> = [
    ["a == 1.2.3", 5],
    ["a == foo.bar", 5],
    ["a === b", 2],
    ["a > 1", 2],
  ];
  for (const [source, offset] of cases) {
    const result = evaluateWhen(source);
    assert(!result.ok, source);
    equal(result.error.offset, offset, `${source}: ${result.error.message}`);
  }
});

Deno.test("when: bounds", () => {
  const long = parseWhen("a == a && ".repeat(30_000) + "true");
  assert(!long.ok);
  assert(long.error.message.includes("too long"), long.error.message);
  const deep = parseWhen("(".repeat(500) + "true" + ")".repeat(500));
  assert(!deep.ok);
  assert(deep.error.message.includes("nested too deeply"), deep.error.message);
  const manyTerms = evaluateWhen("a == a && ".repeat(100) + "true");
  assert(manyTerms.ok);
  const tooManyTerms = evaluateWhen("a == a && ".repeat(2000) + "true");
  assert(!tooManyTerms.ok);
  assert(tooManyTerms.error.message.includes("nested too deeply"), tooManyTerms.error.message);
});
