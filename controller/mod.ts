/**
 * The workflow controller: the shell around the engine (informers, keyed work queue, applying
 * actions, status writes with resourceVersion, leader election, the controller ConfigMap,
 * metrics). `argo-ts controller` (commands/controller.ts) runs it as a process; `argo-ts run`
 * runs it in-process against the embedded cluster. See docs/controller.md.
 *
 * It may import `api/`, `templating/`, `validate/`, `controller/operator/` and `kube/`; it must
 * not import `exec/`, `cluster/` or `cli/`.
 */
export {
  type ControllerOptions,
  type RetryDecision,
  retryDecision,
  TokenBucket,
  useHttp1,
  WorkflowController,
} from "./controller.ts";
export { type QueueClock, type QueueOptions, WorkQueue } from "./queue.ts";
export {
  type ElectorClock,
  kubeLeaseStore,
  type LeaderElectionOptions,
  LeaderElector,
  type Lease,
  LEASE_NAME,
  type LeaseStore,
} from "./leader.ts";
export { ControllerMetrics, Counter, Gauge, Histogram, METRICS_CONTENT_TYPE } from "./metrics.ts";
export {
  CONFIG_MAP_NAME,
  mergeConfig,
  parseConfigMapData,
  type ParsedConfigMap,
} from "./config_map.ts";
