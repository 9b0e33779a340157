import assert from "node:assert/strict";
import { Command } from "@commander-js/extra-typings";
import { parseAllDocuments } from "yaml";
import { installCommand, installManifests } from "./install.ts";
import { memoryIo } from "./io.ts";

async function run(args: string[]) {
  const io = memoryIo();
  const ctx = { io, exitCode: 0 };
  const program = new Command().exitOverride();
  program.addCommand(installCommand(ctx));
  await program.parseAsync(args, { from: "user" });
  return { code: ctx.exitCode, stdout: io.stdout(), stderr: io.stderr() };
}

Deno.test("install --dry-run prints every object as YAML, moved to --namespace and --image", async () => {
  const r = await run(["install", "--dry-run", "--namespace", "ops", "--image", "reg/argo-ts:1"]);
  assert.equal(r.code, 0, r.stderr);
  const objects = parseAllDocuments(r.stdout).map((d) => d.toJS());
  assert.equal(objects.length, installManifests().length);
  for (const o of objects) {
    if (["CustomResourceDefinition", "ClusterRole", "ClusterRoleBinding"].includes(o.kind)) {
      assert.equal(o.metadata.namespace, undefined, o.kind);
    } else if (o.kind === "Namespace") assert.equal(o.metadata.name, "ops");
    else assert.equal(o.metadata.namespace, "ops", `${o.kind}/${o.metadata.name}`);
    for (const s of o.subjects ?? []) assert.equal(s.namespace, "ops");
  }
  const deployment = objects.find((o) => o.kind === "Deployment");
  assert.equal(deployment.spec.template.spec.containers[0].image, "reg/argo-ts:1");
  const cm = objects.find((o) => o.kind === "ConfigMap");
  assert.match(cm.data.executor, /image: reg\/argo-ts:1/);
});

Deno.test("install without a cluster says so and exits 1", async () => {
  const r = await run(["install", "--kubeconfig", "/nonexistent/kubeconfig"]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /^argo-ts install: /);
});
