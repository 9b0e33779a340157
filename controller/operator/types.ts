/**
 * The engine's input and output: plain data, so a reconcile can be written down as YAML,
 * replayed, diffed and benchmarked without a cluster.
 *
 * @module
 */
import type { V1ConfigMap, V1Pod } from "@kubernetes/client-node";
import type {
  ClusterWorkflowTemplate,
  Workflow,
  WorkflowStatus,
  WorkflowTemplate,
} from "../../api/types.gen.ts";
import type { WorkflowTaskResult } from "../../api/task_result.ts";
import type { ControllerConfig } from "./config.ts";

/**
 * Everything one reconcile may look at. The shell gathers it from its informers; the engine
 * reads nothing else (no clock, no environment, no API calls).
 */
export interface Snapshot {
  /** The Workflow as stored: spec, metadata and the current status. */
  workflow: Workflow;
  /** Pods observed for it (labelled `workflows.argoproj.io/workflow=<name>`). */
  pods: V1Pod[];
  /** WorkflowTaskResults observed for it (same label), each named after a node ID. */
  taskResults: WorkflowTaskResult[];
  /** WorkflowTemplates of the workflow's namespace, for `templateRef` and `workflowTemplateRef`. */
  workflowTemplates: WorkflowTemplate[];
  clusterWorkflowTemplates: ClusterWorkflowTemplate[];
  /** ConfigMaps of the workflow's namespace, for `valueFrom.configMapKeyRef`. */
  configMaps: V1ConfigMap[];
  config: ControllerConfig;
  /** The current time, RFC 3339: the only clock the engine knows. */
  now: string;
  /**
   * The shell's lock table for synchronization: lock key -> holder keys now holding it.
   * Lock keys: `<ns>/Mutex/<name>`, `<ns>/ConfigMap/<configMap>/<key>` (semaphores). Holder
   * keys: `<ns>/<workflow>` (workflow level), `<ns>/<workflow>/<nodeID>` (template level).
   */
  locks?: { holders: Record<string, string[]> };
}

/**
 * Something the shell must do for the engine. Actions are idempotent: every created object has
 * a deterministic name, so the shell treats AlreadyExists as success, and applies them in list
 * order.
 */
export type Action =
  | { type: "createPod"; pod: V1Pod }
  | {
    type: "deletePod";
    namespace: string;
    name: string;
    /** Wait this long before deleting (pod GC's `deleteDelayDuration`); NotFound is success. */
    afterSeconds?: number;
  }
  | {
    /** `ttlStrategy`: delete the Workflow itself after `afterSeconds`. */
    type: "deleteWorkflow";
    namespace: string;
    name: string;
    afterSeconds: number;
  }
  | {
    type: "emitEvent";
    reason: string;
    message: string;
    eventType: "Normal" | "Warning";
    /** The node the event is about (its ID), when not the workflow itself. */
    involvedNode?: string;
  }
  | {
    /**
     * Create the ConfigMap, or merge `data` into it (other keys are kept) and set `labels`.
     * Memoization saves its cache entries this way.
     */
    type: "upsertConfigMap";
    namespace: string;
    name: string;
    labels: Record<string, string>;
    data: Record<string, string>;
  }
  | {
    /**
     * Add `holder` to `lock` if it has fewer than `limit` holders (atomically), else leave it
     * waiting; then reconcile the workflow again. Repeated while the holder waits.
     */
    type: "acquireLock";
    lock: string;
    holder: string;
    limit: number;
  }
  | {
    /** Remove `holder` from `lock` (absent: nothing to do); waiting workflows may retry. */
    type: "releaseLock";
    lock: string;
    holder: string;
  }
  | { type: "createResource"; manifest: Record<string, unknown> }
  | {
    type: "patchResource";
    apiVersion: string;
    kind: string;
    namespace?: string;
    name: string;
    patch: Record<string, unknown>;
  };

/** What a reconcile decided. */
export interface ReconcileResult {
  /** The workflow's next status (the whole object, replacing the old one). */
  status: WorkflowStatus;
  /** What the shell must do, in order. */
  actions: Action[];
  /** Reconcile again after this many seconds even if nothing changes (e.g. a suspend duration). */
  requeueAfterSeconds?: number;
  /** Workflow labels to set: `workflows.argoproj.io/phase` and `workflows.argoproj.io/completed`. */
  labels?: Record<string, string>;
}
