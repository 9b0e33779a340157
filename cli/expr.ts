/** `argo-ts expr`: placeholder until the templating core lands. */
import { Command } from "@commander-js/extra-typings";
import type { CliContext } from "./io.ts";
import { EXIT_USAGE, notBuiltMessage } from "./not_built.ts";

export function exprCommand(ctx: CliContext) {
  return new Command("expr")
    .description("Evaluate an expression or template string (not built yet)")
    .argument("[expression]")
    .allowUnknownOption(true)
    .action(() => {
      ctx.io.err(notBuiltMessage("expr"));
      ctx.exitCode = EXIT_USAGE;
    });
}
