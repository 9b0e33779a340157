/**
 * Streaming tar.gz for artifacts: packing a file or directory (entries named after its base
 * name, as Argo's `TarGzToWriter`), and a careful unpacker.
 *
 * The unpacker refuses, rather than skips, anything that would land outside the target
 * directory: absolute names, `..`, entries that pass through a symbolic link, symbolic links
 * that point outside, hard links to anything but a regular file already unpacked. It counts
 * the bytes it decompresses and stops past the cap (a decompression bomb never reaches the
 * disk), and it caps the number of entries. Device files and FIFOs are skipped.
 *
 * Hand-written over Web Streams (`CompressionStream`, `DecompressionStream`): the executor
 * starts in every pod, and refusing (not stripping) unsafe entries and counting decompressed
 * bytes are exactly the parts a general-purpose library does differently.
 *
 * @module
 */
import { basename, dirname, ExecError } from "./template.ts";

const BLOCK = 512;
const encoder = new TextEncoder();
const decoder = new TextDecoder();

export interface UnpackLimits {
  maxArtifactBytes: number;
  maxEntries: number;
}

/** Web compression streams, typed for byte streams. */
function gunzip(): TransformStream<Uint8Array, Uint8Array> {
  return new DecompressionStream("gzip") as unknown as TransformStream<Uint8Array, Uint8Array>;
}

function gzip(): TransformStream<Uint8Array, Uint8Array> {
  return new CompressionStream("gzip") as unknown as TransformStream<Uint8Array, Uint8Array>;
}

// ---------------------------------------------------------------------------------------------
// Reading

/** Pulls exact byte counts from a stream, counting everything it pulls. */
class ByteReader {
  #reader: ReadableStreamDefaultReader<Uint8Array>;
  #chunk: Uint8Array = new Uint8Array(0);
  #offset = 0;
  total = 0;

  constructor(stream: ReadableStream<Uint8Array>, readonly maxBytes: number) {
    this.#reader = stream.getReader();
  }

  /** The next bytes, at most `max`; empty at the end of the stream. */
  async next(max: number): Promise<Uint8Array> {
    if (this.#offset >= this.#chunk.length) {
      const { done, value } = await this.#reader.read();
      if (done) return new Uint8Array(0);
      this.#chunk = value;
      this.#offset = 0;
    }
    const n = Math.min(max, this.#chunk.length - this.#offset);
    const out = this.#chunk.subarray(this.#offset, this.#offset + n);
    this.#offset += n;
    this.total += n;
    if (this.total > this.maxBytes) {
      throw new ExecError(`archive unpacks to more than the limit of ${this.maxBytes} bytes`);
    }
    return out;
  }

  /** Exactly `n` bytes, or fewer at the end of the stream. */
  async exact(n: number): Promise<Uint8Array> {
    const out = new Uint8Array(n);
    let got = 0;
    while (got < n) {
      const part = await this.next(n - got);
      if (part.length === 0) return out.subarray(0, got);
      out.set(part, got);
      got += part.length;
    }
    return out;
  }

  /** Streams `n` bytes to `sink` (or drops them). */
  async copy(n: number, sink?: Deno.FsFile): Promise<void> {
    let left = n;
    while (left > 0) {
      const part = await this.next(left);
      if (part.length === 0) throw new ExecError("archive is truncated");
      if (sink) await writeAll(sink, part);
      left -= part.length;
    }
  }

  async cancel(): Promise<void> {
    try {
      await this.#reader.cancel();
    } catch {
      // already failed or closed
    }
  }
}

export async function writeAll(file: Deno.FsFile | typeof Deno.stdout, data: Uint8Array) {
  let off = 0;
  while (off < data.length) off += await file.write(data.subarray(off));
}

interface Header {
  name: string;
  type: string;
  size: number;
  mode: number;
  linkname: string;
  mtime: number;
}

function field(block: Uint8Array, off: number, len: number): string {
  const raw = block.subarray(off, off + len);
  const end = raw.indexOf(0);
  return decoder.decode(end < 0 ? raw : raw.subarray(0, end));
}

function numeric(block: Uint8Array, off: number, len: number): number {
  const raw = block.subarray(off, off + len);
  if (raw[0] & 0x80) {
    // base-256 (GNU): big-endian, first byte's high bit set.
    let n = raw[0] & 0x7f;
    for (let i = 1; i < raw.length; i++) n = n * 256 + raw[i];
    if (!Number.isSafeInteger(n)) throw new ExecError("archive has an invalid number field");
    return n;
  }
  const text = field(block, off, len).trim();
  if (text === "") return 0;
  if (!/^[0-7]+$/.test(text)) throw new ExecError("archive has an invalid header");
  return parseInt(text, 8);
}

function checksumOk(block: Uint8Array): boolean {
  const stored = field(block, 148, 8).trim();
  if (!/^[0-7]+$/.test(stored)) return false;
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 32 : block[i];
  return sum === parseInt(stored, 8);
}

function parseHeader(block: Uint8Array): Header {
  if (!checksumOk(block)) throw new ExecError("archive is not a valid tar file (bad checksum)");
  let name = field(block, 0, 100);
  const magic = field(block, 257, 6);
  if (magic.startsWith("ustar")) {
    const prefix = field(block, 345, 155);
    if (prefix) name = `${prefix}/${name}`;
  }
  return {
    name,
    type: String.fromCharCode(block[156] || 48),
    size: numeric(block, 124, 12),
    mode: numeric(block, 100, 8),
    linkname: field(block, 157, 100),
    mtime: numeric(block, 136, 12),
  };
}

function parsePax(data: Uint8Array): Map<string, string> {
  const out = new Map<string, string>();
  let off = 0;
  while (off < data.length) {
    const space = data.indexOf(32, off);
    if (space < 0) break;
    const len = parseInt(decoder.decode(data.subarray(off, space)), 10);
    if (!Number.isSafeInteger(len) || len <= 0 || off + len > data.length) {
      throw new ExecError("archive has an invalid pax header");
    }
    const record = decoder.decode(data.subarray(space + 1, off + len - 1));
    const eq = record.indexOf("=");
    if (eq > 0) out.set(record.slice(0, eq), record.slice(eq + 1));
    off += len;
  }
  return out;
}

const padding = (size: number) => (BLOCK - (size % BLOCK)) % BLOCK;

/** Header parts (pax, GNU long names) are small; refuse big ones. */
const MAX_META_BYTES = 1024 * 1024;

/**
 * Relative, normalized entry path; refuses absolute paths and `..`. Zip names may not hold `\`
 * either (some writers use it as a separator), so zip passes `rejectBackslash`.
 */
export function entryPath(name: string, options: { rejectBackslash?: boolean } = {}): string {
  if (name.includes("\0") || (options.rejectBackslash && name.includes("\\"))) {
    throw new ExecError(`illegal file path: ${JSON.stringify(name)}`);
  }
  if (name.startsWith("/")) throw new ExecError(`illegal file path: ${name} (absolute)`);
  const parts: string[] = [];
  for (const part of name.split("/")) {
    if (part === "" || part === ".") continue;
    if (part === "..") throw new ExecError(`illegal file path: ${name} (contains "..")`);
    parts.push(part);
  }
  return parts.join("/");
}

/**
 * Makes `rel`'s parent directories under `root`, refusing to pass through anything but real
 * directories (a symbolic link planted by an earlier entry must not redirect later ones).
 */
export async function ensureDirs(root: string, rel: string, entryName: string): Promise<void> {
  let cur = root;
  for (const part of rel.split("/").filter((p) => p !== "")) {
    cur = `${cur}/${part}`;
    let info: Deno.FileInfo | undefined;
    try {
      info = await Deno.lstat(cur);
    } catch (e) {
      if (!(e instanceof Deno.errors.NotFound)) throw e;
    }
    if (info === undefined) {
      await Deno.mkdir(cur, { mode: 0o755 });
    } else if (info.isSymlink) {
      throw new ExecError(`illegal file path: ${entryName} passes through a symbolic link`);
    } else if (!info.isDirectory) {
      throw new ExecError(`illegal file path: ${entryName} passes through a file`);
    }
  }
}

async function lstatOrUndefined(path: string): Promise<Deno.FileInfo | undefined> {
  try {
    return await Deno.lstat(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return undefined;
    throw e;
  }
}

/**
 * Unpacks a gzip'd tar stream into `dest` (which must exist and be empty). On any refusal or
 * error the caller should remove `dest`.
 */
export async function untarGz(
  source: ReadableStream<Uint8Array>,
  dest: string,
  limits: UnpackLimits,
): Promise<void> {
  const r = new ByteReader(source.pipeThrough(gunzip()), limits.maxArtifactBytes);
  try {
    await untarFrom(r, dest, limits);
  } catch (e) {
    if (e instanceof ExecError) throw e;
    if (e instanceof TypeError) {
      throw new ExecError(`archive is not a valid tar.gz file: ${e.message}`);
    }
    throw e;
  } finally {
    await r.cancel();
  }
}

async function untarFrom(r: ByteReader, dest: string, limits: UnpackLimits): Promise<void> {
  let entries = 0;
  let longName: string | undefined;
  let longLink: string | undefined;
  let pax = new Map<string, string>();
  for (;;) {
    const block = await r.exact(BLOCK);
    if (block.length === 0) return; // no end marker: accept, as Go's reader does at EOF
    if (block.length < BLOCK) throw new ExecError("archive is truncated");
    if (block.every((b) => b === 0)) return; // end of archive
    const h = parseHeader(block);
    if (h.type === "x" || h.type === "g" || h.type === "L" || h.type === "K") {
      if (h.size > MAX_META_BYTES) throw new ExecError("archive has an oversized header");
      const data = await r.exact(h.size);
      if (data.length < h.size) throw new ExecError("archive is truncated");
      await r.copy(padding(h.size));
      if (h.type === "x") pax = parsePax(data);
      else if (h.type === "L") longName = field(data, 0, data.length);
      else if (h.type === "K") longLink = field(data, 0, data.length);
      continue;
    }
    if (++entries > limits.maxEntries) {
      throw new ExecError(`archive has more than ${limits.maxEntries} entries`);
    }
    const name = pax.get("path") ?? longName ?? h.name;
    const linkname = pax.get("linkpath") ?? longLink ?? h.linkname;
    const paxSize = pax.get("size");
    const size = paxSize !== undefined ? Number(paxSize) : h.size;
    if (!Number.isSafeInteger(size) || size < 0) throw new ExecError("archive has a bad size");
    pax = new Map();
    longName = undefined;
    longLink = undefined;

    const rel = entryPath(name);
    const target = rel === "" ? dest : `${dest}/${rel}`;
    let consumed = false;
    switch (h.type) {
      case "0":
      case "7": {
        if (rel === "") throw new ExecError(`illegal file path: ${name}`);
        await ensureDirs(dest, dirname(rel) === "." ? "" : dirname(rel), name);
        const existing = await lstatOrUndefined(target);
        if (existing?.isSymlink || existing?.isDirectory) {
          throw new ExecError(`illegal file path: ${name} would replace a link or directory`);
        }
        const file = await Deno.open(target, {
          write: true,
          create: true,
          truncate: true,
          mode: (h.mode & 0o777) | 0o600,
        });
        try {
          await r.copy(size, file);
        } finally {
          file.close();
        }
        consumed = true;
        await Deno.chmod(target, (h.mode & 0o777) || 0o644);
        if (h.mtime > 0) await Deno.utime(target, h.mtime, h.mtime).catch(() => {});
        break;
      }
      case "5":
        await ensureDirs(dest, rel, name);
        break;
      case "2": {
        if (rel === "") throw new ExecError(`illegal file path: ${name}`);
        if (linkname.startsWith("/")) {
          throw new ExecError(`illegal symlink target: ${name} -> ${linkname}`);
        }
        const parent = dirname(rel) === "." ? "" : dirname(rel);
        const resolved = resolveInside(parent, linkname);
        if (resolved === undefined) {
          throw new ExecError(`illegal symlink target: ${name} -> ${linkname}`);
        }
        await ensureDirs(dest, parent, name);
        if (await lstatOrUndefined(target)) {
          throw new ExecError(`illegal file path: ${name} already exists`);
        }
        await Deno.symlink(linkname, target);
        break;
      }
      case "1": {
        if (rel === "") throw new ExecError(`illegal file path: ${name}`);
        const linkRel = resolveInside("", linkname);
        if (linkRel === undefined || linkname.startsWith("/")) {
          throw new ExecError(`illegal hard link target: ${name} -> ${linkname}`);
        }
        const source = `${dest}/${linkRel}`;
        await ensureDirs(dest, dirname(linkRel) === "." ? "" : dirname(linkRel), name);
        const info = await lstatOrUndefined(source);
        if (!info?.isFile) {
          throw new ExecError(`illegal hard link target: ${name} -> ${linkname}`);
        }
        await ensureDirs(dest, dirname(rel) === "." ? "" : dirname(rel), name);
        if (await lstatOrUndefined(target)) {
          throw new ExecError(`illegal file path: ${name} already exists`);
        }
        await Deno.link(source, target);
        break;
      }
      default:
        // Character and block devices, FIFOs and unknown types are skipped, as Argo does.
        break;
    }
    if (!consumed) await r.copy(size);
    await r.copy(padding(size));
  }
}

/** Joins a relative link target to a relative directory; undefined when it climbs out. */
function resolveInside(dir: string, link: string): string | undefined {
  const parts = dir === "" ? [] : dir.split("/");
  for (const part of link.split("/")) {
    if (part === "" || part === ".") continue;
    if (part === "..") {
      if (parts.length === 0) return undefined;
      parts.pop();
    } else parts.push(part);
  }
  return parts.join("/");
}

/**
 * Argo's isTarball: a gzip stream whose first block is a valid tar header. Reads at most the
 * first decompressed block.
 */
export async function isTarGz(path: string): Promise<boolean> {
  const head = new Uint8Array(2);
  const f = await Deno.open(path, { read: true });
  try {
    const n = await f.read(head);
    if (n !== 2 || head[0] !== 0x1f || head[1] !== 0x8b) return false;
  } finally {
    f.close();
  }
  const file = await Deno.open(path, { read: true });
  const r = new ByteReader(file.readable.pipeThrough(gunzip()), BLOCK);
  try {
    const block = await r.exact(BLOCK);
    return block.length === BLOCK && checksumOk(block);
  } catch {
    return false;
  } finally {
    await r.cancel();
  }
}

// ---------------------------------------------------------------------------------------------
// Writing

function octal(value: number, len: number): string {
  return value.toString(8).padStart(len - 1, "0");
}

function putString(block: Uint8Array, off: number, len: number, value: string): void {
  const bytes = encoder.encode(value);
  block.set(bytes.subarray(0, len), off);
}

function paxRecord(key: string, value: string): Uint8Array {
  const body = ` ${key}=${value}\n`;
  const bodyLen = encoder.encode(body).length;
  let len = bodyLen + String(bodyLen).length;
  while (bodyLen + String(len).length !== len) len = bodyLen + String(len).length;
  return encoder.encode(`${len}${body}`);
}

function header(
  name: string,
  type: string,
  size: number,
  mode: number,
  mtime: number,
  linkname = "",
): Uint8Array[] {
  const out: Uint8Array[] = [];
  const records: Uint8Array[] = [];
  const ascii = (s: string) => /^[\x20-\x7e]*$/.test(s);
  if (encoder.encode(name).length > 100 || !ascii(name)) records.push(paxRecord("path", name));
  if (encoder.encode(linkname).length > 100 || !ascii(linkname)) {
    records.push(paxRecord("linkpath", linkname));
  }
  if (size > 0o77777777777) records.push(paxRecord("size", String(size)));
  if (records.length > 0) {
    const data = concat(records);
    out.push(rawHeader("PaxHeaders/" + basename(name).slice(0, 80), "x", data.length, 0o644, 0));
    out.push(data, new Uint8Array(padding(data.length)));
  }
  out.push(
    rawHeader(
      ascii(name) ? name.slice(0, 100) : "",
      type,
      size > 0o77777777777 ? 0 : size,
      mode,
      mtime,
      ascii(linkname) ? linkname.slice(0, 100) : "",
    ),
  );
  return out;
}

function rawHeader(
  name: string,
  type: string,
  size: number,
  mode: number,
  mtime: number,
  linkname = "",
): Uint8Array {
  const b = new Uint8Array(BLOCK);
  putString(b, 0, 100, name);
  putString(b, 100, 8, octal(mode & 0o7777, 8));
  putString(b, 108, 8, octal(0, 8));
  putString(b, 116, 8, octal(0, 8));
  putString(b, 124, 12, octal(size, 12));
  putString(b, 136, 12, octal(Math.max(0, Math.floor(mtime)), 12));
  b.fill(32, 148, 156);
  putString(b, 156, 1, type);
  putString(b, 157, 100, linkname);
  putString(b, 257, 6, "ustar");
  putString(b, 263, 2, "00");
  let sum = 0;
  for (const byte of b) sum += byte;
  putString(b, 148, 8, `${octal(sum, 7)}\0`);
  return b;
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

/** The tar stream of `source` (a file or directory), entries under its base name. */
async function* tarEntries(source: string): AsyncGenerator<Uint8Array> {
  const top = basename(source) || "root";
  yield* entry(source, top);
  yield new Uint8Array(BLOCK * 2);
}

async function* entry(path: string, name: string): AsyncGenerator<Uint8Array> {
  const info = await Deno.lstat(path);
  const mtime = (info.mtime?.getTime() ?? 0) / 1000;
  const mode = info.mode ?? 0o644;
  if (info.isSymlink) {
    yield* header(name, "2", 0, mode, mtime, await Deno.readLink(path));
  } else if (info.isDirectory) {
    yield* header(`${name}/`, "5", 0, mode, mtime);
    const children: string[] = [];
    for await (const child of Deno.readDir(path)) children.push(child.name);
    children.sort();
    for (const child of children) yield* entry(`${path}/${child}`, `${name}/${child}`);
  } else if (info.isFile) {
    const size = info.size;
    yield* header(name, "0", size, mode, mtime);
    const file = await Deno.open(path, { read: true });
    let left = size;
    try {
      const buf = new Uint8Array(64 * 1024);
      while (left > 0) {
        const n = await file.read(buf.subarray(0, Math.min(buf.length, left)));
        if (n === null) break;
        left -= n;
        yield buf.slice(0, n);
      }
    } finally {
      file.close();
    }
    // The file shrank while being read: keep the archive well-formed.
    if (left > 0) yield new Uint8Array(left);
    yield new Uint8Array(padding(size));
  }
  // Sockets, FIFOs and devices are left out.
}

/** `source` (a file or directory) as a tar.gz stream, read as it is consumed. */
export function tarGzStream(source: string): ReadableStream<Uint8Array> {
  return ReadableStream.from(tarEntries(source)).pipeThrough(gzip());
}

/** Streams `source` as tar.gz into the file `dest` (created or truncated). */
export async function tarGzToFile(source: string, dest: string): Promise<void> {
  const stream = tarGzStream(source);
  const out = await Deno.open(dest, { write: true, create: true, truncate: true, mode: 0o644 });
  await stream.pipeTo(out.writable);
}
