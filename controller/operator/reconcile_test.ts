import assert from "node:assert/strict";
import type { Template, Workflow } from "../../api/types.gen.ts";
import { type ControllerConfig, DEFAULT_CONFIG } from "./config.ts";
import { parseDuration, reconcile } from "./reconcile.ts";
import { simulate } from "./simulator.ts";
import type { Snapshot } from "./types.ts";

const CONFIG: ControllerConfig = { ...DEFAULT_CONFIG, images: { busybox: { cmd: ["sh"] } } };

function workflow(spec: Workflow["spec"], name = "wf"): Workflow {
  return {
    apiVersion: "argoproj.io/v1alpha1",
    kind: "Workflow",
    metadata: { name, namespace: "argo", uid: "uid-1" },
    spec,
  };
}

function snapshot(wf: Workflow, now = "2026-01-01T00:00:00Z"): Snapshot {
  return {
    workflow: wf,
    pods: [],
    taskResults: [],
    workflowTemplates: [],
    clusterWorkflowTemplates: [],
    configMaps: [],
    config: CONFIG,
    now,
  };
}

const diamond = workflow({
  entrypoint: "main",
  templates: [
    {
      name: "main",
      dag: {
        tasks: [
          { name: "A", template: "echo" },
          { name: "B", template: "echo", depends: "A" },
          { name: "C", template: "echo", depends: "A" },
          { name: "D", template: "echo", depends: "B && C" },
        ],
      },
    },
    { name: "echo", container: { image: "busybox" } },
  ],
});

Deno.test("reconcile is deterministic and does not modify its input", () => {
  const snap = snapshot(diamond);
  const before = JSON.stringify(snap);
  const first = reconcile(snap);
  const second = reconcile(snap);
  assert.deepEqual(first, second);
  assert.equal(JSON.stringify(snap), before);
  assert.equal(first.actions.filter((a) => a.type === "createPod").length, 1);
  assert.deepEqual(
    first.actions.filter((a) => a.type === "emitEvent").map((a) =>
      a.type === "emitEvent" && a.reason
    ),
    ["WorkflowNodeRunning", "WorkflowRunning"],
  );
  assert.equal(first.status.phase, "Running");
});

Deno.test("scenario: DAG diamond creates pods in dependency order", () => {
  const result = simulate({ workflow: diamond, config: CONFIG });
  assert.equal(result.workflow.status?.phase, "Succeeded");
  const order = result.podsCreated.map((name) =>
    Object.values(result.workflow.status!.nodes!).find((n) =>
      n.type === "Pod" && name.endsWith(n.id.slice(3))
    )?.displayName
  );
  assert.equal(order[0], "A");
  assert.deepEqual(new Set(order.slice(1, 3)), new Set(["B", "C"]));
  assert.equal(order[3], "D");
  assert.equal(result.workflow.status?.progress, "4/4");
});

Deno.test("scenario: completed nodes never change in later reconciles", () => {
  const steps = workflow({
    entrypoint: "main",
    templates: [
      {
        name: "main",
        steps: [[{ name: "a", template: "echo" }], [{ name: "b", template: "echo" }]],
      },
      { name: "echo", container: { image: "busybox" } },
    ],
  });
  const seen = new Map<string, string>();
  let wf = steps;
  // Step the simulation one round at a time and compare completed nodes across rounds.
  for (let rounds = 1; rounds < 12; rounds++) {
    const result = simulate({ workflow: steps, config: CONFIG, maxRounds: rounds });
    wf = result.workflow;
    for (const [id, node] of Object.entries(wf.status?.nodes ?? {})) {
      const text = JSON.stringify(node);
      if (seen.has(id)) assert.equal(text, seen.get(id), `node ${node.name} changed`);
      if (["Succeeded", "Failed", "Error", "Skipped", "Omitted"].includes(node.phase ?? "")) {
        seen.set(id, text);
      }
    }
  }
  assert.equal(wf.status?.phase, "Succeeded");
  // A completed workflow is returned as it is.
  const again = reconcile(snapshot(wf, "2030-01-01T00:00:00Z"));
  assert.deepEqual(again.status, wf.status);
  assert.equal(again.actions.length, 0);
  assert.deepEqual(again.labels, {
    "workflows.argoproj.io/phase": "Succeeded",
    "workflows.argoproj.io/completed": "true",
  });
});

Deno.test("scenario: failing step fails the workflow with the child's message", () => {
  const wf = workflow({
    entrypoint: "main",
    templates: [
      { name: "main", steps: [[{ name: "a", template: "bad" }], [{ name: "b", template: "bad" }]] },
      { name: "bad", container: { image: "busybox" } },
    ],
  });
  const result = simulate({ workflow: wf, config: CONFIG, script: { bad: { exitCode: 1 } } });
  assert.equal(result.workflow.status?.phase, "Failed");
  assert.match(result.workflow.status?.message ?? "", /^child 'wf-\d+' failed$/);
  assert.equal(result.podsCreated.length, 1);
  assert.equal(result.last.labels?.["workflows.argoproj.io/completed"], "true");
});

Deno.test("suspend duration requeues from snapshot.now", () => {
  const wf = workflow({
    entrypoint: "main",
    templates: [{ name: "main", suspend: { duration: "90s" } }],
  });
  const first = reconcile(snapshot(wf));
  assert.equal(first.requeueAfterSeconds, 90);
  const later = reconcile(snapshot({ ...wf, status: first.status }, "2026-01-01T00:01:00Z"));
  assert.equal(later.requeueAfterSeconds, 30);
  const done = reconcile(snapshot({ ...wf, status: later.status }, "2026-01-01T00:01:30Z"));
  assert.equal(done.status.phase, "Succeeded");
  assert.equal(done.requeueAfterSeconds, undefined);
});

Deno.test("unsupported template types end in Error, never throw", () => {
  for (
    const [type, template] of [
      ["http", { http: { url: "http://x" } }],
      ["data", { data: { source: {}, transformation: [] } }],
      ["containerSet", { containerSet: { containers: [{ name: "a", image: "busybox" }] } }],
    ] as const
  ) {
    const wf = workflow({
      entrypoint: "main",
      templates: [{ name: "main", ...template } as Template],
    });
    const result = reconcile(snapshot(wf));
    if (result.status.phase === "Failed") continue; // rejected by validation: also fine
    assert.equal(result.status.phase, "Error", type);
    assert.equal(result.status.message, `${type} templates are not supported yet by argo-ts`);
  }
});

Deno.test("an internal failure becomes workflow phase Error", () => {
  const broken = { metadata: { name: "x" }, spec: null } as unknown as Workflow;
  const result = reconcile(snapshot(broken));
  assert.equal(result.status.phase, "Error");
  assert.match(result.status.message ?? "", /^internal error: /);
});

Deno.test("parseDuration", () => {
  assert.equal(parseDuration("10"), 10);
  assert.equal(parseDuration("1m30s"), 90);
  assert.equal(parseDuration("2h"), 7200);
  assert.equal(parseDuration("soon"), undefined);
});

function activePods(wf: Workflow): number {
  return Object.values(wf.status?.nodes ?? {}).filter((n) =>
    n.type === "Pod" && (n.phase === "Pending" || n.phase === "Running")
  ).length;
}

Deno.test("scenario: workflow parallelism holds pods back", () => {
  const wf = workflow({
    entrypoint: "main",
    parallelism: 2,
    templates: [
      { name: "main", steps: [[{ name: "fan", template: "echo", withItems: [1, 2, 3, 4, 5] }]] },
      { name: "echo", container: { image: "busybox" } },
    ],
  });
  let final: Workflow | undefined;
  for (let rounds = 1; rounds < 20; rounds++) {
    const result = simulate({ workflow: wf, config: CONFIG, maxRounds: rounds });
    assert.ok(activePods(result.workflow) <= 2, `round ${rounds}`);
    final = result.workflow;
  }
  assert.equal(final?.status?.phase, "Succeeded");
  assert.equal(Object.values(final?.status?.nodes ?? {}).filter((n) => n.type === "Pod").length, 5);
});

Deno.test("scenario: template parallelism runs DAG tasks one at a time", () => {
  const wf = workflow({
    entrypoint: "main",
    templates: [
      {
        name: "main",
        parallelism: 1,
        dag: { tasks: ["a", "b", "c"].map((name) => ({ name, template: "echo" })) },
      },
      { name: "echo", container: { image: "busybox" } },
    ],
  });
  for (let rounds = 1; rounds < 15; rounds++) {
    const result = simulate({ workflow: wf, config: CONFIG, maxRounds: rounds });
    assert.ok(activePods(result.workflow) <= 1, `round ${rounds}`);
  }
  assert.equal(simulate({ workflow: wf, config: CONFIG }).workflow.status?.phase, "Succeeded");
});

Deno.test("scenario: Terminate deletes running pods and fails the workflow", () => {
  const wf = workflow({
    entrypoint: "main",
    templates: [
      {
        name: "main",
        steps: [[{ name: "a", template: "echo" }], [{ name: "b", template: "echo" }]],
      },
      { name: "echo", container: { image: "busybox" } },
    ],
  });
  const running = simulate({
    workflow: wf,
    config: CONFIG,
    script: { echo: { stay: "Running" } },
    maxRounds: 3,
  });
  const pods = running.podsCreated.map((name) => ({
    metadata: { name, namespace: "argo" },
    status: { phase: "Running" },
  }));
  const stopped = reconcile({
    ...snapshot({ ...running.workflow, spec: { ...running.workflow.spec, shutdown: "Terminate" } }),
    pods,
  });
  assert.deepEqual(stopped.actions.filter((a) => a.type === "deletePod"), [{
    type: "deletePod",
    namespace: "argo",
    name: running.podsCreated[0],
  }]);
  assert.equal(stopped.status.phase, "Failed");
  assert.equal(stopped.status.message, "Stopped with strategy 'Terminate'");
  const a = Object.values(stopped.status.nodes ?? {}).find((n) => n.displayName === "a");
  assert.equal(a?.phase, "Failed");
  assert.equal(a?.message, "workflow shutdown with strategy: Terminate");
});

Deno.test("times come only from snapshot.now", () => {
  const wf = workflow({
    entrypoint: "main",
    templates: [{ name: "main", container: { image: "busybox" } }],
  });
  const a = reconcile(snapshot(wf, "2030-05-06T07:08:09Z"));
  assert.equal(a.status.startedAt, "2030-05-06T07:08:09Z");
  assert.equal(a.status.nodes?.wf?.startedAt, "2030-05-06T07:08:09Z");
  assert.equal(a.labels?.["workflows.argoproj.io/phase"], "Running");
  assert.equal(a.labels?.["workflows.argoproj.io/completed"], "false");
});

Deno.test("storedTemplates: templateRef'd templates are stored, then read from the status", () => {
  const wf = workflow({
    entrypoint: "main",
    templates: [{
      name: "main",
      steps: [[
        { name: "ns", templateRef: { name: "lib", template: "echo" } },
        { name: "cl", templateRef: { name: "clib", template: "echo", clusterScope: true } },
      ]],
    }],
  });
  const lib = (image: string) => ({
    spec: { templates: [{ name: "echo", container: { image, command: ["echo"] } }] },
  });
  const snap: Snapshot = {
    ...snapshot(wf),
    workflowTemplates: [{ metadata: { name: "lib", namespace: "argo" }, ...lib("busybox") }],
    clusterWorkflowTemplates: [{ metadata: { name: "clib" }, ...lib("busybox") }],
  };
  const first = reconcile(snap);
  // Local templates are not stored (Argo: a Workflow calling its own templates needs no copy).
  assert.deepEqual(Object.keys(first.status.storedTemplates ?? {}).sort(), [
    "cluster/clib/echo",
    "namespaced/lib/echo",
  ]);
  assert.deepEqual(first.status.storedTemplates?.["namespaced/lib/echo"], {
    name: "echo",
    container: { image: "busybox", command: ["echo"] },
  });
  // A stored copy wins over the WorkflowTemplate as it is now.
  const images = (result: typeof first) =>
    result.actions.flatMap((a) =>
      a.type === "createPod" ? (a.pod.spec?.containers ?? []).map((c) => c.image) : []
    );
  assert.deepEqual(images(first).filter((i) => i === "busybox").length, 2);
  const stored = { name: "echo", container: { image: "stored", command: ["echo"] } };
  const again = reconcile({
    ...snap,
    workflow: {
      ...wf,
      status: { storedTemplates: { "namespaced/lib/echo": stored, "cluster/clib/echo": stored } },
    },
    workflowTemplates: [{ metadata: { name: "lib", namespace: "argo" }, ...lib("alpine") }],
    clusterWorkflowTemplates: [{ metadata: { name: "clib" }, ...lib("alpine") }],
  });
  assert.deepEqual(images(again).filter((i) => i === "stored").length, 2);
  assert.deepEqual(images(again).filter((i) => i === "alpine"), []);
  assert.deepEqual(again.status.storedTemplates?.["namespaced/lib/echo"], stored);
});
