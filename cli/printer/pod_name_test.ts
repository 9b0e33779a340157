import assert from "node:assert/strict";
import { fnv32a, nodeId, podName, podNameVersionOf } from "./pod_name.ts";

Deno.test("fnv32a matches the node IDs of Argo's documented example", () => {
  assert.equal(fnv32a(""), 2166136261);
  assert.equal(fnv32a("steps-z2zdn[0].hello1"), 27420706);
  assert.equal(nodeId("steps-z2zdn", "steps-z2zdn[1].hello2a"), "steps-z2zdn-2006760091");
  assert.equal(nodeId("steps-z2zdn", "steps-z2zdn"), "steps-z2zdn");
});

Deno.test("podName follows Argo's v2 format", () => {
  assert.equal(
    podName("steps-z2zdn", "steps-z2zdn[0].hello1", "print-message", "id"),
    "steps-z2zdn-print-message-27420706",
  );
  assert.equal(podName("hello", "hello", "main", "hello"), "hello");
  assert.equal(podName("wf", "wf[0].a", "", "id"), `wf-${fnv32a("wf[0].a")}`);
  assert.equal(podName("wf", "wf[0].a", "t", "wf-123", "v1"), "wf-123");
  const long = podName("w".repeat(200), "n", "t".repeat(100), "id");
  assert.equal(long, `${"w".repeat(200)}-${"t".repeat(41)}-${fnv32a("n")}`);
  assert.equal(long.split("-").slice(0, 2).join("-").length, 242);
});

Deno.test("the pod name version comes from the workflow's annotation, v2 by default", () => {
  assert.equal(podNameVersionOf(undefined), "v2");
  assert.equal(podNameVersionOf({ "workflows.argoproj.io/pod-name-format": "v1" }), "v1");
  assert.equal(podNameVersionOf({ "workflows.argoproj.io/pod-name-format": "v2" }), "v2");
});
