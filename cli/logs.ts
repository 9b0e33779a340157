/**
 * `argo-ts logs WF [POD]`: the logs of a workflow's pods (or one pod), each line prefixed with
 * `<pod>: ` in a colour fixed by the pod's name, so a pod keeps its colour across runs. Colour
 * only on a terminal. With `-f` it follows new pods until the workflow has completed and every
 * stream has ended. `submit --log` reuses {@link streamWorkflowLogs}.
 */
import { Command } from "@commander-js/extra-typings";
import type { V1Pod } from "@kubernetes/client-node";
import type { LogStream, PodClient, WorkflowClient } from "../kube/client.ts";
import { PodClient as Pods } from "../kube/client.ts";
import type { CliContext } from "./io.ts";
import { EXIT_USAGE } from "./not_built.ts";
import { fnv32a } from "./printer/mod.ts";
import { isCompleted, POLL_MS } from "./watch.ts";
import { globals, notFound, open, parseSince, reportError, resolveName } from "./workflows.ts";

const WORKFLOW_LABEL = "workflows.argoproj.io/workflow";

/** Colours pods are told apart by (no red: it reads as an error). */
const POD_COLORS = [32, 33, 34, 35, 36, 92, 93, 94, 95, 96];

/** The ANSI colour a pod's prefix always gets. */
export function podColor(pod: string): number {
  return POD_COLORS[fnv32a(pod) % POD_COLORS.length];
}

export interface LogsOptions {
  container: string;
  follow: boolean;
  sinceSeconds?: number;
  tailLines?: number;
  grep?: RegExp;
  timestamps: boolean;
  color: boolean;
  /** Only this pod. */
  pod?: string;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function byCreation(a: V1Pod, b: V1Pod): number {
  const at = (pod: V1Pod) => String(pod.metadata?.creationTimestamp ?? "");
  return at(a).localeCompare(at(b)) ||
    (a.metadata?.name ?? "").localeCompare(b.metadata?.name ?? "");
}

/** Whether the pod has a log to read yet (a pending pod's container has not started). */
function started(pod: V1Pod): boolean {
  return pod.status?.phase !== undefined && pod.status.phase !== "Pending";
}

/**
 * Prints the logs of a workflow's pods. Without `follow`, each pod's log in creation order.
 * With `follow`, every pod as it starts, interleaved by arrival, until the workflow completes.
 */
export async function streamWorkflowLogs(
  ctx: CliContext,
  client: WorkflowClient,
  pods: PodClient,
  namespace: string,
  workflow: string,
  options: LogsOptions,
): Promise<boolean> {
  const printer = (pod: string) => {
    const prefix = options.color ? `\x1b[${podColor(pod)}m${pod}\x1b[0m: ` : `${pod}: `;
    let partial = "";
    const emit = (line: string) => {
      if (!options.grep || options.grep.test(line)) ctx.io.out(prefix + line + "\n");
    };
    return {
      text: (text: string) => {
        const lines = (partial + text).split("\n");
        partial = lines.pop() ?? "";
        for (const line of lines) emit(line);
      },
      flush: () => {
        if (partial) emit(partial);
        partial = "";
      },
    };
  };
  const openLog = async (pod: V1Pod): Promise<LogStream | undefined> => {
    const name = pod.metadata?.name ?? "";
    const out = printer(name);
    const stream = await pods.log(namespace, name, {
      container: options.container,
      follow: options.follow,
      tailLines: options.tailLines,
      sinceSeconds: options.sinceSeconds,
      timestamps: options.timestamps,
    }, out.text);
    if (!stream.ok) {
      ctx.io.err(`argo-ts logs: pod "${name}": ${stream.error.message}\n`);
      return undefined;
    }
    stream.value.done.then(out.flush);
    return stream.value;
  };
  const selector = `${WORKFLOW_LABEL}=${workflow}`;
  const wanted = (pod: V1Pod) => !options.pod || pod.metadata?.name === options.pod;

  if (!options.follow) {
    const listed = await pods.list(namespace, selector);
    if (!listed.ok) {
      reportError(ctx, listed.error);
      return false;
    }
    const chosen = listed.value.filter(wanted).sort(byCreation);
    if (options.pod && chosen.length === 0) {
      ctx.io.err(
        `argo-ts logs: pod "${options.pod}" of workflow "${workflow}" not found; ` +
          `run \`argo-ts get ${workflow}\` to see its pod names\n`,
      );
      return false;
    }
    for (const pod of chosen.filter(started)) {
      const stream = await openLog(pod);
      if (stream) await stream.done;
    }
    return true;
  }

  const streams = new Map<string, LogStream | undefined>();
  for (;;) {
    const wf = await client.get(namespace, workflow);
    if (!wf.ok) {
      reportError(ctx, wf.error);
      break;
    }
    const listed = await pods.list(namespace, selector);
    if (!listed.ok) {
      reportError(ctx, listed.error);
      break;
    }
    for (const pod of listed.value.filter(wanted).filter(started).sort(byCreation)) {
      const name = pod.metadata?.name ?? "";
      if (streams.has(name)) continue;
      streams.set(name, await openLog(pod));
    }
    // The pods listed after the workflow completed are all there will be.
    if (isCompleted(wf.value)) break;
    await sleep(POLL_MS);
  }
  const openStreams = [...streams.values()].filter((s): s is LogStream => s !== undefined);
  // A finished pod's followed log ends by itself; do not hang on one that somehow does not.
  const grace = sleep(5_000).then(() => openStreams.forEach((s) => s.abort()));
  await Promise.race([Promise.all(openStreams.map((s) => s.done)), grace]);
  return true;
}

/** `--since-time` (RFC 3339) as seconds before now, which is what the API server is asked. */
function secondsSince(time: string): number | undefined {
  const ms = Date.parse(time);
  if (Number.isNaN(ms)) return undefined;
  return Math.max(1, Math.ceil((Date.now() - ms) / 1000));
}

export function logsCommand(ctx: CliContext) {
  return new Command("logs")
    .description("View logs of a pod or workflow")
    .argument("<workflow>", "workflow name, or @latest")
    .argument("[pod]", "only this pod")
    .option("-c, --container <name>", "print the logs of this container", "main")
    .option("-f, --follow", "follow the logs until the workflow completes")
    .option("--since <duration>", "only logs newer than this, e.g. 5s, 2m, 3h")
    .option("--since-time <time>", "only logs after this RFC 3339 time")
    .option("--tail <lines>", "only the last lines of each log (-1 for all)", "-1")
    .option("--grep <regexp>", "only lines matching this regular expression")
    .option("--timestamps", "prefix each line with its timestamp")
    .option("--no-color", "disable colour")
    .action(async (requested, pod, options, command) => {
      const usage = (message: string) => {
        ctx.io.err(`argo-ts logs: ${message}\n`);
        ctx.exitCode = EXIT_USAGE;
      };
      if (options.since && options.sinceTime) {
        return usage("use --since or --since-time, not both");
      }
      let sinceSeconds: number | undefined;
      if (options.since) {
        const ms = parseSince(options.since);
        if (ms === undefined) {
          return usage(`cannot read --since "${options.since}"; use e.g. 30s, 5m or 2h`);
        }
        sinceSeconds = Math.max(1, Math.ceil(ms / 1000));
      }
      if (options.sinceTime) {
        sinceSeconds = secondsSince(options.sinceTime);
        if (sinceSeconds === undefined) {
          return usage(
            `cannot read --since-time "${options.sinceTime}"; use e.g. 2026-01-02T15:04:05Z`,
          );
        }
      }
      const tail = Number(options.tail);
      if (!Number.isInteger(tail) || tail < -1) {
        return usage(`--tail takes a whole number of lines, not "${options.tail}"`);
      }
      let grep: RegExp | undefined;
      if (options.grep !== undefined) {
        try {
          grep = new RegExp(options.grep);
        } catch {
          return usage(`--grep "${options.grep}" is not a valid regular expression`);
        }
      }
      const global = globals(command);
      const opened = open(ctx, global);
      if (!opened) return;
      const namespace = global.namespace ?? opened.connection.namespace;
      const name = await resolveName(ctx, opened.client, namespace, requested);
      if (name === undefined) return;
      const exists = await opened.client.get(namespace, name);
      if (!exists.ok) {
        if (exists.error.code === 404) await notFound(ctx, opened.client, namespace, name);
        else reportError(ctx, exists.error);
        return;
      }
      const ok = await streamWorkflowLogs(
        ctx,
        opened.client,
        new Pods(opened.connection),
        namespace,
        name,
        {
          container: options.container,
          follow: options.follow ?? false,
          sinceSeconds,
          tailLines: tail >= 0 ? tail : undefined,
          grep,
          timestamps: options.timestamps ?? false,
          color: options.color && ctx.io.isTerminal && !ctx.io.env("NO_COLOR"),
          pod,
        },
      );
      if (!ok) ctx.exitCode = 1;
    });
}
