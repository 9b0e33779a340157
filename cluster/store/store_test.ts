import assert from "node:assert/strict";
import { join } from "node:path";
import { type ChangeEvent, type JsonObject, openSqliteStore, WatchHub } from "./mod.ts";

const key = (name: string, namespace = "default") => ({ resource: "/pods", namespace, name });
const pod = (name: string): JsonObject => ({ metadata: { name, namespace: "default" } });
const rvOf = (o: JsonObject | undefined) => (o?.metadata as JsonObject).resourceVersion;

Deno.test("store: create, update with expected revision, remove, ordered list", () => {
  const store = openSqliteStore(":memory:");
  try {
    const a = store.create(key("b"), pod("b"));
    assert.ok(a.ok);
    assert.equal(a.revision, 1);
    assert.deepEqual(store.create(key("b"), pod("b")), { ok: false, reason: "exists" });
    assert.ok(store.create(key("a"), pod("a")).ok);
    assert.ok(store.create(key("c", "other"), pod("c")).ok);
    assert.equal(rvOf(store.get(key("b"))), "1");
    assert.deepEqual(store.update(key("b"), pod("b"), 7), { ok: false, reason: "conflict" });
    const updated = store.update(key("b"), pod("b"), 1);
    assert.ok(updated.ok && updated.revision === 4);
    assert.deepEqual(
      [...store.list("/pods")].map((o) => (o.metadata as JsonObject).name),
      ["a", "b", "c"],
    );
    assert.deepEqual(
      [...store.list("/pods", { namespace: "default", after: { namespace: "default", name: "a" } })]
        .map((o) => (o.metadata as JsonObject).name),
      ["b"],
    );
    const removed = store.remove(key("a"));
    assert.ok(removed.ok && rvOf(removed.object) === "5");
    assert.equal(store.get(key("a")), undefined);
    assert.deepEqual(store.remove(key("a")), { ok: false, reason: "not-found" });
    assert.equal(store.revision(), 5);
  } finally {
    store.close();
  }
});

Deno.test("store: a file-backed store keeps objects, revision and settings across reopen", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = join(dir, "state.db");
    let store = openSqliteStore(path);
    store.create(key("x"), pod("x"));
    store.create(key("y"), pod("y"));
    store.remove(key("y"));
    store.setSetting("k", "v");
    store.close();
    store = openSqliteStore(path);
    assert.equal(store.revision(), 3);
    assert.equal(rvOf(store.get(key("x"))), "1");
    assert.equal(store.get(key("y")), undefined);
    assert.equal(store.getSetting("k"), "v");
    const next = store.create(key("z"), pod("z"));
    assert.ok(next.ok && next.revision === 4);
    store.close();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("watch hub: replays after a revision, refuses compacted ones, drops refusing handlers", () => {
  const store = openSqliteStore(":memory:");
  const hub = new WatchHub(store, { windowSize: 3 });
  try {
    for (const n of ["a", "b", "c", "d"]) store.create(key(n), pod(n));
    const seen: ChangeEvent[] = [];
    assert.deepEqual(hub.subscribe("/pods", 0, () => true), { ok: false, reason: "gone" });
    const sub = hub.subscribe("/pods", 2, (e) => {
      seen.push(e);
      return true;
    });
    assert.ok(sub.ok);
    assert.deepEqual(seen.map((e) => e.revision), [3, 4]);
    store.update(key("a"), pod("a"));
    store.create({ resource: "/configmaps", namespace: "default", name: "x" }, pod("x"));
    assert.deepEqual(seen.map((e) => `${e.type}:${e.revision}`), [
      "ADDED:3",
      "ADDED:4",
      "MODIFIED:5",
    ]);
    let calls = 0;
    hub.subscribe("/pods", store.revision(), () => ++calls > 1);
    assert.equal(hub.watcherCount(), 2);
    store.remove(key("a"));
    store.remove(key("b"));
    assert.equal(hub.watcherCount(), 1);
    assert.equal(hub.droppedCount(), 1);
    assert.equal(seen.at(-1)?.type, "DELETED");
    sub.subscription.cancel();
    assert.equal(hub.watcherCount(), 0);
  } finally {
    hub.close();
    store.close();
  }
});

Deno.test("watch hub: the replay window is bounded in bytes too", () => {
  const store = openSqliteStore(":memory:");
  const hub = new WatchHub(store, { windowBytes: 10_000 });
  try {
    const big = { metadata: { name: "x" }, data: { v: "a".repeat(4_000) } };
    for (let i = 0; i < 10; i++) store.create(key(`c${i}`), structuredClone(big));
    assert.ok(hub.oldestRevision() >= 7, `oldest ${hub.oldestRevision()}`);
    assert.deepEqual(hub.subscribe("/pods", 2, () => true), { ok: false, reason: "gone" });
  } finally {
    hub.close();
    store.close();
  }
});
