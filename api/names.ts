/**
 * Node IDs and pod names exactly as Argo derives them from node names: the FNV-1a (32-bit) hash
 * of the node name, so every controller, every replay of a snapshot and every printer computes
 * the same names.
 */

const encoder = new TextEncoder();

/** FNV-1a, 32 bits, over the UTF-8 bytes of `text` (Go's `hash/fnv` New32a). */
export function fnv32a(text: string): number {
  let hash = 0x811c9dc5;
  let ascii = true;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code > 0x7f) {
      ascii = false;
      break;
    }
    hash ^= code;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  if (ascii) return hash >>> 0;
  // Node names are almost always ASCII; anything else hashes its UTF-8 bytes.
  hash = 0x811c9dc5;
  for (const byte of encoder.encode(text)) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash >>> 0;
}

/** A node's ID: the workflow name for the root node, else `<wf>-<fnv32a(nodeName)>`. */
export function nodeId(workflowName: string, nodeName: string): string {
  if (nodeName === workflowName) return workflowName;
  return `${workflowName}-${fnv32a(nodeName)}`;
}

/** Kubernetes names are at most 253 characters; Argo keeps room for `-` and a 10-digit hash. */
const MAX_POD_NAME_PREFIX = 253 - 10 - 1;

/**
 * A v2 pod name (Argo's default `POD_NAMES=v2`): `<wf>-<template>-<fnv32a(nodeName)>`, the
 * `<wf>-<template>` prefix cut to 242 characters; the root node's pod is named after the
 * workflow.
 */
export function podName(workflowName: string, nodeName: string, templateName?: string): string {
  if (nodeName === workflowName) return workflowName;
  let prefix = templateName ? `${workflowName}-${templateName}` : workflowName;
  if (prefix.length > MAX_POD_NAME_PREFIX) prefix = prefix.slice(0, MAX_POD_NAME_PREFIX);
  return `${prefix}-${fnv32a(nodeName)}`;
}
