/**
 * The embedded single-machine cluster: a Kubernetes API server subset (`cluster/apiserver/`) over a
 * durable SQLite store (`cluster/store/`), and a local node that runs pods as sandboxed processes
 * (`cluster/node/`).
 *
 * `startApiServer({ stateDir?, port?, host?, tls?, logs?, crdDir? })` serves HTTPS on 127.0.0.1
 * with its own CA, writes `<stateDir>/kubeconfig` (context `argo-ts`) and returns the URL, the
 * admin token, `tokenFor(namespace, serviceAccount)` for pods, the audit list and `close()`.
 * See `cluster/apiserver/mod.ts` and `docs/cluster.md`.
 *
 * It knows nothing about workflows: it may import `api/` (the strategic-merge patch and YAML
 * loading) only, never `templating/`, `validate/`, `controller/`, `kube/`, `exec/` or `cli/`.
 */
export {
  type ApiServer,
  type ApiServerOptions,
  type AuditEntry,
  kubeconfigFor,
  type PodLogOptions,
  type PodLogSource,
  startApiServer,
} from "./apiserver/mod.ts";
export type { Store } from "./store/mod.ts";
