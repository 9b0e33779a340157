/**
 * The pod runtime: runs a pod's init containers in order, then its containers together, each as
 * a process under bubblewrap (or a plain process when bubblewrap is missing), logs each line
 * with a timestamp, and reports kube-shaped statuses. It knows nothing about workflows or the
 * API server: the node loop feeds it pods and publishes what it reports.
 *
 * restartPolicy is always treated as Never: a container that exits stays terminated.
 */
import type {
  V1Container,
  V1ContainerState,
  V1ContainerStatus,
  V1Pod,
  V1PodCondition,
  V1PodStatus,
} from "@kubernetes/client-node";
import { LogWriter, type PodLogSource, readLogFile } from "./logs.ts";
import { bwrapArgs, cleanPath, DEFAULT_HOST_DIRS, type SandboxMount } from "./sandbox.ts";
import {
  type ConfigSource,
  expandVars,
  POD_IP,
  type PreparedVolume,
  prepareVolumes,
  resolveEnv,
  SERVICE_ACCOUNT_PATH,
  SERVICE_ACCOUNT_VOLUME,
  type SpecProblem,
} from "./spec.ts";

export const NODE_NAME = "argo-ts-local";
export const DEADLINE_MESSAGE = "Pod was active on the node longer than the specified deadline";
/** How long output is still read after a container's main process exited. */
const PIPE_DRAIN_MS = 2000;
const DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

export interface RuntimeOptions {
  /** Pod directories live in `<stateDir>/pods/<ns>_<name>_<uid>`, PVCs in `<stateDir>/pvcs`. */
  stateDir: string;
  nodeName?: string;
  /** "auto" (default) uses bubblewrap when it works, else plain processes with one warning. */
  sandbox?: "auto" | "bubblewrap" | "none";
  /** The bwrap executable (default: `bwrap` on PATH). */
  bwrapPath?: string;
  /** Host directories bound read-only into every sandbox (default {@link DEFAULT_HOST_DIRS}). */
  hostDirs?: string[];
  /** More host paths bound read-only at the same path: the Deno binary's directory, this repo. */
  readOnlyBinds?: string[];
  /** Pods running at once; the rest stay Pending (default 16). */
  maxRunningPods?: number;
  config?: ConfigSource;
  /** The service-account token for a pod; when set, pods get the token files mounted. */
  tokenFor?: (namespace: string, serviceAccount: string) => string | Promise<string>;
  /** `ca.crt` in the service-account directory. */
  caCert?: string;
  kubernetesServiceHost?: string;
  kubernetesServicePort?: string | number;
  /** PATH inside containers (images are not pulled, so there is no image PATH). */
  path?: string;
  /** Called with every new status of a pod. */
  onStatus?: (pod: V1Pod, status: V1PodStatus) => void;
  /** Where the one "no bubblewrap" warning goes (default console.warn). */
  warn?: (message: string) => void;
  /** How often followers poll log files, ms (default 100). */
  logPollMs?: number;
}

interface Proc {
  child: Deno.ChildProcess;
  sandboxed: boolean;
  terminated: boolean;
  killTimer?: ReturnType<typeof setTimeout>;
  killAt?: number;
}

interface ContainerRecord {
  name: string;
  image: string;
  init: boolean;
  state: V1ContainerState;
  ready: boolean;
  started: boolean;
  containerID?: string;
  proc?: Proc;
  /** True while output may still reach the log file. */
  logging: boolean;
}

interface PodRun {
  pod: V1Pod;
  namespace: string;
  name: string;
  uid: string;
  dir: string;
  phase: string;
  reason?: string;
  message?: string;
  startTime?: Date;
  conditions: Map<string, V1PodCondition>;
  containers: Map<string, ContainerRecord>;
  stop?: { reason: "Deleted" | "DeadlineExceeded"; grace: number };
  stopped: Promise<void>;
  signalStop: () => void;
  done: Promise<void>;
  finished: boolean;
  deadlineTimer?: ReturnType<typeof setTimeout>;
  status: V1PodStatus;
  queued: boolean;
  /** Resolves `done` of a pod that waited in the queue. */
  onDone?: () => void;
}

/** Runs pods as sandboxed processes; also the {@link PodLogSource} for their logs. */
export class PodRuntime implements PodLogSource {
  readonly nodeName: string;
  #options: RuntimeOptions;
  #runs = new Map<string, PodRun>();
  #queue: PodRun[] = [];
  #running = 0;
  #sandbox?: Promise<string | undefined | null>;
  #closed = false;

  constructor(options: RuntimeOptions) {
    this.#options = options;
    this.nodeName = options.nodeName ?? NODE_NAME;
  }

  /** Changes options for pods started from now on (the node sets the API server's address). */
  configure(options: Partial<Omit<RuntimeOptions, "stateDir">>): void {
    this.#options = { ...this.#options, ...options };
  }

  /** Where a pod's files go. */
  podDir(namespace: string, name: string, uid: string): string {
    return `${this.#options.stateDir}/pods/${namespace}_${name}_${uid}`;
  }

  /**
   * Starts a pod (idempotent: a pod already known by namespace, name and uid is left alone).
   * A different uid under a known name is a new pod; the old one should be killed first.
   */
  run(pod: V1Pod): void {
    if (this.#closed) return;
    const namespace = pod.metadata?.namespace ?? "default";
    const name = pod.metadata?.name ?? "";
    const uid = pod.metadata?.uid ?? name;
    const key = `${namespace}/${name}`;
    const existing = this.#runs.get(key);
    if (existing && existing.uid === uid) return;
    let signalStop = () => {};
    const stopped = new Promise<void>((resolve) => signalStop = resolve);
    const run: PodRun = {
      pod,
      namespace,
      name,
      uid,
      dir: this.podDir(namespace, name, uid),
      phase: "Pending",
      conditions: new Map(),
      containers: new Map(),
      stopped,
      signalStop,
      done: Promise.resolve(),
      finished: false,
      status: {},
      queued: false,
    };
    const hasInit = (pod.spec?.initContainers ?? []).length > 0;
    const lists = [[true, pod.spec?.initContainers], [false, pod.spec?.containers]] as const;
    for (const [init, list] of lists) {
      for (const container of list ?? []) {
        run.containers.set(container.name, {
          name: container.name,
          image: container.image ?? "",
          init,
          state: { waiting: { reason: init || hasInit ? "PodInitializing" : "ContainerCreating" } },
          ready: false,
          started: false,
          logging: false,
        });
      }
    }
    this.#setCondition(run, "PodScheduled", "True");
    this.#setCondition(run, "Initialized", "False", "ContainersNotInitialized");
    this.#setCondition(run, "ContainersReady", "False", "ContainersNotReady");
    this.#setCondition(run, "Ready", "False", "ContainersNotReady");
    this.#runs.set(key, run);
    const max = this.#options.maxRunningPods ?? 16;
    if (this.#running >= max) {
      run.queued = true;
      this.#queue.push(run);
      this.#setCondition(
        run,
        "Initialized",
        "False",
        "NodeAtCapacity",
        `node ${this.nodeName} is running its maximum of ${max} pods; this pod starts when one finishes`,
      );
      this.#publish(run);
      run.done = new Promise<void>((resolve) => run.onDone = resolve);
      return;
    }
    this.#start(run);
  }

  #start(run: PodRun): void {
    this.#running++;
    run.queued = false;
    run.done = this.#execute(run).finally(() => {
      this.#running--;
      this.#dequeue();
    });
  }

  #dequeue(): void {
    const max = this.#options.maxRunningPods ?? 16;
    while (this.#running < max && this.#queue.length) {
      const next = this.#queue.shift()!;
      const onDone = next.onDone;
      this.#start(next);
      next.done.then(() => onDone?.());
    }
  }

  /** The latest status of a pod, or undefined when this runtime does not know it. */
  status(namespace: string, name: string): V1PodStatus | undefined {
    return this.#runs.get(`${namespace}/${name}`)?.status;
  }

  /** The uid of the pod known under this name. */
  uid(namespace: string, name: string): string | undefined {
    return this.#runs.get(`${namespace}/${name}`)?.uid;
  }

  /** Names (`ns/name`) of the pods this runtime knows. */
  pods(): string[] {
    return [...this.#runs.keys()];
  }

  /** Resolves with the final status once the pod has finished (or undefined if unknown). */
  async wait(namespace: string, name: string): Promise<V1PodStatus | undefined> {
    const run = this.#runs.get(`${namespace}/${name}`);
    if (!run) return undefined;
    await run.done;
    return run.status;
  }

  /**
   * Graceful termination: SIGTERM to every container's processes, SIGKILL after
   * `gracePeriodSeconds` (default: the pod's terminationGracePeriodSeconds, else 30). Resolves
   * with the final status once every process is gone.
   */
  async kill(
    namespace: string,
    name: string,
    gracePeriodSeconds?: number,
  ): Promise<V1PodStatus | undefined> {
    const run = this.#runs.get(`${namespace}/${name}`);
    if (!run) return undefined;
    const grace = gracePeriodSeconds ?? run.pod.spec?.terminationGracePeriodSeconds ?? 30;
    this.#requestStop(run, "Deleted", grace);
    if (run.queued) {
      this.#queue = this.#queue.filter((queued) => queued !== run);
      run.queued = false;
      this.#finish(run);
      run.onDone?.();
    }
    await run.done;
    return run.status;
  }

  /** Drops a finished or killed pod from memory and removes its directory (logs included). */
  async forget(namespace: string, name: string): Promise<void> {
    const key = `${namespace}/${name}`;
    const run = this.#runs.get(key);
    if (!run) return;
    if (!run.finished) await this.kill(namespace, name, 0);
    if (this.#runs.get(key) === run) this.#runs.delete(key);
    await Deno.remove(run.dir, { recursive: true }).catch(() => {});
  }

  /** Removes the directory of a pod this runtime does not run (left from before a restart). */
  async removePodDir(namespace: string, name: string, uid: string): Promise<void> {
    if (this.#runs.get(`${namespace}/${name}`)?.uid === uid) return;
    await Deno.remove(this.podDir(namespace, name, uid), { recursive: true }).catch(() => {});
  }

  /** Kills every pod (SIGKILL) and waits for the processes to go. */
  async close(): Promise<void> {
    this.#closed = true;
    await Promise.all([...this.#runs.values()].map((run) => this.kill(run.namespace, run.name, 0)));
  }

  // ---- logs -------------------------------------------------------------------------------

  open(
    namespace: string,
    pod: string,
    container: string,
    options: { follow?: boolean; tailLines?: number; sinceSeconds?: number; timestamps?: boolean },
  ): ReadableStream<Uint8Array> | undefined {
    const run = this.#runs.get(`${namespace}/${pod}`);
    let dir = run?.dir;
    if (!dir) dir = this.#latestPodDir(namespace, pod);
    if (!dir) return undefined;
    const path = `${dir}/logs/${container}.log`;
    const record = run?.containers.get(container);
    try {
      Deno.statSync(path);
    } catch {
      return undefined;
    }
    return readLogFile(path, {
      ...options,
      active: () => record?.logging ?? false,
      pollMs: this.#options.logPollMs,
    });
  }

  #latestPodDir(namespace: string, name: string): string | undefined {
    const root = `${this.#options.stateDir}/pods`;
    let best: { dir: string; mtime: number } | undefined;
    try {
      for (const entry of Deno.readDirSync(root)) {
        if (!entry.isDirectory || !entry.name.startsWith(`${namespace}_${name}_`)) continue;
        const dir = `${root}/${entry.name}`;
        const mtime = Deno.statSync(dir).mtime?.getTime() ?? 0;
        if (!best || mtime > best.mtime) best = { dir, mtime };
      }
    } catch {
      return undefined;
    }
    return best?.dir;
  }

  // ---- the pod's life ---------------------------------------------------------------------

  async #execute(run: PodRun): Promise<void> {
    const spec = run.pod.spec;
    run.startTime = new Date();
    this.#setCondition(run, "Initialized", "False", "ContainersNotInitialized");
    this.#publish(run);
    const deadline = spec?.activeDeadlineSeconds;
    if (deadline !== undefined && deadline !== null) {
      run.deadlineTimer = setTimeout(() => {
        this.#requestStop(run, "DeadlineExceeded", spec?.terminationGracePeriodSeconds ?? 30);
      }, deadline * 1000);
    }
    try {
      await Deno.mkdir(`${run.dir}/logs`, { recursive: true });
      const prepared = await this.#prepare(run);
      if (!prepared || run.stop) return;
      const sandbox = await this.#sandboxPath();
      if (sandbox === null) {
        this.#failAll(
          run,
          "SandboxError",
          "bubblewrap is required (sandbox: bubblewrap) but does not work here",
        );
        return;
      }
      for (const container of spec?.initContainers ?? []) {
        if (run.stop) return;
        const code = await this.#runContainer(run, container, prepared, sandbox);
        if (code !== 0) {
          this.#setCondition(
            run,
            "Initialized",
            "False",
            "ContainersNotInitialized",
            `containers with incomplete status: [${container.name}]`,
          );
          return;
        }
      }
      if (run.stop) return;
      this.#setCondition(run, "Initialized", "True");
      run.phase = "Running";
      for (const record of run.containers.values()) {
        if (!record.init) record.state = { waiting: { reason: "ContainerCreating" } };
      }
      await Promise.all(
        (spec?.containers ?? []).map((container) =>
          this.#runContainer(run, container, prepared, sandbox)
        ),
      );
    } finally {
      this.#finish(run);
    }
  }

  /** Volumes and environments; retries while a referenced configMap or secret is missing. */
  async #prepare(run: PodRun): Promise<Prepared | undefined> {
    let delay = 250;
    while (!run.stop) {
      let result: Prepared | { problem: SpecProblem };
      try {
        result = await this.#prepareOnce(run);
      } catch (error) {
        // A config source or token callback that cannot answer (the API server is away): retry.
        const message = error instanceof Error ? error.message : String(error);
        result = { problem: { reason: "CreateContainerConfigError", message, retry: true } };
      }
      if (!("problem" in result)) return result;
      const problem = result.problem;
      for (const record of run.containers.values()) {
        record.state = { waiting: { reason: problem.reason, message: problem.message } };
      }
      if (!problem.retry) {
        this.#failAll(run, problem.reason, problem.message);
        return undefined;
      }
      this.#publish(run);
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([run.stopped, new Promise((r) => timer = setTimeout(r, delay))]);
      clearTimeout(timer);
      delay = Math.min(delay * 2, 5000);
    }
    return undefined;
  }

  async #prepareOnce(run: PodRun): Promise<Prepared | { problem: SpecProblem }> {
    const options = this.#options;
    const serviceAccount = run.pod.spec?.serviceAccountName ?? "default";
    const tokenFor = options.tokenFor;
    const volumes = await prepareVolumes(
      {
        pod: run.pod,
        config: options.config,
        nodeName: this.nodeName,
        token: tokenFor ? () => tokenFor(run.namespace, serviceAccount) : undefined,
        caCert: options.caCert,
      },
      run.dir,
      options.stateDir,
    );
    if ("problem" in volumes) return volumes;
    const base: Record<string, string> = {
      PATH: options.path ?? DEFAULT_PATH,
      HOSTNAME: run.name,
    };
    if (options.kubernetesServiceHost) {
      base.KUBERNETES_SERVICE_HOST = options.kubernetesServiceHost;
      base.KUBERNETES_SERVICE_PORT = String(options.kubernetesServicePort ?? 443);
    }
    const envs = new Map<string, Record<string, string>>();
    const all = [...run.pod.spec?.initContainers ?? [], ...run.pod.spec?.containers ?? []];
    for (const container of all) {
      const resolved = await resolveEnv(run.pod, container, options.config, base, this.nodeName);
      if ("problem" in resolved) return resolved;
      envs.set(container.name, resolved.env);
    }
    return { volumes: volumes.volumes, envs };
  }

  /** Runs one container to its end; returns its exit code. */
  async #runContainer(
    run: PodRun,
    container: V1Container,
    prepared: Prepared,
    bwrap: string | undefined,
  ): Promise<number> {
    const record = run.containers.get(container.name)!;
    if (!container.command?.length) {
      const now = new Date();
      record.state = {
        terminated: {
          exitCode: 128,
          reason: "CommandMissing",
          message:
            `container "${container.name}" has no command: images are not pulled on node ${this.nodeName}, so the entrypoint of image "${record.image}" is unknown; set command`,
          startedAt: now,
          finishedAt: now,
        },
      };
      this.#publish(run);
      return 128;
    }
    const env = prepared.envs.get(container.name) ?? {};
    const command = [...container.command, ...container.args ?? []].map((part) =>
      expandVars(part, env)
    );
    const mounts: SandboxMount[] = [];
    let mountProblem: string | undefined;
    let hasServiceAccountMount = false;
    for (const mount of container.volumeMounts ?? []) {
      const volume = prepared.volumes.get(mount.name);
      if (!volume) continue;
      if (mount.mountPath.replace(/\/$/, "") === SERVICE_ACCOUNT_PATH) {
        hasServiceAccountMount = true;
      }
      const subPath = mount.subPathExpr ? expandVars(mount.subPathExpr, env) : mount.subPath;
      if (subPath && (subPath.startsWith("/") || subPath.split("/").includes(".."))) {
        mountProblem ??= `volumeMount ${mount.name}: subPath "${subPath}" must be relative ` +
          `and must not contain ".."`;
        continue;
      }
      const source = subPath ? `${volume.path}/${subPath}` : volume.path;
      if (subPath) await ensureSubPath(source);
      mounts.push({
        source,
        target: mount.mountPath,
        readOnly: volume.readOnly || !!mount.readOnly,
      });
    }
    const serviceAccount = prepared.volumes.get(SERVICE_ACCOUNT_VOLUME);
    if (serviceAccount && !hasServiceAccountMount) {
      mounts.push({ source: serviceAccount.path, target: SERVICE_ACCOUNT_PATH, readOnly: true });
    }
    if (stopping(run)) return 137;
    const startProblem = mountProblem ??
      (bwrap ? this.#commandProblem(command[0], env.PATH ?? "", mounts) : undefined);
    const log = await LogWriter.open(`${run.dir}/logs/${container.name}.log`);
    record.logging = true;
    const startedAt = new Date();
    record.containerID = `argo-ts://${crypto.randomUUID().replaceAll("-", "")}`;
    let child: Deno.ChildProcess;
    try {
      if (startProblem) throw new Error(startProblem);
      if (bwrap) {
        const args = bwrapArgs({
          hostDirs: this.#options.hostDirs ?? DEFAULT_HOST_DIRS,
          readOnlyBinds: this.#options.readOnlyBinds ?? [],
          mounts,
          workingDir: container.workingDir,
          hostname: run.name,
          command,
        });
        child = new Deno.Command(bwrap, {
          args,
          env: { HOME: "/", ...env },
          clearEnv: true,
          stdin: "null",
          stdout: "piped",
          stderr: "piped",
          detached: true,
        }).spawn();
      } else {
        const cwd = container.workingDir && isDir(container.workingDir)
          ? container.workingDir
          : run.dir;
        child = new Deno.Command(command[0], {
          args: command.slice(1),
          env: { HOME: Deno.env.get("HOME") ?? "/", ...env },
          clearEnv: true,
          cwd,
          stdin: "null",
          stdout: "piped",
          stderr: "piped",
          detached: true,
        }).spawn();
      }
    } catch (error) {
      const message = `failed to start container "${container.name}": ${
        error instanceof Error ? error.message : String(error)
      }`;
      await log.line(message);
      await log.close();
      record.logging = false;
      record.state = {
        terminated: {
          exitCode: 128,
          reason: "StartError",
          message,
          startedAt,
          finishedAt: new Date(),
          containerID: record.containerID,
        },
      };
      this.#publish(run);
      return 128;
    }
    const proc: Proc = { child, sandboxed: !!bwrap, terminated: false };
    record.proc = proc;
    record.started = true;
    record.ready = true;
    record.state = { running: { startedAt } };
    this.#updateReadiness(run);
    this.#publish(run);
    if (run.stop) this.#terminate(proc, run.stop.grace);
    const drain = new AbortController();
    const piping = Promise.all([
      log.pipe(child.stdout, drain.signal),
      log.pipe(child.stderr, drain.signal),
    ]);
    const status = await child.status;
    if (proc.killTimer !== undefined) clearTimeout(proc.killTimer);
    if (!proc.sandboxed) killGroup(child.pid, "SIGKILL");
    // A process that left the group may still hold the pipes: stop reading after a while.
    const drainTimer = setTimeout(() => drain.abort(), PIPE_DRAIN_MS);
    await piping;
    clearTimeout(drainTimer);
    await log.close();
    record.logging = false;
    record.proc = undefined;
    record.ready = false;
    const exitCode = status.code;
    const reason = run.stop?.reason === "DeadlineExceeded" && proc.terminated
      ? "DeadlineExceeded"
      : exitCode === 0
      ? "Completed"
      : "Error";
    record.state = {
      terminated: {
        exitCode,
        reason,
        startedAt,
        finishedAt: new Date(),
        containerID: record.containerID,
        ...(status.signal ? { signal: signalNumber(status.signal) } : {}),
      },
    };
    this.#updateReadiness(run);
    this.#publish(run);
    return exitCode;
  }

  /**
   * Why the command cannot start in the sandbox (kube's StartError), checked before bwrap runs:
   * not found on PATH, missing, or outside every directory the sandbox shows.
   */
  #commandProblem(program: string, path: string, mounts: SandboxMount[]): string | undefined {
    const visible = [
      ...this.#options.hostDirs ?? DEFAULT_HOST_DIRS,
      ...this.#options.readOnlyBinds ?? [],
    ]
      .map(cleanPath);
    const toHost = (inside: string): string | undefined => {
      const clean = cleanPath(inside);
      const mount = mounts
        .map((m) => ({ ...m, target: cleanPath(m.target) }))
        .filter((m) => clean === m.target || clean.startsWith(`${m.target}/`))
        .sort((a, b) => b.target.length - a.target.length)[0];
      if (mount) return `${mount.source}${clean.slice(mount.target.length)}`;
      if (visible.some((dir) => clean === dir || clean.startsWith(`${dir}/`))) return clean;
      return undefined;
    };
    const isFile = (hostPath: string | undefined) => {
      if (!hostPath) return false;
      try {
        return Deno.statSync(hostPath).isFile;
      } catch {
        return false;
      }
    };
    if (!program.includes("/")) {
      const found = path.split(":").some((dir) => dir && isFile(toHost(`${dir}/${program}`)));
      return found ? undefined : `exec: "${program}": executable file not found in $PATH`;
    }
    if (!program.startsWith("/") || cleanPath(program).startsWith("/tmp/")) return undefined;
    const hostPath = toHost(program);
    if (hostPath === undefined) {
      return `exec: "${program}": not visible in the sandbox of node ${this.nodeName} (add its directory to readOnlyBinds)`;
    }
    return isFile(hostPath)
      ? undefined
      : `exec: "${program}": stat ${program}: no such file or directory`;
  }

  #requestStop(run: PodRun, reason: "Deleted" | "DeadlineExceeded", grace: number): void {
    if (run.finished) return;
    if (!run.stop) {
      run.stop = { reason, grace };
      run.signalStop();
    } else if (grace < run.stop.grace) {
      run.stop.grace = grace;
    }
    if (reason === "DeadlineExceeded" && run.stop.reason === "DeadlineExceeded") {
      run.reason = "DeadlineExceeded";
      run.message = DEADLINE_MESSAGE;
    }
    for (const record of run.containers.values()) {
      if (record.proc) this.#terminate(record.proc, run.stop.grace);
    }
  }

  /** SIGTERM now (once), SIGKILL at the grace deadline; a shorter grace moves the deadline. */
  #terminate(proc: Proc, grace: number): void {
    const killAt = Date.now() + grace * 1000;
    if (proc.killAt !== undefined && killAt >= proc.killAt) return;
    proc.killAt = killAt;
    if (proc.killTimer !== undefined) clearTimeout(proc.killTimer);
    if (grace <= 0) {
      proc.terminated = true;
      killGroup(proc.child.pid, "SIGKILL");
      return;
    }
    if (!proc.terminated) {
      proc.terminated = true;
      if (proc.sandboxed) {
        // The outer bwrap dies on SIGTERM and takes the namespace down at once: signal only the
        // processes inside the sandbox (the descendants of bwrap's init, PID 1 inside).
        const inside = descendants(proc.child.pid).slice(1);
        if (inside.length === 0) killGroup(proc.child.pid, "SIGKILL");
        for (const pid of inside) signal(pid, "SIGTERM");
      } else {
        killGroup(proc.child.pid, "SIGTERM");
      }
    }
    proc.killTimer = setTimeout(() => killGroup(proc.child.pid, "SIGKILL"), grace * 1000);
  }

  #finish(run: PodRun): void {
    if (run.finished) return;
    run.finished = true;
    if (run.deadlineTimer !== undefined) clearTimeout(run.deadlineTimer);
    const main = [...run.containers.values()].filter((record) => !record.init);
    const init = [...run.containers.values()].filter((record) => record.init);
    const initFailed = init.some((record) =>
      record.state.terminated ? record.state.terminated.exitCode !== 0 : false
    );
    const allSucceeded = main.length > 0 &&
      main.every((record) => record.state.terminated?.exitCode === 0);
    if (run.stop?.reason === "DeadlineExceeded") {
      run.phase = "Failed";
      run.reason = "DeadlineExceeded";
      run.message = DEADLINE_MESSAGE;
    } else if (run.phase === "Failed") {
      // already failed with a reason (a spec problem)
    } else if (!initFailed && allSucceeded) {
      run.phase = "Succeeded";
    } else {
      run.phase = "Failed";
    }
    for (const record of run.containers.values()) record.ready = false;
    this.#setCondition(run, "ContainersReady", "False", "PodCompleted");
    this.#setCondition(run, "Ready", "False", "PodCompleted");
    this.#publish(run);
  }

  #failAll(run: PodRun, reason: string, message: string): void {
    run.phase = "Failed";
    run.reason = reason;
    run.message = message;
  }

  #updateReadiness(run: PodRun): void {
    const main = [...run.containers.values()].filter((record) => !record.init);
    const ready = main.length > 0 && main.every((record) => record.ready);
    this.#setCondition(
      run,
      "ContainersReady",
      ready ? "True" : "False",
      ready ? undefined : "ContainersNotReady",
    );
    this.#setCondition(
      run,
      "Ready",
      ready ? "True" : "False",
      ready ? undefined : "ContainersNotReady",
    );
  }

  #setCondition(run: PodRun, type: string, status: string, reason?: string, message?: string) {
    const previous = run.conditions.get(type);
    const lastTransitionTime = previous && previous.status === status
      ? previous.lastTransitionTime
      : new Date();
    const condition: V1PodCondition = { type, status, lastTransitionTime };
    if (reason) condition.reason = reason;
    if (message) condition.message = message;
    run.conditions.set(type, condition);
  }

  #publish(run: PodRun): void {
    const statusOf = (record: ContainerRecord): V1ContainerStatus => ({
      name: record.name,
      image: record.image,
      imageID: "",
      ready: record.ready,
      started: record.started,
      restartCount: 0,
      state: structuredClone(record.state),
      ...(record.containerID ? { containerID: record.containerID } : {}),
    });
    const records = [...run.containers.values()];
    const status: V1PodStatus = {
      phase: run.phase,
      conditions: ["PodScheduled", "Initialized", "ContainersReady", "Ready"]
        .map((type) => run.conditions.get(type))
        .filter((condition): condition is V1PodCondition => condition !== undefined)
        .map((condition) => ({ ...condition })),
      hostIP: POD_IP,
      hostIPs: [{ ip: POD_IP }],
      qosClass: "BestEffort",
      containerStatuses: records.filter((record) => !record.init).map(statusOf),
    };
    if (!run.queued) {
      status.podIP = POD_IP;
      status.podIPs = [{ ip: POD_IP }];
    }
    if (run.startTime) status.startTime = run.startTime;
    const init = records.filter((record) => record.init);
    if (init.length) status.initContainerStatuses = init.map(statusOf);
    if (run.reason) status.reason = run.reason;
    if (run.message) status.message = run.message;
    run.status = status;
    this.#options.onStatus?.(run.pod, status);
  }

  /** The bwrap path when sandboxing works, undefined for plain processes, null when forced but broken. */
  #sandboxPath(): Promise<string | undefined | null> {
    this.#sandbox ??= this.#probeSandbox();
    return this.#sandbox;
  }

  async #probeSandbox(): Promise<string | undefined | null> {
    const mode = this.#options.sandbox ?? "auto";
    if (mode === "none") return undefined;
    const bwrap = this.#options.bwrapPath ?? findOnPath("bwrap");
    let works = false;
    if (bwrap) {
      try {
        const probe = await new Deno.Command(bwrap, {
          args: ["--die-with-parent", "--unshare-pid", "--ro-bind", "/", "/", "--", "true"],
          stdout: "null",
          stderr: "null",
        }).output();
        works = probe.success;
      } catch {
        works = false;
      }
    }
    if (works) return bwrap;
    if (mode === "bubblewrap") return null;
    (this.#options.warn ?? console.warn)(
      `node ${this.nodeName}: bubblewrap ${
        bwrap ? "does not work here" : "is not on PATH"
      }; running containers as plain processes (no filesystem sandbox, volumes are not mounted at their mountPath)`,
    );
    return undefined;
  }
}

/** Whether a stop was requested (a function, so that TypeScript does not narrow across awaits). */
function stopping(run: PodRun): boolean {
  return run.stop !== undefined;
}

interface Prepared {
  volumes: Map<string, PreparedVolume>;
  envs: Map<string, Record<string, string>>;
}

function isDir(path: string): boolean {
  try {
    return Deno.statSync(path).isDirectory;
  } catch {
    return false;
  }
}

async function ensureSubPath(path: string): Promise<void> {
  try {
    await Deno.stat(path);
  } catch {
    await Deno.mkdir(path, { recursive: true });
  }
}

function findOnPath(name: string): string | undefined {
  for (const dir of (Deno.env.get("PATH") ?? "").split(":")) {
    if (!dir) continue;
    try {
      if (Deno.statSync(`${dir}/${name}`).isFile) return `${dir}/${name}`;
    } catch {
      // not here
    }
  }
  return undefined;
}

function signal(pid: number, sig: Deno.Signal): void {
  try {
    Deno.kill(pid, sig);
  } catch {
    // already gone
  }
}

function killGroup(pid: number, sig: Deno.Signal): void {
  signal(-pid, sig);
}

/** The descendants of a process, breadth first (through /proc/<pid>/task/<tid>/children). */
export function descendants(pid: number): number[] {
  const out: number[] = [];
  const queue = [pid];
  while (queue.length) {
    const current = queue.shift()!;
    let tasks: string[] = [];
    try {
      tasks = [...Deno.readDirSync(`/proc/${current}/task`)].map((entry) => entry.name);
    } catch {
      continue;
    }
    for (const task of tasks) {
      let text = "";
      try {
        text = Deno.readTextFileSync(`/proc/${current}/task/${task}/children`);
      } catch {
        continue;
      }
      for (const child of text.split(" ").filter(Boolean).map(Number)) {
        out.push(child);
        queue.push(child);
      }
    }
  }
  return out;
}

const SIGNALS: Record<string, number> = { SIGHUP: 1, SIGINT: 2, SIGKILL: 9, SIGTERM: 15 };

function signalNumber(name: string): number {
  return SIGNALS[name] ?? 0;
}
