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
    return { status, actions: [], labels: workflowLabels("Error") };
  }
}

function workflowLabels(phase: string): Record<string, string> {
  return { [LABEL_PHASE]: phase, [LABEL_COMPLETED]: String(isWorkflowCompleted(phase)) };
}

export function isFulfilled(node: NodeStatus | undefined): boolean {
  return node !== undefined && COMPLETED_NODE_PHASES.has(node.phase ?? "");
}

/** Argo's Successful(): Succeeded or Skipped (an Omitted node is neither). */
function isSuccessful(node: NodeStatus): boolean {
  return node.phase === "Succeeded" || node.phase === "Skipped";
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
    }
    this.shutdown = this.spec.shutdown || undefined;
    this.countActive();
    const root = this.executeTemplate(
      this.wfName,
      { template: this.spec.entrypoint },
      this.spec.arguments,
      "",
      this.wfName,
      0,
    );
    const done = isFulfilled(root) ? this.runExitHandler(root) : undefined;
    this.updateProgress();
    status.nodes = this.nodes;
    if (done) {
      status.phase = done.phase;
      status.finishedAt = this.now;
      if (done.message) status.message = done.message;
    }
    status.conditions = this.conditions(status);
    this.emitEvents(status);
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
    const handler = this.spec.onExit;
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
    return m;
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
      const source = ref.clusterScope
        ? this.snapshot.clusterWorkflowTemplates.find((t) => t.metadata.name === ref.name)
        : this.snapshot.workflowTemplates.find((t) => t.metadata.name === ref.name);
      const kind = ref.clusterScope ? "ClusterWorkflowTemplate" : "WorkflowTemplate";
      if (!source) return `${kind} '${ref.name}' not found`;
      template = source.spec.templates?.find((t) => t.name === ref.template);
      if (!template) return `template ${ref.template} not found in ${kind} ${ref.name}`;
      scope = `${ref.clusterScope ? "cluster" : "namespaced"}/${ref.name}`;
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
    if (depth > MAX_DEPTH) {
      return this.errorNode(
        existing,
        { ...base, type: "Skipped", ...boundary },
        `maximum recursion depth exceeded (${MAX_DEPTH})`,
      );
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
      templateScope: resolved.templateScope,
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
      if (this.shutdown && !(this.inExitHandler && this.shutdown === "Stop")) {
        // Nothing new starts once the workflow is being stopped.
        return this.createNode({
          ...fields,
          type: "Skipped",
          phase: "Failed",
          message: `workflow shutdown with strategy: ${this.shutdown}`,
        });
      }
      // At a parallelism limit the node is not created yet; its parent waits.
      if (!this.mayStart(type, boundaryID)) return { ...fields, phase: "Pending" };
    }
    if (template.retryStrategy && attempt === undefined) {
      return this.executeRetry(
        existing,
        { ...fields, type: "Retry" },
        inputs,
        template,
        (index) =>
          this.executeTemplate(
            `${nodeName}(${index})`,
            holder,
            args,
            boundaryID,
            `${displayName}(${index})`,
            depth,
            scope,
            index,
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
      });
    }
    if (
      this.shutdown && (type === "Pod" || type === "Suspend") &&
      !(this.inExitHandler && this.shutdown === "Stop")
    ) {
      const observed = this.pods.get(pod);
      const podPhase = observed?.status?.phase;
      if (type === "Suspend" || (podPhase !== "Succeeded" && podPhase !== "Failed")) {
        if (observed) {
          this.actions.push({
            type: "deletePod",
            namespace: observed.metadata?.namespace ?? this.wf.metadata.namespace ?? "",
            name: pod,
          });
        }
        return this.markPhase(
          node.id,
          "Failed",
          `workflow shutdown with strategy: ${this.shutdown}`,
        );
      }
    }
    // A pod node whose pod exists needs no template work: only the pod's state matters.
    if (type === "Pod" && (node.phase !== "Pending" || this.pods.has(pod))) {
      return this.assessPod(node, pod, template);
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
        return this.executeSteps(node, tmpl, vars, depth);
      case "DAG":
        return this.executeDag(node, tmpl, vars, depth);
      case "Suspend":
        return this.executeSuspend(node, tmpl);
    }
    return this.errorNode(node, fields, "template has no template type");
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
    const strategy = template.retryStrategy!;
    const hasInputs = inputs.parameters !== undefined || inputs.artifacts !== undefined;
    const retry = existing ??
      this.createNode({ ...fields, phase: "Running", ...(hasInputs ? { inputs } : {}) });
    const limit = strategy.limit === undefined ? Infinity : Number(strategy.limit);
    const policy = strategy.retryPolicy ?? "OnFailure";
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
        const retryable = policy === "Always" ||
          (policy === "OnFailure" && last.phase === "Failed") ||
          (policy === "OnError" && last.phase === "Error");
        if (!retryable) return this.markPhase(retry.id, last.phase!, last.message);
        if (children.length > limit) {
          return this.markPhase(retry.id, last.phase!, "No more retries left");
        }
        const wait = this.backoffRemaining(strategy.backoff, children.length, last);
        if (wait > 0) {
          this.requeueAfter = Math.min(this.requeueAfter ?? wait, wait);
          return this.nodes[retry.id];
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

  /** Seconds left before the next attempt may start: `duration * factor^(attempts-1)`. */
  backoffRemaining(
    backoff: { duration?: string; factor?: number | string } | undefined,
    attempts: number,
    last: NodeStatus,
  ): number {
    if (!backoff?.duration || !last.finishedAt) return 0;
    const base = parseDuration(backoff.duration);
    if (base === undefined) return 0;
    const factor = backoff.factor === undefined ? 1 : Number(backoff.factor);
    const delay = base * Math.pow(Number.isFinite(factor) ? factor : 1, attempts - 1);
    const due = Date.parse(last.finishedAt) + delay * 1000;
    return due > this.nowMs ? Math.ceil((due - this.nowMs) / 1000) : 0;
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
      ...(this.deadline() ? { deadline: this.deadline() } : {}),
    });
    if (!built.ok) return this.markPhase(node.id, "Error", built.message);
    this.actions.push({ type: "createPod", pod: built.pod });
    return node;
  }

  deadline(): string | undefined {
    const seconds = this.spec.activeDeadlineSeconds;
    if (seconds === undefined || !this.status.startedAt) return undefined;
    return new Date(Date.parse(this.status.startedAt) + seconds * 1000).toISOString()
      .replace(/\.000Z$/, "Z");
  }

  /** The node's phase from its observed pod and, once the pod is done, its task result. */
  assessPod(node: NodeStatus, pod: string, template: Template): NodeStatus {
    const observed = this.pods.get(pod);
    if (!observed) {
      if (node.phase === "Pending") return node;
      return this.markPhase(node.id, "Error", "pod deleted");
    }
    const podPhase = observed.status?.phase;
    const main = observed.status?.containerStatuses?.find((c) => c.name === MAIN_CONTAINER_NAME);
    const terminated = main?.state?.terminated;
    switch (podPhase) {
      case "Pending":
        return node;
      case "Running":
        return this.markPhase(node.id, "Running");
      case "Succeeded": {
        const result = this.taskResults.get(node.id);
        if (result?.metadata.labels?.[LABEL_REPORT_OUTPUTS_COMPLETED] !== "true") {
          // The pod is done but its outputs have not arrived: not yet fulfilled.
          return this.markPhase(node.id, "Running");
        }
        this.finished(node);
        const m = this.mutable(node.id);
        const outputs = this.podOutputs(result, terminated?.exitCode, template);
        if (outputs) m.outputs = outputs;
        this.publishGlobalOutputs(outputs, template.outputs?.parameters);
        m.phase = "Succeeded";
        m.finishedAt = latestFinishedAt(observed) ?? this.now;
        this.status.taskResultsCompletionStatus = {
          ...(this.status.taskResultsCompletionStatus ?? {}),
          [node.id]: true,
        };
        return m;
      }
      case "Failed": {
        this.finished(node);
        const m = this.mutable(node.id);
        const result = this.taskResults.get(node.id);
        const outputs = this.podOutputs(result, terminated?.exitCode, template);
        if (outputs) m.outputs = outputs;
        if (terminated && terminated.exitCode !== 0) {
          m.phase = "Failed";
          m.message = `${terminated.reason || "Error"} (exit code ${terminated.exitCode})` +
            (terminated.message ? `: ${terminated.message}` : "");
        } else {
          m.phase = "Error";
          m.message = observed.status?.message ?? observed.status?.reason ?? "pod failed";
        }
        m.finishedAt = latestFinishedAt(observed) ?? this.now;
        return m;
      }
    }
    return node;
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
          templateScope: node.templateScope,
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
    if (!looped) {
      const substituted = substitute(step as unknown as JsonValue, scope.vars);
      if (!substituted.ok) {
        return { looped, children: [], error: substituted.error.message };
      }
      return { looped, children: [{ name, displayName, item: substituted.value as T }] };
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
    const body = withoutKey(step, "withItems", "withParam", "withSequence") as unknown as JsonValue;
    const children: Expansion["children"] = [];
    for (const item of expanded.items) {
      const substituted = substitute(body, itemVars(scope.vars, item));
      if (!substituted.ok) return { looped, children: [], error: substituted.error.message };
      const childNodeName = loopChildName(name, item.index, item.description);
      children.push({
        name: childNodeName,
        displayName: loopChildName(displayName, item.index, item.description),
        item: substituted.value as T,
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
  ): NodeStatus {
    const id = this.id(child.name);
    const existing = this.nodes[id];
    if (isFulfilled(existing)) return existing;
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
    return node;
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
    let running = false;
    for (const name of order) {
      const task = byName.get(name)!;
      const taskName = taskNodeName(name);
      const thisId = taskId(name);
      const existing = this.nodes[thisId];
      const looped = isLooped(task);
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
        if (!taskDeps.every((d) => isFulfilled(this.nodes[taskId(d)]))) continue;
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
        result = this.runChild(expansion.children[0], node.id, parents, depth, childScope);
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
      }
    }
    if (running) return this.nodes[node.id];
    const phase = this.assessDag(
      node.id,
      targets.map(taskId),
      byName,
      targets,
      dag.failFast !== false,
    );
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
      const result = this.runChild(child, dagId, id, depth, scope);
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
