/** `argo-ts version`: the program's version in the shape `argo version` prints. */
import { Command } from "@commander-js/extra-typings";
import type { CliContext } from "./io.ts";

/** The release version of argo-ts. */
export const VERSION = "v0.1.0";

export function versionCommand(ctx: CliContext) {
  return new Command("version")
    .description("Print the version information")
    .option("--short", "print just the version number")
    .action((options) => {
      if (options.short) {
        ctx.io.out(`argo-ts: ${VERSION}\n`);
        return;
      }
      const rows: Array<[string, string]> = [
        ["argo-ts", VERSION],
        ["  DenoVersion", Deno.version.deno],
        ["  V8Version", Deno.version.v8],
        ["  TypeScriptVersion", Deno.version.typescript],
        ["  Platform", `${Deno.build.os}/${Deno.build.arch}`],
      ];
      for (const [key, value] of rows) ctx.io.out(`${key}: ${value}\n`);
    });
}
