/**
 * `argo-ts controller` as a process (flags, /healthz, /metrics, a workflow run, SIGTERM), and
 * the controller following `workflow-controller-configmap`.
 */
import assert from "node:assert/strict";
import * as k8s from "@kubernetes/client-node";
import { kubeconfigFor } from "../cluster/mod.ts";
import {
  sequentialWorkflow,
  startControllerTestCluster,
  waitForCompletion,
  workflowsApi,
} from "./controller_support_test.ts";

const MAIN = new URL("../main.ts", import.meta.url).pathname;

async function until(condition: () => boolean, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return true;
}

Deno.test("controller command: usage errors exit 2 and say why", async () => {
  for (
    const [args, message] of [
      [["--workers", "many"], /--workers must be a positive number/],
      [["--metrics-port", "99999"], /--metrics-port must be a number/],
      [["--leader-elect=maybe"], /--leader-elect takes true or false/],
      [["--frobnicate"], /Unknown option/],
    ] as const
  ) {
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", "--quiet", MAIN, "controller", ...args],
      env: { RUST_BACKTRACE: "0", NO_COLOR: "1" },
      stdout: "null",
      stderr: "piped",
    }).output();
    assert.equal(out.code, 2, args.join(" "));
    assert.match(new TextDecoder().decode(out.stderr), message);
  }
});

Deno.test("controller command: runs workflows, serves /healthz and /metrics, stops on SIGTERM", async () => {
  const cluster = await startControllerTestCluster();
  let child: Deno.ChildProcess | undefined;
  try {
    const server = cluster.server();
    const kubeconfigPath = `${cluster.dir}/kubeconfig`;
    await Deno.writeTextFile(
      kubeconfigPath,
      kubeconfigFor(server.url, await server.tokenFor("argo", "controller"), server.caCert),
    );
    child = new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        "--quiet",
        MAIN,
        "controller",
        "--kubeconfig",
        kubeconfigPath,
        "--metrics-port",
        "0",
        "--local-executor",
        "--leader-identity",
        "cmd",
      ],
      env: { RUST_BACKTRACE: "0", NO_COLOR: "1" },
      stdout: "null",
      stderr: "piped",
    }).spawn();
    let stderr = "";
    const reading = (async () => {
      for await (const chunk of child.stderr.pipeThrough(new TextDecoderStream())) stderr += chunk;
    })();
    assert.ok(await until(() => /port (\d+)/.test(stderr), 10_000), stderr);
    assert.ok(await until(() => / started$/m.test(stderr), 10_000), stderr);
    const port = Number(/port (\d+)/.exec(stderr)![1]);
    const health = await fetch(`http://127.0.0.1:${port}/healthz`);
    assert.equal(health.status, 200);
    assert.equal(await health.text(), "ok\n");

    const api = workflowsApi(await cluster.kubeconfigAs("client"));
    await api.create(sequentialWorkflow("via-command", 2, ["true"]));
    const done = await waitForCompletion(() => api.get("via-command"), 15_000);
    assert.equal(done.status?.phase, "Succeeded", done.status?.message ?? "");

    const metrics = await fetch(`http://127.0.0.1:${port}/metrics`);
    assert.match(metrics.headers.get("content-type") ?? "", /^text\/plain; version=0\.0\.4/);
    const text = await metrics.text();
    assert.match(text, /^argo_workflows_is_leader 1$/m);
    assert.match(text, /^argo_workflows_gauge\{phase="Succeeded"\} 1$/m);
    assert.match(
      text,
      /^argo_workflows_k8s_request_total\{kind="pods",status_code="201",verb="Create"\} 2$/m,
    );
    assert.match(text, /^argo_workflows_operation_duration_seconds_count \d+$/m);
    assert.match(text, /^argo_workflows_queue_adds_count\{queue_name="workflow_queue"\} \d+$/m);
    const lease = await (await cluster.kubeconfigAs("client")).makeApiClient(k8s.CustomObjectsApi)
      .getNamespacedCustomObject({
        group: "coordination.k8s.io",
        version: "v1",
        plural: "leases",
        namespace: "argo",
        name: "workflow-controller-lease",
      }) as { spec?: { holderIdentity?: string } };
    assert.equal(lease.spec?.holderIdentity, "cmd");

    child.kill("SIGTERM");
    const status = await child.status;
    await reading;
    child = undefined;
    assert.equal(status.code, 0, stderr);
    assert.match(stderr, /SIGTERM: stopping/);
  } finally {
    if (child) {
      child.kill("SIGKILL");
      await child.status;
      await child.stderr.cancel().catch(() => {});
    }
    await cluster.close();
  }
});

Deno.test("controller: follows workflow-controller-configmap as it changes", async () => {
  const cluster = await startControllerTestCluster();
  try {
    const messages: string[] = [];
    const controller = await cluster.controller("controller", {
      log: (message) => messages.push(message),
    });
    assert.equal(controller.config.parallelism, undefined);
    const core = (await cluster.kubeconfigAs("client")).makeApiClient(k8s.CoreV1Api);
    const name = "workflow-controller-configmap";
    await core.createNamespacedConfigMap({
      namespace: "argo",
      body: { metadata: { name }, data: { parallelism: "2", executor: "image: custom\n" } },
    });
    assert.ok(await until(() => controller.config.parallelism === 2, 5_000), messages.join("\n"));
    assert.equal(controller.config.executor.image, "custom");
    assert.ok(controller.config.executor.command.length > 1, "the base executor command stays");
    await core.replaceNamespacedConfigMap({
      name,
      namespace: "argo",
      body: { metadata: { name }, data: { parallelism: "3", bogus: "1" } },
    });
    assert.ok(await until(() => controller.config.parallelism === 3, 5_000), messages.join("\n"));
    assert.ok(messages.some((m) => /bogus: not a key argo-ts knows/.test(m)), messages.join("\n"));
    assert.equal(controller.config.executor.image, "argo-ts", "dropped keys fall back to the base");
    await core.deleteNamespacedConfigMap({ name, namespace: "argo" });
    assert.ok(await until(() => controller.config.parallelism === undefined, 5_000));
  } finally {
    await cluster.close();
  }
});
