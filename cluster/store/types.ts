/** The store's data model: JSON objects keyed by resource, namespace and name. */

/** Any JSON value. */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
/** A JSON object (a Kubernetes object, a patch, ...). */
export type JsonObject = { [key: string]: Json };

/** Where an object lives: its resource ("group/plural", core group empty), namespace and name. */
export interface ObjectKey {
  resource: string;
  /** Empty for cluster-scoped objects. */
  namespace: string;
  name: string;
}

/** One change, as the store commits it: the revision it got and the object after (or deleted). */
export interface ChangeEvent extends ObjectKey {
  type: "ADDED" | "MODIFIED" | "DELETED";
  revision: number;
  /** The object with `metadata.resourceVersion` set to `revision`. */
  object: JsonObject;
  /** Approximate size of the object in bytes (its JSON text), for memory accounting. */
  size: number;
  /** For MODIFIED: the object before the change (decoded on first call). */
  previous?: () => JsonObject;
}

/** Why a write was refused. */
export type WriteResult =
  | { ok: true; revision: number; object: JsonObject }
  | { ok: false; reason: "exists" | "not-found" | "conflict" };

/** Where a list starts and how much it returns. */
export interface ListOptions {
  namespace?: string;
  /** Return objects strictly after this (namespace, name) in key order. */
  after?: { namespace: string; name: string };
}

/**
 * The durable object store. All operations are synchronous and atomic; every write takes the next
 * value of one global revision counter, which is the object's `metadata.resourceVersion`.
 */
export interface Store {
  /** The last revision committed. */
  revision(): number;
  get(key: ObjectKey): JsonObject | undefined;
  /** Objects of one resource in (namespace, name) order. */
  list(resource: string, options?: ListOptions): Iterable<JsonObject>;
  /** Objects of any resource whose JSON text contains `needle` (a pre-filter for GC scans). */
  scan(needle: string): Iterable<{ resource: string; object: JsonObject }>;
  /** Inserts a new object; `exists` when the key is taken. */
  create(key: ObjectKey, object: JsonObject): WriteResult;
  /**
   * Replaces an object. With `expectRevision`, refuses (`conflict`) unless the stored object has
   * that revision.
   */
  update(key: ObjectKey, object: JsonObject, expectRevision?: number): WriteResult;
  /** Removes an object; the DELETED event carries the object with the deletion's revision. */
  remove(key: ObjectKey, expectRevision?: number): WriteResult;
  /** Small key/value side table (tokens, settings), not versioned. */
  getSetting(key: string): string | undefined;
  setSetting(key: string, value: string | undefined): void;
  /** Called synchronously after each committed write. Returns an unsubscribe function. */
  subscribe(listener: (event: ChangeEvent) => void): () => void;
  close(): void;
}
