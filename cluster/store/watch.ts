/**
 * The watch hub: an in-memory window of the latest change events, so a watch can resume from a
 * resourceVersion by replay, and the live fan-out to every subscribed watcher. A resume from a
 * revision older than the window is refused (`gone`), which the API server turns into 410 Gone.
 */
import type { ChangeEvent, Store } from "./types.ts";

/** Receives events; returns false to be dropped (for example its queue overflowed). */
export type WatchHandler = (event: ChangeEvent) => boolean;

export interface WatchSubscription {
  cancel(): void;
}

export interface WatchHubOptions {
  /** How many recent events are kept for replay (default 10,000). */
  windowSize?: number;
  /** How many bytes of recent events are kept for replay (default 64 MiB). */
  windowBytes?: number;
}

/** Fans store events out to watchers and replays recent history on resume. */
export class WatchHub {
  /** Events from index `#start` on; evicted slots before it are cleared for the GC. */
  readonly #window: (ChangeEvent | undefined)[] = [];
  readonly #windowSize: number;
  readonly #windowBytes: number;
  #bytes = 0;
  #start = 0;
  /** Events with a revision above this are all in the window. */
  #floor: number;
  readonly #watchers = new Map<number, { resource: string; handler: WatchHandler }>();
  #nextId = 1;
  readonly #unsubscribe: () => void;
  #dropped = 0;

  constructor(store: Store, options: WatchHubOptions = {}) {
    this.#windowSize = Math.max(1, options.windowSize ?? 10_000);
    this.#windowBytes = options.windowBytes ?? 64 * 1024 * 1024;
    this.#floor = store.revision();
    this.#unsubscribe = store.subscribe((event) => this.#publish(event));
  }

  /** The oldest revision a watch may resume from. */
  oldestRevision(): number {
    return this.#floor;
  }

  /** How many watchers are subscribed now. */
  watcherCount(): number {
    return this.#watchers.size;
  }

  /** How many watchers were dropped because their handler refused an event. */
  droppedCount(): number {
    return this.#dropped;
  }

  /**
   * Subscribes to events of `resource` after `fromRevision`, first replaying the window. Returns
   * `gone` when `fromRevision` is older than the window.
   */
  subscribe(
    resource: string,
    fromRevision: number,
    handler: WatchHandler,
  ): { ok: true; subscription: WatchSubscription } | { ok: false; reason: "gone" | "dropped" } {
    if (fromRevision < this.#floor) return { ok: false, reason: "gone" };
    for (const event of this.#events()) {
      if (event.revision > fromRevision && event.resource === resource && !handler(event)) {
        this.#dropped++;
        return { ok: false, reason: "dropped" };
      }
    }
    const id = this.#nextId++;
    this.#watchers.set(id, { resource, handler });
    return { ok: true, subscription: { cancel: () => this.#watchers.delete(id) } };
  }

  close(): void {
    this.#unsubscribe();
    this.#watchers.clear();
  }

  *#events(): Iterable<ChangeEvent> {
    for (let i = this.#start; i < this.#window.length; i++) yield this.#window[i]!;
  }

  #publish(event: ChangeEvent): void {
    this.#window.push(event);
    this.#bytes += event.size;
    while (
      this.#window.length - this.#start > this.#windowSize ||
      (this.#bytes > this.#windowBytes && this.#window.length - this.#start > 1)
    ) {
      const evicted = this.#window[this.#start]!;
      this.#window[this.#start] = undefined;
      this.#floor = evicted.revision;
      this.#bytes -= evicted.size;
      this.#start++;
    }
    if (this.#start > 1024 && this.#start * 2 > this.#window.length) {
      this.#window.splice(0, this.#start);
      this.#start = 0;
    }
    for (const [id, watcher] of this.#watchers) {
      if (watcher.resource !== event.resource) continue;
      if (!watcher.handler(event)) {
        this.#watchers.delete(id);
        this.#dropped++;
      }
    }
  }
}
