/**
 * A scripted pod timeline for scenario tests: applies the engine's createPod actions, moves
 * each pod Pending -> Running -> Succeeded/Failed one reconcile at a time, writes the
 * WorkflowTaskResult the executor would, and reconciles until the workflow completes or nothing
 * moves. The clock advances one second per round (or to the next requeue when only time can
 * help).
 *
 * @module
 */
import type { V1ConfigMap, V1Pod } from "@kubernetes/client-node";
import type {
  ClusterWorkflowTemplate,
  NodeStatus,
  Parameter,
  Workflow,
  WorkflowTemplate,
} from "../../api/types.gen.ts";
import type { WorkflowTaskResult } from "../../api/task_result.ts";
import {
  ANNOTATION_NODE_ID,
  ANNOTATION_NODE_NAME,
  isWorkflowCompleted,
  LABEL_REPORT_OUTPUTS_COMPLETED,
  LABEL_WORKFLOW,
} from "../../api/meta.ts";
import { type ControllerConfig, DEFAULT_CONFIG } from "./config.ts";
import { reconcile } from "./reconcile.ts";
import type { ReconcileResult } from "./types.ts";

/** What one pod does. */
export interface PodScript {
  /** Main container exit code (default 0). */
  exitCode?: number;
  /** `outputs.result` (stdout). */
  result?: string;
  /** Output parameters by name. */
  parameters?: Record<string, string>;
  /** Stay in this phase forever. */
  stay?: "Pending" | "Running";
}

export interface SimulationInput {
  workflow: Workflow;
  /**
   * Pod behaviour, keyed by node name, display name or template name (first match wins);
   * pods with no entry succeed with no outputs.
   */
  script?: Record<string, PodScript>;
  workflowTemplates?: WorkflowTemplate[];
  clusterWorkflowTemplates?: ClusterWorkflowTemplate[];
  configMaps?: V1ConfigMap[];
  config?: ControllerConfig;
  /** Start time (default 2026-01-01T00:00:00Z). */
  start?: string;
  maxRounds?: number;
}

export interface SimulationResult {
  workflow: Workflow;
  /** Pod names in creation order. */
  podsCreated: string[];
  rounds: number;
  /** The last reconcile's result. */
  last: ReconcileResult;
}

interface SimPod {
  pod: V1Pod;
  script: PodScript;
  nodeId: string;
}

export function simulate(input: SimulationInput): SimulationResult {
  let workflow: Workflow = structuredClone(input.workflow);
  const pods = new Map<string, SimPod>();
  const taskResults = new Map<string, WorkflowTaskResult>();
  const podsCreated: string[] = [];
  let nowMs = Date.parse(input.start ?? "2026-01-01T00:00:00Z");
  const maxRounds = input.maxRounds ?? 200;
  let last: ReconcileResult | undefined;
  let rounds = 0;
  for (; rounds < maxRounds; rounds++) {
    const now = new Date(nowMs).toISOString().replace(/\.000Z$/, "Z");
    last = reconcile({
      workflow,
      pods: [...pods.values()].map((p) => p.pod),
      taskResults: [...taskResults.values()],
      workflowTemplates: input.workflowTemplates ?? [],
      clusterWorkflowTemplates: input.clusterWorkflowTemplates ?? [],
      configMaps: input.configMaps ?? [],
      config: input.config ?? DEFAULT_CONFIG,
      now,
    });
    workflow = {
      ...workflow,
      metadata: {
        ...workflow.metadata,
        labels: { ...(workflow.metadata.labels ?? {}), ...(last.labels ?? {}) },
      },
      status: last.status,
    };
    let moved = false;
    for (const action of last.actions) {
      if (action.type !== "createPod") continue;
      const name = action.pod.metadata?.name ?? "";
      if (pods.has(name)) continue;
      const annotations = action.pod.metadata?.annotations ?? {};
      const id = annotations[ANNOTATION_NODE_ID] ?? "";
      const node = last.status.nodes?.[id];
      const pod: V1Pod = structuredClone(action.pod);
      pod.status = { phase: "Pending" };
      pods.set(name, {
        pod,
        script: pickScript(input.script ?? {}, annotations[ANNOTATION_NODE_NAME], node),
        nodeId: id,
      });
      podsCreated.push(name);
      moved = true;
    }
    if (isWorkflowCompleted(last.status.phase)) break;
    for (const sim of pods.values()) {
      if (advance(sim, workflow.metadata.name ?? "", taskResults)) moved = true;
    }
    if (!moved) {
      if (last.requeueAfterSeconds === undefined) break;
      nowMs += last.requeueAfterSeconds * 1000;
      continue;
    }
    nowMs += 1000;
  }
  return { workflow, podsCreated, rounds: rounds + 1, last: last! };
}

function pickScript(
  script: Record<string, PodScript>,
  nodeName: string | undefined,
  node: NodeStatus | undefined,
): PodScript {
  for (
    const key of [nodeName, node?.displayName, node?.templateName, node?.templateRef?.template]
  ) {
    if (key !== undefined && script[key]) return script[key];
  }
  return {};
}

/** Moves one pod a phase forward; returns whether anything changed. */
function advance(
  sim: SimPod,
  workflowName: string,
  taskResults: Map<string, WorkflowTaskResult>,
): boolean {
  const phase = sim.pod.status?.phase;
  if (phase === "Pending" && sim.script.stay !== "Pending") {
    sim.pod = { ...sim.pod, status: { phase: "Running" } };
    return true;
  }
  if (phase === "Running" && sim.script.stay !== "Running") {
    const exitCode = sim.script.exitCode ?? 0;
    sim.pod = {
      ...sim.pod,
      status: {
        phase: exitCode === 0 ? "Succeeded" : "Failed",
        containerStatuses: [{
          name: "main",
          image: "",
          imageID: "",
          ready: false,
          restartCount: 0,
          state: {
            terminated: {
              exitCode,
              reason: exitCode === 0 ? "Completed" : "Error",
            },
          },
        }],
      },
    };
    const parameters: Parameter[] = Object.entries(sim.script.parameters ?? {}).map((
      [name, value],
    ) => ({ name, value }));
    taskResults.set(sim.nodeId, {
      apiVersion: "argoproj.io/v1alpha1",
      kind: "WorkflowTaskResult",
      metadata: {
        name: sim.nodeId,
        labels: { [LABEL_WORKFLOW]: workflowName, [LABEL_REPORT_OUTPUTS_COMPLETED]: "true" },
      },
      outputs: {
        ...(parameters.length > 0 ? { parameters } : {}),
        ...(sim.script.result !== undefined ? { result: sim.script.result } : {}),
        exitCode: String(exitCode),
      },
    });
    return true;
  }
  return false;
}
