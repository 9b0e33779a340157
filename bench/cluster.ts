/**
 * Embedded-cluster benchmarks. The harness is synchronous, so these measure the API server's
 * semantics layer (ApiCore: validation, defaulting, namespace check, SQLite write, watch
 * publication) rather than HTTP round trips; the floor is the store's direct insert.
 */
import { ApiCore } from "../cluster/apiserver/core.ts";
import { Registry } from "../cluster/apiserver/resources.ts";
import { encodeShared, WatchStream } from "../cluster/apiserver/watch_stream.ts";
import { type JsonObject, openSqliteStore, WatchHub } from "../cluster/store/mod.ts";
import type { BenchScenario } from "./harness.ts";

const PODS = 500;

function pod(name: string): JsonObject {
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name, namespace: "default", labels: { app: "bench" } },
    spec: { containers: [{ name: "main", image: "alpine", command: ["echo", "hi"] }] },
  };
}

function floorInsert(count: number): void {
  const store = openSqliteStore(":memory:");
  for (let i = 0; i < count; i++) {
    store.create({ resource: "/pods", namespace: "default", name: `p${i}` }, pod(`p${i}`));
  }
  store.close();
}

function createThroughApi(count: number, watchers: number): void {
  const store = openSqliteStore(":memory:");
  const hub = new WatchHub(store);
  const core = new ApiCore(store, new Registry());
  const type = core.registry.find("", "v1", "pods")!;
  const streams: WatchStream[] = [];
  for (let w = 0; w < watchers; w++) {
    const stream = new WatchStream({ maxQueuedBytes: 1 << 30, onClose() {} });
    streams.push(stream);
    hub.subscribe(
      "/pods",
      store.revision(),
      (event) => stream.sendEncoded(encodeShared(event, "v1", "Pod")),
    );
  }
  for (let i = 0; i < count; i++) {
    const out = core.create(type, "default", pod(`p${i}`));
    if (!out.ok) throw new Error(String(out.error.status.message));
  }
  for (const stream of streams) stream.close();
  core.close();
  hub.close();
  store.close();
}

export const scenarios: BenchScenario[] = [
  {
    name: `cluster: create ${PODS} pods through the API core vs. direct store insert`,
    run: () => createThroughApi(PODS, 0),
    floor: () => floorInsert(PODS),
  },
  {
    name: `cluster: create ${PODS} pods with watch fan-out to 10 watchers vs. direct store insert`,
    run: () => createThroughApi(PODS, 10),
    floor: () => floorInsert(PODS),
  },
];
