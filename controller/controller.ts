/**
 * The workflow controller: the shell around the pure engine. Informers keep caches of
 * workflows, their pods and task results, templates and ConfigMaps; any change queues the
 * workflow's key; workers reconcile from the caches (never from event payloads), apply the
 * engine's actions in order, and write the status with its resourceVersion.
 *
 * Idempotent by construction: pod names are deterministic, so AlreadyExists on create is
 * adopted when the pod belongs to the same workflow node; a 409 on the status write re-queues
 * the key and the next reconcile starts from the newer object. Transient API errors (429 with
 * Retry-After, 5xx, timeouts, refused connections) retry the key with per-key exponential
 * backoff. Every API call passes a token bucket (QPS and burst) and is counted in the metrics.
 *
 * With leader election, caches stay warm on a standby but only the leader reconciles and
 * writes; becoming leader re-queues every workflow (level-triggered: state, not events).
 */
import * as k8s from "@kubernetes/client-node";
import type { V1ConfigMap, V1Pod } from "@kubernetes/client-node";
import type { ClusterWorkflowTemplate, Workflow, WorkflowTemplate } from "../api/types.gen.ts";
import type { WorkflowTaskResult } from "../api/task_result.ts";
import { API_GROUP, API_VERSION } from "../api/meta.ts";
import { type Action, reconcile, type ReconcileResult, type Snapshot } from "./operator/mod.ts";
import type { ControllerConfig } from "./operator/config.ts";
import { WorkQueue } from "./queue.ts";
import { CONFIG_MAP_NAME, mergeConfig, parseConfigMapData } from "./config_map.ts";
import { ControllerMetrics } from "./metrics.ts";
import { kubeLeaseStore, type LeaderElectionOptions, LeaderElector } from "./leader.ts";

const WORKFLOW_LABEL = "workflows.argoproj.io/workflow";
const NODE_ID_ANNOTATION = "workflows.argoproj.io/node-id";

export interface ControllerOptions {
  kubeconfig: k8s.KubeConfig;
  /** The base config; `workflow-controller-configmap`'s keys are merged over it. */
  config: ControllerConfig;
  /** Concurrent reconciles (default 4). */
  workers?: number;
  log?: (message: string) => void;
  /** The clock (tests inject one). */
  now?: () => Date;
  /** The controller's namespace: its ConfigMap and Lease live here (default `argo`). */
  namespace?: string;
  /** Read and follow `workflow-controller-configmap` (default true). */
  watchConfigMap?: boolean;
  /** API requests per second, steady state (default 20, as Argo's `--qps`). */
  qps?: number;
  /** API requests allowed in a burst (default 30, as Argo's `--burst`). */
  burst?: number;
  metrics?: ControllerMetrics;
  /** Campaign for the Lease before reconciling; absent: always the leader. */
  leaderElection?: Omit<LeaderElectionOptions, "onStartedLeading" | "onStoppedLeading" | "log">;
  /** The engine (tests inject a failing one to check that a bug ends one workflow in Error). */
  reconcile?: (snapshot: Snapshot) => ReconcileResult;
}

/**
 * A token bucket: `burst` calls at once, then `qps` per second. Callers reserve a token (the
 * count may go negative) and wait for their turn, so waiting calls are served in order.
 */
export class TokenBucket {
  #tokens: number;
  #last: number;

  constructor(
    readonly qps: number,
    readonly burst: number,
    private readonly clock: () => number = () => performance.now(),
  ) {
    this.#tokens = burst;
    this.#last = clock();
  }

  /** How long the caller must wait (ms) for the token it just reserved. */
  reserve(): number {
    const now = this.clock();
    this.#tokens = Math.min(this.burst, this.#tokens + (now - this.#last) * this.qps / 1000);
    this.#last = now;
    this.#tokens -= 1;
    return this.#tokens >= 0 ? 0 : -this.#tokens * 1000 / this.qps;
  }

  async take(): Promise<void> {
    const wait = this.reserve();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
  }
}

/** What to do with a key whose sync failed. */
export type RetryDecision =
  | { kind: "now" }
  | { kind: "after"; ms: number }
  | { kind: "backoff" };

/**
 * 409: reconcile again at once from the newer object; 429: wait what Retry-After says (or the
 * backoff, whichever is longer); anything else (5xx, timeouts, refused connections, a pod name
 * clash): exponential backoff per key.
 */
export function retryDecision(error: unknown): RetryDecision {
  if (error instanceof k8s.ApiException) {
    if (error.code === 409) return { kind: "now" };
    if (error.code === 429) {
      const header = error.headers?.["retry-after"] ?? error.headers?.["Retry-After"];
      const seconds = Number(header);
      if (Number.isFinite(seconds) && seconds > 0) return { kind: "after", ms: seconds * 1000 };
    }
  }
  return { kind: "backoff" };
}

/** The dispatcher factory client-node uses for each request (not in its type declarations). */
interface DispatcherFactory {
  createDispatcher(cluster: unknown, agentOptions: unknown): unknown;
  createDispatcherOptions(
    cluster: unknown,
    agentOptions: unknown,
  ): { type: string; connect?: Record<string, unknown> };
}

type Closable = { close?: () => Promise<void> };

/**
 * Makes a KubeConfig's requests use HTTP/1.1 over one shared connection pool. client-node 2.0.1
 * builds a new undici Agent for every request (a TLS handshake each time) and lets it negotiate
 * HTTP/2, and under Deno an HTTP/2 session closed by the server can crash the process (an
 * nghttp2 assertion). One cached Agent per TLS setting with `allowH2: false` avoids both.
 * Returns how to close the pooled connections.
 */
export function useHttp1(kubeconfig: k8s.KubeConfig): () => Promise<void> {
  const factory = kubeconfig as unknown as DispatcherFactory;
  if (typeof factory.createDispatcher !== "function") return () => Promise.resolve();
  const original = factory.createDispatcher.bind(kubeconfig);
  const agents = new Map<string, Closable>();
  factory.createDispatcher = (cluster, agentOptions) => {
    const options = factory.createDispatcherOptions(cluster, agentOptions);
    if (options.type !== "agent") return original(cluster, agentOptions);
    const key = JSON.stringify(options.connect);
    let agent = agents.get(key);
    if (agent === undefined) {
      // The undici Agent class, without importing undici: the one client-node itself uses.
      const probe = original(cluster, agentOptions) as Closable & {
        constructor: new (options: Record<string, unknown>) => Closable;
      };
      agent = new probe.constructor({ connect: options.connect, allowH2: false });
      probe.close?.().catch(() => {});
      agents.set(key, agent);
    }
    return agent;
  };
  return async () => {
    const all = [...agents.values()];
    agents.clear();
    await Promise.all(all.map((agent) => agent.close?.().catch(() => {})));
  };
}

type Keyed = { metadata?: { name?: string; namespace?: string; resourceVersion?: string } };

function keyOf(object: Keyed): string {
  return `${object.metadata?.namespace ?? ""}/${object.metadata?.name ?? ""}`;
}

/** Keeps an object only if it is not older than the one held (resourceVersions as integers). */
function newer(held: Keyed | undefined, incoming: Keyed): boolean {
  const a = Number(held?.metadata?.resourceVersion);
  const b = Number(incoming.metadata?.resourceVersion);
  return !(Number.isFinite(a) && Number.isFinite(b) && b < a);
}

/** A cache of objects grouped by an owner key (e.g. pods by their workflow). */
class Grouped<T extends Keyed> {
  readonly #groups = new Map<string, Map<string, T>>();
  readonly #groupOf = new Map<string, string>();

  set(group: string, object: T): void {
    const key = keyOf(object);
    const previous = this.#groupOf.get(key);
    if (previous !== undefined && previous !== group) this.#groups.get(previous)?.delete(key);
    let members = this.#groups.get(group);
    if (!members) this.#groups.set(group, members = new Map());
    if (newer(members.get(key), object)) members.set(key, object);
    this.#groupOf.set(key, group);
  }

  delete(object: T): string | undefined {
    const key = keyOf(object);
    const group = this.#groupOf.get(key);
    if (group !== undefined) this.#groups.get(group)?.delete(key);
    this.#groupOf.delete(key);
    return group;
  }

  list(group: string): T[] {
    return [...(this.#groups.get(group)?.values() ?? [])];
  }

  *all(): Iterable<T> {
    for (const members of this.#groups.values()) yield* members.values();
  }
}

/** Thrown inside a sync when leadership was lost: the key is dropped, the new leader owns it. */
class NotLeader extends Error {}

export class WorkflowController {
  readonly #queue = new WorkQueue<string>({ baseDelayMs: 50, maxDelayMs: 60_000 });
  readonly #workflows = new Map<string, Workflow>();
  readonly #pods = new Grouped<V1Pod>();
  readonly #results = new Grouped<WorkflowTaskResult>();
  readonly #templates = new Grouped<WorkflowTemplate>();
  readonly #clusterTemplates = new Map<string, ClusterWorkflowTemplate>();
  readonly #configMaps = new Grouped<V1ConfigMap>();
  readonly #informers: Array<k8s.Informer<k8s.KubernetesObject>> = [];
  readonly #core: k8s.CoreV1Api;
  readonly #custom: k8s.CustomObjectsApi;
  readonly #log: (message: string) => void;
  readonly #now: () => Date;
  readonly #bucket: TokenBucket;
  readonly #namespace: string;
  readonly #closeHttp: () => Promise<void>;
  readonly #elector?: LeaderElector;
  readonly metrics: ControllerMetrics;
  #config: ControllerConfig;
  #configText = "";
  /** The lock table (synchronization): lock key -> holder keys, in the order they got it. */
  readonly #locks = new Map<string, string[]>();
  /** Workflow keys waiting for a lock, woken when it is released. */
  readonly #lockWaiters = new Map<string, Set<string>>();
  /** Delayed deletions (pod GC's delay, TTL) by object, so each is scheduled once. */
  readonly #delayed = new Map<string, ReturnType<typeof setTimeout>>();
  #leading: boolean;
  #busy = 0;
  #workers: Promise<void>[] = [];
  #stopped = false;

  constructor(private readonly options: ControllerOptions) {
    this.#closeHttp = useHttp1(options.kubeconfig);
    this.#core = options.kubeconfig.makeApiClient(k8s.CoreV1Api);
    this.#custom = options.kubeconfig.makeApiClient(k8s.CustomObjectsApi);
    this.#log = options.log ?? (() => {});
    this.#now = options.now ?? (() => new Date());
    this.#bucket = new TokenBucket(options.qps ?? 20, options.burst ?? 30);
    this.#namespace = options.namespace ?? "argo";
    this.#config = options.config;
    this.metrics = options.metrics ?? new ControllerMetrics();
    this.#leading = options.leaderElection === undefined;
    if (options.leaderElection) {
      this.#elector = new LeaderElector(
        kubeLeaseStore(options.kubeconfig, this.#namespace),
        {
          ...options.leaderElection,
          log: (message) => this.#log(message),
          onStartedLeading: () => this.#startLeading(),
          onStoppedLeading: () => this.#stopLeading(),
        },
      );
    }
    this.#registerGauges();
  }

  /** Whether this controller reconciles now (always, without leader election). */
  get leading(): boolean {
    return this.#leading;
  }

  /** The config in force: the base with the ConfigMap's keys over it. */
  get config(): ControllerConfig {
    return this.#config;
  }

  /** Starts the informers (waiting for their first lists), the workers and the election. */
  async start(): Promise<void> {
    const kc = this.options.kubeconfig;
    const custom = (plural: string) => () =>
      this.#call(plural, "List", () =>
        this.#custom.listClusterCustomObject({
          group: API_GROUP,
          version: API_VERSION,
          plural,
        })) as Promise<k8s.KubernetesListObject<k8s.KubernetesObject>>;
    const argoPath = (plural: string) => `/apis/${API_GROUP}/${API_VERSION}/${plural}`;

    this.#watch<Workflow>(k8s.makeInformer(kc, argoPath("workflows"), custom("workflows")), {
      upsert: (wf) => {
        const key = keyOf(wf);
        if (newer(this.#workflows.get(key), wf)) this.#workflows.set(key, wf);
        this.#enqueue(key);
      },
      remove: (wf) => {
        this.#workflows.delete(keyOf(wf));
        // A deleted workflow holds no locks any more: free them for the waiters.
        this.#releaseAll(keyOf(wf));
      },
    });
    this.#watch<V1Pod>(
      k8s.makeInformer(
        kc,
        "/api/v1/pods",
        () =>
          this.#call(
            "pods",
            "List",
            () => this.#core.listPodForAllNamespaces({ labelSelector: WORKFLOW_LABEL }),
          ),
        WORKFLOW_LABEL,
      ),
      {
        upsert: (pod) => this.#enqueueOwner(pod, (group) => this.#pods.set(group, pod)),
        remove: (pod) => this.#enqueueGroup(this.#pods.delete(pod)),
      },
    );
    this.#watch<WorkflowTaskResult>(
      k8s.makeInformer(kc, argoPath("workflowtaskresults"), custom("workflowtaskresults")),
      {
        upsert: (result) => this.#enqueueOwner(result, (group) => this.#results.set(group, result)),
        remove: (result) => this.#enqueueGroup(this.#results.delete(result)),
      },
    );
    this.#watch<WorkflowTemplate>(
      k8s.makeInformer(kc, argoPath("workflowtemplates"), custom("workflowtemplates")),
      {
        upsert: (t) => this.#templates.set(t.metadata?.namespace ?? "", t),
        remove: (t) => this.#templates.delete(t),
      },
    );
    this.#watch<ClusterWorkflowTemplate>(
      k8s.makeInformer(
        kc,
        argoPath("clusterworkflowtemplates"),
        custom("clusterworkflowtemplates"),
      ),
      {
        upsert: (t) => this.#clusterTemplates.set(t.metadata?.name ?? "", t),
        remove: (t) => this.#clusterTemplates.delete(t.metadata?.name ?? ""),
      },
    );
    this.#watch<V1ConfigMap>(
      k8s.makeInformer(
        kc,
        "/api/v1/configmaps",
        () => this.#call("configmaps", "List", () => this.#core.listConfigMapForAllNamespaces()),
      ),
      {
        upsert: (cm) => {
          this.#configMaps.set(cm.metadata?.namespace ?? "", cm);
          if (this.#isOwnConfigMap(cm)) this.#loadConfig(cm);
        },
        remove: (cm) => {
          this.#configMaps.delete(cm);
          if (this.#isOwnConfigMap(cm)) this.#loadConfig(undefined);
        },
      },
    );
    await Promise.all(this.#informers.map((informer) => informer.start()));
    if (this.#leading) this.#rebuildLocks();
    const workers = this.options.workers ?? 4;
    this.#workers = Array.from({ length: workers }, () => this.#work());
    this.metrics.isLeader.set({}, this.#leading ? 1 : 0);
    this.#elector?.start();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    this.#queue.close();
    for (const timer of this.#delayed.values()) clearTimeout(timer);
    this.#delayed.clear();
    await Promise.all(this.#informers.map((informer) => informer.stop().catch(() => {})));
    await Promise.all(this.#workers);
    // Release the Lease only once no worker can write any more, so the next leader starts
    // from everything this one wrote.
    await this.#elector?.stop();
    await this.#closeHttp();
  }

  #startLeading(): void {
    if (this.#stopped) return;
    this.#log("became the leader: reconciling every workflow");
    this.#leading = true;
    this.metrics.isLeader.set({}, 1);
    this.#rebuildLocks();
    for (const key of this.#workflows.keys()) this.#enqueue(key);
  }

  #stopLeading(): void {
    this.#leading = false;
    this.metrics.isLeader.set({}, 0);
    if (!this.#stopped) this.#log("not the leader: reconciling stops");
  }

  #isOwnConfigMap(cm: V1ConfigMap): boolean {
    return this.options.watchConfigMap !== false &&
      cm.metadata?.namespace === this.#namespace && cm.metadata?.name === CONFIG_MAP_NAME;
  }

  /** Applies the ConfigMap (or the base config when it is gone); says what it could not use. */
  #loadConfig(cm: V1ConfigMap | undefined): void {
    const text = JSON.stringify(cm?.data ?? null);
    if (text === this.#configText) return;
    this.#configText = text;
    const parsed = parseConfigMapData(cm?.data);
    for (const problem of parsed.problems) this.#log(`${CONFIG_MAP_NAME}: ${problem}`);
    this.#config = mergeConfig(this.options.config, parsed.config);
    this.#log(`${CONFIG_MAP_NAME} ${cm ? "loaded" : "absent: using the defaults"}`);
  }

  #registerGauges(): void {
    this.metrics.workflows.collect = () => {
      const counts = new Map<string, number>();
      for (const wf of this.#workflows.values()) {
        const phase = wf.status?.phase ?? "";
        counts.set(phase, (counts.get(phase) ?? 0) + 1);
      }
      return [...counts].map(([phase, value]) => ({ labels: { phase }, value }));
    };
    this.metrics.podsByPhase.collect = () => {
      const counts = new Map<string, number>();
      for (const pod of this.#pods.all()) {
        const phase = pod.status?.phase ?? "Pending";
        counts.set(phase, (counts.get(phase) ?? 0) + 1);
      }
      return [...counts].map(([phase, value]) => ({ labels: { phase }, value }));
    };
    this.metrics.queueDepth.collect = () => [
      { labels: { queue_name: "workflow_queue" }, value: this.#queue.length },
    ];
    this.metrics.workersBusy.collect = () => [
      { labels: { worker_type: "workflow_queue" }, value: this.#busy },
    ];
  }

  /** One API call: waits for a token, then counts and times it by kind, verb and status. */
  async #call<T>(kind: string, verb: string, fn: () => Promise<T>): Promise<T> {
    await this.#bucket.take();
    const started = performance.now();
    let code = "0";
    try {
      const result = await fn();
      code = verb === "Create" ? "201" : "200";
      return result;
    } catch (error) {
      code = error instanceof k8s.ApiException ? String(error.code) : "0";
      throw error;
    } finally {
      const labels = { kind, verb, status_code: code };
      this.metrics.k8sRequests.inc(labels);
      this.metrics.k8sRequestDuration.observe((performance.now() - started) / 1000, labels);
    }
  }

  #enqueue(key: string): void {
    this.metrics.queueAdds.inc({ queue_name: "workflow_queue" });
    this.#queue.add(key);
  }

  #watch<T>(
    informer: k8s.Informer<k8s.KubernetesObject>,
    handlers: { upsert: (object: T) => void; remove: (object: T) => void },
  ): void {
    // The typed client turns timestamps into Date objects; the engine reads plain JSON.
    informer.on("add", (object) => handlers.upsert(plain(object) as T));
    informer.on("update", (object) => handlers.upsert(plain(object) as T));
    informer.on("delete", (object) => handlers.remove(plain(object) as T));
    let failures = 0;
    informer.on("error", (error) => {
      if (this.#stopped) return;
      // The informer stops on a watch error (including 410 Gone): start it again, which
      // re-lists when it has no resourceVersion to resume from, so every object is seen
      // again (each seen object queues its workflow) and no key is lost. While the server
      // stays unreachable the retries back off (0.5 s doubling to 30 s).
      this.metrics.errors.inc({ cause: "WatchError" });
      const delay = Math.min(30_000, 500 * 2 ** Math.min(failures++, 6));
      this.#log(`watch error, re-listing in ${delay} ms: ${describe(error)}`);
      setTimeout(() => {
        if (this.#stopped) return;
        const before = failures;
        informer.start().then(() => {
          // Listed and watching with no new error meanwhile: the server is back.
          if (failures === before) failures = 0;
        }, () => {});
      }, delay);
    });
    this.#informers.push(informer);
  }

  #enqueueOwner(
    object: Keyed & { metadata?: { labels?: Record<string, string> } },
    store: (group: string) => void,
  ) {
    const workflow = object.metadata?.labels?.[WORKFLOW_LABEL];
    if (!workflow) return;
    const group = `${object.metadata?.namespace ?? ""}/${workflow}`;
    store(group);
    this.#enqueue(group);
  }

  #enqueueGroup(group: string | undefined): void {
    if (group !== undefined) this.#enqueue(group);
  }

  async #work(): Promise<void> {
    for (;;) {
      const key = await this.#queue.get();
      if (key === undefined) return;
      this.#busy++;
      try {
        const requeueSeconds = await this.#sync(key);
        this.#queue.forget(key);
        if (requeueSeconds !== undefined) this.#queue.addAfter(key, requeueSeconds * 1000);
      } catch (error) {
        if (error instanceof NotLeader) continue;
        const decision = retryDecision(error);
        if (decision.kind === "now") {
          this.#enqueue(key);
          continue;
        }
        // The server said when to come back (429 Retry-After): that, else per-key backoff.
        let delay: number;
        if (decision.kind === "after") {
          delay = decision.ms;
          this.#queue.addAfter(key, delay);
        } else {
          delay = this.#queue.addRateLimited(key);
        }
        this.metrics.errors.inc({ cause: "TransientError" });
        this.#log(`${key}: ${describe(error)}; retrying in ${delay} ms`);
      } finally {
        this.#busy--;
        this.#queue.done(key);
      }
    }
  }

  #assertLeading(): void {
    if (!this.#leading || this.#stopped) throw new NotLeader("not the leader");
  }

  /** Reconciles one workflow; returns when to look again, if the engine asked. */
  async #sync(key: string): Promise<number | undefined> {
    const workflow = this.#workflows.get(key);
    if (!workflow || this.#stopped || !this.#leading) return undefined;
    if (workflow.metadata?.labels?.["workflows.argoproj.io/completed"] === "true") return undefined;
    const namespace = workflow.metadata.namespace ?? "default";
    const now = this.#now().toISOString().replace(/\.\d{3}Z$/, "Z");
    const snapshot: Snapshot = {
      workflow: structuredClone(workflow),
      pods: this.#pods.list(key),
      taskResults: this.#results.list(key),
      workflowTemplates: this.#templates.list(namespace),
      clusterWorkflowTemplates: [...this.#clusterTemplates.values()],
      configMaps: this.#configMaps.list(namespace),
      config: this.#config,
      now,
      locks: { holders: Object.fromEntries(this.#locks) },
    };
    const started = performance.now();
    let result;
    try {
      result = (this.options.reconcile ?? reconcile)(snapshot);
    } catch (error) {
      // A bug in the engine ends this workflow in Error; it never takes the controller down.
      this.metrics.errors.inc({ cause: "OperationPanic" });
      const message = `internal error: ${error instanceof Error ? error.message : String(error)}`;
      this.#log(`${key}: ${message}`);
      result = {
        status: { ...workflow.status, phase: "Error" as const, message, finishedAt: now },
        actions: [],
        labels: {
          "workflows.argoproj.io/phase": "Error",
          "workflows.argoproj.io/completed": "true",
        },
        requeueAfterSeconds: undefined,
      };
    } finally {
      this.metrics.operationDuration.observe((performance.now() - started) / 1000);
    }
    for (const action of result.actions) await this.#apply(action, workflow, key);
    const labels = { ...workflow.metadata.labels, ...result.labels };
    const unchanged = JSON.stringify(result.status) === JSON.stringify(workflow.status ?? {}) &&
      JSON.stringify(labels) === JSON.stringify(workflow.metadata.labels ?? {});
    if (!unchanged) {
      const body: Workflow = {
        ...workflow,
        metadata: { ...workflow.metadata, labels },
        status: result.status,
      };
      this.#assertLeading();
      try {
        const written = await this.#call(
          "workflows",
          "Update",
          () =>
            this.#custom.replaceNamespacedCustomObject({
              group: API_GROUP,
              version: API_VERSION,
              plural: "workflows",
              namespace,
              name: workflow.metadata.name!,
              body,
            }),
        ) as Workflow;
        if (newer(this.#workflows.get(key), written)) this.#workflows.set(key, written);
      } catch (error) {
        if (error instanceof k8s.ApiException && error.code === 409) {
          // Someone wrote first: reconcile again from the newer object the watch brings.
          this.#enqueue(key);
          return undefined;
        }
        throw error;
      }
    }
    return result.requeueAfterSeconds;
  }

  async #apply(action: Action, workflow: Workflow, key: string): Promise<void> {
    this.#assertLeading();
    switch (action.type) {
      case "createPod": {
        const pod = action.pod;
        const namespace = pod.metadata?.namespace ?? workflow.metadata.namespace ?? "default";
        try {
          const created = await this.#call(
            "pods",
            "Create",
            () => this.#core.createNamespacedPod({ namespace, body: pod }),
          );
          this.#pods.set(keyOf(workflow), plain(created));
        } catch (error) {
          if (!(error instanceof k8s.ApiException && error.code === 409)) throw error;
          // A pod of that name exists: ours (from an earlier attempt) is adopted, anything else is a clash.
          const existing = await this.#call("pods", "Get", () =>
            this.#core.readNamespacedPod({
              namespace,
              name: pod.metadata!.name!,
            }));
          const sameNode = existing.metadata?.annotations?.[NODE_ID_ANNOTATION] ===
            pod.metadata?.annotations?.[NODE_ID_ANNOTATION];
          const sameOwner = existing.metadata?.ownerReferences?.some((o) =>
            o.uid === workflow.metadata.uid
          );
          if (!sameNode || !sameOwner) {
            throw new Error(`pod ${pod.metadata?.name} exists and belongs to something else`);
          }
          this.#pods.set(keyOf(workflow), plain(existing));
        }
        return;
      }
      case "deletePod": {
        const remove = () =>
          this.#ignoreNotFound(() =>
            this.#call(
              "pods",
              "Delete",
              () =>
                this.#core.deleteNamespacedPod({ namespace: action.namespace, name: action.name }),
            )
          );
        if ((action.afterSeconds ?? 0) > 0) {
          this.#later(`pod/${action.namespace}/${action.name}`, action.afterSeconds!, remove);
        } else await remove();
        return;
      }
      case "deleteWorkflow": {
        const remove = () =>
          this.#ignoreNotFound(() =>
            this.#call("workflows", "Delete", () =>
              this.#custom.deleteNamespacedCustomObject({
                group: API_GROUP,
                version: API_VERSION,
                plural: "workflows",
                namespace: action.namespace,
                name: action.name,
              }))
          );
        if (action.afterSeconds > 0) {
          this.#later(`workflow/${action.namespace}/${action.name}`, action.afterSeconds, remove);
        } else await remove();
        return;
      }
      case "upsertConfigMap":
        await this.#upsertConfigMap(action);
        return;
      case "acquireLock":
        this.#acquire(action.lock, action.holder, action.limit, key);
        return;
      case "releaseLock":
        this.#release(action.lock, action.holder);
        return;
      case "emitEvent":
        await this.#emitEvent(action, workflow).catch((error) =>
          this.#log(`event ${action.reason} not recorded: ${describe(error)}`)
        );
        return;
      case "createResource":
      case "patchResource":
        this.#log(`${action.type} is not supported yet by argo-ts; ignored`);
        return;
    }
  }

  async #ignoreNotFound(call: () => Promise<unknown>): Promise<void> {
    try {
      await call();
    } catch (error) {
      if (!(error instanceof k8s.ApiException && error.code === 404)) throw error;
    }
  }

  /**
   * Runs a deletion after a delay, once per object, if this controller still leads then. The
   * timers live in memory: a delay pending when the controller stops is not carried over.
   */
  #later(id: string, seconds: number, run: () => Promise<void>): void {
    if (this.#delayed.has(id) || this.#stopped) return;
    this.#delayed.set(
      id,
      setTimeout(() => {
        this.#delayed.delete(id);
        if (!this.#leading || this.#stopped) return;
        run().catch((error) => this.#log(`delayed delete of ${id} failed: ${describe(error)}`));
      }, seconds * 1000),
    );
  }

  /** Creates the ConfigMap, or merges `data` into it (other keys kept) and sets `labels`. */
  async #upsertConfigMap(action: Extract<Action, { type: "upsertConfigMap" }>): Promise<void> {
    const { namespace, name } = action;
    let existing: V1ConfigMap | undefined;
    try {
      existing = await this.#call(
        "configmaps",
        "Get",
        () => this.#core.readNamespacedConfigMap({ namespace, name }),
      );
    } catch (error) {
      if (!(error instanceof k8s.ApiException && error.code === 404)) throw error;
    }
    if (existing === undefined) {
      // A 409 here (created meanwhile) fails the key, which retries at once and merges.
      await this.#call("configmaps", "Create", () =>
        this.#core.createNamespacedConfigMap({
          namespace,
          body: { metadata: { name, namespace, labels: action.labels }, data: action.data },
        }));
      return;
    }
    const body: V1ConfigMap = {
      ...existing,
      metadata: {
        ...existing.metadata,
        labels: { ...existing.metadata?.labels, ...action.labels },
      },
      data: { ...existing.data, ...action.data },
    };
    // Replaced with the resourceVersion read: a concurrent change gives 409 and a retry.
    await this.#call(
      "configmaps",
      "Update",
      () => this.#core.replaceNamespacedConfigMap({ namespace, name, body }),
    );
  }

  /** Takes the lock if it has room; else the workflow waits until a holder releases it. */
  #acquire(lock: string, holder: string, limit: number, key: string): void {
    const holders = this.#locks.get(lock) ?? [];
    if (holders.includes(holder)) return;
    if (holders.length < limit) {
      this.#locks.set(lock, [...holders, holder]);
      this.#lockWaiters.get(lock)?.delete(key);
      // Reconcile again at once so the holder starts with the lock it now has.
      this.#enqueue(key);
      return;
    }
    let waiters = this.#lockWaiters.get(lock);
    if (!waiters) this.#lockWaiters.set(lock, waiters = new Set());
    waiters.add(key);
  }

  #release(lock: string, holder: string): void {
    const holders = this.#locks.get(lock);
    if (!holders?.includes(holder)) return;
    const left = holders.filter((h) => h !== holder);
    if (left.length > 0) this.#locks.set(lock, left);
    else this.#locks.delete(lock);
    const waiters = this.#lockWaiters.get(lock);
    this.#lockWaiters.delete(lock);
    for (const waiter of waiters ?? []) this.#enqueue(waiter);
  }

  /** Releases every lock a workflow (or one of its nodes) holds. */
  #releaseAll(workflowKey: string): void {
    for (const [lock, holders] of [...this.#locks]) {
      for (const holder of holders) {
        if (holder === workflowKey || holder.startsWith(`${workflowKey}/`)) {
          this.#release(lock, holder);
        }
      }
    }
    for (const waiters of this.#lockWaiters.values()) waiters.delete(workflowKey);
  }

  /**
   * The lock table from the workflows' `status.synchronization.*.holding`, so a new leader
   * (or a restarted controller) knows who holds what from cluster state alone.
   */
  #rebuildLocks(): void {
    this.#locks.clear();
    const add = (lock: string | undefined, holderKey: string) => {
      if (!lock) return;
      const holders = this.#locks.get(lock) ?? [];
      if (!holders.includes(holderKey)) this.#locks.set(lock, [...holders, holderKey]);
    };
    for (const [key, wf] of this.#workflows) {
      if (wf.metadata?.labels?.["workflows.argoproj.io/completed"] === "true") continue;
      const name = wf.metadata.name;
      const holderKey = (h: string) => (h === name ? key : `${key}/${h}`);
      const sync = wf.status?.synchronization;
      for (const held of sync?.mutex?.holding ?? []) {
        if (held.holder) add(held.mutex, holderKey(held.holder));
      }
      for (const held of sync?.semaphore?.holding ?? []) {
        for (const h of held.holders ?? []) add(held.semaphore, holderKey(h));
      }
    }
  }

  async #emitEvent(
    action: Extract<Action, { type: "emitEvent" }>,
    workflow: Workflow,
  ): Promise<void> {
    const namespace = workflow.metadata.namespace ?? "default";
    const now = this.#now().toISOString();
    await this.#call("events", "Create", () =>
      this.#core.createNamespacedEvent({
        namespace,
        body: {
          metadata: { generateName: `${workflow.metadata.name}.`, namespace },
          involvedObject: {
            apiVersion: `${API_GROUP}/${API_VERSION}`,
            kind: "Workflow",
            name: workflow.metadata.name,
            namespace,
            uid: workflow.metadata.uid,
          },
          reason: action.reason,
          message: action.message,
          type: action.eventType,
          firstTimestamp: new Date(now),
          lastTimestamp: new Date(now),
          count: 1,
          source: { component: "workflow-controller" },
          reportingComponent: "workflow-controller",
        },
      }));
  }
}

/** The object as JSON data (Date objects become RFC 3339 strings). */
function plain<T>(object: T): T {
  // Kubernetes timestamps are RFC 3339 to the second; Date objects would print milliseconds,
  // which would then leak into node times the engine copies from pods.
  return JSON.parse(JSON.stringify(object, function (this: Record<string, unknown>, key, value) {
    const raw = this[key];
    return raw instanceof Date ? raw.toISOString().replace(/\.\d{3}Z$/, "Z") : value;
  }));
}

function describe(error: unknown): string {
  if (error instanceof k8s.ApiException) {
    const body = typeof error.body === "string" ? error.body : JSON.stringify(error.body);
    return `HTTP ${error.code}: ${body.slice(0, 300)}`;
  }
  return error instanceof Error ? error.message : String(error);
}
