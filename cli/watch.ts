/**
 * Following workflows to completion: `wait` (Argo's `<name> <Phase> at <finishedAt>` line, exit 1
 * on Failed/Error) and `watch` (argo-ts's live view: redrawn in place on a terminal, one plain
 * line per node change otherwise). `submit --wait/--watch` reuse both.
 *
 * Both poll the workflow: a get per interval is cheap for the API server and, unlike a watch,
 * needs no reconnect logic when the connection drops.
 */
import { Command } from "@commander-js/extra-typings";
import type { Workflow } from "../api/types.gen.ts";
import type { KubeResult, WorkflowClient } from "../kube/client.ts";
import type { CliContext } from "./io.ts";
import { printWorkflowGet, renderLiveView } from "./printer/mod.ts";
import { isActiveSuspendNode } from "./printer/style.ts";
import { EXIT_USAGE } from "./not_built.ts";
import { globals, notFound, open, reportError, resolveName } from "./workflows.ts";

const COMPLETED = new Set(["Succeeded", "Failed", "Error"]);

/** How often a followed workflow is read again. */
export const POLL_MS = 250;

export function isCompleted(wf: Workflow): boolean {
  return COMPLETED.has(wf.status?.phase ?? "");
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Reads the workflow until it has completed, calling `onUpdate` with every read. */
export async function followWorkflow(
  client: WorkflowClient,
  namespace: string,
  name: string,
  onUpdate: (wf: Workflow) => void = () => {},
): Promise<KubeResult<Workflow>> {
  for (;;) {
    const got = await client.get(namespace, name);
    if (!got.ok) return got;
    onUpdate(got.value);
    if (isCompleted(got.value)) return got;
    await sleep(POLL_MS);
  }
}

/** Go's `time.Time.String()` in UTC, as Argo prints `finishedAt`: `2026-01-02 15:04:05 +0000 UTC`. */
export function goTimeString(iso: string | undefined): string {
  const ms = Date.parse(iso ?? "");
  if (Number.isNaN(ms)) return "0001-01-01 00:00:00 +0000 UTC";
  return `${new Date(ms).toISOString().slice(0, 19).replace("T", " ")} +0000 UTC`;
}

/** Argo's wait line. */
export function waitLine(wf: Workflow): string {
  return `${wf.metadata.name} ${wf.status?.phase ?? ""} at ${
    goTimeString(wf.status?.finishedAt)
  }\n`;
}

/** Waits for each workflow (in parallel) and prints its wait line; false if any did not succeed. */
export async function waitForAll(
  ctx: CliContext,
  client: WorkflowClient,
  namespace: string,
  names: string[],
  options: { quiet?: boolean; ignoreNotFound?: boolean } = {},
): Promise<boolean> {
  const results = await Promise.all(names.map(async (name) => {
    const done = await followWorkflow(client, namespace, name);
    if (!done.ok) {
      if (done.error.code === 404) {
        if (options.ignoreNotFound) return true;
        await notFound(ctx, client, namespace, name);
      } else reportError(ctx, done.error);
      return false;
    }
    if (!options.quiet) ctx.io.out(waitLine(done.value));
    return done.value.status?.phase === "Succeeded";
  }));
  return results.every((ok) => ok);
}

export interface WatchOptions {
  nodeFieldSelector?: string;
  status?: string;
  color: boolean;
  utf8: boolean;
}

function terminalSize(ctx: CliContext): { columns: number; rows: number } {
  try {
    return Deno.consoleSize();
  } catch {
    // Not a real terminal (tests, pipes): the environment may still say how big it is.
    const columns = Number(ctx.io.env("COLUMNS")) || 80;
    const rows = Number(ctx.io.env("LINES")) || 24;
    return { columns, rows };
  }
}

/**
 * Watches one workflow until it completes. On a terminal the live view is redrawn in place;
 * otherwise each node's phase change is one line, and the final `get` view ends the output.
 */
export async function watchWorkflow(
  ctx: CliContext,
  client: WorkflowClient,
  namespace: string,
  name: string,
  options: WatchOptions,
): Promise<KubeResult<Workflow>> {
  let drawn = 0;
  const seen = new Map<string, string>();
  const live = ctx.io.isTerminal;
  const done = await followWorkflow(client, namespace, name, (wf) => {
    if (live) {
      const size = terminalSize(ctx);
      const lines = renderLiveView(wf, {
        now: new Date(),
        width: size.columns,
        height: Math.max(3, size.rows - 1),
        color: options.color,
        utf8: options.utf8,
      });
      // Back to the first line of the previous frame, clear to the end, draw the new frame.
      const back = drawn > 0 ? `\x1b[${drawn}F\x1b[J` : "";
      ctx.io.out(back + lines.map((line) => line + "\n").join(""));
      drawn = lines.length;
      return;
    }
    for (const node of Object.values(wf.status?.nodes ?? {})) {
      if (node.type !== "Pod" && node.type !== "Suspend") continue;
      const phase = isActiveSuspendNode(node) ? "Suspended" : node.phase ?? "Pending";
      if (phase === "Pending" || seen.get(node.id) === phase) continue;
      seen.set(node.id, phase);
      ctx.io.out(
        `${phase.padEnd(9)} ${node.displayName ?? node.name}${
          node.message ? `: ${node.message}` : ""
        }\n`,
      );
    }
  });
  if (done.ok && !live) {
    ctx.io.out(
      "\n" + printWorkflowGet(done.value, {
        now: new Date(),
        output: "default",
        color: false,
        utf8: options.utf8,
        nodeFieldSelector: options.nodeFieldSelector,
        status: options.status,
      }),
    );
  }
  return done;
}

function colorWanted(ctx: CliContext, flag: boolean | undefined): boolean {
  return flag !== false && ctx.io.isTerminal && !ctx.io.env("NO_COLOR");
}

export function watchCommand(ctx: CliContext) {
  return new Command("watch")
    .description("Watch a workflow until it completes")
    .argument("<name>", "workflow name, or @latest")
    .option("--node-field-selector <selector>", "only nodes matching, e.g. phase=Failed")
    .option("--status <phase>", "only nodes with this phase")
    .option("--no-utf8", "use plain ASCII for icons and the tree")
    .option("--no-color", "disable colour")
    .action(async (requested, options, command) => {
      const global = globals(command);
      const opened = open(ctx, global);
      if (!opened) return;
      const namespace = global.namespace ?? opened.connection.namespace;
      const name = await resolveName(ctx, opened.client, namespace, requested);
      if (name === undefined) return;
      const done = await watchWorkflow(ctx, opened.client, namespace, name, {
        nodeFieldSelector: options.nodeFieldSelector,
        status: options.status,
        color: colorWanted(ctx, options.color),
        utf8: options.utf8,
      });
      if (!done.ok) {
        if (done.error.code === 404) await notFound(ctx, opened.client, namespace, name);
        else reportError(ctx, done.error);
      }
    });
}

export function waitCommand(ctx: CliContext) {
  return new Command("wait")
    .description("Wait for workflows to complete")
    .argument("[names...]", "workflow names, or @latest")
    .option("--ignore-not-found", "treat a workflow that does not exist as done")
    .action(async (requested, options, command) => {
      if (requested.length === 0) {
        ctx.io.err("argo-ts wait: name a workflow to wait for, or use @latest\n");
        ctx.exitCode = EXIT_USAGE;
        return;
      }
      const global = globals(command);
      const opened = open(ctx, global);
      if (!opened) return;
      const namespace = global.namespace ?? opened.connection.namespace;
      const names: string[] = [];
      for (const each of requested) {
        const name = await resolveName(ctx, opened.client, namespace, each);
        if (name === undefined) return;
        names.push(name);
      }
      const ok = await waitForAll(ctx, opened.client, namespace, names, {
        ignoreNotFound: options.ignoreNotFound,
      });
      if (!ok) ctx.exitCode = 1;
    });
}
