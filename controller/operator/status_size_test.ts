/** Stored status size: what a Pod node costs in `status.nodes` (issue 4: at most 400 bytes). */
import assert from "node:assert/strict";
import type { Workflow } from "../../api/types.gen.ts";
import { simulate } from "./simulator.ts";

function fanOut(count: number): Workflow {
  return {
    apiVersion: "argoproj.io/v1alpha1",
    kind: "Workflow",
    metadata: { name: "fan-out-x7k2p", namespace: "argo", uid: "uid-1" },
    spec: {
      entrypoint: "main",
      templates: [
        {
          name: "main",
          steps: [[{
            name: "work",
            template: "echo",
            arguments: { parameters: [{ name: "m", value: "{{item}}" }] },
            withItems: Array.from({ length: count }, (_, i) => `item-${i}`),
          }]],
        },
        {
          name: "echo",
          inputs: { parameters: [{ name: "m" }] },
          container: { image: "busybox", command: ["echo"], args: ["{{inputs.parameters.m}}"] },
        },
      ],
    },
  } as Workflow;
}

Deno.test("status size: a 1,000-item fan-out stores at most 400 bytes per Pod node", () => {
  const result = simulate({ workflow: fanOut(1000), script: { echo: { result: "done" } } });
  const status = result.workflow.status;
  assert.equal(status?.phase, "Succeeded");
  const pods = Object.values(status?.nodes ?? {}).filter((n) => n.type === "Pod");
  assert.equal(pods.length, 1000);
  const average = pods.reduce((sum, n) => sum + JSON.stringify(n).length, 0) / pods.length;
  assert.ok(average <= 400, `average Pod node is ${average} bytes`);
  // The workflow's own scope is implied (Argo reads an empty templateScope as local).
  assert.ok(pods.every((n) => n.templateScope === undefined));
  // What the CLI printers and retry read is still there.
  for (const n of pods.slice(0, 3)) {
    assert.ok(n.id && n.name && n.displayName && n.templateName && n.boundaryID);
    assert.ok(n.startedAt && n.finishedAt && n.outputs?.result === "done");
    assert.equal(n.inputs?.parameters?.[0]?.name, "m");
  }
});
