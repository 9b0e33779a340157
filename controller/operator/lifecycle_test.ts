/**
 * Scenario tests for timeouts, hooks and exit handlers, retries, suspend/resume, pod faults and
 * daemons: each drives the pure engine through the simulator or single reconciles.
 */
import assert from "node:assert/strict";
import type { NodeStatus, Template, Workflow } from "../../api/types.gen.ts";
import type { V1Pod } from "@kubernetes/client-node";
import { type ControllerConfig, DEFAULT_CONFIG } from "./config.ts";
import { reconcile } from "./reconcile.ts";
import { type PodScript, simulate } from "./simulator.ts";
import { podName } from "./names.ts";
import type { Action, Snapshot } from "./types.ts";

const CONFIG: ControllerConfig = { ...DEFAULT_CONFIG, images: { busybox: { cmd: ["sh"] } } };
const START = "2026-01-01T00:00:00Z";
const echo: Template = { name: "echo", container: { image: "busybox" } };

function workflow(spec: Workflow["spec"], name = "wf"): Workflow {
  return {
    apiVersion: "argoproj.io/v1alpha1",
    kind: "Workflow",
    metadata: { name, namespace: "argo", uid: "uid-1" },
    spec,
  };
}

function snapshot(wf: Workflow, now = START, pods: V1Pod[] = []): Snapshot {
  return {
    workflow: wf,
    pods,
    taskResults: [],
    workflowTemplates: [],
    clusterWorkflowTemplates: [],
    configMaps: [],
    config: CONFIG,
    now,
  };
}

function run(spec: Workflow["spec"], script: Record<string, PodScript> = {}, maxRounds = 200) {
  return simulate({ workflow: workflow(spec), script, config: CONFIG, start: START, maxRounds });
}

/** As `run`, for a workflow already Running: validation (first pass only) is behind it. */
function runStarted(spec: Workflow["spec"], script: Record<string, PodScript> = {}) {
  const wf = { ...workflow(spec), status: { phase: "Running", startedAt: START } };
  return simulate({ workflow: wf, script, config: CONFIG, start: START });
}

function node(wf: Workflow, name: string): NodeStatus {
  const found = Object.values(wf.status?.nodes ?? {}).find((n) => n.name === name);
  assert.ok(
    found,
    `no node ${name}; have ${Object.values(wf.status?.nodes ?? {}).map((n) => n.name)}`,
  );
  return found;
}

function hasNode(wf: Workflow, name: string): boolean {
  return Object.values(wf.status?.nodes ?? {}).some((n) => n.name === name);
}

function steps(...names: string[]): Template {
  return { name: "main", steps: names.map((n) => [{ name: n, template: "echo" }]) };
}

function after(wf: Workflow, status: Workflow["status"]): Workflow {
  return { ...wf, status };
}

function events(actions: Action[]): string[] {
  return actions.flatMap((a) => a.type === "emitEvent" ? [a.reason] : []);
}

// ---------------------------------------------------------------- timeouts

Deno.test("workflow activeDeadlineSeconds: running pod deleted, node and workflow Failed", () => {
  const result = run({
    entrypoint: "main",
    activeDeadlineSeconds: 10,
    templates: [steps("a", "b"), echo],
  }, { a: { stay: "Running" } });
  const wf = result.workflow;
  assert.equal(wf.status?.phase, "Failed");
  assert.equal(node(wf, "wf[0].a").phase, "Failed");
  assert.equal(node(wf, "wf[0].a").message, "Step exceeded its deadline");
  assert.equal(hasNode(wf, "wf[1].b"), false);
  assert.equal(result.podsCreated.length, 1);
  assert.equal(Date.parse(wf.status!.finishedAt!) - Date.parse(START), 10_000);
});

Deno.test("workflow deadline: first reconcile requeues at the deadline", () => {
  const first = reconcile(snapshot(workflow({
    entrypoint: "main",
    activeDeadlineSeconds: 30,
    templates: [steps("a"), echo],
  })));
  assert.equal(first.requeueAfterSeconds, 30);
});

Deno.test("workflow deadline: event WorkflowTimedOut and deletePod in the pass that passes it", () => {
  const wf = workflow({
    entrypoint: "main",
    activeDeadlineSeconds: 5,
    templates: [steps("a"), echo],
  });
  const first = reconcile(snapshot(wf));
  const pod = first.actions.find((a) => a.type === "createPod");
  assert.ok(pod && pod.type === "createPod");
  const running: V1Pod = { ...pod.pod, status: { phase: "Running" } };
  const second = reconcile(snapshot(after(wf, first.status), "2026-01-01T00:00:06Z", [running]));
  assert.ok(events(second.actions).includes("WorkflowTimedOut"));
  assert.ok(second.actions.some((a) => a.type === "deletePod"));
  assert.equal(second.status.phase, "Failed");
});

Deno.test("workflow deadline: suspended and pending nodes fail with Argo's message", () => {
  const result = run({
    entrypoint: "main",
    activeDeadlineSeconds: 20,
    templates: [
      {
        name: "main",
        steps: [[{ name: "wait", template: "pause" }, { name: "stuck", template: "echo" }]],
      },
      { name: "pause", suspend: {} },
      echo,
    ],
  }, { stuck: { stay: "Pending" } });
  const wf = result.workflow;
  assert.equal(node(wf, "wf[0].wait").phase, "Failed");
  assert.equal(node(wf, "wf[0].wait").message, "Step exceeded its deadline");
  assert.equal(node(wf, "wf[0].stuck").message, "Step exceeded its deadline");
  assert.equal(wf.status?.phase, "Failed");
});

Deno.test("workflow deadline: the exit handler still runs", () => {
  const result = run({
    entrypoint: "main",
    onExit: "echo",
    activeDeadlineSeconds: 10,
    templates: [steps("a"), echo],
  }, { a: { stay: "Running" } });
  const wf = result.workflow;
  assert.equal(node(wf, "wf.onExit").phase, "Succeeded");
  assert.equal(wf.status?.phase, "Failed");
});

Deno.test("workflow deadline: a shortened spec.activeDeadlineSeconds applies at once", () => {
  const wf = workflow({
    entrypoint: "main",
    activeDeadlineSeconds: 300,
    templates: [steps("a"), echo],
  });
  const first = reconcile(snapshot(wf));
  const pod = first.actions.find((a) => a.type === "createPod");
  assert.ok(pod && pod.type === "createPod");
  const running: V1Pod = { ...pod.pod, status: { phase: "Running" } };
  const second = reconcile(snapshot(after(wf, first.status), "2026-01-01T00:01:40Z", [running]));
  assert.equal(second.status.phase, "Running");
  assert.equal(second.requeueAfterSeconds, 200);
  const shortened = {
    ...wf,
    spec: { ...wf.spec, activeDeadlineSeconds: 60 },
    status: second.status,
  };
  const third = reconcile(snapshot(shortened, "2026-01-01T00:01:41Z", [running]));
  assert.equal(third.status.phase, "Failed");
  const extended = {
    ...wf,
    spec: { ...wf.spec, activeDeadlineSeconds: 600 },
    status: second.status,
  };
  const fourth = reconcile(snapshot(extended, "2026-01-01T00:01:41Z", [running]));
  assert.equal(fourth.status.phase, "Running");
  assert.equal(fourth.requeueAfterSeconds, 499);
});

Deno.test("template activeDeadlineSeconds: the pod's DeadlineExceeded message on the node", () => {
  const result = run({
    entrypoint: "main",
    templates: [
      { name: "main", steps: [[{ name: "slow", template: "sleep" }]] },
      { name: "sleep", activeDeadlineSeconds: 5, container: { image: "busybox" } },
    ],
  }, {
    slow: {
      exitCode: 137,
      podReason: "DeadlineExceeded",
      podMessage: "Pod was active on the node longer than the specified deadline",
    },
  });
  const wf = result.workflow;
  const slow = node(wf, "wf[0].slow");
  assert.equal(slow.phase, "Failed");
  assert.equal(slow.message, "Pod was active on the node longer than the specified deadline");
  const first = reconcile(snapshot(workflow({
    entrypoint: "sleep",
    templates: [{ name: "sleep", activeDeadlineSeconds: 5, container: { image: "busybox" } }],
  })));
  const pod = first.actions.find((a) => a.type === "createPod");
  assert.ok(pod && pod.type === "createPod");
  assert.equal(pod.pod.spec?.activeDeadlineSeconds, 5);
});

Deno.test("template timeout counts pending time: a pod pending too long fails", () => {
  const result = run({
    entrypoint: "main",
    templates: [
      { name: "main", steps: [[{ name: "a", template: "short" }]] },
      { name: "short", timeout: "5s", container: { image: "busybox" } },
    ],
  }, { a: { stay: "Pending" } });
  const wf = result.workflow;
  assert.equal(node(wf, "wf[0].a").phase, "Failed");
  assert.equal(node(wf, "wf[0].a").message, "Step exceeded its deadline");
  assert.equal(Date.parse(node(wf, "wf[0].a").finishedAt!) - Date.parse(START), 5_000);
});

Deno.test("template timeout: templated, sets ARGO_DEADLINE; a bad one ends in Error", () => {
  const wf = workflow({
    entrypoint: "main",
    arguments: { parameters: [{ name: "t", value: "1m" }] },
    templates: [
      { name: "main", steps: [[{ name: "a", template: "short" }]] },
      { name: "short", timeout: "{{workflow.parameters.t}}", container: { image: "busybox" } },
    ],
  });
  const first = reconcile(snapshot(wf));
  const pod = first.actions.find((a) => a.type === "createPod");
  assert.ok(pod && pod.type === "createPod");
  const env = pod.pod.spec?.containers.flatMap((c) => c.env ?? []) ?? [];
  assert.ok(env.some((e) => e.name === "ARGO_DEADLINE" && e.value === "2026-01-01T00:01:00Z"));
  assert.equal(first.requeueAfterSeconds, 60);
  const bad = run({
    entrypoint: "main",
    templates: [
      { name: "main", steps: [[{ name: "a", template: "short" }]] },
      { name: "short", timeout: "soon", container: { image: "busybox" } },
    ],
  });
  assert.equal(node(bad.workflow, "wf[0].a").phase, "Error");
  assert.equal(node(bad.workflow, "wf[0].a").message, "invalid timeout format 'soon'");
});

// ---------------------------------------------------------------- hooks and exit handlers

Deno.test("step onExit: runs after the step as its child; the next step waits for it", () => {
  const result = run({
    entrypoint: "main",
    templates: [
      {
        name: "main",
        steps: [[{ name: "a", template: "echo", onExit: "cleanup" }], [{
          name: "b",
          template: "echo",
        }]],
      },
      echo,
      { name: "cleanup", container: { image: "busybox" } },
    ],
  });
  const wf = result.workflow;
  const exit = node(wf, "wf[0].a.onExit");
  assert.equal(exit.phase, "Succeeded");
  assert.deepEqual(exit.nodeFlag, { hooked: true });
  assert.ok(node(wf, "wf[0].a").children?.includes(exit.id));
  assert.ok(Date.parse(node(wf, "wf[1].b").startedAt!) >= Date.parse(exit.finishedAt!));
  assert.equal(wf.status?.phase, "Succeeded");
  assert.equal(result.podsCreated.length, 3);
});

Deno.test("task hooks.exit: arguments see the task's own outputs; dependents wait", () => {
  // The validator rejects a hook reading its own task's outputs, which Argo allows: start the
  // workflow past validation.
  const result = runStarted({
    entrypoint: "main",
    templates: [
      {
        name: "main",
        dag: {
          tasks: [
            {
              name: "A",
              template: "echo",
              hooks: {
                exit: {
                  template: "report",
                  arguments: { parameters: [{ name: "r", value: "{{tasks.A.outputs.result}}" }] },
                },
              },
            },
            { name: "B", template: "echo", depends: "A" },
          ],
        },
      },
      echo,
      {
        name: "report",
        inputs: { parameters: [{ name: "r" }] },
        container: { image: "busybox" },
      },
    ],
  }, { A: { result: "hello" } });
  const wf = result.workflow;
  const exit = node(wf, "wf.A.onExit");
  assert.equal(exit.inputs?.parameters?.[0].value, "hello");
  assert.ok(Date.parse(node(wf, "wf.B").startedAt!) >= Date.parse(exit.finishedAt!));
  assert.equal(wf.status?.phase, "Succeeded");
});

Deno.test("step onExit runs after a failure too; the workflow still fails", () => {
  const result = run({
    entrypoint: "main",
    templates: [
      { name: "main", steps: [[{ name: "a", template: "echo", onExit: "cleanup" }]] },
      echo,
      { name: "cleanup", container: { image: "busybox" } },
    ],
  }, { a: { exitCode: 1 } });
  const wf = result.workflow;
  assert.equal(node(wf, "wf[0].a.onExit").phase, "Succeeded");
  assert.equal(wf.status?.phase, "Failed");
});

Deno.test("Stop runs the step and workflow exit handlers; Terminate runs neither", () => {
  const spec: Workflow["spec"] = {
    entrypoint: "main",
    onExit: "cleanup",
    templates: [
      { name: "main", steps: [[{ name: "a", template: "echo", onExit: "cleanup" }]] },
      echo,
      { name: "cleanup", container: { image: "busybox" } },
    ],
  };
  for (const strategy of ["Stop", "Terminate"]) {
    const base = workflow(spec);
    const first = reconcile(snapshot(base));
    const pod = first.actions.find((a) => a.type === "createPod");
    assert.ok(pod && pod.type === "createPod");
    const running: V1Pod = { ...pod.pod, status: { phase: "Running" } };
    const stopped = { ...base, spec: { ...spec, shutdown: strategy }, status: first.status };
    const second = reconcile(snapshot(stopped, "2026-01-01T00:00:01Z", [running]));
    const names = Object.values(second.status.nodes ?? {}).map((n) => n.name);
    assert.equal(names.includes("wf[0].a.onExit"), strategy === "Stop", strategy);
    assert.equal(names.includes("wf.onExit"), false);
    if (strategy === "Terminate") {
      assert.equal(second.status.phase, "Failed");
      assert.equal(second.status.message, "Stopped with strategy 'Terminate'");
    }
  }
});

Deno.test("expression hook at step level fires once the step runs", () => {
  const result = run({
    entrypoint: "main",
    templates: [
      {
        name: "main",
        steps: [[{
          name: "a",
          template: "echo",
          hooks: { running: { expression: `steps.a.status == "Running"`, template: "notify" } },
        }]],
      },
      echo,
      { name: "notify", container: { image: "busybox" } },
    ],
  });
  const wf = result.workflow;
  const hook = node(wf, "wf[0].a.hooks.running");
  assert.equal(hook.phase, "Succeeded");
  assert.deepEqual(hook.nodeFlag, { hooked: true });
  assert.equal(wf.status?.phase, "Succeeded");
});

Deno.test("workflow-level hooks: expression hooks and hooks.exit", () => {
  const result = run({
    entrypoint: "main",
    hooks: {
      exit: { template: "notify" },
      running: { expression: `workflow.status == "Running"`, template: "notify" },
      failed: { expression: `workflow.status == "Failed"`, template: "notify" },
    },
    templates: [steps("a"), echo, { name: "notify", container: { image: "busybox" } }],
  });
  const wf = result.workflow;
  assert.equal(node(wf, "wf.hooks.running").phase, "Succeeded");
  assert.equal(node(wf, "wf.onExit").phase, "Succeeded");
  assert.equal(hasNode(wf, "wf.hooks.failed"), false);
  assert.equal(wf.status?.phase, "Succeeded");
});

Deno.test("exit handler sees workflow.status and workflow.failures", () => {
  const result = run({
    entrypoint: "main",
    onExit: "report",
    templates: [
      steps("a"),
      echo,
      {
        name: "report",
        steps: [[{
          name: "r",
          template: "take",
          arguments: {
            parameters: [{ name: "s", value: "{{workflow.status}}" }, {
              name: "f",
              value: "{{workflow.failures}}",
            }],
          },
        }]],
      },
      {
        name: "take",
        inputs: { parameters: [{ name: "s" }, { name: "f" }] },
        container: { image: "busybox" },
      },
    ],
  }, { a: { exitCode: 2 } });
  const wf = result.workflow;
  const inputs = node(wf, "wf.onExit[0].r").inputs?.parameters ?? [];
  assert.equal(inputs[0].value, "Failed");
  const failures = JSON.parse(inputs[1].value ?? "[]");
  assert.ok(failures.some((f: { displayName: string }) => f.displayName === "a"));
  assert.equal(wf.status?.phase, "Failed");
});

// ---------------------------------------------------------------- retries

function retried(
  strategy: Template["retryStrategy"],
  extra: Partial<Template> = {},
): Workflow["spec"] {
  return {
    entrypoint: "main",
    templates: [
      { name: "main", steps: [[{ name: "a", template: "flaky" }]] },
      { name: "flaky", retryStrategy: strategy, container: { image: "busybox" }, ...extra },
    ],
  };
}

Deno.test("retry expression: lastRetry.exitCode decides", () => {
  const result = run(retried({ limit: 3, expression: `lastRetry.exitCode == "2"` }), {
    "wf[0].a(0)": { exitCode: 2 },
    "wf[0].a(1)": { exitCode: 1 },
  });
  const a = node(result.workflow, "wf[0].a");
  assert.equal(a.phase, "Failed");
  assert.equal(a.message, "retryStrategy.expression evaluated to false");
  assert.equal(a.children?.length, 2);
});

Deno.test("retry expression: lastRetry.status and message; default policy Always", () => {
  const result = run(retried({ limit: 2, expression: `lastRetry.status == "Error"` }), {
    "wf[0].a(0)": { waitExitCode: 1 },
  });
  const a = node(result.workflow, "wf[0].a");
  assert.equal(a.phase, "Succeeded");
  assert.equal(a.children?.length, 2);
});

Deno.test("retry limit as a string and as a parameter", () => {
  const fails = {
    "wf[0].a(0)": { exitCode: 1 },
    "wf[0].a(1)": { exitCode: 1 },
    "wf[0].a(2)": { exitCode: 1 },
  };
  const asString = run(retried({ limit: "1" }), fails);
  assert.equal(node(asString.workflow, "wf[0].a").children?.length, 2);
  assert.equal(node(asString.workflow, "wf[0].a").message, "No more retries left");
  const spec = retried({ limit: "{{inputs.parameters.n}}" }, {
    inputs: { parameters: [{ name: "n", value: "2" }] },
  });
  const asParam = run(spec, fails);
  assert.equal(node(asParam.workflow, "wf[0].a").children?.length, 3);
});

Deno.test("retry bad input: one clear message on the Retry node", () => {
  const cases: [Template["retryStrategy"], string][] = [
    [{ limit: -1 }, "invalid retryStrategy.limit '-1': must be a non-negative integer"],
    [{ limit: "many" }, "invalid retryStrategy.limit 'many': must be a non-negative integer"],
    [
      { limit: 2, backoff: { duration: "soon" } },
      "invalid retryStrategy.backoff.duration 'soon': not a duration",
    ],
    [
      { limit: 2, backoff: { duration: "1s", factor: "x" } },
      "invalid retryStrategy.backoff.factor 'x': must be a non-negative number",
    ],
    [
      { limit: 2, retryPolicy: "Sometimes" },
      "invalid retryStrategy.retryPolicy 'Sometimes': must be Always, OnFailure, OnError or " +
      "OnTransientError",
    ],
  ];
  for (const [strategy, message] of cases) {
    // The validator catches some of these first; the engine must too (values from parameters).
    const result = runStarted(retried(strategy));
    const a = node(result.workflow, "wf[0].a");
    assert.equal(a.phase, "Error", message);
    assert.equal(a.message, message);
    assert.equal(result.podsCreated.length, 0);
    assert.equal(result.workflow.status?.phase, "Failed");
  }
  const validated = run(retried({ limit: -1 }));
  assert.equal(
    validated.workflow.status?.message,
    "invalid spec: retryStrategy.limit must not be negative",
  );
});

Deno.test("retry expression that is not boolean ends the node in Error", () => {
  const result = run(retried({ limit: 2, expression: `lastRetry.exitCode` }), {
    "wf[0].a(0)": { exitCode: 1 },
  });
  const a = node(result.workflow, "wf[0].a");
  assert.equal(a.phase, "Error");
  assert.equal(
    a.message,
    `retryStrategy.expression 'lastRetry.exitCode' must evaluate to a boolean, got "1"`,
  );
});

Deno.test("retry backoff overflow ends in Error; cap bounds the delay", () => {
  const script = { "wf[0].a(0)": { exitCode: 1 }, "wf[0].a(1)": { exitCode: 1 } };
  const overflow = run(retried({ limit: 5, backoff: { duration: "1s", factor: 1e300 } }), script);
  const a = node(overflow.workflow, "wf[0].a");
  assert.equal(a.phase, "Error");
  assert.match(a.message ?? "", /^retryStrategy.backoff overflows/);
  const capped = run(
    retried({ limit: 5, backoff: { duration: "10s", factor: 100, cap: "20s" } }),
    script,
  );
  const c = node(capped.workflow, "wf[0].a");
  assert.equal(c.phase, "Succeeded");
  const [, second, third] = (c.children ?? []).map((id) => capped.workflow.status!.nodes![id]);
  // attempt 1 waits 10s, attempt 2 waits min(1000s, 20s).
  assert.ok(Date.parse(third.startedAt!) - Date.parse(second.finishedAt!) <= 21_000);
});

Deno.test("retry backoff maxDuration stops retrying", () => {
  const result = run(retried({ limit: 10, backoff: { duration: "30s", maxDuration: "1m" } }), {
    "wf[0].a(0)": { exitCode: 1 },
    "wf[0].a(1)": { exitCode: 1 },
    "wf[0].a(2)": { exitCode: 1 },
  });
  const a = node(result.workflow, "wf[0].a");
  assert.equal(a.phase, "Failed");
  assert.equal(a.message, "Max duration limit exceeded");
});

Deno.test("retryPolicy OnTransientError retries only transient errors", () => {
  const transient = run(retried({ limit: 2, retryPolicy: "OnTransientError" }), {
    "wf[0].a(0)": { exitCode: 1, podMessage: "dial tcp: connection refused" },
  });
  assert.equal(node(transient.workflow, "wf[0].a").phase, "Succeeded");
  const permanent = run(retried({ limit: 2, retryPolicy: "OnTransientError" }), {
    "wf[0].a(0)": { exitCode: 1 },
  });
  const a = node(permanent.workflow, "wf[0].a");
  assert.equal(a.phase, "Failed");
  assert.equal(a.children?.length, 1);
});

Deno.test("retried steps template: the whole steps node is retried", () => {
  const result = run({
    entrypoint: "main",
    templates: [
      { name: "main", retryStrategy: { limit: 2 }, steps: [[{ name: "a", template: "echo" }]] },
      echo,
    ],
  }, { "wf(0)[0].a": { exitCode: 1 } });
  const wf = result.workflow;
  assert.equal(node(wf, "wf").type, "Retry");
  assert.equal(node(wf, "wf(0)").phase, "Failed");
  assert.equal(node(wf, "wf(1)").phase, "Succeeded");
  assert.equal(wf.status?.phase, "Succeeded");
});

Deno.test("retried DAG template with {{retries}} in a task argument", () => {
  const result = run({
    entrypoint: "main",
    templates: [
      {
        name: "main",
        retryStrategy: { limit: 1, retryPolicy: "Always" },
        dag: {
          tasks: [{
            name: "A",
            template: "take",
            arguments: { parameters: [{ name: "n", value: "{{retries}}" }] },
          }],
        },
      },
      { name: "take", inputs: { parameters: [{ name: "n" }] }, container: { image: "busybox" } },
    ],
  }, { "wf(0).A": { exitCode: 1 } });
  const wf = result.workflow;
  assert.equal(node(wf, "wf(1).A").inputs?.parameters?.[0].value, "1");
  assert.equal(wf.status?.phase, "Succeeded");
});

Deno.test("retry affinity.nodeAntiAffinity: the next attempt avoids the failed hosts", () => {
  const result = run(
    retried({ limit: 3, affinity: { nodeAntiAffinity: {} } }),
    {
      "wf[0].a(0)": { exitCode: 1, host: "node-1" },
      "wf[0].a(1)": { exitCode: 1, host: "node-2" },
      "wf[0].a(2)": { host: "node-3" },
    },
  );
  const a = node(result.workflow, "wf[0].a");
  assert.equal(a.phase, "Succeeded");
  assert.equal(node(result.workflow, "wf[0].a(0)").hostNodeName, "node-1");
  const terms = result.createdPods.map((p) =>
    p.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution
      ?.nodeSelectorTerms
  );
  assert.equal(terms[0], undefined);
  assert.deepEqual(terms[2], [{
    matchExpressions: [{
      key: "kubernetes.io/hostname",
      operator: "NotIn",
      values: ["node-1", "node-2"],
    }],
  }]);
});

// ---------------------------------------------------------------- suspend and resume

Deno.test("spec.suspend: running pods are followed, nothing new starts, resume continues", () => {
  const wf = workflow({ entrypoint: "main", templates: [steps("a", "b"), echo] });
  const first = reconcile(snapshot(wf));
  const pod = first.actions.find((a) => a.type === "createPod");
  assert.ok(pod && pod.type === "createPod");
  const done: V1Pod = {
    ...pod.pod,
    status: {
      phase: "Succeeded",
      containerStatuses: [{
        name: "main",
        image: "",
        imageID: "",
        ready: false,
        restartCount: 0,
        state: { terminated: { exitCode: 0 } },
      }],
    },
  };
  const suspended = { ...wf, spec: { ...wf.spec, suspend: true }, status: first.status };
  const snap = snapshot(suspended, "2026-01-01T00:00:05Z", [done]);
  const nodeA = Object.values(first.status.nodes!).find((n) => n.name === "wf[0].a")!;
  snap.taskResults = [{
    apiVersion: "argoproj.io/v1alpha1",
    kind: "WorkflowTaskResult",
    metadata: {
      name: nodeA.id,
      labels: { "workflows.argoproj.io/report-outputs-completed": "true" },
    },
    outputs: {},
  }];
  const second = reconcile(snap);
  assert.equal(second.status.phase, "Running");
  assert.equal(node(after(wf, second.status), "wf[0].a").phase, "Succeeded");
  assert.equal(second.actions.filter((a) => a.type === "createPod").length, 0);
  assert.equal(hasNode(after(wf, second.status), "wf[1].b"), false);
  const resumed = reconcile({ ...snap, workflow: after(wf, second.status) });
  assert.equal(resumed.actions.filter((a) => a.type === "createPod").length, 1);
});

function approvalSpec(): Workflow["spec"] {
  return {
    entrypoint: "main",
    templates: [
      {
        name: "main",
        steps: [[{ name: "approve", template: "approve" }], [{
          name: "use",
          template: "take",
          arguments: {
            parameters: [{ name: "n", value: "{{steps.approve.outputs.parameters.answer}}" }],
          },
        }]],
      },
      {
        name: "approve",
        suspend: {},
        outputs: { parameters: [{ name: "answer", valueFrom: { supplied: {} } }] },
      },
      { name: "take", inputs: { parameters: [{ name: "n" }] }, container: { image: "busybox" } },
    ],
  };
}

Deno.test("node-level resume: a suspend node marked Succeeded lets the engine continue", () => {
  const wf = workflow(approvalSpec());
  const first = reconcile(snapshot(wf));
  const suspendNode = Object.values(first.status.nodes!).find((n) => n.name === "wf[0].approve")!;
  assert.equal(suspendNode.phase, "Running");
  assert.equal(first.actions.filter((a) => a.type === "createPod").length, 0);
  // What `argo resume` / `argo node set` write: phase Succeeded and the supplied outputs.
  const resumedStatus = structuredClone(first.status);
  resumedStatus.nodes![suspendNode.id] = {
    ...suspendNode,
    phase: "Succeeded",
    finishedAt: "2026-01-01T00:00:03Z",
    outputs: { parameters: [{ name: "answer", value: "yes" }] },
  };
  const second = reconcile(snapshot(after(wf, resumedStatus), "2026-01-01T00:00:04Z"));
  const use = node(after(wf, second.status), "wf[1].use");
  assert.equal(use.inputs?.parameters?.[0].value, "yes");
  assert.equal(second.actions.filter((a) => a.type === "createPod").length, 1);
});

// ---------------------------------------------------------------- pod faults

Deno.test("pod deleted while running: node Error 'pod deleted'", () => {
  const result = run({ entrypoint: "main", templates: [steps("a"), echo] }, {
    a: { vanishAfter: "Running" },
  });
  const a = node(result.workflow, "wf[0].a");
  assert.equal(a.phase, "Error");
  assert.equal(a.message, "pod deleted");
  assert.equal(result.workflow.status?.phase, "Failed");
});

Deno.test("evicted pod: node Failed with the eviction message", () => {
  const message = "The node was low on resource: memory.";
  const result = run({ entrypoint: "main", templates: [steps("a"), echo] }, {
    a: { exitCode: 137, podReason: "Evicted", podMessage: message },
  });
  const a = node(result.workflow, "wf[0].a");
  assert.equal(a.phase, "Failed");
  assert.equal(a.message, message);
});

Deno.test("OOMKilled main container: node Failed 'OOMKilled (exit code 137)'", () => {
  const result = run({ entrypoint: "main", templates: [steps("a"), echo] }, {
    a: { exitCode: 137, exitReason: "OOMKilled" },
  });
  const a = node(result.workflow, "wf[0].a");
  assert.equal(a.phase, "Failed");
  assert.equal(a.message, "OOMKilled (exit code 137)");
});

Deno.test("wait container died before reporting outputs: node Error", () => {
  const result = run({ entrypoint: "main", templates: [steps("a"), echo] }, {
    a: { waitExitCode: 2 },
  });
  const a = node(result.workflow, "wf[0].a");
  assert.equal(a.phase, "Error");
  assert.equal(a.message, "wait: Error (exit code 2) (outputs were not reported)");
});

Deno.test("task result never arrives: the node waits 10 minutes, then succeeds", () => {
  const result = run({ entrypoint: "main", templates: [steps("a", "b"), echo] }, {
    a: { noTaskResult: true },
  });
  const wf = result.workflow;
  const a = node(wf, "wf[0].a");
  assert.equal(a.phase, "Succeeded");
  assert.match(a.message ?? "", /no task result 600s after the pod finished/);
  assert.ok(Date.parse(node(wf, "wf[1].b").startedAt!) - Date.parse(a.finishedAt!) >= 600_000);
  assert.equal(wf.status?.phase, "Succeeded");
});

Deno.test("task result never arrives and the pod is gone: 2 minutes, from config", () => {
  const spec: Workflow["spec"] = { entrypoint: "main", templates: [steps("a"), echo] };
  const script = { a: { noTaskResult: true, vanishAfter: "Succeeded" as const } };
  const result = run(spec, script);
  const a = node(result.workflow, "wf[0].a");
  assert.equal(a.phase, "Succeeded");
  assert.match(a.message ?? "", /120s/);
  const custom = simulate({
    workflow: workflow(spec),
    script,
    config: { ...CONFIG, recentlyDeletedPodSeconds: 30 },
    start: START,
  });
  assert.match(node(custom.workflow, "wf[0].a").message ?? "", /30s/);
});

// ---------------------------------------------------------------- daemons

Deno.test("daemon: fulfilled once running, exposes its ip, killed when the steps end", () => {
  const result = run({
    entrypoint: "main",
    templates: [
      {
        name: "main",
        steps: [[{ name: "server", template: "server" }], [{
          name: "client",
          template: "take",
          arguments: { parameters: [{ name: "n", value: "{{steps.server.ip}}" }] },
        }]],
      },
      { name: "server", daemon: true, container: { image: "busybox" } },
      { name: "take", inputs: { parameters: [{ name: "n" }] }, container: { image: "busybox" } },
    ],
  }, { server: { stay: "Running", ip: "10.0.0.7" } });
  const wf = result.workflow;
  assert.equal(node(wf, "wf[1].client").inputs?.parameters?.[0].value, "10.0.0.7");
  const server = node(wf, "wf[0].server");
  assert.equal(server.phase, "Succeeded");
  assert.equal(server.daemoned, undefined);
  assert.equal(wf.status?.phase, "Succeeded");
  const serverPod = podName("wf", "wf[0].server", "server");
  assert.deepEqual(result.podsDeleted, [serverPod]);
});
