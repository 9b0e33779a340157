/** JSON merge patch (RFC 7386) and JSON patch (RFC 6902) over plain JSON values. */
import type { Json, JsonObject } from "../store/mod.ts";

export type PatchResult = { ok: true; value: Json } | { ok: false; error: string };

const MAX_DEPTH = 100;

function isObject(value: Json | undefined): value is JsonObject {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

/** RFC 7386: objects merge key by key, `null` removes, everything else replaces. */
export function mergePatch(target: Json | undefined, patch: Json, depth = 0): Json {
  if (depth > MAX_DEPTH) throw new RangeError("patch nesting too deep");
  if (!isObject(patch)) return structuredClone(patch);
  const out: JsonObject = isObject(target) ? { ...target } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete out[key];
    else setOwn(out, key, mergePatch(out[key], value, depth + 1));
  }
  return out;
}

function setOwn(object: JsonObject, key: string, value: Json): void {
  Object.defineProperty(object, key, {
    value,
    enumerable: true,
    writable: true,
    configurable: true,
  });
}

function unescape(token: string): string {
  return token.replaceAll("~1", "/").replaceAll("~0", "~");
}

function parsePointer(pointer: string): string[] | undefined {
  if (pointer === "") return [];
  if (!pointer.startsWith("/")) return undefined;
  return pointer.slice(1).split("/").map(unescape);
}

/** RFC 6902 operations applied in order on a copy of `document`. */
export function jsonPatch(document: Json, operations: Json): PatchResult {
  if (!Array.isArray(operations)) return { ok: false, error: "a JSON patch must be a list" };
  let doc: Json = structuredClone(document);
  for (const [i, op] of operations.entries()) {
    if (!isObject(op) || typeof op.op !== "string" || typeof op.path !== "string") {
      return { ok: false, error: `operation ${i}: needs "op" and "path"` };
    }
    const path = parsePointer(op.path);
    if (path === undefined) return { ok: false, error: `operation ${i}: bad path ${op.path}` };
    const from = typeof op.from === "string" ? parsePointer(op.from) : undefined;
    let result: { ok: true; doc: Json } | { ok: false; error: string };
    switch (op.op) {
      case "add":
        if (!("value" in op)) return { ok: false, error: `operation ${i}: add needs "value"` };
        result = add(doc, path, structuredClone(op.value));
        break;
      case "remove":
        result = remove(doc, path);
        break;
      case "replace": {
        if (!("value" in op)) return { ok: false, error: `operation ${i}: replace needs "value"` };
        const removed = remove(doc, path);
        result = removed.ok ? add(removed.doc, path, structuredClone(op.value)) : removed;
        break;
      }
      case "move":
      case "copy": {
        if (from === undefined) return { ok: false, error: `operation ${i}: needs "from"` };
        const value = lookup(doc, from);
        if (value === undefined) {
          return { ok: false, error: `operation ${i}: "from" ${op.from} does not exist` };
        }
        const removed = op.op === "move" ? remove(doc, from) : { ok: true as const, doc };
        result = removed.ok ? add(removed.doc, path, structuredClone(value)) : removed;
        break;
      }
      case "test": {
        const value = lookup(doc, path);
        result = JSON.stringify(value) === JSON.stringify(op.value)
          ? { ok: true, doc }
          : { ok: false, error: `testing value ${op.path} failed` };
        break;
      }
      default:
        return { ok: false, error: `operation ${i}: unknown op ${JSON.stringify(op.op)}` };
    }
    if (!result.ok) {
      return { ok: false, error: `operation ${i} (${op.op} ${op.path}): ${result.error}` };
    }
    doc = result.doc;
  }
  return { ok: true, value: doc };
}

function lookup(doc: Json, path: string[]): Json | undefined {
  let current: Json | undefined = doc;
  for (const token of path) {
    if (Array.isArray(current)) current = current[Number(token)];
    else if (isObject(current)) {
      current = Object.hasOwn(current, token) ? current[token] : undefined;
    } else return undefined;
  }
  return current;
}

function add(doc: Json, path: string[], value: Json): { ok: true; doc: Json } | {
  ok: false;
  error: string;
} {
  if (path.length === 0) return { ok: true, doc: value };
  const parent = lookup(doc, path.slice(0, -1));
  const last = path[path.length - 1];
  if (Array.isArray(parent)) {
    const index = last === "-" ? parent.length : Number(last);
    if (!/^(\d+|-)$/.test(last) || index > parent.length) {
      return { ok: false, error: "array index out of range" };
    }
    parent.splice(index, 0, value);
  } else if (isObject(parent)) {
    setOwn(parent, last, value);
  } else return { ok: false, error: "the parent does not exist" };
  return { ok: true, doc };
}

function remove(doc: Json, path: string[]): { ok: true; doc: Json } | {
  ok: false;
  error: string;
} {
  if (path.length === 0) return { ok: true, doc: null };
  const parent = lookup(doc, path.slice(0, -1));
  const last = path[path.length - 1];
  if (Array.isArray(parent)) {
    const index = Number(last);
    if (!/^\d+$/.test(last) || index >= parent.length) {
      return { ok: false, error: "array index out of range" };
    }
    parent.splice(index, 1);
  } else if (isObject(parent) && Object.hasOwn(parent, last)) {
    delete parent[last];
  } else return { ok: false, error: "the path does not exist" };
  return { ok: true, doc };
}
