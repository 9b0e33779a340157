/**
 * What a pod's spec resolves to before anything runs: environment variables (values, field
 * references, configMap and secret keys, `envFrom`, `$(VAR)` expansion) and volume directories
 * (emptyDir, configMap, secret, downwardAPI, projected, hostPath, persistentVolumeClaim, and the
 * service-account token). Failures are returned as data: `retry` when a referenced object may
 * still appear (kube's `CreateContainerConfigError`), permanent otherwise.
 */
import type {
  V1Container,
  V1DownwardAPIVolumeFile,
  V1KeyToPath,
  V1Pod,
  V1Volume,
  V1VolumeProjection,
} from "@kubernetes/client-node";

type MaybePromise<T> = T | Promise<T>;

/** Where configMap and secret data come from (the API server, or a map in tests). */
export interface ConfigSource {
  /** The ConfigMap's `data`, or undefined when it does not exist. */
  getConfigMap(namespace: string, name: string): MaybePromise<Record<string, string> | undefined>;
  /** The Secret's `data` (values base64-encoded, as in the API), or undefined when missing. */
  getSecret(namespace: string, name: string): MaybePromise<Record<string, string> | undefined>;
}

/** A resolution failure; `retry` when waiting may fix it (a missing configMap or secret). */
export interface SpecProblem {
  reason: string;
  message: string;
  retry: boolean;
}

export const POD_IP = "127.0.0.1";
export const SERVICE_ACCOUNT_PATH = "/var/run/secrets/kubernetes.io/serviceaccount";

function decodeBase64(value: string): Uint8Array {
  const binary = atob(value);
  const out = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i);
  return out;
}

function formatMap(map: Record<string, string> | undefined): string {
  return Object.keys(map ?? {}).sort().map((key) => `${key}="${map?.[key]}"`).join("\n");
}

/** The downward API: a `fieldRef.fieldPath` of the pod, or undefined when not supported. */
export function fieldValue(pod: V1Pod, path: string, nodeName: string): string | undefined {
  const meta = pod.metadata ?? {};
  const indexed = /^metadata\.(labels|annotations)\['(.+)'\]$/.exec(path);
  if (indexed) {
    const map = indexed[1] === "labels" ? meta.labels : meta.annotations;
    return map?.[indexed[2]] ?? "";
  }
  switch (path) {
    case "metadata.name":
      return meta.name ?? "";
    case "metadata.namespace":
      return meta.namespace ?? "default";
    case "metadata.uid":
      return meta.uid ?? "";
    case "metadata.labels":
      return formatMap(meta.labels);
    case "metadata.annotations":
      return formatMap(meta.annotations);
    case "spec.nodeName":
      return pod.spec?.nodeName ?? nodeName;
    case "spec.serviceAccountName":
      return pod.spec?.serviceAccountName ?? "default";
    case "status.podIP":
    case "status.podIPs":
    case "status.hostIP":
    case "status.hostIPs":
      return POD_IP;
    default:
      return undefined;
  }
}

/** Kubernetes `$(VAR)` expansion: defined names are replaced, `$$` is a literal `$`. */
export function expandVars(text: string, env: Record<string, string>): string {
  return text.replace(/\$\$|\$\(([A-Za-z_][A-Za-z0-9_.-]*)\)/g, (match, name?: string) => {
    if (name === undefined) return "$";
    return Object.hasOwn(env, name) ? env[name] : match;
  });
}

function configProblem(message: string): SpecProblem {
  return { reason: "CreateContainerConfigError", message, retry: true };
}

/** Resolves a container's environment over `base` (PATH, HOSTNAME, service variables...). */
export async function resolveEnv(
  pod: V1Pod,
  container: V1Container,
  config: ConfigSource | undefined,
  base: Record<string, string>,
  nodeName: string,
): Promise<{ env: Record<string, string> } | { problem: SpecProblem }> {
  const namespace = pod.metadata?.namespace ?? "default";
  const env: Record<string, string> = { ...base };
  const cache = new Map<string, Record<string, string> | undefined>();
  const lookup = async (kind: "configmap" | "secret", name: string) => {
    const key = `${kind}/${name}`;
    if (!cache.has(key)) {
      const data = kind === "configmap"
        ? await config?.getConfigMap(namespace, name)
        : await config?.getSecret(namespace, name);
      cache.set(key, data);
    }
    return cache.get(key);
  };
  const text = (kind: "configmap" | "secret", value: string) =>
    kind === "secret" ? new TextDecoder().decode(decodeBase64(value)) : value;

  for (const from of container.envFrom ?? []) {
    const ref = from.configMapRef ?? from.secretRef;
    if (!ref) continue;
    const kind = from.configMapRef ? "configmap" : "secret";
    const data = await lookup(kind, ref.name ?? "");
    if (!data) {
      if (ref.optional) continue;
      return { problem: configProblem(`${kind} "${ref.name}" not found`) };
    }
    for (const [key, value] of Object.entries(data)) {
      env[`${from.prefix ?? ""}${key}`] = text(kind, value);
    }
  }
  for (const variable of container.env ?? []) {
    const source = variable.valueFrom;
    if (!source) {
      env[variable.name] = expandVars(variable.value ?? "", env);
      continue;
    }
    if (source.fieldRef) {
      const value = fieldValue(pod, source.fieldRef.fieldPath, nodeName);
      if (value === undefined) {
        return {
          problem: {
            reason: "CreateContainerConfigError",
            message: `env ${variable.name}: unsupported fieldPath ${source.fieldRef.fieldPath}`,
            retry: false,
          },
        };
      }
      env[variable.name] = value;
      continue;
    }
    const keyRef = source.configMapKeyRef ?? source.secretKeyRef;
    if (keyRef) {
      const kind = source.configMapKeyRef ? "configmap" : "secret";
      const data = await lookup(kind, keyRef.name ?? "");
      const value = data?.[keyRef.key];
      if (value === undefined) {
        if (keyRef.optional) continue;
        return {
          problem: configProblem(
            data
              ? `couldn't find key ${keyRef.key} in ${
                kind === "configmap" ? "ConfigMap" : "Secret"
              } ${namespace}/${keyRef.name}`
              : `${kind} "${keyRef.name}" not found`,
          ),
        };
      }
      env[variable.name] = text(kind, value);
      continue;
    }
    if (source.resourceFieldRef) {
      // No resource accounting on this node: report the declared limit, or nothing.
      const resource = source.resourceFieldRef.resource.replace(/^limits\.|^requests\./, "");
      env[variable.name] = String(container.resources?.limits?.[resource] ?? "0");
      continue;
    }
    return {
      problem: {
        reason: "CreateContainerConfigError",
        message: `env ${variable.name}: unsupported valueFrom`,
        retry: false,
      },
    };
  }
  return { env };
}

/** One file a volume projects: path relative to the volume, bytes, and mode. */
interface ProjectedFile {
  path: string;
  data: Uint8Array;
  mode: number;
}

const DEFAULT_MODE = 0o644;

function safeRelative(path: string): boolean {
  return path !== "" && !path.startsWith("/") && !path.split("/").includes("..");
}

function keyFiles(
  data: Record<string, Uint8Array>,
  items: V1KeyToPath[] | undefined,
  mode: number,
  label: string,
): ProjectedFile[] | SpecProblem {
  if (!items?.length) {
    return Object.entries(data).map(([key, bytes]) => ({ path: key, data: bytes, mode }));
  }
  const files: ProjectedFile[] = [];
  for (const item of items) {
    const bytes = data[item.key];
    if (bytes === undefined) return configProblem(`${label}: key ${item.key} not found`);
    if (!safeRelative(item.path)) {
      return { reason: "InvalidVolume", message: `${label}: bad path ${item.path}`, retry: false };
    }
    files.push({ path: item.path, data: bytes, mode: item.mode ?? mode });
  }
  return files;
}

export interface SpecContext {
  pod: V1Pod;
  config?: ConfigSource;
  nodeName: string;
  /** The service-account token for the pod, when the node hands out tokens. */
  token?: () => MaybePromise<string>;
  caCert?: string;
}

const encoder = new TextEncoder();

async function projectSources(
  context: SpecContext,
  name: string,
  sources: V1VolumeProjection[],
  defaultMode: number,
): Promise<ProjectedFile[] | SpecProblem> {
  const files: ProjectedFile[] = [];
  for (const source of sources) {
    let part: ProjectedFile[] | SpecProblem = [];
    if (source.configMap) {
      part = await configMapFiles(context, name, source.configMap, defaultMode);
    } else if (source.secret) {
      part = await secretFiles(context, name, source.secret, defaultMode);
    } else if (source.downwardAPI) {
      part = downwardFiles(context, name, source.downwardAPI.items ?? [], defaultMode);
    } else if (source.serviceAccountToken && context.token) {
      const token = await context.token();
      part = [{
        path: source.serviceAccountToken.path,
        data: encoder.encode(token),
        mode: defaultMode,
      }];
    }
    if (!Array.isArray(part)) return part;
    files.push(...part);
  }
  return files;
}

async function configMapFiles(
  context: SpecContext,
  volume: string,
  source: { name?: string; items?: V1KeyToPath[]; optional?: boolean },
  mode: number,
): Promise<ProjectedFile[] | SpecProblem> {
  const namespace = context.pod.metadata?.namespace ?? "default";
  const data = await context.config?.getConfigMap(namespace, source.name ?? "");
  if (!data) {
    return source.optional
      ? []
      : configProblem(`volume ${volume}: configmap "${source.name}" not found`);
  }
  const bytes = Object.fromEntries(Object.entries(data).map(([k, v]) => [k, encoder.encode(v)]));
  return keyFiles(bytes, source.items, mode, `volume ${volume}: configmap ${source.name}`);
}

async function secretFiles(
  context: SpecContext,
  volume: string,
  source: { name?: string; secretName?: string; items?: V1KeyToPath[]; optional?: boolean },
  mode: number,
): Promise<ProjectedFile[] | SpecProblem> {
  const namespace = context.pod.metadata?.namespace ?? "default";
  const secretName = source.secretName ?? source.name ?? "";
  const data = await context.config?.getSecret(namespace, secretName);
  if (!data) {
    return source.optional
      ? []
      : configProblem(`volume ${volume}: secret "${secretName}" not found`);
  }
  const bytes = Object.fromEntries(Object.entries(data).map(([k, v]) => [k, decodeBase64(v)]));
  return keyFiles(bytes, source.items, mode, `volume ${volume}: secret ${secretName}`);
}

function downwardFiles(
  context: SpecContext,
  volume: string,
  items: V1DownwardAPIVolumeFile[],
  mode: number,
): ProjectedFile[] | SpecProblem {
  const files: ProjectedFile[] = [];
  for (const item of items) {
    const value = item.fieldRef
      ? fieldValue(context.pod, item.fieldRef.fieldPath, context.nodeName)
      : undefined;
    if (value === undefined || !safeRelative(item.path)) {
      return {
        reason: "InvalidVolume",
        message: `volume ${volume}: unsupported downwardAPI item ${item.path}`,
        retry: false,
      };
    }
    files.push({ path: item.path, data: encoder.encode(value), mode: item.mode ?? mode });
  }
  return files;
}

async function writeFiles(dir: string, files: ProjectedFile[]): Promise<void> {
  await Deno.remove(dir, { recursive: true }).catch(() => {});
  await Deno.mkdir(dir, { recursive: true });
  for (const file of files) {
    const path = `${dir}/${file.path}`;
    await Deno.mkdir(path.slice(0, path.lastIndexOf("/")), { recursive: true });
    await Deno.writeFile(path, file.data);
    await Deno.chmod(path, file.mode);
  }
}

/** A prepared volume: its host directory (or file) and whether mounts of it are read-only. */
export interface PreparedVolume {
  path: string;
  readOnly: boolean;
}

/**
 * Creates every volume of the pod on the host: emptyDir and projected files under
 * `<podDir>/volumes/<name>`, PVCs under `<stateDir>/pvcs/<ns>/<claim>`, hostPath as given.
 * The service-account token (when `context.token` is set) is the volume `kube-api-access`.
 */
export async function prepareVolumes(
  context: SpecContext,
  podDir: string,
  stateDir: string,
): Promise<{ volumes: Map<string, PreparedVolume> } | { problem: SpecProblem }> {
  const volumes = new Map<string, PreparedVolume>();
  const namespace = context.pod.metadata?.namespace ?? "default";
  for (const volume of context.pod.spec?.volumes ?? []) {
    const result = await prepareVolume(
      context,
      volume,
      `${podDir}/volumes/${volume.name}`,
      stateDir,
    );
    if ("problem" in result) return result;
    volumes.set(volume.name, result);
  }
  if (context.token && context.pod.spec?.automountServiceAccountToken !== false) {
    const dir = `${podDir}/volumes/kube-api-access`;
    await writeFiles(dir, [
      { path: "token", data: encoder.encode(await context.token()), mode: DEFAULT_MODE },
      { path: "ca.crt", data: encoder.encode(context.caCert ?? ""), mode: DEFAULT_MODE },
      { path: "namespace", data: encoder.encode(namespace), mode: DEFAULT_MODE },
    ]);
    volumes.set(SERVICE_ACCOUNT_VOLUME, { path: dir, readOnly: true });
  }
  return { volumes };
}

/** The name under which the service-account token volume is returned. */
export const SERVICE_ACCOUNT_VOLUME = "\0kube-api-access";

async function prepareVolume(
  context: SpecContext,
  volume: V1Volume,
  dir: string,
  stateDir: string,
): Promise<PreparedVolume | { problem: SpecProblem }> {
  const namespace = context.pod.metadata?.namespace ?? "default";
  let files: ProjectedFile[] | SpecProblem | undefined;
  if (volume.emptyDir) {
    await Deno.mkdir(dir, { recursive: true });
    return { path: dir, readOnly: false };
  } else if (volume.persistentVolumeClaim) {
    const path = `${stateDir}/pvcs/${namespace}/${volume.persistentVolumeClaim.claimName}`;
    await Deno.mkdir(path, { recursive: true });
    return { path, readOnly: volume.persistentVolumeClaim.readOnly ?? false };
  } else if (volume.hostPath) {
    const path = volume.hostPath.path;
    const type = volume.hostPath.type ?? "";
    let info: Deno.FileInfo | undefined;
    try {
      info = await Deno.stat(path);
    } catch {
      info = undefined;
    }
    if (!info) {
      if (type === "" || type === "DirectoryOrCreate") await Deno.mkdir(path, { recursive: true });
      else if (type === "FileOrCreate") await Deno.writeFile(path, new Uint8Array(0));
      else {
        return {
          problem: configProblem(
            `volume ${volume.name}: hostPath ${path} (${type}) does not exist`,
          ),
        };
      }
    }
    return { path, readOnly: false };
  } else if (volume.configMap) {
    files = await configMapFiles(
      context,
      volume.name,
      volume.configMap,
      volume.configMap.defaultMode ?? DEFAULT_MODE,
    );
  } else if (volume.secret) {
    files = await secretFiles(
      context,
      volume.name,
      volume.secret,
      volume.secret.defaultMode ?? DEFAULT_MODE,
    );
  } else if (volume.downwardAPI) {
    files = downwardFiles(
      context,
      volume.name,
      volume.downwardAPI.items ?? [],
      volume.downwardAPI.defaultMode ?? DEFAULT_MODE,
    );
  } else if (volume.projected) {
    files = await projectSources(
      context,
      volume.name,
      volume.projected.sources ?? [],
      volume.projected.defaultMode ?? DEFAULT_MODE,
    );
  }
  if (files === undefined) {
    return {
      problem: {
        reason: "InvalidVolume",
        message:
          `volume ${volume.name}: this volume type is not supported on node ${context.nodeName}`,
        retry: false,
      },
    };
  }
  if (!Array.isArray(files)) return { problem: files };
  await writeFiles(dir, files);
  return { path: dir, readOnly: true };
}
