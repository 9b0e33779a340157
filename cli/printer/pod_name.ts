/**
 * Pod names as Argo derives them from node names, so that `argo get` shows the pods the
 * controller created (the same functions as the engine's, from `api/names.ts`).
 *
 * @module
 */

import { ANNOTATION_POD_NAME_FORMAT } from "../../api/meta.ts";
import { fnv32a, nodeId, podName as podNameV2 } from "../../api/names.ts";

export { fnv32a, nodeId };

/** `v1`: the pod is named after the node ID; `v2` (default): after workflow and template. */
export type PodNameVersion = "v1" | "v2";

/**
 * The pod name of a Pod node. v2: `<wf>-<templateName>-<fnv32a(nodeName)>`, without the
 * template part when `templateName` is empty, the `<wf>-<tmpl>` prefix cut to 242 characters;
 * a node named like the workflow gets the workflow's name. v1: the node ID.
 *
 * `templateName` is the node's `templateRef.template` when it has one, else its `templateName`.
 */
export function podName(
  workflowName: string,
  nodeName: string,
  templateName: string,
  id: string,
  version: PodNameVersion = "v2",
): string {
  if (version === "v1") return id;
  return podNameV2(workflowName, nodeName, templateName);
}

/** The pod-name version recorded on a workflow (`workflows.argoproj.io/pod-name-format`). */
export function podNameVersionOf(annotations: Record<string, string> | undefined): PodNameVersion {
  return annotations?.[ANNOTATION_POD_NAME_FORMAT] === "v1" ? "v1" : "v2";
}
