/**
 * The Argo-compatible command line: parses arguments and dispatches to one command.
 *
 * Commands receive a {@link CliContext} (I/O and exit code) so tests run them in-process.
 * This module may import `api/`, `templating/` and `kube/`; it must not import `cluster/`,
 * `controller/` or `exec/` (the command layer that wires those together is `main.ts`).
 */
import { Command, CommanderError } from "@commander-js/extra-typings";
import { type CliContext, type CliIo, processIo } from "./io.ts";
import { EXIT_USAGE, notBuiltMessage } from "./not_built.ts";
import { lintCommand } from "./lint.ts";
import { exprCommand } from "./expr.ts";
import { VERSION, versionCommand } from "./version.ts";
import {
  addGlobalOptions,
  deleteCommand,
  getCommand,
  listCommand,
  submitCommand,
} from "./workflows.ts";

export type { CliContext, CliIo } from "./io.ts";
export { memoryIo, processIo } from "./io.ts";
export { EXIT_USAGE, notBuiltMessage } from "./not_built.ts";

/** Argo CLI commands that later work will deliver; until then each says so and exits 2. */
const NOT_BUILT_COMMANDS: Array<[name: string, description: string]> = [
  ["logs", "View logs of a pod or workflow"],
  ["watch", "Watch a workflow until it completes"],
  ["wait", "Wait for workflows to complete"],
  ["retry", "Retry zero or more workflows"],
  ["resubmit", "Resubmit one or more workflows"],
  ["suspend", "Suspend zero or more workflows"],
  ["resume", "Resume zero or more workflows"],
  ["stop", "Stop zero or more workflows allowing all exit handlers to run"],
  ["terminate", "Terminate zero or more workflows immediately"],
  ["node", "Perform action on a node in a workflow"],
  ["cp", "Copy artifacts from a workflow to a local directory"],
  ["template", "Manipulate workflow templates"],
  ["cluster-template", "Manipulate cluster workflow templates"],
  ["cron", "Manage cron workflows"],
  ["completion", "Output shell completion code"],
];

/** Builds the command tree for one invocation. */
export function buildProgram(ctx: CliContext): Command {
  const program = new Command("argo-ts")
    .description("argo-ts: Argo Workflows, rebuilt in TypeScript on Deno")
    .version(VERSION, "--version", "print the version")
    .showSuggestionAfterError(true)
    .configureOutput({
      writeOut: (text) => ctx.io.out(text),
      writeErr: (text) => ctx.io.err(text),
    })
    .exitOverride();
  addGlobalOptions(program);
  program.addCommand(submitCommand(ctx));
  program.addCommand(listCommand(ctx));
  program.addCommand(getCommand(ctx));
  program.addCommand(deleteCommand(ctx));
  program.addCommand(lintCommand(ctx));
  program.addCommand(exprCommand(ctx));
  program.addCommand(versionCommand(ctx));
  for (const [name, description] of NOT_BUILT_COMMANDS) {
    program.command(name)
      .description(`${description} (not built yet)`)
      .allowUnknownOption(true)
      .allowExcessArguments(true)
      .helpOption(false)
      .argument("[args...]")
      .action(() => {
        ctx.io.err(notBuiltMessage(name));
        ctx.exitCode = EXIT_USAGE;
      });
  }
  // Subcommands report their own usage errors through the same override.
  for (const command of program.commands) {
    command.exitOverride().configureOutput({
      writeOut: (text) => ctx.io.out(text),
      writeErr: (text) => ctx.io.err(text),
    });
  }
  return program;
}

/** Runs the CLI with the given arguments (without the program name); resolves to the exit code. */
export async function runCli(args: string[], io: CliIo = processIo()): Promise<number> {
  const ctx: CliContext = { io, exitCode: 0 };
  const program = buildProgram(ctx);
  if (args.length === 0) {
    ctx.io.out(program.helpInformation());
    return 0;
  }
  try {
    await program.parseAsync(args, { from: "user" });
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help and version are successful exits; every other parse failure is a usage error.
      if (
        error.code === "commander.helpDisplayed" || error.code === "commander.version" ||
        error.code === "commander.help"
      ) return 0;
      return EXIT_USAGE;
    }
    throw error;
  }
  return ctx.exitCode;
}
