/**
 * `argo-ts run FILE`: runs Argo workflows on this machine with no Kubernetes. Starts the
 * embedded cluster in-process (API objects in memory, pods' files, logs and artifacts in a
 * temporary state directory), the workflow controller against it, applies the other objects of
 * the files, submits the Workflows, shows their progress, and exits 0 when every workflow
 * Succeeded, 1 when any failed, 2 on a usage error.
 *
 * This is the command layer: it wires `cluster/` and `controller/` together (neither imports
 * the other) and reuses the CLI's printers.
 */
import * as k8s from "@kubernetes/client-node";
import { parseArgs } from "node:util";
import { stringify as toYaml } from "yaml";
import { decodeText, loadSource, type SourceDocument } from "../api/source.ts";
import type { Workflow } from "../api/types.gen.ts";
import { API_GROUP, API_VERSION } from "../api/meta.ts";
import { localExecutorCommand, startEmbeddedCluster } from "../cluster/command.ts";
import { WorkflowController } from "../controller/controller.ts";
import { CronController } from "../controller/cron/cron_controller.ts";
import type { ControllerConfig } from "../controller/operator/config.ts";
import { lintDocuments } from "../validate/mod.ts";
import { formatFinding } from "../cli/lint.ts";
import { applyParameters } from "../cli/workflows.ts";
import { printWorkflowGet, renderLiveView } from "../cli/printer/mod.ts";
import { streamWorkflowLogs } from "../cli/logs.ts";
import type { CliContext } from "../cli/io.ts";
import { type Connection, PodClient, WorkflowClient } from "../kube/client.ts";

const USAGE = "usage: argo-ts run FILE [-p name=value]... [-f PARAMS] [--with FILE]... [--log] " +
  "[--entrypoint E] [-n NS] [--serviceaccount SA] [--config F] [-o json|yaml] [--state-dir D] [--keep]";

function usage(message: string): number {
  console.error(`argo-ts run: ${message}`);
  console.error(USAGE);
  return 2;
}

const COMPLETED = new Set(["Succeeded", "Failed", "Error"]);

export async function runWorkflows(args: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      allowPositionals: true,
      options: {
        parameter: { type: "string", short: "p", multiple: true },
        "parameter-file": { type: "string", short: "f" },
        with: { type: "string", multiple: true },
        log: { type: "boolean" },
        entrypoint: { type: "string" },
        namespace: { type: "string", short: "n" },
        serviceaccount: { type: "string" },
        config: { type: "string" },
        output: { type: "string", short: "o" },
        "state-dir": { type: "string" },
        keep: { type: "boolean" },
        help: { type: "boolean", short: "h" },
      },
    });
  } catch (error) {
    return usage((error as Error).message);
  }
  const { values, positionals } = parsed;
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  if (positionals.length === 0) return usage("name the workflow file to run");
  if (values.output && values.output !== "json" && values.output !== "yaml") {
    return usage(`-o takes json or yaml, not "${values.output}"`);
  }
  const parameters = [];
  for (const pair of values.parameter ?? []) {
    const at = pair.indexOf("=");
    if (at <= 0) return usage(`expected a parameter as name=value, got "${pair}"`);
    parameters.push({ name: pair.slice(0, at), value: pair.slice(at + 1) });
  }

  const documents: SourceDocument[] = [];
  for (const file of [...positionals, ...(values.with ?? [])]) {
    const loaded = await readFile(file);
    if (!loaded) return 1;
    documents.push(...loaded);
  }
  const lint = lintDocuments(documents);
  const errors = lint.findings.filter((f) => f.severity === "error");
  if (errors.length > 0) {
    for (const finding of errors) {
      console.error(formatFinding(finding, { output: "pretty", color: false }).trimEnd());
    }
    console.error(`argo-ts run: not run: ${errors.length} error(s)`);
    return 1;
  }
  const mainFiles = new Set(positionals);
  const workflows = documents.filter((d) =>
    mainFiles.has(d.file) && (d.value as Workflow)?.kind === "Workflow"
  )
    .map((d) => d.value as Workflow);
  if (workflows.length === 0) {
    console.error(`argo-ts run: no Workflow in ${positionals.join(", ")}`);
    return 1;
  }
  const others = documents.filter((d) =>
    !(mainFiles.has(d.file) && (d.value as Workflow)?.kind === "Workflow")
  )
    .map((d) => d.value as k8s.KubernetesObject);

  const stateDir = values["state-dir"] ?? await Deno.makeTempDir({ prefix: "argo-ts-run-" });
  await Deno.mkdir(`${stateDir}/artifacts`, { recursive: true });
  const quiet = values.output !== undefined;
  // Progress (and --log) goes to stderr when stdout carries the document, else to stdout.
  const progress = quiet ? Deno.stderr : Deno.stdout;
  const write = (text: string) => writeAll(progress, text);
  const live = progress.isTerminal();
  const color = live && !Deno.env.get("NO_COLOR");
  const frame = new LiveFrame(write);
  const say = (text: string) => live ? frame.print(text + "\n") : write(text + "\n");
  // Diagnostics go to stderr; on a live terminal, above the frame so a redraw does not eat them.
  const note = (text: string) =>
    live && Deno.stderr.isTerminal()
      ? frame.print(text + "\n", (t) => writeAll(Deno.stderr, t))
      : writeAll(Deno.stderr, text + "\n");

  const userConfig = values.config ? await readConfig(values.config) : {};
  if (userConfig === undefined) return 1;
  const config = embeddedControllerConfig(stateDir, userConfig);

  const cluster = await startEmbeddedCluster({ nodeDir: `${stateDir}/node` });
  const kubeconfigPath = `${stateDir}/kubeconfig`;
  await Deno.writeTextFile(kubeconfigPath, cluster.kubeconfig);
  const kc = new k8s.KubeConfig();
  kc.loadFromString(cluster.kubeconfig);
  const controller = new WorkflowController({
    kubeconfig: kc,
    config,
    log: (message) => note(`controller: ${message}`),
  });
  let code = 1;
  try {
    await controller.start();
    say(`argo-ts run: embedded cluster at ${cluster.url}; kubeconfig ${kubeconfigPath}`);
    const objects = k8s.KubernetesObjectApi.makeApiClient(kc);
    for (const object of others) {
      await objects.create({
        ...object,
        metadata: {
          namespace: object.metadata?.namespace ?? (values.namespace ?? "argo"),
          ...object.metadata,
        },
      })
        .catch((error) =>
          note(`argo-ts run: could not apply ${object.kind}/${object.metadata?.name}: ${error}`)
        );
    }
    const custom = kc.makeApiClient(k8s.CustomObjectsApi);
    const submitted: Array<{ namespace: string; name: string }> = [];
    for (const workflow of workflows) {
      if (values.entrypoint) workflow.spec.entrypoint = values.entrypoint;
      if (values.serviceaccount) workflow.spec.serviceAccountName = values.serviceaccount;
      applyParameters(workflow, parameters);
      const namespace = values.namespace ?? workflow.metadata.namespace ?? "argo";
      const created = await custom.createNamespacedCustomObject({
        group: API_GROUP,
        version: API_VERSION,
        plural: "workflows",
        namespace,
        body: workflow,
      }) as Workflow;
      submitted.push({ namespace, name: created.metadata.name! });
      say(`submitted workflow ${namespace}/${created.metadata.name}`);
    }
    const interrupts = watchInterrupts(custom, submitted, note);
    const logs = values.log
      ? streamLogs(kc, cluster.url, submitted, {
        out: live ? (text) => frame.print(text) : write,
        err: (text) => note(text.trimEnd()),
        color,
      })
      : Promise.resolve();
    const finals = live
      ? await waitLive(custom, submitted, frame, color, logs)
      : await waitPlain(custom, submitted, say);
    await logs;
    interrupts.dispose();
    for (const wf of finals) {
      const tree = printWorkflowGet(wf, {
        now: new Date(),
        output: "default",
        color: false,
        utf8: true,
      });
      write(tree + "\n");
    }
    if (values.output) {
      const out = finals.length === 1
        ? finals[0]
        : { apiVersion: "v1", kind: "List", items: finals };
      console.log(
        values.output === "json"
          ? JSON.stringify(out, null, 2)
          : toYaml(out, { version: "1.1" }).trimEnd(),
      );
    }
    code = finals.every((wf) => wf.status?.phase === "Succeeded") ? 0 : 1;
  } finally {
    await controller.stop();
    await cluster.close();
    if (values.keep || values["state-dir"]) say(`argo-ts run: state kept in ${stateDir}`);
    else await Deno.remove(stateDir, { recursive: true }).catch(() => {});
  }
  return code;
}

/**
 * The controller configuration on the embedded cluster: pods run this installation's executor,
 * and artifacts go to a filesystem repository under the state directory unless the user's
 * configuration names another.
 */
export function embeddedControllerConfig(
  stateDir: string,
  user: Partial<ControllerConfig> = {},
): ControllerConfig {
  return {
    ...user,
    executor: {
      image: "argo-ts",
      command: localExecutorCommand(),
      env: [{ name: "RUST_BACKTRACE", value: "0" }, { name: "NO_COLOR", value: "1" }],
    },
    artifactRepository: user.artifactRepository ??
      { filesystem: { path: `${stateDir}/artifacts` } },
  };
}

/** Starts the workflow controller for `argo-ts cluster up` (its hook); returns how to stop it. */
export async function startEmbeddedController(
  kubeconfigPath: string,
  stateDir: string,
): Promise<() => Promise<void>> {
  await Deno.mkdir(`${stateDir}/artifacts`, { recursive: true });
  const kc = new k8s.KubeConfig();
  kc.loadFromFile(kubeconfigPath);
  const controller = new WorkflowController({
    kubeconfig: kc,
    config: embeddedControllerConfig(stateDir),
    log: (message) => console.error(`controller: ${message}`),
  });
  await controller.start();
  const cron = new CronController({
    kubeconfig: kc,
    log: (message) => console.error(`cron: ${message}`),
  });
  await cron.start();
  return async () => {
    await cron.stop();
    await controller.stop();
  };
}

async function readFile(file: string): Promise<SourceDocument[] | undefined> {
  let bytes: Uint8Array;
  try {
    bytes = file === "-"
      ? new Uint8Array(await new Response(Deno.stdin.readable).arrayBuffer())
      : await Deno.readFile(file);
  } catch {
    console.error(`argo-ts run: cannot read "${file}"`);
    return undefined;
  }
  const decoded = decodeText(bytes);
  if (!decoded.ok) {
    console.error(`${file}:1:1: error: ${decoded.message}`);
    return undefined;
  }
  const loaded = loadSource(decoded.text, file);
  for (const p of loaded.problems) {
    console.error(`${p.file}:${p.line}:${p.col}: error: ${p.message}`);
  }
  return loaded.problems.length > 0 ? undefined : loaded.documents;
}

/** `--config`: a workflow-controller-configmap (or just its data), keys holding YAML. */
async function readConfig(path: string): Promise<Partial<ControllerConfig> | undefined> {
  const docs = await readFile(path);
  const value = docs?.[0]?.value as Record<string, unknown> | undefined;
  if (!value || typeof value !== "object") {
    console.error(`argo-ts run: --config ${path} must be a ConfigMap or a map of its data`);
    return undefined;
  }
  const data = (value.kind === "ConfigMap" ? value.data : value) as Record<string, unknown> ?? {};
  const config: Record<string, unknown> = {};
  for (const [key, raw] of Object.entries(data)) {
    if (typeof raw !== "string") {
      config[key] = raw;
      continue;
    }
    const parsed = loadSource(raw, `${path}#${key}`);
    config[key] = parsed.problems.length === 0 && parsed.documents[0]
      ? parsed.documents[0].value
      : raw;
  }
  return config as Partial<ControllerConfig>;
}

/** Ctrl-C stops the workflows (exit handlers run); a second Ctrl-C terminates them. */
function watchInterrupts(
  custom: k8s.CustomObjectsApi,
  workflows: Array<{ namespace: string; name: string }>,
  note: (text: string) => void,
) {
  let count = 0;
  const handler = () => {
    count++;
    const strategy = count === 1 ? "Stop" : "Terminate";
    note(
      `argo-ts run: ${
        strategy === "Stop" ? "stopping (Ctrl-C again to terminate)" : "terminating"
      }`,
    );
    for (const { namespace, name } of workflows) {
      custom.patchNamespacedCustomObject(
        {
          group: API_GROUP,
          version: API_VERSION,
          plural: "workflows",
          namespace,
          name,
          body: { spec: { shutdown: strategy } },
        },
        k8s.setHeaderOptions("Content-Type", k8s.PatchStrategy.MergePatch),
      ).catch(() => {});
    }
  };
  Deno.addSignalListener("SIGINT", handler);
  return { dispose: () => Deno.removeSignalListener("SIGINT", handler) };
}

type Ref = { namespace: string; name: string };

function getWorkflow(custom: k8s.CustomObjectsApi, { namespace, name }: Ref): Promise<Workflow> {
  return custom.getNamespacedCustomObject({
    group: API_GROUP,
    version: API_VERSION,
    plural: "workflows",
    namespace,
    name,
  }) as Promise<Workflow>;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Off a terminal: polls each workflow until it completes, one line per node change. */
async function waitPlain(
  custom: k8s.CustomObjectsApi,
  workflows: Ref[],
  say: (text: string) => void,
): Promise<Workflow[]> {
  const finals: Workflow[] = [];
  for (const ref of workflows) {
    const seen = new Map<string, string>();
    for (;;) {
      const wf = await getWorkflow(custom, ref);
      for (const node of Object.values(wf.status?.nodes ?? {})) {
        if (node.type !== "Pod" && node.type !== "Suspend") continue;
        const phase = node.phase ?? "Pending";
        if (seen.get(node.id) === phase) continue;
        seen.set(node.id, phase);
        if (phase !== "Pending") {
          say(
            `  ${phase.padEnd(9)} ${node.displayName ?? node.name}${
              node.message ? `: ${node.message}` : ""
            }`,
          );
        }
      }
      if (COMPLETED.has(wf.status?.phase ?? "")) {
        finals.push(wf);
        break;
      }
      await sleep(100);
    }
  }
  return finals;
}

/** How often the live view is redrawn (and the workflows read). */
export const LIVE_REDRAW_MS = 250;

/**
 * On a terminal: reads every workflow and redraws their live views in place every
 * {@link LIVE_REDRAW_MS}, until all have completed and `logs` has ended; then removes the frame
 * (the final `get` view follows it).
 */
async function waitLive(
  custom: k8s.CustomObjectsApi,
  workflows: Ref[],
  frame: LiveFrame,
  color: boolean,
  logs: Promise<void>,
): Promise<Workflow[]> {
  const latest = new Map<number, Workflow>();
  const draw = () => {
    const size = consoleSize();
    const each = Math.max(3, Math.floor((size.rows - 1) / Math.max(1, workflows.length)));
    const lines: string[] = [];
    for (let i = 0; i < workflows.length; i++) {
      const wf = latest.get(i);
      if (!wf) continue;
      lines.push(
        ...renderLiveView(wf, {
          now: new Date(),
          width: size.columns,
          height: each,
          color,
          utf8: true,
        }),
      );
    }
    frame.draw(lines);
  };
  const timer = setInterval(draw, LIVE_REDRAW_MS);
  try {
    const done = new Set<number>();
    let first = true;
    while (done.size < workflows.length) {
      for (let i = 0; i < workflows.length; i++) {
        if (done.has(i)) continue;
        const wf = await getWorkflow(custom, workflows[i]);
        latest.set(i, wf);
        if (COMPLETED.has(wf.status?.phase ?? "")) done.add(i);
      }
      if (first) draw();
      first = false;
      if (done.size < workflows.length) await sleep(LIVE_REDRAW_MS);
    }
    draw();
    await logs;
  } finally {
    clearInterval(timer);
    frame.clear();
  }
  return workflows.map((_, i) => latest.get(i)!);
}

function consoleSize(): { columns: number; rows: number } {
  let size = { columns: 0, rows: 0 };
  try {
    size = Deno.consoleSize();
  } catch {
    // Not a real terminal; the environment may still say how big it is.
  }
  // A pseudo-terminal nobody sized reports 0 x 0.
  return {
    columns: size.columns || Number(Deno.env.get("COLUMNS")) || 80,
    rows: size.rows || Number(Deno.env.get("LINES")) || 24,
  };
}

/**
 * A block of lines redrawn in place at the bottom of a terminal (cursor up, clear to the end),
 * with other output printed above it: while a frame is shown, printed text waits for the next
 * draw, so a burst of log lines costs one redraw.
 */
export class LiveFrame {
  #drawn = 0;
  #pending: Array<{ text: string; write?: (text: string) => void }> = [];

  constructor(private readonly write: (text: string) => void) {}

  /** Text to show above the frame (through `write` when given, e.g. another stream). */
  print(text: string, write?: (text: string) => void): void {
    if (!text) return;
    // No frame on the screen: nothing to keep below, print now.
    if (this.#drawn === 0) (write ?? this.write)(text);
    else this.#pending.push({ text, write });
  }

  /** Replaces the frame with `lines`, printing what was waiting above it. */
  draw(lines: string[]): void {
    this.#flush();
    this.#drawn = lines.length;
    if (lines.length > 0) this.write(lines.map((line) => line + "\n").join(""));
  }

  /** Removes the frame, printing what was waiting. */
  clear(): void {
    this.#flush();
  }

  #flush(): void {
    let text = this.#drawn > 0 ? `\x1b[${this.#drawn}F\x1b[J` : "";
    for (const item of this.#pending) {
      if (item.write) {
        if (text) this.write(text);
        text = "";
        item.write(item.text);
      } else text += item.text;
    }
    this.#pending = [];
    if (text) this.write(text);
    this.#drawn = 0;
  }
}

/**
 * `--log`: follows the main container's log of every pod of every workflow (as `argo logs -f`
 * does, `<pod>: ` before each line) until the workflows have completed and the streams ended.
 */
async function streamLogs(
  kc: k8s.KubeConfig,
  server: string,
  workflows: Ref[],
  io: { out: (text: string) => void; err: (text: string) => void; color: boolean },
): Promise<void> {
  const connection: Connection = {
    config: kc,
    namespace: workflows[0]?.namespace ?? "argo",
    description: `the embedded cluster, server ${server}`,
    server,
    choice: { source: "embedded", description: "the embedded cluster" },
  };
  const ctx: CliContext = {
    io: {
      out: io.out,
      err: io.err,
      readStdin: () => Promise.resolve(""),
      isTerminal: io.color,
      env: (name) => Deno.env.get(name),
    },
    exitCode: 0,
  };
  const client = new WorkflowClient(connection);
  const pods = new PodClient(connection);
  await Promise.all(
    workflows.map(({ namespace, name }) =>
      streamWorkflowLogs(ctx, client, pods, namespace, name, {
        container: "main",
        follow: true,
        timestamps: false,
        color: io.color,
      }).catch((error) => io.err(`argo-ts run: logs of ${name}: ${error}\n`))
    ),
  );
}

function writeAll(target: { writeSync(p: Uint8Array): number }, text: string): void {
  const bytes = new TextEncoder().encode(text);
  let written = 0;
  while (written < bytes.length) written += target.writeSync(bytes.subarray(written));
}
