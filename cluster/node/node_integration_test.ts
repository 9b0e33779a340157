/**
 * The node against the real embedded API server (in memory, HTTPS with its own CA): binding,
 * running, status writes, `pods/log`, graceful deletion, and recovery after a restart.
 */
import assert from "node:assert/strict";
import type { V1Pod } from "@kubernetes/client-node";
import { startApiServer } from "../apiserver/mod.ts";
import { LocalNode, RESTART_MESSAGE } from "./node.ts";

interface Env {
  url: string;
  token: string;
  caCert?: string;
  node: LocalNode;
  stateDir: string;
  api(method: string, path: string, body?: unknown): Promise<{ status: number; body: unknown }>;
  text(path: string): Promise<string>;
}

async function withCluster(body: (env: Env) => Promise<void>): Promise<void> {
  const stateDir = await Deno.makeTempDir({ prefix: "argo-ts-node-it-" });
  const denoDir = Deno.execPath().slice(0, Deno.execPath().lastIndexOf("/"));
  const node = new LocalNode({ stateDir, logPollMs: 20, warn: () => {}, readOnlyBinds: [denoDir] });
  const server = await startApiServer({ logs: node.logs, port: 0 });
  const client = server.caCert ? Deno.createHttpClient({ caCerts: [server.caCert] }) : undefined;
  const init = (method: string, payload?: unknown): RequestInit =>
    ({
      method,
      headers: {
        authorization: `Bearer ${server.adminToken}`,
        "content-type": "application/json",
      },
      body: payload === undefined ? undefined : JSON.stringify(payload),
      ...(client ? { client } : {}),
    }) as RequestInit;
  const env: Env = {
    url: server.url,
    token: server.adminToken,
    caCert: server.caCert,
    node,
    stateDir,
    async api(method, path, payload) {
      const response = await fetch(`${server.url}${path}`, init(method, payload));
      const text = await response.text();
      return { status: response.status, body: text ? JSON.parse(text) : undefined };
    },
    async text(path) {
      const response = await fetch(`${server.url}${path}`, init("GET"));
      return await response.text();
    },
  };
  try {
    await node.start({
      url: server.url,
      token: server.adminToken,
      caCert: server.caCert,
      tokenFor: (ns, sa) => server.tokenFor(ns, sa),
    });
    await body(env);
  } finally {
    await node.close();
    await server.close();
    client?.close();
    await Deno.remove(stateDir, { recursive: true });
  }
}

async function waitForPod(
  env: Env,
  name: string,
  check: (pod: V1Pod) => boolean,
  timeoutMs = 8000,
): Promise<V1Pod> {
  const start = Date.now();
  let last: unknown;
  while (Date.now() - start < timeoutMs) {
    const got = await env.api("GET", `/api/v1/namespaces/default/pods/${name}`);
    last = got.body;
    if (got.status === 200 && check(got.body as V1Pod)) return got.body as V1Pod;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`pod ${name} never got there; last: ${JSON.stringify(last)}`);
}

function shPod(name: string, script: string, grace?: number): V1Pod {
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name, namespace: "default" },
    spec: {
      restartPolicy: "Never",
      ...(grace === undefined ? {} : { terminationGracePeriodSeconds: grace }),
      containers: [{ name: "main", image: "busybox", command: ["sh", "-c", script] }],
    },
  };
}

Deno.test("node: binds, runs, reports exit code 3 and serves the log", async () => {
  await withCluster(async (env) => {
    const created = await env.api(
      "POST",
      "/api/v1/namespaces/default/pods",
      shPod("hello", "echo hello; exit 3"),
    );
    assert.equal(created.status, 201);
    const pod = await waitForPod(env, "hello", (p) => p.status?.phase === "Failed");
    assert.equal(pod.spec?.nodeName, "argo-ts-local");
    const main = pod.status?.containerStatuses?.[0];
    assert.equal(main?.state?.terminated?.exitCode, 3);
    assert.equal(main?.state?.terminated?.reason, "Error");
    assert.equal(pod.status?.podIP, "127.0.0.1");
    assert.equal(
      await env.text("/api/v1/namespaces/default/pods/hello/log?container=main"),
      "hello\n",
    );
    assert.match(
      await env.text("/api/v1/namespaces/default/pods/hello/log?timestamps=true"),
      /^\d{4}-\d\d-\d\dT[\d:.]+Z hello\n$/,
    );
  });
});

const HAS_BWRAP = (() => {
  try {
    return new Deno.Command("bwrap", {
      args: ["--unshare-pid", "--ro-bind", "/", "/", "true"],
      stdout: "null",
      stderr: "null",
    }).outputSync().success;
  } catch {
    return false;
  }
})();

const IN_CLUSTER_PROGRAM = `
const dir = "/var/run/secrets/kubernetes.io/serviceaccount";
const token = Deno.readTextFileSync(dir + "/token");
const ns = Deno.readTextFileSync(dir + "/namespace");
const client = Deno.createHttpClient({ caCerts: [Deno.readTextFileSync(dir + "/ca.crt")] });
const url = "https://" + Deno.env.get("KUBERNETES_SERVICE_HOST") + ":" +
  Deno.env.get("KUBERNETES_SERVICE_PORT") + "/api/v1/namespaces/" + ns + "/pods/" +
  Deno.env.get("HOSTNAME");
const response = await fetch(url, { headers: { authorization: "Bearer " + token }, client });
const pod = await response.json();
console.log(Deno.env.get("GREETING"), response.status, pod.status.phase);
`;

Deno.test({
  name: "node: in-cluster set-up inside the sandbox reaches the API server",
  ignore: !HAS_BWRAP,
  fn: async () => {
    await withCluster(async (env) => {
      await env.api("POST", "/api/v1/namespaces/default/configmaps", {
        metadata: { name: "settings" },
        data: { greeting: "hi" },
      });
      const pod = shPod("incluster", "");
      pod.spec!.containers[0].command = [Deno.execPath(), "eval", IN_CLUSTER_PROGRAM];
      pod.spec!.containers[0].env = [
        { name: "GREETING", valueFrom: { configMapKeyRef: { name: "settings", key: "greeting" } } },
      ];
      await env.api("POST", "/api/v1/namespaces/default/pods", pod);
      const done = await waitForPod(
        env,
        "incluster",
        (p) => p.status?.phase === "Succeeded" || p.status?.phase === "Failed",
        15000,
      );
      const log = await env.text("/api/v1/namespaces/default/pods/incluster/log");
      assert.equal(done.status?.phase, "Succeeded", log);
      assert.equal(log, "hi 200 Running\n");
    });
  },
});

Deno.test("node: deletion terminates gracefully, then the object goes away", async () => {
  await withCluster(async (env) => {
    await env.api(
      "POST",
      "/api/v1/namespaces/default/pods",
      shPod("sleeper", "trap 'echo bye; exit 0' TERM; while :; do sleep 0.05; done", 5),
    );
    await waitForPod(env, "sleeper", (p) => p.status?.phase === "Running");
    const deleted = await env.api("DELETE", "/api/v1/namespaces/default/pods/sleeper");
    assert.equal(deleted.status, 200);
    const start = Date.now();
    while ((await env.api("GET", "/api/v1/namespaces/default/pods/sleeper")).status !== 404) {
      assert.ok(Date.now() - start < 8000, "pod was never removed");
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    assert.ok(Date.now() - start < 4000);
    while (env.node.runtime.status("default", "sleeper") !== undefined) {
      assert.ok(Date.now() - start < 8000, "the node never forgot the pod");
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  });
});

Deno.test("node: a restart fails pods left Running and still serves finished pods' logs", async () => {
  const stateDir = await Deno.makeTempDir({ prefix: "argo-ts-node-restart-" });
  const server = await startApiServer({ port: 0, tls: false });
  const connection = { url: server.url, token: server.adminToken };
  const first = new LocalNode({ stateDir, logPollMs: 20, warn: () => {} });
  let second: LocalNode | undefined;
  try {
    await first.start(connection);
    const api = (method: string, path: string, body?: unknown) =>
      fetch(`${server.url}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${server.adminToken}`,
          "content-type": "application/json",
        },
        body: body === undefined ? undefined : JSON.stringify(body),
      }).then(async (r) => ({ status: r.status, body: await r.json() as V1Pod }));
    const waitPhase = async (name: string, phases: string[]) => {
      const start = Date.now();
      while (Date.now() - start < 8000) {
        const pod = (await api("GET", `/api/v1/namespaces/default/pods/${name}`)).body;
        if (phases.includes(pod.status?.phase ?? "")) return pod;
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
      throw new Error(`${name} never reached ${phases}`);
    };
    await api("POST", "/api/v1/namespaces/default/pods", shPod("done", "echo finished"));
    await api("POST", "/api/v1/namespaces/default/pods", shPod("long", "sleep 30"));
    await waitPhase("done", ["Succeeded"]);
    await waitPhase("long", ["Running"]);
    await first.close(); // the node goes away: its processes die, the API still says Running

    second = new LocalNode({ stateDir, logPollMs: 20, warn: () => {} });
    await second.start(connection);
    const lost = await waitPhase("long", ["Failed", "Succeeded"]);
    assert.equal(lost.status?.phase, "Failed");
    assert.equal(lost.status?.message, RESTART_MESSAGE);
    const main = lost.status?.containerStatuses?.[0].state?.terminated;
    assert.equal(main?.reason, "ContainerStatusUnknown");
    assert.equal(main?.exitCode, 137);
    const log = second.logs.open("default", "done", "main", { follow: true });
    assert.ok(log);
    assert.equal(await new Response(log).text(), "finished\n");
    assert.equal((await waitPhase("done", ["Succeeded"])).status?.phase, "Succeeded");
  } finally {
    await first.close();
    await second?.close();
    await server.close();
    await Deno.remove(stateDir, { recursive: true });
  }
});
