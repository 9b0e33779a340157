import assert from "node:assert/strict";
import type { V1ConfigMap } from "@kubernetes/client-node";
import type { NodeStatus, Template, Workflow } from "../../api/types.gen.ts";
import { type ControllerConfig, DEFAULT_CONFIG } from "./config.ts";
import { simulate } from "./simulator.ts";

const CONFIG: ControllerConfig = { ...DEFAULT_CONFIG, images: { busybox: { cmd: ["sh"] } } };

function spec(memoize: Template["memoize"]): Workflow["spec"] {
  return {
    entrypoint: "main",
    arguments: { parameters: [{ name: "who", value: "world" }] },
    templates: [
      {
        name: "main",
        steps: [[{
          name: "hello",
          template: "hello",
          arguments: { parameters: [{ name: "who", value: "{{workflow.parameters.who}}" }] },
        }], [{
          name: "use",
          template: "take",
          arguments: { parameters: [{ name: "r", value: "{{steps.hello.outputs.result}}" }] },
        }]],
      },
      {
        name: "hello",
        inputs: { parameters: [{ name: "who" }] },
        memoize,
        container: { image: "busybox" },
      },
      { name: "take", inputs: { parameters: [{ name: "r" }] }, container: { image: "busybox" } },
    ],
  };
}

const memoize = {
  key: "hello-{{inputs.parameters.who}}",
  maxAge: "1h",
  cache: { configMap: { name: "cache" } },
};

function run(memo: Template["memoize"], configMaps: V1ConfigMap[] = []) {
  return simulate({
    workflow: {
      apiVersion: "argoproj.io/v1alpha1",
      kind: "Workflow",
      metadata: { name: "wf", namespace: "argo" },
      spec: spec(memo),
    },
    script: { hello: { result: "hi world" } },
    configMaps,
    config: CONFIG,
    start: "2026-01-01T00:00:00Z",
  });
}

function node(wf: Workflow, name: string): NodeStatus {
  return Object.values(wf.status?.nodes ?? {}).find((n) => n.name === name)!;
}

function cache(created: string): V1ConfigMap {
  return {
    metadata: { name: "cache", labels: { "workflows.argoproj.io/configmap-type": "Cache" } },
    data: {
      "hello-world": JSON.stringify({
        nodeID: "old",
        outputs: { result: "cached hi" },
        creationTimestamp: created,
        lastHitTimestamp: created,
      }),
    },
  };
}

Deno.test("memoize miss: the pod runs and its outputs are saved in the cache ConfigMap", () => {
  const result = run(memoize);
  const hello = node(result.workflow, "wf[0].hello");
  assert.deepEqual(hello.memoizationStatus, { hit: false, key: "hello-world", cacheName: "cache" });
  assert.equal(result.podsCreated.length, 2);
  const [upsert] = result.otherActions;
  assert.ok(upsert && upsert.type === "upsertConfigMap");
  assert.equal(upsert.name, "cache");
  assert.equal(upsert.namespace, "argo");
  assert.deepEqual(upsert.labels, { "workflows.argoproj.io/configmap-type": "Cache" });
  const entry = JSON.parse(upsert.data["hello-world"]);
  assert.equal(entry.nodeID, hello.id);
  assert.equal(entry.outputs.result, "hi world");
  assert.equal(typeof entry.creationTimestamp, "string");
});

Deno.test("memoize hit: no pod, the cached outputs, memoizationStatus.hit", () => {
  const result = run(memoize, [cache("2025-12-31T23:30:00Z")]);
  const hello = node(result.workflow, "wf[0].hello");
  assert.equal(hello.phase, "Succeeded");
  assert.deepEqual(hello.memoizationStatus, { hit: true, key: "hello-world", cacheName: "cache" });
  assert.equal(hello.outputs?.result, "cached hi");
  assert.equal(node(result.workflow, "wf[1].use").inputs?.parameters?.[0].value, "cached hi");
  assert.equal(result.podsCreated.length, 1);
  assert.equal(result.otherActions.length, 0);
});

Deno.test("memoize maxAge: an older entry is a miss", () => {
  const result = run(memoize, [cache("2025-12-31T20:00:00Z")]);
  assert.equal(node(result.workflow, "wf[0].hello").memoizationStatus?.hit, false);
  assert.equal(result.podsCreated.length, 2);
});

Deno.test("memoize bad input: too-long key, bad maxAge: one message on the node", () => {
  const long = run({ ...memoize, key: "k".repeat(300) });
  const hello = node(long.workflow, "wf[0].hello");
  assert.equal(hello.phase, "Error");
  assert.match(hello.message ?? "", /^invalid memoization key 'k{60}\.\.\.' \(300 characters\)/);
  const age = run({ ...memoize, maxAge: "a while" });
  assert.equal(
    node(age.workflow, "wf[0].hello").message,
    "invalid memoize.maxAge 'a while': not a duration",
  );
});
