/**
 * The executor's half of `docs/executor-contract.md`: paths, environment variables and limits.
 * The paths and environment names shared with the pod spec come from
 * `api/executor_contract.ts`, which both sides import.
 *
 * Every absolute path of the contract can be moved under a root directory with
 * `ARGO_TS_EXEC_ROOT` (tests), and the service account directory with
 * `ARGO_TS_SERVICE_ACCOUNT_DIR`.
 *
 * @module
 */
import {
  INPUT_ARTIFACTS_DIR,
  KUBERNETES_EXECUTOR_PATH,
  MAIN_FILESYSTEM_DIR,
  SCRIPT_SOURCE_PATH,
  SECRET_DIR,
  VAR_RUN_ARGO,
} from "../api/executor_contract.ts";

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
} from "../api/executor_contract.ts";

export const SERVICE_ACCOUNT_DIR = "/var/run/secrets/kubernetes.io/serviceaccount";

/** argo-ts's own knobs (not Argo's). */
export const EXEC_ENV = {
  /** Prefix for every absolute path of the contract (tests). */
  root: "ARGO_TS_EXEC_ROOT",
  /** The directory holding `token`, `ca.crt` and `namespace`. */
  serviceAccountDir: "ARGO_TS_SERVICE_ACCOUNT_DIR",
  /** Base URL of the API server, instead of `https://$KUBERNETES_SERVICE_HOST:$..._PORT`. */
  apiUrl: "ARGO_TS_KUBE_API_URL",
  /** Max bytes of one artifact: downloaded, or unpacked from an archive. */
  maxArtifactBytes: "ARGO_TS_MAX_ARTIFACT_BYTES",
} as const;

/** Argo's exit code for the emissary's own failures. */
export const EXIT_EMISSARY_ERROR = 64;
/** Argo keeps at most 256 KiB of `outputs.result`: the last 256 KiB. */
export const MAX_RESULT_BYTES = 256 * 1024;
/** Default cap on one artifact (download or unpacked size): 16 GiB. */
export const DEFAULT_MAX_ARTIFACT_BYTES = 16 * 1024 ** 3;
/** Cap on the number of entries unpacked from one archive. */
export const MAX_ARCHIVE_ENTRIES = 1_000_000;
/** Cap on an output parameter file (it ends up in an API object). */
export const MAX_PARAMETER_BYTES = 1024 * 1024;

/** Where the executor finds and puts things, after `ARGO_TS_EXEC_ROOT`. */
export interface ExecPaths {
  varRunArgo: string;
  template: string;
  scriptSource: string;
  inputArtifacts: string;
  mainFs: string;
  secrets: string;
  serviceAccount: string;
  kubernetesExecutor: string;
}

export interface ExecLimits {
  maxArtifactBytes: number;
  maxEntries: number;
}

export function pathsFromEnv(env: (name: string) => string | undefined): ExecPaths {
  const root = (env(EXEC_ENV.root) ?? "").replace(/\/+$/, "");
  return {
    varRunArgo: root + VAR_RUN_ARGO,
    template: `${root}${VAR_RUN_ARGO}/template`,
    scriptSource: root + SCRIPT_SOURCE_PATH,
    inputArtifacts: root + INPUT_ARTIFACTS_DIR,
    mainFs: root + MAIN_FILESYSTEM_DIR,
    secrets: root + SECRET_DIR,
    serviceAccount: env(EXEC_ENV.serviceAccountDir) || SERVICE_ACCOUNT_DIR,
    kubernetesExecutor: root + KUBERNETES_EXECUTOR_PATH,
  };
}

export function limitsFromEnv(env: (name: string) => string | undefined): ExecLimits {
  const raw = env(EXEC_ENV.maxArtifactBytes);
  const parsed = raw === undefined ? NaN : Number(raw);
  return {
    maxArtifactBytes: Number.isSafeInteger(parsed) && parsed > 0
      ? parsed
      : DEFAULT_MAX_ARTIFACT_BYTES,
    maxEntries: MAX_ARCHIVE_ENTRIES,
  };
}

/** `Deno.env.get` that never throws (no `--allow-env`: nothing is set). */
export function readEnv(name: string): string | undefined {
  try {
    return Deno.env.get(name);
  } catch {
    return undefined;
  }
}
