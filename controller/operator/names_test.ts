import assert from "node:assert/strict";
import { fnv32a, itemDescription, loopChildName, nodeId, podName, stepGroupName } from "./names.ts";

Deno.test("fnv32a matches Go's hash/fnv New32a", () => {
  assert.equal(fnv32a(""), 0x811c9dc5);
  assert.equal(fnv32a("a"), 0xe40c292c);
  assert.equal(fnv32a("foobar"), 0xbf9cf968);
});

Deno.test("node IDs: root is the workflow name, others hash the node name", () => {
  assert.equal(nodeId("wf", "wf"), "wf");
  assert.equal(nodeId("wf", "wf[0].a"), `wf-${fnv32a("wf[0].a")}`);
});

Deno.test("v2 pod names", () => {
  assert.equal(podName("wf", "wf", "main"), "wf");
  assert.equal(podName("wf", "wf[0].a", "whalesay"), `wf-whalesay-${fnv32a("wf[0].a")}`);
  assert.equal(podName("wf", "wf[0].a"), `wf-${fnv32a("wf[0].a")}`);
  const long = podName("w".repeat(200), "n", "t".repeat(100));
  assert.equal(long, `${"w".repeat(200)}-${"t".repeat(41)}-${fnv32a("n")}`);
  assert.ok(long.length <= 253);
});

Deno.test("loop and group names", () => {
  assert.equal(stepGroupName("wf", 1), "wf[1]");
  assert.equal(loopChildName("wf[0].p", 0, "a(b)"), "wf[0].p(0:ab)");
  assert.equal(itemDescription({ os: "debian", version: 9 }), "os:debian,version:9");
  assert.equal(itemDescription({ b: 1, a: 2 }), "a:2,b:1");
  assert.equal(itemDescription(3), "3");
  assert.equal(itemDescription([1, 2]), "[1,2]");
});
