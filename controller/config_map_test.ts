import assert from "node:assert/strict";
import { mergeConfig, parseConfigMapData } from "./config_map.ts";
import type { ControllerConfig } from "./operator/config.ts";

const BASE: ControllerConfig = {
  executor: { image: "argo-ts", command: ["/bin/deno", "run", "main.ts", "exec"] },
};

Deno.test("config map: Argo's keys parse from their YAML strings", () => {
  const parsed = parseConfigMapData({
    parallelism: "10",
    namespaceParallelism: "3",
    instanceID: "team-a",
    executor: "image: quay.io/argoproj/argoexec:v4\nresources:\n  limits:\n    cpu: 500m\n",
    mainContainer: "imagePullPolicy: IfNotPresent\n",
    images: "docker/whalesay:\n  cmd: [cowsay]\n",
    artifactRepository: "s3:\n  bucket: my-bucket\n  endpoint: minio:9000\n",
    workflowDefaults: "spec:\n  activeDeadlineSeconds: 300\n",
    nodeEvents: "enabled: false\n",
    podGCDeleteDelayDuration: "30s",
  });
  assert.deepEqual(parsed.problems, []);
  assert.equal(parsed.config.parallelism, 10);
  assert.equal(parsed.config.namespaceParallelism, 3);
  assert.equal(parsed.config.instanceID, "team-a");
  assert.equal(parsed.config.executor?.image, "quay.io/argoproj/argoexec:v4");
  assert.deepEqual(parsed.config.images, { "docker/whalesay": { cmd: ["cowsay"] } });
  assert.equal(parsed.config.artifactRepository?.s3?.bucket, "my-bucket");
  assert.equal(parsed.config.workflowDefaults?.spec?.activeDeadlineSeconds, 300);
  assert.deepEqual(parsed.config.nodeEvents, { enabled: false });
  assert.equal(parsed.config.podGCDeleteDelayDuration, "30s");
});

Deno.test("config map: problems are data and the other keys still apply", () => {
  const table: Array<{ data: Record<string, string>; problem: RegExp }> = [
    { data: { parallelism: "lots" }, problem: /^parallelism: must be a whole number/ },
    { data: { parallelism: "-1" }, problem: /^parallelism: must be a whole number/ },
    { data: { images: "[a, b]" }, problem: /^images: must be a map/ },
    { data: { executor: "image: [unclosed" }, problem: /^executor: not valid YAML/ },
    { data: { frobnicate: "yes" }, problem: /^frobnicate: not a key argo-ts knows/ },
  ];
  for (const { data, problem } of table) {
    const parsed = parseConfigMapData({ ...data, instanceID: "kept" });
    assert.equal(parsed.problems.length, 1, JSON.stringify(data));
    assert.match(parsed.problems[0], problem);
    assert.equal(parsed.config.instanceID, "kept");
  }
});

Deno.test("config map: keys Argo has but argo-ts does not use are accepted quietly", () => {
  const parsed = parseConfigMapData({ metricsConfig: "enabled: true\n", persistence: "x: 1\n" });
  assert.deepEqual(parsed.problems, []);
  assert.deepEqual(parsed.config, {});
});

Deno.test("config map: empty or missing data is an empty config", () => {
  assert.deepEqual(parseConfigMapData(undefined), { config: {}, problems: [] });
  assert.deepEqual(parseConfigMapData({ parallelism: "" }), { config: {}, problems: [] });
});

Deno.test("config map: merge keeps the base executor command unless the map sets one", () => {
  const parsed = parseConfigMapData({
    executor: "image: custom\nenv:\n- name: A\n  value: b\n",
    parallelism: "2",
  });
  const merged = mergeConfig(
    { ...BASE, executor: { ...BASE.executor, env: [{ name: "X", value: "1" }] } },
    parsed.config,
  );
  assert.equal(merged.executor.image, "custom");
  assert.deepEqual(merged.executor.command, BASE.executor.command);
  assert.deepEqual(merged.executor.env, [{ name: "X", value: "1" }, { name: "A", value: "b" }]);
  assert.equal(merged.parallelism, 2);
  const withCommand = mergeConfig(BASE, { executor: { image: "i", command: ["argoexec"] } });
  assert.deepEqual(withCommand.executor.command, ["argoexec"]);
});
