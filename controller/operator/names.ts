/**
 * Deterministic names, exactly as Argo derives them: node names are dotted paths, node IDs and
 * pod names carry the FNV-1a (32-bit) hash of the node name, so every controller (and every
 * replay of a snapshot) computes the same objects.
 *
 * @module
 */

export { fnv32a, nodeId, podName } from "../../api/names.ts";

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
