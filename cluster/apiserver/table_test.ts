import assert from "node:assert/strict";
import { BUILTIN_TYPES } from "./resources.ts";
import { humanDuration, toTable, wantsTable } from "./table.ts";

Deno.test("humanDuration matches kube's short ages", () => {
  const cases: [number, string][] = [
    [5, "5s"],
    [119, "119s"],
    [150, "2m30s"],
    [600, "10m"],
    [7200, "120m"],
    [4 * 3600 + 60, "4h1m"],
    [30 * 3600, "30h"],
    [3 * 86400 + 3600, "3d1h"],
    [100 * 86400, "100d"],
    [800 * 86400, "2y70d"],
  ];
  for (const [seconds, want] of cases) assert.equal(humanDuration(seconds), want, String(seconds));
});

Deno.test("pod tables carry kube's columns and partial metadata rows", () => {
  assert.ok(wantsTable("application/json;as=Table;v=v1;g=meta.k8s.io,application/json"));
  assert.ok(!wantsTable("application/json"));
  const pods = BUILTIN_TYPES.find((t) => t.plural === "pods")!;
  const table = toTable(
    pods,
    [{
      metadata: { name: "p", creationTimestamp: new Date().toISOString() },
      spec: { containers: [{ name: "a" }, { name: "b" }], nodeName: "local" },
      status: {
        phase: "Running",
        containerStatuses: [
          { name: "a", ready: true, restartCount: 1, state: { running: {} } },
          {
            name: "b",
            ready: false,
            restartCount: 2,
            state: { waiting: { reason: "CrashLoopBackOff" } },
          },
        ],
      },
    }],
    { resourceVersion: "5" },
    null,
  );
  const rows = table.rows as { cells: unknown[]; object: { kind: string } }[];
  assert.deepEqual(rows[0].cells.slice(0, 4), ["p", "1/2", "CrashLoopBackOff", 3]);
  assert.deepEqual(rows[0].cells.slice(5), ["<none>", "local"]);
  assert.equal(rows[0].object.kind, "PartialObjectMetadata");
  const columns = table.columnDefinitions as { name: string; priority: number }[];
  assert.deepEqual(columns.map((c) => c.name), [
    "Name",
    "Ready",
    "Status",
    "Restarts",
    "Age",
    "IP",
    "Node",
  ]);
});
