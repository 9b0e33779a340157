/**
 * Container logs: one file per container, `<podDir>/logs/<container>.log`, each line stored as
 * `RFC3339Nano<space>line` (the kubelet's CRI log file without the stream and tag columns), and
 * a reader with `follow`, `tailLines`, `sinceSeconds` and `timestamps`.
 *
 * Limits: stdout and stderr share the file, each line whole; a line longer than
 * {@link MAX_LINE_BYTES} is split; a last line without a newline is stored (and served) with one.
 */

/** The interface the API server serves `pods/log` through. */
export interface PodLogSource {
  open(
    namespace: string,
    pod: string,
    container: string,
    options: { follow?: boolean; tailLines?: number; sinceSeconds?: number; timestamps?: boolean },
  ): ReadableStream<Uint8Array> | undefined;
}

export type LogOptions = Parameters<PodLogSource["open"]>[3];

/** Lines longer than this are split into several log lines. */
export const MAX_LINE_BYTES = 64 * 1024;

const encoder = new TextEncoder();
const NEWLINE = 10;

/** `2026-11-26T15:00:00.123000000Z`: RFC 3339 with a fixed nine-digit fraction. */
export function rfc3339Nano(date: Date): string {
  return `${date.toISOString().slice(0, -1)}000000Z`;
}

/** Appends timestamped lines to one log file; stdout and stderr write through the same writer. */
export class LogWriter {
  #file: Deno.FsFile;
  #queue: Promise<void> = Promise.resolve();
  #now: () => Date;
  #closed = false;

  private constructor(file: Deno.FsFile, now: () => Date) {
    this.#file = file;
    this.#now = now;
  }

  static async open(path: string, now: () => Date = () => new Date()): Promise<LogWriter> {
    const file = await Deno.open(path, { create: true, append: true, write: true });
    return new LogWriter(file, now);
  }

  /**
   * Copies one stream into the log, line by line; resolves when the stream ends, or when
   * `signal` aborts (the stream is then cancelled: a leftover process may hold the pipe open).
   */
  async pipe(stream: ReadableStream<Uint8Array>, signal?: AbortSignal): Promise<void> {
    let pending = new Uint8Array(0);
    const reader = stream.getReader();
    const cancel = () => reader.cancel().catch(() => {});
    signal?.addEventListener("abort", cancel, { once: true });
    while (true) {
      let chunk: Uint8Array;
      try {
        const next = await reader.read();
        if (next.done) break;
        chunk = next.value;
      } catch {
        break;
      }
      const data = pending.length ? concat(pending, chunk) : chunk;
      let start = 0;
      const out: Uint8Array[] = [];
      const stamp = encoder.encode(`${rfc3339Nano(this.#now())} `);
      for (let i = 0; i < data.length; i++) {
        if (data[i] === NEWLINE || i - start >= MAX_LINE_BYTES) {
          out.push(stamp, data.subarray(start, i), NEWLINE_BYTES);
          start = data[i] === NEWLINE ? i + 1 : i;
        }
      }
      pending = data.slice(start);
      if (out.length) this.#write(concat(...out));
    }
    signal?.removeEventListener("abort", cancel);
    reader.releaseLock();
    if (pending.length) {
      this.#write(concat(encoder.encode(`${rfc3339Nano(this.#now())} `), pending, NEWLINE_BYTES));
    }
    await this.#queue;
  }

  /** Writes one line (used for the node's own messages about a container). */
  line(text: string): Promise<void> {
    this.#write(encoder.encode(`${rfc3339Nano(this.#now())} ${text}\n`));
    return this.#queue;
  }

  #write(bytes: Uint8Array): void {
    this.#queue = this.#queue.then(async () => {
      if (this.#closed) return;
      let offset = 0;
      while (offset < bytes.length) offset += await this.#file.write(bytes.subarray(offset));
    });
  }

  async close(): Promise<void> {
    await this.#queue;
    if (this.#closed) return;
    this.#closed = true;
    this.#file.close();
  }
}

const NEWLINE_BYTES = new Uint8Array([NEWLINE]);

function concat(...parts: Uint8Array[]): Uint8Array {
  let length = 0;
  for (const part of parts) length += part.length;
  const out = new Uint8Array(length);
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

/** Splits a stored line into its timestamp (ms since epoch) and the rest, without the newline. */
function parseLine(line: Uint8Array): { time: number; stampLength: number } {
  const space = line.indexOf(32);
  if (space <= 0) return { time: 0, stampLength: 0 };
  const stamp = new TextDecoder().decode(line.subarray(0, space));
  const time = Date.parse(stamp);
  return Number.isNaN(time) ? { time: 0, stampLength: 0 } : { time, stampLength: space + 1 };
}

/** Splits bytes into complete lines (each keeps its newline) and the unterminated rest. */
function splitLines(data: Uint8Array): { lines: Uint8Array[]; rest: Uint8Array } {
  const lines: Uint8Array[] = [];
  let start = 0;
  for (let i = data.indexOf(NEWLINE); i !== -1; i = data.indexOf(NEWLINE, start)) {
    lines.push(data.subarray(start, i + 1));
    start = i + 1;
  }
  return { lines, rest: data.subarray(start) };
}

export interface ReadLogFileOptions extends LogOptions {
  /** While following: whether more output may still come (the container has not finished). */
  active?: () => boolean;
  /** How often a follower looks for new output, ms. */
  pollMs?: number;
  now?: () => Date;
}

/**
 * Streams one log file with the kube `pods/log` options. Following ends once `active()` turns
 * false and the file is read to its end, or when the reader cancels.
 */
export function readLogFile(path: string, options: ReadLogFileOptions): ReadableStream<Uint8Array> {
  const pollMs = options.pollMs ?? 100;
  const now = options.now ?? (() => new Date());
  const since = options.sinceSeconds !== undefined
    ? now().getTime() - options.sinceSeconds * 1000
    : undefined;
  const render = (line: Uint8Array): Uint8Array | undefined => {
    const { time, stampLength } = parseLine(line);
    if (since !== undefined && time < since) return undefined;
    return options.timestamps ? line : line.subarray(stampLength);
  };
  let offset = 0;
  let rest = new Uint8Array(0);
  let cancelled = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let wake: (() => void) | undefined;

  const readNew = async (): Promise<Uint8Array[]> => {
    let file: Deno.FsFile;
    try {
      file = await Deno.open(path, { read: true });
    } catch {
      return [];
    }
    try {
      await file.seek(offset, Deno.SeekMode.Start);
      const chunks: Uint8Array[] = [];
      const buffer = new Uint8Array(64 * 1024);
      while (true) {
        const n = await file.read(buffer);
        if (n === null || n === 0) break;
        chunks.push(buffer.slice(0, n));
        offset += n;
      }
      const { lines, rest: tail } = splitLines(concat(rest, ...chunks));
      rest = tail.slice();
      return lines;
    } finally {
      file.close();
    }
  };

  return new ReadableStream<Uint8Array>({
    async start(controller) {
      let lines = await readNew();
      if (options.tailLines !== undefined) {
        const kept: Uint8Array[] = [];
        for (let i = lines.length - 1; i >= 0 && kept.length < options.tailLines; i--) {
          const rendered = render(lines[i]);
          if (rendered) kept.unshift(rendered);
        }
        lines = kept;
      } else {
        lines = lines.map(render).filter((line): line is Uint8Array => line !== undefined);
      }
      if (lines.length) controller.enqueue(concat(...lines));
      if (!options.follow) controller.close();
    },
    async pull(controller) {
      while (!cancelled) {
        const wasActive = options.active?.() ?? false;
        const lines = (await readNew()).map(render).filter((line): line is Uint8Array =>
          line !== undefined
        );
        if (cancelled) return;
        if (lines.length) {
          controller.enqueue(concat(...lines));
          return;
        }
        if (!wasActive) {
          if (rest.length) {
            const last = render(concat(rest, NEWLINE_BYTES));
            rest = new Uint8Array(0);
            if (last) controller.enqueue(last);
          }
          controller.close();
          return;
        }
        await new Promise<void>((resolve) => {
          wake = resolve;
          timer = setTimeout(resolve, pollMs);
        });
        wake = undefined;
      }
    },
    cancel() {
      cancelled = true;
      if (timer !== undefined) clearTimeout(timer);
      wake?.();
    },
  });
}
