/**
 * The workflow controller: the shell around the pure engine. Informers keep caches of
 * workflows, their pods and task results, templates and ConfigMaps; any change queues the
 * workflow's key; workers reconcile from the caches (never from event payloads), apply the
 * engine's actions in order, and write the status with its resourceVersion.
 *
 * Idempotent by construction: pod names are deterministic, so AlreadyExists on create is
 * adopted when the pod belongs to the same workflow node; a 409 on the status write re-queues
 * the key and the next reconcile starts from the newer object.
 */
import * as k8s from "@kubernetes/client-node";
import type { V1ConfigMap, V1Pod } from "@kubernetes/client-node";
import type { ClusterWorkflowTemplate, Workflow, WorkflowTemplate } from "../api/types.gen.ts";
import type { WorkflowTaskResult } from "../api/task_result.ts";
import { API_GROUP, API_VERSION } from "../api/meta.ts";
import { type Action, reconcile, type Snapshot } from "./operator/mod.ts";
import type { ControllerConfig } from "./operator/config.ts";
import { WorkQueue } from "./queue.ts";

const WORKFLOW_LABEL = "workflows.argoproj.io/workflow";
const NODE_ID_ANNOTATION = "workflows.argoproj.io/node-id";

export interface ControllerOptions {
  kubeconfig: k8s.KubeConfig;
  config: ControllerConfig;
  /** Concurrent reconciles (default 4). */
  workers?: number;
  log?: (message: string) => void;
  /** The clock (tests inject one). */
  now?: () => Date;
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
}

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
  #workers: Promise<void>[] = [];
  #stopped = false;

  constructor(private readonly options: ControllerOptions) {
    this.#core = options.kubeconfig.makeApiClient(k8s.CoreV1Api);
    this.#custom = options.kubeconfig.makeApiClient(k8s.CustomObjectsApi);
    this.#log = options.log ?? (() => {});
    this.#now = options.now ?? (() => new Date());
  }

  /** Starts the informers (waiting for their first lists) and the workers. */
  async start(): Promise<void> {
    const kc = this.options.kubeconfig;
    const custom = (plural: string) => () =>
      this.#custom.listClusterCustomObject({
        group: API_GROUP,
        version: API_VERSION,
        plural,
      }) as Promise<
        k8s.KubernetesListObject<k8s.KubernetesObject>
      >;
    const argoPath = (plural: string) => `/apis/${API_GROUP}/${API_VERSION}/${plural}`;

    this.#watch<Workflow>(k8s.makeInformer(kc, argoPath("workflows"), custom("workflows")), {
      upsert: (wf) => {
        const key = keyOf(wf);
        if (newer(this.#workflows.get(key), wf)) this.#workflows.set(key, wf);
        this.#queue.add(key);
      },
      remove: (wf) => this.#workflows.delete(keyOf(wf)),
    });
    this.#watch<V1Pod>(
      k8s.makeInformer(
        kc,
        "/api/v1/pods",
        () => this.#core.listPodForAllNamespaces({ labelSelector: WORKFLOW_LABEL }),
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
      k8s.makeInformer(kc, "/api/v1/configmaps", () => this.#core.listConfigMapForAllNamespaces()),
      {
        upsert: (cm) => this.#configMaps.set(cm.metadata?.namespace ?? "", cm),
        remove: (cm) => this.#configMaps.delete(cm),
      },
    );
    await Promise.all(this.#informers.map((informer) => informer.start()));
    const workers = this.options.workers ?? 4;
    this.#workers = Array.from({ length: workers }, () => this.#work());
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    this.#queue.close();
    await Promise.all(this.#informers.map((informer) => informer.stop().catch(() => {})));
    await Promise.all(this.#workers);
  }

  #watch<T>(
    informer: k8s.Informer<k8s.KubernetesObject>,
    handlers: { upsert: (object: T) => void; remove: (object: T) => void },
  ): void {
    // The typed client turns timestamps into Date objects; the engine reads plain JSON.
    informer.on("add", (object) => handlers.upsert(plain(object) as T));
    informer.on("update", (object) => handlers.upsert(plain(object) as T));
    informer.on("delete", (object) => handlers.remove(plain(object) as T));
    informer.on("error", (error) => {
      if (this.#stopped) return;
      // The informer stops on a watch error (including 410 Gone): start it again, which
      // re-lists, so every object is seen again and no key is lost.
      this.#log(`watch error, re-listing: ${error instanceof Error ? error.message : error}`);
      setTimeout(() => {
        if (!this.#stopped) informer.start().catch(() => {});
      }, 500);
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
    this.#queue.add(group);
  }

  #enqueueGroup(group: string | undefined): void {
    if (group !== undefined) this.#queue.add(group);
  }

  async #work(): Promise<void> {
    for (;;) {
      const key = await this.#queue.get();
      if (key === undefined) return;
      try {
        const requeueSeconds = await this.#sync(key);
        this.#queue.forget(key);
        if (requeueSeconds !== undefined) this.#queue.addAfter(key, requeueSeconds * 1000);
      } catch (error) {
        const delay = this.#queue.addRateLimited(key);
        this.#log(`${key}: ${describe(error)}; retrying in ${delay} ms`);
      } finally {
        this.#queue.done(key);
      }
    }
  }

  /** Reconciles one workflow; returns when to look again, if the engine asked. */
  async #sync(key: string): Promise<number | undefined> {
    const workflow = this.#workflows.get(key);
    if (!workflow || this.#stopped) return undefined;
    if (workflow.metadata?.labels?.["workflows.argoproj.io/completed"] === "true") return undefined;
    const namespace = workflow.metadata.namespace ?? "default";
    const snapshot: Snapshot = {
      workflow: structuredClone(workflow),
      pods: this.#pods.list(key),
      taskResults: this.#results.list(key),
      workflowTemplates: this.#templates.list(namespace),
      clusterWorkflowTemplates: [...this.#clusterTemplates.values()],
      configMaps: this.#configMaps.list(namespace),
      config: this.options.config,
      now: this.#now().toISOString().replace(/\.\d{3}Z$/, "Z"),
    };
    const result = reconcile(snapshot);
    for (const action of result.actions) await this.#apply(action, workflow);
    const labels = { ...workflow.metadata.labels, ...result.labels };
    const unchanged = JSON.stringify(result.status) === JSON.stringify(workflow.status ?? {}) &&
      JSON.stringify(labels) === JSON.stringify(workflow.metadata.labels ?? {});
    if (!unchanged) {
      const body: Workflow = {
        ...workflow,
        metadata: { ...workflow.metadata, labels },
        status: result.status,
      };
      try {
        const written = await this.#custom.replaceNamespacedCustomObject({
          group: API_GROUP,
          version: API_VERSION,
          plural: "workflows",
          namespace,
          name: workflow.metadata.name!,
          body,
        }) as Workflow;
        if (newer(this.#workflows.get(key), written)) this.#workflows.set(key, written);
      } catch (error) {
        if (error instanceof k8s.ApiException && error.code === 409) {
          // Someone wrote first: reconcile again from the newer object the watch brings.
          this.#queue.add(key);
          return undefined;
        }
        throw error;
      }
    }
    return result.requeueAfterSeconds;
  }

  async #apply(action: Action, workflow: Workflow): Promise<void> {
    switch (action.type) {
      case "createPod": {
        const pod = action.pod;
        const namespace = pod.metadata?.namespace ?? workflow.metadata.namespace ?? "default";
        try {
          const created = await this.#core.createNamespacedPod({ namespace, body: pod });
          this.#pods.set(keyOf(workflow), plain(created));
        } catch (error) {
          if (!(error instanceof k8s.ApiException && error.code === 409)) throw error;
          // A pod of that name exists: ours (from an earlier attempt) is adopted, anything else is a clash.
          const existing = await this.#core.readNamespacedPod({
            namespace,
            name: pod.metadata!.name!,
          });
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
      case "deletePod":
        try {
          await this.#core.deleteNamespacedPod({ namespace: action.namespace, name: action.name });
        } catch (error) {
          if (!(error instanceof k8s.ApiException && error.code === 404)) throw error;
        }
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

  async #emitEvent(
    action: Extract<Action, { type: "emitEvent" }>,
    workflow: Workflow,
  ): Promise<void> {
    const namespace = workflow.metadata.namespace ?? "default";
    const now = this.#now().toISOString();
    await this.#core.createNamespacedEvent({
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
    });
  }
}

/** The object as JSON data (Date objects become RFC 3339 strings). */
function plain<T>(object: T): T {
  return JSON.parse(JSON.stringify(object));
}

function describe(error: unknown): string {
  if (error instanceof k8s.ApiException) {
    const body = typeof error.body === "string" ? error.body : JSON.stringify(error.body);
    return `HTTP ${error.code}: ${body.slice(0, 300)}`;
  }
  return error instanceof Error ? error.message : String(error);
}
