import { deepStrictEqual, equal, ok as assert } from "node:assert/strict";
import { hasKnownPrefix, KNOWN_PREFIXES, scanTags } from "./mod.ts";

Deno.test("tags: scanning follows fasttemplate", () => {
  const cases: Array<[string, Array<[string, string, number, number]>]> = [
    ["no tags", []],
    ["{{a}}", [["simple", "a", 0, 5]]],
    ["x {{ a.b }} y", [["simple", "a.b", 2, 11]]],
    ["{{=1 + 2}}", [["expression", "1 + 2", 0, 10]]],
    ["{{= inputs.parameters['x'] }}", [["expression", "inputs.parameters['x']", 0, 29]]],
    ["{{ =x}}", [["simple", "=x", 0, 7]]],
    ["{{a}}{{b}}", [["simple", "a", 0, 5], ["simple", "b", 5, 10]]],
    ["{{a.{{b}}}}", [["simple", "a.{{b", 0, 9]]],
    ["}} stray {{a}} }}", [["simple", "a", 9, 14]]],
    ["{{}}", [["simple", "", 0, 4]]],
    ["{{{a}}}", [["simple", "{a", 0, 6]]],
  ];
  for (const [text, expected] of cases) {
    const result = scanTags(text);
    assert(result.ok, text);
    deepStrictEqual(
      result.value.map((t) => [t.kind, t.inner, t.start, t.end]),
      expected,
      text,
    );
  }
});

Deno.test("tags: an unclosed {{ is an error at its position", () => {
  const result = scanTags("ok {{a}} then {{b");
  assert(!result.ok);
  equal(result.error.offset, 14);
  equal(result.error.message, 'cannot find end tag "}}" for the tag starting "{{b"');
});

Deno.test("tags: Argo's known prefixes", () => {
  deepStrictEqual([...KNOWN_PREFIXES], [
    "item.",
    "steps.",
    "inputs.",
    "outputs.",
    "pod.",
    "workflow.",
    "tasks.",
  ]);
  const cases: Array<[string, boolean]> = [
    ["inputs.parameters.x", true],
    ["workflow.name", true],
    ["item.name", true],
    ["item", false],
    ["user.username", false],
    ["input.x", false],
    ["retries", false],
  ];
  for (const [name, expected] of cases) equal(hasKnownPrefix(name), expected, name);
  equal(hasKnownPrefix("tasks", ["tasks"]), true);
  equal(hasKnownPrefix("tasks.a", ["tasks"]), true);
  equal(hasKnownPrefix("tasksA", ["tasks"]), false);
});
