/**
 * Argo's `workflow-controller-configmap`: each `data` key holds a YAML (or plain scalar) string.
 * This module turns that data into the engine's {@link ControllerConfig}, and merges it over the
 * controller's base config (the executor command the controller was started with).
 *
 * Expected problems (bad YAML, a number that is not one, a key we do not know) come back as
 * data in `problems`; the keys that parsed still apply, as Argo keeps running on a partial
 * config rather than refusing to start.
 */
import { parse as parseYaml } from "yaml";
import type { ControllerConfig, ExecutorConfig } from "./operator/config.ts";

export const CONFIG_MAP_NAME = "workflow-controller-configmap";

export interface ParsedConfigMap {
  /** The keys that parsed, in the engine's shape. */
  config: Partial<ControllerConfig>;
  /** One line per key that could not be used. */
  problems: string[];
}

type Kind = "number" | "string" | "object";

/** Argo's keys that the engine reads, and the value each must hold. */
const KNOWN: Record<string, Kind> = {
  parallelism: "number",
  namespaceParallelism: "number",
  artifactRepository: "object",
  executor: "object",
  mainContainer: "object",
  images: "object",
  workflowDefaults: "object",
  podGCGracePeriodSeconds: "number",
  podGCDeleteDelayDuration: "string",
  instanceID: "string",
  nodeEvents: "object",
  workflowEvents: "object",
};

/**
 * Argo keys argo-ts accepts but does not act on yet: listed so a real ConfigMap does not
 * produce a problem line per key.
 */
const ACCEPTED_UNUSED = new Set([
  "containerRuntimeExecutor",
  "metricsConfig",
  "telemetryConfig",
  "persistence",
  "sso",
  "links",
  "columns",
  "navColor",
  "retentionPolicy",
  "resourceRateLimit",
  "initialDelay",
  "kubeConfig",
  "workflowRestrictions",
  "podSpecLogStrategy",
  "artifactRepositoryRef",
  "synchronization",
  "semaphore",
  "namespace",
]);

/** Parses a ConfigMap's `data` (absent data is an empty config). */
export function parseConfigMapData(
  data: Record<string, string> | undefined,
): ParsedConfigMap {
  const config: Record<string, unknown> = {};
  const problems: string[] = [];
  for (const [key, raw] of Object.entries(data ?? {})) {
    const kind = KNOWN[key];
    if (kind === undefined) {
      if (!ACCEPTED_UNUSED.has(key)) problems.push(`${key}: not a key argo-ts knows; ignored`);
      continue;
    }
    let value: unknown;
    try {
      // YAML 1.1 as Argo (Go's yaml.v2 through sigs.k8s.io/yaml) reads it; aliases bounded.
      value = parseYaml(raw, { version: "1.1", maxAliasCount: 100 });
    } catch (error) {
      problems.push(`${key}: not valid YAML: ${(error as Error).message.split("\n")[0]}`);
      continue;
    }
    if (value === null || value === undefined) continue;
    const checked = check(kind, value);
    if (checked.ok) config[key] = checked.value;
    else problems.push(`${key}: ${checked.message}`);
  }
  return { config: config as Partial<ControllerConfig>, problems };
}

function check(
  kind: Kind,
  value: unknown,
): { ok: true; value: unknown } | { ok: false; message: string } {
  switch (kind) {
    case "number": {
      const n = typeof value === "string" ? Number(value.trim()) : value;
      if (typeof n === "number" && Number.isInteger(n) && n >= 0) return { ok: true, value: n };
      return { ok: false, message: `must be a whole number, not ${JSON.stringify(value)}` };
    }
    case "string":
      if (typeof value === "string" || typeof value === "number") {
        return { ok: true, value: String(value) };
      }
      return { ok: false, message: `must be a string, not ${JSON.stringify(value)}` };
    case "object":
      if (typeof value === "object" && value !== null && !Array.isArray(value)) {
        return { ok: true, value };
      }
      return { ok: false, message: `must be a map, not ${JSON.stringify(value)}` };
  }
}

/**
 * The config the engine uses: the ConfigMap's keys over the base. The executor is merged field
 * by field, because the ConfigMap's `executor` is a container (image, resources, env, ...) while
 * the base carries how this installation starts the executor (`command`).
 */
export function mergeConfig(
  base: ControllerConfig,
  fromMap: Partial<ControllerConfig>,
): ControllerConfig {
  const executor: ExecutorConfig = { ...base.executor };
  const over = (fromMap.executor ?? {}) as Partial<ExecutorConfig>;
  if (typeof over.image === "string") executor.image = over.image;
  if (typeof over.imagePullPolicy === "string") executor.imagePullPolicy = over.imagePullPolicy;
  if (over.resources) executor.resources = over.resources;
  if (over.securityContext) executor.securityContext = over.securityContext;
  if (Array.isArray(over.env)) executor.env = [...(base.executor.env ?? []), ...over.env];
  if (Array.isArray(over.command) && over.command.length > 0) executor.command = over.command;
  return { ...base, ...fromMap, executor };
}
