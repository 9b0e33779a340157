/**
 * argo-ts: one program, five modes, dispatched on the first word.
 *
 * - `run`, `cluster`, `controller`, `exec`: the local run, the embedded cluster, the workflow
 *   controller and the in-pod executor;
 * - anything else: the Argo-compatible CLI (`cli/`).
 *
 * Each mode is loaded with a dynamic import so that a mode only pays for its own import graph
 * (the executor starts in every pod, so its start-up time matters).
 */
import { EXIT_USAGE, notBuiltMessage } from "./cli/not_built.ts";

/** Modes that other work will deliver; until then each says so and exits 2. */
const NOT_BUILT_MODES = new Set<string>([]);

export async function main(args: string[]): Promise<number> {
  const mode = args[0];
  if (mode !== undefined && NOT_BUILT_MODES.has(mode)) {
    const encoder = new TextEncoder();
    Deno.stderr.writeSync(encoder.encode(notBuiltMessage(mode)));
    return EXIT_USAGE;
  }
  if (mode === "run") {
    const { runWorkflows } = await import("./commands/run.ts");
    return await runWorkflows(args.slice(1));
  }
  if (mode === "cluster") {
    const { runClusterCommand } = await import("./cluster/command.ts");
    const { startEmbeddedController } = await import("./commands/run.ts");
    return await runClusterCommand(args.slice(1), { startController: startEmbeddedController });
  }
  if (mode === "controller") {
    const { runController } = await import("./commands/controller.ts");
    return await runController(args.slice(1));
  }
  if (mode === "exec") {
    const { runExec } = await import("./exec/mod.ts");
    return await runExec(args.slice(1));
  }
  const { runCli } = await import("./cli/mod.ts");
  return await runCli(args);
}

if (import.meta.main) {
  let code: number;
  try {
    code = await main(Deno.args);
  } catch (error) {
    // An exception here is a bug: say so in one line; the stack only when asked for.
    const message = error instanceof Error ? error.message : String(error);
    console.error(`argo-ts: internal error: ${message}`);
    if (Deno.env.get("ARGO_TS_DEBUG") && error instanceof Error) console.error(error.stack);
    else console.error("argo-ts: set ARGO_TS_DEBUG=1 to see where it happened");
    code = 70;
  }
  Deno.exit(code);
}
