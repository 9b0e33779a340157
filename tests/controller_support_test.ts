/**
 * Support for the controller's integration tests (no tests of its own): an embedded cluster
 * assembled from its parts so the tests reach the API server's audit list and can restart the
 * API server over the same state, controllers that authenticate as distinct service accounts
 * (so the audit says which one wrote), and small workflow helpers.
 */
import * as k8s from "@kubernetes/client-node";
import { type ApiServer, kubeconfigFor, startApiServer } from "../cluster/mod.ts";
import { LocalNode } from "../cluster/node/mod.ts";
import { ensureNamespace, localExecutorCommand } from "../cluster/command.ts";
import { type ControllerOptions, WorkflowController } from "../controller/controller.ts";
import type { Workflow } from "../api/types.gen.ts";
import { API_GROUP, API_VERSION } from "../api/meta.ts";

const REPO_ROOT = new URL("../", import.meta.url).pathname;
const CRD_DIR = `${REPO_ROOT}manifests/crds/minimal`;

export interface ControllerTestCluster {
  dir: string;
  server(): ApiServer;
  /** A kubeconfig whose requests the audit attributes to `system:serviceaccount:argo:<user>`. */
  kubeconfigAs(user: string): Promise<k8s.KubeConfig>;
  /** A controller running as `user`, pods running this installation's executor. */
  controller(user: string, options?: Partial<ControllerOptions>): Promise<WorkflowController>;
  /** Restarts the API server over the same state and port (every watch connection drops). */
  restartApiServer(): Promise<void>;
  close(): Promise<void>;
}

function dirOf(path: string): string {
  return path.slice(0, path.lastIndexOf("/")) || "/";
}

export async function startControllerTestCluster(
  options: { durable?: boolean } = {},
): Promise<ControllerTestCluster> {
  const dir = await Deno.makeTempDir({ prefix: "argo-ts-controller-test-" });
  await Deno.mkdir(`${dir}/artifacts`, { recursive: true });
  const stateDir = options.durable ? `${dir}/state` : undefined;
  const node = new LocalNode({
    stateDir: `${dir}/node`,
    readOnlyBinds: [REPO_ROOT, dirOf(Deno.execPath())],
  });
  const start = () =>
    startApiServer({ stateDir, port: stateDir ? undefined : 0, crdDir: CRD_DIR, logs: node.logs });
  let server = await start();
  for (const name of ["default", "argo"]) {
    await ensureNamespace(server.url, server.adminToken, server.caCert, name);
  }
  await node.start({
    url: server.url,
    token: server.adminToken,
    caCert: server.caCert,
    // Late-bound: after a restart the node must ask the new server (the old store is closed).
    tokenFor: (namespace, serviceAccount) => server.tokenFor(namespace, serviceAccount),
  });
  const controllers: WorkflowController[] = [];
  const kubeconfigAs = async (user: string) => {
    const kc = new k8s.KubeConfig();
    kc.loadFromString(
      kubeconfigFor(server.url, await server.tokenFor("argo", user), server.caCert),
    );
    return kc;
  };
  return {
    dir,
    server: () => server,
    kubeconfigAs,
    async controller(user, extra = {}) {
      const controller = new WorkflowController({
        kubeconfig: await kubeconfigAs(user),
        config: {
          executor: {
            image: "argo-ts",
            command: localExecutorCommand(),
            env: [{ name: "RUST_BACKTRACE", value: "0" }, { name: "NO_COLOR", value: "1" }],
          },
          artifactRepository: { filesystem: { path: `${dir}/artifacts` } },
        },
        ...extra,
      });
      controllers.push(controller);
      await controller.start();
      return controller;
    },
    async restartApiServer() {
      if (!stateDir) throw new Error("restartApiServer needs a durable cluster");
      const url = server.url;
      await server.close();
      server = await start();
      if (server.url !== url) throw new Error(`the API server moved from ${url} to ${server.url}`);
    },
    async close() {
      for (const controller of controllers) await controller.stop();
      await node.close();
      await server.close();
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    },
  };
}

/** A Steps workflow of `count` sequential steps, each running `command`. */
export function sequentialWorkflow(name: string, count: number, command: string[]): Workflow {
  return {
    apiVersion: `${API_GROUP}/${API_VERSION}`,
    kind: "Workflow",
    metadata: { name, namespace: "argo" },
    spec: {
      entrypoint: "main",
      templates: [
        {
          name: "main",
          steps: Array.from({ length: count }, (_, i) => [{ name: `s${i}`, template: "step" }]),
        },
        { name: "step", container: { image: "alpine", command } },
      ],
    },
  } as Workflow;
}

export function workflowsApi(kc: k8s.KubeConfig) {
  const api = kc.makeApiClient(k8s.CustomObjectsApi);
  const base = { group: API_GROUP, version: API_VERSION, plural: "workflows", namespace: "argo" };
  return {
    create: (wf: Workflow) => api.createNamespacedCustomObject({ ...base, body: wf }),
    get: (name: string) => api.getNamespacedCustomObject({ ...base, name }) as Promise<Workflow>,
  };
}

const COMPLETED = new Set(["Succeeded", "Failed", "Error"]);

/** Polls until the workflow completes or `ms` pass (then returns it as it is). */
export async function waitForCompletion(
  get: () => Promise<Workflow>,
  ms: number,
  until: (wf: Workflow) => boolean = (wf) => COMPLETED.has(wf.status?.phase ?? ""),
): Promise<Workflow> {
  const deadline = Date.now() + ms;
  for (;;) {
    const wf = await get().catch(() => undefined);
    if (wf && (until(wf) || Date.now() > deadline)) return wf;
    if (!wf && Date.now() > deadline) throw new Error("workflow not readable");
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Pod nodes that finished, by name. */
export function finishedPodNodes(wf: Workflow): string[] {
  return Object.values(wf.status?.nodes ?? {})
    .filter((n) => n.type === "Pod" && COMPLETED.has(n.phase ?? ""))
    .map((n) => n.displayName ?? n.name)
    .sort();
}
