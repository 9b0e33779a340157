/**
 * Leader election with a `coordination.k8s.io/v1` Lease, as client-go's leaderelection does:
 * a candidate takes the Lease when it is free or its holder has not renewed it for
 * `leaseDurationSeconds` (measured on the candidate's own clock from when it last saw the
 * record change, so clock skew between machines does not matter); the leader renews every
 * `retryPeriod` and gives up when it has not managed to renew for `renewDeadline`, or as soon as
 * it sees another holder. On a clean stop the leader releases the Lease (empty holder) so a
 * standby takes over at its next retry instead of waiting for the lease to expire.
 *
 * The Lease is reached through {@link LeaseStore} and time through {@link ElectorClock}, so
 * tests drive both.
 */
import * as k8s from "@kubernetes/client-node";

export const LEASE_NAME = "workflow-controller-lease";

export interface LeaseSpec {
  holderIdentity?: string;
  leaseDurationSeconds?: number;
  acquireTime?: string;
  renewTime?: string;
  leaseTransitions?: number;
}

export interface Lease {
  apiVersion?: string;
  kind?: string;
  metadata: { name: string; namespace: string; resourceVersion?: string };
  spec?: LeaseSpec;
}

/** Reads and writes the one Lease; "conflict" is a lost race (409), an expected outcome. */
export interface LeaseStore {
  get(): Promise<Lease | undefined>;
  create(lease: Lease): Promise<Lease | "conflict">;
  update(lease: Lease): Promise<Lease | "conflict">;
}

export interface ElectorClock {
  now(): number;
  /** Resolves after `ms`, or at once when `signal` aborts. */
  sleep(ms: number, signal: AbortSignal): Promise<void>;
}

export const systemElectorClock: ElectorClock = {
  now: () => Date.now(),
  sleep: (ms, signal) =>
    new Promise((resolve) => {
      if (signal.aborted) return resolve();
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        signal.removeEventListener("abort", done);
        resolve();
      }
      signal.addEventListener("abort", done);
    }),
};

export interface LeaderElectionOptions {
  identity: string;
  /** Default 15 s (Argo's LEADER_ELECTION_LEASE_DURATION). */
  leaseDurationMs?: number;
  /** Default 10 s (LEADER_ELECTION_RENEW_DEADLINE). */
  renewDeadlineMs?: number;
  /** Default 2 s (LEADER_ELECTION_RETRY_PERIOD). */
  retryPeriodMs?: number;
  clock?: ElectorClock;
  log?: (message: string) => void;
  onStartedLeading: () => void;
  onStoppedLeading: () => void;
}

/** RFC 3339 with microseconds, the MicroTime format kube-apiserver parses. */
function microTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, ".$1000Z");
}

export class LeaderElector {
  readonly #store: LeaseStore;
  readonly #o: Required<Omit<LeaderElectionOptions, "log">> & { log: (m: string) => void };
  readonly #abort = new AbortController();
  #leading = false;
  #loop?: Promise<void>;
  /** The record as last seen, and when (our clock) it was first seen that way. */
  #observed?: { key: string; at: number; lease: Lease };
  #lastRenew = 0;

  constructor(store: LeaseStore, options: LeaderElectionOptions) {
    this.#store = store;
    this.#o = {
      leaseDurationMs: 15_000,
      renewDeadlineMs: 10_000,
      retryPeriodMs: 2_000,
      clock: systemElectorClock,
      log: () => {},
      ...options,
    };
  }

  get leading(): boolean {
    return this.#leading;
  }

  get identity(): string {
    return this.#o.identity;
  }

  /** Starts campaigning in the background. */
  start(): void {
    this.#loop ??= this.#run();
  }

  /** Stops campaigning; a leader releases the Lease and stops leading. */
  async stop(): Promise<void> {
    this.#abort.abort();
    await this.#loop;
    if (!this.#leading) return;
    this.#setLeading(false);
    const lease = this.#observed?.lease;
    if (lease?.spec?.holderIdentity !== this.#o.identity) return;
    const now = this.#o.clock.now();
    await this.#store.update({
      ...lease,
      spec: {
        ...lease.spec,
        holderIdentity: "",
        leaseDurationSeconds: 1,
        renewTime: microTime(now),
      },
    }).catch((error) => this.#o.log(`lease not released: ${messageOf(error)}`));
  }

  async #run(): Promise<void> {
    const { clock, retryPeriodMs, renewDeadlineMs } = this.#o;
    const signal = this.#abort.signal;
    while (!signal.aborted) {
      const outcome = await this.#tryAcquireOrRenew().catch((error) => {
        this.#o.log(`lease ${LEASE_NAME}: ${messageOf(error)}`);
        return "error" as const;
      });
      if (signal.aborted) break;
      const now = clock.now();
      if (outcome === "held") {
        this.#lastRenew = now;
        if (!this.#leading) this.#setLeading(true);
      } else if (this.#leading) {
        // Another holder means the lease is gone now; an error only once the deadline passes.
        if (outcome === "other" || now - this.#lastRenew >= renewDeadlineMs) {
          this.#o.log(`lost the lease ${LEASE_NAME}`);
          this.#setLeading(false);
        }
      }
      await clock.sleep(retryPeriodMs, signal);
    }
  }

  #setLeading(leading: boolean): void {
    this.#leading = leading;
    if (leading) this.#o.onStartedLeading();
    else this.#o.onStoppedLeading();
  }

  async #tryAcquireOrRenew(): Promise<"held" | "other" | "lost-race"> {
    const { identity, leaseDurationMs, clock } = this.#o;
    const now = clock.now();
    const durationSeconds = Math.max(1, Math.round(leaseDurationMs / 1000));
    const existing = await this.#store.get();
    if (existing === undefined) {
      const created = await this.#store.create({
        apiVersion: "coordination.k8s.io/v1",
        kind: "Lease",
        metadata: { name: "", namespace: "" },
        spec: {
          holderIdentity: identity,
          leaseDurationSeconds: durationSeconds,
          acquireTime: microTime(now),
          renewTime: microTime(now),
          leaseTransitions: 0,
        },
      });
      if (created === "conflict") return "lost-race";
      this.#observe(created, now);
      return "held";
    }
    this.#observe(existing, now);
    const spec = existing.spec ?? {};
    const holder = spec.holderIdentity ?? "";
    const expiresAt = this.#observed!.at + (spec.leaseDurationSeconds ?? durationSeconds) * 1000;
    if (holder !== "" && holder !== identity && expiresAt > now) return "other";
    const next: LeaseSpec = holder === identity
      ? { ...spec, leaseDurationSeconds: durationSeconds, renewTime: microTime(now) }
      : {
        holderIdentity: identity,
        leaseDurationSeconds: durationSeconds,
        acquireTime: microTime(now),
        renewTime: microTime(now),
        leaseTransitions: (spec.leaseTransitions ?? 0) + 1,
      };
    const updated = await this.#store.update({ ...existing, spec: next });
    if (updated === "conflict") return "lost-race";
    this.#observe(updated, now);
    return "held";
  }

  #observe(lease: Lease, now: number): void {
    const key = JSON.stringify(lease.spec ?? {});
    if (this.#observed?.key !== key) this.#observed = { key, at: now, lease };
    else this.#observed.lease = lease;
  }
}

/** The Lease on a Kubernetes API server (any group through the generic custom-object calls). */
export function kubeLeaseStore(
  kubeconfig: k8s.KubeConfig,
  namespace: string,
  name = LEASE_NAME,
): LeaseStore {
  const api = kubeconfig.makeApiClient(k8s.CustomObjectsApi);
  const base = { group: "coordination.k8s.io", version: "v1", plural: "leases", namespace };
  const conflictOr = async (call: () => Promise<unknown>): Promise<Lease | "conflict"> => {
    try {
      return await call() as Lease;
    } catch (error) {
      if (error instanceof k8s.ApiException && error.code === 409) return "conflict";
      throw error;
    }
  };
  return {
    async get() {
      try {
        return await api.getNamespacedCustomObject({ ...base, name }) as Lease;
      } catch (error) {
        if (error instanceof k8s.ApiException && error.code === 404) return undefined;
        throw error;
      }
    },
    create: (lease) =>
      conflictOr(() =>
        api.createNamespacedCustomObject({
          ...base,
          body: { ...lease, metadata: { ...lease.metadata, name, namespace } },
        })
      ),
    update: (lease) =>
      conflictOr(() =>
        api.replaceNamespacedCustomObject({
          ...base,
          name,
          body: { ...lease, metadata: { ...lease.metadata, name, namespace } },
        })
      ),
  };
}

function messageOf(error: unknown): string {
  if (error instanceof k8s.ApiException) return `HTTP ${error.code}`;
  return error instanceof Error ? error.message : String(error);
}
