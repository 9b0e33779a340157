/**
 * The embedded single-machine cluster: a Kubernetes API server subset and a local node that runs
 * pods as sandboxed processes. Not built yet; `argo-ts cluster` says so and exits 2.
 *
 * It knows nothing about workflows: it may import `api/` (the strategic-merge patch and YAML
 * loading) only, never `templating/`, `validate/`, `controller/`, `kube/`, `exec/` or `cli/`.
 */
export {};
