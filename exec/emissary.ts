/**
 * `argo-ts exec emissary -- COMMAND ARGS...`: runs the user's command in main (and sidecars),
 * as Argo's emissary does:
 *
 * - stdin, stdout and stderr pass through (the container log shows them); with
 *   `ARGO_INCLUDE_SCRIPT_OUTPUT=true` stdout is also appended to `/var/run/argo/ctr/<ctr>/stdout`
 *   and stdout+stderr to `.../combined`, chunk by chunk (never the whole output in memory);
 * - SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1 and SIGUSR2 are forwarded to the child, and a
 *   signal number written to `.../signal` (by `wait`) is sent to the child, then the file removed;
 * - in `main`, once the command ends: output parameter files are copied to
 *   `/var/run/argo/outputs/parameters/<path>` and output artifacts packed to
 *   `/var/run/argo/outputs/artifacts/<path>.tgz` (paths on main's own volumes are skipped: wait
 *   reads them through `/mainctrfs`);
 * - last, the exit code goes to `.../exitcode` (decimal, no newline), so `wait` never sees the
 *   exit code before the outputs; the emissary exits with the child's code.
 *
 * Its own failures (no template, command not found, cannot start) exit 64, as Argo's.
 *
 * @module
 */
import type { Template } from "../api/types.gen.ts";
import { ENV, type ExecPaths, EXIT_EMISSARY_ERROR } from "./contract.ts";
import { tarGzToFile } from "./tar.ts";
import {
  dirname,
  errorText,
  ExecError,
  joinUnder,
  log,
  outputArtifacts,
  overlappingMount,
  parseTemplate,
} from "./template.ts";

const SIGNAL_NAMES: Record<number, Deno.Signal> = {
  1: "SIGHUP",
  2: "SIGINT",
  3: "SIGQUIT",
  9: "SIGKILL",
  10: "SIGUSR1",
  12: "SIGUSR2",
  15: "SIGTERM",
};
const FORWARDED: Deno.Signal[] = ["SIGTERM", "SIGINT", "SIGHUP", "SIGQUIT", "SIGUSR1", "SIGUSR2"];
const SIGNAL_FILE_POLL_MS = 100;

interface Writer {
  write(p: Uint8Array): Promise<number>;
}

async function writeFully(w: Writer, data: Uint8Array): Promise<void> {
  let off = 0;
  while (off < data.length) off += await w.write(data.subarray(off));
}

export interface EmissaryOptions {
  paths: ExecPaths;
  env: (name: string) => string | undefined;
}

export async function runEmissary(argv: string[], opts: EmissaryOptions): Promise<number> {
  const { paths, env } = opts;
  const name = env(ENV.containerName) || "main";
  const ctrDir = `${paths.varRunArgo}/ctr/${name}`;
  let exitCode = EXIT_EMISSARY_ERROR;
  let ownFailure = false;
  try {
    await Deno.mkdir(ctrDir, { recursive: true, mode: 0o777 });
    const template = await loadTemplate(paths, env);
    const command = argv[0] === "--" ? argv.slice(1) : argv;
    if (command.length === 0) {
      throw new ExecError("usage: argo-ts exec emissary -- COMMAND [ARGS...]");
    }
    const program = await lookPath(command[0], env("PATH"));
    const capture = env(ENV.includeScriptOutput) === "true";
    exitCode = await supervise(program, command.slice(1), ctrDir, capture);
    if (name === "main") await saveOutputs(template, paths);
  } catch (e) {
    if (!(e instanceof ExecError || e instanceof Deno.errors.PermissionDenied)) throw e;
    log(`argo-ts emissary: ${errorText(e)}`);
    ownFailure = true;
  } finally {
    try {
      // Written to a temporary name and renamed: `wait` polls for the file, and must never
      // see it created but still empty.
      await Deno.writeTextFile(`${ctrDir}/exitcode.tmp`, String(exitCode), { mode: 0o644 });
      await Deno.rename(`${ctrDir}/exitcode.tmp`, `${ctrDir}/exitcode`);
    } catch (e) {
      log(`argo-ts emissary: failed to write exit code: ${errorText(e)}`);
    }
  }
  return ownFailure ? EXIT_EMISSARY_ERROR : exitCode;
}

/** `/var/run/argo/template` first (sidecars have only that), then `ARGO_TEMPLATE`. */
async function loadTemplate(
  paths: ExecPaths,
  env: (name: string) => string | undefined,
): Promise<Template> {
  try {
    return parseTemplate(await Deno.readTextFile(paths.template), paths.template);
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  }
  const text = env(ENV.template);
  if (text === undefined) {
    throw new ExecError(`failed to read template: neither ${paths.template} nor ARGO_TEMPLATE`);
  }
  return parseTemplate(text, "ARGO_TEMPLATE");
}

/** Go's exec.LookPath. */
async function lookPath(cmd: string, path: string | undefined): Promise<string> {
  const executable = async (p: string) => {
    try {
      const info = await Deno.stat(p);
      return info.isFile && ((info.mode ?? 0o755) & 0o111) !== 0;
    } catch {
      return false;
    }
  };
  if (cmd.includes("/")) {
    if (await executable(cmd)) return cmd;
    throw new ExecError(`failed to find name in PATH: exec: "${cmd}": no such executable file`);
  }
  for (const dir of (path ?? "").split(":")) {
    const candidate = `${dir || "."}/${cmd}`;
    if (await executable(candidate)) return candidate;
  }
  throw new ExecError(
    `failed to find name in PATH: exec: "${cmd}": executable file not found in $PATH`,
  );
}

async function supervise(
  program: string,
  args: string[],
  ctrDir: string,
  capture: boolean,
): Promise<number> {
  let child: Deno.ChildProcess;
  try {
    child = new Deno.Command(program, {
      args,
      stdin: "inherit",
      stdout: capture ? "piped" : "inherit",
      stderr: capture ? "piped" : "inherit",
    }).spawn();
  } catch (e) {
    throw new ExecError(`failed to start command: ${errorText(e)}`);
  }

  const forward = (sig: Deno.Signal) => () => {
    try {
      child.kill(sig);
    } catch {
      // already gone
    }
  };
  const listeners = FORWARDED.map((sig) => [sig, forward(sig)] as const);
  for (const [sig, fn] of listeners) {
    try {
      Deno.addSignalListener(sig, fn);
    } catch {
      // not supported on this platform
    }
  }

  const signalFile = `${ctrDir}/signal`;
  let polling = false;
  const timer = setInterval(async () => {
    if (polling) return;
    polling = true;
    try {
      const n = parseInt((await Deno.readTextFile(signalFile)).trim(), 10);
      if (n > 0) {
        await Deno.remove(signalFile).catch(() => {});
        const sig = SIGNAL_NAMES[n];
        if (sig) forward(sig)();
        else log(`argo-ts emissary: ignoring unknown signal ${n} from ${signalFile}`);
      }
    } catch {
      // no signal file
    } finally {
      polling = false;
    }
  }, SIGNAL_FILE_POLL_MS);

  try {
    if (capture) {
      const stdoutFile = await openAppend(`${ctrDir}/stdout`);
      const combined = await openAppend(`${ctrDir}/combined`);
      // Both pumps write to `combined`; a chain keeps each chunk whole.
      let chain = Promise.resolve();
      const toCombined = (chunk: Uint8Array) => {
        chain = chain.then(() => writeFully(combined, chunk));
        return chain;
      };
      try {
        await Promise.all([
          pump(
            child.stdout,
            Deno.stdout,
            (c) => writeFully(stdoutFile, c).then(() => toCombined(c)),
          ),
          pump(child.stderr, Deno.stderr, toCombined),
        ]);
        await chain;
      } finally {
        stdoutFile.close();
        combined.close();
      }
    }
    const status = await child.status;
    return status.code;
  } finally {
    clearInterval(timer);
    for (const [sig, fn] of listeners) {
      try {
        Deno.removeSignalListener(sig, fn);
      } catch {
        // never added
      }
    }
  }
}

function openAppend(path: string): Promise<Deno.FsFile> {
  return Deno.open(path, { append: true, create: true, mode: 0o666 });
}

/** Copies a child stream to our own stream (the container log) and to the capture files. */
async function pump(
  stream: ReadableStream<Uint8Array>,
  console: Writer,
  capture: (chunk: Uint8Array) => Promise<void>,
): Promise<void> {
  let consoleOk = true;
  for await (const chunk of stream) {
    if (consoleOk) {
      try {
        await writeFully(console, chunk);
      } catch {
        consoleOk = false; // our stdout is gone; keep capturing
      }
    }
    await capture(chunk);
  }
}

/** Main's output files, copied where `wait` can read them (Argo's saveParameter/saveArtifact). */
async function saveOutputs(template: Template, paths: ExecPaths): Promise<void> {
  for (const p of template.outputs?.parameters ?? []) {
    const src = p.valueFrom?.path;
    if (!src || overlappingMount(template, src)) continue;
    const dst = joinUnder(`${paths.varRunArgo}/outputs/parameters`, src);
    let info: Deno.FileInfo;
    try {
      info = await Deno.stat(src);
    } catch {
      log(`argo-ts emissary: cannot save parameter ${p.name}: ${src} does not exist`);
      continue;
    }
    await Deno.mkdir(dirname(dst), { recursive: true, mode: 0o755 });
    // A directory is recorded as one, so that wait reports it as such.
    if (info.isDirectory) await Deno.mkdir(dst, { recursive: true });
    else await Deno.copyFile(src, dst);
  }
  for (const a of outputArtifacts(template)) {
    if (!a.path || overlappingMount(template, a.path)) continue;
    try {
      await Deno.lstat(a.path);
    } catch {
      log(`argo-ts emissary: cannot save artifact ${a.name}: ${a.path} does not exist`);
      continue;
    }
    const dst = `${joinUnder(`${paths.varRunArgo}/outputs/artifacts`, a.path)}.tgz`;
    await Deno.mkdir(dirname(dst), { recursive: true, mode: 0o755 });
    try {
      await tarGzToFile(a.path, dst);
    } catch (e) {
      throw new ExecError(`failed to tarball the output ${a.path} to ${dst}: ${errorText(e)}`);
    }
  }
}
