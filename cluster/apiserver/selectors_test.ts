import assert from "node:assert/strict";
import type { JsonObject } from "../store/mod.ts";
import { jsonPatch, mergePatch } from "./patch.ts";
import { parseFieldSelector, parseLabelSelector } from "./selectors.ts";

const pod: JsonObject = {
  metadata: { name: "p", namespace: "ns", labels: { app: "web", "example.com/tier": "a" } },
  spec: { nodeName: "local" },
  status: { phase: "Running" },
};

Deno.test("label selectors", () => {
  const cases: [string, boolean | "error"][] = [
    ["", true],
    ["app=web", true],
    ["app==web", true],
    ["app=db", false],
    ["app!=db", true],
    ["missing!=x", true],
    ["app in (db, web)", true],
    ["app notin (web)", false],
    ["app", true],
    ["!app", false],
    ["!missing", true],
    ["example.com/tier=a,app", true],
    ["app in (web", "error"],
    ["a b", "error"],
    ["app=bad value", "error"],
  ];
  for (const [text, want] of cases) {
    const parsed = parseLabelSelector(text);
    if (want === "error") assert.equal(parsed.ok, false, text);
    else assert.equal(parsed.ok && parsed.match(pod), want, text);
  }
});

Deno.test("field selectors", () => {
  const cases: [string, string, boolean | "error"][] = [
    ["/pods", "metadata.name=p", true],
    ["/pods", "metadata.namespace==ns,status.phase=Running", true],
    ["/pods", "spec.nodeName!=local", false],
    ["/pods", "spec.nodeName=", false],
    ["/configmaps", "spec.nodeName=local", "error"],
    ["/pods", "nonsense", "error"],
  ];
  for (const [resource, text, want] of cases) {
    const parsed = parseFieldSelector(text, resource);
    if (want === "error") assert.equal(parsed.ok, false, text);
    else assert.equal(parsed.ok && parsed.match(pod), want, text);
  }
  const event = parseFieldSelector("involvedObject.name=p,involvedObject.kind=Pod", "/events");
  assert.ok(event.ok);
  assert.equal(event.match({ involvedObject: { kind: "Pod", name: "p" } }), true);
});

Deno.test("merge patch and JSON patch", () => {
  assert.deepEqual(mergePatch({ a: 1, b: { c: 2, d: 3 } }, { b: { c: null, e: 4 }, f: [1] }), {
    a: 1,
    b: { d: 3, e: 4 },
    f: [1],
  });
  const polluted = mergePatch({}, JSON.parse('{"__proto__": {"x": 1}}'));
  assert.equal(({} as Record<string, unknown>).x, undefined);
  assert.deepEqual(Object.keys(polluted as object), ["__proto__"]);
  const doc = { a: [1, 2], b: { c: "x" } };
  const result = jsonPatch(doc, [
    { op: "add", path: "/a/-", value: 3 },
    { op: "replace", path: "/b/c", value: "y" },
    { op: "copy", from: "/b", path: "/d" },
    { op: "move", from: "/a/0", path: "/e" },
    { op: "remove", path: "/b" },
    { op: "test", path: "/e", value: 1 },
  ]);
  assert.deepEqual(result, { ok: true, value: { a: [2, 3], d: { c: "y" }, e: 1 } });
  assert.deepEqual(doc, { a: [1, 2], b: { c: "x" } }, "the input is not changed");
  for (const bad of [{}, [{ op: "remove", path: "/zz" }], [{ op: "test", path: "/a", value: 0 }]]) {
    assert.equal(jsonPatch(doc, bad).ok, false);
  }
});
