import { deepStrictEqual, equal, ok as assert, strictEqual } from "node:assert/strict";
import {
  expandVars,
  mergeScopes,
  substitute,
  type SubstituteOptions,
  substituteString,
  variableScope,
} from "./mod.ts";

const VARS: Record<string, string> = {
  "inputs.parameters.message": "hello world",
  "inputs.parameters.n": "41",
  "inputs.parameters.my-param": "dash",
  "inputs.parameters.quoted": 'say "hi"\nand \\ bye',
  "inputs.parameters.json": '{"a": [1, 2]}',
  "inputs.parameters": '[{"name":"message","value":"hello world"}]',
  "workflow.name": "wf-abc",
  "workflow.parameters.env": "prod",
  "workflow.parameters": '[{"name":"env","value":"prod"}]',
  "workflow.parameters.json": '[{"name":"env","value":"prod"}]',
  "steps.flip.outputs.result": "heads",
  "tasks.gen.outputs.result": '["a","b"]',
  "item": '{"k":"v"}',
  "item.k": "v",
  "pod.name": "wf-abc-123",
  "retries": "0",
};

function sub(text: string, options?: SubstituteOptions): string {
  const result = substituteString(text, VARS, options);
  if (!result.ok) throw new Error(`${text}: ${result.error.message} @${result.error.offset}`);
  return result.value;
}

Deno.test("substitute: simple tags", () => {
  const cases: Array<[string, string]> = [
    ["no tags at all", "no tags at all"],
    ["{{inputs.parameters.message}}", "hello world"],
    ["echo {{inputs.parameters.message}}!", "echo hello world!"],
    ["{{ inputs.parameters.message }}", "hello world"],
    ["{{workflow.name}}-{{pod.name}}", "wf-abc-wf-abc-123"],
    ["{{inputs.parameters.quoted}}", 'say "hi"\nand \\ bye'],
    ["{{inputs.parameters}}", '[{"name":"message","value":"hello world"}]'],
    ["{{item}} {{item.k}}", '{"k":"v"} v'],
    ["{{retries}}", "0"],
    // Unknown prefixes are other tools' templates and stay as they are.
    ["{{user.username}}", "{{user.username}}"],
    ["${{ secrets.TOKEN }}", "${{ secrets.TOKEN }}"],
    ["{{.metadata.name}}", "{{.metadata.name}}"],
    // Unresolved known-prefix tags stay too unless strict.
    ["{{inputs.parameters.missing}}", "{{inputs.parameters.missing}}"],
    // A tag inside a tag resolves the inner one and leaves the outer for later.
    [
      "{{workflow.outputs.parameters.{{inputs.parameters.n}}}}",
      "{{workflow.outputs.parameters.41}}",
    ],
    // Substituted values are not scanned again.
    ["{{steps.flip.outputs.result}}", "heads"],
    ["}} and {{inputs.parameters.n}}", "}} and 41"],
  ];
  for (const [text, expected] of cases) equal(sub(text), expected, text);
  const recursive = substituteString("{{a}}", { a: "{{b}}", b: "no" });
  assert(recursive.ok && recursive.value === "{{b}}");
});

Deno.test("substitute: strict mode fails on unresolved known-prefix tags", () => {
  const strict: SubstituteOptions = { strict: true };
  equal(sub("{{user.username}}", strict), "{{user.username}}");
  equal(sub("{{inputs.parameters.message}}", strict), "hello world");
  const cases: Array<[string, string, number]> = [
    ["{{inputs.parameters.missing}}", "failed to resolve {{inputs.parameters.missing}}", 0],
    ["x {{ steps.nope.outputs.result }}", "failed to resolve {{ steps.nope.outputs.result }}", 2],
    ["{{tasks.t.outputs.result}}", "failed to resolve {{tasks.t.outputs.result}}", 0],
    ["{{workflow.nope}}", "failed to resolve {{workflow.nope}}", 0],
    ["{{item.nope}}", "failed to resolve {{item.nope}}", 0],
  ];
  for (const [text, message, offset] of cases) {
    const result = substituteString(text, VARS, strict);
    assert(!result.ok, text);
    equal(result.error.message, message, text);
    equal(result.error.offset, offset, text);
  }
  const artifacts = substituteString("{{steps.a.outputs.artifacts.out}}", VARS, {
    strict: true,
    allowUnresolvedArtifacts: true,
  });
  assert(artifacts.ok && artifacts.value === "{{steps.a.outputs.artifacts.out}}");
  const onlyTasks = substituteString("{{steps.x}} {{tasks.x}}", VARS, {
    strict: true,
    strictPrefixes: ["tasks"],
  });
  assert(!onlyTasks.ok);
  equal(onlyTasks.error.message, "failed to resolve {{tasks.x}}");
});

Deno.test("substitute: expression tags", () => {
  const cases: Array<[string, string]> = [
    ["{{= asInt(inputs.parameters.n) + 1}}", "42"],
    ["{{=inputs.parameters.message}}", "hello world"],
    ["{{= inputs.parameters['my-param'] }}", "dash"],
    ["{{= 7 / 2 }}", "3.5"],
    ["{{= 1 > 0 }}", "true"],
    ["{{= [1, 2] }}", "[1,2]"],
    ["{{= {b: 1, a: 'x'} }}", '{"a":"x","b":1}'],
    ["{{= filter([1, 2, 3], {# > 1}) }}", "[2,3]"],
    ["{{= map([1, 2], { # * 2 }) }}", "[2,4]"],
    ["{{= toJson([1, 2]) }}", "[1,2]"],
    ["{{= jsonpath(inputs.parameters.json, '$.a[1]') }}", "2"],
    ["{{= sprig.trim('  x  ') }}", "x"],
    ["{{= sprig.upper(workflow.name) }}", "WF-ABC"],
    ["{{= fromJSON(workflow.parameters.json)[0].value }}", "prod"],
    ["{{= workflow.parameters.env }}", "prod"],
    ["{{= steps.flip.outputs.result == 'heads' ? 'yes' : 'no' }}", "yes"],
    ["{{= item.k }}", "v"],
    ["{{= '<&>' }}", "<&>"],
    ["{{= {k: '<'} }}", '{"k":"\\u003c"}'],
    ["a {{=1}} b {{=2}} c", "a 1 b 2 c"],
  ];
  for (const [text, expected] of cases) equal(sub(text), expected, text);
});

Deno.test("substitute: unresolved expression tags", () => {
  // A missing variable leaves the tag for a later pass (Argo's allowUnresolved).
  equal(sub("{{= inputs.parameters.missing + 'x'}}"), "{{= inputs.parameters.missing + 'x'}}");
  equal(sub("{{= workflow.status == 'Succeeded'}}"), "{{= workflow.status == 'Succeeded'}}");
  equal(sub("{{= lastRetry.exitCode }}"), "{{= lastRetry.exitCode }}");
  equal(sub("{{= inputs.parameters.message.x }}"), "{{= inputs.parameters.message.x }}");
  equal(sub("{{= nothere ?? 'd' }}"), "{{= nothere ?? 'd' }}");
  equal(sub("{{= constructor }}"), "{{= constructor }}");
  // In strict mode a missing known-prefix variable is an error; others still wait.
  const strict = substituteString("x {{= asInt(inputs.parameters.missing) }}", VARS, {
    strict: true,
  });
  assert(!strict.ok);
  equal(
    strict.error.message,
    "failed to evaluate expression: inputs.parameters.missing is missing",
  );
  equal(strict.error.offset, 12);
  equal(sub("{{= other.thing }}", { strict: true }), "{{= other.thing }}");
});

Deno.test("substitute: expression errors with every variable present are errors", () => {
  const cases: Array<[string, string, number]> = [
    [
      "{{= 1 + }}",
      'failed to evaluate expression: unexpected end of expression, expected an expression after "+"',
      8,
    ],
    [
      "ab {{= asInt(inputs.parameters.message) }}",
      'failed to evaluate expression: strconv.Atoi: parsing "hello world": invalid syntax',
      7,
    ],
    ["{{= 1 / 0 }}", "failed to evaluate expression: division by zero", 6],
    ["{{= nil }}", 'failed to evaluate expression " nil "', 0],
    [
      "{{= inputs.parameters.message[0:1] + 1 }}",
      "failed to evaluate expression: invalid operation: string + int",
      35,
    ],
    // A tag ends at the first }}, even inside a string literal, as in Argo.
    [
      "{{= 'tags {{inside}} strings' }}",
      "failed to evaluate expression: literal not terminated",
      4,
    ],
    [
      "{{= sprig.env('HOME') }}",
      "failed to evaluate expression: unknown function sprig.env (environment access is not available)",
      10,
    ],
    ["{{= {{a}}", 'failed to evaluate expression: unexpected end of expression, expected "}"', 7],
    ["{{= upper }}", "failed to marshal evaluated expression: json: unsupported type: func", 0],
  ];
  for (const [text, message, offset] of cases) {
    const result = substituteString(text, VARS);
    assert(!result.ok, `${text} should fail`);
    equal(result.error.message, message, text);
    equal(result.error.offset, offset, text);
  }
});

Deno.test("substitute: unbalanced braces are an error at the tag", () => {
  const result = substituteString("echo {{inputs.parameters.n}} {{oops", VARS);
  assert(!result.ok);
  equal(result.error.offset, 29);
  assert(result.error.message.startsWith('cannot find end tag "}}"'), result.error.message);
});

Deno.test("substitute: over a JSON value, keys included, errors with their path", () => {
  const template = {
    name: "{{workflow.name}}",
    container: {
      image: "alpine:{{workflow.parameters.env}}",
      args: ["echo", "{{inputs.parameters.quoted}}", 3, true, null],
    },
    metadata: { labels: { "{{workflow.name}}-key": "{{= upper(workflow.parameters.env) }}" } },
    untouched: { deep: ["a", 1] },
  };
  const result = substitute(template, VARS);
  assert(result.ok);
  deepStrictEqual(result.value, {
    name: "wf-abc",
    container: {
      image: "alpine:prod",
      args: ["echo", 'say "hi"\nand \\ bye', 3, true, null],
    },
    metadata: { labels: { "wf-abc-key": "PROD" } },
    untouched: { deep: ["a", 1] },
  });
  const out = result.value as unknown as { untouched: unknown };
  strictEqual(out.untouched, template.untouched, "unchanged parts are shared, not copied");
  // Marshal, substitute, unmarshal gives the same thing: the value round-trips through JSON.
  deepStrictEqual(JSON.parse(JSON.stringify(result.value)), result.value);

  const failing = substitute({ a: [{ b: "ok" }, { "c-d": "{{inputs.parameters.nope}}" }] }, VARS, {
    strict: true,
  });
  assert(!failing.ok);
  equal(failing.error.message, "failed to resolve {{inputs.parameters.nope}}");
  equal(failing.error.path, "a[1].c-d");
  const dotted = substitute({ labels: { "app.kubernetes.io/name": "{{tasks.x}}" } }, VARS, {
    strict: true,
  });
  assert(!dotted.ok);
  equal(dotted.error.path, 'labels["app.kubernetes.io/name"]');
  equal(failing.error.offset, 0);

  const unchanged = { a: "x", b: [1, 2] };
  const same = substitute(unchanged, VARS);
  assert(same.ok);
  strictEqual(same.value, unchanged);
  const scalar = substitute("{{workflow.name}}", VARS);
  assert(scalar.ok && scalar.value === "wf-abc");
});

Deno.test("substitute: a value that is not a string is Argo's 'to string' error", () => {
  const result = substituteString("{{x}}", { x: 5 } as unknown as Record<string, string>);
  assert(!result.ok);
  equal(result.error.message, "failed to resolve {{x}} to string");
});

Deno.test("substitute: prototype names are never variables", () => {
  equal(
    sub("{{constructor}} {{__proto__}} {{toString}}"),
    "{{constructor}} {{__proto__}} {{toString}}",
  );
  const strict = substituteString("{{inputs.constructor}}", VARS, { strict: true });
  assert(!strict.ok);
  equal(strict.error.message, "failed to resolve {{inputs.constructor}}");
});

Deno.test("expandVars: nested maps, the more specific name wins", () => {
  const env = expandVars({
    "a.b": "1",
    "a.c.d": "2",
    "a": "3",
    "ab": "4",
    "x.y": "5",
    "x": "6",
  });
  deepStrictEqual(JSON.parse(JSON.stringify(env)), {
    a: { b: "1", c: { d: "2" } },
    ab: "4",
    x: { y: "5" },
  });
  const proto = expandVars({ "__proto__.polluted": "1", "constructor.prototype.x": "2" });
  equal(({} as Record<string, unknown>).polluted, undefined);
  deepStrictEqual(Object.keys(proto).sort(), ["__proto__", "constructor"]);
});

Deno.test("scopes: global and local kept apart, local wins when merged", () => {
  equal(variableScope("workflow.name"), "global");
  equal(variableScope("workflow.outputs.parameters.g"), "global");
  equal(variableScope("inputs.parameters.x"), "local");
  equal(variableScope("steps.a.outputs.result"), "local");
  equal(variableScope("item"), "local");
  equal(variableScope("retries"), "local");
  equal(variableScope("lastRetry.exitCode"), "local");
  equal(variableScope("user.name"), "unknown");
  const merged = mergeScopes({ "workflow.name": "w", "x": "global" }, {
    "inputs.parameters.a": "1",
    "x": "local",
  });
  deepStrictEqual({ ...merged }, {
    "workflow.name": "w",
    "x": "local",
    "inputs.parameters.a": "1",
  });
});
