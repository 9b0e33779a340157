import assert from "node:assert/strict";
import type { NodeStatus } from "../../api/types.gen.ts";
import { matchesNode, parseFieldSelector } from "./selector.ts";

const node: NodeStatus = {
  id: "wf-1",
  name: "wf[0].a",
  displayName: "a",
  type: "Pod",
  phase: "Failed",
  templateName: "local",
  templateRef: { name: "lib", template: "remote" },
  inputs: { parameters: [{ name: "x", value: "1" }] },
};

Deno.test("field selectors match Argo's node fields", () => {
  const match = (s: string) => matchesNode(parseFieldSelector(s), node);
  assert.equal(match("phase=Failed"), true);
  assert.equal(match("phase==Failed"), true);
  assert.equal(match("phase!=Failed"), false);
  assert.equal(match("displayName=a,phase=Failed"), true);
  assert.equal(match("displayName=a,phase=Succeeded"), false);
  assert.equal(match("templateName=remote"), true);
  assert.equal(match("templateRef.name=lib"), true);
  assert.equal(match("name=wf[0].a"), true);
  assert.equal(match("id=wf-1"), true);
  assert.equal(match("inputs.parameters.x.value=1"), true);
  assert.equal(match("unknown="), true);
});

Deno.test("a term without an operator is an invalid selector", () => {
  assert.throws(() => parseFieldSelector("phase"), /selector is invalid/);
});
