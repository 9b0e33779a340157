/**
 * Names and constants of the argoproj.io API that are not in the JSON schema: phases, node types,
 * the `workflows.argoproj.io/*` labels and annotations, the kinds with their resource names, and
 * a few defaults. Values match Argo Workflows v4 so that objects we write look like Argo's.
 *
 * @module
 */

/** API group of every Argo kind. */
export const API_GROUP = "argoproj.io";
/** The one version Argo serves. */
export const API_VERSION = "v1alpha1";
/** `apiVersion` of every Argo object. */
export const API_GROUP_VERSION = "argoproj.io/v1alpha1";

/** Workflow phases (`status.phase`); a new workflow has the empty phase, shown as Pending. */
export const WORKFLOW_PHASES = ["Pending", "Running", "Succeeded", "Failed", "Error"] as const;
export type WorkflowPhase = typeof WORKFLOW_PHASES[number];
/** The phase of a workflow the controller has not looked at yet (Argo's `WorkflowUnknown`). */
export const WORKFLOW_PHASE_UNKNOWN = "";
/** Phases after which a workflow never changes again. */
export const WORKFLOW_COMPLETED_PHASES = ["Succeeded", "Failed", "Error"] as const;

/** Node phases (`status.nodes[id].phase`). */
export const NODE_PHASES = [
  "Pending",
  "Running",
  "Succeeded",
  "Skipped",
  "Failed",
  "Error",
  "Omitted",
] as const;
export type NodePhase = typeof NODE_PHASES[number];
/** Phases after which a node never changes again; Argo calls these "fulfilled". */
export const NODE_FULFILLED_PHASES = [
  "Succeeded",
  "Failed",
  "Error",
  "Skipped",
  "Omitted",
] as const;

/** Node types (`status.nodes[id].type`). */
export const NODE_TYPES = [
  "Pod",
  "Container",
  "Steps",
  "StepGroup",
  "DAG",
  "TaskGroup",
  "Retry",
  "Skipped",
  "Suspend",
  "HTTP",
  "Plugin",
] as const;
export type NodeType = typeof NODE_TYPES[number];

/** Whether `phase` is a workflow phase that never changes again. */
export function isWorkflowCompleted(phase: string | undefined): boolean {
  return (WORKFLOW_COMPLETED_PHASES as readonly string[]).includes(phase ?? "");
}

/** Whether `phase` is a node phase that never changes again. */
export function isNodeFulfilled(phase: string | undefined): boolean {
  return (NODE_FULFILLED_PHASES as readonly string[]).includes(phase ?? "");
}

/** Prefix of Argo's labels, annotations and finalizers. */
export const KEY_PREFIX = "workflows.argoproj.io/";

// Labels on Workflows.
/** "true" once the workflow completed; the controller ignores completed workflows. */
export const LABEL_COMPLETED = "workflows.argoproj.io/completed";
/** Mirrors `status.phase` so that workflows can be selected by phase. */
export const LABEL_PHASE = "workflows.argoproj.io/phase";
export const LABEL_WORKFLOW_ARCHIVING_STATUS = "workflows.argoproj.io/workflow-archiving-status";
/** Selects the controller instance that owns an object (controller `instanceID`). */
export const LABEL_CONTROLLER_INSTANCE_ID = "workflows.argoproj.io/controller-instanceid";
export const LABEL_CREATOR = "workflows.argoproj.io/creator";
export const LABEL_CREATOR_EMAIL = "workflows.argoproj.io/creator-email";
export const LABEL_CREATOR_PREFERRED_USERNAME = "workflows.argoproj.io/creator-preferred-username";
export const LABEL_ACTOR = "workflows.argoproj.io/actor";
export const LABEL_ACTOR_EMAIL = "workflows.argoproj.io/actor-email";
export const LABEL_ACTOR_PREFERRED_USERNAME = "workflows.argoproj.io/actor-preferred-username";
export const LABEL_ACTION = "workflows.argoproj.io/action";
export const LABEL_RESUBMITTED_FROM_WORKFLOW = "workflows.argoproj.io/resubmitted-from-workflow";
/** Name of the CronWorkflow that created the workflow. */
export const LABEL_CRON_WORKFLOW = "workflows.argoproj.io/cron-workflow";
/** Name of the WorkflowTemplate a workflow was submitted from. */
export const LABEL_WORKFLOW_TEMPLATE = "workflows.argoproj.io/workflow-template";
/** Name of the ClusterWorkflowTemplate a workflow was submitted from. */
export const LABEL_CLUSTER_WORKFLOW_TEMPLATE = "workflows.argoproj.io/cluster-workflow-template";
export const LABEL_WORKFLOW_EVENT_BINDING = "workflows.argoproj.io/workflow-event-binding";
/** Set on workflows created by `argo cron backfill`. */
export const LABEL_BACKFILL = "workflows.argoproj.io/backfill";
export const LABEL_ARCHIVE_STRATEGY = "workflows.argoproj.io/archive-strategy";

// Annotations on Workflows.
/** Pod name format the workflow's pods use ("v1" or "v2"). */
export const ANNOTATION_POD_NAME_FORMAT = "workflows.argoproj.io/pod-name-format";
/** Schedule time of a workflow a CronWorkflow created. */
export const ANNOTATION_SCHEDULED_TIME = "workflows.argoproj.io/scheduled-time";
export const ANNOTATION_TITLE = "workflows.argoproj.io/title";
export const ANNOTATION_DESCRIPTION = "workflows.argoproj.io/description";
export const ANNOTATION_VERSION = "workflows.argoproj.io/version";
/** On a template: the display name of its nodes. */
export const ANNOTATION_DISPLAY_NAME = "workflows.argoproj.io/display-name";

/** Finalizer Argo puts on workflows whose artifacts are garbage-collected. */
export const FINALIZER_ARTIFACT_GC = "workflows.argoproj.io/artifact-gc";
/** Optional finalizer on pods, removed once the controller has read their status. */
export const FINALIZER_POD_STATUS = "workflows.argoproj.io/status";

// Labels on pods (and, for LABEL_WORKFLOW, on WorkflowTaskResults).
/** Name of the workflow a pod or task result belongs to. */
export const LABEL_WORKFLOW = "workflows.argoproj.io/workflow";
/** "true" on exit-handler pods, which stopping a workflow does not kill. */
export const LABEL_ON_EXIT = "workflows.argoproj.io/on-exit";

// Annotations on pods.
export const ANNOTATION_NODE_NAME = "workflows.argoproj.io/node-name";
export const ANNOTATION_NODE_ID = "workflows.argoproj.io/node-id";
/** `<strategy>/<delay>` the pod GC applies to the pod. */
export const ANNOTATION_POD_GC_STRATEGY = "workflows.argoproj.io/pod-gc-strategy";
/** Initial progress of a node, written by the executor. */
export const ANNOTATION_PROGRESS = "workflows.argoproj.io/progress";
/** Prefix of `kill-cmd-<container>`: the command that stops a sidecar. */
export const ANNOTATION_KILL_CMD_PREFIX = "workflows.argoproj.io/kill-cmd-";
export const ANNOTATION_TRACE_ID = "workflows.argoproj.io/trace-id";
export const ANNOTATION_SPAN_ID = "workflows.argoproj.io/span-id";
/** Kubernetes' annotation naming the container `kubectl logs` shows by default. */
export const ANNOTATION_DEFAULT_CONTAINER = "kubectl.kubernetes.io/default-container";

// Annotations on Kubernetes Events about nodes and workflows.
export const ANNOTATION_EVENT_NODE_NAME = "workflows.argoproj.io/node-name";
export const ANNOTATION_EVENT_NODE_TYPE = "workflows.argoproj.io/node-type";
export const ANNOTATION_EVENT_NODE_ID = "workflows.argoproj.io/node-id";
export const ANNOTATION_EVENT_NODE_START_TIME = "workflows.argoproj.io/node-start-time";
export const ANNOTATION_EVENT_WORKFLOW_NAME = "workflows.argoproj.io/workflow-name";
export const ANNOTATION_EVENT_WORKFLOW_UID = "workflows.argoproj.io/workflow-uid";

// ConfigMaps.
/** Label saying what a ConfigMap holds; values in CONFIGMAP_TYPES. */
export const LABEL_CONFIGMAP_TYPE = "workflows.argoproj.io/configmap-type";
export const CONFIGMAP_TYPES = ["Parameter", "Cache", "ExecutorPlugin"] as const;
export type ConfigMapType = typeof CONFIGMAP_TYPES[number];
/** On an artifact-repositories ConfigMap: the key of the default repository. */
export const ANNOTATION_DEFAULT_ARTIFACT_REPOSITORY =
  "workflows.argoproj.io/default-artifact-repository";

/** On a namespace: the maximum number of running workflows in it. */
export const LABEL_PARALLELISM_LIMIT = "workflows.argoproj.io/parallelism-limit";

// CronWorkflows.
/** "true" once a CronWorkflow has stopped scheduling (its stop strategy matched). */
export const LABEL_CRON_WORKFLOW_COMPLETED = "cronworkflows.argoproj.io/completed";
export const ANNOTATION_LAST_USED_SCHEDULE = "workflows.argoproj.io/last-used-schedule";

// WorkflowTaskResults.
/** "false" while the executor is still writing a task result, "true" once it is complete. */
export const LABEL_REPORT_OUTPUTS_COMPLETED = "workflows.argoproj.io/report-outputs-completed";

/** Container names in a workflow pod. */
export const MAIN_CONTAINER_NAME = "main";
export const WAIT_CONTAINER_NAME = "wait";
export const INIT_CONTAINER_NAME = "init";

/** The argoproj.io kinds, as Argo installs them. */
export type ArgoKind =
  | "Workflow"
  | "WorkflowTemplate"
  | "ClusterWorkflowTemplate"
  | "CronWorkflow"
  | "WorkflowEventBinding"
  | "WorkflowTaskResult"
  | "WorkflowTaskSet"
  | "WorkflowArtifactGCTask";

/** How a kind is served: its resource names and scope. */
export interface KindInfo {
  kind: ArgoKind;
  listKind: string;
  plural: string;
  singular: string;
  shortNames: readonly string[];
  namespaced: boolean;
  /** Whether status is a separate subresource (`/status`); Argo's Workflow CRD has none. */
  statusSubresource: boolean;
}

function kindInfo(
  kind: ArgoKind,
  shortNames: readonly string[],
  options: { namespaced?: boolean; statusSubresource?: boolean } = {},
): KindInfo {
  const singular = kind.toLowerCase();
  return {
    kind,
    listKind: `${kind}List`,
    plural: `${singular}s`,
    singular,
    shortNames,
    namespaced: options.namespaced ?? true,
    statusSubresource: options.statusSubresource ?? false,
  };
}

/** Every argoproj.io kind, keyed by kind name. */
export const KINDS: Readonly<Record<ArgoKind, KindInfo>> = {
  Workflow: kindInfo("Workflow", ["wf"]),
  WorkflowTemplate: kindInfo("WorkflowTemplate", ["wftmpl"]),
  // Argo's own short names are clusterwftmpl and cwft; cwftmpl is accepted as well.
  ClusterWorkflowTemplate: kindInfo(
    "ClusterWorkflowTemplate",
    ["clusterwftmpl", "cwft", "cwftmpl"],
    {
      namespaced: false,
    },
  ),
  CronWorkflow: kindInfo("CronWorkflow", ["cwf", "cronwf"]),
  WorkflowEventBinding: kindInfo("WorkflowEventBinding", ["wfeb"]),
  WorkflowTaskResult: kindInfo("WorkflowTaskResult", []),
  WorkflowTaskSet: kindInfo("WorkflowTaskSet", ["wfts"], { statusSubresource: true }),
  WorkflowArtifactGCTask: kindInfo("WorkflowArtifactGCTask", ["wfat"], {
    statusSubresource: true,
  }),
};

/** The kind whose plural resource name or short name is `name` (as `kubectl get NAME` reads it). */
export function kindForResource(name: string): KindInfo | undefined {
  const lower = name.toLowerCase();
  // The singular name is the kind in lower case, so it also matches `Workflow`.
  return Object.values(KINDS).find((k) =>
    k.plural === lower || k.singular === lower || k.shortNames.includes(lower)
  );
}
