/**
 * Crash safety: a controller closed mid-workflow and a new one started over the same cluster
 * finish the workflow from cluster state alone, exactly once, creating each pod once.
 */
import assert from "node:assert/strict";
import * as k8s from "@kubernetes/client-node";
import {
  finishedPodNodes,
  sequentialWorkflow,
  startControllerTestCluster,
  waitForCompletion,
  workflowsApi,
} from "./controller_support_test.ts";

Deno.test("controller: a restart mid-workflow completes it once with no duplicate pod", async () => {
  const cluster = await startControllerTestCluster();
  try {
    const first = await cluster.controller("first");
    const api = workflowsApi(await cluster.kubeconfigAs("client"));
    await api.create(sequentialWorkflow("crash", 3, ["sleep", "1"]));
    // Stop while the second step runs: one pod done, one running, one not created.
    const mid = await waitForCompletion(
      () => api.get("crash"),
      15_000,
      (wf) => finishedPodNodes(wf).length >= 1,
    );
    assert.equal(finishedPodNodes(mid).length >= 1, true);
    await first.stop();
    await cluster.controller("second");
    const done = await waitForCompletion(() => api.get("crash"), 15_000);
    assert.equal(done.status?.phase, "Succeeded", done.status?.message ?? "");
    assert.deepEqual(finishedPodNodes(done), ["s0", "s1", "s2"]);

    const audit = cluster.server().audit();
    const podCreates = audit.filter((e) =>
      e.verb === "create" && e.resource === "pods" && e.subresource === undefined
    );
    // A create of an existing name answers 409 (adopted), so three 201s for three pods means
    // each pod was created once.
    assert.equal(podCreates.filter((e) => e.code === 201).length, 3, JSON.stringify(podCreates));
    for (const entry of podCreates) {
      assert.ok(entry.code === 201 || entry.code === 409, `pod create answered ${entry.code}`);
    }
    const pods = await (await cluster.kubeconfigAs("client")).makeApiClient(k8s.CoreV1Api)
      .listNamespacedPod({ namespace: "argo", labelSelector: "workflows.argoproj.io/workflow" });
    assert.equal(pods.items.length, 3);
    // Completed exactly once: a single WorkflowSucceeded event.
    const events = await (await cluster.kubeconfigAs("client")).makeApiClient(k8s.CoreV1Api)
      .listNamespacedEvent({ namespace: "argo" });
    assert.equal(events.items.filter((e) => e.reason === "WorkflowSucceeded").length, 1);
    const writers = new Set(
      audit.filter((e) => e.resource === "pods" && e.verb === "create").map((e) => e.user),
    );
    assert.ok(writers.has("system:serviceaccount:argo:second"), [...writers].join(","));
  } finally {
    await cluster.close();
  }
});
