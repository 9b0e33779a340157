/**
 * The in-pod executor (Argo's argoexec): `init`, `emissary`, `wait`, `resource`, `data`,
 * `agent`. Not built yet; `argo-ts exec` says so and exits 2.
 *
 * Its import graph stays small (it starts in every pod). It may import `api/`, `templating/`
 * and `kube/`; it must not import `validate/`, `controller/`, `cluster/` or `cli/`.
 */
export {};
