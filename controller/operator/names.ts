/**
 * Deterministic names, exactly as Argo derives them: node names are dotted paths, node IDs and
 * pod names carry the FNV-1a (32-bit) hash of the node name, so every controller (and every
 * replay of a snapshot) computes the same objects.
 *
 * @module
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

/** A step group: `<parent>[i]`. */
export function stepGroupName(parent: string, index: number): string {
  return `${parent}[${index}]`;
}

/** A step: `<group>.<step>`; a DAG task: `<dag>.<task>`. */
export function childName(parent: string, name: string): string {
  return `${parent}.${name}`;
}

/**
 * A loop iteration: `<name>(<i>:<desc>)`. Parentheses in the description would break the name's
 * grammar, so Argo drops them.
 */
export function loopChildName(name: string, index: number, description: string): string {
  return `${name}(${index}:${description.replace(/[()]/g, "")})`;
}

/** The description of a loop item in a node name, as Argo prints it. */
export function itemDescription(item: unknown): string {
  if (item !== null && typeof item === "object" && !Array.isArray(item)) {
    const parts = Object.entries(item as Record<string, unknown>).map(([key, value]) =>
      `${key}:${goPrint(value)}`
    );
    return parts.sort().join(",");
  }
  if (Array.isArray(item)) return JSON.stringify(item);
  return goPrint(item);
}

/** Go's `%v` for a JSON value: scalars bare, composites as JSON. */
function goPrint(value: unknown): string {
  if (typeof value === "string") return value;
  if (value === null || value === undefined) return "<nil>";
  if (typeof value === "object") return JSON.stringify(value);
  return String(value);
}
