/**
 * Benchmarks for the reconcile core, each against the floor of reading and writing the status
 * it works on (JSON.parse + JSON.stringify), measured in the same run:
 *
 * - a 10,000-task DAG (100 layers of 100; every task depends on the one 100 before it) with
 *   every task Succeeded but the last layer Running, and one task whose pod just finished:
 *   the pass must look at each node once and change only what moved;
 * - a 10,000-item withItems fan-out: the first reconcile, which creates 10,000 nodes and pods
 *   (its floor also round-trips the pods; building them is pod_spec.ts's share of the time),
 *   and a later pass of the same fan-out in which one iteration has just finished.
 */
import type { V1Pod } from "@kubernetes/client-node";
import type { NodeStatus, Workflow, WorkflowStatus } from "../api/types.gen.ts";
import type { WorkflowTaskResult } from "../api/task_result.ts";
import type { BenchScenario } from "./harness.ts";
import { type ControllerConfig, DEFAULT_CONFIG } from "../controller/operator/config.ts";
import { nodeId, podName, reconcile, type Snapshot } from "../controller/operator/mod.ts";

const TASKS = 10_000;
const WIDTH = 100;
const NOW = "2026-01-01T01:00:00Z";
const START = "2026-01-01T00:00:00Z";
const CONFIG: ControllerConfig = { ...DEFAULT_CONFIG, images: { busybox: { cmd: ["sh"] } } };

export function dagSnapshot(): Snapshot {
  const name = "big-dag";
  const tasks = [];
  for (let i = 0; i < TASKS; i++) {
    tasks.push(
      i < WIDTH
        ? { name: `t${i}`, template: "echo" }
        : { name: `t${i}`, template: "echo", depends: `t${i - WIDTH}` },
    );
  }
  const workflow: Workflow = {
    apiVersion: "argoproj.io/v1alpha1",
    kind: "Workflow",
    metadata: { name, namespace: "argo", uid: "u" },
    spec: {
      entrypoint: "main",
      templates: [
        { name: "main", dag: { tasks } },
        { name: "echo", container: { image: "busybox" } },
      ],
    },
  };
  const nodes: Record<string, NodeStatus> = {};
  const rootChildren: string[] = [];
  const lastLayer = TASKS - WIDTH;
  for (let i = 0; i < TASKS; i++) {
    const nodeName = `${name}.t${i}`;
    const id = nodeId(name, nodeName);
    const running = i >= lastLayer;
    const node: NodeStatus = {
      id,
      name: nodeName,
      displayName: `t${i}`,
      type: "Pod",
      templateName: "echo",
      templateScope: `local/${name}`,
      phase: running ? "Running" : "Succeeded",
      boundaryID: name,
      startedAt: START,
      progress: running ? "0/1" : "1/1",
    };
    if (!running) {
      node.finishedAt = START;
      node.outputs = { exitCode: "0" };
    }
    if (i + WIDTH < TASKS) node.children = [nodeId(name, `${name}.t${i + WIDTH}`)];
    if (i < WIDTH) rootChildren.push(id);
    nodes[id] = node;
  }
  nodes[name] = {
    id: name,
    name,
    displayName: name,
    type: "DAG",
    templateName: "main",
    templateScope: `local/${name}`,
    phase: "Running",
    startedAt: START,
    children: rootChildren,
    progress: `${lastLayer}/${TASKS}`,
  };
  const status: WorkflowStatus = { phase: "Running", startedAt: START, nodes };
  // The first task of the last layer: its pod just succeeded and its outputs arrived.
  const doneName = `${name}.t${lastLayer}`;
  const doneId = nodeId(name, doneName);
  const pod: V1Pod = {
    metadata: { name: podName(name, doneName, "echo"), namespace: "argo" },
    status: {
      phase: "Succeeded",
      containerStatuses: [{
        name: "main",
        image: "busybox",
        imageID: "",
        ready: false,
        restartCount: 0,
        state: { terminated: { exitCode: 0, reason: "Completed" } },
      }],
    },
  };
  const running: V1Pod[] = [];
  for (let i = lastLayer + 1; i < TASKS; i++) {
    running.push({
      metadata: { name: podName(name, `${name}.t${i}`, "echo"), namespace: "argo" },
      status: { phase: "Running" },
    });
  }
  const result: WorkflowTaskResult = {
    metadata: {
      name: doneId,
      labels: {
        "workflows.argoproj.io/workflow": name,
        "workflows.argoproj.io/report-outputs-completed": "true",
      },
    },
    outputs: { exitCode: "0" },
  };
  return {
    workflow: { ...workflow, status },
    pods: [pod, ...running],
    taskResults: [result],
    workflowTemplates: [],
    clusterWorkflowTemplates: [],
    configMaps: [],
    config: CONFIG,
    now: NOW,
  };
}

export function fanOutSnapshot(): Snapshot {
  const items = Array.from({ length: TASKS }, (_, i) => `item-${i}`);
  return {
    workflow: {
      apiVersion: "argoproj.io/v1alpha1",
      kind: "Workflow",
      metadata: { name: "fan-out", namespace: "argo", uid: "u" },
      spec: {
        entrypoint: "main",
        templates: [
          {
            name: "main",
            steps: [[{
              name: "each",
              template: "echo",
              arguments: { parameters: [{ name: "m", value: "{{item}}" }] },
              withItems: items,
            }]],
          },
          {
            name: "echo",
            inputs: { parameters: [{ name: "m" }] },
            container: { image: "busybox", args: ["{{inputs.parameters.m}}"] },
          },
        ],
      },
    },
    pods: [],
    taskResults: [],
    workflowTemplates: [],
    clusterWorkflowTemplates: [],
    configMaps: [],
    config: CONFIG,
    now: NOW,
  };
}

/** The fan-out once every pod runs: then one of them has just succeeded. */
export function fanOutRunningSnapshot(): Snapshot {
  const start = fanOutSnapshot();
  const created = reconcile(start);
  const allRunning = created.actions.flatMap((a) =>
    a.type === "createPod" ? [{ metadata: a.pod.metadata, status: { phase: "Running" } }] : []
  );
  const running = reconcile({
    ...start,
    workflow: { ...start.workflow, status: created.status },
    pods: allRunning,
    now: "2026-01-01T01:00:05Z",
  });
  const first = { status: running.status, actions: created.actions };
  const pods: V1Pod[] = [];
  let done: string | undefined;
  for (const action of first.actions) {
    if (action.type !== "createPod") continue;
    const meta = action.pod.metadata ?? {};
    const finished = done === undefined;
    if (finished) done = meta.annotations?.["workflows.argoproj.io/node-id"];
    pods.push({
      metadata: { name: meta.name, namespace: meta.namespace, annotations: meta.annotations },
      status: finished
        ? {
          phase: "Succeeded",
          containerStatuses: [{
            name: "main",
            image: "busybox",
            imageID: "",
            ready: false,
            restartCount: 0,
            state: { terminated: { exitCode: 0, reason: "Completed" } },
          }],
        }
        : { phase: "Running" },
    });
  }
  const result: WorkflowTaskResult = {
    metadata: {
      name: done ?? "",
      labels: {
        "workflows.argoproj.io/workflow": "fan-out",
        "workflows.argoproj.io/report-outputs-completed": "true",
      },
    },
    outputs: { exitCode: "0" },
  };
  return {
    ...start,
    workflow: { ...start.workflow, status: first.status },
    pods,
    taskResults: [result],
    now: "2026-01-01T01:00:10Z",
  };
}

/**
 * The floor reads and writes what the pass produces: the status, and for the fan-out also the
 * 10,000 pods the shell will send.
 */
function scenario(name: string, snapshot: Snapshot, withActions: boolean): BenchScenario {
  const result = reconcile(snapshot);
  const statusText = JSON.stringify(
    withActions ? { status: result.status, actions: result.actions } : result.status,
  );
  return {
    name,
    run() {
      reconcile(snapshot);
    },
    floor() {
      JSON.stringify(JSON.parse(statusText));
    },
  };
}

export const scenarios: BenchScenario[] = [
  scenario("operator: 10,000-task DAG, one task finished", dagSnapshot(), false),
  scenario("operator: 10,000-item withItems fan-out, first reconcile", fanOutSnapshot(), true),
  scenario(
    "operator: 10,000-item withItems fan-out, one iteration finished",
    fanOutRunningSnapshot(),
    false,
  ),
];

if (import.meta.main) {
  const { formatResult, measure } = await import("./harness.ts");
  for (const s of scenarios) console.log(formatResult(measure(s)));
}
