/**
 * The Kubernetes client edge (`@kubernetes/client-node`): list and watch, apply, patch,
 * conflicts and retries. Today: choosing the kubeconfig (`kubeconfig.ts`).
 *
 * It may import `api/`; only shells (`controller/`, `exec/`, `cli/`) import it. It must not
 * import `templating/`, `validate/`, `controller/`, `exec/`, `cluster/` or `cli/`.
 */
export {
  chooseKubeconfig,
  defaultStateDir,
  type KubeconfigChoice,
  type KubeconfigHost,
  systemHost,
} from "./kubeconfig.ts";
