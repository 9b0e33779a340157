/**
 * A bug in the engine (an exception out of reconcile) ends that workflow in Error with the
 * message, and the controller keeps serving other workflows.
 */
import assert from "node:assert/strict";
import * as k8s from "@kubernetes/client-node";
import type { Workflow } from "../api/types.gen.ts";
import { reconcile, type Snapshot } from "../controller/operator/mod.ts";
import { sequentialWorkflow, startControllerTestCluster } from "./controller_support_test.ts";

Deno.test("an engine exception ends one workflow in Error; the controller carries on", async () => {
  const cluster = await startControllerTestCluster();
  try {
    // The engine fails for one workflow only, as a bug triggered by its spec would.
    await cluster.controller("engine-error", {
      reconcile: (snapshot: Snapshot) => {
        if (snapshot.workflow.metadata.name === "breaks-the-engine") {
          throw new Error("boom while walking the spec");
        }
        return reconcile(snapshot);
      },
    });
    const kc = await cluster.kubeconfigAs("test-client");
    const custom = kc.makeApiClient(k8s.CustomObjectsApi);
    const create = (wf: Workflow) =>
      custom.createNamespacedCustomObject({
        group: "argoproj.io",
        version: "v1alpha1",
        plural: "workflows",
        namespace: "argo",
        body: wf,
      });
    await create(sequentialWorkflow("breaks-the-engine", 1, ["true"]));
    await create(sequentialWorkflow("runs-fine", 1, ["true"]));
    const phaseOf = async (name: string) =>
      (await custom.getNamespacedCustomObject({
        group: "argoproj.io",
        version: "v1alpha1",
        plural: "workflows",
        namespace: "argo",
        name,
      }) as Workflow).status;
    let broken, fine;
    for (let i = 0; i < 300; i++) {
      broken = await phaseOf("breaks-the-engine");
      fine = await phaseOf("runs-fine");
      if (broken?.phase === "Error" && fine?.phase === "Succeeded") break;
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal(broken?.phase, "Error");
    assert.equal(broken?.message, "internal error: boom while walking the spec");
    assert.equal(fine?.phase, "Succeeded");
  } finally {
    await cluster.close();
  }
});
