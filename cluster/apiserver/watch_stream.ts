/**
 * One watch response: newline-delimited JSON events through a ReadableStream whose queue is
 * bounded. A watcher whose client stops reading is dropped once `maxQueuedBytes` are waiting.
 */
import type { JsonObject } from "../store/mod.ts";

const encoder = new TextEncoder();

export interface WatchStreamOptions {
  /** Bytes allowed to wait for a slow client before the watch is dropped. */
  maxQueuedBytes: number;
  onClose(): void;
}

/** One newline-terminated JSON watch event. */
export function encodeEvent(type: string, object: JsonObject): Uint8Array {
  return encoder.encode(JSON.stringify({ type, object }) + "\n");
}

const shared = new WeakMap<object, Map<string, Uint8Array>>();

/**
 * The encoded line for a store event as served under `apiVersion`/`kind`, computed once and
 * shared by every watcher of that event (watch fan-out costs one encoding, not one per watcher).
 */
export function encodeShared(
  event: { type: string; object: JsonObject },
  apiVersion: string,
  kind: string,
  type = event.type,
): Uint8Array {
  let byVersion = shared.get(event);
  if (byVersion === undefined) {
    byVersion = new Map();
    shared.set(event, byVersion);
  }
  const key = `${type} ${apiVersion}/${kind}`;
  let chunk = byVersion.get(key);
  if (chunk === undefined) {
    const { apiVersion: _a, kind: _k, ...rest } = event.object;
    chunk = encodeEvent(type, { apiVersion, kind, ...rest });
    byVersion.set(key, chunk);
  }
  return chunk;
}

/** A watch stream; `send` returns false once the watcher has been dropped or closed. */
export class WatchStream {
  readonly stream: ReadableStream<Uint8Array>;
  #controller!: ReadableStreamDefaultController<Uint8Array>;
  #pending: Uint8Array[] = [];
  #pendingBytes = 0;
  #closed = false;
  readonly #options: WatchStreamOptions;

  constructor(options: WatchStreamOptions) {
    this.#options = options;
    this.stream = new ReadableStream<Uint8Array>({
      start: (controller) => {
        this.#controller = controller;
      },
      pull: () => {
        this.#drain();
      },
      cancel: () => {
        this.#finish();
      },
    }, new ByteLengthQueuingStrategy({ highWaterMark: 64 * 1024 }));
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Queues one event; false when the watcher is closed or was just dropped for being slow. */
  send(type: string, object: JsonObject): boolean {
    return this.sendEncoded(encodeEvent(type, object));
  }

  /** Queues an already encoded event line (see {@link encodeEvent}). */
  sendEncoded(chunk: Uint8Array): boolean {
    if (this.#closed) return false;
    this.#pending.push(chunk);
    this.#pendingBytes += chunk.byteLength;
    this.#drain();
    if (this.#pendingBytes > this.#options.maxQueuedBytes) {
      this.close();
      return false;
    }
    return true;
  }

  /** Ends the response (what is already handed to the stream is still delivered). */
  close(): void {
    if (this.#closed) return;
    this.#pending = [];
    this.#pendingBytes = 0;
    try {
      this.#controller.close();
    } catch {
      // already closed or errored by the client going away
    }
    this.#finish();
  }

  #drain(): void {
    while (
      !this.#closed && this.#pending.length > 0 && (this.#controller.desiredSize ?? 0) > 0
    ) {
      const chunk = this.#pending.shift()!;
      this.#pendingBytes -= chunk.byteLength;
      this.#controller.enqueue(chunk);
    }
  }

  #finish(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#options.onClose();
  }
}
