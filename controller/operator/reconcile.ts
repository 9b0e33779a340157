/**
 * One reconcile of one workflow: set-up, then a walk of the template tree from the root node,
 * as Argo's operator does on every pass. Nodes already fulfilled are returned as they are, so
 * a pass costs work proportional to the running part of the workflow plus one cheap look at
 * each node; nothing here is quadratic in the number of nodes.
 *
 * Node objects of the input are never modified: a node changed in this pass is copied once
 * (see {@link Operation.mutable}) and then edited in place.
 *
 * @module
 */
import type { V1ConfigMap, V1Pod } from "@kubernetes/client-node";
import type {
  Arguments,
  Artifact,
  DAGTask,
  Inputs,
  JsonValue,
  LifecycleHook,
  NodeStatus,
  Outputs,
  Parameter,
  Template,
  TemplateRef,
  Workflow,
  WorkflowSpec,
  WorkflowStatus,
  WorkflowStep,
} from "../../api/types.gen.ts";
import type { WorkflowTaskResult } from "../../api/task_result.ts";
import {
  isWorkflowCompleted,
  LABEL_COMPLETED,
  LABEL_PHASE,
  LABEL_REPORT_OUTPUTS_COMPLETED,
  MAIN_CONTAINER_NAME,
  WAIT_CONTAINER_NAME,
} from "../../api/meta.ts";
import {
  strategicMerge,
  TEMPLATE_PATCH_SCHEMA,
  WORKFLOW_SPEC_PATCH_SCHEMA,
} from "../../api/strategic_merge.ts";
import {
  dependenciesToDepends,
  dependsTaskNames,
  evaluateDepends,
  evaluateExpression,
  evaluateWhen,
  expandVars,
  parseDepends,
  substitute,
  substituteString,
  type TaskResultView,
} from "../../templating/mod.ts";
import { IssueList, validateArgoObject } from "../../validate/mod.ts";
import { buildPod } from "./pod_spec.ts";
import { gcPod, type PodGCPlan, podGCPlan, ttlAction } from "./cleanup.ts";
import { type LockNeed, lockNeeds, waitingMessage } from "./sync.ts";
import { expandLoop, isLooped, type LoopItem } from "./loops.ts";
import { childName, loopChildName, nodeId, podName, stepGroupName } from "./names.ts";
import { addAggregateToScope, addNodeToScope, newScope, type Scope } from "./scope.ts";
import type { Action, ReconcileResult, Snapshot } from "./types.ts";

/** Template types argo-ts cannot run yet: their nodes end in Error rather than run wrongly. */
const UNSUPPORTED_TYPES = ["resource", "data", "http", "plugin", "containerSet"] as const;

const COMPLETED_NODE_PHASES = new Set(["Succeeded", "Failed", "Error", "Skipped", "Omitted"]);

const NODE_EVENT_PHASES = new Set(["Running", "Succeeded", "Failed", "Error"]);

/** Node types a template's `parallelism` counts while they run (Argo's countActiveChildren). */
const ACTIVE_TYPES = new Set(["Pod", "Steps", "DAG"]);

/** Attempts one reconcile may start for one Retry node (attempts that fail at once). */
const MAX_RETRY_ROUNDS = 10;

/** Nested templates deeper than this end in Error (recursive templates must terminate). */
const MAX_DEPTH = 100;
/** Argo's ErrMaxDepthExceeded. */
const MAX_DEPTH_MESSAGE = "Maximum recursion depth exceeded. See " +
  "https://argo-workflows.readthedocs.io/en/latest/scaling/#maximum-recursion-depth";

/** Argo's message for nodes failed by a workflow deadline or a template `timeout`. */
export const DEADLINE_MESSAGE = "Step exceeded its deadline";

/** Argo's defaults: `TASK_RESULT_TIMEOUT_DURATION` and `RECENTLY_DELETED_POD_DURATION`. */
const TASK_RESULT_TIMEOUT_SECONDS = 600;
const RECENTLY_DELETED_POD_SECONDS = 120;

/** Go's time.Duration maximum, in seconds: a longer backoff delay overflows in Argo. */
const MAX_DURATION_SECONDS = 9_223_372_036;

/** Messages Argo's IsTransientErr treats as transient (for `retryPolicy: OnTransientError`). */
const TRANSIENT_PATTERNS = [
  /exceeded quota/i,
  /connection refused/i,
  /connection reset by peer/i,
  /i\/o timeout/i,
  /etcdserver: leader changed/i,
  /etcdserver: request timed out/i,
  /TLS handshake timeout/i,
  /the object has been modified; please apply your changes/i,
  /is being deleted/i,
  /too many requests/i,
  /net\/http: request canceled/i,
  /unexpected EOF/i,
];

/** Reconciles one workflow. Pure; never throws (an internal failure ends the workflow in Error). */
export function reconcile(snapshot: Snapshot): ReconcileResult {
  const current = snapshot.workflow.status ?? {};
  if (isWorkflowCompleted(current.phase)) {
    // Completed workflows never change again.
    return { status: current, actions: [], labels: workflowLabels(current.phase!) };
  }
  try {
    return new Operation(snapshot).run();
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const status: WorkflowStatus = {
      ...current,
      phase: "Error",
      startedAt: current.startedAt ?? snapshot.now,
      finishedAt: snapshot.now,
      message: `internal error: ${message}`,
    };
    return {
      status,
      actions: lockReleases(snapshot, () => true, true),
      labels: workflowLabels("Error"),
    };
  }
}

function workflowLabels(phase: string): Record<string, string> {
  return { [LABEL_PHASE]: phase, [LABEL_COMPLETED]: String(isWorkflowCompleted(phase)) };
}

/** Completed, or a daemon whose pod runs (it counts as done until its boundary ends). */
export function isFulfilled(node: NodeStatus | undefined): boolean {
  return node !== undefined &&
    (COMPLETED_NODE_PHASES.has(node.phase ?? "") || isDaemoned(node));
}

function isDaemoned(node: NodeStatus): boolean {
  return node.daemoned === true && node.phase === "Running";
}

/** Argo's Successful(): Succeeded or Skipped (an Omitted node is neither), or a running daemon. */
function isSuccessful(node: NodeStatus): boolean {
  return node.phase === "Succeeded" || node.phase === "Skipped" || isDaemoned(node);
}

function failedOrError(node: NodeStatus): boolean {
  return node.phase === "Failed" || node.phase === "Error";
}

function continuesOn(
  continueOn: { failed?: boolean; error?: boolean } | undefined,
  phase: string | undefined,
): boolean {
  return (phase === "Failed" && continueOn?.failed === true) ||
    (phase === "Error" && continueOn?.error === true);
}

/** What a step or task refers to: a template by name, a templateRef, or an inline template. */
interface TemplateHolder {
  template?: string;
  templateRef?: TemplateRef;
  inline?: Template;
}

interface Resolved {
  template: Template;
  templateName?: string;
  templateRef?: TemplateRef;
  templateScope: string;
}

/** The result of expanding one step or task into the nodes it makes. */
interface Expansion {
  /** A step/task with a loop; its iterations, when expansion succeeded. */
  looped: boolean;
  children: { name: string; displayName: string; item: WorkflowStep | DAGTask }[];
  /** Expansion failed (substitution, a bad withParam): the step's node ends in Error. */
  error?: string;
}

/** How often a holder waiting for a lock asks again, should the shell not requeue it. */
const LOCK_POLL_SECONDS = 10;

/**
 * `releaseLock` for the locks the workflow holds in the snapshot's lock table: a node's when
 * `releaseNode(nodeID)` says so, the workflow-level holder's when `releaseWorkflow`.
 */
function lockReleases(
  snapshot: Snapshot,
  releaseNode: (nodeId: string) => boolean,
  releaseWorkflow: boolean,
): Action[] {
  const prefix = `${snapshot.workflow.metadata.namespace ?? ""}/${snapshot.workflow.metadata.name}`;
  const actions: Action[] = [];
  for (const [lock, holders] of Object.entries(snapshot.locks?.holders ?? {})) {
    for (const holder of holders) {
      const release = holder === prefix
        ? releaseWorkflow
        : holder.startsWith(`${prefix}/`) && releaseNode(holder.slice(prefix.length + 1));
      if (release) actions.push({ type: "releaseLock", lock, holder });
    }
  }
  return actions;
}

/** A memoized template's cache key, checked. */
interface Memo {
  key: string;
  cacheName: string;
  maxAgeSeconds?: number;
}

function memoStatus(memo: Memo): { hit: boolean; key: string; cacheName: string } {
  return { hit: false, key: memo.key, cacheName: memo.cacheName };
}

const LABEL_CONFIGMAP_TYPE = "workflows.argoproj.io/configmap-type";

/** A retryStrategy with its fields checked and durations in seconds. */
interface CheckedRetry {
  limit: number;
  policy: string;
  expression?: string;
  duration?: number;
  cap?: number;
  maxDuration?: number;
  factor: number;
}

class Operation {
  readonly wf: Workflow;
  readonly wfName: string;
  readonly now: string;
  readonly nowMs: number;
  spec: WorkflowSpec = { templates: [] } as unknown as WorkflowSpec;
  readonly nodes: Record<string, NodeStatus>;
  /** IDs of nodes created or copied in this pass: safe to edit in place. */
  readonly owned = new Set<string>();
  readonly pods = new Map<string, V1Pod>();
  readonly taskResults = new Map<string, WorkflowTaskResult>();
  readonly configMaps = new Map<string, V1ConfigMap>();
  readonly templates = new Map<string, Template>();
  readonly mergedTemplates = new Map<string, Template>();
  readonly actions: Action[] = [];
  globals: Record<string, string> = {};
  requeueAfter: number | undefined;
  readonly liveScopes: Scope[] = [];
  /** Some Pod node is Running (set by updateProgress), for the PodRunning condition. */
  podRunning = false;
  /** Walking the exit handler: its pods are labelled, and Stop still runs it. */
  inExitHandler = false;
  /** `spec.shutdown` (Stop or Terminate): nothing new starts, running nodes fail. */
  shutdown: string | undefined;
  /** `spec.activeDeadlineSeconds` has passed: like Stop, with Argo's deadline message. */
  timedOut = false;
  /** Nodes failed by the workflow deadline in this pass (for the `WorkflowTimedOut` event). */
  deadlineHits = 0;
  /** `spec.suspend`: running nodes are followed, nothing new starts. */
  suspended = false;
  /** Some node is a running daemon: Steps/DAG nodes that end must kill it. */
  hasDaemons = false;
  /** `spec.podGC`, checked. */
  gc: PodGCPlan | undefined;
  /** Hosts the pod being built must avoid (retry `affinity.nodeAntiAffinity`). */
  avoidHosts: string[] | undefined;
  /** Locks this pass waits for: the lock, and who waits (workflow name or node ID). */
  readonly waiting: { need: LockNeed; who: string }[] = [];
  /** Pods not yet fulfilled, for `spec.parallelism`. */
  activePods = 0;
  /** Not yet fulfilled Pod/Steps/DAG nodes per boundary, for template `parallelism`. */
  readonly activeInBoundary = new Map<string, number>();
  /** `parallelism` of the Steps/DAG templates being walked, by node ID. */
  readonly boundaryLimit = new Map<string, number>();
  status: WorkflowStatus;
  effectiveWorkflow!: Workflow;

  constructor(readonly snapshot: Snapshot) {
    this.wf = snapshot.workflow;
    this.wfName = this.wf.metadata.name ?? "";
    this.now = snapshot.now;
    this.nowMs = Date.parse(snapshot.now);
    this.status = { ...(this.wf.status ?? {}) };
    this.nodes = { ...(this.status.nodes ?? {}) };
    for (const pod of snapshot.pods) {
      if (pod.metadata?.name) this.pods.set(pod.metadata.name, pod);
    }
    for (const result of snapshot.taskResults) {
      if (result.metadata.name) this.taskResults.set(result.metadata.name, result);
    }
    for (const configMap of snapshot.configMaps) {
      if (configMap.metadata?.name) this.configMaps.set(configMap.metadata.name, configMap);
    }
  }

  run(): ReconcileResult {
    const setUp = this.setUp();
    if (setUp !== undefined) return this.failWorkflow("Failed", setUp);
    const status = this.status;
    if (!status.phase || status.phase === "Pending") {
      status.phase = "Running";
      status.startedAt = status.startedAt ?? this.now;
      if (status.message?.startsWith("Waiting for ")) delete status.message;
    }
    const gc = podGCPlan(this.spec, this.snapshot.config, parseDuration);
    if (typeof gc === "string") {
      if (!this.wf.status?.phase || this.wf.status.phase === "Pending") {
        return this.failWorkflow("Failed", `invalid spec: ${gc}`);
      }
    } else {
      this.gc = gc;
    }
    const gate = this.workflowLocks();
    if (gate) return gate;
    this.shutdown = this.spec.shutdown || undefined;
    this.suspended = this.spec.suspend === true;
    const deadlineMs = this.workflowDeadlineMs();
    if (deadlineMs !== undefined) {
      if (this.nowMs >= deadlineMs) this.timedOut = true;
      else this.wake((deadlineMs - this.nowMs) / 1000);
    }
    this.countActive();
    const root = this.executeTemplate(
      this.wfName,
      { template: this.spec.entrypoint },
      this.spec.arguments,
      "",
      this.wfName,
      0,
    );
    const hooksRunning = this.runWorkflowHooks(root);
    const done = isFulfilled(root) && !hooksRunning ? this.runExitHandler(root) : undefined;
    this.updateProgress();
    status.nodes = this.nodes;
    if (done) {
      status.phase = done.phase;
      status.finishedAt = this.now;
      if (done.message) status.message = done.message;
      this.cleanUp(done.phase);
    }
    status.conditions = this.conditions(status);
    this.emitEvents(status);
    const completed = isWorkflowCompleted(status.phase);
    this.actions.push(
      ...lockReleases(this.snapshot, (id) => completed || this.releasable(id), completed),
    );
    this.syncStatus(completed);
    const result: ReconcileResult = {
      status,
      actions: this.actions,
      labels: workflowLabels(status.phase!),
    };
    if (this.requeueAfter !== undefined && !isWorkflowCompleted(status.phase)) {
      result.requeueAfterSeconds = this.requeueAfter;
    }
    return result;
  }

  /**
   * Workflow-level lifecycle hooks (`spec.hooks.<name>` with an `expression`, not `exit`): a
   * hook starts (node `<wf>.hooks.<name>`) the first time its expression is true, with
   * `workflow.status` the workflow's phase so far; the workflow ends only after the hooks that
   * started. Returns whether one is still running.
   */
  runWorkflowHooks(root: NodeStatus): boolean {
    const hooks = this.spec.hooks;
    if (!hooks) return false;
    let running = false;
    const status = !isFulfilled(root)
      ? "Running"
      : root.phase === "Failed" || root.phase === "Error"
      ? root.phase
      : "Succeeded";
    for (const [hookName, hook] of Object.entries(hooks)) {
      if (hookName === "exit" || !hook.expression) continue;
      const name = `${this.wfName}.hooks.${hookName}`;
      const id = this.id(name);
      if (!this.nodes[id]) {
        const env = expandVars({ ...this.globals, "workflow.status": status });
        const evaluated = evaluateExpression(hook.expression, env);
        if (!evaluated.ok || evaluated.value !== true) continue;
      }
      const existing = this.nodes[id];
      if (isFulfilled(existing)) continue;
      let args = hook.arguments;
      if (!existing && args) {
        const substituted = substitute(args as unknown as JsonValue, this.globals);
        if (substituted.ok) args = substituted.value as Arguments;
      }
      const node = this.executeTemplate(
        name,
        { template: hook.template, templateRef: hook.templateRef },
        args,
        "",
        name,
        0,
      );
      if (!existing && this.nodes[id]) this.mutable(id).nodeFlag = { hooked: true };
      if (!isFulfilled(node)) running = true;
    }
    return running;
  }

  // ---------------------------------------------------------------- synchronization

  get holderPrefix(): string {
    return `${this.wf.metadata.namespace ?? ""}/${this.wfName}`;
  }

  holders(lock: string): string[] {
    return this.snapshot.locks?.holders[lock] ?? [];
  }

  /**
   * Workflow-level `synchronization`: before the workflow starts it must hold every lock; until
   * then it stays Pending with Argo's waiting message and asks again (`acquireLock`).
   */
  workflowLocks(): ReconcileResult | undefined {
    const sync = this.spec.synchronization;
    const phase = this.wf.status?.phase;
    if (!sync || (phase && phase !== "Pending")) return undefined;
    const needs = lockNeeds(sync, this.wf.metadata.namespace ?? "", this.configMaps);
    if (typeof needs === "string") return this.failWorkflow("Failed", needs);
    const missing = needs.filter((n) => !this.holders(n.key).includes(this.holderPrefix));
    if (missing.length === 0) return undefined;
    for (const need of missing) {
      this.actions.push({
        type: "acquireLock",
        lock: need.key,
        holder: this.holderPrefix,
        limit: need.limit,
      });
      this.waiting.push({ need, who: this.wfName });
    }
    const status = this.status;
    status.phase = "Pending";
    // The workflow has not started: its deadline does not run while it waits.
    if (!this.wf.status?.startedAt) delete status.startedAt;
    status.message = waitingMessage(missing[0], this.holders(missing[0].key));
    this.syncStatus(false);
    return {
      status,
      actions: this.actions,
      labels: workflowLabels("Pending"),
      requeueAfterSeconds: LOCK_POLL_SECONDS,
    };
  }

  /**
   * Template-level `synchronization` for node `fields.id`: undefined when it holds every lock
   * (a node that waited is let go), else the node, Pending with the waiting message.
   */
  templateLocks(
    template: Template,
    existing: NodeStatus | undefined,
    fields: NodeStatus,
  ): NodeStatus | undefined {
    const needs = lockNeeds(
      template.synchronization!,
      this.wf.metadata.namespace ?? "",
      this.configMaps,
    );
    if (typeof needs === "string") return this.errorNode(existing, fields, needs);
    const holder = `${this.holderPrefix}/${fields.id}`;
    const missing = needs.filter((n) => !this.holders(n.key).includes(holder));
    if (missing.length === 0) {
      if (existing?.synchronizationStatus?.waiting !== undefined) {
        const m = this.mutable(existing.id);
        delete m.synchronizationStatus;
        delete m.message;
        if (m.type !== "Pod") m.phase = "Running";
      }
      return undefined;
    }
    for (const need of missing) {
      this.actions.push({ type: "acquireLock", lock: need.key, holder, limit: need.limit });
      this.waiting.push({ need, who: fields.id });
    }
    this.wake(LOCK_POLL_SECONDS);
    const message = waitingMessage(missing[0], this.holders(missing[0].key));
    const synchronizationStatus = { waiting: missing[0].key };
    if (!existing) {
      return this.createNode({ ...fields, phase: "Pending", message, synchronizationStatus });
    }
    if (existing.message === message) return existing;
    const m = this.mutable(existing.id);
    m.message = message;
    m.synchronizationStatus = synchronizationStatus;
    return m;
  }

  /** A node's lock may go: the node is gone or completed. */
  releasable(id: string): boolean {
    const node = this.nodes[id];
    return !node || COMPLETED_NODE_PHASES.has(node.phase ?? "");
  }

  /** `status.synchronization`: the locks held (from the lock table) and waited for. */
  syncStatus(completed: boolean): void {
    const mutexHolding: { mutex: string; holder: string }[] = [];
    const semaphoreHolding: { semaphore: string; holders: string[] }[] = [];
    const prefix = this.holderPrefix;
    if (!completed) {
      for (const [lock, holders] of Object.entries(this.snapshot.locks?.holders ?? {})) {
        const ours: string[] = [];
        for (const h of holders) {
          if (h === prefix) ours.push(this.wfName);
          else if (h.startsWith(`${prefix}/`) && !this.releasable(h.slice(prefix.length + 1))) {
            ours.push(h.slice(prefix.length + 1));
          }
        }
        if (ours.length === 0) continue;
        if (lock.includes("/Mutex/")) mutexHolding.push({ mutex: lock, holder: ours[0] });
        else semaphoreHolding.push({ semaphore: lock, holders: ours });
      }
    }
    const mutexWaiting: { mutex: string; holder: string }[] = [];
    const semaphoreWaiting: { semaphore: string; holders: string[] }[] = [];
    for (const { need } of this.waiting) {
      const current = this.holders(need.key);
      if (need.kind === "mutex") mutexWaiting.push({ mutex: need.key, holder: current[0] ?? "" });
      else semaphoreWaiting.push({ semaphore: need.key, holders: current });
    }
    const sync: NonNullable<WorkflowStatus["synchronization"]> = {};
    if (mutexHolding.length > 0 || mutexWaiting.length > 0) {
      sync.mutex = {
        ...(mutexHolding.length > 0 ? { holding: mutexHolding } : {}),
        ...(mutexWaiting.length > 0 ? { waiting: mutexWaiting } : {}),
      };
    }
    if (semaphoreHolding.length > 0 || semaphoreWaiting.length > 0) {
      sync.semaphore = {
        ...(semaphoreHolding.length > 0 ? { holding: semaphoreHolding } : {}),
        ...(semaphoreWaiting.length > 0 ? { waiting: semaphoreWaiting } : {}),
      };
    }
    if (sync.mutex || sync.semaphore) this.status.synchronization = sync;
    else if (this.status.synchronization) delete this.status.synchronization;
  }

  /** Asks the shell to reconcile again after `seconds` (the earliest request wins). */
  wake(seconds: number): void {
    const rounded = Math.max(1, Math.ceil(seconds));
    this.requeueAfter = this.requeueAfter === undefined
      ? rounded
      : Math.min(this.requeueAfter, rounded);
  }

  /** When `spec.activeDeadlineSeconds` runs out (re-read every pass, so changes apply). */
  workflowDeadlineMs(): number | undefined {
    const seconds = this.spec.activeDeadlineSeconds;
    if (seconds === undefined || seconds === null || !this.status.startedAt) return undefined;
    const value = Number(seconds);
    if (!Number.isFinite(value)) return undefined;
    return Date.parse(this.status.startedAt) + Math.max(0, value) * 1000;
  }

  /**
   * Why nothing may start or keep running now: Stop/Terminate or the workflow deadline.
   * Exit handlers still run after Stop and after the deadline, never after Terminate.
   */
  haltMessage(): string | undefined {
    if (this.shutdown === "Terminate") return `workflow shutdown with strategy: Terminate`;
    if (this.inExitHandler) return undefined;
    if (this.shutdown) return `workflow shutdown with strategy: ${this.shutdown}`;
    if (this.timedOut) return DEADLINE_MESSAGE;
    return undefined;
  }

  /**
   * Once the main tree is done: runs `spec.onExit` (node `<wf>.onExit`) with `workflow.status`
   * and `workflow.failures`, and returns the workflow's final phase and message, or undefined
   * while the handler runs.
   */
  runExitHandler(root: NodeStatus): { phase: string; message?: string } | undefined {
    const mainPhase = root.phase === "Failed" || root.phase === "Error" ? root.phase : "Succeeded";
    const mainMessage = mainPhase === "Succeeded"
      ? undefined
      : this.shutdown
      ? `Stopped with strategy '${this.shutdown}'`
      : root.message;
    const handler = this.spec.onExit ?? this.spec.hooks?.exit?.template;
    if (!handler || this.shutdown === "Terminate") {
      return { phase: mainPhase, message: mainMessage };
    }
    this.globals = {
      ...this.globals,
      "workflow.status": mainPhase,
      "workflow.failures": JSON.stringify(this.failures()),
    };
    if (this.status.startedAt) {
      this.globals["workflow.duration"] = String(
        (this.nowMs - Date.parse(this.status.startedAt)) / 1000,
      );
    }
    this.inExitHandler = true;
    const exitNode = this.executeTemplate(
      `${this.wfName}.onExit`,
      { template: handler },
      this.spec.arguments,
      "",
      `${this.wfName}.onExit`,
      0,
    );
    this.inExitHandler = false;
    if (!isFulfilled(exitNode)) return undefined;
    // The main tree's failure wins; a failed handler fails a workflow that had succeeded.
    if (mainPhase !== "Succeeded") return { phase: mainPhase, message: mainMessage };
    if (!isSuccessful(exitNode)) return { phase: "Failed", message: exitNode.message };
    return { phase: "Succeeded" };
  }

  /** `workflow.failures`: the failed and errored nodes, as Argo lists them. */
  failures(): Record<string, string>[] {
    const out: Record<string, string>[] = [];
    for (const id in this.nodes) {
      const node = this.nodes[id];
      if (node.phase !== "Failed" && node.phase !== "Error") continue;
      out.push({
        displayName: node.displayName ?? "",
        message: node.message ?? "",
        templateName: node.templateName ?? "",
        phase: node.phase,
        podName: node.type === "Pod"
          ? podName(this.wfName, node.name, node.templateRef?.template ?? node.templateName)
          : "",
        finishedAt: node.finishedAt ?? "",
      });
    }
    return out;
  }

  /**
   * The workflow just ended in `phase`: pods go under `OnWorkflowCompletion` (or
   * `OnWorkflowSuccess` after a success), and `ttlStrategy` schedules the workflow's deletion.
   */
  cleanUp(phase: string): void {
    const strategy = this.gc?.strategy;
    if (
      this.gc &&
      (strategy === "OnWorkflowCompletion" ||
        (strategy === "OnWorkflowSuccess" && phase === "Succeeded"))
    ) {
      for (const pod of this.pods.values()) {
        this.actions.push(...gcPod(this.gc, pod, this.wf.metadata.namespace ?? ""));
      }
    }
    this.actions.push(
      ...ttlAction(this.spec, phase, this.wf.metadata.namespace ?? "", this.wfName),
    );
  }

  /** A pod node just completed: `OnPodCompletion` (or `OnPodSuccess`) deletes its pod. */
  podCompleted(pod: V1Pod | undefined, succeeded: boolean): void {
    if (!pod || !this.gc) return;
    const strategy = this.gc.strategy;
    if (strategy === "OnPodCompletion" || (strategy === "OnPodSuccess" && succeeded)) {
      this.actions.push(...gcPod(this.gc, pod, this.wf.metadata.namespace ?? ""));
    }
  }

  failWorkflow(phase: "Failed" | "Error", message: string): ReconcileResult {
    const status: WorkflowStatus = {
      ...this.status,
      phase,
      startedAt: this.status.startedAt ?? this.now,
      finishedAt: this.now,
      message,
    };
    status.conditions = this.conditions(status);
    this.emitEvents(status);
    this.actions.push(
      ...ttlAction(this.spec, phase, this.wf.metadata.namespace ?? "", this.wfName),
    );
    this.actions.push(...lockReleases(this.snapshot, () => true, true));
    if (status.synchronization) delete status.synchronization;
    return { status, actions: this.actions, labels: workflowLabels(phase) };
  }

  /** `PodRunning` (whether a pod node is running now) and, once done, `Completed`. */
  conditions(status: WorkflowStatus): WorkflowStatus["conditions"] {
    const kept = (status.conditions ?? []).filter((c) =>
      c.type !== "PodRunning" && c.type !== "Completed"
    );
    const running = this.podRunning && !isWorkflowCompleted(status.phase);
    const conditions = [...kept, { type: "PodRunning", status: running ? "True" : "False" }];
    if (isWorkflowCompleted(status.phase)) conditions.push({ type: "Completed", status: "True" });
    return conditions;
  }

  /**
   * Kubernetes Events as Argo records them: one per node that reached Running, Succeeded,
   * Failed or Error in this pass (`WorkflowNode<Phase>`, `<Phase> node <name>[: <message>]`),
   * and one per workflow phase change (`WorkflowRunning`, `WorkflowSucceeded`,
   * `WorkflowFailed`). Only nodes changed in this pass are looked at.
   */
  emitEvents(status: WorkflowStatus): void {
    const config = this.snapshot.config;
    const before = this.wf.status?.nodes ?? {};
    if (config.nodeEvents?.enabled !== false) {
      for (const id of this.owned) {
        const node = this.nodes[id];
        const phase = node?.phase ?? "";
        if (!NODE_EVENT_PHASES.has(phase) || before[id]?.phase === phase) continue;
        this.actions.push({
          type: "emitEvent",
          reason: `WorkflowNode${phase}`,
          message: `${phase} node ${node.name}${node.message ? `: ${node.message}` : ""}`,
          eventType: phase === "Failed" || phase === "Error" ? "Warning" : "Normal",
          involvedNode: id,
        });
      }
    }
    if (config.workflowEvents?.enabled === false) return;
    if (this.deadlineHits > 0) {
      this.actions.push({
        type: "emitEvent",
        reason: "WorkflowTimedOut",
        message: "Workflow timed out",
        eventType: "Warning",
      });
    }
    const previous = this.wf.status?.phase ?? "";
    if (status.phase === previous) return;
    if (status.phase === "Running") {
      this.actions.push({
        type: "emitEvent",
        reason: "WorkflowRunning",
        message: "Workflow Running",
        eventType: "Normal",
      });
    } else if (status.phase === "Succeeded") {
      this.actions.push({
        type: "emitEvent",
        reason: "WorkflowSucceeded",
        message: "Workflow completed",
        eventType: "Normal",
      });
    } else if (status.phase === "Failed" || status.phase === "Error") {
      this.actions.push({
        type: "emitEvent",
        reason: "WorkflowFailed",
        message: status.message ?? "",
        eventType: "Warning",
      });
    }
  }

  // ---------------------------------------------------------------- set-up

  /** Builds the effective spec and the global variables; returns an error message if invalid. */
  setUp(): string | undefined {
    const wf = this.wf;
    const config = this.snapshot.config;
    let spec: WorkflowSpec = wf.spec;
    const ref = wf.spec.workflowTemplateRef;
    if (ref) {
      const source = ref.clusterScope
        ? this.snapshot.clusterWorkflowTemplates.find((t) => t.metadata.name === ref.name)
        : this.snapshot.workflowTemplates.find((t) => t.metadata.name === ref.name);
      if (!source) {
        const kind = ref.clusterScope ? "ClusterWorkflowTemplate" : "WorkflowTemplate";
        return `invalid spec: ${kind} '${ref.name}' not found`;
      }
      const merged = strategicMerge(
        source.spec as unknown as JsonValue,
        withoutKey(wf.spec, "workflowTemplateRef") as unknown as JsonValue,
        WORKFLOW_SPEC_PATCH_SCHEMA,
      );
      if (!merged.ok) return `invalid spec: ${merged.error}`;
      spec = merged.value as unknown as WorkflowSpec;
      this.status.storedWorkflowTemplateSpec = spec;
    }
    const defaults = config.workflowDefaults?.spec;
    if (defaults) {
      const merged = strategicMerge(
        defaults as unknown as JsonValue,
        spec as unknown as JsonValue,
        WORKFLOW_SPEC_PATCH_SCHEMA,
      );
      if (!merged.ok) return `invalid spec: ${merged.error}`;
      spec = merged.value as unknown as WorkflowSpec;
    }
    const metadata = {
      ...wf.metadata,
      labels: {
        ...(config.workflowDefaults?.metadata?.labels ?? {}),
        ...(wf.metadata.labels ?? {}),
      },
      annotations: {
        ...(config.workflowDefaults?.metadata?.annotations ?? {}),
        ...(wf.metadata.annotations ?? {}),
      },
    };
    this.spec = spec;
    this.effectiveWorkflow = { ...wf, metadata, spec };
    if (!wf.status?.phase || wf.status.phase === "Pending") {
      // Validation runs once, before anything starts: a running workflow was valid.
      const issues = new IssueList();
      const library = {
        workflowTemplates: new Map(
          this.snapshot.workflowTemplates.map((t) => [t.metadata.name ?? "", asObj(t)]),
        ),
        clusterWorkflowTemplates: new Map(
          this.snapshot.clusterWorkflowTemplates.map((t) => [t.metadata.name ?? "", asObj(t)]),
        ),
      };
      validateArgoObject(asObj({ ...wf, kind: "Workflow", metadata, spec }), library, issues);
      const first = issues.issues.find((issue) => issue.severity === "error");
      if (first) return `invalid spec: ${first.message}`;
    }
    for (const template of spec.templates ?? []) {
      if (template.name) this.templates.set(template.name, template);
    }
    return this.buildGlobals(metadata);
  }

  buildGlobals(metadata: Workflow["metadata"]): string | undefined {
    const g: Record<string, string> = {};
    const spec = this.spec;
    g["workflow.name"] = this.wfName;
    g["workflow.namespace"] = metadata.namespace ?? "";
    g["workflow.uid"] = metadata.uid ?? "";
    g["workflow.mainEntrypoint"] = spec.entrypoint ?? "";
    if (spec.serviceAccountName) g["workflow.serviceAccountName"] = spec.serviceAccountName;
    if (metadata.creationTimestamp) {
      const created = metadata.creationTimestamp;
      g["workflow.creationTimestamp"] = created;
      g["workflow.creationTimestamp.RFC3339"] = created;
      g["workflow.creationTimestamp.s"] = String(Math.floor(Date.parse(created) / 1000));
    }
    if (spec.priority !== undefined) g["workflow.priority"] = String(spec.priority);
    const parameters: Parameter[] = [];
    for (const parameter of spec.arguments?.parameters ?? []) {
      const value = this.parameterValue(parameter, undefined);
      if (value === undefined) {
        return `invalid spec: spec.arguments.${parameter.name}.value is required`;
      }
      g[`workflow.parameters.${parameter.name}`] = value;
      parameters.push({ ...parameter, value });
    }
    g["workflow.parameters"] = JSON.stringify(parameters);
    g["workflow.parameters.json"] = g["workflow.parameters"];
    for (const [key, value] of Object.entries(metadata.labels ?? {})) {
      g[`workflow.labels.${key}`] = value;
    }
    g["workflow.labels.json"] = JSON.stringify(metadata.labels ?? {});
    for (const [key, value] of Object.entries(metadata.annotations ?? {})) {
      g[`workflow.annotations.${key}`] = value;
    }
    g["workflow.annotations.json"] = JSON.stringify(metadata.annotations ?? {});
    for (const parameter of this.status.outputs?.parameters ?? []) {
      if (parameter.value !== undefined) {
        g[`workflow.outputs.parameters.${parameter.name}`] = parameter.value;
      }
    }
    this.globals = g;
    return undefined;
  }

  /** A parameter's value: `value`, else a ConfigMap key, else `default`; undefined if none. */
  parameterValue(parameter: Parameter, supplied: Parameter | undefined): string | undefined {
    for (const source of [supplied, parameter]) {
      if (!source) continue;
      if (source.value !== undefined && source.value !== null) return String(source.value);
      const ref = source.valueFrom?.configMapKeyRef;
      if (ref) {
        const value = this.configMaps.get(ref.name ?? "")?.data?.[ref.key];
        if (value !== undefined) return value;
        if (source.valueFrom?.default !== undefined) return String(source.valueFrom.default);
        if (ref.optional) return "";
      }
    }
    if (parameter.default !== undefined && parameter.default !== null) {
      return String(parameter.default);
    }
    return undefined;
  }

  // ---------------------------------------------------------------- parallelism

  countActive(): void {
    for (const id in this.nodes) {
      const node = this.nodes[id];
      if (isDaemoned(node)) this.hasDaemons = true;
      if (isFulfilled(node)) continue;
      if (node.type === "Pod") this.activePods++;
      if (node.boundaryID && ACTIVE_TYPES.has(node.type)) {
        this.activeInBoundary.set(
          node.boundaryID,
          (this.activeInBoundary.get(node.boundaryID) ?? 0) + 1,
        );
      }
    }
  }

  /** Whether a new node of `type` may start now under the workflow's and its boundary's limits. */
  mayStart(type: string, boundaryID: string): boolean {
    const limit = this.spec.parallelism;
    if (type === "Pod" && limit !== undefined && limit > 0 && this.activePods >= limit) {
      return false;
    }
    const boundaryLimit = this.boundaryLimit.get(boundaryID);
    if (
      boundaryLimit !== undefined && boundaryLimit > 0 && ACTIVE_TYPES.has(type) &&
      (this.activeInBoundary.get(boundaryID) ?? 0) >= boundaryLimit
    ) {
      return false;
    }
    return true;
  }

  started(node: NodeStatus): void {
    if (node.type === "Pod") this.activePods++;
    if (node.boundaryID && ACTIVE_TYPES.has(node.type)) {
      this.activeInBoundary.set(
        node.boundaryID,
        (this.activeInBoundary.get(node.boundaryID) ?? 0) + 1,
      );
    }
  }

  finished(node: NodeStatus): void {
    if (node.type === "Pod") this.activePods--;
    if (node.boundaryID && ACTIVE_TYPES.has(node.type)) {
      this.activeInBoundary.set(
        node.boundaryID,
        (this.activeInBoundary.get(node.boundaryID) ?? 1) - 1,
      );
    }
  }

  // ---------------------------------------------------------------- nodes

  /** A node this pass may edit: the input's node is copied once, then reused. */
  mutable(id: string): NodeStatus {
    const node = this.nodes[id];
    if (this.owned.has(id)) return node;
    const copy: NodeStatus = { ...node };
    if (node.children) copy.children = [...node.children];
    this.nodes[id] = copy;
    this.owned.add(id);
    return copy;
  }

  createNode(fields: NodeStatus): NodeStatus {
    const node: NodeStatus = { ...fields, startedAt: fields.startedAt ?? this.now };
    if (COMPLETED_NODE_PHASES.has(node.phase ?? "")) node.finishedAt = this.now;
    this.nodes[node.id] = node;
    this.owned.add(node.id);
    if (!isFulfilled(node)) this.started(node);
    return node;
  }

  addChild(parentId: string, childId: string): void {
    const parent = this.mutable(parentId);
    (parent.children ??= []).push(childId);
  }

  markPhase(id: string, phase: string, message?: string): NodeStatus {
    const node = this.nodes[id];
    if (node.phase === phase && (message === undefined || node.message === message)) return node;
    if (!isFulfilled(node) && COMPLETED_NODE_PHASES.has(phase)) this.finished(node);
    const m = this.mutable(id);
    m.phase = phase;
    if (message !== undefined) m.message = message;
    if (COMPLETED_NODE_PHASES.has(phase)) m.finishedAt ??= this.now;
    if (this.hasDaemons && (m.type === "Steps" || m.type === "DAG") && isFulfilled(m)) {
      this.killDaemons(id);
    }
    return m;
  }

  /**
   * A Steps/DAG node ended: the daemons started inside it are killed (their pods deleted) and
   * their nodes succeed, as Argo's killDaemonedChildren does.
   */
  killDaemons(boundaryID: string): void {
    for (const id in this.nodes) {
      const node = this.nodes[id];
      if (!isDaemoned(node) || !this.within(node, boundaryID)) continue;
      const pod = podName(this.wfName, node.name, node.templateRef?.template ?? node.templateName);
      this.actions.push({
        type: "deletePod",
        namespace: this.wf.metadata.namespace ?? "",
        name: pod,
      });
      const m = this.mutable(id);
      m.phase = "Succeeded";
      m.finishedAt = this.now;
      delete m.daemoned;
    }
  }

  /** Whether `node` was started inside the boundary `boundaryID` (at any depth). */
  within(node: NodeStatus, boundaryID: string): boolean {
    let boundary = node.boundaryID;
    for (let hop = 0; boundary && hop < MAX_DEPTH; hop++) {
      if (boundary === boundaryID) return true;
      boundary = this.nodes[boundary]?.boundaryID;
    }
    return false;
  }

  id(name: string): string {
    return nodeId(this.wfName, name);
  }

  /** Argo's getOutboundNodes: the leaves of a node, where the next step group attaches. */
  outboundNodes(id: string, depth = 0): string[] {
    const node = this.nodes[id];
    if (!node || depth > MAX_DEPTH) return [id];
    switch (node.type) {
      case "Pod":
      case "Skipped":
      case "Suspend":
      case "HTTP":
      case "Plugin":
        return [id];
      case "TaskGroup":
        if (!node.children || node.children.length === 0) return [id];
        break;
      case "Retry": {
        const last = node.children?.at(-1);
        return last ? this.outboundNodes(last, depth + 1) : [id];
      }
    }
    const out: string[] = [];
    for (const outbound of node.outboundNodes ?? []) {
      const child = this.nodes[outbound];
      if (child?.type === "Pod") out.push(outbound);
      else out.push(...this.outboundNodes(outbound, depth + 1));
    }
    return out;
  }

  // ---------------------------------------------------------------- templates

  resolveTemplate(holder: TemplateHolder): Resolved | string {
    let template: Template | undefined;
    let scope = `local/${this.wfName}`;
    const result: Partial<Resolved> = {};
    if (holder.inline) {
      template = holder.inline;
    } else if (holder.templateRef) {
      const ref = holder.templateRef;
      scope = `${ref.clusterScope ? "cluster" : "namespaced"}/${ref.name}`;
      // Argo keeps each template resolved from a (Cluster)WorkflowTemplate in
      // `status.storedTemplates` under `<scope>/<template>` and reads it from there afterwards, so a
      // running workflow is not affected by later changes to the WorkflowTemplate.
      const key = `${scope}/${ref.template}`;
      template = this.status.storedTemplates?.[key];
      if (!template) {
        const source = ref.clusterScope
          ? this.snapshot.clusterWorkflowTemplates.find((t) => t.metadata.name === ref.name)
          : this.snapshot.workflowTemplates.find((t) => t.metadata.name === ref.name);
        const kind = ref.clusterScope ? "ClusterWorkflowTemplate" : "WorkflowTemplate";
        if (!source) return `${kind} '${ref.name}' not found`;
        template = source.spec.templates?.find((t) => t.name === ref.template);
        if (!template) return `template ${ref.template} not found in ${kind} ${ref.name}`;
        this.status.storedTemplates = { ...this.status.storedTemplates, [key]: template };
      }
      result.templateRef = ref;
    } else {
      const name = holder.template ?? "";
      const cached = this.mergedTemplates.get(name);
      if (cached) return { template: cached, templateName: name, templateScope: scope };
      template = this.templates.get(name);
      if (!template) return `template ${name} not found`;
      result.templateName = name;
    }
    const merged = this.withDefaults(template);
    if (typeof merged === "string") return merged;
    if (result.templateName) this.mergedTemplates.set(result.templateName, merged);
    return { ...result, template: merged, templateScope: scope };
  }

  withDefaults(template: Template): Template | string {
    const defaults = this.spec.templateDefaults;
    if (!defaults) return template;
    const merged = strategicMerge(
      defaults as unknown as JsonValue,
      template as unknown as JsonValue,
      TEMPLATE_PATCH_SCHEMA,
    );
    if (!merged.ok) return `templateDefaults: ${merged.error}`;
    return merged.value as unknown as Template;
  }

  /**
   * The template's inputs with the caller's arguments applied; a string when a required value
   * is missing.
   */
  processInputs(
    template: Template,
    args: Arguments | undefined,
    scope: Scope | undefined,
  ): Inputs | string {
    const inputs: Inputs = {};
    const declared = template.inputs;
    if (declared?.parameters) {
      inputs.parameters = [];
      for (const parameter of declared.parameters) {
        const supplied = args?.parameters?.find((p) => p.name === parameter.name);
        const value = this.parameterValue(parameter, supplied);
        if (value === undefined) return `inputs.parameters.${parameter.name} was not supplied`;
        if (parameter.enum && parameter.enum.length > 0 && !parameter.enum.includes(value)) {
          return `value '${value}' is not in the enum of inputs.parameters.${parameter.name}: ${
            JSON.stringify(parameter.enum)
          }`;
        }
        const out: Parameter = { ...parameter, value };
        delete out.valueFrom;
        inputs.parameters.push(out);
      }
    }
    if (declared?.artifacts) {
      inputs.artifacts = [];
      for (const artifact of declared.artifacts) {
        const supplied = args?.artifacts?.find((a) => a.name === artifact.name);
        let resolved: Artifact | undefined = undefined;
        if (supplied) {
          const source = supplied.from ? this.artifactFrom(supplied.from, scope) : supplied;
          if (!source) return `Unable to resolve: ${supplied.from}`;
          resolved = { ...withoutKey(source, "name", "path", "from"), ...artifact } as Artifact;
          for (const [key, value] of Object.entries(source)) {
            if (!["name", "path", "from", "mode", "optional", "globalName"].includes(key)) {
              (resolved as unknown as Record<string, unknown>)[key] = value;
            }
          }
        } else if (hasLocation(artifact) || artifact.optional) {
          resolved = artifact;
        }
        if (!resolved) return `inputs.artifacts.${artifact.name} was not supplied`;
        inputs.artifacts.push(resolved);
      }
    }
    return inputs;
  }

  artifactFrom(from: string, scope: Scope | undefined): Artifact | undefined {
    const match = /^\{\{\s*(.*?)\s*\}\}$/.exec(from.trim());
    if (!match) return undefined;
    return scope?.artifacts.get(match[1]);
  }

  /** `inputs.*` and `outputs.*.path` variables of a template. */
  localVars(template: Template, inputs: Inputs): Record<string, string> {
    const vars: Record<string, string> = { ...this.globals };
    if (inputs.parameters) {
      for (const parameter of inputs.parameters) {
        vars[`inputs.parameters.${parameter.name}`] = parameter.value ?? "";
      }
      vars["inputs.parameters"] = JSON.stringify(inputs.parameters);
    }
    for (const artifact of inputs.artifacts ?? []) {
      if (artifact.path) vars[`inputs.artifacts.${artifact.name}.path`] = artifact.path;
    }
    for (const parameter of template.outputs?.parameters ?? []) {
      if (parameter.valueFrom?.path) {
        vars[`outputs.parameters.${parameter.name}.path`] = parameter.valueFrom.path;
      }
    }
    for (const artifact of template.outputs?.artifacts ?? []) {
      if (artifact.path) vars[`outputs.artifacts.${artifact.name}.path`] = artifact.path;
    }
    return vars;
  }

  // ---------------------------------------------------------------- the walk

  /**
   * Runs (or continues) the node `nodeName` for the template `holder` refers to, and returns
   * it. A fulfilled node is returned untouched.
   */
  executeTemplate(
    nodeName: string,
    holder: TemplateHolder,
    args: Arguments | undefined,
    boundaryID: string,
    displayName: string,
    depth: number,
    scope?: Scope,
    attempt?: number,
  ): NodeStatus {
    const id = this.id(nodeName);
    const existing = this.nodes[id];
    if (isFulfilled(existing)) return existing;
    const base = { id, name: nodeName, displayName };
    const boundary = boundaryID ? { boundaryID } : {};
    // Argo counts nested executeTemplate calls from 1 (the entrypoint) and stops at MAX_DEPTH.
    if (depth + 1 >= MAX_DEPTH) {
      return this.errorNode(existing, { ...base, type: "Skipped", ...boundary }, MAX_DEPTH_MESSAGE);
    }
    const resolved = this.resolveTemplate(holder);
    if (typeof resolved === "string") {
      return this.errorNode(existing, { ...base, type: "Skipped", ...boundary }, resolved);
    }
    const template = resolved.template;
    const identity: Partial<NodeStatus> = resolved.templateRef
      ? { templateRef: resolved.templateRef }
      : resolved.templateName
      ? { templateName: resolved.templateName }
      : {};
    const type = nodeType(template);
    const fields: NodeStatus = {
      ...base,
      type,
      ...identity,
      // Argo reads an empty templateScope as the workflow's own (local) scope: storing it on every
      // node only costs status bytes.
      ...(resolved.templateScope !== `local/${this.wfName}`
        ? { templateScope: resolved.templateScope }
        : {}),
      ...boundary,
    } as NodeStatus;
    const unsupported = UNSUPPORTED_TYPES.find((t) => template[t] !== undefined);
    if (unsupported) {
      return this.errorNode(
        existing,
        fields,
        `${unsupported} templates are not supported yet by argo-ts`,
      );
    }
    // Inputs are resolved once, when the node is created, and kept on the node.
    let inputs: Inputs;
    if (existing) {
      inputs = existing.inputs ?? {};
    } else {
      const processed = this.processInputs(template, args, scope);
      if (typeof processed === "string") return this.errorNode(existing, fields, processed);
      inputs = processed;
    }
    if (!existing) {
      const halt = this.haltMessage();
      if (halt !== undefined) {
        // Nothing new starts once the workflow is stopped or past its deadline.
        if (halt === DEADLINE_MESSAGE) this.deadlineHits++;
        return this.createNode({ ...fields, type: "Skipped", phase: "Failed", message: halt });
      }
      // At a parallelism limit or while the workflow is suspended the node is not created
      // yet; its parent waits.
      if (this.suspended || !this.mayStart(type, boundaryID)) {
        return { ...fields, phase: "Pending" };
      }
    }
    let memo: Memo | undefined;
    if (template.memoize && attempt === undefined) {
      const checked = this.memoKey(template, inputs);
      if (typeof checked === "string") return this.errorNode(existing, fields, checked);
      memo = checked;
      if (!existing) {
        const hit = this.memoHit(memo);
        if (hit) {
          const hasInputs = inputs.parameters !== undefined || inputs.artifacts !== undefined;
          return this.createNode({
            ...fields,
            phase: "Succeeded",
            ...(hasInputs ? { inputs } : {}),
            ...(hit.outputs ? { outputs: hit.outputs } : {}),
            memoizationStatus: { hit: true, key: memo.key, cacheName: memo.cacheName },
          });
        }
      }
    }
    if (template.synchronization && attempt === undefined) {
      const waiting = this.templateLocks(
        template,
        existing,
        template.retryStrategy ? { ...fields, type: "Retry" } : fields,
      );
      if (waiting) return waiting;
    }
    if (template.retryStrategy && attempt === undefined) {
      return this.memoSave(
        memo,
        this.executeRetry(
          existing,
          {
            ...fields,
            type: "Retry",
            ...(memo ? { memoizationStatus: memoStatus(memo) } : {}),
          },
          inputs,
          template,
          (index) => {
            if (type === "Pod" && template.retryStrategy?.affinity?.nodeAntiAffinity) {
              this.avoidHosts = this.failedHosts(id);
            }
            const attemptNode = this.executeTemplate(
              `${nodeName}(${index})`,
              holder,
              args,
              boundaryID,
              `${displayName}(${index})`,
              depth,
              scope,
              index,
            );
            this.avoidHosts = undefined;
            return attemptNode;
          },
        ),
      );
    }
    const pod = podName(
      this.wfName,
      nodeName,
      resolved.templateRef?.template ?? resolved.templateName,
    );
    let node = existing;
    if (!node) {
      const hasInputs = inputs.parameters !== undefined || inputs.artifacts !== undefined;
      node = this.createNode({
        ...fields,
        phase: type === "Pod" ? "Pending" : "Running",
        ...(hasInputs ? { inputs } : {}),
        ...(memo ? { memoizationStatus: memoStatus(memo) } : {}),
      });
    }
    const halt = type === "Pod" || type === "Suspend" ? this.haltMessage() : undefined;
    if (halt !== undefined) {
      const stopped = this.stopNode(node, pod, type, halt);
      if (stopped) {
        if (halt === DEADLINE_MESSAGE) this.deadlineHits++;
        return stopped;
      }
    }
    if (type === "Pod" && template.timeout !== undefined && template.timeout !== "") {
      const timedOut = this.checkTemplateTimeout(node, pod, template, inputs);
      if (timedOut) return timedOut;
    }
    // A pod node whose pod exists needs no template work: only the pod's state matters.
    if (type === "Pod" && (node.phase !== "Pending" || this.pods.has(pod))) {
      return this.memoSave(memo, this.assessPod(node, pod, template));
    }
    const vars = this.localVars(template, inputs);
    if (attempt !== undefined) vars["retries"] = String(attempt);
    if (type === "Pod") {
      vars["pod.name"] = pod;
      vars["node.name"] = nodeName;
    }
    const substituted = substitute(
      { ...withoutKey(template, "inputs"), inputs } as unknown as JsonValue,
      vars,
    );
    if (!substituted.ok) return this.errorNode(node, fields, substituted.error.message);
    const tmpl = substituted.value as Template;
    switch (type) {
      case "Pod":
        return this.executePod(node, pod, tmpl);
      case "Steps":
        return this.memoSave(memo, this.executeSteps(node, tmpl, vars, depth));
      case "DAG":
        return this.memoSave(memo, this.executeDag(node, tmpl, vars, depth));
      case "Suspend":
        return this.memoSave(memo, this.executeSuspend(node, tmpl));
    }
    return this.errorNode(node, fields, "template has no template type");
  }

  /**
   * `memoize`: the key substituted with the node's inputs and checked (a ConfigMap key: at most
   * 253 characters of `[-._a-zA-Z0-9]`), `maxAge` parsed; a message when either is bad.
   */
  memoKey(template: Template, inputs: Inputs): Memo | string {
    const memoize = template.memoize!;
    const cacheName = memoize.cache?.configMap?.name ?? "";
    if (!cacheName) return "memoize.cache.configMap.name is required";
    const substituted = substituteString(memoize.key ?? "", this.localVars(template, inputs));
    if (!substituted.ok) {
      return `invalid memoization key '${memoize.key}': ${substituted.error.message}`;
    }
    const key = substituted.value;
    if (key.length === 0 || key.length > 253 || !/^[-._a-zA-Z0-9]+$/.test(key)) {
      const shown = key.length > 60 ? `${key.slice(0, 60)}...` : key;
      return `invalid memoization key '${shown}' (${key.length} characters): a ConfigMap key ` +
        `must be 1 to 253 characters of [-._a-zA-Z0-9]`;
    }
    let maxAgeSeconds: number | undefined;
    if (memoize.maxAge !== undefined && memoize.maxAge !== "") {
      maxAgeSeconds = parseDuration(String(memoize.maxAge));
      if (maxAgeSeconds === undefined) {
        return `invalid memoize.maxAge '${memoize.maxAge}': not a duration`;
      }
    }
    return { key, cacheName, ...(maxAgeSeconds !== undefined ? { maxAgeSeconds } : {}) };
  }

  /** A fresh cache entry for the key (`creationTimestamp` within `maxAge`), or undefined. */
  memoHit(memo: Memo): { outputs?: Outputs } | undefined {
    const configMap = this.configMaps.get(memo.cacheName);
    const raw = configMap?.data?.[memo.key];
    if (raw === undefined) return undefined;
    let entry: { outputs?: Outputs | null; creationTimestamp?: string };
    try {
      entry = JSON.parse(raw);
    } catch {
      return undefined;
    }
    if (entry === null || typeof entry !== "object" || !("outputs" in entry)) return undefined;
    if (memo.maxAgeSeconds !== undefined) {
      const created = Date.parse(entry.creationTimestamp ?? "");
      if (!Number.isFinite(created) || this.nowMs - created > memo.maxAgeSeconds * 1000) {
        return undefined;
      }
    }
    return entry.outputs ? { outputs: entry.outputs } : {};
  }

  /** A memoized node that just succeeded saves its outputs in the cache ConfigMap. */
  memoSave(memo: Memo | undefined, node: NodeStatus): NodeStatus {
    if (!memo || node.phase !== "Succeeded" || !this.owned.has(node.id)) return node;
    if (this.wf.status?.nodes?.[node.id]?.phase === "Succeeded") return node;
    const entry = {
      nodeID: node.id,
      outputs: node.outputs ?? null,
      creationTimestamp: this.now,
      lastHitTimestamp: this.now,
    };
    this.actions.push({
      type: "upsertConfigMap",
      namespace: this.wf.metadata.namespace ?? "",
      name: memo.cacheName,
      labels: { [LABEL_CONFIGMAP_TYPE]: "Cache" },
      data: { [memo.key]: JSON.stringify(entry) },
    });
    return node;
  }

  /**
   * Ends a running Pod or Suspend node with `message` (its pod is deleted), unless its pod has
   * already finished: then the pod's own result counts.
   */
  stopNode(node: NodeStatus, pod: string, type: string, message: string): NodeStatus | undefined {
    const observed = this.pods.get(pod);
    const podPhase = observed?.status?.phase;
    if (type !== "Suspend" && (podPhase === "Succeeded" || podPhase === "Failed")) return undefined;
    if (observed) {
      this.actions.push({
        type: "deletePod",
        namespace: observed.metadata?.namespace ?? this.wf.metadata.namespace ?? "",
        name: pod,
      });
    }
    return this.markPhase(node.id, "Failed", message);
  }

  /**
   * Template `timeout`: the node's whole duration, pending time included, from its start.
   * Past it the node fails as Argo's executor would fail it; before it the pod gets the
   * deadline (ARGO_DEADLINE) and the engine wakes up at that time.
   */
  checkTemplateTimeout(
    node: NodeStatus,
    pod: string,
    template: Template,
    inputs: Inputs,
  ): NodeStatus | undefined {
    const deadline = this.templateDeadlineMs(node, template, inputs);
    if (typeof deadline === "string") return this.markPhase(node.id, "Error", deadline);
    if (this.nowMs < deadline) {
      this.wake((deadline - this.nowMs) / 1000);
      return undefined;
    }
    return this.stopNode(node, pod, "Pod", DEADLINE_MESSAGE);
  }

  /** The end of a template's `timeout` for `node`, or a message if the timeout is invalid. */
  templateDeadlineMs(node: NodeStatus, template: Template, inputs: Inputs): number | string {
    let text = String(template.timeout);
    if (text.includes("{{")) {
      const substituted = substituteString(text, this.localVars(template, inputs));
      if (!substituted.ok) return `invalid timeout '${text}': ${substituted.error.message}`;
      text = substituted.value;
    }
    const seconds = parseDuration(text);
    if (seconds === undefined) return `invalid timeout format '${text}'`;
    return Date.parse(node.startedAt ?? this.now) + seconds * 1000;
  }

  /**
   * A template with `retryStrategy`: a Retry node whose children are the attempts
   * `<name>(0)`, `<name>(1)`, ...; a failed attempt is retried while the policy and limit allow.
   */
  executeRetry(
    existing: NodeStatus | undefined,
    fields: NodeStatus,
    inputs: Inputs,
    template: Template,
    runAttempt: (index: number) => NodeStatus,
  ): NodeStatus {
    const hasInputs = inputs.parameters !== undefined || inputs.artifacts !== undefined;
    const retry = existing ??
      this.createNode({ ...fields, phase: "Running", ...(hasInputs ? { inputs } : {}) });
    const strategy = this.retryStrategy(template, inputs);
    if (typeof strategy === "string") return this.markPhase(retry.id, "Error", strategy);
    // Bounded: each round either returns or starts one more attempt.
    for (let round = 0; round <= MAX_RETRY_ROUNDS; round++) {
      const children = this.nodes[retry.id].children ?? [];
      const lastId = children.at(-1);
      const last = lastId === undefined ? undefined : this.nodes[lastId];
      if (last && isFulfilled(last)) {
        if (isSuccessful(last)) {
          if (last.outputs) this.mutable(retry.id).outputs = last.outputs;
          return this.markPhase(retry.id, "Succeeded");
        }
        const decision = this.retryDecision(strategy, retry, last, children.length);
        if (decision.wait !== undefined) {
          this.wake(decision.wait);
          return this.nodes[retry.id];
        }
        if (decision.end) {
          return this.markPhase(retry.id, decision.end.phase, decision.end.message);
        }
      }
      const index = last && !isFulfilled(last) ? children.length - 1 : children.length;
      const isNew = !this.nodes[this.id(`${retry.name}(${index})`)];
      const result = runAttempt(index);
      if (isNew && this.nodes[result.id]) this.addChild(retry.id, result.id);
      if (!isFulfilled(result)) return this.nodes[retry.id];
    }
    return this.markPhase(retry.id, "Error", "too many retry attempts in one reconcile");
  }

  /**
   * The template's retryStrategy, checked: `limit` (an integer or a string, substituted), the
   * backoff's durations and factor. A message for the first bad field.
   */
  retryStrategy(template: Template, inputs: Inputs): CheckedRetry | string {
    const raw = template.retryStrategy!;
    let limit = Infinity;
    if (raw.limit !== undefined && raw.limit !== null) {
      let text = String(raw.limit);
      if (text.includes("{{")) {
        const substituted = substituteString(text, this.localVars(template, inputs));
        if (!substituted.ok) {
          return `invalid retryStrategy.limit '${text}': ${substituted.error.message}`;
        }
        text = substituted.value;
      }
      limit = Number(text.trim());
      if (text.trim() === "" || !Number.isInteger(limit) || limit < 0) {
        return `invalid retryStrategy.limit '${text}': must be a non-negative integer`;
      }
    }
    const policy = raw.retryPolicy ?? (raw.expression ? "Always" : "OnFailure");
    if (!["Always", "OnFailure", "OnError", "OnTransientError"].includes(policy)) {
      return `invalid retryStrategy.retryPolicy '${policy}': must be Always, OnFailure, ` +
        `OnError or OnTransientError`;
    }
    const checked: CheckedRetry = { limit, policy, expression: raw.expression, factor: 1 };
    const backoff = raw.backoff;
    if (backoff) {
      for (const key of ["duration", "cap", "maxDuration"] as const) {
        const value = backoff[key];
        if (value === undefined || value === "") continue;
        const seconds = parseDuration(String(value));
        if (seconds === undefined) {
          return `invalid retryStrategy.backoff.${key} '${value}': not a duration`;
        }
        checked[key] = seconds;
      }
      if (backoff.factor !== undefined) {
        const factor = Number(String(backoff.factor).trim());
        if (!Number.isFinite(factor) || factor < 0) {
          return `invalid retryStrategy.backoff.factor '${backoff.factor}': must be a ` +
            `non-negative number`;
        }
        checked.factor = factor;
      }
    }
    return checked;
  }

  /**
   * What follows a failed attempt, as Argo's processNodeRetries decides: stop when shutting
   * down, past `maxDuration`, when the policy or the expression says no, or when the limit is
   * reached; otherwise wait out the backoff, then retry.
   */
  retryDecision(
    strategy: CheckedRetry,
    retry: NodeStatus,
    last: NodeStatus,
    attempts: number,
  ): { end?: { phase: string; message?: string }; wait?: number } {
    const phase = last.phase!;
    if (this.haltMessage() !== undefined) return { end: { phase, message: last.message } };
    if (strategy.maxDuration !== undefined) {
      const first = this.nodes[retry.children?.[0] ?? ""];
      const started = Date.parse(first?.startedAt ?? retry.startedAt ?? this.now);
      if (this.nowMs - started >= strategy.maxDuration * 1000) {
        return { end: { phase, message: "Max duration limit exceeded" } };
      }
    }
    let retryable: boolean;
    switch (strategy.policy) {
      case "Always":
        retryable = true;
        break;
      case "OnError":
        retryable = phase === "Error";
        break;
      case "OnTransientError":
        retryable = failedOrError(last) &&
          TRANSIENT_PATTERNS.some((pattern) => pattern.test(last.message ?? ""));
        break;
      default:
        retryable = phase === "Failed";
    }
    if (!retryable) return { end: { phase, message: last.message } };
    if (strategy.expression) {
      const env = expandVars({
        ...this.globals,
        "lastRetry.exitCode": last.outputs?.exitCode ?? "-1",
        "lastRetry.status": phase,
        "lastRetry.duration": String(
          (Date.parse(last.finishedAt ?? this.now) - Date.parse(last.startedAt ?? this.now)) /
            1000,
        ),
        "lastRetry.message": last.message ?? "",
      });
      const evaluated = evaluateExpression(strategy.expression, env);
      if (!evaluated.ok) {
        return {
          end: {
            phase: "Error",
            message:
              `failed to evaluate retryStrategy.expression '${strategy.expression}': ${evaluated.error.message}`,
          },
        };
      }
      if (typeof evaluated.value !== "boolean") {
        return {
          end: {
            phase: "Error",
            message: `retryStrategy.expression '${strategy.expression}' must evaluate to a ` +
              `boolean, got ${JSON.stringify(evaluated.value) ?? String(evaluated.value)}`,
          },
        };
      }
      if (!evaluated.value) {
        return { end: { phase, message: "retryStrategy.expression evaluated to false" } };
      }
    }
    if (attempts > strategy.limit) return { end: { phase, message: "No more retries left" } };
    if (strategy.duration !== undefined && last.finishedAt) {
      let delay = strategy.duration * Math.pow(strategy.factor, attempts - 1);
      if (strategy.cap !== undefined) delay = Math.min(delay, strategy.cap);
      if (!Number.isFinite(delay) || delay > MAX_DURATION_SECONDS) {
        return {
          end: {
            phase: "Error",
            message: `retryStrategy.backoff overflows: the delay before attempt ${attempts} ` +
              `exceeds the longest duration (set backoff.cap)`,
          },
        };
      }
      const due = Date.parse(last.finishedAt) + delay * 1000;
      if (strategy.maxDuration !== undefined) {
        const first = this.nodes[retry.children?.[0] ?? ""];
        const started = Date.parse(first?.startedAt ?? retry.startedAt ?? this.now);
        if (due - started >= strategy.maxDuration * 1000) {
          return { end: { phase, message: "Max duration limit exceeded" } };
        }
      }
      if (due > this.nowMs) return { wait: (due - this.nowMs) / 1000 };
    }
    return {};
  }

  errorNode(existing: NodeStatus | undefined, fields: NodeStatus, message: string): NodeStatus {
    if (existing) return this.markPhase(existing.id, "Error", message);
    return this.createNode({ ...fields, phase: "Error", message });
  }

  // ---------------------------------------------------------------- pods

  executePod(node: NodeStatus, pod: string, template: Template): NodeStatus {
    const built = buildPod({
      workflow: this.effectiveWorkflow,
      node: {
        id: node.id,
        name: node.name,
        displayName: node.displayName ?? node.name,
        ...(node.templateName ? { templateName: node.templateName } : {}),
        ...(node.templateRef ? { templateRef: node.templateRef } : {}),
      },
      podName: pod,
      template,
      config: this.snapshot.config,
      onExit: this.inExitHandler,
      ...(this.deadline(node, template) ? { deadline: this.deadline(node, template) } : {}),
      ...(this.avoidHosts?.length ? { avoidHosts: this.avoidHosts } : {}),
    });
    if (!built.ok) return this.markPhase(node.id, "Error", built.message);
    this.actions.push({ type: "createPod", pod: built.pod });
    return node;
  }

  /** ARGO_DEADLINE: the earlier of the workflow deadline and the template's `timeout`. */
  deadline(node: NodeStatus, template: Template): string | undefined {
    let ms = this.workflowDeadlineMs();
    if (template.timeout !== undefined && template.timeout !== "") {
      const own = this.templateDeadlineMs(node, template, node.inputs ?? {});
      if (typeof own === "number") ms = ms === undefined ? own : Math.min(ms, own);
    }
    if (ms === undefined) return undefined;
    return new Date(ms).toISOString().replace(/\.000Z$/, "Z");
  }

  /** The node's phase from its observed pod and, once the pod is done, its task result. */
  assessPod(node: NodeStatus, pod: string, template: Template): NodeStatus {
    const observed = this.pods.get(pod);
    if (!observed) {
      if (node.phase === "Pending") return node;
      // A pod that succeeded and then vanished (pod GC) may still get its task result for a
      // while; a pod that vanished while running was deleted.
      if (this.status.taskResultsCompletionStatus?.[node.id] === false && node.finishedAt) {
        return this.awaitTaskResult(node, template, RECENTLY_DELETED_POD_SECONDS, undefined);
      }
      return this.markPhase(node.id, "Error", "pod deleted");
    }
    const podPhase = observed.status?.phase;
    const main = observed.status?.containerStatuses?.find((c) => c.name === MAIN_CONTAINER_NAME);
    const terminated = main?.state?.terminated;
    const host = observed.spec?.nodeName;
    if (host && node.hostNodeName !== host) this.mutable(node.id).hostNodeName = host;
    node = this.nodes[node.id];
    switch (podPhase) {
      case "Pending":
        return node;
      case "Running":
        if (template.daemon === true) return this.markDaemoned(node, observed);
        return this.markPhase(node.id, "Running");
      case "Succeeded": {
        const result = this.taskResults.get(node.id);
        if (result?.metadata.labels?.[LABEL_REPORT_OUTPUTS_COMPLETED] !== "true") {
          // The pod is done but its outputs have not arrived: not yet fulfilled.
          return this.awaitTaskResult(node, template, TASK_RESULT_TIMEOUT_SECONDS, observed);
        }
        return this.podSucceeded(node, template, result, terminated?.exitCode, observed);
      }
      case "Failed": {
        this.finished(node);
        const m = this.mutable(node.id);
        const result = this.taskResults.get(node.id);
        const outputs = this.podOutputs(result, terminated?.exitCode, template);
        if (outputs) m.outputs = outputs;
        const [phase, message] = failedPodReason(observed);
        m.phase = phase;
        m.message = message;
        m.finishedAt = latestFinishedAt(observed) ?? this.now;
        this.podCompleted(observed, false);
        return m;
      }
    }
    return node;
  }

  podSucceeded(
    node: NodeStatus,
    template: Template,
    result: WorkflowTaskResult | undefined,
    exitCode: number | undefined,
    observed: V1Pod | undefined,
    message?: string,
  ): NodeStatus {
    this.finished(node);
    const m = this.mutable(node.id);
    const outputs = this.podOutputs(result, exitCode, template);
    if (outputs) m.outputs = outputs;
    this.publishGlobalOutputs(outputs, template.outputs?.parameters);
    m.phase = "Succeeded";
    if (message !== undefined) m.message = message;
    m.finishedAt = (observed && latestFinishedAt(observed)) ?? m.finishedAt ?? this.now;
    if (m.daemoned) delete m.daemoned;
    this.status.taskResultsCompletionStatus = {
      ...(this.status.taskResultsCompletionStatus ?? {}),
      [node.id]: true,
    };
    this.podCompleted(observed, true);
    return m;
  }

  /**
   * A succeeded pod whose task result is not complete: the node stays Running (with the pod's
   * finish time) until the result arrives, or until `limitSeconds` after that time (10 minutes
   * while the pod exists, 2 once it is gone, as Argo's defaults); then it succeeds without the
   * reported outputs, as Argo marks the result synced.
   */
  awaitTaskResult(
    node: NodeStatus,
    template: Template,
    limitSeconds: number,
    observed: V1Pod | undefined,
  ): NodeStatus {
    const config = this.snapshot.config;
    const limit = observed
      ? config.taskResultTimeoutSeconds ?? limitSeconds
      : config.recentlyDeletedPodSeconds ?? limitSeconds;
    const finishedAt = node.finishedAt ?? (observed && latestFinishedAt(observed)) ?? this.now;
    const due = Date.parse(finishedAt) + limit * 1000;
    if (this.nowMs >= due) {
      return this.podSucceeded(
        node,
        template,
        undefined,
        undefined,
        observed,
        `outputs lost: no task result ${limit}s after the pod finished`,
      );
    }
    this.wake((due - this.nowMs) / 1000);
    const m = this.markPhase(node.id, "Running");
    if (this.status.taskResultsCompletionStatus?.[node.id] !== false) {
      this.status.taskResultsCompletionStatus = {
        ...(this.status.taskResultsCompletionStatus ?? {}),
        [node.id]: false,
      };
    }
    if (m.finishedAt !== finishedAt) this.mutable(node.id).finishedAt = finishedAt;
    return this.nodes[node.id];
  }

  /** Hosts of a Retry node's failed attempts, in order, without repeats. */
  failedHosts(retryId: string): string[] {
    const hosts: string[] = [];
    for (const childId of this.nodes[retryId]?.children ?? []) {
      const child = this.nodes[childId];
      if (child && failedOrError(child) && child.hostNodeName) {
        if (!hosts.includes(child.hostNodeName)) hosts.push(child.hostNodeName);
      }
    }
    return hosts;
  }

  /** A daemon pod that runs: the node stays Running, `daemoned`, and counts as fulfilled. */
  markDaemoned(node: NodeStatus, observed: V1Pod): NodeStatus {
    const ip = observed.status?.podIP;
    if (node.phase === "Running" && node.daemoned && (!ip || node.podIP === ip)) return node;
    const m = this.markPhase(node.id, "Running");
    const mm = this.mutable(m.id);
    mm.daemoned = true;
    this.hasDaemons = true;
    this.finished(node);
    if (ip) mm.podIP = ip;
    return mm;
  }

  podOutputs(
    result: WorkflowTaskResult | undefined,
    exitCode: number | undefined,
    template: Template,
  ): Outputs | undefined {
    const outputs: Outputs = { ...(result?.outputs ?? {}) };
    if (outputs.exitCode === undefined && exitCode !== undefined) {
      outputs.exitCode = String(exitCode);
    }
    // Declared output parameters the executor did not report fall back to their default.
    for (const declared of template.outputs?.parameters ?? []) {
      const found = outputs.parameters?.some((p) => p.name === declared.name);
      if (!found && declared.valueFrom?.default !== undefined) {
        outputs.parameters = [
          ...(outputs.parameters ?? []),
          { name: declared.name, value: String(declared.valueFrom.default) },
        ];
      }
    }
    return Object.keys(outputs).length > 0 ? outputs : undefined;
  }

  /** A Steps/DAG scope that global outputs published later in this pass must reach. */
  liveScope(vars: Record<string, string>): Scope {
    const scope = newScope(vars);
    this.liveScopes.push(scope);
    return scope;
  }

  /**
   * Output parameters declared with `globalName` become `workflow.outputs.parameters.<g>` for
   * the rest of the workflow and are listed in `status.outputs`.
   */
  publishGlobalOutputs(outputs: Outputs | undefined, declared: Parameter[] | undefined): void {
    for (const parameter of outputs?.parameters ?? []) {
      const globalName = parameter.globalName ??
        declared?.find((d) => d.name === parameter.name)?.globalName;
      if (!globalName || parameter.value === undefined) continue;
      const key = `workflow.outputs.parameters.${globalName}`;
      this.globals = { ...this.globals, [key]: parameter.value };
      for (const scope of this.liveScopes) scope.vars[key] = parameter.value;
      const list = (this.status.outputs?.parameters ?? []).filter((p) => p.name !== globalName);
      list.push({ name: globalName, value: parameter.value });
      this.status.outputs = { ...(this.status.outputs ?? {}), parameters: list };
    }
  }

  // ---------------------------------------------------------------- suspend

  executeSuspend(node: NodeStatus, template: Template): NodeStatus {
    const duration = template.suspend?.duration;
    if (duration === undefined || duration === "") return node;
    const seconds = parseDuration(String(duration));
    if (seconds === undefined) {
      return this.markPhase(node.id, "Error", `invalid suspend duration '${duration}'`);
    }
    const deadline = Date.parse(node.startedAt ?? this.now) + seconds * 1000;
    if (this.nowMs >= deadline) return this.markPhase(node.id, "Succeeded");
    const remaining = Math.ceil((deadline - this.nowMs) / 1000);
    this.requeueAfter = this.requeueAfter === undefined
      ? remaining
      : Math.min(this.requeueAfter, remaining);
    return node;
  }

  // ---------------------------------------------------------------- steps

  executeSteps(
    node: NodeStatus,
    template: Template,
    vars: Record<string, string>,
    depth: number,
  ): NodeStatus {
    if (template.parallelism) this.boundaryLimit.set(node.id, template.parallelism);
    const scope = this.liveScope(vars);
    const groups = template.steps ?? [];
    let previous: NodeStatus | undefined;
    for (let i = 0; i < groups.length; i++) {
      const sgName = stepGroupName(node.name, i);
      const sgId = this.id(sgName);
      if (!this.nodes[sgId]) {
        this.createNode({
          id: sgId,
          name: sgName,
          displayName: `[${i}]`,
          type: "StepGroup",
          ...(node.templateName ? { templateName: node.templateName } : {}),
          ...(node.templateRef ? { templateRef: node.templateRef } : {}),
          ...(node.templateScope ? { templateScope: node.templateScope } : {}),
          phase: "Running",
          boundaryID: node.id,
        });
        if (!previous) {
          this.addChild(node.id, sgId);
        } else {
          for (const child of previous.children ?? []) {
            for (const out of this.outboundNodes(child)) this.addChild(out, sgId);
          }
        }
      }
      const group = this.executeStepGroup(sgId, groups[i] ?? [], scope, node, depth);
      if (!isFulfilled(group)) return this.nodes[node.id];
      if (!isSuccessful(group)) {
        const m = this.markPhase(
          node.id,
          group.phase === "Error" ? "Error" : "Failed",
          group.message,
        );
        this.setOutbound(m.id, group);
        return this.nodes[node.id];
      }
      previous = group;
    }
    const outputs = this.templateOutputs(template, scope);
    if (typeof outputs === "string") return this.markPhase(node.id, "Error", outputs);
    if (outputs) this.mutable(node.id).outputs = outputs;
    this.publishGlobalOutputs(outputs, template.outputs?.parameters);
    if (previous) this.setOutbound(node.id, previous);
    return this.markPhase(node.id, "Succeeded");
  }

  setOutbound(id: string, lastGroup: NodeStatus): void {
    const outbound: string[] = [];
    for (const child of lastGroup.children ?? []) outbound.push(...this.outboundNodes(child));
    if (outbound.length > 0) this.mutable(id).outboundNodes = outbound;
  }

  executeStepGroup(
    sgId: string,
    steps: WorkflowStep[],
    scope: Scope,
    stepsNode: NodeStatus,
    depth: number,
  ): NodeStatus {
    const sgName = this.nodes[sgId].name;
    let group = this.nodes[sgId];
    if (isFulfilled(group)) {
      // A finished group's children are all known: its scope comes from them, without
      // expanding its loops again.
      this.addFinishedGroupToScope(scope, steps, group);
      return group;
    }
    const expansions = steps.map((step) =>
      this.expand(step, childName(sgName, step.name ?? ""), step.name ?? "", scope)
    );
    {
      let pending = false;
      for (let s = 0; s < steps.length; s++) {
        const expansion = expansions[s];
        const stepNodeName = childName(sgName, steps[s].name ?? "");
        if (expansion.error !== undefined) {
          if (!this.nodes[this.id(stepNodeName)]) {
            this.createNode({
              id: this.id(stepNodeName),
              name: stepNodeName,
              displayName: steps[s].name ?? "",
              type: "Skipped",
              phase: "Error",
              boundaryID: stepsNode.id,
              message: expansion.error,
            });
            this.addChild(sgId, this.id(stepNodeName));
          }
          continue;
        }
        if (expansion.looped && expansion.children.length === 0) {
          this.skipNode(
            stepNodeName,
            steps[s].name ?? "",
            stepsNode.id,
            sgId,
            "Skipped, empty params",
          );
          continue;
        }
        for (const child of expansion.children) {
          const result = this.runChild(child, stepsNode.id, sgId, depth, scope);
          if (!isFulfilled(result)) pending = true;
        }
      }
      if (pending) return this.nodes[sgId];
      let failure: string | undefined;
      for (const childId of this.nodes[sgId].children ?? []) {
        const child = this.nodes[childId];
        if (!child || isSuccessful(child)) continue;
        const step = steps.find((st) => isStepChild(child.name, childName(sgName, st.name ?? "")));
        if (!continuesOn(step?.continueOn, child.phase)) {
          failure = `child '${childId}' failed`;
          break;
        }
      }
      group = failure ? this.markPhase(sgId, "Failed", failure) : this.markPhase(sgId, "Succeeded");
    }
    // The group's outputs join the scope of the groups after it.
    for (let s = 0; s < steps.length; s++) {
      const prefix = `steps.${steps[s].name}`;
      this.addToScope(scope, prefix, expansions[s], childName(sgName, steps[s].name ?? ""));
    }
    return group;
  }

  addFinishedGroupToScope(scope: Scope, steps: WorkflowStep[], group: NodeStatus): void {
    for (const step of steps) {
      const name = childName(group.name, step.name ?? "");
      const prefix = `steps.${step.name}`;
      if (!isLooped(step)) {
        const node = this.nodes[this.id(name)];
        if (node) addNodeToScope(scope, prefix, node);
        continue;
      }
      const nodes: NodeStatus[] = [];
      for (const id of group.children ?? []) {
        const node = this.nodes[id];
        if (node && node.type !== "Skipped" && node.name.startsWith(`${name}(`)) nodes.push(node);
      }
      addAggregateToScope(scope, prefix, nodes);
    }
  }

  addToScope(scope: Scope, prefix: string, expansion: Expansion, singleName: string): void {
    if (expansion.looped) {
      const nodes: NodeStatus[] = [];
      for (const child of expansion.children) {
        const n = this.nodes[this.id(child.name)];
        if (n && n.type !== "Skipped") nodes.push(n);
      }
      addAggregateToScope(scope, prefix, nodes);
      return;
    }
    const node = this.nodes[this.id(singleName)];
    if (node) addNodeToScope(scope, prefix, node);
  }

  /** Substitutes a step/task with the scope and expands its loop. */
  expand<T extends WorkflowStep | DAGTask>(
    step: T,
    name: string,
    displayName: string,
    scope: Scope,
  ): Expansion {
    const looped = isLooped(step);
    // Hooks are substituted when they run: their arguments may use the step's own outputs.
    const hooks = step.hooks ? { hooks: step.hooks } : {};
    if (!looped) {
      const substituted = substitute(withoutKey(step, "hooks") as unknown as JsonValue, scope.vars);
      if (!substituted.ok) {
        return { looped, children: [], error: substituted.error.message };
      }
      const item = { ...(substituted.value as T), ...hooks };
      return { looped, children: [{ name, displayName, item }] };
    }
    const loopPart = {
      withItems: step.withItems,
      withParam: step.withParam,
      withSequence: step.withSequence,
    };
    const loopSubstituted = substitute(loopPart as unknown as JsonValue, scope.vars);
    if (!loopSubstituted.ok) return { looped, children: [], error: loopSubstituted.error.message };
    const expanded = expandLoop(loopSubstituted.value as typeof loopPart);
    if (!expanded.ok) return { looped, children: [], error: expanded.message };
    const body = withoutKey(
      step,
      "withItems",
      "withParam",
      "withSequence",
      "hooks",
    ) as unknown as JsonValue;
    const children: Expansion["children"] = [];
    for (const item of expanded.items) {
      const substituted = substitute(body, itemVars(scope.vars, item));
      if (!substituted.ok) return { looped, children: [], error: substituted.error.message };
      const childNodeName = loopChildName(name, item.index, item.description);
      children.push({
        name: childNodeName,
        displayName: loopChildName(displayName, item.index, item.description),
        item: { ...(substituted.value as T), ...hooks },
      });
    }
    return { looped, children };
  }

  skipNode(
    name: string,
    displayName: string,
    boundaryID: string,
    parentId: string,
    message: string,
  ): void {
    const id = this.id(name);
    if (this.nodes[id]) return;
    this.createNode({
      id,
      name,
      displayName,
      type: "Skipped",
      phase: "Skipped",
      boundaryID,
      message,
    });
    this.addChild(parentId, id);
  }

  /** Runs one step (or loop iteration): `when` first, then its template. */
  runChild(
    child: Expansion["children"][number],
    boundaryID: string,
    parentId: string | string[],
    depth: number,
    scope: Scope,
    kind: "steps" | "tasks" = "steps",
  ): NodeStatus {
    const id = this.id(child.name);
    const existing = this.nodes[id];
    if (isFulfilled(existing)) {
      return this.runHooks(existing, child, boundaryID, depth, scope, kind);
    }
    const parents = Array.isArray(parentId) ? parentId : [parentId];
    const step = child.item;
    if (!existing && step.when !== undefined && step.when !== "") {
      const decision = evaluateWhen(step.when);
      if (!decision.ok || !decision.value) {
        const fields: NodeStatus = {
          id,
          name: child.name,
          displayName: child.displayName,
          type: "Skipped",
          ...(step.template ? { templateName: step.template } : {}),
          phase: decision.ok ? "Skipped" : "Error",
          boundaryID,
          message: decision.ok
            ? `when '${step.when}' evaluated false`
            : `failed to evaluate when '${step.when}': ${decision.error.message}`,
        };
        const node = this.createNode(fields);
        for (const p of parents) this.addChild(p, id);
        return node;
      }
    }
    const node = this.executeTemplate(
      child.name,
      step,
      step.arguments,
      boundaryID,
      child.displayName,
      depth + 1,
      scope,
    );
    // A node held back by a parallelism limit was not created: nothing to link yet.
    if (!existing && this.nodes[id]) {
      for (const p of parents) this.addChild(p, id);
    }
    if (!this.nodes[id]) return node;
    return this.runHooks(this.nodes[id], child, boundaryID, depth, scope, kind);
  }

  /**
   * A step's or task's hooks: expression hooks (`hooks.<name>.expression`, node
   * `<node>.hooks.<name>`) start once their expression is true, and the exit hook
   * (`hooks.exit` or `onExit`, node `<node>.onExit`) once the node is fulfilled. Both are
   * children of the node; the step counts as done only when its hooks are. The hooks see the
   * node itself as `steps.<name>.*` / `tasks.<name>.*`.
   */
  runHooks(
    node: NodeStatus,
    child: Expansion["children"][number],
    boundaryID: string,
    depth: number,
    scope: Scope,
    kind: "steps" | "tasks",
  ): NodeStatus {
    const step = child.item;
    if ((!step.hooks && !step.onExit) || node.type === "Skipped") return node;
    // Terminate runs no handler at all.
    if (this.shutdown === "Terminate") return node;
    const halted = this.haltMessage() !== undefined;
    let own: Scope | undefined;
    const ownScope = (): Scope => {
      if (!own) {
        own = newScope(scope.vars);
        for (const [key, artifact] of scope.artifacts) own.artifacts.set(key, artifact);
        addNodeToScope(own, `${kind}.${step.name ?? child.displayName}`, node);
      }
      return own;
    };
    let pending = false;
    for (const [hookName, hook] of Object.entries(step.hooks ?? {})) {
      if (hookName === "exit" || !hook.expression) continue;
      const name = `${node.name}.hooks.${hookName}`;
      if (!this.nodes[this.id(name)]) {
        if (halted) continue;
        const evaluated = evaluateExpression(hook.expression, expandVars(ownScope().vars));
        if (!evaluated.ok || evaluated.value !== true) continue;
      }
      const result = this.runHookNode(
        name,
        `${child.displayName}.hooks.${hookName}`,
        hook,
        node,
        boundaryID,
        depth,
        ownScope(),
        false,
      );
      if (!isFulfilled(result)) pending = true;
    }
    const exitHook = step.hooks?.exit ?? (step.onExit ? { template: step.onExit } : undefined);
    if (exitHook && isFulfilled(node)) {
      const result = this.runHookNode(
        `${node.name}.onExit`,
        `${child.displayName}.onExit`,
        exitHook,
        node,
        boundaryID,
        depth,
        ownScope(),
        true,
      );
      if (!isFulfilled(result)) pending = true;
    }
    if (!pending || !isFulfilled(node)) return this.nodes[node.id];
    // Done, but its hooks are not: the caller must wait.
    return { ...withoutKey(node, "daemoned"), phase: "Running" } as NodeStatus;
  }

  /** Runs one hook node under `parent`, its arguments substituted with `scope`. */
  runHookNode(
    name: string,
    displayName: string,
    hook: LifecycleHook,
    parent: NodeStatus,
    boundaryID: string,
    depth: number,
    scope: Scope,
    exit: boolean,
  ): NodeStatus {
    const id = this.id(name);
    const existing = this.nodes[id];
    if (isFulfilled(existing)) return existing;
    let args: Arguments | undefined = hook.arguments;
    if (!existing && args) {
      const substituted = substitute(args as unknown as JsonValue, scope.vars);
      if (!substituted.ok) {
        const node = this.createNode({
          id,
          name,
          displayName,
          type: "Skipped",
          phase: "Error",
          boundaryID,
          message: substituted.error.message,
          nodeFlag: { hooked: true },
        });
        this.addChild(parent.id, id);
        return node;
      }
      args = substituted.value as Arguments;
    }
    const outer = this.inExitHandler;
    if (exit) this.inExitHandler = true;
    const result = this.executeTemplate(
      name,
      { template: hook.template, templateRef: hook.templateRef },
      args,
      boundaryID,
      displayName,
      depth + 1,
      scope,
    );
    this.inExitHandler = outer;
    if (!existing && this.nodes[id]) {
      this.addChild(parent.id, id);
      this.mutable(id).nodeFlag = { hooked: true };
    }
    return this.nodes[id] ?? result;
  }

  /** A steps or DAG template's outputs, from the scope its children built. */
  templateOutputs(template: Template, scope: Scope): Outputs | undefined | string {
    const declared = template.outputs;
    if (!declared?.parameters && !declared?.artifacts) return undefined;
    const outputs: Outputs = {};
    for (const parameter of declared.parameters ?? []) {
      const from = parameter.valueFrom;
      let value: string | undefined;
      if (from?.parameter !== undefined) {
        const substituted = substituteString(from.parameter, scope.vars);
        if (substituted.ok && !substituted.value.includes("{{")) value = substituted.value;
      } else if (from?.expression !== undefined) {
        const evaluated = evaluateExpression(from.expression, expandVars(scope.vars));
        if (evaluated.ok && evaluated.value !== undefined && evaluated.value !== null) {
          value = typeof evaluated.value === "string"
            ? evaluated.value
            : JSON.stringify(evaluated.value);
        }
      } else if (parameter.value !== undefined) {
        value = String(parameter.value);
      }
      if (value === undefined && from?.default !== undefined) value = String(from.default);
      if (value === undefined) {
        return `unable to resolve outputs from scope: ${
          from?.parameter ?? from?.expression ?? parameter.name
        }`;
      }
      (outputs.parameters ??= []).push({
        name: parameter.name,
        value,
        ...(parameter.globalName ? { globalName: parameter.globalName } : {}),
      });
    }
    for (const artifact of declared.artifacts ?? []) {
      if (!artifact.from) continue;
      const source = this.artifactFrom(artifact.from, scope);
      if (!source) {
        if (artifact.optional) continue;
        return `unable to resolve outputs from scope: ${artifact.from}`;
      }
      (outputs.artifacts ??= []).push({ ...source, name: artifact.name });
    }
    return outputs;
  }

  // ---------------------------------------------------------------- DAG

  executeDag(
    node: NodeStatus,
    template: Template,
    vars: Record<string, string>,
    depth: number,
  ): NodeStatus {
    const dag = template.dag!;
    if (template.parallelism) this.boundaryLimit.set(node.id, template.parallelism);
    const tasks = dag.tasks ?? [];
    const byName = new Map(tasks.map((t) => [t.name, t]));
    const deps = new Map<string, string[]>();
    const dependsText = new Map<string, string>();
    for (const task of tasks) {
      const text = task.depends ?? dependenciesToDepends(task.dependencies ?? []);
      dependsText.set(task.name, text);
      if (text.trim() === "") {
        deps.set(task.name, []);
        continue;
      }
      const parsed = parseDepends(text);
      if (!parsed.ok) return this.markPhase(node.id, "Error", parsed.error.message);
      deps.set(task.name, dependsTaskNames(parsed.value).filter((n) => byName.has(n)));
    }
    // Targets: `target`, else the leaves (tasks nothing depends on).
    const dependedOn = new Set<string>();
    for (const list of deps.values()) for (const d of list) dependedOn.add(d);
    const targets = dag.target
      ? dag.target.split(/\s+/).filter((t) => t !== "")
      : tasks.map((t) => t.name).filter((n) => !dependedOn.has(n));
    // Only the targets and what they need run.
    const needed = new Set<string>();
    const stack = [...targets];
    while (stack.length > 0) {
      const name = stack.pop()!;
      if (needed.has(name) || !byName.has(name)) continue;
      needed.add(name);
      stack.push(...(deps.get(name) ?? []));
    }
    const order = topologicalOrder(tasks.filter((t) => needed.has(t.name)), deps);
    const taskNodeName = (name: string) => childName(node.name, name);
    // Node IDs hash the node name: compute each task's once per pass.
    const ids = new Map<string, string>();
    const taskId = (name: string): string => {
      let id = ids.get(name);
      if (id === undefined) ids.set(name, id = this.id(taskNodeName(name)));
      return id;
    };
    // The scope is only needed when a task is substituted: built on first use, so a pass in
    // which nothing new starts does not copy every finished task's outputs.
    const scope = this.liveScope(vars);
    const deferred: (() => void)[] = [];
    const fullScope = (): Scope => {
      for (const add of deferred.splice(0)) add();
      return scope;
    };
    const view = (name: string): TaskResultView | undefined => {
      const n = this.nodes[taskId(name)];
      if (!n) return undefined;
      const result: TaskResultView = { phase: n.phase ?? "" };
      if (n.type === "TaskGroup") {
        result.childPhases = (n.children ?? []).map((c) => this.nodes[c]?.phase ?? "");
      }
      const continueOn = byName.get(name)?.continueOn;
      if (continueOn) result.continueOn = continueOn;
      return result;
    };
    // A task is done once it is fulfilled and so is its exit hook.
    const taskDone = (name: string): boolean => {
      const n = this.nodes[taskId(name)];
      if (!isFulfilled(n)) return false;
      const t = byName.get(name);
      if (!t || !(t.onExit || t.hooks?.exit) || n.type === "Skipped" || n.type === "TaskGroup") {
        return true;
      }
      return isFulfilled(this.nodes[this.id(`${n.name}.onExit`)]);
    };
    // failFast (default true): once a task failed, and no other task's `depends` handles that
    // failure (`A.Failed`, `A.Errored`, ...), no new task starts; the running ones finish.
    const failFast = dag.failFast !== false;
    const handled = new Set<string>();
    if (failFast) {
      for (const text of dependsText.values()) {
        for (const m of text.matchAll(/([A-Za-z0-9_-]+)\.([A-Za-z]+)/g)) {
          if (m[2] !== "Succeeded" && m[2] !== "Skipped" && m[2] !== "Daemoned") handled.add(m[1]);
        }
      }
    }
    const failsFast = (name: string, n: NodeStatus | undefined): boolean =>
      failFast && n !== undefined && failedOrError(n) &&
      !handled.has(name) && !continuesOn(byName.get(name)?.continueOn, n.phase);
    // The phase of the first failure that stopped scheduling ("" while nothing did).
    let stopped = "";
    for (const name of failFast ? order : []) {
      const n = this.nodes[taskId(name)];
      if (failsFast(name, n)) {
        stopped = n.phase!;
        break;
      }
    }
    let running = false;
    for (const name of order) {
      const task = byName.get(name)!;
      const taskName = taskNodeName(name);
      const thisId = taskId(name);
      const existing = this.nodes[thisId];
      const looped = isLooped(task);
      if (!existing && stopped) continue;
      if (isFulfilled(existing) && !looped && (task.hooks || task.onExit)) {
        const hooked = this.runChild(
          { name: taskName, displayName: name, item: task },
          node.id,
          [],
          depth,
          fullScope(),
          "tasks",
        );
        if (!isFulfilled(hooked)) {
          running = true;
          continue;
        }
      }
      if (isFulfilled(existing)) {
        if (!looped) deferred.push(() => addNodeToScope(scope, `tasks.${name}`, existing));
        else {
          deferred.push(() =>
            this.addToScope(
              scope,
              `tasks.${name}`,
              this.expand(task, taskName, name, scope),
              taskName,
            )
          );
        }
        continue;
      }
      const taskDeps = deps.get(name) ?? [];
      if (!existing) {
        if (!taskDeps.every((d) => taskDone(d))) continue;
      }
      const parents = existing
        ? []
        : taskDeps.length === 0
        ? [node.id]
        : taskDeps.flatMap((d) => this.outboundNodes(taskId(d)));
      if (!existing && taskDeps.length > 0) {
        const decision = evaluateDepends(dependsText.get(name)!, view);
        if (!decision.ok) return this.markPhase(node.id, "Error", decision.error.message);
        if (!decision.value) {
          this.createNode({
            id: thisId,
            name: taskName,
            displayName: name,
            type: "Skipped",
            ...(task.template ? { templateName: task.template } : {}),
            phase: "Omitted",
            boundaryID: node.id,
            message: "omitted: depends condition not met",
          });
          for (const p of parents) this.addChild(p, thisId);
          continue;
        }
      }
      // A running node already has its inputs: only new nodes and loops need substitution.
      const expansion: Expansion = existing && !looped
        ? { looped, children: [{ name: taskName, displayName: name, item: task }] }
        : this.expand(task, taskName, name, fullScope());
      let result: NodeStatus;
      if (expansion.error !== undefined) {
        result = existing ? this.markPhase(thisId, "Error", expansion.error) : this.createNode({
          id: thisId,
          name: taskName,
          displayName: name,
          type: "Skipped",
          phase: "Error",
          boundaryID: node.id,
          message: expansion.error,
        });
        if (!existing) { for (const p of parents) this.addChild(p, thisId); }
      } else if (!looped) {
        // An existing node's inputs are already resolved: it needs no scope.
        const childScope = existing ? scope : fullScope();
        result = this.runChild(
          expansion.children[0],
          node.id,
          parents,
          depth,
          childScope,
          "tasks",
        );
      } else if (expansion.children.length === 0) {
        for (const p of parents.slice(0, 1)) {
          this.skipNode(taskName, name, node.id, p, "Skipped, empty params");
        }
        for (const p of parents.slice(1)) this.addChild(p, thisId);
        result = this.nodes[thisId];
      } else {
        result = this.executeTaskGroup(
          task,
          taskName,
          expansion,
          node.id,
          parents,
          depth,
          fullScope(),
        );
      }
      if (!isFulfilled(result)) running = true;
      if (isFulfilled(result)) {
        deferred.push(() => this.addToScope(scope, `tasks.${name}`, expansion, taskName));
        if (!stopped && failsFast(name, result)) stopped = result.phase!;
      }
    }
    if (running) return this.nodes[node.id];
    let phase = this.assessDag(
      node.id,
      targets.map(taskId),
      byName,
      targets,
      dag.failFast !== false,
    );
    // Nothing runs and failFast stopped the rest: the DAG fails as its first failure did.
    if (phase === "Running" && stopped) phase = stopped;
    if (phase === "Running") return this.nodes[node.id];
    const outbound: string[] = [];
    for (const target of targets) {
      const id = taskId(target);
      const n = this.nodes[id];
      if (!n) continue;
      if (n.type === "TaskGroup") {
        for (const c of n.children ?? []) outbound.push(...this.outboundNodes(c));
      } else outbound.push(...this.outboundNodes(id));
    }
    if (outbound.length > 0) this.mutable(node.id).outboundNodes = outbound;
    if (phase !== "Succeeded") return this.markPhase(node.id, phase);
    const outputs = template.outputs ? this.templateOutputs(template, fullScope()) : undefined;
    if (typeof outputs === "string") return this.markPhase(node.id, "Error", outputs);
    if (outputs) this.mutable(node.id).outputs = outputs;
    this.publishGlobalOutputs(outputs, template.outputs?.parameters);
    return this.markPhase(node.id, "Succeeded");
  }

  /**
   * Argo's assessDAGPhase: a walk over the DAG's children carrying each branch's last completed
   * phase, so an Omitted target inherits the phase of the failure above it. Running while any
   * node reached is unfulfilled or a target has no node yet (unless failFast and a target branch
   * already failed); then the first failed target branch (without continueOn) decides.
   */
  assessDag(
    dagId: string,
    targetIds: string[],
    tasks: Map<string, DAGTask>,
    targets: string[],
    failFast: boolean,
  ): string {
    const targetPhases = new Map<string, string>(targetIds.map((id) => [id, ""]));
    const seen = new Set<string>();
    const queue: [string, string][] = [];
    const push = (ids: string[] | undefined, phase: string) => {
      for (const id of ids ?? []) {
        const key = `${id}/${phase}`;
        if (!seen.has(key)) {
          seen.add(key);
          queue.push([id, phase]);
        }
      }
    };
    push(this.nodes[dagId].children, "Succeeded");
    for (let i = 0; i < queue.length; i++) {
      const [id, inherited] = queue[i];
      const node = this.nodes[id];
      if (!node) continue;
      if (!isFulfilled(node)) return "Running";
      const completed = node.phase === "Succeeded" || failedOrError(node);
      const branch = completed ? node.phase! : inherited;
      const previous = targetPhases.get(id);
      if (previous !== undefined && previous !== "Failed" && previous !== "Error") {
        targetPhases.set(id, branch);
      }
      if (node.type === "Retry") {
        const last = node.children?.at(-1);
        if (last) push(this.nodes[last]?.children, branch);
      } else {
        push(node.children, branch);
      }
    }
    let result = "Succeeded";
    for (let t = 0; t < targetIds.length; t++) {
      const branch = targetPhases.get(targetIds[t]) ?? "";
      if (branch === "") {
        result = "Running";
        if (!failFast) break;
      } else if (branch === "Failed" || branch === "Error") {
        if (continuesOn(tasks.get(targets[t])?.continueOn, branch)) continue;
        result = branch;
        if (failFast) break;
      }
    }
    return result;
  }

  executeTaskGroup(
    task: DAGTask,
    name: string,
    expansion: Expansion,
    dagId: string,
    parents: string[],
    depth: number,
    scope: Scope,
  ): NodeStatus {
    const id = this.id(name);
    if (!this.nodes[id]) {
      this.createNode({
        id,
        name,
        displayName: task.name,
        type: "TaskGroup",
        ...(task.template ? { templateName: task.template } : {}),
        phase: "Running",
        boundaryID: dagId,
      });
      for (const p of parents) this.addChild(p, id);
    }
    let pending = false;
    for (const child of expansion.children) {
      const result = this.runChild(child, dagId, id, depth, scope, "tasks");
      if (!isFulfilled(result)) pending = true;
    }
    if (pending) return this.nodes[id];
    for (const childId of this.nodes[id].children ?? []) {
      const child = this.nodes[childId];
      if (child && !isSuccessful(child) && !continuesOn(task.continueOn, child.phase)) {
        return this.markPhase(id, child.phase!);
      }
    }
    return this.markPhase(id, "Succeeded");
  }

  // ---------------------------------------------------------------- progress

  /** `N/M` of pods: on pod nodes, on the Steps/DAG nodes around them, and on the workflow. */
  updateProgress(): void {
    const sums = new Map<string, [number, number]>();
    let done = 0;
    let total = 0;
    for (const id in this.nodes) {
      const node = this.nodes[id];
      if (node.type !== "Pod") continue;
      const complete = isFulfilled(node) ? 1 : 0;
      if (node.phase === "Running") this.podRunning = true;
      done += complete;
      total += 1;
      const progress = `${complete}/1`;
      // A node completed in an earlier pass keeps what it has: completed nodes never change.
      if (node.progress !== progress && (!complete || this.owned.has(id))) {
        this.mutable(id).progress = progress;
      }
      let boundary = node.boundaryID;
      for (let hop = 0; boundary && hop < MAX_DEPTH; hop++) {
        const sum = sums.get(boundary) ?? [0, 0];
        sum[0] += complete;
        sum[1] += 1;
        sums.set(boundary, sum);
        boundary = this.nodes[boundary]?.boundaryID;
      }
    }
    for (const [id, [d, t]] of sums) {
      const node = this.nodes[id];
      if (!node || (isFulfilled(node) && !this.owned.has(id))) continue;
      const progress = `${d}/${t}`;
      if (node.progress !== progress) this.mutable(id).progress = progress;
    }
    this.status.progress = `${done}/${total}`;
  }
}

function nodeType(template: Template): string {
  if (template.container || template.script) return "Pod";
  if (template.steps) return "Steps";
  if (template.dag) return "DAG";
  if (template.suspend) return "Suspend";
  if (template.http) return "HTTP";
  if (template.plugin) return "Plugin";
  return "Pod";
}

/** Whether node `name` is step `stepName` itself or one of its loop iterations. */
function isStepChild(name: string, stepName: string): boolean {
  return name === stepName || (name.startsWith(stepName) && name[stepName.length] === "(");
}

function hasLocation(artifact: Artifact): boolean {
  return ["raw", "s3", "http", "git", "gcs", "azure", "oss", "hdfs", "artifactory", "plugin"]
    .some((key) => (artifact as unknown as Record<string, unknown>)[key] !== undefined);
}

function itemVars(scope: Record<string, string>, item: LoopItem): Record<string, string> {
  return { ...scope, ...item.vars };
}

function withoutKey<T extends object>(value: T, ...keys: string[]): Partial<T> {
  const out: Record<string, unknown> = {};
  for (const [key, inner] of Object.entries(value)) if (!keys.includes(key)) out[key] = inner;
  return out as Partial<T>;
}

function asObj(value: unknown): Record<string, unknown> {
  return value as Record<string, unknown>;
}

/** Kahn's algorithm, keeping the spec's order among ready tasks. Cycles are caught by validation. */
function topologicalOrder(tasks: DAGTask[], deps: Map<string, string[]>): string[] {
  const names = new Set(tasks.map((t) => t.name));
  const indegree = new Map<string, number>();
  const dependents = new Map<string, string[]>();
  for (const task of tasks) {
    const list = (deps.get(task.name) ?? []).filter((d) => names.has(d));
    indegree.set(task.name, list.length);
    for (const d of list) {
      let out = dependents.get(d);
      if (!out) dependents.set(d, out = []);
      out.push(task.name);
    }
  }
  const order: string[] = [];
  const queue = tasks.filter((t) => indegree.get(t.name) === 0).map((t) => t.name);
  for (let i = 0; i < queue.length; i++) {
    const name = queue[i];
    order.push(name);
    for (const next of dependents.get(name) ?? []) {
      const left = indegree.get(next)! - 1;
      indegree.set(next, left);
      if (left === 0) queue.push(next);
    }
  }
  return order;
}

/**
 * Argo's inferFailedReason: the pod's own message first (DeadlineExceeded, Evicted), then a
 * failed main container (`Failed`, `<reason> (exit code N)`), then a failed init or wait
 * container (`Error`: the executor could not run or report the step); sidecars are ignored.
 */
export function failedPodReason(pod: V1Pod): [string, string] {
  const status = pod.status ?? {};
  if (status.message) return ["Failed", status.message];
  const describe = (t: { exitCode: number; reason?: string; message?: string }) =>
    `${t.reason || "Error"} (exit code ${t.exitCode})${t.message ? `: ${t.message}` : ""}`;
  for (const ctr of status.initContainerStatuses ?? []) {
    const t = ctr.state?.terminated;
    if (t && t.exitCode !== 0) return ["Error", `${ctr.name}: ${describe(t)}`];
  }
  const containers = status.containerStatuses ?? [];
  const main = containers.find((c) => c.name === MAIN_CONTAINER_NAME)?.state?.terminated;
  if (main && main.exitCode !== 0) return ["Failed", describe(main)];
  const wait = containers.find((c) => c.name === WAIT_CONTAINER_NAME)?.state?.terminated;
  if (wait && wait.exitCode !== 0) {
    return ["Error", `wait: ${describe(wait)} (outputs were not reported)`];
  }
  if (status.reason) return ["Error", status.reason];
  return ["Error", "pod failed"];
}

function latestFinishedAt(pod: V1Pod): string | undefined {
  let latest: string | undefined;
  for (const status of pod.status?.containerStatuses ?? []) {
    const finished = status.state?.terminated?.finishedAt as unknown;
    const text = finished instanceof Date
      ? finished.toISOString().replace(/\.000Z$/, "Z")
      : typeof finished === "string"
      ? finished
      : undefined;
    if (text && (!latest || Date.parse(text) > Date.parse(latest))) latest = text;
  }
  return latest;
}

/** Seconds in a suspend duration: an integer (seconds) or a Go duration such as `1m30s`. */
export function parseDuration(text: string): number | undefined {
  const trimmed = text.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed);
  const units: Record<string, number> = { h: 3600, m: 60, s: 1, ms: 0.001 };
  let total = 0;
  let rest = trimmed;
  if (rest === "") return undefined;
  while (rest !== "") {
    const match = /^(\d+(?:\.\d+)?)(ms|h|m|s)/.exec(rest);
    if (!match) return undefined;
    total += Number(match[1]) * units[match[2]];
    rest = rest.slice(match[0].length);
  }
  return total;
}
