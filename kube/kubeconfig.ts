/**
 * Which cluster a command talks to. Precedence, as kubectl's plus the embedded cluster:
 * `--kubeconfig`, then `KUBECONFIG`, then the embedded cluster's kubeconfig while its pid file
 * names a live process, then `~/.kube/config`, then the in-cluster service account. The choice
 * carries a description so every connection error can say which one was used.
 */

export type KubeconfigSource = "flag" | "env" | "embedded" | "home" | "in-cluster";

export interface KubeconfigChoice {
  source: KubeconfigSource;
  /** The kubeconfig file (absent for in-cluster). */
  path?: string;
  /** For messages: `kubeconfig /x/y (from --kubeconfig)`. */
  description: string;
}

/** What the choice reads from the machine; injected so tests need no real files. */
export interface KubeconfigHost {
  env(name: string): string | undefined;
  exists(path: string): boolean;
  readText(path: string): string | undefined;
  /** Whether a process with this pid is alive. */
  alive(pid: number): boolean;
}

export const SERVICE_ACCOUNT_DIR = "/var/run/secrets/kubernetes.io/serviceaccount";

/** The embedded cluster's state directory: `--state-dir`, else `ARGO_TS_STATE_DIR`, else `~/.argo-ts`. */
export function defaultStateDir(host: Pick<KubeconfigHost, "env">, flag?: string): string {
  return flag ?? host.env("ARGO_TS_STATE_DIR") ?? `${host.env("HOME") ?? "."}/.argo-ts`;
}

export function chooseKubeconfig(
  host: KubeconfigHost,
  options: { flag?: string; stateDir?: string } = {},
): KubeconfigChoice | undefined {
  if (options.flag) {
    return {
      source: "flag",
      path: options.flag,
      description: `kubeconfig ${options.flag} (from --kubeconfig)`,
    };
  }
  const fromEnv = host.env("KUBECONFIG")?.split(":").find((p) => p !== "");
  if (fromEnv) {
    return { source: "env", path: fromEnv, description: `kubeconfig ${fromEnv} (from KUBECONFIG)` };
  }
  const stateDir = defaultStateDir(host, options.stateDir);
  const pidText = host.readText(`${stateDir}/cluster.pid`)?.trim();
  const pid = pidText && /^[0-9]+$/.test(pidText) ? Number(pidText) : undefined;
  const embedded = `${stateDir}/kubeconfig`;
  if (pid !== undefined && host.alive(pid) && host.exists(embedded)) {
    return {
      source: "embedded",
      path: embedded,
      description: `kubeconfig ${embedded} (the embedded cluster running as pid ${pid})`,
    };
  }
  const home = host.env("HOME");
  if (home && host.exists(`${home}/.kube/config`)) {
    const path = `${home}/.kube/config`;
    return { source: "home", path, description: `kubeconfig ${path}` };
  }
  if (host.env("KUBERNETES_SERVICE_HOST") && host.exists(`${SERVICE_ACCOUNT_DIR}/token`)) {
    return { source: "in-cluster", description: "the in-cluster service account" };
  }
  return undefined;
}

/** The real machine. */
export function systemHost(): KubeconfigHost {
  return {
    env: (name) => Deno.env.get(name),
    exists: (path) => {
      try {
        Deno.statSync(path);
        return true;
      } catch {
        return false;
      }
    },
    readText: (path) => {
      try {
        return Deno.readTextFileSync(path);
      } catch {
        return undefined;
      }
    },
    alive: (pid) => {
      // Linux lists every live process under /proc.
      try {
        return Deno.statSync(`/proc/${pid}`).isDirectory;
      } catch {
        return false;
      }
    },
  };
}
