import assert from "node:assert/strict";
import type { V1Pod } from "@kubernetes/client-node";
import { expandVars, fieldValue, prepareVolumes, resolveEnv } from "./spec.ts";

const pod: V1Pod = {
  metadata: {
    name: "p",
    namespace: "ns",
    uid: "u1",
    labels: { b: "2", a: "1" },
    annotations: { "x/y": "z" },
  },
  spec: { containers: [{ name: "main" }] },
};

Deno.test("expandVars: kube $(VAR) rules", () => {
  const env = { A: "1", B: "two" };
  assert.equal(expandVars("$(A)-$(B)-$(C)-$$(A)-$$", env), "1-two-$(C)-$(A)-$");
});

Deno.test("fieldValue: downward API paths", () => {
  assert.equal(fieldValue(pod, "metadata.labels", "n"), 'a="1"\nb="2"');
  assert.equal(fieldValue(pod, "metadata.annotations['x/y']", "n"), "z");
  assert.equal(fieldValue(pod, "metadata.labels['missing']", "n"), "");
  assert.equal(fieldValue(pod, "spec.nodeName", "n"), "n");
  assert.equal(fieldValue(pod, "spec.serviceAccountName", "n"), "default");
  assert.equal(fieldValue(pod, "status.hostIP", "n"), "127.0.0.1");
  assert.equal(fieldValue(pod, "spec.unknown", "n"), undefined);
});

Deno.test("resolveEnv: missing references are data, retried unless optional", async () => {
  const config = { getConfigMap: () => undefined, getSecret: () => ({ k: btoa("v") }) };
  const missing = await resolveEnv(
    pod,
    {
      name: "main",
      env: [{ name: "X", valueFrom: { configMapKeyRef: { name: "cm", key: "k" } } }],
    },
    config,
    {},
    "n",
  );
  assert.ok("problem" in missing && missing.problem.retry);
  assert.equal(missing.problem.reason, "CreateContainerConfigError");
  const optional = await resolveEnv(
    pod,
    {
      name: "main",
      env: [
        { name: "X", valueFrom: { configMapKeyRef: { name: "cm", key: "k", optional: true } } },
        { name: "S", valueFrom: { secretKeyRef: { name: "s", key: "k" } } },
      ],
      envFrom: [{ secretRef: { name: "s" }, prefix: "P_" }],
    },
    config,
    { PATH: "/bin" },
    "n",
  );
  assert.deepEqual(optional, { env: { PATH: "/bin", S: "v", P_k: "v" } });
  const badField = await resolveEnv(
    pod,
    {
      name: "main",
      env: [{ name: "X", valueFrom: { fieldRef: { fieldPath: "spec.bogus" } } }],
    },
    config,
    {},
    "n",
  );
  assert.ok("problem" in badField && !badField.problem.retry);
});

Deno.test("prepareVolumes: unsupported volume types fail permanently; modes and items", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const bad = await prepareVolumes(
      {
        pod: {
          ...pod,
          spec: { containers: [], volumes: [{ name: "nfs", nfs: { server: "s", path: "/" } }] },
        },
        nodeName: "n",
      },
      `${dir}/pod`,
      dir,
    );
    assert.ok("problem" in bad && !bad.problem.retry);
    assert.match(bad.problem.message, /nfs.*not supported/);
    const good = await prepareVolumes(
      {
        pod: {
          ...pod,
          spec: {
            containers: [],
            volumes: [
              {
                name: "dw",
                downwardAPI: {
                  items: [{ path: "labels", fieldRef: { fieldPath: "metadata.labels" } }],
                },
              },
              {
                name: "cm",
                configMap: {
                  name: "c",
                  defaultMode: 0o600,
                  items: [{ key: "a", path: "d/a", mode: 0o640 }],
                },
              },
            ],
          },
        },
        config: { getConfigMap: () => ({ a: "A", b: "B" }), getSecret: () => undefined },
        nodeName: "n",
        token: () => "tok",
      },
      `${dir}/pod`,
      dir,
    );
    assert.ok("volumes" in good);
    assert.equal(await Deno.readTextFile(`${dir}/pod/volumes/dw/labels`), 'a="1"\nb="2"');
    assert.equal((await Deno.stat(`${dir}/pod/volumes/cm/d/a`)).mode! & 0o777, 0o640);
    await assert.rejects(Deno.stat(`${dir}/pod/volumes/cm/b`));
    assert.equal(await Deno.readTextFile(`${dir}/pod/volumes/kube-api-access/namespace`), "ns");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
