/**
 * The local node `argo-ts-local`: a kubelet (and one-node scheduler) that runs pods as sandboxed
 * processes on this machine. It knows nothing about workflows: it sees pods, configMaps and
 * secrets, and talks to the API server over HTTP(S) like any kubelet. It imports nothing of ours
 * besides its own files (types come from `@kubernetes/client-node`, erased at run time).
 *
 * ```ts
 * const node = new LocalNode({ stateDir: "/var/lib/argo-ts/node", readOnlyBinds: [denoDir] });
 * const server = await startApiServer({ logs: node.logs });   // pods/log reads node.logs
 * await node.start({ url: server.url, token: server.adminToken, caCert: server.caCert,
 *   tokenFor: server.tokenFor });
 * // ... pods created through the API now run here ...
 * await node.close();
 * ```
 *
 * - {@link PodRuntime}: runs one pod's init containers then containers under bubblewrap (a tmpfs
 *   root with the host's directories bound read-only, private `/tmp`, own PID namespace, volumes
 *   at their mount paths), keeps per-container timestamped logs, reports kube-shaped statuses,
 *   enforces activeDeadlineSeconds, terminates gracefully, and bounds the running pods.
 * - {@link LocalNode}: list/watch pods, bind, run, `PATCH pods/{name}/status`, graceful deletion
 *   then the final delete, recovery after a restart.
 * - {@link PodLogSource}: the interface the API server serves `pods/log` through.
 *
 * See `docs/node.md` for the sandbox layout, volumes, logs, limits and the no-bubblewrap mode.
 */
export {
  LocalNode,
  type NodeConnection,
  type NodeOptions,
  RESTART_MESSAGE,
  startNode,
} from "./node.ts";
export { DEADLINE_MESSAGE, NODE_NAME, PodRuntime, type RuntimeOptions } from "./runtime.ts";
export { type LogOptions, MAX_LINE_BYTES, type PodLogSource, readLogFile } from "./logs.ts";
export { type ConfigSource, POD_IP, SERVICE_ACCOUNT_PATH } from "./spec.ts";
export { bwrapArgs, DEFAULT_HOST_DIRS, type SandboxSpec } from "./sandbox.ts";
export { ApiClient, type ApiConnection } from "./client.ts";
