/**
 * The node loop: a kubelet (and a one-node scheduler) for `argo-ts-local`. It lists and watches
 * pods over the Kubernetes API, binds unscheduled pods to itself through `pods/binding`, runs its
 * pods with the {@link PodRuntime}, writes their status with merge patches of `pods/{name}/status`,
 * and on deletion (deletionTimestamp set) terminates gracefully and then deletes the object with
 * gracePeriodSeconds=0, as the kubelet does.
 *
 * After a restart, a pod it finds Running (or with a container that started) but no process for
 * is marked Failed with a clear message: processes do not survive the node. Handling is
 * level-triggered and idempotent: the latest object per pod is handled, in order per pod.
 */
import type { V1ContainerStatus, V1Pod, V1PodStatus } from "@kubernetes/client-node";
import { ApiClient, type ApiConnection } from "./client.ts";
import type { PodLogSource } from "./logs.ts";
import { NODE_NAME, PodRuntime, type RuntimeOptions } from "./runtime.ts";
import type { ConfigSource } from "./spec.ts";

/**
 * Runtime options plus diagnostics. `kubernetesServiceHost`/`kubernetesServicePort` default to
 * the API server's address from {@link LocalNode.start}.
 */
export interface NodeOptions extends Omit<RuntimeOptions, "onStatus" | "config" | "tokenFor"> {
  /** Diagnostics (default: nothing). */
  log?: (message: string) => void;
}

export interface NodeConnection extends ApiConnection {
  /** Service-account tokens for pods (the API server's `tokenFor`); without it, no token files. */
  tokenFor?: (namespace: string, serviceAccount: string) => string | Promise<string>;
}

export const RESTART_MESSAGE =
  "pod was running when node argo-ts-local stopped; its processes did not survive the restart";

interface Pending {
  pod: V1Pod;
  deleted: boolean;
}

function podKey(pod: V1Pod): string {
  return `${pod.metadata?.namespace ?? "default"}/${pod.metadata?.name ?? ""}`;
}

function podPath(namespace: string, name: string): string {
  return `/api/v1/namespaces/${encodeURIComponent(namespace)}/pods/${encodeURIComponent(name)}`;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** The local node. Construct it (its {@link logs} exist at once), then {@link start} it. */
export class LocalNode {
  readonly runtime: PodRuntime;
  readonly nodeName: string;
  #options: NodeOptions;
  #client?: ApiClient;
  #abort = new AbortController();
  #closed = false;
  #loop?: Promise<void>;
  #pending = new Map<string, Pending>();
  #workers = new Map<string, Promise<void>>();
  #statuses = new Map<string, { uid: string; status: V1PodStatus }>();
  #senders = new Map<string, Promise<void>>();

  constructor(options: NodeOptions) {
    this.#options = options;
    this.nodeName = options.nodeName ?? NODE_NAME;
    const config: ConfigSource = {
      getConfigMap: (namespace, name) => this.#getData(namespace, "configmaps", name),
      getSecret: (namespace, name) => this.#getData(namespace, "secrets", name),
    };
    this.runtime = new PodRuntime({
      ...options,
      config,
      onStatus: (pod, status) => this.#onStatus(pod, status),
    });
  }

  /** Container logs of this node's pods, for the API server's `pods/log`. */
  get logs(): PodLogSource {
    return this.runtime;
  }

  /** Connects and starts the loop; resolves once the first list of pods has been handled. */
  start(connection: NodeConnection): Promise<void> {
    if (this.#loop) throw new Error("node already started");
    this.#client = new ApiClient(connection);
    const url = new URL(connection.url);
    this.runtime.configure({
      tokenFor: connection.tokenFor,
      caCert: connection.caCert,
      kubernetesServiceHost: this.#options.kubernetesServiceHost ??
        url.hostname.replace(/^\[|\]$/g, ""),
      kubernetesServicePort: this.#options.kubernetesServicePort ??
        (url.port || (url.protocol === "https:" ? "443" : "80")),
    });
    let ready: () => void = () => {};
    const started = new Promise<void>((resolve) => ready = resolve);
    this.#loop = this.#run(ready);
    return Promise.race([started, this.#loop]);
  }

  /** Stops watching, kills every pod (SIGKILL), and waits for in-flight work. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#abort.abort();
    await this.#loop;
    await this.runtime.close();
    await Promise.all([...this.#workers.values()]);
    await Promise.all([...this.#senders.values()]);
    this.#client?.close();
  }

  #log(message: string): void {
    this.#options.log?.(`node ${this.nodeName}: ${message}`);
  }

  async #getData(
    namespace: string,
    kind: "configmaps" | "secrets",
    name: string,
  ): Promise<Record<string, string> | undefined> {
    const client = this.#client;
    if (!client) return undefined;
    const response = await client.request(
      "GET",
      `/api/v1/namespaces/${encodeURIComponent(namespace)}/${kind}/${encodeURIComponent(name)}`,
    );
    if (response.status !== 200) return undefined;
    return (response.body?.data ?? {}) as Record<string, string>;
  }

  // ---- list and watch -----------------------------------------------------------------------

  async #run(ready: () => void): Promise<void> {
    const client = this.#client!;
    let first = true;
    while (!this.#closed) {
      const list = await client.request("GET", "/api/v1/pods");
      if (this.#closed) break;
      if (list.status !== 200) {
        this.#log(`listing pods failed (${list.status}); retrying`);
        await Promise.race([sleep(500), this.#aborted()]);
        continue;
      }
      const items = (list.body?.items ?? []) as V1Pod[];
      let resourceVersion = String(
        (list.body?.metadata as Record<string, unknown> | undefined)?.resourceVersion ?? "",
      );
      const present = new Set<string>();
      for (const pod of items) {
        present.add(podKey(pod));
        this.#enqueue(pod, false);
      }
      for (const key of this.runtime.pods()) {
        if (present.has(key)) continue;
        const [namespace, name] = key.split("/");
        const uid = this.runtime.uid(namespace, name);
        this.#enqueue({ metadata: { namespace, name, uid } }, true);
      }
      if (first) {
        first = false;
        await Promise.all([...this.#workers.values()]);
        ready();
      }
      while (!this.#closed) {
        let gone = false;
        const status = await client.watch(
          `/api/v1/pods?watch=true&allowWatchBookmarks=true&resourceVersion=${
            encodeURIComponent(resourceVersion)
          }`,
          this.#abort.signal,
          (event) => {
            if (event.type === "ERROR") {
              gone = true;
              return;
            }
            const meta = event.object.metadata as Record<string, unknown> | undefined;
            if (meta?.resourceVersion) resourceVersion = String(meta.resourceVersion);
            if (event.type === "BOOKMARK") return;
            this.#enqueue(event.object as V1Pod, event.type === "DELETED");
          },
        );
        if (this.#closed) break;
        if (gone || status !== 200) break;
      }
      if (!this.#closed) await Promise.race([sleep(200), this.#aborted()]);
    }
  }

  #aborted(): Promise<void> {
    return new Promise((resolve) => {
      if (this.#abort.signal.aborted) resolve();
      else this.#abort.signal.addEventListener("abort", () => resolve(), { once: true });
    });
  }

  /** Keeps only the latest object per pod and handles pods one at a time each. */
  #enqueue(pod: V1Pod, deleted: boolean): void {
    if (this.#closed) return;
    const key = podKey(pod);
    this.#pending.set(key, { pod, deleted });
    if (this.#workers.has(key)) return;
    const work = (async () => {
      while (this.#pending.has(key) && !this.#closed) {
        const next = this.#pending.get(key)!;
        this.#pending.delete(key);
        try {
          await this.#handle(next.pod, next.deleted);
        } catch (error) {
          this.#log(`pod ${key}: ${error instanceof Error ? error.message : String(error)}`);
        }
      }
      this.#workers.delete(key);
    })();
    this.#workers.set(key, work);
  }

  async #handle(pod: V1Pod, deleted: boolean): Promise<void> {
    const client = this.#client!;
    const namespace = pod.metadata?.namespace ?? "default";
    const name = pod.metadata?.name ?? "";
    const uid = pod.metadata?.uid ?? "";
    const known = this.runtime.uid(namespace, name);
    const key = `${namespace}/${name}`;
    if (deleted) {
      if (known === uid) await this.runtime.forget(namespace, name);
      else if (uid) await this.runtime.removePodDir(namespace, name, uid);
      this.#statuses.delete(key);
      return;
    }
    const nodeName = pod.spec?.nodeName ?? "";
    if (nodeName !== "" && nodeName !== this.nodeName) return;
    if (pod.metadata?.deletionTimestamp) {
      if (nodeName === "") return;
      if (known === uid) {
        const grace = pod.metadata.deletionGracePeriodSeconds ??
          pod.spec?.terminationGracePeriodSeconds ?? 30;
        await this.runtime.kill(namespace, name, grace);
        await this.#flush(key);
      }
      const response = await client.request(
        "DELETE",
        `${podPath(namespace, name)}?gracePeriodSeconds=0`,
        { apiVersion: "v1", kind: "DeleteOptions", gracePeriodSeconds: 0, preconditions: { uid } },
      );
      if (response.status >= 300 && response.status !== 404 && response.status !== 409) {
        this.#log(`final delete of ${key} failed (${response.status})`);
      }
      if (known === uid) await this.runtime.forget(namespace, name);
      return;
    }
    if (nodeName === "") {
      await this.#bind(namespace, name);
      return;
    }
    if (known === uid) return;
    if (known !== undefined) await this.runtime.forget(namespace, name);
    const phase = pod.status?.phase;
    if (phase === "Succeeded" || phase === "Failed") return;
    if (wasStarted(pod.status)) {
      await this.#markLost(pod);
      return;
    }
    this.runtime.run(pod);
  }

  /** Binds through `pods/binding`; falls back to patching spec.nodeName where binding is absent. */
  async #bind(namespace: string, name: string): Promise<void> {
    const client = this.#client!;
    const binding = await client.request("POST", `${podPath(namespace, name)}/binding`, {
      apiVersion: "v1",
      kind: "Binding",
      metadata: { name, namespace },
      target: { apiVersion: "v1", kind: "Node", name: this.nodeName },
    });
    if (binding.status < 300 || binding.status === 409) return;
    if (binding.status === 404 || binding.status === 405) {
      const exists = await client.request("GET", podPath(namespace, name));
      if (exists.status !== 200) return;
      const patched = await client.request(
        "PATCH",
        podPath(namespace, name),
        { spec: { nodeName: this.nodeName } },
        "application/merge-patch+json",
      );
      if (patched.status < 300) return;
      this.#log(`binding ${namespace}/${name} failed (${patched.status})`);
      return;
    }
    this.#log(`binding ${namespace}/${name} failed (${binding.status})`);
  }

  /** A pod this node had started before it restarted: its processes are gone. */
  async #markLost(pod: V1Pod): Promise<void> {
    const now = new Date();
    const lose = (container: V1ContainerStatus): V1ContainerStatus => {
      const state = container.state;
      if (state?.terminated) return container;
      return {
        ...container,
        ready: false,
        state: {
          terminated: {
            exitCode: 137,
            reason: "ContainerStatusUnknown",
            message: "The container could not be located when the pod was terminated",
            startedAt: state?.running?.startedAt,
            finishedAt: now,
          },
        },
      };
    };
    const status: V1PodStatus = {
      phase: "Failed",
      message: RESTART_MESSAGE.replace("argo-ts-local", this.nodeName),
      conditions: (pod.status?.conditions ?? []).map((condition) =>
        condition.type === "Ready" || condition.type === "ContainersReady"
          ? { ...condition, status: "False", reason: "PodFailed", lastTransitionTime: now }
          : condition
      ),
      containerStatuses: (pod.status?.containerStatuses ?? []).map(lose),
    };
    if (pod.status?.initContainerStatuses) {
      status.initContainerStatuses = pod.status.initContainerStatuses.map(lose);
    }
    await this.#patchStatus(pod.metadata?.namespace ?? "default", pod.metadata?.name ?? "", status);
  }

  // ---- status writes ------------------------------------------------------------------------

  #onStatus(pod: V1Pod, status: V1PodStatus): void {
    if (this.#closed) return;
    const key = podKey(pod);
    this.#statuses.set(key, { uid: pod.metadata?.uid ?? "", status });
    if (this.#senders.has(key)) return;
    const send = (async () => {
      while (this.#statuses.has(key) && !this.#closed) {
        const next = this.#statuses.get(key)!;
        this.#statuses.delete(key);
        if (this.runtime.uid(...key.split("/") as [string, string]) !== next.uid) continue;
        const [namespace, name] = key.split("/");
        for (let attempt = 0; attempt < 5 && !this.#closed; attempt++) {
          const code = await this.#patchStatus(namespace, name, next.status);
          if (code < 300 || code === 404 || this.#statuses.has(key)) break;
          await sleep(100 * (attempt + 1));
        }
      }
      this.#senders.delete(key);
    })();
    this.#senders.set(key, send);
  }

  async #patchStatus(namespace: string, name: string, status: V1PodStatus): Promise<number> {
    const response = await this.#client!.request(
      "PATCH",
      `${podPath(namespace, name)}/status`,
      { status },
      "application/merge-patch+json",
    );
    if (response.status >= 300 && response.status !== 404) {
      this.#log(`status of ${namespace}/${name}: ${response.status}`);
    }
    return response.status;
  }

  /** Waits until every status reported so far for this pod has been written. */
  async #flush(key: string): Promise<void> {
    while (this.#senders.has(key)) await this.#senders.get(key);
  }
}

function wasStarted(status: V1PodStatus | undefined): boolean {
  if (status?.phase === "Running") return true;
  const all = [...status?.initContainerStatuses ?? [], ...status?.containerStatuses ?? []];
  return all.some((container) => container.state?.running || container.state?.terminated);
}

/** Creates a node and starts it against an API server. */
export async function startNode(
  options: NodeOptions & { connection: NodeConnection },
): Promise<LocalNode> {
  const { connection, ...rest } = options;
  const node = new LocalNode(rest);
  await node.start(connection);
  return node;
}
