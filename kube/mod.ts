/**
 * The Kubernetes client edge (`@kubernetes/client-node`): list and watch, apply, patch,
 * conflicts and retries. Not built yet.
 *
 * It may import `api/`; only shells (`controller/`, `exec/`, `cli/`) import it. It must not
 * import `templating/`, `validate/`, `controller/`, `exec/`, `cluster/` or `cli/`.
 */
export {};
