/**
 * Workflows for the printer tests and benchmarks, written for this project: each is the status
 * Argo's controller would leave for a small, typical workflow (node names, IDs, boundaries and
 * children follow the status model), with fixed times so output is reproducible.
 *
 * @module
 */
import type { NodeStatus, Workflow } from "../../../api/types.gen.ts";
import { nodeId } from "../pod_name.ts";

/** All fixtures are created at T0 and printed at NOW (three minutes later). */
export const T0 = Date.parse("2026-11-26T15:00:00Z");
export const NOW = new Date(T0 + 3 * 60 * 1000);

/** T0 plus `seconds`, as an RFC 3339 time. */
export function at(seconds: number): string {
  return new Date(T0 + seconds * 1000).toISOString().replace(".000Z", "Z");
}

export interface NodeSpec {
  type: string;
  phase?: string;
  displayName?: string;
  template?: string;
  /** Name of the boundary node (Steps/DAG) this node is in. */
  boundary?: string;
  /** Names of child nodes. */
  children?: string[];
  start?: number;
  end?: number;
  message?: string;
  hostNodeName?: string;
  artifacts?: string[];
  resourcesDuration?: Record<string, number>;
  templateRef?: { name: string; template: string };
}

/** The last segment of a node name: `wf[0].hello` → `hello`, `wf[1]` → `[1]`. */
function displayNameOf(name: string): string {
  const bracket = /\[\d+\]$/.exec(name);
  if (bracket) return bracket[0];
  const dot = name.lastIndexOf(".", name.indexOf("(") >= 0 ? name.indexOf("(") : name.length);
  return dot >= 0 ? name.slice(dot + 1) : name;
}

/** Builds `status.nodes` from specs keyed by node name. */
export function buildNodes(
  wfName: string,
  specs: Record<string, NodeSpec>,
): Record<string, NodeStatus> {
  const nodes: Record<string, NodeStatus> = {};
  for (const [name, spec] of Object.entries(specs)) {
    const id = nodeId(wfName, name);
    const node: NodeStatus = {
      id,
      name,
      displayName: spec.displayName ?? displayNameOf(name),
      type: spec.type,
      phase: spec.phase ?? "Succeeded",
    };
    if (spec.template) node.templateName = spec.template;
    if (spec.templateRef) node.templateRef = spec.templateRef;
    if (spec.boundary) node.boundaryID = nodeId(wfName, spec.boundary);
    if (spec.children) node.children = spec.children.map((child) => nodeId(wfName, child));
    if (spec.start !== undefined) node.startedAt = at(spec.start);
    if (spec.end !== undefined) node.finishedAt = at(spec.end);
    if (spec.message) node.message = spec.message;
    if (spec.hostNodeName) node.hostNodeName = spec.hostNodeName;
    if (spec.resourcesDuration) node.resourcesDuration = spec.resourcesDuration;
    if (spec.artifacts) {
      node.outputs = { artifacts: spec.artifacts.map((a) => ({ name: a, path: `/tmp/${a}` })) };
    }
    nodes[id] = node;
  }
  return nodes;
}

function workflow(
  name: string,
  spec: Workflow["spec"],
  status: Workflow["status"],
  annotations?: Record<string, string>,
): Workflow {
  return {
    apiVersion: "argoproj.io/v1alpha1",
    kind: "Workflow",
    metadata: {
      name,
      namespace: "argo",
      creationTimestamp: at(0),
      ...(annotations ? { annotations } : {}),
    },
    spec,
    status,
  };
}

/** The `argo get` example of argo-features.md 2.1 (v1 pod names, as in that example). */
export function stepsWorkflow(): Workflow {
  const wf = "steps-z2zdn";
  return workflow(
    wf,
    { entrypoint: "hello-hello-hello" },
    {
      phase: "Succeeded",
      startedAt: at(0),
      finishedAt: at(7),
      progress: "3/3",
      resourcesDuration: { cpu: 5, memory: 3 },
      conditions: [{ type: "PodRunning", status: "False" }, { type: "Completed", status: "True" }],
      nodes: buildNodes(wf, {
        [wf]: {
          type: "Steps",
          template: "hello-hello-hello",
          start: 0,
          end: 7,
          children: [`${wf}[0]`],
        },
        [`${wf}[0]`]: {
          type: "StepGroup",
          boundary: wf,
          start: 0,
          end: 2,
          children: [`${wf}[0].hello1`],
        },
        [`${wf}[0].hello1`]: {
          type: "Pod",
          template: "print-message",
          boundary: wf,
          start: 0,
          end: 2,
          children: [`${wf}[1]`],
        },
        [`${wf}[1]`]: {
          type: "StepGroup",
          boundary: wf,
          start: 2,
          end: 7,
          children: [`${wf}[1].hello2a`, `${wf}[1].hello2b`],
        },
        [`${wf}[1].hello2a`]: {
          type: "Pod",
          template: "print-message",
          boundary: wf,
          start: 2,
          end: 5,
        },
        [`${wf}[1].hello2b`]: {
          type: "Pod",
          template: "print-message",
          boundary: wf,
          start: 2,
          end: 5,
        },
      }),
    },
    { "workflows.argoproj.io/pod-name-format": "v1" },
  );
}

/** A DAG diamond A → (B, C) → D, with a templateRef task, all succeeded. */
export function dagDiamondWorkflow(): Workflow {
  const wf = "dag-diamond-x8k2p";
  const task = (start: number, children: string[] = []): NodeSpec => ({
    type: "Pod",
    template: "echo",
    boundary: wf,
    start,
    end: start + 2,
    children: children.map((c) => `${wf}.${c}`),
    hostNodeName: "worker-1",
  });
  return workflow(
    wf,
    { entrypoint: "diamond", serviceAccountName: "workflow-runner" },
    {
      phase: "Succeeded",
      startedAt: at(0),
      finishedAt: at(65),
      progress: "4/4",
      nodes: buildNodes(wf, {
        [wf]: { type: "DAG", template: "diamond", start: 0, end: 65, children: [`${wf}.A`] },
        [`${wf}.A`]: task(0, ["B", "C"]),
        [`${wf}.B`]: task(3, ["D"]),
        [`${wf}.C`]: {
          ...task(3, ["D"]),
          template: undefined,
          templateRef: { name: "shared-templates", template: "echo-twice" },
        },
        [`${wf}.D`]: { ...task(6), end: 65 },
      }),
    },
  );
}

/** Steps with retries: `flaky` needed three attempts, `stable` one (its Retry row is hidden). */
export function retryWorkflow(): Workflow {
  const wf = "retry-steps-7hq2m";
  const attempt = (name: string, start: number, phase: string, message?: string): NodeSpec => ({
    type: "Pod",
    template: name.startsWith(`${wf}[0].flaky`) ? "flaky" : "stable",
    boundary: wf,
    phase,
    start,
    end: start + 4,
    message,
  });
  return workflow(
    wf,
    { entrypoint: "main" },
    {
      phase: "Succeeded",
      startedAt: at(0),
      finishedAt: at(30),
      progress: "4/4",
      nodes: buildNodes(wf, {
        [wf]: { type: "Steps", template: "main", start: 0, end: 30, children: [`${wf}[0]`] },
        [`${wf}[0]`]: {
          type: "StepGroup",
          boundary: wf,
          start: 0,
          end: 30,
          children: [`${wf}[0].flaky`, `${wf}[0].stable`],
        },
        [`${wf}[0].flaky`]: {
          type: "Retry",
          template: "flaky",
          boundary: wf,
          start: 0,
          end: 30,
          children: [`${wf}[0].flaky(0)`, `${wf}[0].flaky(1)`, `${wf}[0].flaky(2)`],
        },
        [`${wf}[0].flaky(0)`]: attempt(`${wf}[0].flaky(0)`, 0, "Failed", "Error (exit code 1)"),
        [`${wf}[0].flaky(1)`]: attempt(`${wf}[0].flaky(1)`, 10, "Failed", "Error (exit code 1)"),
        [`${wf}[0].flaky(2)`]: attempt(`${wf}[0].flaky(2)`, 20, "Succeeded"),
        [`${wf}[0].stable`]: {
          type: "Retry",
          template: "stable",
          boundary: wf,
          start: 0,
          end: 4,
          children: [`${wf}[0].stable(0)`],
        },
        [`${wf}[0].stable(0)`]: attempt(`${wf}[0].stable(0)`, 0, "Succeeded"),
      }),
    },
  );
}

/** A failing step followed by the workflow's exit handler (a steps template). */
export function exitHandlerWorkflow(): Workflow {
  const wf = "exit-handlers-5w8rk";
  const exit = `${wf}.onExit`;
  return workflow(
    wf,
    { entrypoint: "intentional-fail", onExit: "exit-handler" },
    {
      phase: "Failed",
      message: "Error (exit code 1)",
      startedAt: at(0),
      finishedAt: at(20),
      progress: "3/4",
      resourcesDuration: { cpu: 7, memory: 4 },
      nodes: buildNodes(wf, {
        [wf]: {
          type: "Pod",
          template: "intentional-fail",
          phase: "Failed",
          start: 0,
          end: 8,
          message: "Error (exit code 1)",
          hostNodeName: "worker-2",
          resourcesDuration: { cpu: 2, memory: 1 },
        },
        [exit]: {
          type: "Steps",
          template: "exit-handler",
          displayName: exit,
          start: 9,
          end: 20,
          children: [`${exit}[0]`],
        },
        [`${exit}[0]`]: {
          type: "StepGroup",
          boundary: exit,
          start: 9,
          end: 20,
          children: [`${exit}[0].notify`, `${exit}[0].celebrate`, `${exit}[0].cry`],
        },
        [`${exit}[0].notify`]: {
          type: "Pod",
          template: "send-email",
          boundary: exit,
          start: 9,
          end: 15,
          hostNodeName: "worker-1",
          artifacts: ["report", "log"],
          resourcesDuration: { cpu: 3, memory: 2 },
        },
        [`${exit}[0].celebrate`]: {
          type: "Skipped",
          template: "celebrate",
          phase: "Skipped",
          boundary: exit,
          start: 9,
          end: 9,
          message: "when 'Failed == Succeeded' evaluated false",
        },
        [`${exit}[0].cry`]: {
          type: "Pod",
          template: "cry",
          boundary: exit,
          start: 9,
          end: 20,
          hostNodeName: "worker-3",
          resourcesDuration: { cpu: 2, memory: 1 },
        },
      }),
    },
  );
}

/** A failed DAG with parameters, outputs, conditions, an errored and an omitted task. */
export function failedWorkflow(): Workflow {
  const wf = "pipeline-failed-m2x9c";
  // Started an hour before the others so that `test` shows an hour-long duration.
  const wfObject = workflow(
    wf,
    {
      entrypoint: "pipeline",
      arguments: {
        parameters: [{ name: "env", value: "staging" }, { name: "replicas", value: "3" }],
      },
    },
    {
      phase: "Failed",
      message: "child 'pipeline-failed-m2x9c-3281405718' failed",
      startedAt: at(-3700),
      finishedAt: at(125),
      progress: "2/4",
      conditions: [
        { type: "PodRunning", status: "False" },
        { type: "SpecWarning", status: "True", message: "template 'old' is unused" },
        { type: "Completed", status: "True" },
      ],
      outputs: {
        parameters: [{ name: "build-id", value: "b-42" }],
        artifacts: [{
          name: "bundle",
          s3: { endpoint: "minio:9000", bucket: "art", key: "b.tgz" },
        }],
      },
      nodes: buildNodes(wf, {
        [wf]: {
          type: "DAG",
          template: "pipeline",
          phase: "Failed",
          start: -3700,
          end: 125,
          message: "child 'pipeline-failed-m2x9c-3281405718' failed",
          children: [`${wf}.build`],
        },
        [`${wf}.build`]: {
          type: "Pod",
          template: "build",
          boundary: wf,
          start: -3700,
          end: -3635,
          children: [`${wf}.test`, `${wf}.lint`],
        },
        [`${wf}.test`]: {
          type: "Pod",
          template: "test",
          phase: "Failed",
          boundary: wf,
          start: -3634,
          end: 125,
          message: "Error (exit code 2)",
          children: [`${wf}.deploy`],
        },
        [`${wf}.lint`]: {
          type: "Pod",
          template: "lint",
          phase: "Error",
          boundary: wf,
          start: -3634,
          end: -3630,
          message: "pod deleted",
        },
        [`${wf}.deploy`]: {
          type: "Skipped",
          template: "deploy",
          phase: "Omitted",
          boundary: wf,
          message: "omitted: depends condition not met",
        },
      }),
    },
  );
  wfObject.metadata.creationTimestamp = at(-3700);
  return wfObject;
}

/** A running workflow waiting on an approval step (suspend template). */
export function suspendedWorkflow(): Workflow {
  const wf = "approval-t6v4d";
  return workflow(
    wf,
    { entrypoint: "main", workflowTemplateRef: { name: "approval" } },
    {
      phase: "Running",
      startedAt: at(0),
      estimatedDuration: 600,
      progress: "1/2",
      nodes: buildNodes(wf, {
        [wf]: {
          type: "Steps",
          template: "main",
          phase: "Running",
          start: 0,
          children: [`${wf}[0]`],
        },
        [`${wf}[0]`]: {
          type: "StepGroup",
          boundary: wf,
          start: 0,
          end: 5,
          children: [`${wf}[0].build`],
        },
        [`${wf}[0].build`]: {
          type: "Pod",
          template: "build",
          boundary: wf,
          start: 0,
          end: 5,
          children: [`${wf}[1]`],
        },
        [`${wf}[1]`]: {
          type: "StepGroup",
          phase: "Running",
          boundary: wf,
          start: 6,
          children: [`${wf}[1].approve`],
        },
        [`${wf}[1].approve`]: {
          type: "Suspend",
          template: "approve",
          phase: "Running",
          boundary: wf,
          start: 6,
        },
      }),
    },
  );
}

/** A step looping over 11 items (to check index order past 9), some still running/pending. */
export function loopsWorkflow(): Workflow {
  const wf = "loops-4bq8n";
  const items = ["a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k"];
  const specs: Record<string, NodeSpec> = {
    [wf]: {
      type: "Steps",
      template: "loop-example",
      phase: "Running",
      start: 0,
      children: [`${wf}[0]`],
    },
    [`${wf}[0]`]: {
      type: "StepGroup",
      phase: "Running",
      boundary: wf,
      start: 0,
      children: items.map((item, i) => `${wf}[0].print(${i}:${item})`),
    },
  };
  items.forEach((item, i) => {
    const phase = i < 8 ? "Succeeded" : i < 10 ? "Running" : "Pending";
    specs[`${wf}[0].print(${i}:${item})`] = {
      type: "Pod",
      template: "print-item",
      phase,
      boundary: wf,
      start: phase === "Pending" ? undefined : 1,
      end: phase === "Succeeded" ? 4 + i : undefined,
    };
  });
  return workflow(
    wf,
    { entrypoint: "loop-example" },
    { phase: "Running", startedAt: at(0), progress: "8/11", nodes: buildNodes(wf, specs) },
  );
}

/** Workflows for `argo list`: running, pending, finished at different times, two namespaces. */
export function listWorkflows(): Workflow[] {
  const base = (
    name: string,
    namespace: string,
    created: number,
    status: Workflow["status"],
    spec: Partial<Workflow["spec"]> = {},
  ): Workflow => ({
    metadata: { name, namespace, creationTimestamp: at(created) },
    spec: { entrypoint: "main", ...spec },
    status,
  });
  const pods = (phases: string[]): Record<string, NodeStatus> =>
    Object.fromEntries(
      phases.map((phase, i) => [`n${i}`, { id: `n${i}`, name: `n${i}`, type: "Pod", phase }]),
    );
  return [
    base("hello-old", "argo", -7200, {
      phase: "Succeeded",
      startedAt: at(-7200),
      finishedAt: at(-7195),
      nodes: pods(["Succeeded"]),
    }),
    base("build-failed", "ci", -600, {
      phase: "Failed",
      message: "child 'build-failed-1' failed",
      startedAt: at(-600),
      finishedAt: at(-480),
      nodes: pods(["Succeeded", "Failed", "Omitted"]),
    }, { priority: 5 }),
    base("long-running", "argo", -90000, {
      phase: "Running",
      startedAt: at(-90000),
      nodes: pods(["Succeeded", "Running", "Pending"]),
    }, {
      arguments: {
        parameters: [
          { name: "message", value: "x".repeat(60) + "-the-end-of-it" },
          { name: "count", value: "3" },
          { name: "unset" },
        ],
      },
    }),
    base("just-submitted", "ci", 170, {}),
    base("stopped", "argo", -300, {
      phase: "Failed",
      message: "Stopped with strategy 'Terminate'",
      startedAt: at(-300),
      finishedAt: at(-120),
    }, { shutdown: "Terminate" }),
  ];
}

/**
 * A big fan-out: `prepare`, then `process` over `count` items (mostly succeeded, some failed,
 * some running/pending), as a steps workflow of `count + 4` nodes.
 */
export function fanOutWorkflow(count: number): Workflow {
  const wf = "fan-out-big01";
  const nodes: Record<string, NodeStatus> = {};
  const add = (node: Omit<NodeStatus, "id">): string => {
    const id = nodeId(wf, node.name);
    nodes[id] = { id, ...node };
    return id;
  };
  const group1 = `${wf}[1]`;
  const children: string[] = [];
  for (let i = 0; i < count; i++) {
    const name = `${group1}.process(${i}:item-${i})`;
    const phase = i % 50 === 7
      ? "Failed"
      : i % 500 === 3
      ? "Running"
      : i >= count - 8
      ? "Pending"
      : "Succeeded";
    children.push(add({
      name,
      displayName: `process(${i}:item-${i})`,
      type: "Pod",
      templateName: "process",
      phase,
      boundaryID: wf,
      startedAt: phase === "Pending" ? undefined : at(10 + (i % 60)),
      finishedAt: phase === "Succeeded" || phase === "Failed" ? at(70 + (i % 60)) : undefined,
      message: phase === "Failed" ? "Error (exit code 1)" : undefined,
    }));
  }
  const group0 = `${wf}[0]`;
  const prepare = add({
    name: `${group0}.prepare`,
    displayName: "prepare",
    type: "Pod",
    templateName: "prepare",
    phase: "Succeeded",
    boundaryID: wf,
    startedAt: at(0),
    finishedAt: at(9),
    children: [nodeId(wf, group1)],
  });
  add({
    name: group0,
    displayName: "[0]",
    type: "StepGroup",
    phase: "Succeeded",
    boundaryID: wf,
    startedAt: at(0),
    finishedAt: at(9),
    children: [prepare],
  });
  add({
    name: group1,
    displayName: "[1]",
    type: "StepGroup",
    phase: "Running",
    boundaryID: wf,
    startedAt: at(10),
    children,
  });
  add({
    name: wf,
    displayName: wf,
    type: "Steps",
    templateName: "main",
    phase: "Running",
    startedAt: at(0),
    children: [nodeId(wf, group0)],
  });
  return workflow(wf, { entrypoint: "main" }, {
    phase: "Running",
    startedAt: at(0),
    progress: `${count}/${count + 1}`,
    nodes,
  });
}

/** A DAG of `count` independent, distinctly named tasks (nothing to fold). */
export function wideDagWorkflow(count: number): Workflow {
  const wf = "wide-dag-zz9";
  const specs: Record<string, NodeSpec> = {
    [wf]: { type: "DAG", template: "main", phase: "Running", start: 0 },
  };
  for (let i = 0; i < count; i++) {
    specs[`${wf}.task-${i}`] = {
      type: "Pod",
      template: "work",
      boundary: wf,
      phase: i % 3 === 0 ? "Running" : "Succeeded",
      start: i % 100,
      end: i % 3 === 0 ? undefined : 100 + (i % 100),
    };
  }
  return workflow(wf, { entrypoint: "main" }, {
    phase: "Running",
    startedAt: at(0),
    nodes: buildNodes(wf, specs),
  });
}
