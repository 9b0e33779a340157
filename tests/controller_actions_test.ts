/**
 * The engine's cleanup and synchronization actions applied by the controller on the embedded
 * cluster: pod GC and TTL deletion, and a mutex that two workflows take in turn.
 */
import assert from "node:assert/strict";
import * as k8s from "@kubernetes/client-node";
import type { Workflow } from "../api/types.gen.ts";
import {
  startControllerTestCluster,
  waitForCompletion,
  workflowsApi,
} from "./controller_support_test.ts";

async function until(condition: () => Promise<boolean>, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (!(await condition())) {
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return true;
}

function single(name: string, spec: Record<string, unknown>, command: string[]): Workflow {
  return {
    apiVersion: "argoproj.io/v1alpha1",
    kind: "Workflow",
    metadata: { name, namespace: "argo" },
    spec: {
      entrypoint: "main",
      templates: [{ name: "main", container: { image: "alpine", command } }],
      ...spec,
    },
  } as Workflow;
}

Deno.test("controller: pod GC deletes the pod and the TTL deletes the workflow", async () => {
  const cluster = await startControllerTestCluster();
  try {
    await cluster.controller("controller");
    const kc = await cluster.kubeconfigAs("client");
    const api = workflowsApi(kc);
    const core = kc.makeApiClient(k8s.CoreV1Api);
    await api.create(single("gc", {
      podGC: { strategy: "OnPodCompletion" },
      ttlStrategy: { secondsAfterCompletion: 1 },
    }, ["true"]));
    const done = await waitForCompletion(() => api.get("gc"), 10_000);
    assert.equal(done.status?.phase, "Succeeded", done.status?.message ?? "");
    const podsGone = await until(async () => {
      const pods = await core.listNamespacedPod({
        namespace: "argo",
        labelSelector: "workflows.argoproj.io/workflow=gc",
      });
      return pods.items.length === 0;
    }, 8_000);
    assert.ok(podsGone, "the pod was garbage-collected");
    const workflowGone = await until(
      () => api.get("gc").then(() => false, (e) => e instanceof k8s.ApiException && e.code === 404),
      8_000,
    );
    assert.ok(workflowGone, "the workflow was deleted after its TTL");
  } finally {
    await cluster.close();
  }
});

Deno.test("controller: two workflows sharing a mutex run one after the other", async () => {
  const cluster = await startControllerTestCluster();
  try {
    await cluster.controller("controller");
    const api = workflowsApi(await cluster.kubeconfigAs("client"));
    const sync = { synchronization: { mutexes: [{ name: "one-at-a-time" }] } };
    await api.create(single("first", sync, ["sleep", "1"]));
    await api.create(single("second", sync, ["sleep", "1"]));
    const first = await waitForCompletion(() => api.get("first"), 15_000);
    const second = await waitForCompletion(() => api.get("second"), 15_000);
    assert.equal(first.status?.phase, "Succeeded", first.status?.message ?? "");
    assert.equal(second.status?.phase, "Succeeded", second.status?.message ?? "");
    // In the audit's order: the later pod is bound only after the earlier one completed.
    const audit = cluster.server().audit();
    const bound = (wf: string) =>
      audit.findIndex((e) => e.subresource === "binding" && e.name?.startsWith(`${wf}`));
    const lastStatus = (wf: string) =>
      audit.findLastIndex((e) => e.subresource === "status" && e.name?.startsWith(`${wf}`));
    const [a, b] = bound("first") < bound("second") ? ["first", "second"] : ["second", "first"];
    assert.ok(bound(a) >= 0 && bound(b) >= 0);
    assert.ok(lastStatus(a) < bound(b), "the second pod started after the first one ended");
  } finally {
    await cluster.close();
  }
});
