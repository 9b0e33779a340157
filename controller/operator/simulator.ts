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
import type { Action, ReconcileResult } from "./types.ts";

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
  /** Main container's termination reason (default `Completed`/`Error`), e.g. `OOMKilled`. */
  exitReason?: string;
  /** The pod fails with this `status.reason`/`status.message` (e.g. Evicted). */
  podReason?: string;
  podMessage?: string;
  /** The wait container's exit code (default 0); non-zero fails the pod, no task result. */
  waitExitCode?: number;
  /** The executor never reports outputs (no WorkflowTaskResult). */
  noTaskResult?: boolean;
  /** The pod disappears once it reached this phase (deleted by someone else). */
  vanishAfter?: "Running" | "Succeeded";
  /** The pod's IP once Running. */
  ip?: string;
  /** The node the pod is scheduled on (`spec.nodeName`). */
  host?: string;
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
  /**
   * The lock table, as the shell keeps it: `acquireLock` adds the holder while the lock has
   * room, `releaseLock` removes it. Other holders can be listed up front.
   */
  locks?: Record<string, string[]>;
  /** Start time (default 2026-01-01T00:00:00Z). */
  start?: string;
  maxRounds?: number;
}

export interface SimulationResult {
  workflow: Workflow;
  /** Pod names in creation order. */
  podsCreated: string[];
  /** The pods created, as the engine built them, in creation order. */
  createdPods: V1Pod[];
  /** Pods the engine deleted (deletePod actions), in order. */
  podsDeleted: string[];
  /** Every other action but createPod/deletePod/emitEvent (upsertConfigMap, deleteWorkflow). */
  otherActions: Action[];
  /** The lock table at the end. */
  locks: Record<string, string[]>;
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
  const createdPods: V1Pod[] = [];
  const podsDeleted: string[] = [];
  const otherActions: Action[] = [];
  const locks: Record<string, string[]> = structuredClone(input.locks ?? {});
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
      locks: { holders: structuredClone(locks) },
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
      if (action.type === "acquireLock") {
        const holders = locks[action.lock] ??= [];
        if (!holders.includes(action.holder) && holders.length < action.limit) {
          holders.push(action.holder);
          moved = true;
        }
      } else if (action.type === "releaseLock") {
        const holders = locks[action.lock] ?? [];
        if (holders.includes(action.holder)) {
          locks[action.lock] = holders.filter((h) => h !== action.holder);
          moved = true;
        }
      }
      if (
        action.type !== "createPod" && action.type !== "deletePod" && action.type !== "emitEvent"
      ) {
        otherActions.push(action);
        continue;
      }
      if (action.type === "deletePod") {
        podsDeleted.push(action.name);
        if (pods.delete(action.name)) moved = true;
        continue;
      }
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
      createdPods.push(action.pod);
      moved = true;
    }
    if (isWorkflowCompleted(last.status.phase)) break;
    for (const [name, sim] of pods) {
      const vanish = sim.script.vanishAfter;
      if (vanish !== undefined && sim.pod.status?.phase === vanish) {
        pods.delete(name);
        moved = true;
        continue;
      }
      if (advance(sim, workflow.metadata.name ?? "", taskResults)) moved = true;
    }
    if (!moved) {
      if (last.requeueAfterSeconds === undefined) break;
      nowMs += last.requeueAfterSeconds * 1000;
      continue;
    }
    nowMs += 1000;
  }
  return {
    workflow,
    podsCreated,
    createdPods,
    podsDeleted,
    otherActions,
    locks,
    rounds: rounds + 1,
    last: last!,
  };
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
  const script = sim.script;
  if (phase === "Pending" && script.stay !== "Pending") {
    sim.pod = {
      ...sim.pod,
      ...(script.host ? { spec: { ...sim.pod.spec!, nodeName: script.host } } : {}),
      status: { phase: "Running", ...(script.ip ? { podIP: script.ip } : {}) },
    };
    return true;
  }
  if (phase === "Running" && script.stay !== "Running") {
    const exitCode = script.exitCode ?? 0;
    const waitExitCode = script.waitExitCode ?? 0;
    const failed = exitCode !== 0 || waitExitCode !== 0 || script.podMessage !== undefined ||
      script.podReason !== undefined;
    const terminated = (name: string, code: number, reason?: string) => ({
      name,
      image: "",
      imageID: "",
      ready: false,
      restartCount: 0,
      state: {
        terminated: { exitCode: code, reason: reason ?? (code === 0 ? "Completed" : "Error") },
      },
    });
    sim.pod = {
      ...sim.pod,
      status: {
        phase: failed ? "Failed" : "Succeeded",
        ...(script.podReason ? { reason: script.podReason } : {}),
        ...(script.podMessage ? { message: script.podMessage } : {}),
        containerStatuses: [
          terminated("main", exitCode, script.exitReason),
          ...(waitExitCode !== 0 ? [terminated("wait", waitExitCode)] : []),
        ],
      },
    };
    if (waitExitCode !== 0 || script.noTaskResult) return true;
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
