/**
 * Builds the pod that runs one container or script node, in Argo v4's "legacy" layout (not the
 * init-less one): an `init` container that stages the script and input artifacts, `wait` (the
 * executor collecting outputs), `main` (the user's command wrapped by `<executor> emissary --`)
 * and the template's sidecars. `docs/executor-contract.md` is the other half of this file: what
 * the executor may rely on in the pod built here.
 *
 * Pure: no I/O, no clock, no randomness. The same input gives a deep-equal pod.
 *
 * @module
 */
import type {
  V1Container,
  V1EnvVar,
  V1Pod,
  V1Volume,
  V1VolumeMount,
} from "@kubernetes/client-node";
import { parse as parseYaml } from "yaml";
import type {
  Artifact,
  Template,
  TemplateRef,
  UserContainer,
  Workflow,
} from "../../api/types.gen.ts";
import {
  ANNOTATION_DEFAULT_CONTAINER,
  ANNOTATION_NODE_ID,
  ANNOTATION_NODE_NAME,
  API_GROUP_VERSION,
  INIT_CONTAINER_NAME,
  LABEL_COMPLETED,
  LABEL_CONTROLLER_INSTANCE_ID,
  LABEL_ON_EXIT,
  LABEL_WORKFLOW,
  MAIN_CONTAINER_NAME,
  WAIT_CONTAINER_NAME,
} from "../../api/meta.ts";
import {
  type JsonObject,
  type PatchSchemaInfo,
  POD_SPEC_PATCH_SCHEMA,
  podPatchTypes,
  strategicMerge,
} from "../../api/strategic_merge.ts";
import type { ArtifactRepositoryConfig, ControllerConfig } from "./config.ts";
import {
  ENV,
  INPUT_ARTIFACTS_DIR,
  KUBERNETES_EXECUTOR_PATH,
  MAIN_FILESYSTEM_DIR,
  NO_DEADLINE,
  PROGRESS_FILE,
  SCRIPT_SOURCE_PATH,
  SECRET_DIR,
  STAGING_DIR,
  VAR_RUN_ARGO,
} from "../../api/executor_contract.ts";
// Paths and names shared with the executor (docs/executor-contract.md), as Argo names them.
export {
  ENV,
  INPUT_ARTIFACTS_DIR,
  KUBERNETES_EXECUTOR_PATH,
  MAIN_FILESYSTEM_DIR,
  NO_DEADLINE,
  PROGRESS_FILE,
  SCRIPT_SOURCE_PATH,
  SECRET_DIR,
  STAGING_DIR,
  VAR_RUN_ARGO,
} from "../../api/executor_contract.ts";

export interface PodBuildInput {
  /** Metadata (name, namespace, uid, labels, annotations) and the effective spec. */
  workflow: Workflow;
  node: {
    id: string;
    name: string;
    displayName: string;
    templateName?: string;
    templateRef?: TemplateRef;
  };
  podName: string;
  /** The resolved, substituted template that runs (template defaults already merged). */
  template: Template;
  config: ControllerConfig;
  /** The pod belongs to an exit handler (label `workflows.argoproj.io/on-exit=true`). */
  onExit: boolean;
  /** RFC 3339 workflow deadline, if any. */
  deadline?: string;
  /**
   * `retryStrategy.affinity.nodeAntiAffinity`: hosts where earlier attempts failed; the pod gets
   * a required node affinity `kubernetes.io/hostname NotIn` them.
   */
  avoidHosts?: string[];
}

export type PodBuildResult = { ok: true; pod: V1Pod } | { ok: false; message: string };

export const VAR_RUN_ARGO_VOLUME = "var-run-argo";
/** The node directory of argo-ts's filesystem artifact repository, mounted into init and wait. */
export const ARTIFACT_REPOSITORY_VOLUME = "argo-ts-artifacts";
export const STAGING_VOLUME = "argo-staging";
export const INPUT_ARTIFACTS_VOLUME = "input-artifacts";

const CONTAINER_SCHEMA: PatchSchemaInfo = { types: podPatchTypes, root: "Container" };
const DEFAULT_ARCHIVE_KEY = "{{workflow.name}}/{{pod.name}}";
/** Nesting accepted when walking artifact locations for secret references. */
const MAX_LOCATION_DEPTH = 8;

/** Thrown inside this module only; `buildPod` turns it into an error result. */
class BuildError extends Error {}

/** Builds the pod for a container or script node, or says why it cannot be built. */
export function buildPod(input: PodBuildInput): PodBuildResult {
  try {
    return { ok: true, pod: build(input) };
  } catch (e) {
    if (e instanceof BuildError) return { ok: false, message: e.message };
    throw e;
  }
}

function build(input: PodBuildInput): V1Pod {
  const { workflow, template: tmpl, config, podName } = input;
  const spec = workflow.spec;
  const wfName = workflow.metadata.name ?? "";
  if (!tmpl.container && !tmpl.script) {
    throw new BuildError(
      `template "${tmpl.name ?? ""}" is not a container or script template: no pod to build`,
    );
  }

  // main: the template's container under the ConfigMap's mainContainer defaults.
  const { source: _source, ...scriptCtr } = tmpl.script ?? { source: "" };
  const ownCtr = clone(tmpl.container ?? scriptCtr) as JsonObject;
  let main = ownCtr;
  if (config.mainContainer) {
    main = merged(clone(config.mainContainer) as JsonObject, ownCtr, CONTAINER_SCHEMA, "main");
  }
  const { name: _name, ...mainFields } = main;
  const mainCtr = v1<V1Container>({ name: MAIN_CONTAINER_NAME, ...mainFields });
  if (tmpl.script) mainCtr.args = [...(mainCtr.args ?? []), SCRIPT_SOURCE_PATH];

  const executorTemplate = templateForExecutor(input);
  const init = executorContainer(INIT_CONTAINER_NAME, config);
  const wait = executorContainer(WAIT_CONTAINER_NAME, config);

  const containers: V1Container[] = [wait, mainCtr];
  const initContainers: V1Container[] = [init];
  const volumes: V1Volume[] = [{ name: VAR_RUN_ARGO_VOLUME, emptyDir: {} }];
  for (const vol of tmpl.volumes ?? []) volumes.push(v1<V1Volume>(clone(vol)));

  addVolumeReferences(input, volumes, mainCtr);
  addSecretVolumes(executorTemplate, volumes, init, wait);
  addInputArtifactVolumes(tmpl, volumes, init, mainCtr);
  const repositoryPath = config.artifactRepository?.filesystem?.path;
  if (repositoryPath) {
    // argo-ts's filesystem repository (the embedded cluster's default): init reads input
    // artifacts from it and wait writes output artifacts to it, so both mount it from the node.
    volumes.push({
      name: ARTIFACT_REPOSITORY_VOLUME,
      hostPath: { path: repositoryPath, type: "DirectoryOrCreate" },
    });
    const mount = { name: ARTIFACT_REPOSITORY_VOLUME, mountPath: repositoryPath };
    init.volumeMounts = [...(init.volumeMounts ?? []), mount];
    wait.volumeMounts = [...(wait.volumeMounts ?? []), { ...mount }];
  }
  if (tmpl.script) {
    volumes.push({ name: STAGING_VOLUME, emptyDir: {} });
    const mount = { name: STAGING_VOLUME, mountPath: STAGING_DIR };
    init.volumeMounts = [...(init.volumeMounts ?? []), mount];
    mainCtr.volumeMounts = [...(mainCtr.volumeMounts ?? []), { ...mount }];
  }
  // Mirroring happens once main's mounts are final, as in Argo.
  for (const c of tmpl.initContainers ?? []) initContainers.push(userContainer(c, mainCtr));
  for (const c of tmpl.sidecars ?? []) containers.push(userContainer(c, mainCtr));
  for (const mnt of mainCtr.volumeMounts ?? []) {
    // wait reads output artifacts from main's volumes under /mainctrfs; it must be able to
    // write there too (overlapping mounts), hence readOnly false.
    wait.volumeMounts = [...(wait.volumeMounts ?? []), {
      ...mnt,
      mountPath: joinPath(MAIN_FILESYSTEM_DIR, mnt.mountPath),
      readOnly: false,
    }];
  }

  const pod: V1Pod = {
    apiVersion: "v1",
    kind: "Pod",
    metadata: {
      name: podName,
      namespace: workflow.metadata.namespace,
      labels: podLabels(input),
      annotations: podAnnotations(input),
      ownerReferences: [{
        apiVersion: API_GROUP_VERSION,
        kind: "Workflow",
        name: wfName,
        uid: workflow.metadata.uid ?? "",
        controller: true,
        blockOwnerDeletion: true,
      }],
    },
    spec: {
      restartPolicy: "Never",
      initContainers,
      containers,
      volumes,
    },
  };
  const podSpec = pod.spec!;
  const activeDeadlineSeconds = podDeadlineSeconds(input);
  if (activeDeadlineSeconds !== undefined) podSpec.activeDeadlineSeconds = activeDeadlineSeconds;
  const serviceAccountName = tmpl.serviceAccountName || spec.serviceAccountName;
  if (serviceAccountName) podSpec.serviceAccountName = serviceAccountName;
  setAutomountToken(input, podSpec);
  Object.assign(podSpec, clone(schedulingFields(input)));
  if (input.avoidHosts && input.avoidHosts.length > 0) avoidHosts(podSpec, input.avoidHosts);

  // Environment. Argo sets ARGO_TEMPLATE on init only and lets init write it for the others;
  // argo-ts hands it to init, wait and main so no executor mode depends on another's files.
  const templateJson = JSON.stringify(executorTemplate);
  const common = commonEnv(input);
  const execEnv = config.executor.env ?? [];
  init.env = [...(init.env ?? []), ...envFor(init.name, templateJson, common, true), ...execEnv];
  wait.env = [...(wait.env ?? []), ...envFor(wait.name, templateJson, common, true), ...execEnv];
  mainCtr.env = [
    ...(mainCtr.env ?? []),
    ...envFor(MAIN_CONTAINER_NAME, templateJson, common, true),
  ];
  // Sidecars and user init containers get the variables but not the template: emissary in a
  // sidecar reads /var/run/argo/template, which init writes.
  for (const c of [...containers.slice(2), ...initContainers.slice(1)]) {
    c.env = [...(c.env ?? []), ...envFor(c.name, undefined, common, false)];
  }
  for (const c of initContainers) c.volumeMounts = [...(c.volumeMounts ?? []), varRunArgoMount()];

  // podSpecPatch runs before the command is resolved, as in Argo: a patch may set main's image
  // or command.
  const patched = applyPodSpecPatches(input, pod);
  for (const c of patched.containers) {
    if (c.name !== WAIT_CONTAINER_NAME) wrapInEmissary(c, config);
    c.volumeMounts = [...(c.volumeMounts ?? []), varRunArgoMount()];
    const grace = patched.terminationGracePeriodSeconds;
    if (grace !== undefined && grace !== null) {
      c.env = [...(c.env ?? []), { name: ENV.terminationGracePeriodSeconds, value: String(grace) }];
    }
  }
  pod.spec = patched;
  return pod;
}

// ---------------------------------------------------------------------------------------------
// Metadata

function podLabels({ workflow, template, config, onExit }: PodBuildInput): Record<string, string> {
  const labels: Record<string, string> = {
    ...workflow.spec.podMetadata?.labels,
    ...template.metadata?.labels,
  };
  // The controller's own keys are set last: a user label must not detach the pod from its
  // workflow (Argo lets podMetadata overwrite them; nothing good comes of it).
  labels[LABEL_WORKFLOW] = workflow.metadata.name ?? "";
  labels[LABEL_COMPLETED] = "false";
  if (onExit) labels[LABEL_ON_EXIT] = "true";
  if (config.instanceID) labels[LABEL_CONTROLLER_INSTANCE_ID] = config.instanceID;
  return labels;
}

function podAnnotations({ workflow, template, node }: PodBuildInput): Record<string, string> {
  return {
    ...workflow.spec.podMetadata?.annotations,
    ...template.metadata?.annotations,
    [ANNOTATION_NODE_NAME]: node.name,
    [ANNOTATION_NODE_ID]: node.id,
    [ANNOTATION_DEFAULT_CONTAINER]: MAIN_CONTAINER_NAME,
  };
}

// ---------------------------------------------------------------------------------------------
// Spec fields taken from the template, else the workflow

/**
 * The template's activeDeadlineSeconds, bounded by the workflow's. Argo bounds it by the time
 * left until the workflow deadline; this function has no clock, so it bounds it by the
 * workflow's whole budget (an upper bound of the time left) and the executor enforces the exact
 * deadline from ARGO_DEADLINE. Exit handlers ignore the workflow deadline, as in Argo.
 */
function podDeadlineSeconds({ template, workflow, onExit }: PodBuildInput): number | undefined {
  const raw = template.activeDeadlineSeconds;
  let own: number | undefined;
  if (raw !== undefined) {
    own = typeof raw === "number" ? raw : Number(raw.trim());
    if (!Number.isInteger(own)) {
      throw new BuildError(`activeDeadlineSeconds "${raw}" is not an integer number of seconds`);
    }
  }
  const wf = workflow.spec.activeDeadlineSeconds;
  if (onExit || wf === undefined) return own;
  return own === undefined ? wf : Math.min(own, wf);
}

function setAutomountToken(
  { template, workflow }: PodBuildInput,
  podSpec: NonNullable<V1Pod["spec"]>,
): void {
  const automount = template.automountServiceAccountToken ??
    workflow.spec.automountServiceAccountToken;
  // Argo only writes the field to turn the token off.
  if (automount !== false) return;
  podSpec.automountServiceAccountToken = false;
  const executorAccount = template.executor?.serviceAccountName ||
    workflow.spec.executor?.serviceAccountName;
  if (!executorAccount) {
    throw new BuildError(
      "executor.serviceAccountName must not be empty if automountServiceAccountToken is false",
    );
  }
  // Argo mounts the executor account's token Secret, found by an API lookup this pure
  // function cannot make.
  throw new BuildError(
    "executor.serviceAccountName (with automountServiceAccountToken: false) is not supported yet",
  );
}

/**
 * Adds `kubernetes.io/hostname NotIn hosts` to every required node selector term (one term if
 * there is none), as Argo's RetryAffinity does.
 */
function avoidHosts(podSpec: NonNullable<V1Pod["spec"]>, hosts: string[]): void {
  const requirement = { key: "kubernetes.io/hostname", operator: "NotIn", values: [...hosts] };
  const affinity = podSpec.affinity ??= {};
  const nodeAffinity = affinity.nodeAffinity ??= {};
  const required = nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution ??= {
    nodeSelectorTerms: [],
  };
  if (required.nodeSelectorTerms.length === 0) {
    required.nodeSelectorTerms.push({ matchExpressions: [requirement] });
    return;
  }
  for (const term of required.nodeSelectorTerms) {
    term.matchExpressions = [...(term.matchExpressions ?? []), { ...requirement }];
  }
}

function schedulingFields({ template: t, workflow }: PodBuildInput): Record<string, unknown> {
  const w = workflow.spec;
  const out: Record<string, unknown> = {};
  const nonEmpty = (m: Record<string, string> | undefined) => m && Object.keys(m).length > 0;
  const nodeSelector = nonEmpty(t.nodeSelector) ? t.nodeSelector : w.nodeSelector;
  if (nonEmpty(nodeSelector)) out.nodeSelector = nodeSelector;
  if (t.affinity ?? w.affinity) out.affinity = t.affinity ?? w.affinity;
  const tolerations = t.tolerations?.length ? t.tolerations : w.tolerations;
  if (tolerations?.length) out.tolerations = tolerations;
  if (t.schedulerName || w.schedulerName) out.schedulerName = t.schedulerName || w.schedulerName;
  const priorityClassName = t.priorityClassName || w.podPriorityClassName;
  if (priorityClassName) out.priorityClassName = priorityClassName;
  // Host aliases add up: the workflow's, then the template's.
  const hostAliases = [...(w.hostAliases ?? []), ...(t.hostAliases ?? [])];
  if (hostAliases.length) out.hostAliases = hostAliases;
  if (t.securityContext ?? w.securityContext) {
    out.securityContext = t.securityContext ?? w.securityContext;
  }
  if (w.imagePullSecrets?.length) out.imagePullSecrets = w.imagePullSecrets;
  if (w.hostNetwork !== undefined) out.hostNetwork = w.hostNetwork;
  if (w.dnsPolicy) out.dnsPolicy = w.dnsPolicy;
  if (w.dnsConfig) out.dnsConfig = w.dnsConfig;
  return out;
}

// ---------------------------------------------------------------------------------------------
// Containers

function executorContainer(name: string, config: ControllerConfig): V1Container {
  const ex = config.executor;
  const ctr: V1Container = { name, image: ex.image, command: [...ex.command, name] };
  if (ex.imagePullPolicy) ctr.imagePullPolicy = ex.imagePullPolicy;
  if (ex.resources) ctr.resources = clone(ex.resources);
  if (ex.securityContext) ctr.securityContext = clone(ex.securityContext);
  return ctr;
}

/** A template init container or sidecar, with main's mounts when it asks for them. */
function userContainer(c: UserContainer, main: V1Container): V1Container {
  const { mirrorVolumeMounts, ...rest } = clone(c);
  const ctr = v1<V1Container>(rest);
  if (mirrorVolumeMounts) {
    ctr.volumeMounts = [...(ctr.volumeMounts ?? []), ...clone(main.volumeMounts ?? [])];
  }
  return ctr;
}

/**
 * The command inside main and sidecars. On the embedded cluster the executor command starts
 * with an absolute path (the host's program, visible in every sandbox) and is used verbatim.
 * A bare program name (`argo-ts`) exists only on the executor image's PATH, like Argo's
 * `argoexec`; there main runs the copy `exec init` leaves at /var/run/argo/argo-ts.
 */
export function executorCommandInMain(config: ControllerConfig): string[] {
  const [program, ...rest] = config.executor.command;
  if (program === undefined) return [KUBERNETES_EXECUTOR_PATH];
  return program.startsWith("/") ? [program, ...rest] : [KUBERNETES_EXECUTOR_PATH, ...rest];
}

function wrapInEmissary(c: V1Container, config: ControllerConfig): void {
  let command = c.command ?? [];
  if (command.length === 0) {
    const known = c.image ? config.images?.[c.image] : undefined;
    command = known?.cmd ?? [];
    // nil args take the image's; empty args stay empty, as in Kubernetes and Argo.
    if (c.args === undefined && known?.args) c.args = [...known.args];
  }
  if (command.length === 0) {
    throw new BuildError(
      `container "${c.name}": failed to look up the entrypoint of image "${c.image ?? ""}": ` +
        `either set the template's command, or list the image under "images" in the ` +
        `workflow-controller-configmap (images: {"${c.image ?? ""}": {cmd: [...]}})`,
    );
  }
  c.command = [...executorCommandInMain(config), "emissary", "--", ...command];
}

function varRunArgoMount(): V1VolumeMount {
  return { name: VAR_RUN_ARGO_VOLUME, mountPath: VAR_RUN_ARGO };
}

// ---------------------------------------------------------------------------------------------
// Environment

/** Variables every container gets (besides its name and, for init/wait/main, the template). */
function commonEnv(input: PodBuildInput): V1EnvVar[] {
  const { workflow, node, config, onExit, deadline } = input;
  const env: V1EnvVar[] = [
    { name: ENV.nodeId, value: node.id },
    {
      name: ENV.podName,
      valueFrom: { fieldRef: { apiVersion: "v1", fieldPath: "metadata.name" } },
    },
    { name: ENV.podUid, valueFrom: { fieldRef: { apiVersion: "v1", fieldPath: "metadata.uid" } } },
    { name: ENV.workflowName, value: workflow.metadata.name ?? "" },
    { name: ENV.workflowUid, value: workflow.metadata.uid ?? "" },
  ];
  if (config.instanceID) env.push({ name: ENV.instanceId, value: config.instanceID });
  // Exit handlers run past the workflow deadline, as in Argo.
  env.push({ name: ENV.deadline, value: !onExit && deadline ? deadline : NO_DEADLINE });
  env.push({ name: ENV.progressFile, value: PROGRESS_FILE });
  return env;
}

function envFor(
  name: string,
  templateJson: string | undefined,
  common: V1EnvVar[],
  includeScriptOutput: boolean,
): V1EnvVar[] {
  const env: V1EnvVar[] = [{ name: ENV.containerName, value: name }];
  if (templateJson !== undefined) env.push({ name: ENV.template, value: templateJson });
  // Set for every container/script pod: the engine does not tell whether `outputs.result` is
  // referenced, and the executor caps what it captures.
  env.push({ name: ENV.includeScriptOutput, value: String(includeScriptOutput) });
  return [...env, ...clone(common)];
}

// ---------------------------------------------------------------------------------------------
// The template the executor reads (ARGO_TEMPLATE)

/**
 * The template as the executor sees it: input parameters dropped (already substituted, as in
 * Argo), the archive location filled in from the artifact repository when something needs it.
 */
function templateForExecutor(input: PodBuildInput): Template {
  const tmpl = clone(input.template);
  if (tmpl.inputs?.parameters) {
    const { parameters: _p, ...rest } = tmpl.inputs;
    tmpl.inputs = rest;
  }
  const location = archiveLocation(input);
  if (location) tmpl.archiveLocation = location;
  return tmpl;
}

const LOCATION_KEYS = [
  "artifactory",
  "azure",
  "gcs",
  "git",
  "hdfs",
  "http",
  "oss",
  "plugin",
  "raw",
  "s3",
  "filesystem",
] as const;

/** Names a location or just a key (Argo's HasLocationOrKey): the repository may fill the rest. */
function hasLocationOrKey(loc: object | undefined): boolean {
  if (!loc) return false;
  const obj = loc as Record<string, unknown>;
  return LOCATION_KEYS.some((k) => obj[k] !== undefined && obj[k] !== null);
}

/**
 * Names a complete location (Argo's HasLocation). A key-only artifact (`s3: {key: x}`) is not
 * complete: the executor takes the bucket and credentials from the archive location.
 */
function hasLocation(loc: object | undefined): boolean {
  if (!loc) return false;
  const obj = loc as Record<string, Record<string, unknown> | undefined>;
  const set = (kind: string, ...fields: string[]) => {
    const value = obj[kind];
    return typeof value === "object" && value !== null &&
      fields.every((f) => value[f] !== undefined && value[f] !== "" && value[f] !== null);
  };
  return set("s3", "endpoint", "bucket", "key") || set("gcs", "bucket", "key") ||
    set("oss", "endpoint", "bucket", "key") || set("azure", "endpoint", "container", "blob") ||
    set("git", "repo") || set("http", "url") || set("artifactory", "url") ||
    set("hdfs", "path") || set("raw") || set("plugin", "name", "key") ||
    set("filesystem", "path", "key");
}

function archiveLocation(input: PodBuildInput): Template["archiveLocation"] | undefined {
  const { template: tmpl, workflow, config } = input;
  if (hasLocation(tmpl.archiveLocation)) return tmpl.archiveLocation;
  const repo = config.artifactRepository;
  // Precedence as Argo's IsArchiveLogs: repository on > template > workflow > repository off.
  let archiveLogs = repo?.archiveLogs ?? false;
  if (!archiveLogs) {
    archiveLogs = tmpl.archiveLocation?.archiveLogs ?? workflow.spec.archiveLogs ?? false;
  }
  const artifacts: Artifact[] = [
    ...(tmpl.inputs?.artifacts ?? []),
    ...(tmpl.outputs?.artifacts ?? []),
  ];
  const needed = archiveLogs || artifacts.some((a) => !hasLocation(a));
  if (!needed) return tmpl.archiveLocation;
  const location: Record<string, unknown> = { ...repositoryLocation(repo, input), archiveLogs };
  return v1<Template["archiveLocation"]>(location);
}

/** The repository as an artifact location (Argo's ToArtifactLocation), keys substituted. */
function repositoryLocation(
  repo: ArtifactRepositoryConfig | undefined,
  input: PodBuildInput,
): Record<string, unknown> {
  if (!repo) return {};
  const key = (format: string | undefined, prefix?: string) =>
    substituteKey(format || joinKey(prefix, DEFAULT_ARCHIVE_KEY), input);
  if (repo.s3) {
    const { keyFormat, keyPrefix, ...bucket } = repo.s3;
    return { s3: { ...clone(bucket), key: key(keyFormat, keyPrefix) } };
  }
  if (repo.filesystem) return { filesystem: { path: repo.filesystem.path, key: key(undefined) } };
  if (repo.gcs) {
    const { keyFormat, ...bucket } = repo.gcs;
    return { gcs: { ...clone(bucket), key: key(keyFormat) } };
  }
  if (repo.oss) {
    const { keyFormat, ...bucket } = repo.oss;
    return { oss: { ...clone(bucket), key: key(keyFormat) } };
  }
  throw new BuildError(
    "the configured artifactRepository kind is not supported yet (s3, gcs, oss, filesystem are)",
  );
}

function joinKey(prefix: string | undefined, rest: string): string {
  const p = (prefix ?? "").replace(/\/+$/, "");
  return p ? `${p}/${rest}` : rest;
}

/** The variables a key format may use that are known when the pod is built. */
function substituteKey(format: string, { workflow, podName }: PodBuildInput): string {
  const vars: Record<string, string> = {
    "pod.name": podName,
    "workflow.name": workflow.metadata.name ?? "",
    "workflow.namespace": workflow.metadata.namespace ?? "",
    "workflow.uid": workflow.metadata.uid ?? "",
  };
  const created = workflow.metadata.creationTimestamp;
  const m = created ? /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})/.exec(created) : null;
  if (m) {
    const [, y, mo, d, h, mi, s] = m;
    Object.assign(vars, {
      "workflow.creationTimestamp.Y": y,
      "workflow.creationTimestamp.m": mo,
      "workflow.creationTimestamp.d": d,
      "workflow.creationTimestamp.H": h,
      "workflow.creationTimestamp.M": mi,
      "workflow.creationTimestamp.S": s,
    });
  }
  return format.replace(/\{\{\s*([^{}]+?)\s*\}\}/g, (tag: string, name: string) => {
    const value = vars[name];
    if (value === undefined) throw new BuildError(`failed to resolve ${tag} in the archive key`);
    return value;
  });
}

// ---------------------------------------------------------------------------------------------
// Volumes

/** Adds the workflow volumes and claims that main, init containers and sidecars mount. */
function addVolumeReferences(input: PodBuildInput, volumes: V1Volume[], main: V1Container): void {
  const { template: tmpl, workflow } = input;
  const wfName = workflow.metadata.name ?? "";
  const claims: V1Volume[] = workflow.status?.persistentVolumeClaims
    ? workflow.status.persistentVolumeClaims.map((v) => v1<V1Volume>(clone(v)))
    // Before the status lists them, the claims are named as Argo creates them: <wf>-<name>.
    : (workflow.spec.volumeClaimTemplates ?? []).map((pvc) => ({
      name: pvc.metadata?.name ?? "",
      persistentVolumeClaim: { claimName: `${wfName}-${pvc.metadata?.name ?? ""}` },
    }));
  const find = (name: string): V1Volume | undefined =>
    (tmpl.volumes ?? []).find((v) => v.name === name) as V1Volume | undefined ??
      (workflow.spec.volumes ?? []).find((v) => v.name === name) as V1Volume | undefined ??
      claims.find((v) => v.name === name);
  const mounts = [
    ...(main.volumeMounts ?? []),
    ...(tmpl.initContainers ?? []).flatMap((c) => c.volumeMounts ?? []),
    ...(tmpl.sidecars ?? []).flatMap((c) => c.volumeMounts ?? []),
  ];
  for (const mount of mounts) {
    const vol = find(mount.name);
    if (!vol) throw new BuildError(`volume '${mount.name}' not found in workflow spec`);
    if (!volumes.some((v) => v.name === vol.name)) volumes.push(v1<V1Volume>(clone(vol)));
  }
}

/**
 * Artifact credentials reach init and wait as files from Secret volumes, never as values in
 * the pod spec: `/argo/secret/<secret>/<key>`.
 */
function addSecretVolumes(
  tmpl: Template,
  volumes: V1Volume[],
  init: V1Container,
  wait: V1Container,
): void {
  const keys = new Map<string, Set<string>>();
  const locations: unknown[] = [
    tmpl.archiveLocation,
    ...(tmpl.outputs?.artifacts ?? []),
    ...(tmpl.inputs?.artifacts ?? []),
  ];
  for (const loc of locations) collectSecrets(loc, keys, 0);
  // Sorted: Argo walks a Go map here, so its order is arbitrary; ours is deterministic.
  for (const secret of [...keys.keys()].sort()) {
    if (volumes.some((v) => v.name === secret)) continue;
    const items = [...keys.get(secret)!].sort().map((key) => ({ key, path: key }));
    volumes.push({ name: secret, secret: { secretName: secret, items } });
    const mount = { name: secret, mountPath: `${SECRET_DIR}/${secret}`, readOnly: true };
    init.volumeMounts = [...(init.volumeMounts ?? []), mount];
    wait.volumeMounts = [...(wait.volumeMounts ?? []), { ...mount }];
  }
}

/** Finds `*Secret: {name, key}` selectors anywhere in an artifact location. */
function collectSecrets(value: unknown, keys: Map<string, Set<string>>, depth: number): void {
  if (depth > MAX_LOCATION_DEPTH || typeof value !== "object" || value === null) return;
  if (Array.isArray(value)) return;
  for (const [field, item] of Object.entries(value)) {
    if (field.endsWith("Secret") && typeof item === "object" && item !== null) {
      const { name, key } = item as { name?: unknown; key?: unknown };
      if (typeof name === "string" && name && typeof key === "string" && key) {
        if (!keys.has(name)) keys.set(name, new Set());
        keys.get(name)!.add(key);
        continue;
      }
    }
    collectSecrets(item, keys, depth + 1);
  }
}

/**
 * Input artifacts: init downloads into the `input-artifacts` emptyDir, which main mounts at
 * each artifact's path (subPath = artifact name). An artifact under one of main's own volume
 * mounts is written by init straight into that volume (seen at /mainctrfs/<mountPath>).
 */
function addInputArtifactVolumes(
  tmpl: Template,
  volumes: V1Volume[],
  init: V1Container,
  main: V1Container,
): void {
  const artifacts = tmpl.inputs?.artifacts ?? [];
  if (artifacts.length === 0) return;
  volumes.push({ name: INPUT_ARTIFACTS_VOLUME, emptyDir: {} });
  const userMounts = main.volumeMounts ?? [];
  init.volumeMounts = [
    ...(init.volumeMounts ?? []),
    { name: INPUT_ARTIFACTS_VOLUME, mountPath: INPUT_ARTIFACTS_DIR },
    ...userMounts.map((m) => ({ ...m, mountPath: joinPath(MAIN_FILESYSTEM_DIR, m.mountPath) })),
  ];
  const added: V1VolumeMount[] = [];
  for (const art of artifacts) {
    if (!art.path) {
      throw new BuildError(`inputs.artifacts.${art.name} did not specify a path`);
    }
    if (!hasLocationOrKey(art) && art.optional) continue;
    const path = normalizePath(art.path);
    const overlaps = userMounts.some((m) => {
      const mp = normalizePath(m.mountPath);
      return path === mp || path.startsWith(mp === "/" ? "/" : `${mp}/`);
    });
    if (overlaps) continue;
    added.push({ name: INPUT_ARTIFACTS_VOLUME, mountPath: path, subPath: art.name });
  }
  main.volumeMounts = [...userMounts, ...added];
}

// ---------------------------------------------------------------------------------------------
// podSpecPatch

function applyPodSpecPatches(input: PodBuildInput, pod: V1Pod): NonNullable<V1Pod["spec"]> {
  const patches = [input.workflow.spec.podSpecPatch, input.template.podSpecPatch];
  let podSpec = pod.spec as unknown as JsonObject;
  for (const text of patches) {
    if (text === undefined || text.trim() === "") continue;
    podSpec = merged(podSpec, parsePatch(text), POD_SPEC_PATCH_SCHEMA, "podSpecPatch");
  }
  const out = v1<NonNullable<V1Pod["spec"]>>(podSpec);
  if (!Array.isArray(out.containers)) throw new BuildError("podSpecPatch removed the containers");
  return out;
}

function parsePatch(text: string): JsonObject {
  let value: unknown;
  try {
    // JSON is YAML; version 1.1 as Kubernetes' YAML reader (`on: yes` and friends).
    value = parseYaml(text, { version: "1.1", maxAliasCount: 100 });
  } catch (e) {
    // Deeply nested input can exhaust the parser's stack: that is a bad patch too.
    const why = e instanceof Error ? e.message.split("\n")[0] : String(e);
    if (e instanceof RangeError || why.includes("call stack")) {
      throw new BuildError("invalid podSpecPatch: it is nested too deeply");
    }
    throw new BuildError(`invalid podSpecPatch: ${why}`);
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new BuildError("invalid podSpecPatch: it must be a JSON or YAML object");
  }
  return value as JsonObject;
}

// ---------------------------------------------------------------------------------------------
// Helpers

function merged(
  original: JsonObject,
  patch: JsonObject,
  schema: PatchSchemaInfo,
  what: string,
): JsonObject {
  const result = strategicMerge(original, patch, schema);
  if (!result.ok) throw new BuildError(`invalid ${what}: ${result.error}`);
  return result.value;
}

/**
 * A deep copy of plain JSON data, so the pod never shares objects with the input. A plain
 * recursive copy: structuredClone costs several times more per call, and a fan-out builds
 * thousands of pods in one pass.
 */
function clone<T>(value: T): T {
  return copyJson(value) as T;
}

function copyJson(value: unknown): unknown {
  if (value === null || typeof value !== "object") return value;
  if (Array.isArray(value)) return value.map(copyJson);
  if (value instanceof Date) return new Date(value.getTime());
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value)) {
    const inner = copyJson((value as Record<string, unknown>)[key]);
    if (key === "__proto__") {
      Object.defineProperty(out, key, { value: inner, enumerable: true, writable: true });
    } else {
      out[key] = inner;
    }
  }
  return out;
}

/**
 * Argo's types and @kubernetes/client-node's describe the same JSON with different TypeScript
 * shapes (IntOrString, Quantity); the documents built here are plain JSON either way.
 */
function v1<T>(value: unknown): T {
  return value as T;
}

function normalizePath(path: string): string {
  const parts: string[] = [];
  for (const part of path.split("/")) {
    if (part === "" || part === ".") continue;
    if (part === "..") parts.pop();
    else parts.push(part);
  }
  return `/${parts.join("/")}`;
}

function joinPath(base: string, path: string): string {
  return normalizePath(`${base}/${path}`);
}
