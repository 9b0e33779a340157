/**
 * Printers of the Argo-compatible CLI: pure functions from API objects to text. They do no I/O
 * and never read the clock (`now` is a parameter), so output is reproducible in tests.
 *
 * - {@link printWorkflowGet}: `argo get` (header block and node tree; `-o wide|short`);
 * - {@link printWorkflowList}: `argo list` (`-o wide|name`, `-A`, `--no-headers`);
 * - {@link renderLiveView}: argo-ts's compact view for `submit --watch` and `watch`;
 * - duration helpers and {@link podName}, Argo's pod naming.
 *
 * @module
 */
export {
  type GetOptions,
  type GetOutput,
  printWorkflowGet,
  printWorkflowHeader,
  printWorkflowTree,
} from "./get.ts";
export {
  type ListOptions,
  type ListOutput,
  printWorkflowList,
  sortWorkflowsForList,
} from "./list.ts";
export { type LiveViewOptions, renderLiveView } from "./live.ts";
export {
  formatTimestamp,
  humanizeDuration,
  relativeDurationShort,
  relativeTime,
  shortDuration,
} from "./duration.ts";
export { fnv32a, nodeId, podName, type PodNameVersion, podNameVersionOf } from "./pod_name.ts";
export { workflowStatusText } from "./style.ts";
export { parseFieldSelector } from "./selector.ts";
