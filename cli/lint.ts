/** `argo-ts lint`: placeholder. */
import { Command } from "@commander-js/extra-typings";
import type { CliContext } from "./io.ts";
import { EXIT_USAGE, notBuiltMessage } from "./not_built.ts";

export function lintCommand(ctx: CliContext) {
  return new Command("lint")
    .description("Validate workflow files")
    .argument("[paths...]")
    .action(() => {
      ctx.io.err(notBuiltMessage("lint"));
      ctx.exitCode = EXIT_USAGE;
    });
}
