/**
 * The engine: `reconcile(snapshot) -> { status, actions, requeueAfterSeconds, labels }`, a pure
 * function that walks Steps and DAGs with Argo's semantics. See docs/engine.md.
 *
 * Pure: no I/O, no clock, no randomness. It may import `api/`, `templating/` and `validate/`;
 * it must not import `controller/` (its shell), `kube/`, `exec/`, `cluster/` or `cli/`.
 *
 * @module
 */
export { isFulfilled, parseDuration, reconcile } from "./reconcile.ts";
export type { Action, ReconcileResult, Snapshot } from "./types.ts";
export { fnv32a, nodeId, podName } from "./names.ts";
