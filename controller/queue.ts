/**
 * A keyed, de-duplicating work queue, as client-go's: a key waits at most once however often
 * it is added; a key being processed is not handed to a second worker, and is queued again
 * after it is done if it was added meanwhile; failures are retried with per-key exponential
 * backoff; delayed adds wake at their time.
 */

/** Time and timers, injectable so tests control them. */
export interface QueueClock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const systemClock: QueueClock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

export interface QueueOptions {
  /** First retry delay after a failure (ms). */
  baseDelayMs?: number;
  /** Longest retry delay (ms). */
  maxDelayMs?: number;
  clock?: QueueClock;
}

export class WorkQueue<K> {
  readonly #queue: K[] = [];
  /** Keys waiting in #queue (a key waits at most once). */
  readonly #waiting = new Set<K>();
  /** Keys a worker holds now. */
  readonly #processing = new Set<K>();
  /** Keys added while being processed: queued again when done. */
  readonly #dirty = new Set<K>();
  /** Pending delayed adds: key -> (due time, timer). The earliest wins. */
  readonly #delayed = new Map<K, { due: number; timer: unknown }>();
  readonly #failures = new Map<K, number>();
  #waiters: Array<(key: K | undefined) => void> = [];
  #closed = false;
  readonly #clock: QueueClock;
  readonly #baseDelay: number;
  readonly #maxDelay: number;

  constructor(options: QueueOptions = {}) {
    this.#clock = options.clock ?? systemClock;
    this.#baseDelay = options.baseDelayMs ?? 5;
    this.#maxDelay = options.maxDelayMs ?? 1000_000;
  }

  /** Queues a key now (no-op if it already waits). */
  add(key: K): void {
    if (this.#closed) return;
    if (this.#processing.has(key)) {
      this.#dirty.add(key);
      return;
    }
    if (this.#waiting.has(key)) return;
    this.#waiting.add(key);
    const waiter = this.#waiters.shift();
    if (waiter) {
      this.#waiting.delete(key);
      this.#processing.add(key);
      waiter(key);
    } else {
      this.#queue.push(key);
    }
  }

  /** Queues a key after a delay; an earlier pending delay for the same key wins. */
  addAfter(key: K, delayMs: number): void {
    if (this.#closed) return;
    if (delayMs <= 0) {
      this.add(key);
      return;
    }
    const due = this.#clock.now() + delayMs;
    const existing = this.#delayed.get(key);
    if (existing && existing.due <= due) return;
    if (existing) this.#clock.clearTimeout(existing.timer);
    const timer = this.#clock.setTimeout(() => {
      this.#delayed.delete(key);
      this.add(key);
    }, delayMs);
    this.#delayed.set(key, { due, timer });
  }

  /** Queues a key after its next backoff delay (doubling per consecutive failure). */
  addRateLimited(key: K): number {
    const failures = this.#failures.get(key) ?? 0;
    this.#failures.set(key, failures + 1);
    const delay = Math.min(this.#maxDelay, this.#baseDelay * 2 ** Math.min(failures, 40));
    this.addAfter(key, delay);
    return delay;
  }

  /** Clears a key's failure count (after a success). */
  forget(key: K): void {
    this.#failures.delete(key);
  }

  /** How many consecutive failures a key has had. */
  failures(key: K): number {
    return this.#failures.get(key) ?? 0;
  }

  /** Waits for the next key; undefined once the queue is closed and drained. */
  get(): Promise<K | undefined> {
    const key = this.#queue.shift();
    if (key !== undefined) {
      this.#waiting.delete(key);
      this.#processing.add(key);
      return Promise.resolve(key);
    }
    if (this.#closed) return Promise.resolve(undefined);
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  /** Marks a key's processing finished; re-queues it if it was added meanwhile. */
  done(key: K): void {
    this.#processing.delete(key);
    if (this.#dirty.delete(key)) this.add(key);
  }

  /** Keys waiting now (not counting delayed ones). */
  get length(): number {
    return this.#queue.length;
  }

  /** Stops handing out keys; waiting workers receive undefined. */
  close(): void {
    this.#closed = true;
    for (const { timer } of this.#delayed.values()) this.#clock.clearTimeout(timer);
    this.#delayed.clear();
    this.#queue.length = 0;
    this.#waiting.clear();
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const waiter of waiters) waiter(undefined);
  }
}
