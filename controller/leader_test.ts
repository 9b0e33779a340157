import assert from "node:assert/strict";
import { type ElectorClock, LeaderElector, type Lease, type LeaseStore } from "./leader.ts";

/** A Lease held in memory with resourceVersion checks, as the API server keeps it. */
class MemoryLeaseStore implements LeaseStore {
  lease?: Lease;
  version = 0;
  failing = false;

  get(): Promise<Lease | undefined> {
    if (this.failing) return Promise.reject(new Error("connection refused"));
    return Promise.resolve(this.lease && structuredClone(this.lease));
  }

  create(lease: Lease): Promise<Lease | "conflict"> {
    if (this.failing) return Promise.reject(new Error("connection refused"));
    if (this.lease) return Promise.resolve("conflict");
    return Promise.resolve(this.#write(lease));
  }

  update(lease: Lease): Promise<Lease | "conflict"> {
    if (this.failing) return Promise.reject(new Error("connection refused"));
    if (lease.metadata.resourceVersion !== this.lease?.metadata.resourceVersion) {
      return Promise.resolve("conflict");
    }
    return Promise.resolve(this.#write(lease));
  }

  #write(lease: Lease): Lease {
    this.lease = structuredClone(lease);
    this.lease.metadata.resourceVersion = String(++this.version);
    return structuredClone(this.lease);
  }
}

/** Time moves only when the test says so; sleepers wake when their time comes. */
class ManualClock implements ElectorClock {
  time = 1_000_000;
  #sleepers: Array<{ due: number; wake: () => void }> = [];

  now(): number {
    return this.time;
  }

  sleep(ms: number, signal: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      if (signal.aborted) return resolve();
      this.#sleepers.push({ due: this.time + ms, wake: resolve });
      signal.addEventListener("abort", () => resolve());
    });
  }

  /** Advances time step by step, letting woken loops run between steps. */
  async advance(ms: number, step = 1000): Promise<void> {
    for (let moved = 0; moved < ms; moved += step) {
      this.time += step;
      const due = this.#sleepers.filter((s) => s.due <= this.time);
      this.#sleepers = this.#sleepers.filter((s) => s.due > this.time);
      for (const sleeper of due) sleeper.wake();
      await settle();
    }
  }
}

async function settle(): Promise<void> {
  for (let i = 0; i < 8; i++) await new Promise((resolve) => setTimeout(resolve, 0));
}

function elector(store: LeaseStore, clock: ManualClock, identity: string, events: string[]) {
  return new LeaderElector(store, {
    identity,
    clock,
    leaseDurationMs: 15_000,
    renewDeadlineMs: 10_000,
    retryPeriodMs: 2_000,
    onStartedLeading: () => events.push(`${identity} started`),
    onStoppedLeading: () => events.push(`${identity} stopped`),
  });
}

Deno.test("leader: the first candidate takes a missing lease and keeps renewing it", async () => {
  const store = new MemoryLeaseStore();
  const clock = new ManualClock();
  const events: string[] = [];
  const a = elector(store, clock, "a", events);
  a.start();
  await settle();
  assert.equal(a.leading, true);
  assert.equal(store.lease?.spec?.holderIdentity, "a");
  assert.equal(store.lease?.spec?.leaseDurationSeconds, 15);
  assert.match(store.lease?.spec?.renewTime ?? "", /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
  const renewed = store.version;
  await clock.advance(6_000);
  assert.ok(store.version > renewed, "renewed while leading");
  await a.stop();
  assert.deepEqual(events, ["a started", "a stopped"]);
  assert.equal(store.lease?.spec?.holderIdentity, "", "released on a clean stop");
});

Deno.test("leader: a standby waits while the holder renews and takes over on release", async () => {
  const store = new MemoryLeaseStore();
  const clock = new ManualClock();
  const events: string[] = [];
  const a = elector(store, clock, "a", events);
  const b = elector(store, clock, "b", events);
  a.start();
  await settle();
  b.start();
  await clock.advance(30_000);
  assert.equal(a.leading, true);
  assert.equal(b.leading, false);
  await a.stop();
  await clock.advance(2_500);
  assert.equal(b.leading, true);
  assert.equal(store.lease?.spec?.holderIdentity, "b");
  assert.equal(store.lease?.spec?.leaseTransitions, 1);
  await b.stop();
  assert.deepEqual(events, ["a started", "a stopped", "b started", "b stopped"]);
});

Deno.test("leader: a holder that stops renewing loses the lease after its duration", async () => {
  const store = new MemoryLeaseStore();
  const clock = new ManualClock();
  store.lease = {
    metadata: { name: "l", namespace: "argo", resourceVersion: "0" },
    spec: { holderIdentity: "crashed", leaseDurationSeconds: 15, leaseTransitions: 4 },
  };
  const events: string[] = [];
  const b = elector(store, clock, "b", events);
  b.start();
  await clock.advance(12_000);
  assert.equal(b.leading, false, "the lease is still within its duration");
  await clock.advance(6_000);
  assert.equal(b.leading, true);
  assert.equal(store.lease?.spec?.leaseTransitions, 5);
  await b.stop();
});

Deno.test("leader: a leader that cannot renew stops leading after the renew deadline", async () => {
  const store = new MemoryLeaseStore();
  const clock = new ManualClock();
  const events: string[] = [];
  const a = elector(store, clock, "a", events);
  a.start();
  await settle();
  assert.equal(a.leading, true);
  store.failing = true;
  await clock.advance(6_000);
  assert.equal(a.leading, true, "still within the renew deadline");
  await clock.advance(6_000);
  assert.equal(a.leading, false);
  assert.deepEqual(events, ["a started", "a stopped"]);
  store.failing = false;
  await clock.advance(2_500);
  assert.equal(a.leading, true, "its own lease: taken again at once");
  await a.stop();
});

Deno.test("leader: seeing another holder stops leading at once", async () => {
  const store = new MemoryLeaseStore();
  const clock = new ManualClock();
  const events: string[] = [];
  const a = elector(store, clock, "a", events);
  a.start();
  await settle();
  store.lease!.spec = { ...store.lease!.spec, holderIdentity: "usurper" };
  await clock.advance(2_500);
  assert.equal(a.leading, false);
  await a.stop();
  assert.equal(store.lease?.spec?.holderIdentity, "usurper", "not released: not ours");
});
