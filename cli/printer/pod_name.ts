/**
 * Pod names as Argo derives them from node names, so that `argo get` shows the pods the
 * controller created. The engine keeps its own copy of this logic; both must agree.
 *
 * @module
 */

/** Kubernetes' resource-name limit minus room for "-" and a 10-digit hash. */
const MAX_POD_NAME_PREFIX = 253 - 10 - 1;

import { ANNOTATION_POD_NAME_FORMAT } from "../../api/meta.ts";

const encoder = new TextEncoder();

/** FNV-1a 32-bit hash of the UTF-8 bytes of `text`, as an unsigned integer. */
export function fnv32a(text: string): number {
  let hash = 0x811c9dc5;
  // Node names are nearly always ASCII, whose UTF-8 bytes are the char codes: hashing them
  // directly avoids encoding (and allocating) a buffer per node.
  let ascii = true;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code > 0x7f) {
      ascii = false;
      break;
    }
    hash ^= code;
    hash = Math.imul(hash, 0x01000193);
  }
  if (ascii) return hash >>> 0;
  hash = 0x811c9dc5;
  for (const byte of encoder.encode(text)) {
    hash ^= byte;
    // 32-bit multiply by the FNV prime (16777619); Math.imul keeps the low 32 bits.
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

/** Argo's node ID: the workflow name for the root node, else `<wf>-<fnv32a(nodeName)>`. */
export function nodeId(workflowName: string, nodeName: string): string {
  if (nodeName === workflowName) return workflowName;
  return `${workflowName}-${fnv32a(nodeName)}`;
}

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
  if (workflowName === nodeName) return workflowName;
  let prefix = templateName === "" ? workflowName : `${workflowName}-${templateName}`;
  // Argo cuts bytes; names are DNS labels (ASCII), so characters and bytes agree.
  if (prefix.length > MAX_POD_NAME_PREFIX) prefix = prefix.slice(0, MAX_POD_NAME_PREFIX);
  return `${prefix}-${fnv32a(nodeName)}`;
}

/** The pod-name version recorded on a workflow (`workflows.argoproj.io/pod-name-format`). */
export function podNameVersionOf(annotations: Record<string, string> | undefined): PodNameVersion {
  return annotations?.[ANNOTATION_POD_NAME_FORMAT] === "v1" ? "v1" : "v2";
}
