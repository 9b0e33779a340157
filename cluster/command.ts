/**
 * `argo-ts cluster up|down|status`: the embedded cluster as a long-lived process on this machine.
 *
 * `up` starts the API server and the local node under a state directory (default `~/.argo-ts`),
 * writes `<state-dir>/kubeconfig` (context `argo-ts`) and `<state-dir>/cluster.pid`, installs the
 * project's CRDs and the `default` and `argo` namespaces, and runs until interrupted (or in the
 * background with `--detach`). A workflow controller, once one exists, is started by the command
 * layer through {@link ClusterHooks}, so this module never imports it.
 */
import { startApiServer } from "./apiserver/mod.ts";
import { LocalNode } from "./node/mod.ts";

/** What the command layer may add to a running cluster (the workflow controller). */
export interface ClusterHooks {
  /** Starts something against the cluster's kubeconfig; returns how to stop it. */
  startController?: (kubeconfigPath: string, stateDir: string) => Promise<() => Promise<void>>;
}

const REPO_ROOT = new URL("../", import.meta.url).pathname;
const CRD_DIR = `${REPO_ROOT}manifests/crds/minimal`;

interface UpOptions {
  stateDir: string;
  port?: number;
  detach: boolean;
  controller: boolean;
}

function usage(message: string): number {
  console.error(`argo-ts cluster: ${message}`);
  console.error(
    "usage: argo-ts cluster up [--state-dir D] [--port P] [--detach] [--no-controller]\n" +
      "       argo-ts cluster down [--state-dir D]\n" +
      "       argo-ts cluster status [--state-dir D]",
  );
  return 2;
}

function defaultStateDir(): string {
  return Deno.env.get("ARGO_TS_STATE_DIR") ?? `${Deno.env.get("HOME") ?? "."}/.argo-ts`;
}

/** Parses the few flags by hand: this path must stay light (no CLI framework). */
function parseFlags(
  args: string[],
): { ok: true; value: UpOptions } | { ok: false; message: string } {
  const options: UpOptions = { stateDir: defaultStateDir(), detach: false, controller: true };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    const value = () => {
      const next = args[++i];
      if (next === undefined) throw new Error(`${arg} needs a value`);
      return next;
    };
    try {
      if (arg === "--state-dir") options.stateDir = value();
      else if (arg.startsWith("--state-dir=")) options.stateDir = arg.slice("--state-dir=".length);
      else if (arg === "--port" || arg.startsWith("--port=")) {
        const text = arg === "--port" ? value() : arg.slice("--port=".length);
        const port = Number(text);
        if (!Number.isInteger(port) || port < 0 || port > 65535) {
          return { ok: false, message: `--port must be a number from 0 to 65535, not "${text}"` };
        }
        options.port = port;
      } else if (arg === "--detach" || arg === "-d") options.detach = true;
      else if (arg === "--no-controller") options.controller = false;
      else return { ok: false, message: `unknown option "${arg}"` };
    } catch (error) {
      return { ok: false, message: (error as Error).message };
    }
  }
  return { ok: true, value: options };
}

function readPid(stateDir: string): number | undefined {
  try {
    const text = Deno.readTextFileSync(`${stateDir}/cluster.pid`).trim();
    return /^[0-9]+$/.test(text) ? Number(text) : undefined;
  } catch {
    return undefined;
  }
}

function alive(pid: number): boolean {
  try {
    return Deno.statSync(`/proc/${pid}`).isDirectory;
  } catch {
    return false;
  }
}

export async function runClusterCommand(args: string[], hooks: ClusterHooks = {}): Promise<number> {
  const [verb, ...rest] = args;
  if (verb === undefined || verb === "-h" || verb === "--help") {
    return usage("say up, down or status");
  }
  const parsed = parseFlags(rest);
  if (!parsed.ok) return usage(parsed.message);
  const options = parsed.value;
  switch (verb) {
    case "up":
      return options.detach ? await upDetached(options) : await up(options, hooks);
    case "down":
      return await down(options.stateDir);
    case "status":
      return status(options.stateDir);
    default:
      return usage(`unknown command "${verb}"`);
  }
}

async function up(options: UpOptions, hooks: ClusterHooks): Promise<number> {
  const { stateDir } = options;
  const running = readPid(stateDir);
  if (running !== undefined && alive(running) && running !== Deno.pid) {
    console.error(`argo-ts cluster: already running as pid ${running} (state dir ${stateDir})`);
    return 1;
  }
  await Deno.mkdir(stateDir, { recursive: true });
  let cluster: EmbeddedCluster;
  try {
    cluster = await startEmbeddedCluster({
      stateDir,
      nodeDir: `${stateDir}/node`,
      port: options.port,
      log: (message) => console.error(`node: ${message}`),
    });
  } catch (error) {
    console.error(`argo-ts cluster: could not start: ${(error as Error).message}`);
    return 1;
  }
  const server = cluster;
  let stopController: (() => Promise<void>) | undefined;
  if (options.controller && hooks.startController && server.kubeconfigPath) {
    stopController = await hooks.startController(server.kubeconfigPath, stateDir);
  }
  await Deno.writeTextFile(`${stateDir}/cluster.pid`, `${Deno.pid}\n`);
  console.log(`argo-ts cluster is up: API ${server.url}`);
  console.log(`kubeconfig: ${server.kubeconfigPath} (context argo-ts)`);
  console.log(`  export KUBECONFIG=${server.kubeconfigPath}`);
  if (!hooks.startController || !options.controller) {
    console.log("the workflow controller is not running: workflows are stored but do not run yet");
  }
  const stopped = new Promise<void>((resolve) => {
    for (const signal of ["SIGINT", "SIGTERM"] as const) {
      Deno.addSignalListener(signal, () => resolve());
    }
  });
  await stopped;
  console.error("argo-ts cluster: stopping");
  await stopController?.();
  await cluster.close();
  try {
    await Deno.remove(`${stateDir}/cluster.pid`);
  } catch {
    // Already gone: nothing to clean.
  }
  return 0;
}

/** A running embedded cluster: the API server and the local node, wired together. */
export interface EmbeddedCluster {
  url: string;
  kubeconfig: string;
  kubeconfigPath?: string;
  adminToken: string;
  caCert?: string;
  close(): Promise<void>;
}

/**
 * Starts the API server (durable under `stateDir`, or in memory) and the local node (its pod
 * directories under `nodeDir`), installs the CRDs and the `default` and `argo` namespaces.
 */
export async function startEmbeddedCluster(options: {
  stateDir?: string;
  nodeDir: string;
  port?: number;
  log?: (message: string) => void;
}): Promise<EmbeddedCluster> {
  const node = new LocalNode({
    stateDir: options.nodeDir,
    // The executor runs from this installation: its program and Deno must be visible in pods.
    readOnlyBinds: [REPO_ROOT, dirOf(Deno.execPath())],
    log: options.log,
  });
  const server = await startApiServer({
    stateDir: options.stateDir,
    // Without a port, a durable cluster reuses its last one (kubeconfigs stay valid).
    port: options.port ?? (options.stateDir ? undefined : 0),
    crdDir: CRD_DIR,
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
  return {
    url: server.url,
    kubeconfig: server.kubeconfig,
    kubeconfigPath: server.kubeconfigPath,
    adminToken: server.adminToken,
    caCert: server.caCert,
    close: async () => {
      await node.close();
      await server.close();
    },
  };
}

/** The command that runs this installation's executor inside a pod (visible in every sandbox). */
export function localExecutorCommand(): string[] {
  return [Deno.execPath(), "run", "-A", "--quiet", `${REPO_ROOT}main.ts`, "exec"];
}

function dirOf(path: string): string {
  return path.slice(0, path.lastIndexOf("/")) || "/";
}

export async function ensureNamespace(
  url: string,
  token: string,
  caCert: string | undefined,
  name: string,
) {
  const client = caCert ? Deno.createHttpClient({ caCerts: [caCert] }) : undefined;
  try {
    const response = await fetch(`${url}/api/v1/namespaces`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: JSON.stringify({ apiVersion: "v1", kind: "Namespace", metadata: { name } }),
      client,
    });
    await response.body?.cancel();
  } finally {
    client?.close();
  }
}

async function upDetached(options: UpOptions): Promise<number> {
  const { stateDir } = options;
  await Deno.mkdir(stateDir, { recursive: true });
  const log = await Deno.open(`${stateDir}/cluster.log`, { create: true, append: true });
  const args = [
    "run",
    "-A",
    "--quiet",
    `${REPO_ROOT}main.ts`,
    "cluster",
    "up",
    "--state-dir",
    stateDir,
  ];
  if (options.port !== undefined) args.push("--port", String(options.port));
  if (!options.controller) args.push("--no-controller");
  try {
    await Deno.remove(`${stateDir}/cluster.pid`);
  } catch { /* not there */ }
  const child = new Deno.Command(Deno.execPath(), {
    args,
    stdin: "null",
    stdout: log.writable ? "piped" : "null",
    stderr: "piped",
    env: { RUST_BACKTRACE: "0" },
  }).spawn();
  // Copy the child's output to the log file without holding this process open.
  child.stdout.pipeTo(log.writable, { preventClose: true }).catch(() => {});
  child.stderr.pipeTo((await Deno.open(`${stateDir}/cluster.log`, { append: true })).writable)
    .catch(() => {});
  for (let i = 0; i < 300; i++) {
    const pid = readPid(stateDir);
    if (pid === child.pid) {
      console.log(
        `argo-ts cluster is up in the background (pid ${pid}); log: ${stateDir}/cluster.log`,
      );
      console.log(`  export KUBECONFIG=${stateDir}/kubeconfig`);
      child.unref();
      return 0;
    }
    const exited = await Promise.race([
      child.status,
      new Promise((r) => setTimeout(() => r(undefined), 100)),
    ]);
    if (exited) {
      console.error(`argo-ts cluster: the cluster process exited; see ${stateDir}/cluster.log`);
      return 1;
    }
  }
  console.error(
    `argo-ts cluster: the cluster did not come up within 30 s; see ${stateDir}/cluster.log`,
  );
  child.kill("SIGTERM");
  return 1;
}

async function down(stateDir: string): Promise<number> {
  const pid = readPid(stateDir);
  if (pid === undefined || !alive(pid)) {
    console.log(`argo-ts cluster is not running (state dir ${stateDir})`);
    return 0;
  }
  Deno.kill(pid, "SIGTERM");
  for (let i = 0; i < 150 && alive(pid); i++) await new Promise((r) => setTimeout(r, 100));
  if (alive(pid)) {
    console.error(`argo-ts cluster: pid ${pid} did not stop within 15 s`);
    return 1;
  }
  console.log("argo-ts cluster stopped");
  return 0;
}

function status(stateDir: string): number {
  const pid = readPid(stateDir);
  if (pid === undefined || !alive(pid)) {
    console.log(`argo-ts cluster is not running (state dir ${stateDir})`);
    return 1;
  }
  console.log(`argo-ts cluster is running as pid ${pid}`);
  console.log(`kubeconfig: ${stateDir}/kubeconfig`);
  return 0;
}
