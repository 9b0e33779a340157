/**
 * The deployment manifests: they apply with a real kubectl (v1.33, tests/kubectl.ts) into the
 * embedded cluster, `argo-ts install` applies the same objects through the API, the generated
 * CRDs (manifests/crds/full) accept every example, the controller Deployment keeps its security
 * settings, and the executor's rights stay minimal. kubectl tests skip, saying why, only when
 * npm cannot fetch kubectl.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { Command } from "@commander-js/extra-typings";
import { parse, parseAllDocuments } from "yaml";
import { loadSource } from "../api/source.ts";
import { startEmbeddedCluster } from "../cluster/command.ts";
import { installCommand, installManifests } from "../cli/install.ts";
import { memoryIo } from "../cli/io.ts";
import { BUNDLE_PATH, renderBundle } from "../manifests/gen_bundle.ts";
import { ensureKubectl, kubectl } from "./kubectl.ts";

const ROOT = new URL("../", import.meta.url).pathname;
const found = await ensureKubectl();
if (found.reason !== undefined) console.warn(`kubectl manifest tests skipped: ${found.reason}`);

async function withCluster(
  fn: (kubeconfigPath: string, home: string) => Promise<void>,
): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "argo-ts-manifests-" });
  const cluster = await startEmbeddedCluster({ nodeDir: `${dir}/node` });
  const kubeconfigPath = join(dir, "kubeconfig");
  await Deno.writeTextFile(kubeconfigPath, cluster.kubeconfig);
  await Deno.mkdir(join(dir, "home"));
  try {
    await fn(kubeconfigPath, join(dir, "home"));
  } finally {
    await cluster.close();
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
}

Deno.test("the install bundle embedded in the program matches manifests/ on disk", async () => {
  const onDisk = await Deno.readTextFile(join(ROOT, BUNDLE_PATH));
  assert.ok(
    onDisk === await renderBundle(),
    `${BUNDLE_PATH} is stale: run \`./argo-ts --deno run -A manifests/gen_bundle.ts\``,
  );
});

Deno.test({
  name: "manifests: kubectl apply -k manifests/base, namespace-install and quick-start succeed",
  ignore: found.path === undefined,
  async fn() {
    await withCluster(async (kubeconfigPath, home) => {
      const k = (...args: string[]) => kubectl(found.path!, kubeconfigPath, home, args);
      let r = await k("apply", "-k", "manifests/base");
      assert.equal(r.code, 0, r.stdout + r.stderr);
      for (
        const line of [
          "deployment.apps/workflow-controller",
          "clusterrole.rbac.authorization.k8s.io/argo-ts-controller",
          "role.rbac.authorization.k8s.io/argo-ts-executor",
          "configmap/workflow-controller-configmap",
          "serviceaccount/argo-workflow",
          "customresourcedefinition.apiextensions.k8s.io/cronworkflows.argoproj.io",
        ]
      ) {
        assert.match(
          r.stdout,
          new RegExp(`${line.replaceAll(".", "\\.")} (created|configured|unchanged)`),
        );
      }
      // A second apply changes nothing.
      r = await k("apply", "-k", "manifests/base");
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /deployment.apps\/workflow-controller unchanged/);
      // The CRDs are served: a CronWorkflow can be created and listed.
      r = await k("apply", "-k", "manifests/quick-start");
      assert.equal(r.code, 0, r.stdout + r.stderr);
      r = await k("get", "cronworkflows", "-n", "argo", "-o", "name");
      assert.match(r.stdout, /cronworkflow.argoproj.io\/hello-cron/);
      r = await k("apply", "-k", "manifests/namespace-install");
      assert.equal(r.code, 0, r.stdout + r.stderr);
      assert.match(
        r.stdout,
        /role.rbac.authorization.k8s.io\/argo-ts-controller-namespaced created/,
      );
      r = await k("get", "deployment", "workflow-controller", "-n", "argo", "-o", "json");
      const deployment = JSON.parse(r.stdout);
      assert.equal(deployment.spec.template.spec.serviceAccountName, "argo-ts-controller");
    });
  },
});

Deno.test({
  name: "argo-ts install applies the same objects through the API, twice, into another namespace",
  ignore: found.path === undefined,
  async fn() {
    await withCluster(async (kubeconfigPath, home) => {
      const run = async (args: string[]) => {
        const io = memoryIo();
        const ctx = { io, exitCode: 0 };
        const program = new Command().exitOverride();
        program.addCommand(installCommand(ctx));
        await program.parseAsync(args, { from: "user" });
        return { code: ctx.exitCode, stdout: io.stdout(), stderr: io.stderr() };
      };
      const args = ["install", "--namespace", "ops", "--kubeconfig", kubeconfigPath];
      let r = await run(args);
      assert.equal(r.code, 0, r.stderr);
      // The embedded cluster starts with the CRDs installed: they are updated in place.
      assert.match(
        r.stdout,
        /^customresourcedefinition.apiextensions.k8s.io\/workflows.argoproj.io (created|configured)$/m,
      );
      assert.match(r.stdout, /^namespace\/ops created$/m);
      assert.match(r.stdout, /^deployment.apps\/workflow-controller created$/m);
      r = await run(args);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /^deployment.apps\/workflow-controller configured$/m);
      assert.doesNotMatch(r.stdout, / created$/m);
      const k = (...a: string[]) => kubectl(found.path!, kubeconfigPath, home, a);
      const binding = JSON.parse(
        (await k("get", "clusterrolebinding", "argo-ts-controller", "-o", "json")).stdout,
      );
      assert.deepEqual(binding.subjects, [
        { kind: "ServiceAccount", name: "argo-ts-controller", namespace: "ops" },
      ]);
      const cm = await k("get", "configmap", "workflow-controller-configmap", "-n", "ops");
      assert.equal(cm.code, 0, cm.stderr);
    });
  },
});

Deno.test("argo-ts install --dry-run prints what kubectl kustomize builds", async () => {
  const objects = installManifests();
  const kinds = objects.map((o) => o.kind);
  assert.equal(kinds.filter((k) => k === "CustomResourceDefinition").length, 8);
  assert.ok(kinds.indexOf("CustomResourceDefinition") < kinds.indexOf("Deployment"));
  if (found.path === undefined) return;
  const built = await kubectl(found.path, "/dev/null", await Deno.makeTempDir(), [
    "kustomize",
    "manifests/base",
  ]);
  assert.equal(built.code, 0, built.stderr);
  const names = (list: Array<{ kind?: string; metadata?: { name?: string } }>) =>
    list.map((o) => `${o.kind}/${o.metadata?.name}`).sort();
  const fromKubectl = parseAllDocuments(built.stdout).map((d) => d.toJS());
  assert.deepEqual(names(objects), names(fromKubectl));
});

function manifest(file: string, kind: string, name: string): Record<string, unknown> {
  const text = Deno.readTextFileSync(join(ROOT, file));
  const found = parseAllDocuments(text).map((d) => d.toJS()).find((o) =>
    o?.kind === kind && o?.metadata?.name === name
  );
  assert.ok(found, `${kind}/${name} in ${file}`);
  return found;
}

Deno.test("the controller Deployment: probes, metrics port, requests, non-root, read-only, seccomp", () => {
  // deno-lint-ignore no-explicit-any
  const d = manifest("manifests/base/deployment.yaml", "Deployment", "workflow-controller") as any;
  const pod = d.spec.template.spec;
  const c = pod.containers[0];
  assert.deepEqual(c.args.slice(0, 1), ["controller"]);
  assert.equal(c.livenessProbe.httpGet.path, "/healthz");
  assert.equal(c.readinessProbe.httpGet.path, "/healthz");
  assert.equal(c.ports[0].containerPort, 9090);
  assert.ok(c.resources.requests.cpu && c.resources.requests.memory);
  assert.equal(pod.securityContext.runAsNonRoot, true);
  assert.equal(pod.securityContext.seccompProfile.type, "RuntimeDefault");
  assert.equal(c.securityContext.readOnlyRootFilesystem, true);
  assert.equal(c.securityContext.allowPrivilegeEscalation, false);
  assert.deepEqual(c.securityContext.capabilities.drop, ["ALL"]);
  const cm = manifest(
    "manifests/base/configmap.yaml",
    "ConfigMap",
    "workflow-controller-configmap",
  );
  const executor = parse((cm.data as Record<string, string>).executor);
  assert.equal(executor.image, c.image, "the executor image is the controller image");
});

Deno.test("RBAC: the executor only creates and patches WorkflowTaskResults; secrets are get-only", () => {
  // deno-lint-ignore no-explicit-any
  const executor = manifest("manifests/base/workflow-rbac.yaml", "Role", "argo-ts-executor") as any;
  assert.deepEqual(executor.rules, [
    { apiGroups: ["argoproj.io"], resources: ["workflowtaskresults"], verbs: ["create", "patch"] },
  ]);
  for (
    const [file, kind, name] of [
      ["manifests/base/controller-rbac.yaml", "ClusterRole", "argo-ts-controller"],
      ["manifests/namespace-install/namespaced-rbac.yaml", "Role", "argo-ts-controller-namespaced"],
    ]
  ) {
    // deno-lint-ignore no-explicit-any
    const role = manifest(file, kind, name) as any;
    // deno-lint-ignore no-explicit-any
    const secrets = role.rules.filter((r: any) => r.resources.includes("secrets"));
    assert.deepEqual(secrets.map((r: { verbs: string[] }) => r.verbs), [["get"]]);
    // deno-lint-ignore no-explicit-any
    assert.ok(!role.rules.some((r: any) => r.verbs.includes("*") || r.resources.includes("*")));
  }
});

// ---- The generated CRDs accept the project's examples (a small structural-schema walker). ----

interface Schema {
  type?: string;
  properties?: Record<string, Schema>;
  additionalProperties?: Schema | boolean;
  items?: Schema;
  required?: string[];
  enum?: unknown[];
  "x-kubernetes-preserve-unknown-fields"?: boolean;
  "x-kubernetes-int-or-string"?: boolean;
}

function check(schema: Schema, value: unknown, path: string, errors: string[]): void {
  if (value === null || value === undefined) return;
  if (schema["x-kubernetes-int-or-string"]) {
    if (typeof value !== "string" && !Number.isInteger(value)) {
      errors.push(`${path}: want an integer or a string`);
    }
    return;
  }
  switch (schema.type) {
    case "object": {
      if (typeof value !== "object" || Array.isArray(value)) {
        errors.push(`${path}: want an object`);
        return;
      }
      const record = value as Record<string, unknown>;
      for (const name of schema.required ?? []) {
        if (!(name in record)) errors.push(`${path}: missing required field ${name}`);
      }
      for (const [key, child] of Object.entries(record)) {
        const property = schema.properties?.[key];
        if (property) check(property, child, `${path}.${key}`, errors);
        else if (typeof schema.additionalProperties === "object") {
          check(schema.additionalProperties, child, `${path}.${key}`, errors);
        } else if (
          !schema["x-kubernetes-preserve-unknown-fields"] && schema.additionalProperties !== true &&
          schema.properties
        ) errors.push(`${path}.${key}: unknown field`);
      }
      return;
    }
    case "array":
      if (!Array.isArray(value)) errors.push(`${path}: want an array`);
      else if (schema.items) {
        value.forEach((v, i) => check(schema.items!, v, `${path}[${i}]`, errors));
      }
      return;
    case "string":
      if (typeof value !== "string") errors.push(`${path}: want a string`);
      return;
    case "integer":
      if (!Number.isInteger(value)) errors.push(`${path}: want an integer`);
      return;
    case "number":
      if (typeof value !== "number") errors.push(`${path}: want a number`);
      return;
    case "boolean":
      if (typeof value !== "boolean") errors.push(`${path}: want a boolean`);
      return;
  }
}

Deno.test("the full CRDs accept every example in examples/ and the quick start", async () => {
  const schemas = new Map<string, Schema>();
  for await (const entry of Deno.readDir(join(ROOT, "manifests/crds/full"))) {
    if (!entry.name.startsWith("argoproj.io_")) continue;
    const crd = parse(await Deno.readTextFile(join(ROOT, "manifests/crds/full", entry.name)));
    schemas.set(crd.spec.names.kind, crd.spec.versions[0].schema.openAPIV3Schema);
  }
  assert.ok(schemas.has("Workflow") && schemas.has("CronWorkflow"));
  const files = [
    ...[...Deno.readDirSync(join(ROOT, "examples"))].filter((e) => e.name.endsWith(".yaml"))
      .map((e) => `examples/${e.name}`),
    "manifests/quick-start/hello-cron.yaml",
  ];
  let checked = 0;
  const errors: string[] = [];
  for (const file of files.sort()) {
    const loaded = loadSource(await Deno.readTextFile(join(ROOT, file)), file);
    assert.deepEqual(loaded.problems, [], file);
    for (const document of loaded.documents) {
      const kind = (document.value as { kind?: string })?.kind;
      const schema = kind ? schemas.get(kind) : undefined;
      if (!schema) continue;
      check(schema, document.value, `${file}#${document.index}`, errors);
      checked++;
    }
  }
  assert.deepEqual(errors, []);
  assert.ok(checked >= files.length - 1, `checked ${checked} documents`);
});

Deno.test("the schema walker does reject what the API server would", () => {
  const schema: Schema = {
    type: "object",
    required: ["spec"],
    properties: {
      spec: {
        type: "object",
        properties: { entrypoint: { type: "string" }, parallelism: { type: "integer" } },
      },
    },
  };
  const errors: string[] = [];
  check(schema, { spec: { entrypoint: 1, parallelism: "x", bogus: true } }, "wf", errors);
  check(schema, {}, "empty", errors);
  assert.deepEqual(errors, [
    "wf.spec.entrypoint: want a string",
    "wf.spec.parallelism: want an integer",
    "wf.spec.bogus: unknown field",
    "empty: missing required field spec",
  ]);
});
