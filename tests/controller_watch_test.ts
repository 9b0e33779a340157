/**
 * Watch robustness: the API server restarts mid-workflow (every watch connection drops, and
 * requests fail while it is down); the controller's informers reconnect or re-list, and the
 * workflow completes with nothing lost.
 */
import assert from "node:assert/strict";
import {
  finishedPodNodes,
  sequentialWorkflow,
  startControllerTestCluster,
  waitForCompletion,
  workflowsApi,
} from "./controller_support_test.ts";

Deno.test("controller: an API server restart mid-workflow loses nothing", async () => {
  const cluster = await startControllerTestCluster({ durable: true });
  try {
    const messages: string[] = [];
    const controller = await cluster.controller("controller", {
      log: (message) => messages.push(message),
    });
    const api = workflowsApi(await cluster.kubeconfigAs("client"));
    await api.create(sequentialWorkflow("restart", 3, ["sleep", "1"]));
    await waitForCompletion(
      () => api.get("restart"),
      15_000,
      (wf) => finishedPodNodes(wf).length >= 1,
    );
    const watchesBefore = cluster.server().watchCount();
    assert.ok(watchesBefore >= 6, `the controller watches (${watchesBefore} watches)`);
    await cluster.restartApiServer();
    const done = await waitForCompletion(() => api.get("restart"), 15_000);
    assert.equal(done.status?.phase, "Succeeded", done.status?.message ?? "");
    assert.deepEqual(finishedPodNodes(done), ["s0", "s1", "s2"]);
    // The controller watches the new server too (it did reconnect, not just poll).
    assert.ok(cluster.server().watchCount() >= 6, `${cluster.server().watchCount()} watches`);
    assert.equal(controller.leading, true);
  } finally {
    await cluster.close();
  }
});
