/**
 * The Kubernetes client edge for commands and the controller: connects through the chosen
 * kubeconfig and exposes Argo's kinds as typed calls. Failures come back as data that says
 * what went wrong and which kubeconfig and server were used.
 */
import * as k8s from "@kubernetes/client-node";
import type { Workflow } from "../api/types.gen.ts";
import { API_GROUP, API_VERSION } from "../api/meta.ts";
import {
  chooseKubeconfig,
  type KubeconfigChoice,
  type KubeconfigHost,
  systemHost,
} from "./kubeconfig.ts";

export type KubeResult<T> = { ok: true; value: T } | { ok: false; error: KubeError };

export interface KubeError {
  /** HTTP status from the server, or 0 when the server could not be reached. */
  code: number;
  /** Kubernetes Status reason (`NotFound`, `AlreadyExists`, `Conflict`, ...) when known. */
  reason?: string;
  message: string;
}

export interface ConnectOptions {
  kubeconfig?: string;
  context?: string;
  stateDir?: string;
  namespace?: string;
}

export interface Connection {
  config: k8s.KubeConfig;
  /** The namespace commands use: `-n`, else the context's, else `default`. */
  namespace: string;
  /** Which kubeconfig was used and the server, for messages. */
  description: string;
  server: string;
  choice: KubeconfigChoice;
}

/** Loads the kubeconfig by the documented precedence. */
export function connect(
  options: ConnectOptions = {},
  host: KubeconfigHost = systemHost(),
): KubeResult<Connection> {
  const choice = chooseKubeconfig(host, { flag: options.kubeconfig, stateDir: options.stateDir });
  if (!choice) {
    return failure(
      0,
      "no cluster to talk to: no --kubeconfig, no KUBECONFIG, no running embedded cluster and no " +
        "~/.kube/config; start one with `argo-ts cluster up`",
    );
  }
  const config = new k8s.KubeConfig();
  try {
    if (choice.source === "in-cluster") config.loadFromCluster();
    else config.loadFromFile(choice.path!);
    if (options.context) {
      if (!config.getContextObject(options.context)) {
        return failure(0, `context "${options.context}" not found in ${choice.description}`);
      }
      config.setCurrentContext(options.context);
    }
  } catch (error) {
    return failure(0, `cannot read ${choice.description}: ${messageOf(error)}`);
  }
  const cluster = config.getCurrentCluster();
  if (!cluster) return failure(0, `${choice.description} has no current cluster`);
  const namespace = options.namespace ??
    config.getContextObject(config.getCurrentContext())?.namespace ??
    "default";
  return {
    ok: true,
    value: {
      config,
      namespace,
      server: cluster.server,
      choice,
      description: `${choice.description}, server ${cluster.server}`,
    },
  };
}

function failure<T>(code: number, message: string, reason?: string): KubeResult<T> {
  return { ok: false, error: { code, message, reason } };
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Turns a client exception into a KubeError that names the connection. */
export function toKubeError(error: unknown, connection: Connection): KubeError {
  if (error instanceof k8s.ApiException) {
    const body = typeof error.body === "string" ? safeJson(error.body) : error.body;
    const status = body && typeof body === "object" ? body as Record<string, unknown> : {};
    const message = typeof status.message === "string" ? status.message : `HTTP ${error.code}`;
    const reason = typeof status.reason === "string" ? status.reason : undefined;
    return { code: error.code, reason, message };
  }
  return {
    code: 0,
    message: `cannot reach the cluster (${connection.description}): ${messageOf(error)}`,
  };
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

export interface ListOptions {
  labelSelector?: string;
  fieldSelector?: string;
  limit?: number;
  continueToken?: string;
}

export interface WorkflowList {
  items: Workflow[];
  continueToken?: string;
  resourceVersion?: string;
}

/** Argo Workflows through the API server. */
export class WorkflowClient {
  readonly #api: k8s.CustomObjectsApi;

  constructor(readonly connection: Connection) {
    this.#api = connection.config.makeApiClient(k8s.CustomObjectsApi);
  }

  async #call<T>(fn: () => Promise<unknown>): Promise<KubeResult<T>> {
    try {
      return { ok: true, value: await fn() as T };
    } catch (error) {
      return { ok: false, error: toKubeError(error, this.connection) };
    }
  }

  /** Lists workflows in a namespace, or in all namespaces when `namespace` is undefined. */
  list(
    namespace: string | undefined,
    options: ListOptions = {},
  ): Promise<KubeResult<WorkflowList>> {
    const common = {
      group: API_GROUP,
      version: API_VERSION,
      plural: "workflows",
      labelSelector: options.labelSelector,
      fieldSelector: options.fieldSelector,
      limit: options.limit,
      _continue: options.continueToken,
    };
    return this.#call<
      { items?: Workflow[]; metadata?: { continue?: string; resourceVersion?: string } }
    >(
      () =>
        namespace === undefined
          ? this.#api.listClusterCustomObject(common)
          : this.#api.listNamespacedCustomObject({ ...common, namespace }),
    ).then((result) =>
      result.ok
        ? {
          ok: true,
          value: {
            items: result.value.items ?? [],
            continueToken: result.value.metadata?.continue || undefined,
            resourceVersion: result.value.metadata?.resourceVersion,
          },
        }
        : result
    );
  }

  get(namespace: string, name: string): Promise<KubeResult<Workflow>> {
    return this.#call(() =>
      this.#api.getNamespacedCustomObject({
        group: API_GROUP,
        version: API_VERSION,
        plural: "workflows",
        namespace,
        name,
      })
    );
  }

  create(namespace: string, workflow: Workflow, dryRun = false): Promise<KubeResult<Workflow>> {
    return this.#call(() =>
      this.#api.createNamespacedCustomObject({
        group: API_GROUP,
        version: API_VERSION,
        plural: "workflows",
        namespace,
        body: workflow,
        dryRun: dryRun ? "All" : undefined,
      })
    );
  }

  delete(namespace: string, name: string): Promise<KubeResult<unknown>> {
    return this.#call(() =>
      this.#api.deleteNamespacedCustomObject({
        group: API_GROUP,
        version: API_VERSION,
        plural: "workflows",
        namespace,
        name,
      })
    );
  }

  /** A JSON merge patch (RFC 7386) of a workflow. */
  mergePatch(namespace: string, name: string, patch: unknown): Promise<KubeResult<Workflow>> {
    return this.#call(() =>
      this.#api.patchNamespacedCustomObject(
        {
          group: API_GROUP,
          version: API_VERSION,
          plural: "workflows",
          namespace,
          name,
          body: patch,
        },
        k8s.setHeaderOptions("Content-Type", k8s.PatchStrategy.MergePatch),
      )
    );
  }
}
