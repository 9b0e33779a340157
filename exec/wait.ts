/**
 * `argo-ts exec wait`: reports the node's outputs through its WorkflowTaskResult.
 *
 * 1. creates the task result (labels `workflow` and `report-outputs-completed: "false"`,
 *    owner the Workflow; AlreadyExists means a restarted wait: carry on);
 * 2. while main runs: patches `progress` from `ARGO_PROGRESS_FILE`, and enforces
 *    `ARGO_DEADLINE` (signal 15 to main through `/var/run/argo/ctr/main/signal`, 9 after the
 *    grace period);
 * 3. once `/var/run/argo/ctr/main/exitcode` exists: stops the sidecars the same way, captures
 *    `result` (the last 256 KiB of stdout, one trailing newline trimmed, as Argo), reads output
 *    parameters, saves output artifacts to the filesystem repository;
 * 4. merge-patches `outputs` (parameters, artifacts, result, exitCode) and flips
 *    `report-outputs-completed` to "true" in the same request. Executor failures add
 *    `phase: Error` and `message`, and make wait exit 1.
 *
 * @module
 */
import type { Outputs, Parameter, Template } from "../api/types.gen.ts";
import type { WorkflowTaskResult } from "../api/task_result.ts";
import {
  API_GROUP_VERSION,
  LABEL_CONTROLLER_INSTANCE_ID,
  LABEL_REPORT_OUTPUTS_COMPLETED,
  LABEL_WORKFLOW,
} from "../api/meta.ts";
import {
  ENV,
  type ExecLimits,
  type ExecPaths,
  MAX_PARAMETER_BYTES,
  MAX_RESULT_BYTES,
  NO_DEADLINE,
} from "./contract.ts";
import { archiveLogs, saveArtifact, saveMainLog } from "./artifacts.ts";
import {
  apiMessage,
  apiRequest,
  DEFAULT_RETRY,
  inClusterConfig,
  type KubeConfig,
  type RetryPolicy,
} from "./kube_client.ts";
import {
  errorText,
  type ExecArtifact,
  ExecError,
  joinUnder,
  log,
  outputArtifacts,
  overlappingMount,
  parseTemplate,
} from "./template.ts";

export interface WaitOptions {
  paths: ExecPaths;
  limits: ExecLimits;
  env: (name: string) => string | undefined;
  pollMs?: number;
  /** How often the progress file is read (default 1 s). */
  progressMs?: number;
  retry?: RetryPolicy;
}

const TASK_RESULTS = "workflowtaskresults";

export async function runWait(opts: WaitOptions): Promise<number> {
  const { paths, env } = opts;
  const pollMs = opts.pollMs ?? 200;
  const errors: string[] = [];
  const fail = (e: unknown) => {
    // Anything else is a bug, but the outputs that could be collected must still be reported.
    const expected = e instanceof ExecError || e instanceof Deno.errors.PermissionDenied;
    const message = expected ? errorText(e) : `internal error: ${errorText(e)}`;
    log(`argo-ts wait: ${message}`);
    if (!expected && env("ARGO_TS_DEBUG") && e instanceof Error) log(e.stack ?? "");
    errors.push(message);
  };

  // SIGTERM (the pod is being deleted): stop waiting, report what is there.
  let interrupted = false;
  const onTerm = () => {
    interrupted = true;
  };
  listen("SIGTERM", onTerm);

  let template: Template = {};
  try {
    const text = env(ENV.template) ?? await readIfExists(paths.template);
    if (text === undefined) throw new ExecError("ARGO_TEMPLATE is not set");
    template = parseTemplate(text, "ARGO_TEMPLATE");
  } catch (e) {
    fail(e);
  }

  const reporter = new Reporter(env, opts.retry ?? DEFAULT_RETRY);
  try {
    await reporter.connect(paths);
  } catch (e) {
    fail(e);
  }
  // An early result is a courtesy (it shows the node is reporting); the final one matters.
  await reporter.initialize().catch((e) => {
    if (!(e instanceof ExecError)) throw e;
    log(`argo-ts wait: ${e.message} (will retry when reporting the outputs)`);
  });

  // While main runs.
  const mainDir = `${paths.varRunArgo}/ctr/main`;
  const stopProgress = watchProgress(env(ENV.progressFile), reporter, opts.progressMs ?? 1000);
  let deadlineMessage: string | undefined;
  const stopDeadline = watchDeadline(env, mainDir, () => {
    deadlineMessage = "Step exceeded its deadline";
    log(`argo-ts wait: ${deadlineMessage}`);
  });
  while (!interrupted && !(await fileExists(`${mainDir}/exitcode`))) {
    await new Promise((r) => setTimeout(r, pollMs));
  }
  stopDeadline();
  await stopProgress();
  stopSidecars(template, paths);

  // Outputs.
  const outputs: Outputs = {};
  if (!interrupted || await fileExists(`${mainDir}/exitcode`)) {
    try {
      outputs.exitCode = await readExitCode(`${mainDir}/exitcode`);
    } catch (e) {
      fail(e);
    }
  }
  if (env(ENV.includeScriptOutput) === "true") {
    try {
      outputs.result = await captureResult(`${mainDir}/stdout`);
    } catch (e) {
      fail(e);
    }
  }
  const parameters: Parameter[] = [];
  for (const p of template.outputs?.parameters ?? []) {
    if (!p.valueFrom?.path) continue;
    try {
      parameters.push({ ...p, value: await readParameter(template, paths, p) });
    } catch (e) {
      fail(e);
    }
  }
  if (parameters.length > 0) outputs.parameters = parameters;
  const artifacts: ExecArtifact[] = [];
  const ctx = { paths, limits: opts.limits, template };
  for (const art of outputArtifacts(template)) {
    try {
      const saved = await saveArtifact(ctx, art);
      if (saved) artifacts.push(saved);
    } catch (e) {
      fail(e);
    }
  }
  if (archiveLogs(template)) {
    try {
      artifacts.push(await saveMainLog(ctx, `${mainDir}/combined`));
    } catch (e) {
      fail(e);
    }
  }
  if (artifacts.length > 0) outputs.artifacts = artifacts;

  const final: Partial<WorkflowTaskResult> = { outputs };
  if (errors.length > 0) {
    final.phase = "Error";
    final.message = errors[0];
  } else if (deadlineMessage) {
    final.phase = "Failed";
    final.message = deadlineMessage;
  }
  try {
    await reporter.finalize(final);
  } catch (e) {
    fail(e);
  }
  reporter.close();
  await reapSidecars(template, paths, env, pollMs);
  unlisten("SIGTERM", onTerm);
  return errors.length > 0 ? 1 : 0;
}

function listen(signal: Deno.Signal, fn: () => void): void {
  try {
    Deno.addSignalListener(signal, fn);
  } catch {
    // not supported here
  }
}

function unlisten(signal: Deno.Signal, fn: () => void): void {
  try {
    Deno.removeSignalListener(signal, fn);
  } catch {
    // never added
  }
}

async function readIfExists(path: string): Promise<string | undefined> {
  try {
    return await Deno.readTextFile(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return undefined;
    throw e;
  }
}

async function fileExists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch {
    return false;
  }
}

async function readExitCode(path: string): Promise<string> {
  let text = (await Deno.readTextFile(path)).trim();
  // An emissary that wrote the file in place (not by rename) may be caught mid-write.
  for (let i = 0; text === "" && i < 20; i++) {
    await new Promise((r) => setTimeout(r, 100));
    text = (await Deno.readTextFile(path)).trim();
  }
  if (!/^-?\d+$/.test(text)) throw new ExecError(`main's exit code file holds "${text}"`);
  return String(parseInt(text, 10));
}

/** The last 256 KiB of stdout, one trailing newline trimmed first (Argo's CaptureScriptResult). */
export async function captureResult(path: string): Promise<string> {
  let file: Deno.FsFile;
  try {
    file = await Deno.open(path, { read: true });
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return "";
    throw e;
  }
  try {
    const size = (await file.stat()).size;
    const want = Math.min(size, MAX_RESULT_BYTES + 1);
    await file.seek(size - want, Deno.SeekMode.Start);
    let buf = new Uint8Array(want);
    let got = 0;
    while (got < want) {
      const n = await file.read(buf.subarray(got));
      if (n === null) break;
      got += n;
    }
    buf = buf.subarray(0, got);
    if (buf.length > 0 && buf[buf.length - 1] === 0x0a) buf = buf.subarray(0, buf.length - 1);
    if (buf.length > MAX_RESULT_BYTES) {
      log(
        "argo-ts wait: Output is larger than the maximum allowed size of 256 kB, " +
          "only the last 256 kB were saved",
      );
      buf = buf.subarray(buf.length - MAX_RESULT_BYTES);
      // Do not start in the middle of a UTF-8 sequence.
      let skip = 0;
      while (skip < 3 && skip < buf.length && (buf[skip] & 0xc0) === 0x80) skip++;
      buf = buf.subarray(skip);
    }
    return new TextDecoder().decode(buf);
  } finally {
    file.close();
  }
}

/** An output parameter's value from its file; the default when the file cannot be read. */
async function readParameter(template: Template, paths: ExecPaths, p: Parameter): Promise<string> {
  const path = p.valueFrom!.path!;
  const file = overlappingMount(template, path)
    ? joinUnder(paths.mainFs, path)
    : joinUnder(`${paths.varRunArgo}/outputs/parameters`, path);
  let problem: string;
  try {
    const info = await Deno.stat(file);
    if (info.isDirectory) problem = `${path} is a directory, not a file`;
    else if (info.size > MAX_PARAMETER_BYTES) {
      throw new ExecError(
        `output parameter ${p.name}: ${path} is larger than ${MAX_PARAMETER_BYTES} bytes`,
      );
    } else {
      const text = await Deno.readTextFile(file);
      return text.endsWith("\n") ? text.slice(0, -1) : text;
    }
  } catch (e) {
    if (e instanceof ExecError) throw e;
    if (!(e instanceof Deno.errors.NotFound)) throw e;
    problem = `open ${path}: no such file or directory`;
  }
  const fallback = p.valueFrom?.default;
  // Argo trims the default's trailing newline too.
  if (fallback !== undefined && fallback !== null) return String(fallback).replace(/\n$/, "");
  throw new ExecError(`failed to get output parameter ${p.name}: ${problem}`);
}

function writeSignal(dir: string, signal: number): void {
  try {
    Deno.mkdirSync(dir, { recursive: true });
    Deno.writeTextFileSync(`${dir}/signal`, String(signal));
  } catch (e) {
    log(`argo-ts wait: cannot signal ${dir}: ${errorText(e)}`);
  }
}

function graceMs(env: (name: string) => string | undefined): number {
  const seconds = Number(env(ENV.terminationGracePeriodSeconds));
  return Number.isFinite(seconds) && seconds > 0 ? seconds * 1000 : 30_000;
}

function sidecarNames(template: Template): string[] {
  return (template.sidecars ?? []).map((s) => s.name).filter((n) => /^[\w.-]+$/.test(n));
}

/** SIGTERM to every sidecar through its signal file. */
function stopSidecars(template: Template, paths: ExecPaths): void {
  for (const n of sidecarNames(template)) writeSignal(`${paths.varRunArgo}/ctr/${n}`, 15);
}

/** Waits for the sidecars to end, up to the grace period; SIGKILL to those still running. */
async function reapSidecars(
  template: Template,
  paths: ExecPaths,
  env: (name: string) => string | undefined,
  pollMs: number,
): Promise<void> {
  const dirs = sidecarNames(template).map((n) => `${paths.varRunArgo}/ctr/${n}`);
  const until = Date.now() + graceMs(env);
  let running = dirs;
  while (running.length > 0 && Date.now() < until) {
    await new Promise((r) => setTimeout(r, pollMs));
    running = running.filter((d) => !existsSync(`${d}/exitcode`));
  }
  for (const d of running) writeSignal(d, 9);
}

function existsSync(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch {
    return false;
  }
}

/** Stops main at `ARGO_DEADLINE`; returns a function that cancels the watch. */
function watchDeadline(
  env: (name: string) => string | undefined,
  mainDir: string,
  onExceeded: () => void,
): () => void {
  const raw = env(ENV.deadline);
  if (!raw || raw === NO_DEADLINE) return () => {};
  const at = Date.parse(raw);
  if (Number.isNaN(at)) return () => {};
  let kill: ReturnType<typeof setTimeout> | undefined;
  const term = setTimeout(() => {
    onExceeded();
    writeSignal(mainDir, 15);
    kill = setTimeout(() => writeSignal(mainDir, 9), graceMs(env));
  }, Math.max(0, Math.min(at - Date.now(), 2 ** 31 - 1)));
  return () => {
    clearTimeout(term);
    if (kill !== undefined) clearTimeout(kill);
  };
}

/** Reports `N/M` lines of the progress file while main runs. */
function watchProgress(
  file: string | undefined,
  reporter: Reporter,
  everyMs: number,
): () => Promise<void> {
  if (!file) return () => Promise.resolve();
  let last = "";
  let busy: Promise<void> = Promise.resolve();
  const timer = setInterval(() => {
    busy = busy.then(async () => {
      const text = await readIfExists(file).catch(() => undefined);
      const lines = (text ?? "").trim().split("\n");
      const line = lines[lines.length - 1].trim();
      if (!/^\d+\/\d+$/.test(line) || line === last) return;
      last = line;
      await reporter.patchProgress(line).catch((e) => log(`argo-ts wait: ${errorText(e)}`));
    });
  }, everyMs);
  return async () => {
    clearInterval(timer);
    await busy;
  };
}

/** Writes the node's WorkflowTaskResult. */
class Reporter {
  #cfg: KubeConfig | undefined;
  #env: (name: string) => string | undefined;
  #retry: RetryPolicy;
  #nodeId: string;

  constructor(env: (name: string) => string | undefined, retry: RetryPolicy) {
    this.#env = env;
    this.#retry = retry;
    this.#nodeId = env(ENV.nodeId) ?? "";
  }

  async connect(paths: ExecPaths): Promise<void> {
    if (!this.#nodeId) throw new ExecError("ARGO_NODE_ID is not set");
    this.#cfg = await inClusterConfig(paths, this.#env);
  }

  #collection(): string {
    const ns = encodeURIComponent(this.#cfg!.namespace);
    return `/apis/${API_GROUP_VERSION}/namespaces/${ns}/${TASK_RESULTS}`;
  }

  #object(completed: boolean, fields: Partial<WorkflowTaskResult>): WorkflowTaskResult {
    const labels: Record<string, string> = {
      [LABEL_WORKFLOW]: this.#env(ENV.workflowName) ?? "",
      [LABEL_REPORT_OUTPUTS_COMPLETED]: String(completed),
    };
    const instance = this.#env(ENV.instanceId);
    if (instance) labels[LABEL_CONTROLLER_INSTANCE_ID] = instance;
    const wfName = this.#env(ENV.workflowName);
    const wfUid = this.#env(ENV.workflowUid);
    return {
      apiVersion: "argoproj.io/v1alpha1",
      kind: "WorkflowTaskResult",
      metadata: {
        name: this.#nodeId,
        namespace: this.#cfg!.namespace,
        labels,
        ...(wfName && wfUid
          ? {
            ownerReferences: [{
              apiVersion: API_GROUP_VERSION,
              kind: "Workflow",
              name: wfName,
              uid: wfUid,
            }],
          }
          : {}),
      },
      ...fields,
    };
  }

  async #create(body: WorkflowTaskResult): Promise<"created" | "exists"> {
    const res = await apiRequest(
      this.#cfg!,
      "POST",
      this.#collection(),
      body,
      "application/json",
      this.#retry,
    );
    if (res.status === 200 || res.status === 201) return "created";
    if (res.status === 409) return "exists";
    throw new ExecError(
      `failed to create the task result: ${res.status} ${apiMessage(res.body)}`,
    );
  }

  async #patch(body: unknown): Promise<"patched" | "missing"> {
    const res = await apiRequest(
      this.#cfg!,
      "PATCH",
      `${this.#collection()}/${encodeURIComponent(this.#nodeId)}`,
      body,
      "application/merge-patch+json",
      this.#retry,
    );
    if (res.status === 200 || res.status === 201) return "patched";
    if (res.status === 404) return "missing";
    throw new ExecError(`failed to patch the task result: ${res.status} ${apiMessage(res.body)}`);
  }

  close(): void {
    this.#cfg?.client?.close();
  }

  /** Creates the result early, incomplete; an existing one is left as it is. */
  async initialize(): Promise<void> {
    if (!this.#cfg) return;
    await this.#create(this.#object(false, {}));
  }

  async patchProgress(progress: string): Promise<void> {
    if (!this.#cfg) return;
    if (await this.#patch({ progress }) === "missing") {
      await this.#create(this.#object(false, { progress }));
    }
  }

  /** Outputs in, `report-outputs-completed: "true"`, in one request. */
  async finalize(fields: Partial<WorkflowTaskResult>): Promise<void> {
    if (!this.#cfg) return;
    const patch = {
      metadata: { labels: { [LABEL_REPORT_OUTPUTS_COMPLETED]: "true" } },
      ...fields,
    };
    if (await this.#patch(patch) === "patched") return;
    if (await this.#create(this.#object(true, fields)) === "exists") {
      await this.#patch(patch);
    }
  }
}
