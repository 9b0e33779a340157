/**
 * Zip for `archive: zip` artifacts.
 *
 * Unpacking follows the tar unpacker's rules: names that are absolute or contain `..` are
 * refused, entries never pass through a link, the decompressed bytes are counted against the cap
 * while inflating. Stored and deflated entries only; no ZIP64, no encryption. Symbolic-link
 * entries are written as regular files (as Go's unzip).
 *
 * Packing streams each file through `deflate-raw` with a data descriptor (CRC-32 and sizes
 * after the data), so nothing is held in memory; symbolic links are left out; no ZIP64.
 *
 * @module
 */
import { ensureDirs, entryPath, writeAll } from "./tar.ts";
import { dirname, ExecError } from "./template.ts";

export interface ZipLimits {
  maxArtifactBytes: number;
  maxEntries: number;
}

const EOCD = 0x06054b50;
const CENTRAL = 0x02014b50;
const LOCAL = 0x04034b50;

interface ZipEntry {
  name: string;
  method: number;
  flags: number;
  compressedSize: number;
  size: number;
  localOffset: number;
}

async function readAt(file: Deno.FsFile, offset: number, length: number): Promise<Uint8Array> {
  await file.seek(offset, Deno.SeekMode.Start);
  const buf = new Uint8Array(length);
  let got = 0;
  while (got < length) {
    const n = await file.read(buf.subarray(got));
    if (n === null) break;
    got += n;
  }
  if (got < length) throw new ExecError("zip archive is truncated");
  return buf;
}

function entries(dir: Uint8Array, count: number): ZipEntry[] {
  const view = new DataView(dir.buffer, dir.byteOffset, dir.byteLength);
  const out: ZipEntry[] = [];
  let off = 0;
  for (let i = 0; i < count; i++) {
    if (off + 46 > dir.length || view.getUint32(off, true) !== CENTRAL) {
      throw new ExecError("zip archive has a corrupt central directory");
    }
    const nameLen = view.getUint16(off + 28, true);
    const extraLen = view.getUint16(off + 30, true);
    const commentLen = view.getUint16(off + 32, true);
    const e: ZipEntry = {
      flags: view.getUint16(off + 8, true),
      method: view.getUint16(off + 10, true),
      compressedSize: view.getUint32(off + 20, true),
      size: view.getUint32(off + 24, true),
      localOffset: view.getUint32(off + 42, true),
      name: new TextDecoder().decode(dir.subarray(off + 46, off + 46 + nameLen)),
    };
    if ([e.compressedSize, e.size, e.localOffset].includes(0xffffffff)) {
      throw new ExecError("ZIP64 archives are not supported");
    }
    out.push(e);
    off += 46 + nameLen + extraLen + commentLen;
  }
  return out;
}

/** Unpacks the zip file at `path` into `dest` (existing, empty). */
export async function unzipFile(path: string, dest: string, limits: ZipLimits): Promise<void> {
  const file = await Deno.open(path, { read: true });
  try {
    const size = (await file.stat()).size;
    const tailLen = Math.min(size, 22 + 65535);
    const tail = await readAt(file, size - tailLen, tailLen);
    const tv = new DataView(tail.buffer, tail.byteOffset, tail.byteLength);
    let eocd = -1;
    for (let i = tail.length - 22; i >= 0; i--) {
      if (tv.getUint32(i, true) === EOCD) {
        eocd = i;
        break;
      }
    }
    if (eocd < 0) throw new ExecError("not a zip archive (no end of central directory)");
    const count = tv.getUint16(eocd + 10, true);
    const dirSize = tv.getUint32(eocd + 12, true);
    const dirOffset = tv.getUint32(eocd + 16, true);
    if (count === 0xffff || dirOffset === 0xffffffff) {
      throw new ExecError("ZIP64 archives are not supported");
    }
    if (count > limits.maxEntries) {
      throw new ExecError(`archive has more than ${limits.maxEntries} entries`);
    }
    if (dirOffset + dirSize > size) throw new ExecError("zip archive is truncated");
    const list = entries(await readAt(file, dirOffset, dirSize), count);
    let total = 0;
    for (const e of list) {
      const rel = entryPath(e.name, { rejectBackslash: true });
      if (rel === "") continue;
      if (e.name.endsWith("/")) {
        await ensureDirs(dest, rel, e.name);
        continue;
      }
      if (e.flags & 1) throw new ExecError(`zip entry ${e.name} is encrypted`);
      if (e.method !== 0 && e.method !== 8) {
        throw new ExecError(`zip entry ${e.name} uses unsupported compression method ${e.method}`);
      }
      await ensureDirs(dest, dirname(rel) === "." ? "" : dirname(rel), e.name);
      const target = `${dest}/${rel}`;
      try {
        const info = await Deno.lstat(target);
        if (info.isSymlink || info.isDirectory) {
          throw new ExecError(`illegal file path: ${e.name} would replace a link or directory`);
        }
      } catch (err) {
        if (!(err instanceof Deno.errors.NotFound)) throw err;
      }
      const local = await readAt(file, e.localOffset, 30);
      const lv = new DataView(local.buffer);
      if (lv.getUint32(0, true) !== LOCAL) throw new ExecError("zip archive has a corrupt entry");
      const start = e.localOffset + 30 + lv.getUint16(26, true) + lv.getUint16(28, true);
      if (start + e.compressedSize > size) throw new ExecError("zip archive is truncated");
      total = await extract(file, start, e, target, total, limits.maxArtifactBytes);
    }
  } catch (e) {
    if (e instanceof TypeError) throw new ExecError(`zip archive is corrupt: ${e.message}`);
    throw e;
  } finally {
    file.close();
  }
}

async function extract(
  file: Deno.FsFile,
  start: number,
  e: ZipEntry,
  target: string,
  total: number,
  max: number,
): Promise<number> {
  let left = e.compressedSize;
  let pos = start;
  const raw = new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (left === 0) return controller.close();
      const n = Math.min(left, 64 * 1024);
      controller.enqueue(await readAt(file, pos, n));
      pos += n;
      left -= n;
    },
  });
  const stream = e.method === 8
    ? raw.pipeThrough(
      new DecompressionStream("deflate-raw") as unknown as TransformStream<Uint8Array, Uint8Array>,
    )
    : raw;
  const out = await Deno.open(target, { write: true, create: true, truncate: true, mode: 0o644 });
  try {
    for await (const chunk of stream) {
      total += chunk.length;
      if (total > max) {
        throw new ExecError(`archive unpacks to more than the limit of ${max} bytes`);
      }
      await writeAll(out, chunk);
    }
  } finally {
    out.close();
  }
  return total;
}

// ---------------------------------------------------------------------------------------------
// Writing (`archive: zip` output artifacts)

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

function crc32(crc: number, data: Uint8Array): number {
  let c = ~crc >>> 0;
  for (let i = 0; i < data.length; i++) c = CRC_TABLE[(c ^ data[i]) & 0xff] ^ (c >>> 8);
  return ~c >>> 0;
}

function dosTime(date: Date): { time: number; date: number } {
  const y = Math.max(1980, date.getFullYear());
  return {
    time: (date.getHours() << 11) | (date.getMinutes() << 5) | (date.getSeconds() >> 1),
    date: ((y - 1980) << 9) | ((date.getMonth() + 1) << 5) | date.getDate(),
  };
}

interface Written {
  name: Uint8Array;
  flags: number;
  method: number;
  time: number;
  date: number;
  crc: number;
  compressedSize: number;
  size: number;
  offset: number;
  mode: number;
}

const FLAG_DESCRIPTOR = 0x0008;
const FLAG_UTF8 = 0x0800;

/** Writes `source` (a file or directory, entries under its base name) as a zip file `dest`. */
export async function zipToFile(source: string, dest: string): Promise<void> {
  const out = await Deno.open(dest, { write: true, create: true, truncate: true, mode: 0o644 });
  const written: Written[] = [];
  let offset = 0;
  const put = async (data: Uint8Array) => {
    await writeAll(out, data);
    offset += data.length;
  };
  const top = source.replace(/\/+$/, "").split("/").pop() || "root";
  try {
    const walk = async (path: string, name: string): Promise<void> => {
      const info = await Deno.lstat(path);
      if (info.isDirectory) {
        await entry(`${name}/`, info, undefined);
        const children: string[] = [];
        for await (const c of Deno.readDir(path)) children.push(c.name);
        for (const c of children.sort()) await walk(`${path}/${c}`, `${name}/${c}`);
      } else if (info.isFile) {
        await entry(name, info, path);
      }
      // Symbolic links and special files are left out.
    };
    const entry = async (name: string, info: Deno.FileInfo, path: string | undefined) => {
      const { time, date } = dosTime(info.mtime ?? new Date(0));
      const w: Written = {
        name: new TextEncoder().encode(name),
        flags: FLAG_UTF8 | (path ? FLAG_DESCRIPTOR : 0),
        method: path ? 8 : 0,
        time,
        date,
        crc: 0,
        compressedSize: 0,
        size: 0,
        offset,
        mode: info.mode ?? (path ? 0o644 : 0o755),
      };
      const local = new Uint8Array(30 + w.name.length);
      const lv = new DataView(local.buffer);
      lv.setUint32(0, LOCAL, true);
      lv.setUint16(4, 20, true);
      lv.setUint16(6, w.flags, true);
      lv.setUint16(8, w.method, true);
      lv.setUint16(10, time, true);
      lv.setUint16(12, date, true);
      lv.setUint16(26, w.name.length, true);
      local.set(w.name, 30);
      await put(local);
      if (path) {
        const file = await Deno.open(path, { read: true });
        const counted = file.readable.pipeThrough(
          new TransformStream<Uint8Array, Uint8Array>({
            transform(chunk, controller) {
              w.crc = crc32(w.crc, chunk);
              w.size += chunk.length;
              controller.enqueue(chunk);
            },
          }),
        ).pipeThrough(
          new CompressionStream("deflate-raw") as unknown as TransformStream<
            Uint8Array,
            Uint8Array
          >,
        );
        for await (const chunk of counted) {
          w.compressedSize += chunk.length;
          await put(chunk);
        }
        if (w.size > 0xfffffffe || w.compressedSize > 0xfffffffe || offset > 0xfffffffe) {
          throw new ExecError("zip output artifacts larger than 4 GiB are not supported");
        }
        const desc = new Uint8Array(16);
        const dv = new DataView(desc.buffer);
        dv.setUint32(0, 0x08074b50, true);
        dv.setUint32(4, w.crc, true);
        dv.setUint32(8, w.compressedSize, true);
        dv.setUint32(12, w.size, true);
        await put(desc);
      }
      written.push(w);
    };
    await walk(source, top);
    const dirOffset = offset;
    for (const w of written) {
      const cd = new Uint8Array(46 + w.name.length);
      const cv = new DataView(cd.buffer);
      cv.setUint32(0, CENTRAL, true);
      cv.setUint16(4, (3 << 8) | 20, true); // made by Unix, version 2.0
      cv.setUint16(6, 20, true);
      cv.setUint16(8, w.flags, true);
      cv.setUint16(10, w.method, true);
      cv.setUint16(12, w.time, true);
      cv.setUint16(14, w.date, true);
      cv.setUint32(16, w.crc, true);
      cv.setUint32(20, w.compressedSize, true);
      cv.setUint32(24, w.size, true);
      cv.setUint16(28, w.name.length, true);
      cv.setUint32(38, ((w.mode & 0xffff) << 16) >>> 0, true);
      cv.setUint32(42, w.offset, true);
      cd.set(w.name, 46);
      await put(cd);
    }
    if (written.length > 0xfffe) throw new ExecError("zip output artifacts of 65535+ entries");
    const eocd = new Uint8Array(22);
    const ev = new DataView(eocd.buffer);
    ev.setUint32(0, EOCD, true);
    ev.setUint16(8, written.length, true);
    ev.setUint16(10, written.length, true);
    ev.setUint32(12, offset - dirOffset, true);
    ev.setUint32(16, dirOffset, true);
    await put(eocd);
  } finally {
    out.close();
  }
}
