/**
 * The Kubernetes client edge for commands and the controller: connects through the chosen
 * kubeconfig and exposes Argo's kinds as typed calls. Failures come back as data that says
 * what went wrong and which kubeconfig and server were used.
 */
import * as k8s from "@kubernetes/client-node";
import { Writable } from "node:stream";
import type {
  ClusterWorkflowTemplate,
  CronWorkflow,
  Workflow,
  WorkflowTemplate,
} from "../api/types.gen.ts";
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

/** One kind of custom resource of Argo's API group, namespaced or cluster-scoped. */
export class CustomResourceClient<T> {
  readonly #api: k8s.CustomObjectsApi;

  constructor(
    readonly connection: Connection,
    readonly plural: string,
    readonly clusterScoped = false,
  ) {
    this.#api = connection.config.makeApiClient(k8s.CustomObjectsApi);
  }

  async #call<R>(fn: () => Promise<unknown>): Promise<KubeResult<R>> {
    try {
      return { ok: true, value: await fn() as R };
    } catch (error) {
      return { ok: false, error: toKubeError(error, this.connection) };
    }
  }

  #target(namespace: string | undefined) {
    return { group: API_GROUP, version: API_VERSION, plural: this.plural, namespace };
  }

  /** Lists objects in a namespace, or in all namespaces when `namespace` is undefined. */
  async list(
    namespace: string | undefined,
    options: ListOptions = {},
  ): Promise<KubeResult<{ items: T[]; continueToken?: string; resourceVersion?: string }>> {
    const common = {
      group: API_GROUP,
      version: API_VERSION,
      plural: this.plural,
      labelSelector: options.labelSelector,
      fieldSelector: options.fieldSelector,
      limit: options.limit,
      _continue: options.continueToken,
    };
    const result = await this.#call<
      { items?: T[]; metadata?: { continue?: string; resourceVersion?: string } }
    >(() =>
      namespace === undefined || this.clusterScoped
        ? this.#api.listClusterCustomObject(common)
        : this.#api.listNamespacedCustomObject({ ...common, namespace })
    );
    if (!result.ok) return result;
    return {
      ok: true,
      value: {
        items: result.value.items ?? [],
        continueToken: result.value.metadata?.continue || undefined,
        resourceVersion: result.value.metadata?.resourceVersion,
      },
    };
  }

  get(namespace: string, name: string): Promise<KubeResult<T>> {
    const target = this.#target(namespace);
    return this.#call(() =>
      this.clusterScoped
        ? this.#api.getClusterCustomObject({ ...target, name })
        : this.#api.getNamespacedCustomObject({ ...target, namespace, name })
    );
  }

  create(namespace: string, object: T, dryRun = false): Promise<KubeResult<T>> {
    const target = this.#target(namespace);
    const dry = dryRun ? "All" : undefined;
    return this.#call(() =>
      this.clusterScoped
        ? this.#api.createClusterCustomObject({ ...target, body: object as object, dryRun: dry })
        : this.#api.createNamespacedCustomObject({
          ...target,
          namespace,
          body: object as object,
          dryRun: dry,
        })
    );
  }

  /** Replaces the object (PUT); `object` must carry the current resourceVersion. */
  replace(namespace: string, name: string, object: T): Promise<KubeResult<T>> {
    const target = this.#target(namespace);
    return this.#call(() =>
      this.clusterScoped
        ? this.#api.replaceClusterCustomObject({ ...target, name, body: object as object })
        : this.#api.replaceNamespacedCustomObject({
          ...target,
          namespace,
          name,
          body: object as object,
        })
    );
  }

  delete(namespace: string, name: string): Promise<KubeResult<unknown>> {
    const target = this.#target(namespace);
    return this.#call(() =>
      this.clusterScoped
        ? this.#api.deleteClusterCustomObject({ ...target, name })
        : this.#api.deleteNamespacedCustomObject({ ...target, namespace, name })
    );
  }

  /** A JSON merge patch (RFC 7386); `null` values remove fields. */
  mergePatch(namespace: string, name: string, patch: unknown): Promise<KubeResult<T>> {
    const target = this.#target(namespace);
    const header = k8s.setHeaderOptions("Content-Type", k8s.PatchStrategy.MergePatch);
    return this.#call(() =>
      this.clusterScoped
        ? this.#api.patchClusterCustomObject({ ...target, name, body: patch as object }, header)
        : this.#api.patchNamespacedCustomObject(
          { ...target, namespace, name, body: patch as object },
          header,
        )
    );
  }
}

/** Argo Workflows through the API server. */
export class WorkflowClient extends CustomResourceClient<Workflow> {
  constructor(connection: Connection) {
    super(connection, "workflows");
  }
}

export const workflowTemplateClient = (connection: Connection) =>
  new CustomResourceClient<WorkflowTemplate>(connection, "workflowtemplates");
export const clusterWorkflowTemplateClient = (connection: Connection) =>
  new CustomResourceClient<ClusterWorkflowTemplate>(
    connection,
    "clusterworkflowtemplates",
    true,
  );
export const cronWorkflowClient = (connection: Connection) =>
  new CustomResourceClient<CronWorkflow>(connection, "cronworkflows");

/** What `pods/{name}/log` is asked for. */
export interface PodLogOptions {
  container: string;
  follow?: boolean;
  tailLines?: number;
  sinceSeconds?: number;
  timestamps?: boolean;
}

/** An open log stream: text arrives through the callback; `done` settles when it ends. */
export interface LogStream {
  done: Promise<KubeResult<void>>;
  abort(): void;
}

/** Pods and their logs. */
export class PodClient {
  readonly #core: k8s.CoreV1Api;

  constructor(readonly connection: Connection) {
    this.#core = connection.config.makeApiClient(k8s.CoreV1Api);
  }

  async list(namespace: string, labelSelector?: string): Promise<KubeResult<k8s.V1Pod[]>> {
    try {
      const list = await this.#core.listNamespacedPod({ namespace, labelSelector });
      return { ok: true, value: list.items };
    } catch (error) {
      return { ok: false, error: toKubeError(error, this.connection) };
    }
  }

  async delete(namespace: string, name: string): Promise<KubeResult<void>> {
    try {
      await this.#core.deleteNamespacedPod({ namespace, name });
      return { ok: true, value: undefined };
    } catch (error) {
      return { ok: false, error: toKubeError(error, this.connection) };
    }
  }

  /** Opens a container's log; `onText` receives chunks as they arrive (not split in lines). */
  async log(
    namespace: string,
    pod: string,
    options: PodLogOptions,
    onText: (text: string) => void,
  ): Promise<KubeResult<LogStream>> {
    const decoder = new TextDecoder();
    let settle: (result: KubeResult<void>) => void = () => {};
    const done = new Promise<KubeResult<void>>((resolve) => settle = resolve);
    const sink = new Writable({
      write(chunk: Uint8Array, _encoding, callback) {
        onText(decoder.decode(chunk, { stream: true }));
        callback();
      },
      final(callback) {
        const rest = decoder.decode();
        if (rest) onText(rest);
        settle({ ok: true, value: undefined });
        callback();
      },
    });
    // An aborted or broken stream ends without `final`; it still counts as ended.
    sink.on("error", () => settle({ ok: true, value: undefined }));
    sink.on("unpipe", () => setTimeout(() => settle({ ok: true, value: undefined }), 50));
    try {
      const abort = await new k8s.Log(this.connection.config).log(
        namespace,
        pod,
        options.container,
        sink,
        {
          follow: options.follow,
          tailLines: options.tailLines,
          sinceSeconds: options.sinceSeconds,
          timestamps: options.timestamps,
        },
      );
      return {
        ok: true,
        value: {
          done,
          abort: () => {
            abort.abort();
            settle({ ok: true, value: undefined });
          },
        },
      };
    } catch (error) {
      return { ok: false, error: toKubeError(error, this.connection) };
    }
  }
}
