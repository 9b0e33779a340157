/**
 * `argo-ts exec init`: writes `/var/run/argo/template`, stages a script template's source at
 * `/argo/staging/script` (mode 0755), loads the input artifacts (into
 * `/argo/inputs/artifacts/<name>`, or through `/mainctrfs/<path>` when the path lies on one of
 * main's volumes) and, when the executor is a single compiled program, copies it to
 * `/var/run/argo/argo-ts` for main and the sidecars.
 *
 * @module
 */
import type { Template } from "../api/types.gen.ts";
import { ENV, type ExecLimits, type ExecPaths } from "./contract.ts";
import { loadArtifact } from "./artifacts.ts";
import {
  basename,
  dirname,
  errorText,
  ExecError,
  inputArtifacts,
  log,
  parseTemplate,
} from "./template.ts";

export interface InitOptions {
  paths: ExecPaths;
  limits: ExecLimits;
  env: (name: string) => string | undefined;
}

/** Returns 0, or 1 after printing why init failed. */
export async function runInit(opts: InitOptions): Promise<number> {
  try {
    await init(opts);
    return 0;
  } catch (e) {
    if (e instanceof ExecError || e instanceof Deno.errors.PermissionDenied) {
      log(`argo-ts init: ${errorText(e)}`);
      return 1;
    }
    throw e;
  }
}

async function init({ paths, limits, env }: InitOptions): Promise<void> {
  const text = env(ENV.template);
  if (text === undefined) throw new ExecError("ARGO_TEMPLATE is not set");
  const template = parseTemplate(text, "ARGO_TEMPLATE");

  await Deno.mkdir(paths.varRunArgo, { recursive: true });
  // A restarted init finds its own read-only copy.
  await Deno.remove(paths.template).catch(() => {});
  await Deno.writeTextFile(paths.template, JSON.stringify(forSidecars(template)), { mode: 0o444 });

  if (template.script) {
    await Deno.mkdir(dirname(paths.scriptSource), { recursive: true });
    await Deno.writeTextFile(paths.scriptSource, template.script.source ?? "", { mode: 0o755 });
    await Deno.chmod(paths.scriptSource, 0o755);
    log(`Loaded script source to ${paths.scriptSource}`);
  }

  const ctx = { paths, limits, template };
  for (const art of inputArtifacts(template)) await loadArtifact(ctx, art);

  await installExecutor(paths);
}

/**
 * The template as written to `/var/run/argo/template`, for emissary in main and the sidecars:
 * HTTP header values of artifact locations (tokens, often) are left out; emissary needs none.
 */
function forSidecars(template: Template): Template {
  const copy = structuredClone(template);
  for (const art of [...(copy.inputs?.artifacts ?? []), ...(copy.outputs?.artifacts ?? [])]) {
    for (const h of art.http?.headers ?? []) h.value = "";
  }
  for (const h of copy.archiveLocation?.http?.headers ?? []) h.value = "";
  return copy;
}

/**
 * A `deno compile`d executor is one file: copy it where main and the sidecars run it. Under
 * `deno run` (the embedded cluster, where the command is an absolute path used verbatim)
 * there is nothing to copy.
 */
async function installExecutor(paths: ExecPaths): Promise<void> {
  const self = Deno.execPath();
  if (basename(self) === "deno" || basename(self) === "deno.exe") return;
  const tmp = `${paths.kubernetesExecutor}.tmp`;
  await Deno.copyFile(self, tmp);
  await Deno.chmod(tmp, 0o755);
  await Deno.rename(tmp, paths.kubernetesExecutor);
  log(`Installed the executor at ${paths.kubernetesExecutor}`);
}
