/**
 * Table-driven tests of the strategic merge patch, including hostile input.
 *
 * @module
 */
import assert from "node:assert/strict";
import {
  MAX_PATCH_DEPTH,
  type PatchSchemaInfo,
  PLAIN_PATCH_SCHEMA,
  POD_PATCH_SCHEMA,
  POD_SPEC_PATCH_SCHEMA,
  strategicMerge,
  TEMPLATE_PATCH_SCHEMA,
  WORKFLOW_SPEC_PATCH_SCHEMA,
} from "./strategic_merge.ts";
import type { JsonValue } from "./types.gen.ts";

interface Case {
  name: string;
  schema?: PatchSchemaInfo;
  original: JsonValue | undefined;
  patch: JsonValue;
  expected?: JsonValue;
  error?: RegExp;
}

const main = { name: "main", image: "alpine", env: [{ name: "A", value: "1" }] };
const wait = { name: "wait", image: "argoexec" };

const cases: Case[] = [
  {
    name: "maps merge recursively",
    original: { a: { b: 1, c: 2 }, x: "keep" },
    patch: { a: { c: 3, d: { e: 4 } } },
    expected: { a: { b: 1, c: 3, d: { e: 4 } }, x: "keep" },
  },
  {
    name: "null deletes a key, and is dropped where there is nothing to delete",
    original: { a: 1, b: 2, c: { d: 1 } },
    patch: { b: null, z: null, c: { d: null, n: { m: null } } },
    expected: { a: 1, c: { n: {} } },
  },
  {
    name: "a scalar or list replaces a value of another type, a map merges into nothing",
    original: { a: "x", b: { c: 1 }, d: [1] },
    patch: { a: { y: 1 }, b: [2], d: "s" },
    expected: { a: { y: 1 }, b: [2], d: "s" },
  },
  {
    name: "missing original is an empty object",
    original: undefined,
    patch: { a: 1 },
    expected: { a: 1 },
  },
  {
    name: "containers merge by name, env by name; the rest is kept in order",
    schema: POD_SPEC_PATCH_SCHEMA,
    original: { containers: [main, wait] },
    patch: { containers: [{ name: "main", image: "busybox", env: [{ name: "B", value: "2" }] }] },
    expected: {
      containers: [
        {
          name: "main",
          image: "busybox",
          // As in Kubernetes, elements new to a list come before those only the original had.
          env: [{ name: "B", value: "2" }, { name: "A", value: "1" }],
        },
        wait,
      ],
    },
  },
  {
    name: "a container with a new name is added first, as Kubernetes orders it",
    schema: POD_SPEC_PATCH_SCHEMA,
    original: { containers: [main, wait] },
    patch: { containers: [{ name: "sidecar", image: "nginx" }, { name: "wait", tty: true }] },
    expected: { containers: [{ name: "sidecar", image: "nginx" }, main, { ...wait, tty: true }] },
  },
  {
    name: "init containers, volumes, volume mounts, ports, pull secrets and host aliases by key",
    schema: POD_SPEC_PATCH_SCHEMA,
    original: {
      initContainers: [{ name: "init", volumeMounts: [{ name: "v", mountPath: "/a" }] }],
      volumes: [{ name: "v", emptyDir: {} }, { name: "w", emptyDir: {} }],
      containers: [{ name: "main", ports: [{ containerPort: 80, name: "http" }] }],
      imagePullSecrets: [{ name: "s1" }],
      hostAliases: [{ ip: "10.0.0.1", hostnames: ["a"] }],
    },
    patch: {
      initContainers: [{ name: "init", volumeMounts: [{ name: "w", mountPath: "/a" }] }],
      volumes: [{ name: "w", emptyDir: { medium: "Memory" } }],
      containers: [{
        name: "main",
        ports: [{ containerPort: 80, name: "web" }, { containerPort: 81 }],
      }],
      imagePullSecrets: [{ name: "s2" }],
      hostAliases: [{ ip: "10.0.0.1", hostnames: ["b"] }],
    },
    expected: {
      initContainers: [{ name: "init", volumeMounts: [{ name: "w", mountPath: "/a" }] }],
      volumes: [{ name: "v", emptyDir: {} }, { name: "w", emptyDir: { medium: "Memory" } }],
      containers: [{
        name: "main",
        ports: [{ containerPort: 80, name: "web" }, { containerPort: 81 }],
      }],
      imagePullSecrets: [{ name: "s2" }, { name: "s1" }],
      // A list without a strategy inside a merged element (hostnames) is replaced.
      hostAliases: [{ ip: "10.0.0.1", hostnames: ["b"] }],
    },
  },
  {
    name: "tolerations, args and command are replaced",
    schema: POD_SPEC_PATCH_SCHEMA,
    original: {
      tolerations: [{ key: "a", operator: "Exists" }],
      containers: [{ name: "main", args: ["1", "2"], command: ["sh"] }],
    },
    patch: {
      tolerations: [{ key: "b", operator: "Exists" }],
      containers: [{ name: "main", args: ["3"] }],
    },
    expected: {
      tolerations: [{ key: "b", operator: "Exists" }],
      containers: [{ name: "main", args: ["3"], command: ["sh"] }],
    },
  },
  {
    name: "without a schema every list is replaced",
    schema: PLAIN_PATCH_SCHEMA,
    original: { data: { a: "1" }, containers: [main] },
    patch: { data: { b: "2" }, containers: [{ name: "x" }] },
    expected: { data: { a: "1", b: "2" }, containers: [{ name: "x" }] },
  },
  {
    name: "$patch: replace in a map replaces the map",
    schema: POD_SPEC_PATCH_SCHEMA,
    original: { securityContext: { runAsUser: 1, fsGroup: 2 } },
    patch: { securityContext: { $patch: "replace", runAsNonRoot: true } },
    expected: { securityContext: { runAsNonRoot: true } },
  },
  {
    name: "$patch: delete in a map empties it",
    original: { a: { b: 1 }, c: 1 },
    patch: { a: { $patch: "delete" } },
    expected: { a: {}, c: 1 },
  },
  {
    name: "$patch: delete in a list removes the element with that key",
    schema: POD_SPEC_PATCH_SCHEMA,
    original: { containers: [main, wait] },
    patch: { containers: [{ name: "wait", $patch: "delete" }] },
    expected: { containers: [main] },
  },
  {
    name: "$patch: replace in a list replaces the list",
    schema: POD_SPEC_PATCH_SCHEMA,
    original: { containers: [main, wait] },
    patch: { containers: [{ $patch: "replace" }, { name: "only", image: "x" }] },
    expected: { containers: [{ name: "only", image: "x" }] },
  },
  {
    name: "$retainKeys drops the keys it does not list",
    schema: POD_SPEC_PATCH_SCHEMA,
    original: { volumes: [{ name: "v", emptyDir: {} }] },
    patch: {
      volumes: [{ name: "v", hostPath: { path: "/x" }, $retainKeys: ["name", "hostPath"] }],
    },
    expected: { volumes: [{ name: "v", hostPath: { path: "/x" } }] },
  },
  {
    name: "$retainKeys must list every patched key",
    schema: POD_SPEC_PATCH_SCHEMA,
    original: { volumes: [{ name: "v", emptyDir: {} }] },
    patch: { volumes: [{ name: "v", hostPath: { path: "/x" }, $retainKeys: ["name"] }] },
    error: /\$retainKeys does not list the patched key hostPath/,
  },
  {
    name: "$setElementOrder orders the merged list",
    schema: POD_SPEC_PATCH_SCHEMA,
    original: { containers: [{ name: "a" }, { name: "b" }, { name: "c" }] },
    patch: {
      "$setElementOrder/containers": [{ name: "c" }, { name: "a" }, { name: "b" }],
      containers: [{ name: "a", image: "x" }],
    },
    expected: { containers: [{ name: "c" }, { name: "a", image: "x" }, { name: "b" }] },
  },
  {
    name: "$setElementOrder alone reorders",
    schema: POD_SPEC_PATCH_SCHEMA,
    original: { containers: [{ name: "a" }, { name: "b" }] },
    patch: { "$setElementOrder/containers": [{ name: "b" }, { name: "a" }] },
    expected: { containers: [{ name: "b" }, { name: "a" }] },
  },
  {
    name: "finalizers merge as a set; $deleteFromPrimitiveList removes values",
    schema: POD_PATCH_SCHEMA,
    original: { metadata: { finalizers: ["a", "b", "c"], labels: { x: "1" } } },
    patch: {
      metadata: { finalizers: ["d", "a"], "$deleteFromPrimitiveList/finalizers": ["b"] },
    },
    expected: { metadata: { finalizers: ["d", "a", "c"], labels: { x: "1" } } },
  },
  {
    name: "pod status conditions merge by type",
    schema: POD_PATCH_SCHEMA,
    original: { status: { conditions: [{ type: "Ready", status: "False" }], phase: "Running" } },
    patch: { status: { conditions: [{ type: "Ready", status: "True" }] } },
    expected: { status: { conditions: [{ type: "Ready", status: "True" }], phase: "Running" } },
  },
  {
    name: "template defaults: Argo's tolerations merge by key, inputs by name",
    schema: TEMPLATE_PATCH_SCHEMA,
    original: {
      tolerations: [{ key: "a", effect: "NoSchedule" }],
      inputs: { parameters: [{ name: "p", value: "1" }] },
      container: { image: "x", volumeMounts: [{ name: "v", mountPath: "/a" }] },
    },
    patch: {
      tolerations: [{ key: "b" }],
      inputs: { parameters: [{ name: "q" }] },
      container: { volumeMounts: [{ name: "w", mountPath: "/b" }] },
    },
    expected: {
      tolerations: [{ key: "b" }, { key: "a", effect: "NoSchedule" }],
      inputs: { parameters: [{ name: "q" }, { name: "p", value: "1" }] },
      container: {
        image: "x",
        volumeMounts: [{ name: "w", mountPath: "/b" }, { name: "v", mountPath: "/a" }],
      },
    },
  },
  {
    name: "workflow spec: templates by name, hooks (a map) merge their arguments by name",
    schema: WORKFLOW_SPEC_PATCH_SCHEMA,
    original: {
      templates: [{ name: "a", container: { image: "x" } }],
      hooks: { exit: { template: "h", arguments: { parameters: [{ name: "p", value: "1" }] } } },
      podDisruptionBudget: { selector: { matchLabels: { a: "1" } } },
    },
    patch: {
      templates: [{ name: "b", container: { image: "y" } }],
      hooks: { exit: { arguments: { parameters: [{ name: "q", value: "2" }] } } },
      // LabelSelector has the replace strategy here.
      podDisruptionBudget: { selector: { matchLabels: { b: "2" } } },
    },
    expected: {
      templates: [{ name: "b", container: { image: "y" } }, {
        name: "a",
        container: { image: "x" },
      }],
      hooks: {
        exit: {
          template: "h",
          arguments: { parameters: [{ name: "q", value: "2" }, { name: "p", value: "1" }] },
        },
      },
      podDisruptionBudget: { selector: { matchLabels: { b: "2" } } },
    },
  },
  {
    name: "a merged list of maps needs the merge key in every element",
    schema: POD_SPEC_PATCH_SCHEMA,
    original: { containers: [main] },
    patch: { containers: [{ image: "x" }] },
    error: /containers: an element has no name/,
  },
  {
    name: "a merge list without a merge key cannot hold maps",
    schema: { types: { Root: { items: { strategy: "merge" } } }, root: "Root" },
    original: { items: [{ a: 1 }] },
    patch: { items: [{ a: 2 }] },
    error: /cannot merge a list without merge key/,
  },
  {
    name: "unknown $patch directives are refused",
    original: { a: { b: 1 } },
    patch: { a: { $patch: "merge" } },
    error: /unknown \$patch directive "merge"/,
  },
  {
    name: "the patch must be an object",
    original: {},
    patch: [1],
    error: /the patch must be a JSON object/,
  },
  {
    name: "the original must be an object",
    original: "x",
    patch: {},
    error: /the original must be a JSON object/,
  },
];

/** Freezes a value deeply so that any write to it throws. */
function deepFreeze<T>(value: T): T {
  if (typeof value === "object" && value !== null) {
    for (const key of Object.keys(value)) deepFreeze((value as Record<string, unknown>)[key]);
    Object.freeze(value);
  }
  return value;
}

for (const c of cases) {
  Deno.test(`strategicMerge: ${c.name}`, () => {
    const original = deepFreeze(structuredClone(c.original));
    const patch = deepFreeze(structuredClone(c.patch));
    const result = strategicMerge(original, patch, c.schema ?? PLAIN_PATCH_SCHEMA);
    if (c.error !== undefined) {
      assert.equal(result.ok, false);
      if (!result.ok) assert.match(result.error, c.error);
      return;
    }
    assert.ok(result.ok, result.ok ? "" : result.error);
    assert.deepEqual(result.value, c.expected);
    // Inputs are unchanged (frozen) and the result shares nothing with them.
    assert.deepEqual(original, c.original);
    assert.deepEqual(patch, c.patch);
  });
}

Deno.test("strategicMerge: the result can be changed without touching the inputs", () => {
  const original = { a: { b: [1] } };
  const result = strategicMerge(original, { c: { d: 1 } }, PLAIN_PATCH_SCHEMA);
  assert.ok(result.ok);
  (result.value.a as { b: number[] }).b.push(2);
  assert.deepEqual(original, { a: { b: [1] } });
});

Deno.test("strategicMerge: __proto__ keys are data, never prototypes", () => {
  const patch = JSON.parse(
    '{"__proto__": {"polluted": true}, "a": {"__proto__": {"polluted": true}}, ' +
      '"containers": [{"name": "__proto__", "__proto__": {"polluted": true}}], ' +
      '"$setElementOrder/__proto__": [], "constructor": {"prototype": {"polluted": true}}}',
  );
  const original = JSON.parse('{"__proto__": {"x": 1}, "a": {"keep": 1}}');
  const result = strategicMerge(original, patch, POD_SPEC_PATCH_SCHEMA);
  assert.ok(result.ok, result.ok ? "" : result.error);
  const value = result.value;
  assert.equal(({} as Record<string, unknown>).polluted, undefined);
  assert.equal((Object.prototype as Record<string, unknown>).polluted, undefined);
  assert.equal(Object.getPrototypeOf(value), Object.prototype);
  assert.ok(Object.hasOwn(value, "__proto__"));
  assert.deepEqual(Object.getOwnPropertyDescriptor(value, "__proto__")?.value, {
    x: 1,
    polluted: true,
  });
  const a = value.a as Record<string, unknown>;
  assert.equal(Object.getPrototypeOf(a), Object.prototype);
  assert.equal(a.keep, 1);
  assert.equal(a.polluted, undefined);
  const containers = value.containers as Record<string, unknown>[];
  assert.equal(containers[0].name, "__proto__");
  assert.equal(containers[0].polluted, undefined);
  assert.equal(JSON.stringify(value.constructor), '{"prototype":{"polluted":true}}');
});

Deno.test("strategicMerge: a __proto__ key in the type table's place is not a type", () => {
  const result = strategicMerge(
    {},
    { toString: [{ name: "a" }], hasOwnProperty: { x: 1 } },
    { types: {}, root: "__proto__" },
  );
  assert.ok(result.ok);
  assert.deepEqual(result.value, { toString: [{ name: "a" }], hasOwnProperty: { x: 1 } });
});

function nested(depth: number): JsonValue {
  let value: JsonValue = "leaf";
  for (let i = 0; i < depth; i++) value = i % 2 === 0 ? { k: value } : [value];
  return value;
}

Deno.test("strategicMerge: nesting is bounded", () => {
  const ok = strategicMerge({}, { a: nested(MAX_PATCH_DEPTH - 1) }, PLAIN_PATCH_SCHEMA);
  assert.ok(ok.ok, ok.ok ? "" : ok.error);
  for (
    const [original, patch] of [
      [{}, { a: nested(MAX_PATCH_DEPTH + 1) }],
      [{ a: nested(MAX_PATCH_DEPTH + 1) }, { b: 1 }],
      [{}, { a: nested(100_000) }],
    ] as [JsonValue, JsonValue][]
  ) {
    const result = strategicMerge(original, patch, PLAIN_PATCH_SCHEMA);
    assert.equal(result.ok, false);
    if (!result.ok) assert.match(result.error, /nested more than 100 levels/);
  }
});

Deno.test("strategicMerge: values JSON cannot hold are refused", () => {
  for (const bad of [NaN, Infinity, undefined as unknown as JsonValue]) {
    const result = strategicMerge({}, { a: [bad] } as JsonValue, PLAIN_PATCH_SCHEMA);
    assert.equal(result.ok, false);
  }
  const fn = strategicMerge({}, { a: (() => 1) as unknown as JsonValue }, PLAIN_PATCH_SCHEMA);
  assert.equal(fn.ok, false);
});

Deno.test("strategicMerge: large merged lists stay fast", () => {
  const containers = Array.from({ length: 20_000 }, (_, i) => ({ name: `c${i}`, image: "x" }));
  const patch = { containers: containers.map((c) => ({ name: c.name, image: "y" })).reverse() };
  const start = performance.now();
  const result = strategicMerge({ containers }, patch, POD_SPEC_PATCH_SCHEMA);
  assert.ok(result.ok);
  assert.ok(performance.now() - start < 2_000, "linear-ish, not quadratic");
  const merged = result.value.containers as { name: string; image: string }[];
  assert.equal(merged.length, 20_000);
  assert.equal(merged[0].name, "c19999");
  assert.ok(merged.every((c) => c.image === "y"));
});
