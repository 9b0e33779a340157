/**
 * Cleanup decisions: pod GC (`spec.podGC`) and the workflow's TTL (`spec.ttlStrategy`), as
 * actions with a delay the shell waits out before it deletes.
 *
 * @module
 */
import type { V1Pod } from "@kubernetes/client-node";
import type { LabelSelector, WorkflowSpec } from "../../api/types.gen.ts";
import type { ControllerConfig } from "./config.ts";
import type { Action } from "./types.ts";

/** Argo's pod GC strategies. */
export type PodGCStrategy =
  | "OnPodCompletion"
  | "OnPodSuccess"
  | "OnWorkflowCompletion"
  | "OnWorkflowSuccess";

const STRATEGIES = new Set<string>([
  "OnPodCompletion",
  "OnPodSuccess",
  "OnWorkflowCompletion",
  "OnWorkflowSuccess",
]);

/** The workflow's pod GC settings, checked; undefined when pods are kept. */
export interface PodGCPlan {
  strategy: PodGCStrategy;
  delaySeconds: number;
  selector?: LabelSelector;
}

/**
 * `spec.podGC` (strategy, `deleteDelayDuration` falling back to the controller's
 * `podGCDeleteDelayDuration`, `labelSelector`); a message when it is invalid.
 */
export function podGCPlan(
  spec: WorkflowSpec,
  config: ControllerConfig,
  parseDuration: (text: string) => number | undefined,
): PodGCPlan | string | undefined {
  const gc = spec.podGC;
  if (!gc?.strategy) return undefined;
  if (!STRATEGIES.has(gc.strategy)) {
    return `invalid podGC.strategy '${gc.strategy}': must be OnPodCompletion, OnPodSuccess, ` +
      `OnWorkflowCompletion or OnWorkflowSuccess`;
  }
  const delayText = gc.deleteDelayDuration ?? config.podGCDeleteDelayDuration;
  let delaySeconds = 0;
  if (delayText !== undefined && delayText !== "") {
    const parsed = parseDuration(String(delayText));
    if (parsed === undefined) {
      return `invalid podGC.deleteDelayDuration '${delayText}': not a duration`;
    }
    delaySeconds = parsed;
  }
  return {
    strategy: gc.strategy as PodGCStrategy,
    delaySeconds,
    ...(gc.labelSelector ? { selector: gc.labelSelector } : {}),
  };
}

/** Whether a label selector (matchLabels and matchExpressions) selects these labels. */
export function selects(selector: LabelSelector | undefined, labels: Record<string, string>) {
  if (!selector) return true;
  for (const [key, value] of Object.entries(selector.matchLabels ?? {})) {
    if (labels[key] !== value) return false;
  }
  for (const requirement of selector.matchExpressions ?? []) {
    const has = Object.hasOwn(labels, requirement.key);
    const values = requirement.values ?? [];
    switch (requirement.operator) {
      case "In":
        if (!has || !values.includes(labels[requirement.key])) return false;
        break;
      case "NotIn":
        if (has && values.includes(labels[requirement.key])) return false;
        break;
      case "Exists":
        if (!has) return false;
        break;
      case "DoesNotExist":
        if (has) return false;
        break;
      default:
        return false;
    }
  }
  return true;
}

/** A deletePod for `pod` if the plan selects it. */
export function gcPod(plan: PodGCPlan, pod: V1Pod, fallbackNamespace: string): Action[] {
  if (!selects(plan.selector, pod.metadata?.labels ?? {})) return [];
  const action: Action = {
    type: "deletePod",
    namespace: pod.metadata?.namespace ?? fallbackNamespace,
    name: pod.metadata?.name ?? "",
  };
  if (plan.delaySeconds > 0) action.afterSeconds = plan.delaySeconds;
  return [action];
}

/** `spec.ttlStrategy`: when to delete the workflow that just ended in `phase`. */
export function ttlAction(
  spec: WorkflowSpec,
  phase: string,
  namespace: string,
  name: string,
): Action[] {
  const ttl = spec.ttlStrategy;
  if (!ttl) return [];
  const seconds = phase === "Succeeded"
    ? ttl.secondsAfterSuccess ?? ttl.secondsAfterCompletion
    : ttl.secondsAfterFailure ?? ttl.secondsAfterCompletion;
  if (seconds === undefined || seconds === null) return [];
  return [{ type: "deleteWorkflow", namespace, name, afterSeconds: Math.max(0, seconds) }];
}
