/**
 * Helpers for the executor's tests only: a scratch root for the contract's paths, hand-made
 * (possibly malicious) tar.gz files, and running `exec/mod.ts` as a real process.
 *
 * @module
 */
import { EXEC_ENV, type ExecLimits, type ExecPaths, pathsFromEnv } from "./contract.ts";

export const MOD = new URL("./mod.ts", import.meta.url).pathname;

export function testPaths(root: string): ExecPaths {
  return {
    ...pathsFromEnv((n) => (n === EXEC_ENV.root ? root : undefined)),
    serviceAccount: `${root}/serviceaccount`,
  };
}

export const TEST_LIMITS: ExecLimits = { maxArtifactBytes: 8 * 1024 * 1024, maxEntries: 1000 };

export function envOf(vars: Record<string, string>): (name: string) => string | undefined {
  return (name) => vars[name];
}

const encoder = new TextEncoder();

export interface TarSpec {
  name: string;
  /** "0" file, "5" dir, "2" symlink, "1" hard link. */
  type?: string;
  data?: string | Uint8Array;
  size?: number;
  linkname?: string;
}

function header(name: string, type: string, size: number, linkname: string): Uint8Array {
  const b = new Uint8Array(512);
  const put = (off: number, s: string) => b.set(encoder.encode(s), off);
  put(0, name);
  put(100, "0000644\0");
  put(108, "0000000\0");
  put(116, "0000000\0");
  put(124, size.toString(8).padStart(11, "0") + "\0");
  put(136, "00000000000\0");
  b.fill(32, 148, 156);
  put(156, type);
  put(157, linkname);
  put(257, "ustar\0");
  put(263, "00");
  let sum = 0;
  for (const x of b) sum += x;
  put(148, sum.toString(8).padStart(6, "0") + "\0 ");
  return b;
}

/** A tar stream of the given entries (data given, or `size` zero bytes generated lazily). */
export function tarStream(entries: TarSpec[]): ReadableStream<Uint8Array> {
  async function* gen(): AsyncGenerator<Uint8Array> {
    for (const e of entries) {
      const data = typeof e.data === "string" ? encoder.encode(e.data) : e.data;
      const size = data?.length ?? e.size ?? 0;
      yield header(e.name, e.type ?? "0", size, e.linkname ?? "");
      if (data) yield data;
      else {
        let left = size;
        const zeros = new Uint8Array(1024 * 1024);
        while (left > 0) {
          const n = Math.min(left, zeros.length);
          yield zeros.subarray(0, n);
          left -= n;
        }
      }
      const pad = (512 - (size % 512)) % 512;
      if (pad) yield new Uint8Array(pad);
    }
    yield new Uint8Array(1024);
  }
  return ReadableStream.from(gen());
}

/** Writes a tar.gz of the entries to `path`. */
export async function writeTarGz(path: string, entries: TarSpec[]): Promise<void> {
  const gz = new CompressionStream("gzip") as unknown as TransformStream<Uint8Array, Uint8Array>;
  const out = await Deno.open(path, { write: true, create: true, truncate: true });
  await tarStream(entries).pipeThrough(gz).pipeTo(out.writable);
}

/** Every file under `dir` (relative paths), sorted. */
export async function listTree(dir: string, prefix = ""): Promise<string[]> {
  const out: string[] = [];
  for await (const e of Deno.readDir(dir)) {
    const rel = prefix ? `${prefix}/${e.name}` : e.name;
    if (e.isDirectory) out.push(`${rel}/`, ...(await listTree(`${dir}/${e.name}`, rel)));
    else out.push(rel);
  }
  return out.sort();
}

function passThrough(): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of ["PATH", "HOME", "DENO_DIR", "XDG_CACHE_HOME"]) {
    const v = Deno.env.get(name);
    if (v !== undefined) out[name] = v;
  }
  return out;
}

/** Runs `deno run -A exec/mod.ts ...args` with exactly `env` (plus PATH). */
export function spawnExec(
  args: string[],
  env: Record<string, string>,
  stdout: "piped" | "null" = "piped",
): Deno.ChildProcess {
  return new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--quiet", MOD, ...args],
    env: { ...passThrough(), NO_COLOR: "1", ...env },
    clearEnv: true,
    stdin: "null",
    stdout,
    stderr: "piped",
  }).spawn();
}

export async function waitFor(check: () => Promise<boolean>, timeoutMs = 10_000) {
  const until = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > until) throw new Error("timed out waiting");
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** A zip file of `{name: data}` entries (a name ending in "/" is a directory), deflated. */
export async function writeZip(path: string, files: [string, Uint8Array | string][]) {
  const parts: Uint8Array[] = [];
  const central: Uint8Array[] = [];
  let offset = 0;
  for (const [name, content] of files) {
    const data = typeof content === "string" ? encoder.encode(content) : content;
    const deflate = new CompressionStream("deflate-raw") as unknown as TransformStream<
      Uint8Array,
      Uint8Array
    >;
    const packed = new Uint8Array(
      await new Response(ReadableStream.from([data]).pipeThrough(deflate)).arrayBuffer(),
    );
    const nameBytes = encoder.encode(name);
    const local = new Uint8Array(30 + nameBytes.length);
    const lv = new DataView(local.buffer);
    lv.setUint32(0, 0x04034b50, true);
    lv.setUint16(4, 20, true);
    lv.setUint16(8, 8, true);
    lv.setUint32(18, packed.length, true);
    lv.setUint32(22, data.length, true);
    lv.setUint16(26, nameBytes.length, true);
    local.set(nameBytes, 30);
    const cd = new Uint8Array(46 + nameBytes.length);
    const cv = new DataView(cd.buffer);
    cv.setUint32(0, 0x02014b50, true);
    cv.setUint16(4, 20, true);
    cv.setUint16(6, 20, true);
    cv.setUint16(10, 8, true);
    cv.setUint32(20, packed.length, true);
    cv.setUint32(24, data.length, true);
    cv.setUint16(28, nameBytes.length, true);
    cv.setUint32(42, offset, true);
    cd.set(nameBytes, 46);
    parts.push(local, packed);
    central.push(cd);
    offset += local.length + packed.length;
  }
  const dirSize = central.reduce((n, c) => n + c.length, 0);
  const eocd = new Uint8Array(22);
  const ev = new DataView(eocd.buffer);
  ev.setUint32(0, 0x06054b50, true);
  ev.setUint16(8, files.length, true);
  ev.setUint16(10, files.length, true);
  ev.setUint32(12, dirSize, true);
  ev.setUint32(16, offset, true);
  const out = await Deno.open(path, { write: true, create: true, truncate: true });
  for (const p of [...parts, ...central, eocd]) await writeAll(out, p);
  out.close();
}

async function writeAll(f: Deno.FsFile, data: Uint8Array): Promise<void> {
  let off = 0;
  while (off < data.length) off += await f.write(data.subarray(off));
}
