/**
 * The engine: `reconcile(snapshot) -> { status, actions, requeueAfter }`, a pure function that
 * walks Steps and DAGs with Argo's semantics. Not built yet.
 *
 * Pure: no I/O, no clock, no randomness. It may import `api/`, `templating/` and `validate/`;
 * it must not import `controller/` (its shell), `kube/`, `exec/`, `cluster/` or `cli/`.
 */
export {};
