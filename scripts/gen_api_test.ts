/**
 * Tests of the API generator: the checked-in generated files match what the schema gives (this
 * is how CI notices drift), and each piece of the generator on small hand-written schemas.
 *
 * @module
 */
import assert from "node:assert/strict";
import { parse } from "yaml";
import {
  assignNames,
  buildModel,
  compactNode,
  CRD_DIRS,
  DEFAULT_SCHEMA_PATH,
  emitCrds,
  emitTypes,
  generate,
  minimalSchema,
  type Model,
  type Norm,
  normalize,
  parseInput,
  patchTable,
  printLiteral,
  reachableDefinitions,
  repoRoot,
  staleFiles,
  structural,
} from "./gen_api.ts";
import { definitions, kindRoots } from "../api/schema.gen.ts";
import { resolveRef, type SchemaRef } from "../api/schema_types.ts";
import { KINDS } from "../api/meta.ts";

const root = repoRoot();
const schemaUrl = new URL(DEFAULT_SCHEMA_PATH, root);
const schemaExists = (() => {
  try {
    return Deno.statSync(schemaUrl).isFile;
  } catch {
    return false;
  }
})();
const inCi = (Deno.env.get("CI") ?? "") !== "";

let realFiles: Map<string, string> | undefined;
/** The generator's output for the real schema, computed once. */
function generatedFromSchema(): Map<string, string> {
  realFiles ??= generate(JSON.parse(Deno.readTextFileSync(schemaUrl)));
  return realFiles;
}

Deno.test({
  name: "generated API files are up to date with the schema",
  // Without the schema nothing can be compared; CI must have it, so there a missing schema fails.
  ignore: !schemaExists && !inCi,
  fn() {
    if (!schemaExists) {
      throw new Error(
        `the Argo schema is missing at ${schemaUrl.pathname}; CI needs it to check the generated files`,
      );
    }
    const files = generatedFromSchema();
    const problems: string[] = [];
    for (const [path, expected] of files) {
      let actual: string | undefined;
      try {
        actual = Deno.readTextFileSync(new URL(path, root));
      } catch {
        actual = undefined;
      }
      if (actual === undefined) problems.push(`${path} is missing`);
      else if (actual !== expected) problems.push(`${path} differs`);
    }
    for (const path of staleFiles(files, root)) problems.push(`${path} is no longer generated`);
    if (problems.length > 0) {
      throw new Error(
        `generated files are out of date (${
          problems.join("; ")
        }): run \`deno task gen:api\` and commit the result`,
      );
    }
  },
});

// A small schema in Argo's style: an Argo kind embedding Kubernetes types, a name clash, the
// special definitions, a recursive pair, maps, and an unreachable definition.
const SMALL = {
  oneOf: [{ $ref: "#/definitions/io.argoproj.workflow.v1alpha1.Thing" }],
  definitions: {
    "io.argoproj.workflow.v1alpha1.Thing": {
      type: "object",
      required: ["spec", "metadata"],
      properties: {
        apiVersion: { type: "string", const: "argoproj.io/v1alpha1" },
        kind: { type: "string", const: "Thing" },
        metadata: { $ref: "#/definitions/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta" },
        spec: { $ref: "#/definitions/io.argoproj.workflow.v1alpha1.Spec" },
      },
    },
    "io.argoproj.workflow.v1alpha1.Spec": {
      type: "object",
      properties: {
        items: {
          type: "array",
          items: { $ref: "#/definitions/io.argoproj.workflow.v1alpha1.Item" },
        },
        step: { $ref: "#/definitions/io.argoproj.workflow.v1alpha1.Step" },
        header: { $ref: "#/definitions/io.argoproj.workflow.v1alpha1.HTTPHeader" },
        probeHeader: { $ref: "#/definitions/io.k8s.api.core.v1.HTTPHeader" },
        retries: { $ref: "#/definitions/io.k8s.apimachinery.pkg.util.intstr.IntOrString" },
        memory: { $ref: "#/definitions/io.k8s.apimachinery.pkg.api.resource.Quantity" },
        labels: { type: "object", additionalProperties: { type: "string" } },
        plugin: { type: "object" },
        mode: { type: "string", enum: ["a", "b"] },
        containers: {
          type: "array",
          items: { $ref: "#/definitions/io.k8s.api.core.v1.Container" },
          "x-kubernetes-patch-strategy": "merge",
          "x-kubernetes-patch-merge-key": "name",
        },
        "odd-name": { type: "boolean" },
        weird: { type: "integer", format: "int32" },
      },
    },
    "io.argoproj.workflow.v1alpha1.Step": {
      type: "object",
      properties: {
        inline: { $ref: "#/definitions/io.argoproj.workflow.v1alpha1.Spec" },
        when: { type: "string" },
      },
    },
    "io.argoproj.workflow.v1alpha1.HTTPHeader": {
      type: "object",
      required: ["name"],
      properties: { name: { type: "string" }, value: { type: "string" } },
    },
    "io.argoproj.workflow.v1alpha1.Item": {},
    "io.k8s.api.core.v1.HTTPHeader": {
      type: "object",
      required: ["value", "name"],
      properties: { name: { type: "string" }, value: { type: "string" } },
    },
    "io.k8s.api.core.v1.Container": {
      type: "object",
      properties: {
        name: { type: "string" },
        env: {
          type: "array",
          items: { type: "object", properties: { name: { type: "string" } } },
          "x-kubernetes-patch-strategy": "merge",
          "x-kubernetes-patch-merge-key": "name",
        },
      },
    },
    "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta": {
      type: "object",
      properties: {
        name: { type: "string" },
        finalizers: {
          type: "array",
          items: { type: "string" },
          "x-kubernetes-patch-strategy": "merge",
        },
      },
    },
    "io.k8s.apimachinery.pkg.util.intstr.IntOrString": { type: "string" },
    "io.k8s.apimachinery.pkg.api.resource.Quantity": { type: "string" },
    "io.argoproj.workflow.v1alpha1.Unused": {
      type: "object",
      properties: { x: { type: "string" } },
    },
  },
};

function smallModel(): Model {
  return buildModel(parseInput(SMALL));
}

Deno.test("parseInput refuses documents that are not a kinds schema", () => {
  assert.throws(() => parseInput([]), /definitions/);
  assert.throws(() => parseInput({ definitions: {} }), /oneOf/);
  assert.throws(() => parseInput({ definitions: {}, oneOf: [{}] }), /\$ref/);
  assert.throws(
    () => parseInput({ definitions: {}, oneOf: [{ $ref: "other.json#/X" }] }),
    /unsupported \$ref/,
  );
});

Deno.test("only definitions reachable from the kinds are kept", () => {
  const keys = reachableDefinitions(parseInput(SMALL));
  assert.ok(keys.includes("io.argoproj.workflow.v1alpha1.Step"));
  assert.ok(keys.includes("io.k8s.api.core.v1.Container"));
  assert.ok(!keys.includes("io.argoproj.workflow.v1alpha1.Unused"));
  assert.deepEqual(keys, [...keys].sort());
  assert.throws(
    () => reachableDefinitions({ definitions: {}, roots: ["io.argoproj.workflow.v1alpha1.X"] }),
    /missing definition/,
  );
});

Deno.test("names: Argo keeps the short name, a clashing Kubernetes type is qualified", () => {
  const names = assignNames([
    "io.argoproj.workflow.v1alpha1.HTTPHeader",
    "io.k8s.api.core.v1.HTTPHeader",
    "io.k8s.api.core.v1.Event",
    "io.k8s.api.events.v1.Event",
    "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta",
    "io.k8s.apimachinery.pkg.apis.meta.v1.Status",
    "io.k8s.api.core.v1.Status",
  ]);
  assert.equal(names.get("io.argoproj.workflow.v1alpha1.HTTPHeader"), "HTTPHeader");
  assert.equal(names.get("io.k8s.api.core.v1.HTTPHeader"), "CoreV1HTTPHeader");
  assert.equal(names.get("io.k8s.api.core.v1.Event"), "CoreV1Event");
  assert.equal(names.get("io.k8s.api.events.v1.Event"), "EventsV1Event");
  assert.equal(names.get("io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"), "ObjectMeta");
  assert.equal(names.get("io.k8s.apimachinery.pkg.apis.meta.v1.Status"), "MetaV1Status");
  assert.equal(names.get("io.k8s.api.core.v1.Status"), "CoreV1Status");
  assert.throws(() => assignNames(["a.core.v1.X", "b.core.v1.X"]), /both map to CoreV1X/);
});

Deno.test("normalize maps JSON schema keywords to the model", () => {
  const names = new Map([["io.k8s.X", "X"]]);
  const cases: [unknown, Norm][] = [
    [{ $ref: "#/definitions/io.k8s.X" }, { kind: "ref", name: "X" }],
    [{}, { kind: "any" }],
    [{ type: "string", "x-kubernetes-int-or-string": true }, { kind: "int-or-string" }],
    [{ type: "string", enum: ["a", 1], format: "f" }, { kind: "string", enum: ["a"], format: "f" }],
    [{ type: "string", const: "c" }, { kind: "string", const: "c" }],
    [{ type: "integer", format: "int64" }, { kind: "integer", format: "int64" }],
    [{ type: "boolean" }, { kind: "boolean" }],
    [{ type: "array" }, { kind: "array", items: { kind: "any" } }],
    [{ type: "object" }, { kind: "object", properties: {}, required: [], open: true }],
    [
      { type: "object", additionalProperties: { type: "number" } },
      { kind: "object", properties: {}, required: [], additional: { kind: "number" }, open: false },
    ],
    [
      {
        type: "object",
        properties: { a: { type: "string" } },
        "x-kubernetes-preserve-unknown-fields": true,
      },
      {
        kind: "object",
        properties: { a: { schema: { kind: "string" } } },
        required: [],
        open: true,
      },
    ],
    [
      {
        properties: {
          z: { type: "string" },
          a: { type: "array", items: { type: "string" }, "x-kubernetes-patch-strategy": "merge" },
        },
        required: ["z", "a"],
      },
      {
        kind: "object",
        properties: {
          a: { schema: { kind: "array", items: { kind: "string" } }, patchStrategy: "merge" },
          z: { schema: { kind: "string" } },
        },
        required: ["a", "z"],
        open: false,
      },
    ],
  ];
  for (const [raw, expected] of cases) {
    const actual = normalize(raw as never, names, "test");
    assert.deepEqual(actual, expected, JSON.stringify(raw));
    // Property order is part of the output: it must be sorted.
    if (actual.kind === "object") {
      const keys = Object.keys(actual.properties);
      assert.deepEqual(keys, [...keys].sort());
    }
  }
  assert.throws(() => normalize({ type: "tuple" }, names, "here"), /here: unsupported type/);
  assert.throws(() => normalize({ $ref: "#/definitions/Y" }, names, "here"), /unknown \$ref Y/);
});

Deno.test("the model marks Kubernetes' special types and Argo's AnyString fields", () => {
  const model = smallModel();
  assert.deepEqual(model.defs.get("IntOrString"), { kind: "int-or-string" });
  assert.deepEqual(model.defs.get("Quantity"), { kind: "scalar-string" });
  assert.deepEqual(model.defs.get("Item"), { kind: "any" });
  assert.ok(!model.defs.has("AnyString"), "AnyString only exists when a field uses it");
  assert.deepEqual([...model.kindRoots], [["Thing", "Thing"]]);
  assert.deepEqual([...model.defs.keys()], [...model.defs.keys()].sort());

  const withParameter = structuredClone(SMALL) as typeof SMALL & {
    definitions: Record<string, unknown>;
  };
  withParameter.definitions["io.argoproj.workflow.v1alpha1.Parameter"] = {
    type: "object",
    required: ["name"],
    properties: {
      name: { type: "string" },
      value: { type: "string" },
      default: { type: "string" },
      enum: { type: "array", items: { type: "string" } },
    },
  };
  withParameter.definitions["io.argoproj.workflow.v1alpha1.ValueFrom"] = {
    type: "object",
    properties: { default: { type: "string" }, path: { type: "string" } },
  };
  (withParameter.definitions["io.argoproj.workflow.v1alpha1.Step"] as {
    properties: Record<string, unknown>;
  }).properties.parameter = { $ref: "#/definitions/io.argoproj.workflow.v1alpha1.Parameter" };
  (withParameter.definitions["io.argoproj.workflow.v1alpha1.Step"] as {
    properties: Record<string, unknown>;
  }).properties.valueFrom = { $ref: "#/definitions/io.argoproj.workflow.v1alpha1.ValueFrom" };
  const m = buildModel(parseInput(withParameter));
  assert.deepEqual(m.defs.get("AnyString"), { kind: "scalar-string" });
  const parameter = m.defs.get("Parameter");
  assert.equal(parameter?.kind, "object");
  if (parameter?.kind !== "object") return;
  const anyString = { kind: "ref", name: "AnyString" };
  assert.deepEqual(parameter.properties.value.schema, anyString);
  assert.deepEqual(parameter.properties.default.schema, anyString);
  // The schema lost Parameter.description; the generator puts it back.
  assert.deepEqual(parameter.properties.description.schema, anyString);
  assert.deepEqual(parameter.properties.enum.schema, { kind: "array", items: anyString });
  assert.deepEqual(Object.keys(parameter.properties), [
    "default",
    "description",
    "enum",
    "name",
    "value",
  ]);
  const valueFrom = m.defs.get("ValueFrom");
  assert.ok(valueFrom?.kind === "object");
  assert.deepEqual(valueFrom.properties.default.schema, anyString);
  assert.deepEqual(valueFrom.properties.path.schema, { kind: "string" });
});

Deno.test("TypeScript types: optional fields, special types, maps, quoted keys", () => {
  const text = emitTypes(smallModel());
  assert.ok(text.startsWith("// Generated by scripts/gen_api.ts from Argo Workflows v4.1.2's"));
  const expected = [
    "export type IntOrString = number | string;",
    "export type Quantity = string | number;",
    "export type Item = JsonValue;",
    "export interface CoreV1HTTPHeader {\n  name: string;\n  value: string;\n}",
    "export interface HTTPHeader {\n  name: string;\n  value?: string;\n}",
    '  apiVersion?: "argoproj.io/v1alpha1";',
    "  metadata: ObjectMeta;\n  spec: Spec;",
    "  containers?: Container[];",
    "  items?: Item[];",
    "  labels?: Record<string, string>;",
    "  plugin?: Record<string, JsonValue>;",
    '  mode?: "a" | "b";',
    '  "odd-name"?: boolean;',
    "  env?: { name?: string }[];",
    "/** io.k8s.api.core.v1.HTTPHeader */",
  ];
  for (const snippet of expected) assert.ok(text.includes(snippet), `missing: ${snippet}`);
  assert.ok(!text.includes("Unused"));
});

Deno.test("compact schema nodes", () => {
  const model = smallModel();
  assert.deepEqual(compactNode(model.defs.get("Thing")!), {
    kind: "object",
    properties: {
      apiVersion: { kind: "string", const: "argoproj.io/v1alpha1" },
      kind: { kind: "string", const: "Thing" },
      metadata: "ObjectMeta",
      spec: "Spec",
    },
    required: ["metadata", "spec"],
  });
  const spec = compactNode(model.defs.get("Spec")!) as { properties: Record<string, unknown> };
  assert.deepEqual(spec.properties.labels, {
    kind: "object",
    properties: {},
    additional: { kind: "string" },
  });
  assert.deepEqual(spec.properties.plugin, { kind: "object", properties: {}, open: true });
  assert.deepEqual(spec.properties.items, { kind: "array", items: "Item" });
  assert.deepEqual(spec.properties.mode, { kind: "string", enum: ["a", "b"] });
  assert.deepEqual(compactNode(model.defs.get("IntOrString")!), { kind: "int-or-string" });
  assert.deepEqual(compactNode(model.defs.get("Quantity")!), { kind: "scalar-string" });
  assert.deepEqual(compactNode(model.defs.get("Item")!), { kind: "any" });
});

Deno.test("printLiteral: one line when it fits, one entry a line otherwise", () => {
  assert.equal(printLiteral({ a: 1, b: ["x"] }, 2, "k: ", ","), '  k: { a: 1, b: ["x"] },');
  assert.equal(printLiteral({}, 0, "", ""), "{}");
  const long = { key: "x".repeat(90), other: true };
  assert.equal(
    printLiteral(long, 0, "const v = ", ";"),
    `const v = {\n  key: "${"x".repeat(90)}",\n  other: true,\n};`,
  );
  assert.equal(printLiteral({ "a-b": null }, 0, "", ""), '{ "a-b": null }');
});

Deno.test("generated TypeScript is already in deno fmt style", async () => {
  // Includes a union too long for one line, which must be split the way deno fmt splits it.
  const schema = structuredClone(SMALL) as typeof SMALL & { definitions: Record<string, unknown> };
  (schema.definitions["io.argoproj.workflow.v1alpha1.Step"] as {
    properties: Record<string, unknown>;
  }).properties.phase = {
    type: "string",
    enum: ["Pending", "Running", "Succeeded", "Failed", "Error", "Skipped", "Omitted", "Unknown"],
  };
  const text = emitTypes(buildModel(parseInput(schema)));
  const child = new Deno.Command(Deno.execPath(), {
    args: ["fmt", "--line-width", "100", "--ext", "ts", "-"],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(text));
  await writer.close();
  const out = await child.output();
  assert.ok(out.success, new TextDecoder().decode(out.stderr));
  assert.equal(new TextDecoder().decode(out.stdout), text);
});

Deno.test("patch table: strategies, and the types that lead to them", () => {
  const table = patchTable(smallModel());
  assert.deepEqual(Object.fromEntries([...table].map(([k, v]) => [k, Object.fromEntries(v)])), {
    Container: { env: { mergeKey: "name", strategy: "merge" } },
    ObjectMeta: { finalizers: { strategy: "merge" } },
    // Spec and Step are listed through each other (a fixed point over the recursion).
    Spec: {
      containers: { mergeKey: "name", strategy: "merge", type: "Container" },
      step: { type: "Step" },
    },
    Step: { inline: { type: "Spec" } },
    Thing: { metadata: { type: "ObjectMeta" }, spec: { type: "Spec" } },
  });
});

/** Problems that would make the API server refuse a CRD schema as not structural. */
function structuralProblems(node: unknown, path = "openAPIV3Schema"): string[] {
  if (typeof node !== "object" || node === null || Array.isArray(node)) {
    return [`${path}: not a schema object`];
  }
  const n = node as Record<string, unknown>;
  const problems: string[] = [];
  const allowed = new Set([
    "type",
    "properties",
    "additionalProperties",
    "items",
    "required",
    "enum",
    "format",
    "description",
    "x-kubernetes-preserve-unknown-fields",
    "x-kubernetes-int-or-string",
    "x-kubernetes-map-type",
  ]);
  for (const key of Object.keys(n)) {
    if (!allowed.has(key)) problems.push(`${path}: keyword ${key} not allowed`);
  }
  const special = n["x-kubernetes-preserve-unknown-fields"] === true ||
    n["x-kubernetes-int-or-string"] === true;
  if (n.type === undefined && !special) problems.push(`${path}: no type`);
  if (n.properties !== undefined && n.additionalProperties !== undefined) {
    problems.push(`${path}: both properties and additionalProperties`);
  }
  if (n.type === "array" && n.items === undefined) problems.push(`${path}: array without items`);
  if (n.type === "object" && n.properties === undefined && n.additionalProperties === undefined) {
    if (!special && !path.endsWith(".metadata")) problems.push(`${path}: empty object`);
  }
  for (const [key, value] of Object.entries((n.properties ?? {}) as Record<string, unknown>)) {
    problems.push(...structuralProblems(value, `${path}.${key}`));
  }
  if (n.additionalProperties !== undefined) {
    problems.push(...structuralProblems(n.additionalProperties, `${path}[*]`));
  }
  if (n.items !== undefined) problems.push(...structuralProblems(n.items, `${path}[]`));
  return problems;
}

Deno.test("structural schemas: inlined, recursion cut, special types", () => {
  const model = smallModel();
  const thing = structural({ kind: "ref", name: "Thing" }, model);
  assert.deepEqual(structuralProblems(thing), []);
  const spec = (thing.properties as Record<string, Record<string, unknown>>).spec;
  const props = spec.properties as Record<string, Record<string, unknown>>;
  assert.deepEqual(props.retries, { "x-kubernetes-int-or-string": true });
  assert.deepEqual(props.memory, { "x-kubernetes-int-or-string": true });
  assert.deepEqual(props.items, {
    type: "array",
    items: { "x-kubernetes-preserve-unknown-fields": true },
  });
  assert.deepEqual(props.plugin, { type: "object", "x-kubernetes-preserve-unknown-fields": true });
  // Spec -> step -> inline Spec: the second Spec is cut.
  const step = props.step.properties as Record<string, unknown>;
  assert.deepEqual(step.inline, { type: "object", "x-kubernetes-preserve-unknown-fields": true });
  assert.deepEqual((thing.properties as Record<string, unknown>).apiVersion, { type: "string" });
  assert.ok(!JSON.stringify(thing).includes("$ref"));

  const cut = new Set<string>();
  const opened = structural({ kind: "ref", name: "Spec" }, model, [], {
    openFields: new Set(["Spec.containers"]),
    cuts: cut,
  });
  assert.deepEqual((opened.properties as Record<string, unknown>).containers, {
    "x-kubernetes-preserve-unknown-fields": true,
  });
  assert.deepEqual([...cut], ["Spec.containers"]);
});

Deno.test("minimal CRD schemas keep spec and status as they are", () => {
  const wf = minimalSchema("Workflow") as { properties: Record<string, unknown> };
  assert.deepEqual(wf.properties.spec, {
    type: "object",
    "x-kubernetes-map-type": "atomic",
    "x-kubernetes-preserve-unknown-fields": true,
  });
  assert.deepEqual(structuralProblems(wf), []);
  const result = minimalSchema("WorkflowTaskResult") as { properties: Record<string, unknown> };
  assert.equal(result.properties.spec, undefined);
  assert.deepEqual(result.properties.phase, { type: "string" });
});

/** Parses CRD files and checks what Kubernetes needs of them. */
function checkCrds(files: Map<string, string>): void {
  for (const dir of CRD_DIRS) {
    const kustomization = parse(files.get(`${dir}/kustomization.yaml`)!, { version: "1.1" });
    assert.equal(kustomization.kind, "Kustomization");
    const listed = new Set<string>(kustomization.resources);
    for (const info of Object.values(KINDS)) {
      const name = `argoproj.io_${info.plural}.yaml`;
      assert.ok(listed.has(name), `${dir}/kustomization.yaml lists ${name}`);
      const text = files.get(`${dir}/${name}`);
      assert.ok(text !== undefined, `${dir}/${name} generated`);
      const crd = parse(text, { version: "1.1" });
      assert.equal(crd.apiVersion, "apiextensions.k8s.io/v1");
      assert.equal(crd.kind, "CustomResourceDefinition");
      assert.equal(crd.metadata.name, `${info.plural}.argoproj.io`);
      assert.equal(crd.spec.group, "argoproj.io");
      assert.equal(crd.spec.scope, info.namespaced ? "Namespaced" : "Cluster");
      assert.deepEqual(crd.spec.names.kind, info.kind);
      assert.deepEqual(crd.spec.names.plural, info.plural);
      assert.deepEqual(crd.spec.names.shortNames ?? [], [...info.shortNames]);
      assert.deepEqual(crd.spec.names.categories, ["argo"]);
      const [version] = crd.spec.versions;
      assert.equal(version.name, "v1alpha1");
      assert.equal(version.subresources?.status !== undefined, info.statusSubresource);
      const schema = version.schema.openAPIV3Schema;
      assert.deepEqual(structuralProblems(schema), [], `${dir}/${name} is structural`);
      assert.ok(text.length < 1024 * 1024, `${dir}/${name} is under 1 MB`);
    }
  }
}

Deno.test("CRDs of a small schema parse and name every kind", () => {
  const object = (properties: Record<string, unknown>) => ({ type: "object", properties });
  const ref = (name: string) => ({ $ref: `#/definitions/io.argoproj.workflow.v1alpha1.${name}` });
  const schema = {
    oneOf: [ref("Workflow")],
    definitions: {
      "io.argoproj.workflow.v1alpha1.Workflow": {
        ...object({ apiVersion: { type: "string", const: "x" }, metadata: {}, spec: ref("Spec") }),
        required: ["metadata", "spec"],
      },
      "io.argoproj.workflow.v1alpha1.Spec": object({
        templates: { type: "array", items: ref("Template") },
      }),
      "io.argoproj.workflow.v1alpha1.Template": object({
        name: { type: "string" },
        outputs: ref("Outputs"),
      }),
      "io.argoproj.workflow.v1alpha1.Outputs": object({
        artifacts: { type: "array", items: ref("Artifact") },
      }),
      "io.argoproj.workflow.v1alpha1.Artifact": object({ name: { type: "string" } }),
      "io.argoproj.workflow.v1alpha1.ArtifactLocation": object({ s3: { type: "object" } }),
    },
  };
  // The kinds the schema has no definition for are built from Template, Outputs, Artifact...
  (schema.oneOf as unknown[]).push(ref("ArtifactLocation"));
  const files = emitCrds(buildModel(parseInput(schema)));
  assert.equal(files.size, 2 * (Object.keys(KINDS).length + 1));
  for (const dir of CRD_DIRS) {
    const kustomization = parse(files.get(`${dir}/kustomization.yaml`)!, { version: "1.1" });
    assert.equal(kustomization.kind, "Kustomization");
    for (const info of Object.values(KINDS)) {
      const name = `argoproj.io_${info.plural}.yaml`;
      assert.ok(kustomization.resources.includes(name), `${dir}/kustomization.yaml lists ${name}`);
      const crd = parse(files.get(`${dir}/${name}`)!, { version: "1.1" });
      assert.equal(crd.apiVersion, "apiextensions.k8s.io/v1");
      assert.equal(crd.kind, "CustomResourceDefinition");
      assert.equal(crd.metadata.name, `${info.plural}.argoproj.io`);
      assert.deepEqual(structuralProblems(crd.spec.versions[0].schema.openAPIV3Schema), []);
    }
  }
  const wf = parse(files.get("manifests/crds/full/argoproj.io_workflows.yaml")!, {
    version: "1.1",
  });
  const root = wf.spec.versions[0].schema.openAPIV3Schema;
  assert.deepEqual(root.properties.apiVersion, { type: "string" }, "no const in a CRD");
  assert.deepEqual(root.properties.metadata, { type: "object" });
  assert.deepEqual(root.required, ["metadata", "spec"]);
  const result = parse(files.get("manifests/crds/full/argoproj.io_workflowtaskresults.yaml")!, {
    version: "1.1",
  });
  const outputs = result.spec.versions[0].schema.openAPIV3Schema.properties.outputs;
  assert.deepEqual(outputs.properties.artifacts.items.properties.name, { type: "string" });
  // Without Outputs and the others, those kinds cannot be built.
  assert.throws(() => emitCrds(smallModel()), /unknown definition/);
});

Deno.test({
  name: "CRDs generated from the real schema are valid, structural and small enough",
  ignore: !schemaExists,
  fn() {
    const files = generatedFromSchema();
    checkCrds(files);
    const wf = parse(files.get("manifests/crds/full/argoproj.io_workflows.yaml")!, {
      version: "1.1",
    });
    const version = wf.spec.versions[0];
    assert.deepEqual(
      version.additionalPrinterColumns.map((c: { name: string }) => c.name),
      ["Status", "Age", "Message"],
    );
    assert.equal(version.subresources, undefined, "Argo's Workflow CRD has no status subresource");
    const spec = version.schema.openAPIV3Schema.properties.spec;
    const template = spec.properties.templates.items;
    // The step's inline template is where recursion is cut.
    const stepInline = template.properties.steps.items.items.properties.inline;
    assert.deepEqual(stepInline, { type: "object", "x-kubernetes-preserve-unknown-fields": true });
    assert.deepEqual(
      template.properties.inputs.properties.parameters.items.properties.value,
      { "x-kubernetes-preserve-unknown-fields": true },
    );
    assert.deepEqual(template.properties.retryStrategy.properties.limit, {
      "x-kubernetes-int-or-string": true,
    });
  },
});

Deno.test("the checked-in compact schema resolves every reference", () => {
  const missing: string[] = [];
  const walk = (ref: SchemaRef, where: string) => {
    if (typeof ref === "string") {
      if (!Object.hasOwn(definitions, ref)) missing.push(`${where} -> ${ref}`);
      return;
    }
    if (ref.kind === "object") {
      for (const [key, value] of Object.entries(ref.properties)) walk(value, `${where}.${key}`);
      if (ref.additional !== undefined) walk(ref.additional, `${where}[*]`);
    } else if (ref.kind === "array") {
      walk(ref.items, `${where}[]`);
    }
  };
  for (const [name, node] of Object.entries(definitions)) walk(node, name);
  assert.deepEqual(missing, []);
  assert.deepEqual(Object.keys(kindRoots), [
    "ClusterWorkflowTemplate",
    "CronWorkflow",
    "Workflow",
    "WorkflowEventBinding",
    "WorkflowTemplate",
  ]);
  for (const root of Object.values(kindRoots)) {
    assert.equal(resolveRef(root, definitions).kind, "object");
  }
  assert.throws(() => resolveRef("constructor", definitions), /unknown definition/);
  const parameter = resolveRef("Parameter", definitions);
  assert.ok(parameter.kind === "object");
  assert.equal(parameter.properties.value, "AnyString");
  assert.deepEqual(resolveRef(parameter.properties.value, definitions), { kind: "scalar-string" });
  assert.deepEqual(definitions.IntOrString, { kind: "int-or-string" });
  assert.deepEqual(definitions.Quantity, { kind: "scalar-string" });
  assert.deepEqual(definitions.Item, { kind: "any" });
  assert.ok(Object.hasOwn(definitions, "CoreV1HTTPHeader"));
});
