/**
 * Controller benchmark: step-to-step latency. A 50-step sequential workflow of `true` runs
 * through the embedded cluster with real pods; for each step, the controller's time is from
 * the last write that completed the previous step (the node's pod status patch or the
 * executor's WorkflowTaskResult write, whichever came last) to the create of the next pod,
 * read from the API server's audit list. The floor is one pod create plus one workflow update
 * through the same client on the same API server (the two writes a step needs at least).
 * Reported: the median step latency over the median floor.
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

export const scenarios: AsyncBenchScenario[] = [
  {
    name:
      `controller: step-to-step latency over ${STEPS} sequential pods vs. pod create + status update`,
    measureAsync: stepLatency,
  },
];

if (import.meta.main) {
  for (const scenario of scenarios) console.log(formatResult(await measureAsync(scenario)));
}
