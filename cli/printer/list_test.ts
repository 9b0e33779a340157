import assert from "node:assert/strict";
import type { Workflow } from "../../api/types.gen.ts";
import {
  type ListOptions,
  parameterString,
  printWorkflowList,
  sortWorkflowsForList,
} from "./list.ts";
import { assertGolden } from "./testdata/golden.ts";
import { at, listWorkflows, NOW } from "./testdata/fixtures.ts";

function list(wfs: Workflow[], options: Partial<ListOptions> = {}): string {
  return printWorkflowList(wfs, { now: NOW, output: "default", allNamespaces: false, ...options });
}

Deno.test("argo list golden: default", async () => {
  await assertGolden("list_default.txt", list(listWorkflows()));
});

Deno.test("argo list golden: wide", async () => {
  await assertGolden("list_wide.txt", list(listWorkflows(), { output: "wide" }));
});

Deno.test("argo list golden: all namespaces", async () => {
  await assertGolden("list_all_namespaces.txt", list(listWorkflows(), { allNamespaces: true }));
});

Deno.test("argo list golden: no headers", async () => {
  await assertGolden("list_no_headers.txt", list(listWorkflows(), { noHeaders: true }));
});

Deno.test("argo list: empty and name output", () => {
  assert.equal(list([]), "No workflows found\n");
  assert.equal(list([], { output: "name" }), "No workflows found\n");
  assert.equal(
    list(listWorkflows(), { output: "name" }),
    "just-submitted\nlong-running\nstopped\nbuild-failed\nhello-old\n",
  );
});

Deno.test("list order: unfinished newest-created first, then most recently finished", () => {
  const names = sortWorkflowsForList(listWorkflows()).map((wf) => wf.metadata.name);
  assert.deepEqual(names, [
    "just-submitted",
    "long-running",
    "stopped",
    "build-failed",
    "hello-old",
  ]);
});

Deno.test("parameters over 50 characters are cut in the middle", () => {
  const value = "a".repeat(40) + "b".repeat(20);
  assert.equal(
    parameterString([{ name: "p", value }, { name: "q" }, { name: "r", value: "1" }]),
    `p=${"a".repeat(32)}...${"b".repeat(15)},r=1`,
  );
});

Deno.test("more than 100 workflows add Argo's cost reminder", () => {
  const many: Workflow[] = Array.from({ length: 101 }, (_, i) => ({
    metadata: { name: `wf-${i}`, namespace: "argo", creationTimestamp: at(0) },
    spec: {},
    status: { phase: "Succeeded", startedAt: at(0), finishedAt: at(1) },
  }));
  assert.ok(
    list(many).endsWith(
      "\nYou have at least 101 completed workflows. Reducing the total number of workflows will " +
        "reduce your costs.\nLearn more at https://argo-workflows.readthedocs.io/en/latest/cost-optimisation/\n",
    ),
  );
});
