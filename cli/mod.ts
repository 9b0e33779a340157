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
import { logsCommand } from "./logs.ts";
import { completionCommand } from "./completion.ts";
import { cpCommand } from "./cp.ts";
import { installCommand } from "./install.ts";
import { clusterTemplateCommand, cronCommand, templateCommand } from "./templates.ts";
import {
  nodeCommand,
  resubmitCommand,
  resumeCommand,
  retryCommand,
  stopCommand,
  suspendCommand,
  terminateCommand,
} from "./actions.ts";
import { waitCommand, watchCommand } from "./watch.ts";
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
const NOT_BUILT_COMMANDS: Array<[name: string, description: string]> = [];

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
  program.addHelpText(
    "after",
    "\nModes:\n" +
      "  run FILE [-p name=value]...   run workflows on this machine (embedded cluster)\n" +
      "  cluster up|down|status        the embedded cluster as a long-lived process\n" +
      "  controller                    the workflow controller, against any kubeconfig\n" +
      "  exec init|wait|emissary       the in-pod executor\n",
  );
  program.addCommand(submitCommand(ctx));
  program.addCommand(listCommand(ctx));
  program.addCommand(getCommand(ctx));
  program.addCommand(deleteCommand(ctx));
  program.addCommand(logsCommand(ctx));
  program.addCommand(waitCommand(ctx));
  program.addCommand(watchCommand(ctx));
  program.addCommand(suspendCommand(ctx));
  program.addCommand(resumeCommand(ctx));
  program.addCommand(stopCommand(ctx));
  program.addCommand(terminateCommand(ctx));
  program.addCommand(nodeCommand(ctx));
  program.addCommand(retryCommand(ctx));
  program.addCommand(resubmitCommand(ctx));
  program.addCommand(templateCommand(ctx));
  program.addCommand(clusterTemplateCommand(ctx));
  program.addCommand(cronCommand(ctx));
  program.addCommand(cpCommand(ctx));
  program.addCommand(installCommand(ctx));
  program.addCommand(completionCommand(ctx, () => program));
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
  // Every command, nested ones too, reports usage errors through the same override.
  const configure = (parent: Command<unknown[], Record<string, unknown>>) => {
    for (const command of parent.commands) {
      command.exitOverride().configureOutput({
        writeOut: (text) => ctx.io.out(text),
        writeErr: (text) => ctx.io.err(text),
      });
      configure(command);
    }
  };
  configure(program);
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
