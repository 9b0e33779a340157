import assert from "node:assert/strict";
import type { Workflow } from "../api/types.gen.ts";
import { goTimeString, waitLine } from "./watch.ts";
import { podColor } from "./logs.ts";
import { resubmitted, retryPlan } from "./actions.ts";

Deno.test("waitLine prints finishedAt as Go's time.Time does", () => {
  const wf = {
    metadata: { name: "hello-abc" },
    spec: {},
    status: { phase: "Failed", finishedAt: "2026-01-02T15:04:05Z" },
  } as unknown as Workflow;
  assert.equal(waitLine(wf), "hello-abc Failed at 2026-01-02 15:04:05 +0000 UTC\n");
  assert.equal(goTimeString(undefined), "0001-01-01 00:00:00 +0000 UTC");
});

Deno.test("a pod keeps its colour", () => {
  assert.equal(podColor("hello-abc-123"), podColor("hello-abc-123"));
  assert.notEqual(podColor("a"), 31, "never red");
});

function node(id: string, type: string, phase: string, children: string[] = []) {
  return { id, name: id, displayName: id, type, phase, children };
}

Deno.test("retryPlan deletes failed pods and exit handlers, resets their ancestors", () => {
  const wf = {
    metadata: { name: "w" },
    spec: {},
    status: {
      phase: "Failed",
      nodes: {
        w: node("w", "Steps", "Failed", ["g0", "g1"]),
        g0: node("g0", "StepGroup", "Succeeded", ["ok"]),
        ok: node("ok", "Pod", "Succeeded"),
        g1: node("g1", "StepGroup", "Failed", ["bad"]),
        bad: node("bad", "Pod", "Failed"),
        "w.onExit": node("w.onExit", "Pod", "Succeeded"),
      },
    },
  } as unknown as Workflow;
  const plan = retryPlan(wf, { restartSuccessful: false, requirements: [] });
  assert.deepEqual([...plan.deleted].sort(), ["bad", "w.onExit"]);
  assert.deepEqual([...plan.reset].sort(), ["g1", "w"]);
  const again = retryPlan(wf, {
    restartSuccessful: true,
    requirements: [{ field: "displayName", operator: "=", value: "ok" }],
  });
  assert.deepEqual([...again.deleted].sort(), ["bad", "ok", "w.onExit"]);
  assert.deepEqual([...again.reset].sort(), ["g0", "g1", "w"]);
});

Deno.test("resubmitted keeps the spec, drops state labels and names its origin", () => {
  const wf = {
    apiVersion: "argoproj.io/v1alpha1",
    kind: "Workflow",
    metadata: {
      name: "w-1",
      generateName: "w-",
      labels: { "workflows.argoproj.io/completed": "true", team: "a" },
    },
    spec: { entrypoint: "main", shutdown: "Stop", templates: [] },
  } as unknown as Workflow;
  const fresh = resubmitted(wf, [{ name: "x", value: "1" }]);
  assert.equal(fresh.metadata.name, undefined);
  assert.equal(fresh.metadata.generateName, "w-");
  assert.deepEqual(fresh.metadata.labels, {
    team: "a",
    "workflows.argoproj.io/resubmitted-from-workflow": "w-1",
  });
  assert.equal(fresh.spec.shutdown, undefined);
  assert.deepEqual(fresh.spec.arguments?.parameters, [{ name: "x", value: "1" }]);
});
