/**
 * `argo-ts controller`: the workflow controller as a long-running process, against any
 * kubeconfig or the in-cluster service account. Reads `workflow-controller-configmap` in its
 * namespace (and follows changes), campaigns for the `workflow-controller-lease` Lease, serves
 * `/healthz` and `/metrics`, and runs until SIGINT or SIGTERM.
 *
 * This is the command layer: it may wire `cluster/` (the local executor command, for the
 * embedded cluster) and `controller/` together.
 */
import { parseArgs } from "node:util";
import { connect } from "../kube/client.ts";
import { localExecutorCommand } from "../cluster/command.ts";
import { WorkflowController } from "../controller/controller.ts";
import { CronController } from "../controller/cron/cron_controller.ts";
import { METRICS_CONTENT_TYPE } from "../controller/metrics.ts";
import { type ControllerConfig, DEFAULT_CONFIG } from "../controller/operator/config.ts";

const USAGE = "usage: argo-ts controller [--kubeconfig F] [--context C] [--namespace NS] " +
  "[--workers N] [--qps Q] [--burst B] [--metrics-port P] [--leader-elect=true|false] " +
  "[--leader-identity ID] [--local-executor]";

function usage(message: string): number {
  console.error(`argo-ts controller: ${message}`);
  console.error(USAGE);
  return 2;
}

function positive(name: string, text: string | undefined, fallback: number): number | string {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!Number.isFinite(value) || value <= 0) {
    return `${name} must be a positive number, not "${text}"`;
  }
  return value;
}

function log(message: string): void {
  console.error(`${new Date().toISOString()} controller: ${message}`);
}

export async function runController(args: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      // A bare `--leader-elect` means true, as with Go's boolean flags.
      args: args.map((a) => (a === "--leader-elect" ? "--leader-elect=true" : a)),
      options: {
        kubeconfig: { type: "string" },
        context: { type: "string" },
        namespace: { type: "string", short: "n" },
        workers: { type: "string" },
        qps: { type: "string" },
        burst: { type: "string" },
        "metrics-port": { type: "string" },
        "leader-elect": { type: "string" },
        "leader-identity": { type: "string" },
        "local-executor": { type: "boolean" },
        help: { type: "boolean", short: "h" },
      },
    });
  } catch (error) {
    return usage((error as Error).message);
  }
  const { values } = parsed;
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const workers = positive("--workers", values.workers, 4);
  const qps = positive("--qps", values.qps, 20);
  const burst = positive("--burst", values.burst, 30);
  for (const value of [workers, qps, burst]) if (typeof value === "string") return usage(value);
  const portText = values["metrics-port"] ?? "9090";
  const port = Number(portText);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    return usage(`--metrics-port must be a number from 0 to 65535, not "${portText}"`);
  }
  const electText = values["leader-elect"] ??
    (Deno.env.get("LEADER_ELECTION_DISABLE") === "true" ? "false" : "true");
  if (electText !== "true" && electText !== "false") {
    return usage(`--leader-elect takes true or false, not "${electText}"`);
  }

  const connection = connect({ kubeconfig: values.kubeconfig, context: values.context });
  if (!connection.ok) {
    console.error(`argo-ts controller: ${connection.error.message}`);
    return 1;
  }
  const { config: kubeconfig, choice, description } = connection.value;
  const namespace = values.namespace ?? Deno.env.get("ARGO_NAMESPACE") ?? "argo";
  // On the embedded cluster pods run on this machine: they run this installation's executor.
  const local = values["local-executor"] === true || choice.source === "embedded";
  const config: ControllerConfig = {
    ...DEFAULT_CONFIG,
    namespace,
    executor: local
      ? {
        image: "argo-ts",
        command: localExecutorCommand(),
        env: [{ name: "RUST_BACKTRACE", value: "0" }, { name: "NO_COLOR", value: "1" }],
      }
      : DEFAULT_CONFIG.executor,
  };
  const identity = values["leader-identity"] ?? Deno.env.get("LEADER_ELECTION_IDENTITY") ??
    `${Deno.hostname()}-${Deno.pid}`;
  const controller = new WorkflowController({
    kubeconfig,
    config,
    namespace,
    workers: workers as number,
    qps: qps as number,
    burst: burst as number,
    log,
    leaderElection: electText === "true" ? { identity } : undefined,
  });

  let server: Deno.HttpServer | undefined;
  try {
    server = Deno.serve({
      port,
      hostname: "0.0.0.0",
      onListen: ({ port }) => log(`serving /healthz and /metrics on port ${port}`),
    }, (request) => {
      const path = new URL(request.url).pathname;
      if (path === "/healthz") return new Response("ok\n");
      if (path === "/metrics") {
        return new Response(controller.metrics.render(), {
          headers: { "content-type": METRICS_CONTENT_TYPE },
        });
      }
      return new Response("not found\n", { status: 404 });
    });
  } catch (error) {
    console.error(`argo-ts controller: cannot serve metrics on port ${port}: ${error}`);
    return 1;
  }

  const stopped = new Promise<string>((resolve) => {
    for (const signal of ["SIGINT", "SIGTERM"] as const) {
      Deno.addSignalListener(signal, () => resolve(signal));
    }
  });
  log(
    `starting against ${description}; namespace ${namespace}` +
      (electText === "true" ? `; leader election as ${identity}` : "; no leader election"),
  );
  try {
    await controller.start();
  } catch (error) {
    console.error(`argo-ts controller: cannot start: ${(error as Error).message}`);
    await server.shutdown();
    await controller.stop();
    return 1;
  }
  log("started");
  // CronWorkflows are scheduled by the leader only, so two replicas never both create a run.
  let cron: CronController | undefined;
  const followLeadership = setInterval(async () => {
    if (controller.leading && !cron) {
      cron = new CronController({ kubeconfig, log });
      await cron.start().catch((error) => log(`cron controller: ${error}`));
    } else if (!controller.leading && cron) {
      const stopping = cron;
      cron = undefined;
      await stopping.stop();
    }
  }, 1000);
  const signal = await stopped;
  log(`${signal}: stopping`);
  clearInterval(followLeadership);
  await cron?.stop();
  await controller.stop();
  await server.shutdown();
  return 0;
}
