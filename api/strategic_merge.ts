/**
 * Kubernetes strategic merge patch, shared by the engine (a template's `podSpecPatch`, template
 * defaults) and the embedded API server (`application/strategic-merge-patch+json`).
 *
 * Rules, as in k8s.io/apimachinery's strategicpatch package:
 * - maps merge recursively and `null` deletes a key;
 * - a list whose field has the `merge` strategy merges element by element: maps by the field's
 *   merge key (containers by `name`, ports by `containerPort`...), scalars as a set; other lists,
 *   and lists of fields the type table does not know, are replaced;
 * - directives: `$patch: replace|delete` in a map or a list element, `$retainKeys`,
 *   `$setElementOrder/<field>` and `$deleteFromPrimitiveList/<field>`;
 * - order of a merged list, as Kubernetes computes it: the elements the patch names, in the
 *   patch's order (or `$setElementOrder`'s), interleaved with the elements only the original had
 *   by their original positions; so an element new to the list comes first. Argo merges template
 *   defaults and `podSpecPatch` with the same code, so this order is Argo's too.
 *
 * The function is pure: it copies its inputs (own keys only, so a `__proto__` key is plain data)
 * and refuses documents nested more than {@link MAX_PATCH_DEPTH} levels with an error result.
 *
 * @module
 */
import type { JsonValue } from "./types.gen.ts";
import { generatedPatchTypes } from "./patch_keys.gen.ts";

/** How one field of a type takes a patch. */
export interface PatchField {
  /** Type (in the table) of the field's value, of its list elements, or of its map values. */
  type?: string;
  /** The field is a map whose values are of `type`. */
  map?: boolean;
  /** `x-kubernetes-patch-strategy`: "merge", "replace", "retainKeys" or "merge,retainKeys". */
  strategy?: string;
  /** `x-kubernetes-patch-merge-key`: the key identifying elements of a merged list of maps. */
  mergeKey?: string;
}

/** Patch metadata by type name, then field name. */
export type PatchTypeTable = Record<string, Record<string, PatchField>>;

/** What the patched document is: the type table and the type of the document's root. */
export interface PatchSchemaInfo {
  types: PatchTypeTable;
  /** Type of the root; absent means no field has a strategy (all lists replace). */
  root?: string;
}

export type JsonObject = { [key: string]: JsonValue };

/** The merged document, or why the patch could not be applied. */
export type MergeResult = { ok: true; value: JsonObject } | { ok: false; error: string };

/** Deepest nesting of maps and lists accepted in the original or the patch. */
export const MAX_PATCH_DEPTH = 100;

const MERGE = { strategy: "merge", mergeKey: "name" } as const;

/**
 * Pod types the schema does not have, written from Kubernetes' Go tags (k8s.io/api/core/v1):
 * PodSpec, Pod and PodStatus. Tolerations and readiness gates have no strategy: they replace.
 */
export const podPatchTypes: PatchTypeTable = {
  ...generatedPatchTypes,
  Pod: {
    metadata: { type: "ObjectMeta" },
    spec: { type: "PodSpec" },
    status: { type: "PodStatus" },
  },
  PodSpec: {
    containers: { ...MERGE, type: "Container" },
    ephemeralContainers: { ...MERGE, type: "Container" },
    hostAliases: { strategy: "merge", mergeKey: "ip" },
    imagePullSecrets: MERGE,
    initContainers: { ...MERGE, type: "Container" },
    resourceClaims: { strategy: "merge,retainKeys", mergeKey: "name" },
    schedulingGates: MERGE,
    topologySpreadConstraints: { strategy: "merge", mergeKey: "topologyKey" },
    volumes: { strategy: "merge,retainKeys", mergeKey: "name", type: "Volume" },
  },
  PodStatus: {
    conditions: { strategy: "merge", mergeKey: "type" },
    hostIPs: { strategy: "merge", mergeKey: "ip" },
    podIPs: { strategy: "merge", mergeKey: "ip" },
    resourceClaimStatuses: { strategy: "merge,retainKeys", mergeKey: "name" },
  },
};

/** Patches a PodSpec (Argo's `podSpecPatch`). */
export const POD_SPEC_PATCH_SCHEMA: PatchSchemaInfo = { types: podPatchTypes, root: "PodSpec" };
/** Patches a whole Pod (the API server's pods resource). */
export const POD_PATCH_SCHEMA: PatchSchemaInfo = { types: podPatchTypes, root: "Pod" };
/** Patches an Argo Template (template defaults are merged into templates this way). */
export const TEMPLATE_PATCH_SCHEMA: PatchSchemaInfo = { types: podPatchTypes, root: "Template" };
/** Patches an Argo WorkflowSpec (a workflow's spec over its workflowTemplateRef's). */
export const WORKFLOW_SPEC_PATCH_SCHEMA: PatchSchemaInfo = {
  types: podPatchTypes,
  root: "WorkflowSpec",
};
/** Patches a document with no list strategies (ConfigMap, Secret...): maps merge, lists replace. */
export const PLAIN_PATCH_SCHEMA: PatchSchemaInfo = { types: {} };

const PATCH = "$patch";
const RETAIN_KEYS = "$retainKeys";
const SET_ELEMENT_ORDER = "$setElementOrder/";
const DELETE_FROM_PRIMITIVE_LIST = "$deleteFromPrimitiveList/";

/** Thrown inside the module only; `strategicMerge` turns it into an error result. */
class PatchError extends Error {}

/** The context a map is merged in: a typed struct, or a map whose values share one type. */
type Context = { type?: string; mapValues?: boolean };

function isObject(value: JsonValue | undefined): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function own(obj: JsonObject, key: string): JsonValue | undefined {
  return Object.hasOwn(obj, key) ? obj[key] : undefined;
}

/** Sets an own property, even one named `__proto__`, without touching any prototype. */
function setOwn(obj: JsonObject, key: string, value: JsonValue): void {
  Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
}

/** Deep copy of a JSON value, own keys only, refusing nesting deeper than the limit. */
function copy(value: unknown, depth: number, what: string): JsonValue {
  if (value === null || typeof value === "string" || typeof value === "boolean") return value;
  if (typeof value === "number") {
    if (!Number.isFinite(value)) throw new PatchError(`${what} holds a non-finite number`);
    return value;
  }
  if (typeof value !== "object") throw new PatchError(`${what} holds a ${typeof value}`);
  if (depth >= MAX_PATCH_DEPTH) {
    throw new PatchError(`${what} is nested more than ${MAX_PATCH_DEPTH} levels deep`);
  }
  if (Array.isArray(value)) return value.map((item) => copy(item, depth + 1, what));
  const out: JsonObject = {};
  for (const key of Object.keys(value)) {
    const item = (value as Record<string, unknown>)[key];
    if (item !== undefined) setOwn(out, key, copy(item, depth + 1, what));
  }
  return out;
}

/**
 * Applies a strategic merge patch to `original` (typically an object, or null/undefined for
 * none) and returns the merged document. Neither input is modified.
 */
export function strategicMerge(
  original: JsonValue | undefined,
  patch: JsonValue,
  schemaInfo: PatchSchemaInfo,
): MergeResult {
  try {
    const base = original === undefined || original === null
      ? {}
      : copy(original, 0, "the original");
    if (!isObject(base)) return { ok: false, error: "the original must be a JSON object" };
    const p = copy(patch, 0, "the patch");
    if (!isObject(p)) return { ok: false, error: "the patch must be a JSON object" };
    return {
      ok: true,
      value: new Merger(schemaInfo.types).mergeMap(base, p, { type: schemaInfo.root }),
    };
  } catch (e) {
    if (e instanceof PatchError) return { ok: false, error: e.message };
    throw e;
  }
}

/** Merges owned copies in place: `mergeMap(base, patch)` changes `base` and returns it. */
class Merger {
  constructor(private readonly types: PatchTypeTable) {}

  private field(context: Context, key: string): PatchField {
    if (context.mapValues) return { type: context.type };
    if (context.type === undefined || !Object.hasOwn(this.types, context.type)) return {};
    const fields = this.types[context.type];
    return Object.hasOwn(fields, key) ? fields[key] : {};
  }

  private childContext(field: PatchField): Context {
    return field.map ? { type: field.type, mapValues: true } : { type: field.type };
  }

  mergeMap(base: JsonObject, patch: JsonObject, context: Context): JsonObject {
    const directive = own(patch, PATCH);
    if (directive !== undefined) {
      if (directive === "replace") {
        const rest: JsonObject = {};
        for (const key of Object.keys(patch)) if (key !== PATCH) setOwn(rest, key, patch[key]);
        // The replacement may itself hold directives and nulls: apply it to nothing.
        return this.mergeMap({}, rest, context);
      }
      if (directive === "delete") return {};
      throw new PatchError(`unknown $patch directive ${JSON.stringify(directive)} in a map`);
    }

    this.retainKeys(base, patch);

    // Deletions first, then additions: a value both deleted and added by one patch stays.
    for (const key of Object.keys(patch)) {
      if (!key.startsWith(DELETE_FROM_PRIMITIVE_LIST)) continue;
      const name = key.slice(DELETE_FROM_PRIMITIVE_LIST.length);
      const values = patch[key];
      if (!Array.isArray(values)) throw new PatchError(`${key} must be a list`);
      const current = own(base, name);
      if (Array.isArray(current)) {
        const drop = new Set(values.map(identityKey));
        setOwn(base, name, current.filter((item) => !drop.has(identityKey(item))));
      }
    }

    const orders = new Map<string, JsonValue[]>();
    for (const key of Object.keys(patch)) {
      if (!key.startsWith(SET_ELEMENT_ORDER)) continue;
      const order = patch[key];
      if (!Array.isArray(order)) throw new PatchError(`${key} must be a list`);
      orders.set(key.slice(SET_ELEMENT_ORDER.length), order);
    }

    for (const key of Object.keys(patch)) {
      if (key === RETAIN_KEYS || key.startsWith(SET_ELEMENT_ORDER) || key === PATCH) continue;
      if (key.startsWith(DELETE_FROM_PRIMITIVE_LIST)) continue;
      const value = patch[key];
      if (value === null) {
        delete base[key];
        continue;
      }
      const field = this.field(context, key);
      const current = own(base, key);
      if (isObject(value)) {
        if (hasStrategy(field, "replace")) {
          setOwn(base, key, this.mergeMap({}, value, this.childContext(field)));
        } else {
          const target = isObject(current) ? current : {};
          setOwn(base, key, this.mergeMap(target, value, this.childContext(field)));
        }
      } else if (Array.isArray(value)) {
        if (hasStrategy(field, "merge")) {
          const list = Array.isArray(current) ? current : [];
          setOwn(base, key, this.mergeList(list, value, field, key, orders.get(key)));
        } else {
          setOwn(base, key, value);
        }
      } else {
        setOwn(base, key, value);
      }
    }

    // An order directive without a patch list only reorders the list already there.
    for (const [key, order] of orders) {
      if (Object.hasOwn(patch, key)) continue;
      const current = own(base, key);
      if (!Array.isArray(current)) continue;
      const field = this.field(context, key);
      const mergeKey = current.some(isObject) ? field.mergeKey : undefined;
      setOwn(base, key, this.order(current, current, order, mergeKey));
    }
    return base;
  }

  private retainKeys(base: JsonObject, patch: JsonObject): void {
    const retain = own(patch, RETAIN_KEYS);
    if (retain === undefined) return;
    if (!Array.isArray(retain) || !retain.every((k) => typeof k === "string")) {
      throw new PatchError("$retainKeys must be a list of strings");
    }
    const keep = new Set(retain as string[]);
    for (const key of Object.keys(patch)) {
      if (key.startsWith("$") || patch[key] === null) continue;
      if (!keep.has(key)) throw new PatchError(`$retainKeys does not list the patched key ${key}`);
    }
    for (const key of Object.keys(base)) if (!keep.has(key)) delete base[key];
  }

  private mergeList(
    base: JsonValue[],
    patch: JsonValue[],
    field: PatchField,
    name: string,
    order: JsonValue[] | undefined,
  ): JsonValue[] {
    const all = [...base, ...patch];
    if (all.length === 0) return [];
    const maps = all.filter(isObject).length;
    if (maps === 0) {
      if (all.some(Array.isArray)) throw new PatchError(`${name}: lists of lists cannot be merged`);
      const seen = new Set<string>();
      const merged = all.filter((item) => {
        const id = identityKey(item);
        if (seen.has(id)) return false;
        seen.add(id);
        return true;
      });
      return this.order(merged, base, order ?? patch, undefined);
    }
    if (maps !== all.length) throw new PatchError(`${name}: a merged list mixes maps and scalars`);
    const mergeKey = field.mergeKey;
    if (mergeKey === undefined) {
      throw new PatchError(`${name}: cannot merge a list without merge key`);
    }

    const additions: JsonObject[] = [];
    const deleted = new Set<string>();
    let replace = false;
    for (const item of patch as JsonObject[]) {
      const directive = own(item, PATCH);
      if (directive === undefined) {
        additions.push(item);
      } else if (directive === "delete") {
        const key = own(item, mergeKey);
        if (key === undefined) throw new PatchError(`${name}: $patch: delete needs ${mergeKey}`);
        deleted.add(identityKey(key));
      } else if (directive === "replace") {
        replace = true;
      } else {
        throw new PatchError(`${name}: unknown $patch directive ${JSON.stringify(directive)}`);
      }
    }
    const context = { type: field.type };
    if (replace) return additions.map((item) => this.mergeMap({}, item, context));

    const serverOrder = (base as JsonObject[]).filter((element) =>
      !deleted.has(identityKey(own(element, mergeKey)))
    );
    const merged = [...serverOrder];
    // First element with each key; later duplicates in the original are left as they are.
    const indexOf = new Map<string, number>();
    merged.forEach((element, i) => {
      const id = identityKey(own(element, mergeKey));
      if (!indexOf.has(id)) indexOf.set(id, i);
    });
    for (const item of additions) {
      const key = own(item, mergeKey);
      if (key === undefined) throw new PatchError(`${name}: an element has no ${mergeKey}`);
      const index = indexOf.get(identityKey(key));
      if (index !== undefined) {
        merged[index] = this.mergeMap(merged[index] as JsonObject, item, context);
      } else {
        indexOf.set(identityKey(key), merged.length);
        merged.push(this.mergeMap({}, item, context));
      }
    }
    return this.order(merged, serverOrder, order ?? additions, mergeKey);
  }

  /**
   * Kubernetes' element order: elements named by the patch (or by `$setElementOrder`) in that
   * order, interleaved with the elements only the server had, which keep their relative place.
   */
  private order(
    merged: JsonValue[],
    serverOrder: JsonValue[],
    patchOrder: JsonValue[],
    mergeKey: string | undefined,
  ): JsonValue[] {
    const identity = (item: JsonValue) =>
      identityKey(mergeKey !== undefined && isObject(item) ? own(item, mergeKey) : item);
    const positions = (list: JsonValue[]) => {
      const map = new Map<string, number>();
      list.forEach((item, i) => {
        const id = identity(item);
        if (!map.has(id)) map.set(id, i);
      });
      return (item: JsonValue) => map.get(identity(item)) ?? -1;
    };
    const inPatch = positions(patchOrder);
    const inServer = positions(serverOrder);
    const fromPatch: JsonValue[] = [];
    const serverOnly: JsonValue[] = [];
    for (const item of merged) (inPatch(item) >= 0 ? fromPatch : serverOnly).push(item);
    fromPatch.sort((a, b) => inPatch(a) - inPatch(b));
    const out: JsonValue[] = [];
    let i = 0;
    let j = 0;
    while (i < serverOnly.length || j < fromPatch.length) {
      if (i >= serverOnly.length) out.push(fromPatch[j++]);
      else if (j >= fromPatch.length) out.push(serverOnly[i++]);
      else {
        const left = inServer(serverOnly[i]);
        const right = inServer(fromPatch[j]);
        if (left >= 0 && right >= 0 && left < right) out.push(serverOnly[i++]);
        else out.push(fromPatch[j++]);
      }
    }
    return out;
  }
}

function hasStrategy(field: PatchField, strategy: string): boolean {
  return (field.strategy ?? "").split(",").includes(strategy);
}

/** A string that is equal for equal JSON values (1 and "1" differ), to key maps and sets by. */
function identityKey(value: JsonValue | undefined): string {
  return value === undefined ? "undefined" : JSON.stringify(value);
}
