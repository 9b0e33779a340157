/**
 * The cron controller: the thin shell around `schedule.ts`. Informers cache CronWorkflows and
 * the Workflows labelled `workflows.argoproj.io/cron-workflow`; every change, and a periodic sync
 * (Argo's `CRON_SYNC_PERIOD`, 10 s) plus a timer at the next fire time, queue the CronWorkflow's
 * key; a worker asks `decide()` what to do and applies it in order: terminate (Replace), create,
 * delete (history limits), then one merge patch of the CronWorkflow's status, labels and
 * annotations.
 *
 * Start it next to the workflow controller:
 *
 * ```ts
 * const cron = new CronController({ kubeconfig });
 * await cron.start();
 * // ...
 * await cron.stop();
 * ```
 */
import * as k8s from "@kubernetes/client-node";
import type { CronWorkflow, Workflow } from "../../api/types.gen.ts";
import { API_GROUP, API_VERSION, LABEL_CRON_WORKFLOW } from "../../api/meta.ts";
import { WorkQueue } from "../queue.ts";
import { decide, isCronCompleted, scheduleString } from "./schedule.ts";

export interface CronControllerOptions {
  kubeconfig: k8s.KubeConfig;
  /** Watch one namespace only (default: all). */
  namespace?: string;
  /** How often every CronWorkflow is looked at even without events (default 10 s). */
  syncPeriodMs?: number;
  /** Zone for schedules without `timezone` (default: this process's zone). */
  defaultTimezone?: string;
  log?: (message: string) => void;
  /** The clock (tests inject one). */
  now?: () => Date;
}

interface Memory {
  /** Fire times up to here were handled by this process. */
  scheduledUntil?: Date;
  watchingSince: Date;
  schedule: string;
}

type Keyed = { metadata?: { name?: string; namespace?: string; resourceVersion?: string } };

function keyOf(object: Keyed): string {
  return `${object.metadata?.namespace ?? ""}/${object.metadata?.name ?? ""}`;
}

function newer(held: Keyed | undefined, incoming: Keyed): boolean {
  const a = Number(held?.metadata?.resourceVersion);
  const b = Number(incoming.metadata?.resourceVersion);
  return !(Number.isFinite(a) && Number.isFinite(b) && b < a);
}

export class CronController {
  readonly #queue = new WorkQueue<string>({ baseDelayMs: 100, maxDelayMs: 60_000 });
  readonly #crons = new Map<string, CronWorkflow>();
  /** Workflows by key, grouped under `namespace/cron-name`. */
  readonly #children = new Map<string, Map<string, Workflow>>();
  readonly #memory = new Map<string, Memory>();
  readonly #informers: Array<k8s.Informer<k8s.KubernetesObject>> = [];
  readonly #custom: k8s.CustomObjectsApi;
  readonly #log: (message: string) => void;
  readonly #now: () => Date;
  readonly #zone: string;
  #worker: Promise<void> | undefined;
  #ticker: ReturnType<typeof setInterval> | undefined;
  #stopped = false;

  constructor(private readonly options: CronControllerOptions) {
    this.#custom = options.kubeconfig.makeApiClient(k8s.CustomObjectsApi);
    this.#log = options.log ?? (() => {});
    this.#now = options.now ?? (() => new Date());
    this.#zone = options.defaultTimezone ?? Intl.DateTimeFormat().resolvedOptions().timeZone ??
      "UTC";
  }

  /** Starts the informers (waiting for their first lists), the worker and the periodic sync. */
  async start(): Promise<void> {
    const kc = this.options.kubeconfig;
    const ns = this.options.namespace;
    const path = (plural: string) =>
      ns === undefined
        ? `/apis/${API_GROUP}/${API_VERSION}/${plural}`
        : `/apis/${API_GROUP}/${API_VERSION}/namespaces/${ns}/${plural}`;
    const list = (plural: string, labelSelector?: string) => () =>
      (ns === undefined
        ? this.#custom.listClusterCustomObject({
          group: API_GROUP,
          version: API_VERSION,
          plural,
          labelSelector,
        })
        : this.#custom.listNamespacedCustomObject({
          group: API_GROUP,
          version: API_VERSION,
          plural,
          namespace: ns,
          labelSelector,
        })) as Promise<k8s.KubernetesListObject<k8s.KubernetesObject>>;

    this.#watch<CronWorkflow>(
      k8s.makeInformer(kc, path("cronworkflows"), list("cronworkflows")),
      {
        upsert: (cron) => {
          const key = keyOf(cron);
          if (newer(this.#crons.get(key), cron)) this.#crons.set(key, cron);
          this.#queue.add(key);
        },
        remove: (cron) => {
          const key = keyOf(cron);
          this.#crons.delete(key);
          this.#memory.delete(key);
        },
      },
    );
    this.#watch<Workflow>(
      k8s.makeInformer(
        kc,
        path("workflows"),
        list("workflows", LABEL_CRON_WORKFLOW),
        LABEL_CRON_WORKFLOW,
      ),
      {
        upsert: (wf) => this.#enqueueOwner(wf, (group) => group.set(keyOf(wf), wf)),
        remove: (wf) => this.#enqueueOwner(wf, (group) => group.delete(keyOf(wf))),
      },
    );
    await Promise.all(this.#informers.map((informer) => informer.start()));
    this.#worker = this.#work();
    this.#ticker = setInterval(() => {
      for (const key of this.#crons.keys()) this.#queue.add(key);
    }, this.options.syncPeriodMs ?? 10_000);
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#ticker !== undefined) clearInterval(this.#ticker);
    this.#queue.close();
    await Promise.all(this.#informers.map((informer) => informer.stop().catch(() => {})));
    await this.#worker;
  }

  #watch<T>(
    informer: k8s.Informer<k8s.KubernetesObject>,
    handlers: { upsert: (object: T) => void; remove: (object: T) => void },
  ): void {
    informer.on("add", (object) => handlers.upsert(plain(object) as T));
    informer.on("update", (object) => handlers.upsert(plain(object) as T));
    informer.on("delete", (object) => handlers.remove(plain(object) as T));
    informer.on("error", (error) => {
      if (this.#stopped) return;
      this.#log(`cron: watch error, re-listing: ${error instanceof Error ? error.message : error}`);
      setTimeout(() => {
        if (!this.#stopped) informer.start().catch(() => {});
      }, 500);
    });
    this.#informers.push(informer);
  }

  #enqueueOwner(wf: Workflow, update: (group: Map<string, Workflow>) => void): void {
    const cron = wf.metadata?.labels?.[LABEL_CRON_WORKFLOW];
    if (!cron) return;
    const key = `${wf.metadata.namespace ?? ""}/${cron}`;
    let group = this.#children.get(key);
    if (!group) this.#children.set(key, group = new Map());
    update(group);
    this.#queue.add(key);
  }

  async #work(): Promise<void> {
    for (;;) {
      const key = await this.#queue.get();
      if (key === undefined) return;
      try {
        const nextInMs = await this.#sync(key);
        this.#queue.forget(key);
        if (nextInMs !== undefined) this.#queue.addAfter(key, nextInMs);
      } catch (error) {
        const delay = this.#queue.addRateLimited(key);
        this.#log(`cron ${key}: ${describe(error)}; retrying in ${delay} ms`);
      } finally {
        this.#queue.done(key);
      }
    }
  }

  /** Reconciles one CronWorkflow; returns when its next fire time is due (ms), if any. */
  async #sync(key: string): Promise<number | undefined> {
    const cron = this.#crons.get(key);
    if (!cron || this.#stopped) return undefined;
    const now = this.#now();
    const schedule = scheduleString(cron);
    let memory = this.#memory.get(key);
    if (!memory || memory.schedule !== schedule) {
      memory = { watchingSince: now, schedule };
      this.#memory.set(key, memory);
    }
    const children = [...(this.#children.get(key)?.values() ?? [])];
    const decision = decide({
      cron,
      children,
      now,
      scheduledUntil: memory.scheduledUntil,
      watchingSince: memory.watchingSince,
      defaultTimezone: this.#zone,
    });
    const namespace = cron.metadata.namespace ?? "default";
    for (const name of decision.terminate) {
      await this.#ignore(404, () =>
        this.#custom.patchNamespacedCustomObject(
          {
            group: API_GROUP,
            version: API_VERSION,
            plural: "workflows",
            namespace,
            name,
            body: { spec: { shutdown: "Terminate" } },
          },
          k8s.setHeaderOptions("Content-Type", k8s.PatchStrategy.MergePatch),
        ));
    }
    for (const workflow of decision.create) {
      const created = await this.#ignore(409, () =>
        this.#custom.createNamespacedCustomObject({
          group: API_GROUP,
          version: API_VERSION,
          plural: "workflows",
          namespace,
          body: workflow,
        })) as Workflow | undefined;
      if (created) {
        this.#log(`cron ${key}: created workflow ${created.metadata?.name}`);
        const ref = decision.status.active?.find((r) => r.name === created.metadata?.name);
        if (ref) {
          ref.uid = created.metadata?.uid;
          ref.resourceVersion = created.metadata?.resourceVersion;
        }
      }
    }
    for (const name of decision.delete) {
      await this.#ignore(404, () =>
        this.#custom.deleteNamespacedCustomObject({
          group: API_GROUP,
          version: API_VERSION,
          plural: "workflows",
          namespace,
          name,
        }));
    }
    if (decision.skipped && decision.create.length === 0) {
      this.#log(`cron ${key}: ${decision.skipped}`);
    }
    const changed = JSON.stringify(decision.status) !== JSON.stringify(cron.status ?? {}) ||
      JSON.stringify(decision.labels) !== JSON.stringify(cron.metadata.labels ?? {}) ||
      JSON.stringify(decision.annotations) !== JSON.stringify(cron.metadata.annotations ?? {});
    if (changed) {
      const patched = await this.#custom.patchNamespacedCustomObject(
        {
          group: API_GROUP,
          version: API_VERSION,
          plural: "cronworkflows",
          namespace,
          name: cron.metadata.name!,
          body: {
            metadata: { labels: decision.labels, annotations: decision.annotations },
            // Merge patch: lists replace, and a null removes what is gone.
            status: {
              ...decision.status,
              conditions: decision.status.conditions ?? null,
            },
          },
        },
        k8s.setHeaderOptions("Content-Type", k8s.PatchStrategy.MergePatch),
      ) as CronWorkflow;
      const written = plain(patched);
      if (newer(this.#crons.get(key), written)) this.#crons.set(key, written);
    }
    // Only now is the window handled: a failure above retries the same fire times.
    memory.scheduledUntil = decision.scheduledUntil;
    if (isCronCompleted({ ...cron, metadata: { ...cron.metadata, labels: decision.labels } })) {
      return undefined;
    }
    if (!decision.nextRunAt) return undefined;
    return Math.max(0, decision.nextRunAt.getTime() - now.getTime());
  }

  async #ignore(code: number, call: () => Promise<unknown>): Promise<unknown> {
    try {
      return await call();
    } catch (error) {
      if (error instanceof k8s.ApiException && error.code === code) return undefined;
      throw error;
    }
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
