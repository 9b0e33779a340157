import assert from "node:assert/strict";
import type { V1ConfigMap } from "@kubernetes/client-node";
import type { NodeStatus, Workflow } from "../../api/types.gen.ts";
import { type ControllerConfig, DEFAULT_CONFIG } from "./config.ts";
import { type PodScript, simulate } from "./simulator.ts";
import { reconcile } from "./reconcile.ts";

const CONFIG: ControllerConfig = { ...DEFAULT_CONFIG, images: { busybox: { cmd: ["sh"] } } };
const limits: V1ConfigMap = { metadata: { name: "limits" }, data: { workers: "2" } };

function wf(spec: Partial<Workflow["spec"]>): Workflow {
  return {
    apiVersion: "argoproj.io/v1alpha1",
    kind: "Workflow",
    metadata: { name: "wf", namespace: "argo" },
    spec: {
      entrypoint: "main",
      templates: [
        { name: "main", steps: [[{ name: "a", template: "echo" }]] },
        { name: "echo", container: { image: "busybox" } },
      ],
      ...spec,
    },
  };
}

function run(
  workflow: Workflow,
  locks: Record<string, string[]> = {},
  script: Record<string, PodScript> = {},
  maxRounds = 200,
) {
  return simulate({ workflow, locks, script, config: CONFIG, configMaps: [limits], maxRounds });
}

function node(w: Workflow, name: string): NodeStatus {
  return Object.values(w.status?.nodes ?? {}).find((n) => n.name === name)!;
}

const MUTEX = "argo/Mutex/m";
const SEMAPHORE = "argo/ConfigMap/limits/workers";

Deno.test("workflow mutex: acquired before anything starts, released at the end", () => {
  const first = reconcile({
    workflow: wf({ synchronization: { mutexes: [{ name: "m" }] } }),
    pods: [],
    taskResults: [],
    workflowTemplates: [],
    clusterWorkflowTemplates: [],
    configMaps: [],
    config: CONFIG,
    now: "2026-01-01T00:00:00Z",
  });
  assert.equal(first.status.phase, "Pending");
  assert.equal(first.status.message, "Waiting for argo/Mutex/m lock. Lock status: 0/1");
  assert.deepEqual(first.actions.filter((a) => a.type === "acquireLock"), [
    { type: "acquireLock", lock: MUTEX, holder: "argo/wf", limit: 1 },
  ]);
  assert.equal(first.actions.some((a) => a.type === "createPod"), false);
  const result = run(wf({ synchronization: { mutexes: [{ name: "m" }] } }));
  assert.equal(result.workflow.status?.phase, "Succeeded");
  assert.equal(result.workflow.status?.message, undefined);
  assert.deepEqual(result.locks[MUTEX], []);
  assert.equal(result.workflow.status?.synchronization, undefined);
});

Deno.test("workflow mutex held by another workflow: Pending, waiting status", () => {
  const result = run(
    wf({ synchronization: { mutexes: [{ name: "m" }] } }),
    { [MUTEX]: ["argo/other"] },
    {},
    3,
  );
  const status = result.workflow.status!;
  assert.equal(status.phase, "Pending");
  assert.equal(status.message, "Waiting for argo/Mutex/m lock. Lock status: 1/1");
  assert.deepEqual(status.synchronization, {
    mutex: { waiting: [{ mutex: MUTEX, holder: "argo/other" }] },
  });
  assert.deepEqual(result.podsCreated, []);
});

Deno.test("template semaphore: limit from the ConfigMap, nodes wait their turn", () => {
  const result = run(wf({
    templates: [
      { name: "main", steps: [[{ name: "a", template: "echo", withItems: [1, 2, 3] }]] },
      {
        name: "echo",
        synchronization: {
          semaphores: [{ configMapKeyRef: { name: "limits", key: "workers" } }],
        },
        container: { image: "busybox" },
      },
    ],
  }));
  const w = result.workflow;
  assert.equal(w.status?.phase, "Succeeded");
  const starts = ["wf[0].a(0:1)", "wf[0].a(1:2)", "wf[0].a(2:3)"].map((n) =>
    Date.parse(node(w, n).finishedAt!)
  );
  // Two at once, the third after one of them finished.
  assert.ok(starts[2] > Math.min(starts[0], starts[1]));
  assert.deepEqual(result.locks[SEMAPHORE], []);
  assert.equal(node(w, "wf[0].a(2:3)").synchronizationStatus, undefined);
});

Deno.test("template mutex waiting: node Pending with synchronizationStatus and message", () => {
  const result = run(
    wf({
      templates: [
        { name: "main", steps: [[{ name: "a", template: "echo" }]] },
        {
          name: "echo",
          synchronization: { mutexes: [{ name: "m" }] },
          container: { image: "busybox" },
        },
      ],
    }),
    { [MUTEX]: ["argo/other"] },
    {},
    3,
  );
  const a = node(result.workflow, "wf[0].a");
  assert.equal(a.phase, "Pending");
  assert.deepEqual(a.synchronizationStatus, { waiting: MUTEX });
  assert.equal(a.message, "Waiting for argo/Mutex/m lock. Lock status: 1/1");
  assert.deepEqual(result.podsCreated, []);
});

Deno.test("locks are released when the node fails and when the workflow is terminated", () => {
  const tmplLock = wf({
    templates: [
      { name: "main", steps: [[{ name: "a", template: "echo" }]] },
      {
        name: "echo",
        synchronization: { mutexes: [{ name: "m" }] },
        container: { image: "busybox" },
      },
    ],
  });
  const failed = run(tmplLock, {}, { a: { exitCode: 1 } });
  assert.equal(failed.workflow.status?.phase, "Failed");
  assert.deepEqual(failed.locks[MUTEX], []);
  const held = run(
    wf({ synchronization: { mutexes: [{ name: "m" }] } }),
    {},
    { a: { stay: "Running" } },
    4,
  );
  assert.deepEqual(held.locks[MUTEX], ["argo/wf"]);
  const terminated = run(
    {
      ...held.workflow,
      spec: { ...held.workflow.spec, shutdown: "Terminate" },
    },
    held.locks,
  );
  assert.equal(terminated.workflow.status?.phase, "Failed");
  assert.deepEqual(terminated.locks[MUTEX], []);
});

Deno.test("semaphore with a missing ConfigMap or key: one clear message", () => {
  const missing = run(wf({
    synchronization: { semaphores: [{ configMapKeyRef: { name: "nope", key: "k" } }] },
  }));
  assert.equal(missing.workflow.status?.phase, "Failed");
  assert.equal(
    missing.workflow.status?.message,
    "semaphore ConfigMap 'nope' not found in namespace 'argo'",
  );
  const noKey = run(wf({
    templates: [
      { name: "main", steps: [[{ name: "a", template: "echo" }]] },
      {
        name: "echo",
        synchronization: { semaphores: [{ configMapKeyRef: { name: "limits", key: "k" } }] },
        container: { image: "busybox" },
      },
    ],
  }));
  const a = node(noKey.workflow, "wf[0].a");
  assert.equal(a.phase, "Error");
  assert.equal(a.message, "semaphore ConfigMap 'limits' has no key 'k'");
});
