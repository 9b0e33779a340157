/**
 * The embedded cluster's object store: a synchronous {@link Store} interface (get, ordered list,
 * create/update/remove with optimistic concurrency on one global revision counter), its SQLite
 * implementation (`node:sqlite`, WAL, or `:memory:`), and the {@link WatchHub} that keeps a
 * window of recent events for watch resume and fans changes out to watchers.
 *
 * ```ts
 * const store = openSqliteStore(":memory:");
 * const hub = new WatchHub(store);
 * ```
 */
export type {
  ChangeEvent,
  Json,
  JsonObject,
  ListOptions,
  ObjectKey,
  Store,
  WriteResult,
} from "./types.ts";
export { openSqliteStore } from "./sqlite.ts";
export {
  type WatchHandler,
  WatchHub,
  type WatchHubOptions,
  type WatchSubscription,
} from "./watch.ts";
