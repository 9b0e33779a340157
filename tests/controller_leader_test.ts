/**
 * Leader election end to end: two controllers against one API server, only the Lease holder
 * writes; when it stops, the other takes over and finishes the workflow.
 */
import assert from "node:assert/strict";
import type { AuditEntry } from "../cluster/mod.ts";
import {
  finishedPodNodes,
  sequentialWorkflow,
  startControllerTestCluster,
  waitForCompletion,
  workflowsApi,
} from "./controller_support_test.ts";

const ELECTION = { leaseDurationMs: 3_000, renewDeadlineMs: 2_000, retryPeriodMs: 250 };
const WRITES = new Set(["create", "update", "patch", "delete"]);

/** Who wrote anything other than the Lease, among the controllers. */
function writers(audit: AuditEntry[]): Set<string> {
  return new Set(
    audit.filter((e) =>
      WRITES.has(e.verb) && e.resource !== "leases.coordination.k8s.io" &&
      e.user.startsWith("system:serviceaccount:argo:controller-")
    ).map((e) => e.user.slice("system:serviceaccount:argo:".length)),
  );
}

async function until(condition: () => boolean, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return true;
}

Deno.test("controller: with two controllers only the leader writes, and the other takes over", async () => {
  const cluster = await startControllerTestCluster();
  try {
    const a = await cluster.controller("controller-a", {
      leaderElection: { identity: "a", ...ELECTION },
    });
    assert.ok(await until(() => a.leading, 5_000), "a leads");
    const b = await cluster.controller("controller-b", {
      leaderElection: { identity: "b", ...ELECTION },
    });
    const api = workflowsApi(await cluster.kubeconfigAs("client"));
    await api.create(sequentialWorkflow("ha", 3, ["sleep", "1"]));
    await waitForCompletion(() => api.get("ha"), 15_000, (wf) => finishedPodNodes(wf).length >= 1);
    assert.equal(b.leading, false);
    assert.equal(b.metrics.isLeader.get(), 0);
    assert.equal(a.metrics.isLeader.get(), 1);
    const before = cluster.server().audit();
    assert.deepEqual([...writers(before)], ["controller-a"]);
    assert.ok(
      before.some((e) => e.user.endsWith(":controller-b") && e.resource.startsWith("leases")),
      "b campaigns",
    );

    await a.stop();
    const done = await waitForCompletion(() => api.get("ha"), 15_000);
    assert.equal(done.status?.phase, "Succeeded", done.status?.message ?? "");
    assert.deepEqual(finishedPodNodes(done), ["s0", "s1", "s2"]);
    assert.equal(b.leading, true);
    const after = cluster.server().audit().slice(before.length);
    assert.deepEqual([...writers(after)].filter((w) => w !== "controller-a"), ["controller-b"]);
  } finally {
    await cluster.close();
  }
});
