/**
 * The contract between the pod spec the engine builds and the executor that runs in the pod
 * (`docs/executor-contract.md`): paths and environment variable names, as Argo names them. Both
 * sides import them from here, so they cannot drift apart.
 */

/** The emptyDir every container mounts: emissary's files, the progress file, the executor. */
export const VAR_RUN_ARGO = "/var/run/argo";
/** Where `exec init` copies the executor on Kubernetes (Argo: /var/run/argo/argoexec). */
export const KUBERNETES_EXECUTOR_PATH = `${VAR_RUN_ARGO}/argo-ts`;
export const PROGRESS_FILE = `${VAR_RUN_ARGO}/progress`;
export const STAGING_DIR = "/argo/staging";
/** Init writes a script template's `source` here; main gets it as its last argument. */
export const SCRIPT_SOURCE_PATH = `${STAGING_DIR}/script`;
export const INPUT_ARTIFACTS_DIR = "/argo/inputs/artifacts";
/** Main's volume mounts, seen from init and wait. */
export const MAIN_FILESYSTEM_DIR = "/mainctrfs";
/** Artifact credentials are mounted from their Secrets under `<dir>/<secret>/<key>`. */
export const SECRET_DIR = "/argo/secret";
/** Argo's `ARGO_DEADLINE` when there is none: Go's zero time. */
export const NO_DEADLINE = "0001-01-01T00:00:00Z";

/** Environment variables the pod spec sets for the executor. */
export const ENV = {
  containerName: "ARGO_CONTAINER_NAME",
  template: "ARGO_TEMPLATE",
  nodeId: "ARGO_NODE_ID",
  podName: "ARGO_POD_NAME",
  podUid: "ARGO_POD_UID",
  workflowName: "ARGO_WORKFLOW_NAME",
  workflowUid: "ARGO_WORKFLOW_UID",
  instanceId: "ARGO_INSTANCE_ID",
  includeScriptOutput: "ARGO_INCLUDE_SCRIPT_OUTPUT",
  deadline: "ARGO_DEADLINE",
  progressFile: "ARGO_PROGRESS_FILE",
  terminationGracePeriodSeconds: "ARGO_TERMINATION_GRACE_PERIOD_SECONDS",
} as const;
