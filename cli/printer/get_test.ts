import assert from "node:assert/strict";
import type { Workflow } from "../../api/types.gen.ts";
import { type GetOptions, printWorkflowGet } from "./get.ts";
import { assertGolden } from "./testdata/golden.ts";
import {
  dagDiamondWorkflow,
  exitHandlerWorkflow,
  failedWorkflow,
  loopsWorkflow,
  NOW,
  retryWorkflow,
  stepsWorkflow,
  suspendedWorkflow,
} from "./testdata/fixtures.ts";

function get(wf: Workflow, options: Partial<GetOptions> = {}): string {
  return printWorkflowGet(wf, {
    now: NOW,
    output: "default",
    color: false,
    utf8: true,
    ...options,
  });
}

const CASES: Array<[golden: string, wf: () => Workflow, options: Partial<GetOptions>]> = [
  ["get_steps.txt", stepsWorkflow, {}],
  ["get_dag_diamond.txt", dagDiamondWorkflow, {}],
  ["get_retry.txt", retryWorkflow, {}],
  ["get_exit_handler.txt", exitHandlerWorkflow, {}],
  ["get_failed.txt", failedWorkflow, {}],
  ["get_suspended.txt", suspendedWorkflow, {}],
  ["get_loops.txt", loopsWorkflow, {}],
  ["get_wide.txt", exitHandlerWorkflow, { output: "wide" }],
  ["get_wide_failed.txt", failedWorkflow, { output: "wide" }],
  ["get_short.txt", dagDiamondWorkflow, { output: "short" }],
  ["get_no_utf8.txt", retryWorkflow, { utf8: false }],
  ["get_no_utf8_steps.txt", stepsWorkflow, { utf8: false }],
  ["get_color.txt", stepsWorkflow, { color: true }],
  ["get_selector_failed.txt", failedWorkflow, { nodeFieldSelector: "phase=Failed" }],
  ["get_selector_display_name.txt", stepsWorkflow, { nodeFieldSelector: "displayName=hello2a" }],
  ["get_selector_not_succeeded.txt", loopsWorkflow, { nodeFieldSelector: "phase!=Succeeded" }],
  ["get_status_running.txt", loopsWorkflow, { status: "Running" }],
];

for (const [golden, wf, options] of CASES) {
  Deno.test(`argo get golden ${golden}`, async () => {
    await assertGolden(golden, get(wf(), options));
  });
}

Deno.test("the steps tree is the example of argo-features.md 2.1", () => {
  const out = get(stepsWorkflow());
  const tree = out.slice(out.indexOf("STEP")).split("\n").map((line) => line.trimEnd());
  assert.deepEqual(tree, [
    "STEP            TEMPLATE           PODNAME                 DURATION  MESSAGE",
    " ✔ steps-z2zdn  hello-hello-hello",
    " ├───✔ hello1   print-message      steps-z2zdn-27420706    2s",
    " └─┬─✔ hello2a  print-message      steps-z2zdn-2006760091  3s",
    "   └─✔ hello2b  print-message      steps-z2zdn-2023537710  3s",
    "",
  ]);
});

Deno.test("the header block uses Argo's labels and formats", () => {
  const out = get(stepsWorkflow());
  const lines = out.split("\n");
  assert.equal(lines[0], "Name:                steps-z2zdn");
  assert.equal(lines[2], "ServiceAccount:      unset (will run with the default ServiceAccount)");
  assert.ok(out.includes("Created:             Thu Nov 26 15:00:00 +0000 (3 minutes ago)\n"));
  assert.ok(out.includes("Duration:            7 seconds\n"));
  assert.ok(out.includes("ResourcesDuration:   5s*(1 cpu),3s*(100Mi memory)\n"));
  assert.ok(out.includes("Conditions:          \n PodRunning          False\n"));
});

Deno.test("status text: suspended, terminated, pending", () => {
  assert.ok(get(suspendedWorkflow()).includes("Status:              Running (Suspended)\n"));
  assert.ok(get(suspendedWorkflow()).includes("ServiceAccount:      unset\n"));
  const stopped = failedWorkflow();
  stopped.spec.shutdown = "Terminate";
  assert.ok(get(stopped).includes("Status:              Failed (Terminated)\n"));
  const fresh: Workflow = {
    metadata: { name: "new-wf", namespace: "argo", creationTimestamp: NOW.toISOString() },
    spec: {},
  };
  assert.equal(
    get(fresh),
    [
      "Name:                new-wf",
      "Namespace:           argo",
      "ServiceAccount:      unset (will run with the default ServiceAccount)",
      "Status:              Pending",
      "Created:             Thu Nov 26 15:03:00 +0000 (now)",
      "Progress:            ",
      "",
    ].join("\n"),
  );
});

Deno.test("v2 pod names are the default", () => {
  assert.ok(get(dagDiamondWorkflow()).includes("dag-diamond-x8k2p-echo-"));
});

Deno.test("--status and --node-field-selector together are refused", () => {
  assert.throws(
    () => get(stepsWorkflow(), { status: "Failed", nodeFieldSelector: "phase=Failed" }),
    /cannot use both/,
  );
});
