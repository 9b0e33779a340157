import assert from "node:assert/strict";
import * as k8s from "@kubernetes/client-node";
import { startApiServer } from "./mod.ts";
import { podManifest } from "./testing.ts";

async function until(what: string, check: () => boolean, ms = 8000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

function codeOf(e: unknown): number | undefined {
  return (e as { code?: number }).code;
}

Deno.test("client-node: pods and configmaps over HTTPS, patches, 409 on stale update", async () => {
  const server = await startApiServer({ port: 0 });
  try {
    const kc = new k8s.KubeConfig();
    kc.loadFromString(server.kubeconfig);
    const core = kc.makeApiClient(k8s.CoreV1Api);
    const namespace = "default";
    const created = await core.createNamespacedPod({ namespace, body: podManifest("p1") });
    assert.equal(created.metadata?.name, "p1");
    const read = await core.readNamespacedPod({ name: "p1", namespace });
    assert.equal(read.metadata?.uid, created.metadata?.uid);
    const list = await core.listNamespacedPod({ namespace });
    assert.deepEqual(list.items.map((p) => p.metadata?.name), ["p1"]);
    const merged = await core.patchNamespacedPod(
      { name: "p1", namespace, body: { metadata: { labels: { a: "b" } } } },
      k8s.setHeaderOptions("Content-Type", k8s.PatchStrategy.MergePatch),
    );
    assert.deepEqual(merged.metadata?.labels, { a: "b" });
    const patched = await core.patchNamespacedPod({
      name: "p1",
      namespace,
      body: [{ op: "replace", path: "/metadata/labels/a", value: "c" }],
    });
    assert.deepEqual(patched.metadata?.labels, { a: "c" });
    await assert.rejects(
      core.readNamespacedPod({ name: "nope", namespace }),
      (e) => codeOf(e) === 404,
    );
    await core.deleteNamespacedPod({ name: "p1", namespace });
    await assert.rejects(
      core.readNamespacedPod({ name: "p1", namespace }),
      (e) => codeOf(e) === 404,
    );

    const cm = await core.createNamespacedConfigMap({
      namespace,
      body: { metadata: { name: "cm" }, data: { a: "1" } },
    });
    const fresh = await core.replaceNamespacedConfigMap({
      name: "cm",
      namespace,
      body: { ...cm, data: { a: "2" } },
    });
    assert.deepEqual(fresh.data, { a: "2" });
    await assert.rejects(
      core.replaceNamespacedConfigMap({ name: "cm", namespace, body: { ...cm, data: { a: "3" } } }),
      (e) => codeOf(e) === 409,
    );
    await assert.rejects(
      core.createNamespacedConfigMap({ namespace, body: { metadata: { name: "cm" } } }),
      (e) => codeOf(e) === 409,
    );
    const cms = await core.listNamespacedConfigMap({ namespace });
    assert.deepEqual(cms.items.map((c) => c.data), [{ a: "2" }]);
    await core.deleteNamespacedConfigMap({ name: "cm", namespace });
  } finally {
    await server.close();
  }
});

Deno.test("client-node: an informer loses no event across a restart of a file-backed server", async () => {
  const stateDir = await Deno.makeTempDir({ prefix: "argo-ts-apiserver-" });
  let server = await startApiServer({ stateDir, port: 0 });
  const port = Number(new URL(server.url).port);
  const kc = new k8s.KubeConfig();
  kc.loadFromFile(server.kubeconfigPath!);
  const core = kc.makeApiClient(k8s.CoreV1Api);
  const namespace = "default";
  const path = "/api/v1/namespaces/default/configmaps";
  const informer = k8s.makeInformer(kc, path, () => core.listNamespacedConfigMap({ namespace }));
  const seen: string[] = [];
  let stopped = false;
  informer.on("add", (o) => seen.push(`add:${o.metadata?.name}`));
  informer.on("update", (o) => seen.push(`update:${o.metadata?.name}:${o.data?.v}`));
  informer.on("delete", (o) => seen.push(`delete:${o.metadata?.name}`));
  informer.on("error", () => {
    if (!stopped) setTimeout(() => !stopped && informer.start(), 100);
  });
  try {
    await informer.start();
    await core.createNamespacedConfigMap({
      namespace,
      body: { metadata: { name: "a" }, data: { v: "1" } },
    });
    await until("add:a", () => seen.includes("add:a"));
    await server.close();
    server = await startApiServer({ stateDir, port });
    assert.equal(server.url, `https://127.0.0.1:${port}`);
    const after = kc.makeApiClient(k8s.CoreV1Api);
    const a = await after.readNamespacedConfigMap({ name: "a", namespace });
    assert.deepEqual(a.data, { v: "1" }, "objects survive the restart");
    await after.createNamespacedConfigMap({ namespace, body: { metadata: { name: "b" } } });
    await after.patchNamespacedConfigMap(
      { name: "a", namespace, body: { data: { v: "2" } } },
      k8s.setHeaderOptions("Content-Type", k8s.PatchStrategy.MergePatch),
    );
    await after.deleteNamespacedConfigMap({ name: "b", namespace });
    await until("events after restart", () => seen.includes("delete:b")).catch((e) => {
      console.error("SEEN", seen, server.audit().map((a) => `${a.verb} ${a.path} ${a.code}`));
      throw e;
    });
    assert.deepEqual(seen, ["add:a", "add:b", "update:a:2", "delete:b"]);
    assert.deepEqual(informer.list().map((o) => o.data?.v), ["2"]);
  } finally {
    stopped = true;
    await informer.stop();
    await server.close();
    await Deno.remove(stateDir, { recursive: true });
  }
});
