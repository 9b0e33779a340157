/**
 * The in-pod executor (Argo's argoexec): `argo-ts exec init|wait|emissary`. `resource`, `data`
 * and `agent` are not built yet: they say so and exit 2. `docs/executor.md` describes each mode;
 * `docs/executor-contract.md` is the contract with the pod the controller builds.
 *
 * Its import graph stays small (it starts in every pod): each mode is loaded on demand. It may
 * import `api/` and `templating/`; it must not import `validate/`, `controller/`, `cluster/`,
 * `cli/` or `kube/`.
 *
 * @module
 */
import { limitsFromEnv, pathsFromEnv, readEnv } from "./contract.ts";

const EXIT_USAGE = 2;
const NOT_BUILT = new Set(["resource", "data", "agent"]);
const USAGE = "usage: argo-ts exec init|wait|emissary [-- COMMAND ARGS...]\n";

function say(text: string): void {
  Deno.stderr.writeSync(new TextEncoder().encode(text));
}

/** Runs one executor mode; resolves to the process exit code. */
export async function runExec(args: string[]): Promise<number> {
  const [mode, ...rest] = args;
  const env = readEnv;
  const paths = pathsFromEnv(env);
  const limits = limitsFromEnv(env);
  switch (mode) {
    case "emissary": {
      const { runEmissary } = await import("./emissary.ts");
      return await runEmissary(rest, { paths, env });
    }
    case "init": {
      const { runInit } = await import("./init.ts");
      return await runInit({ paths, limits, env });
    }
    case "wait": {
      const { runWait } = await import("./wait.ts");
      return await runWait({ paths, limits, env });
    }
    default:
      if (mode !== undefined && NOT_BUILT.has(mode)) {
        say(`argo-ts: 'exec ${mode}' is not built yet in this version of argo-ts\n`);
      } else {
        say(mode === undefined ? USAGE : `argo-ts exec: unknown mode '${mode}'\n${USAGE}`);
      }
      return EXIT_USAGE;
  }
}

if (import.meta.main) {
  Deno.exit(await runExec(Deno.args));
}
