/**
 * Controller benchmark: step-to-step latency. A 50-step sequential workflow of `true` runs
 * through the embedded cluster with real pods; for each step, the controller's time is from
 * the last write that completed the previous step (the node's pod status patch or the
 * executor's WorkflowTaskResult write, whichever came last) to the create of the next pod,
 * read from the API server's audit list. The floor is one pod create plus one workflow update
 * through the same client on the same API server (the two writes a step needs at least).
 * Reported: the median step latency over the median floor.
 *
 * Throughput (a minute or two each): the pod-create rate of a 1,000-item `withItems` fan-out
 * against the API server's raw pod-create rate (Argo's default throttle, and unthrottled), and
 * 200 one-step workflows submitted at once, in workflows per minute next to Argo's published
 * 270/min (default) and 810/min (tuned).
 *
 * Run alone: `./argo-ts --deno run -A bench/controller.ts`; also part of `deno task bench`.
 */
import * as k8s from "@kubernetes/client-node";
import { type ApiServer, type AuditEntry, startApiServer } from "../cluster/mod.ts";
import { LocalNode } from "../cluster/node/mod.ts";
import { ensureNamespace, localExecutorCommand } from "../cluster/command.ts";
import { useHttp1, WorkflowController } from "../controller/controller.ts";
import type { Workflow } from "../api/types.gen.ts";
import { API_GROUP, API_VERSION } from "../api/meta.ts";
import { type AsyncBenchScenario, formatResult, measureAsync, median } from "./harness.ts";

const STEPS = 50;
const FLOOR_ROUNDS = 30;
const REPO_ROOT = new URL("../", import.meta.url).pathname;

function workflow(name: string): Workflow {
  return {
    apiVersion: `${API_GROUP}/${API_VERSION}`,
    kind: "Workflow",
    metadata: { name, namespace: "argo" },
    spec: {
      entrypoint: "main",
      templates: [
        {
          name: "main",
          steps: Array.from({ length: STEPS }, (_, i) => [{ name: `s${i}`, template: "t" }]),
        },
        { name: "t", container: { image: "alpine", command: ["true"] } },
      ],
    },
  } as Workflow;
}

const hashOf = (name: string | undefined) => /-(\d+)$/.exec(name ?? "")?.[1];

/**
 * Per step: next pod create minus the last write that completed the step before it
 * (`controller`), and that write minus the step's own pod create (`pod`: the node and the
 * executor's share).
 */
export function stepLatencies(
  audit: AuditEntry[],
  controllerUser: string,
): { controller: number[]; pod: number[] } {
  const at = (e: AuditEntry) => Date.parse(e.time);
  const creates = audit.filter((e) =>
    e.user === controllerUser && e.verb === "create" && e.resource === "pods" &&
    e.subresource === undefined && e.code === 201
  );
  // Pods in creation order: the node binds each pod right after its create.
  const order: string[] = [];
  for (const e of audit) {
    if (e.resource === "pods" && e.subresource === "binding" && e.name && !order.includes(e.name)) {
      order.push(e.name);
    }
  }
  const latencies: number[] = [];
  const pods: number[] = [];
  for (let i = 0; i + 1 < creates.length && i < order.length; i++) {
    const next = at(creates[i + 1]);
    const hash = hashOf(order[i]);
    const completing = audit.filter((e) =>
      at(e) <= next && e.code < 300 && (
        (e.resource === "pods" && e.subresource === "status" && e.name === order[i]) ||
        (e.resource.startsWith("workflowtaskresults") && e.verb !== "get" &&
          e.verb !== "list" && e.verb !== "watch" &&
          (hashOf(e.name) === hash || (e.verb === "create" && e.name === undefined)))
      )
    );
    if (completing.length === 0) continue;
    const completed = Math.max(...completing.map(at));
    latencies.push(next - completed);
    pods.push(completed - at(creates[i]));
  }
  return { controller: latencies, pod: pods };
}

async function stepLatency(): Promise<{ oursMs: number; floorMs: number }> {
  const dir = await Deno.makeTempDir({ prefix: "argo-ts-bench-controller-" });
  const node = new LocalNode({
    stateDir: `${dir}/node`,
    readOnlyBinds: [REPO_ROOT, Deno.execPath().replace(/\/[^/]*$/, "")],
  });
  let server: ApiServer | undefined;
  let controller: WorkflowController | undefined;
  let closeFloorClient: (() => Promise<void>) | undefined;
  try {
    server = await startApiServer({
      port: 0,
      crdDir: `${REPO_ROOT}manifests/crds/minimal`,
      logs: node.logs,
    });
    for (const name of ["default", "argo"]) {
      await ensureNamespace(server.url, server.adminToken, server.caCert, name);
    }
    await node.start({
      url: server.url,
      token: server.adminToken,
      caCert: server.caCert,
      tokenFor: server.tokenFor,
    });
    const kubeconfigAs = async (user: string) => {
      const kc = new k8s.KubeConfig();
      const { kubeconfigFor } = await import("../cluster/mod.ts");
      kc.loadFromString(
        kubeconfigFor(server!.url, await server!.tokenFor("argo", user), server!.caCert),
      );
      return kc;
    };
    controller = new WorkflowController({
      kubeconfig: await kubeconfigAs("bench-controller"),
      config: {
        executor: {
          image: "argo-ts",
          command: localExecutorCommand(),
          env: [{ name: "RUST_BACKTRACE", value: "0" }, { name: "NO_COLOR", value: "1" }],
        },
        artifactRepository: { filesystem: { path: `${dir}/artifacts` } },
        nodeEvents: { enabled: false },
      },
    });
    await controller.start();
    const client = await kubeconfigAs("bench-client");
    closeFloorClient = useHttp1(client);
    const custom = client.makeApiClient(k8s.CustomObjectsApi);
    const core = client.makeApiClient(k8s.CoreV1Api);
    const base = { group: API_GROUP, version: API_VERSION, plural: "workflows", namespace: "argo" };
    const started = performance.now();
    await custom.createNamespacedCustomObject({ ...base, body: workflow("steps") });
    let done: Workflow;
    for (;;) {
      done = await custom.getNamespacedCustomObject({ ...base, name: "steps" }) as Workflow;
      if (["Succeeded", "Failed", "Error"].includes(done.status?.phase ?? "")) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const wallMs = performance.now() - started;
    if (done.status?.phase !== "Succeeded") {
      throw new Error(`the workflow ended ${done.status?.phase}: ${done.status?.message}`);
    }
    await controller.stop();
    controller = undefined;
    const steps = stepLatencies(server.audit(), "system:serviceaccount:argo:bench-controller");
    const latencies = steps.controller;

    // The floor: a pod create and a workflow update, the least one step needs. The pods name a
    // node that does not exist so nothing runs them.
    const floors: number[] = [];
    let wf = await custom.createNamespacedCustomObject({
      group: API_GROUP,
      version: API_VERSION,
      plural: "workflows",
      namespace: "default",
      body: { ...workflow("floor"), metadata: { name: "floor", namespace: "default" } },
    }) as Workflow;
    for (let i = 0; i < FLOOR_ROUNDS; i++) {
      const t = performance.now();
      await core.createNamespacedPod({
        namespace: "default",
        body: {
          metadata: { name: `floor-${i}`, labels: { bench: "floor" } },
          spec: { nodeName: "nowhere", containers: [{ name: "main", image: "x" }] },
        },
      });
      wf = await custom.replaceNamespacedCustomObject({
        ...base,
        namespace: "default",
        name: "floor",
        body: { ...wf, status: { phase: "Running", message: `round ${i}` } },
      }) as Workflow;
      floors.push(performance.now() - t);
    }
    console.log(
      `  controller step latency: ${latencies.length} steps, median ${
        median(latencies).toFixed(1)
      } ms, max ${Math.max(...latencies).toFixed(1)} ms; whole workflow ${
        (wallMs / 1000).toFixed(1)
      } s (${(wallMs / STEPS).toFixed(0)} ms per step; pod create to completed, median ${
        median(steps.pod).toFixed(0)
      } ms)`,
    );
    return { oursMs: median(latencies), floorMs: median(floors) };
  } finally {
    await controller?.stop();
    await closeFloorClient?.();
    await node.close();
    await server?.close();
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
}

/** An API server (and, when asked, a node running pods) with namespaces and per-user clients. */
async function benchCluster(withNode: boolean) {
  const dir = await Deno.makeTempDir({ prefix: "argo-ts-bench-controller-" });
  const node = new LocalNode({
    stateDir: `${dir}/node`,
    readOnlyBinds: [REPO_ROOT, Deno.execPath().replace(/\/[^/]*$/, "")],
  });
  const server = await startApiServer({
    port: 0,
    crdDir: `${REPO_ROOT}manifests/crds/minimal`,
    logs: node.logs,
  });
  const closers: Array<() => Promise<void>> = [];
  for (const name of ["default", "argo"]) {
    await ensureNamespace(server.url, server.adminToken, server.caCert, name);
  }
  if (withNode) {
    await node.start({
      url: server.url,
      token: server.adminToken,
      caCert: server.caCert,
      tokenFor: server.tokenFor,
    });
  }
  const { kubeconfigFor } = await import("../cluster/mod.ts");
  const kubeconfigAs = async (user: string) => {
    const kc = new k8s.KubeConfig();
    kc.loadFromString(
      kubeconfigFor(server.url, await server.tokenFor("argo", user), server.caCert),
    );
    return kc;
  };
  const controllerConfig = {
    executor: {
      image: "argo-ts",
      command: localExecutorCommand(),
      env: [{ name: "RUST_BACKTRACE", value: "0" }, { name: "NO_COLOR", value: "1" }],
    },
    artifactRepository: { filesystem: { path: `${dir}/artifacts` } },
    nodeEvents: { enabled: false },
  };
  return {
    server,
    kubeconfigAs,
    controllerConfig,
    /** A client as `user`, over HTTP/1.1 as the controller's. */
    client: async (user: string) => {
      const kc = await kubeconfigAs(user);
      closers.push(useHttp1(kc));
      return kc;
    },
    close: async () => {
      for (const close of closers) await close();
      if (withNode) await node.close();
      await server.close();
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    },
  };
}

const FAN_OUT = 1_000;
const WORKFLOWS_PATH = { group: API_GROUP, version: API_VERSION, plural: "workflows" };

function fanOut(name: string): Workflow {
  return {
    apiVersion: `${API_GROUP}/${API_VERSION}`,
    kind: "Workflow",
    metadata: { name, namespace: "argo" },
    spec: {
      entrypoint: "main",
      templates: [
        {
          name: "main",
          steps: [[{
            name: "each",
            template: "t",
            withItems: Array.from({ length: FAN_OUT }, (_, i) => i),
          }]],
        },
        { name: "t", container: { image: "alpine", command: ["true"] } },
      ],
    },
  } as unknown as Workflow;
}

/**
 * (a) Pod-create rate of a {@link FAN_OUT}-item `withItems` fan-out: from the workflow's create
 * to the controller's last pod create (from the audit list), against the API server's raw rate
 * for the same pod bodies created one after another by one client (the controller creates a
 * reconcile's pods one after another too). No node runs, so the pods stay Pending and the
 * machine's cores go to the controller and the API server alone. Reported per pod: ours is the
 * controller's ms per pod, the floor the raw ms per pod; the target (2x) is half the raw rate.
 */
async function fanOutCreateRate(
  throttle: { qps?: number; burst?: number },
): Promise<{ oursMs: number; floorMs: number }> {
  const cluster = await benchCluster(false);
  let controller: WorkflowController | undefined;
  try {
    controller = new WorkflowController({
      kubeconfig: await cluster.kubeconfigAs("bench-controller"),
      config: cluster.controllerConfig,
      ...throttle,
    });
    await controller.start();
    const client = await cluster.client("bench-client");
    const custom = client.makeApiClient(k8s.CustomObjectsApi);
    const core = client.makeApiClient(k8s.CoreV1Api);
    await custom.createNamespacedCustomObject({
      ...WORKFLOWS_PATH,
      namespace: "argo",
      body: fanOut("fan-out"),
    });
    const user = "system:serviceaccount:argo:bench-controller";
    const podCreates = () =>
      cluster.server.audit().filter((e) =>
        e.user === user && e.verb === "create" && e.resource === "pods" &&
        e.subresource === undefined && e.code === 201
      );
    const deadline = Date.now() + 10 * 60_000;
    while (podCreates().length < FAN_OUT) {
      if (Date.now() > deadline) throw new Error(`only ${podCreates().length} pods created`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    await controller.stop();
    controller = undefined;
    const audit = cluster.server.audit();
    const submitted = audit.find((e) =>
      e.verb === "create" && e.resource.startsWith("workflows") && e.code === 201
    );
    const creates = podCreates();
    if (!submitted) throw new Error("the workflow's create is not in the audit list");
    const oursTotal = Date.parse(creates[creates.length - 1].time) - Date.parse(submitted.time);

    // The floor: the same pod bodies, one create after another, on a node that does not exist.
    const sample = (await core.listNamespacedPod({ namespace: "argo", limit: 1 })).items[0];
    const body = (i: number): k8s.V1Pod => ({
      metadata: {
        name: `raw-${i}`,
        labels: sample.metadata?.labels,
        annotations: sample.metadata?.annotations,
      },
      spec: { ...sample.spec!, nodeName: "nowhere" },
    });
    const t = performance.now();
    for (let i = 0; i < FAN_OUT; i++) {
      await core.createNamespacedPod({ namespace: "default", body: body(i) });
    }
    const rawTotal = performance.now() - t;
    const rate = (ms: number) => (FAN_OUT / (ms / 1000)).toFixed(0);
    console.log(
      `  fan-out ${FAN_OUT} (qps ${throttle.qps ?? 20}, burst ${
        throttle.burst ?? 30
      }): controller ${rate(oursTotal)} pods/s (${
        (oursTotal / 1000).toFixed(1)
      } s), API server raw ${rate(rawTotal)} pods/s (${(rawTotal / 1000).toFixed(1)} s); ${
        (rawTotal / oursTotal * 100).toFixed(0)
      }% of raw (target >= 50%)`,
    );
    return { oursMs: oursTotal / FAN_OUT, floorMs: rawTotal / FAN_OUT };
  } finally {
    await controller?.stop();
    await cluster.close();
  }
}

const MANY = 200;
/** Argo's published throughput of small workflows, per minute: default and tuned controller. */
export const ARGO_PER_MINUTE = { default: 270, tuned: 810 };

function oneStep(name: string): Workflow {
  return {
    apiVersion: `${API_GROUP}/${API_VERSION}`,
    kind: "Workflow",
    metadata: { name, namespace: "argo" },
    spec: {
      entrypoint: "t",
      templates: [{ name: "t", container: { image: "alpine", command: ["true"] } }],
    },
  } as Workflow;
}

/**
 * (b) {@link MANY} one-step workflows submitted at once, run to completion with real pods:
 * throughput in workflows per minute, from the first submit to the last completion. Reported as
 * ms per workflow against Argo's published default (270/min, so 222 ms per workflow) as the
 * floor: a ratio under 1 is faster than Argo's default controller.
 */
async function manyWorkflows(
  tuning: { qps?: number; burst?: number; workers?: number },
): Promise<{ oursMs: number; floorMs: number }> {
  const cluster = await benchCluster(true);
  let controller: WorkflowController | undefined;
  try {
    controller = new WorkflowController({
      kubeconfig: await cluster.kubeconfigAs("bench-controller"),
      config: cluster.controllerConfig,
      ...tuning,
    });
    await controller.start();
    const client = await cluster.client("bench-client");
    const custom = client.makeApiClient(k8s.CustomObjectsApi);
    const started = performance.now();
    await Promise.all(
      Array.from({ length: MANY }, (_, i) =>
        custom.createNamespacedCustomObject({
          ...WORKFLOWS_PATH,
          namespace: "argo",
          body: oneStep(`small-${i}`),
        })),
    );
    const deadline = Date.now() + 15 * 60_000;
    let completed: Workflow[] = [];
    for (;;) {
      const list = await custom.listNamespacedCustomObject({
        ...WORKFLOWS_PATH,
        namespace: "argo",
        labelSelector: "workflows.argoproj.io/completed=true",
      }) as { items: Workflow[] };
      completed = list.items;
      if (completed.length >= MANY) break;
      if (Date.now() > deadline) throw new Error(`only ${completed.length} workflows completed`);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    const elapsed = performance.now() - started;
    const failed = completed.filter((wf) => wf.status?.phase !== "Succeeded").length;
    if (failed > 0) throw new Error(`${failed} of ${MANY} workflows did not succeed`);
    const perMinute = MANY / (elapsed / 60_000);
    console.log(
      `  ${MANY} one-step workflows (qps ${tuning.qps ?? 20}, burst ${tuning.burst ?? 30}, ${
        tuning.workers ?? 4
      } workers): ${(elapsed / 1000).toFixed(1)} s, ${
        perMinute.toFixed(0)
      } workflows/min; Argo publishes ${ARGO_PER_MINUTE.default}/min (default) and ${ARGO_PER_MINUTE.tuned}/min (tuned)`,
    );
    return { oursMs: elapsed / MANY, floorMs: 60_000 / ARGO_PER_MINUTE.default };
  } finally {
    await controller?.stop();
    await cluster.close();
  }
}

export const scenarios: AsyncBenchScenario[] = [
  {
    name:
      `controller: step-to-step latency over ${STEPS} sequential pods vs. pod create + status update`,
    measureAsync: stepLatency,
  },
  {
    name: `controller: pod creates of a ${FAN_OUT}-item withItems fan-out vs. raw pod creates ` +
      "(ms per pod; Argo's default qps 20, burst 30: the throttle bounds it, no target)",
    measureAsync: () => fanOutCreateRate({}),
  },
  {
    name: `controller: pod creates of a ${FAN_OUT}-item withItems fan-out vs. raw pod creates ` +
      "(ms per pod; unthrottled)",
    measureAsync: () => fanOutCreateRate({ qps: 1e6, burst: 1e6 }),
    target: 2,
  },
  {
    name: `controller: ${MANY} one-step workflows at once, ms per workflow vs. Argo's published ` +
      `${ARGO_PER_MINUTE.default}/min (default settings)`,
    measureAsync: () => manyWorkflows({}),
    target: 1,
  },
  {
    name: `controller: ${MANY} one-step workflows at once, ms per workflow vs. Argo's published ` +
      `${ARGO_PER_MINUTE.tuned}/min (tuned: qps and burst unthrottled, 16 workers)`,
    measureAsync: async () => {
      const { oursMs } = await manyWorkflows({ qps: 1e6, burst: 1e6, workers: 16 });
      return { oursMs, floorMs: 60_000 / ARGO_PER_MINUTE.tuned };
    },
    target: 1,
  },
];

if (import.meta.main) {
  for (const scenario of scenarios) console.log(formatResult(await measureAsync(scenario)));
}
