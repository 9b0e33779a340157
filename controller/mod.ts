/**
 * The workflow controller: the shell around the engine (informers, keyed work queue, applying
 * actions, status writes with resourceVersion, leader election, cron, pod GC, TTL, metrics).
 * Not built yet; `argo-ts controller` says so and exits 2.
 *
 * It may import `api/`, `templating/`, `validate/`, `controller/operator/` and `kube/`; it must
 * not import `exec/`, `cluster/` or `cli/`.
 */
export {};
