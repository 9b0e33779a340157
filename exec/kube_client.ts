/**
 * The executor's API client: plain `fetch` with the in-cluster configuration
 * (`KUBERNETES_SERVICE_HOST`/`_PORT`, the service account's `token`, `ca.crt` and `namespace`),
 * just enough to create and merge-patch the node's WorkflowTaskResult. Transient failures
 * (network errors, 408, 429, 5xx) are retried with capped exponential backoff.
 *
 * @module
 */
import { EXEC_ENV, type ExecPaths } from "./contract.ts";
import { errorText, ExecError } from "./template.ts";

export interface KubeConfig {
  baseUrl: string;
  namespace: string;
  tokenFile: string;
  client?: Deno.HttpClient;
}

export interface RetryPolicy {
  attempts: number;
  baseMs: number;
  capMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { attempts: 12, baseMs: 500, capMs: 15_000 };

export async function inClusterConfig(
  paths: ExecPaths,
  env: (name: string) => string | undefined,
): Promise<KubeConfig> {
  const dir = paths.serviceAccount;
  let namespace: string;
  try {
    namespace = (await Deno.readTextFile(`${dir}/namespace`)).trim();
  } catch (e) {
    throw new ExecError(`cannot read the service account namespace in ${dir}: ${errorText(e)}`);
  }
  let baseUrl = env(EXEC_ENV.apiUrl);
  if (!baseUrl) {
    const host = env("KUBERNETES_SERVICE_HOST");
    const port = env("KUBERNETES_SERVICE_PORT") || "443";
    if (!host) throw new ExecError("KUBERNETES_SERVICE_HOST is not set: not running in a pod?");
    baseUrl = `https://${host.includes(":") ? `[${host}]` : host}:${port}`;
  }
  baseUrl = baseUrl.replace(/\/+$/, "");
  let client: Deno.HttpClient | undefined;
  if (baseUrl.startsWith("https:")) {
    try {
      const ca = await Deno.readTextFile(`${dir}/ca.crt`);
      client = Deno.createHttpClient({ caCerts: [ca] });
    } catch (e) {
      if (!(e instanceof Deno.errors.NotFound)) throw e;
    }
  }
  return { baseUrl, namespace, tokenFile: `${dir}/token`, client };
}

export interface ApiResponse {
  status: number;
  body: string;
}

function transient(status: number): boolean {
  return status === 408 || status === 429 || status >= 500;
}

/** One API call with retries on transient failures; other statuses are returned. */
export async function apiRequest(
  cfg: KubeConfig,
  method: string,
  path: string,
  body: unknown,
  contentType: string,
  retry: RetryPolicy,
): Promise<ApiResponse> {
  let lastError = "";
  for (let attempt = 0; attempt < retry.attempts; attempt++) {
    if (attempt > 0) {
      const delay = Math.min(retry.capMs, retry.baseMs * 2 ** (attempt - 1));
      await new Promise((r) => setTimeout(r, delay * (0.9 + Math.random() * 0.2)));
    }
    // Re-read every time: projected tokens rotate.
    let token = "";
    try {
      token = (await Deno.readTextFile(cfg.tokenFile)).trim();
    } catch (e) {
      throw new ExecError(`cannot read the service account token: ${errorText(e)}`);
    }
    try {
      const res = await fetch(`${cfg.baseUrl}${path}`, {
        method,
        headers: {
          "Authorization": `Bearer ${token}`,
          "Content-Type": contentType,
          "Accept": "application/json",
        },
        body: JSON.stringify(body),
        client: cfg.client,
      });
      const text = await res.text();
      if (!transient(res.status)) return { status: res.status, body: text };
      lastError = `${method} ${path}: ${res.status} ${apiMessage(text)}`;
    } catch (e) {
      lastError = `${method} ${path}: ${e instanceof Error ? e.name : "error"}`;
    }
  }
  throw new ExecError(
    `the API server did not answer after ${retry.attempts} attempts: ${lastError}`,
  );
}

/** The `message` of a Kubernetes Status body, else the start of the body. */
export function apiMessage(body: string): string {
  try {
    const parsed = JSON.parse(body) as { message?: unknown };
    if (typeof parsed.message === "string") return parsed.message;
  } catch {
    // not JSON
  }
  return body.slice(0, 200);
}
