/**
 * The S3 artifact driver (any S3-compatible server), through `minio`. Loaded only when an
 * artifact or the archive location is `s3` (`artifacts.ts` imports this module dynamically), so
 * pods without S3 artifacts never load minio.
 *
 * - endpoint `host[:port]` (no scheme, as Argo); `insecure: true` is plain HTTP;
 * - credentials from the mounted secret files (`accessKeySecret`, `secretKeySecret`,
 *   `sessionTokenSecret`), read when the client is made, never logged: error texts are scrubbed
 *   of them before they go anywhere;
 * - downloads are streamed to a file, counted against the artifact size cap; a key that is not
 *   an object but a prefix (`key/...`, as `archive: none` saves a directory) is downloaded as a
 *   directory tree, each object name checked as the unpacker checks entry names;
 * - uploads of unknown size (a tar.gz made on the fly) go as a stream in 16 MiB parts (minio
 *   needs a `stream.Readable` and a fixed `partSize`, or it sizes parts for 5 TiB); directories
 *   (`archive: none`) as one object per file under `key/`;
 * - network errors and 5xx answers are retried a few times with backoff, then reported with the
 *   endpoint and the cause.
 *
 * @module
 */
import { Client } from "minio";
import { Buffer } from "node:buffer";
import { Readable } from "node:stream";
import type { S3Artifact, SecretKeySelector } from "../api/types.gen.ts";
import { writeAll } from "./tar.ts";
import { dirname, ExecError, log, safeRelative } from "./template.ts";

/** minio's part size for uploads: what one upload may hold in memory at a time. */
export const S3_PART_SIZE = 16 * 1024 * 1024;

export interface S3Retry {
  attempts: number;
  baseMs: number;
}

export const DEFAULT_S3_RETRY: S3Retry = { attempts: 4, baseMs: 250 };

export interface S3Options {
  /** The resolved location: endpoint, bucket and key all set. */
  location: S3Artifact;
  readSecret: (sel: SecretKeySelector | undefined) => Promise<string | undefined>;
  retry?: S3Retry;
}

interface Limits {
  maxArtifactBytes: number;
  maxEntries: number;
}

const TRANSIENT_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ETIMEDOUT",
  "EPIPE",
  "EAI_AGAIN",
  "ENOTFOUND",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "InternalError",
  "ServiceUnavailable",
  "SlowDown",
  "RequestTimeout",
]);

const UNREACHABLE_CODES = new Set([
  "ECONNREFUSED",
  "ETIMEDOUT",
  "EAI_AGAIN",
  "ENOTFOUND",
  "EHOSTUNREACH",
  "ENETUNREACH",
]);

interface ErrorLike {
  code?: unknown;
  message?: unknown;
}

function codeOf(e: unknown): string | undefined {
  const code = (e as ErrorLike | null)?.code;
  return typeof code === "string" ? code : undefined;
}

/** `host[:port]`, as Argo's endpoint; anything else is refused. */
function parseEndpoint(endpoint: string): { host: string; port?: number } {
  const m = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+)(?::(\d{1,5}))?$/.exec(endpoint);
  if (!m) {
    throw new ExecError(
      `S3 endpoint "${endpoint}" is not host[:port] (give no scheme or path; ` +
        "use insecure: true for plain HTTP)",
    );
  }
  const port = m[2] === undefined ? undefined : Number(m[2]);
  if (port !== undefined && (port < 1 || port > 65535)) {
    throw new ExecError(`S3 endpoint "${endpoint}" has an invalid port`);
  }
  return { host: m[1].replace(/^\[|\]$/g, ""), port };
}

/** An S3 key, normalized; `..` and empty keys are refused (keys often become file paths). */
export function s3Key(key: string | undefined, what: string): string {
  if (!key) throw new ExecError(`${what}: the s3 location has no key`);
  return safeRelative(key, "s3 key");
}

/** One bucket on one endpoint, with the credentials read from the secret files. */
export class S3Store {
  readonly bucket: string;
  readonly endpoint: string;
  #client: Client;
  #secrets: string[];
  #retry: S3Retry;
  #location: S3Artifact;

  private constructor(location: S3Artifact, client: Client, secrets: string[], retry: S3Retry) {
    this.#location = location;
    this.bucket = location.bucket!;
    this.endpoint = location.endpoint!;
    this.#client = client;
    this.#secrets = secrets;
    this.#retry = retry;
  }

  static async open(opts: S3Options): Promise<S3Store> {
    const loc = opts.location;
    if (!loc.endpoint) throw new ExecError("the s3 location has no endpoint");
    if (!loc.bucket) throw new ExecError("the s3 location has no bucket");
    if (loc.caSecret) throw new ExecError("s3 caSecret is not supported by this executor yet");
    if (loc.roleARN) throw new ExecError("s3 roleARN is not supported by this executor yet");
    if (loc.encryptionOptions?.enableEncryption) {
      throw new ExecError("s3 encryptionOptions are not supported by this executor yet");
    }
    const { host, port } = parseEndpoint(loc.endpoint);
    const accessKey = (await opts.readSecret(loc.accessKeySecret))?.trim();
    const secretKey = (await opts.readSecret(loc.secretKeySecret))?.trim();
    const sessionToken = (await opts.readSecret(loc.sessionTokenSecret))?.trim();
    if (loc.useSDKCreds && !accessKey) {
      throw new ExecError(
        "s3 useSDKCreds (credentials from the environment or instance role) is not supported " +
          "by this executor yet; give accessKeySecret and secretKeySecret",
      );
    }
    const secrets = [accessKey, secretKey, sessionToken].filter((s): s is string =>
      s !== undefined && s.length >= 4
    );
    let client: Client;
    try {
      client = new Client({
        endPoint: host,
        port,
        useSSL: loc.insecure !== true,
        accessKey: accessKey ?? "",
        secretKey: secretKey ?? "",
        sessionToken: sessionToken || undefined,
        region: loc.region || undefined,
        pathStyle: loc.addressingStyle !== "virtual",
        partSize: S3_PART_SIZE,
      });
    } catch (e) {
      throw new ExecError(`invalid S3 settings: ${scrub(textOf(e), secrets)}`);
    }
    return new S3Store(loc, client, secrets, opts.retry ?? DEFAULT_S3_RETRY);
  }

  /** `s3://bucket/key`, for messages. */
  url(key: string): string {
    return `s3://${this.bucket}/${key}`;
  }

  /** Runs `fn`, retrying transient failures; errors become ExecErrors without secrets. */
  async #op<T>(what: string, fn: () => Promise<T>): Promise<T> {
    let attempt = 0;
    for (;;) {
      attempt++;
      try {
        return await fn();
      } catch (e) {
        if (e instanceof ExecError) throw e;
        const code = codeOf(e);
        if (code !== undefined && TRANSIENT_CODES.has(code) && attempt < this.#retry.attempts) {
          await new Promise((r) => setTimeout(r, this.#retry.baseMs * 2 ** (attempt - 1)));
          continue;
        }
        const why = scrub(textOf(e), this.#secrets);
        if (code !== undefined && UNREACHABLE_CODES.has(code)) {
          throw new ExecError(
            `${what}: cannot reach the S3 endpoint ${this.endpoint} ` +
              `(${why}; ${attempt} attempt${attempt === 1 ? "" : "s"})`,
          );
        }
        throw new ExecError(`${what}: ${why}`, code === "NoSuchKey" || code === "NoSuchBucket");
      }
    }
  }

  /** `createBucketIfNotPresent`: makes the bucket when it is not there. */
  async ensureBucket(): Promise<void> {
    if (!this.#location.createBucketIfNotPresent) return;
    await this.#op(`create bucket ${this.bucket}`, async () => {
      if (await this.#client.bucketExists(this.bucket)) return;
      try {
        await this.#client.makeBucket(
          this.bucket,
          this.#location.region || "us-east-1",
          this.#location.createBucketIfNotPresent?.objectLocking ? { ObjectLocking: true } : {},
        );
        log(`Created bucket ${this.bucket}`);
      } catch (e) {
        const code = codeOf(e);
        if (code === "BucketAlreadyOwnedByYou" || code === "BucketAlreadyExists") return;
        throw e;
      }
    });
  }

  /**
   * Downloads `key` to `dest`: the object to a file, or, when there is no such object but
   * objects under `key/`, the tree of them to a directory (returns true then).
   */
  async download(key: string, dest: string, limits: Limits): Promise<boolean> {
    try {
      await this.#op(`GET ${this.url(key)}`, () => this.#getToFile(key, dest, limits));
      return false;
    } catch (e) {
      if (!(e instanceof ExecError && e.notFound)) throw e;
      await Deno.remove(dest).catch(() => {});
    }
    const names = await this.#op(`list ${this.url(`${key}/`)}`, () => this.#list(key, limits));
    if (names.length === 0) {
      throw new ExecError(`key ${key} does not exist in bucket ${this.bucket}`, true);
    }
    await Deno.mkdir(dest, { mode: 0o755 });
    let total = 0;
    for (const name of names) {
      if (name === `${key}/`) continue; // a "folder" marker
      const rel = safeRelative(name.slice(key.length + 1), "s3 object name");
      const file = `${dest}/${rel}`;
      await makeDirsUnder(dest, dirname(rel) === "." ? "" : dirname(rel));
      if (name.endsWith("/")) {
        await makeDirsUnder(dest, rel);
        continue;
      }
      const got = await this.#op(
        `GET ${this.url(name)}`,
        () =>
          this.#getToFile(name, file, {
            ...limits,
            maxArtifactBytes: limits.maxArtifactBytes - total,
          }),
      );
      total += got;
    }
    return true;
  }

  async #list(key: string, limits: Limits): Promise<string[]> {
    const names: string[] = [];
    const stream = this.#client.listObjectsV2(this.bucket, `${key}/`, true);
    for await (const item of stream as AsyncIterable<{ name?: string }>) {
      if (!item.name) continue;
      names.push(item.name);
      if (names.length > limits.maxEntries) {
        stream.destroy();
        throw new ExecError(`${this.url(`${key}/`)} holds more than ${limits.maxEntries} objects`);
      }
    }
    return names.sort();
  }

  /** Streams one object into a file (created or truncated); returns its size. */
  async #getToFile(key: string, file: string, limits: Limits): Promise<number> {
    const body = await this.#client.getObject(this.bucket, key);
    const out = await Deno.open(file, { write: true, create: true, truncate: true, mode: 0o644 });
    let total = 0;
    try {
      for await (const chunk of body as AsyncIterable<Uint8Array>) {
        total += chunk.length;
        if (total > limits.maxArtifactBytes) {
          throw new ExecError(
            `GET ${this.url(key)}: the artifact is larger than the limit of ` +
              `${limits.maxArtifactBytes} bytes`,
          );
        }
        await writeAll(out, chunk);
      }
    } finally {
      body.destroy();
      out.close();
    }
    return total;
  }

  /** Uploads a file of known size. */
  async putFile(key: string, path: string): Promise<void> {
    await this.#op(`PUT ${this.url(key)}`, async () => {
      await this.#client.fPutObject(this.bucket, key, path, {});
    });
  }

  /** Uploads a stream of unknown size (made again by `make` on a retry). */
  async putStream(key: string, make: () => ReadableStream<Uint8Array>): Promise<void> {
    await this.#op(`PUT ${this.url(key)}`, async () => {
      const source = make();
      const readable = Readable.from(asBuffers(source), { objectMode: false });
      try {
        await this.#client.putObject(this.bucket, key, readable);
      } finally {
        readable.destroy();
      }
    });
  }

  /**
   * Uploads a directory as one object per regular file under `key/` (Argo's PutDirectory).
   * Symbolic links are left out (a link could point anywhere on the node).
   */
  async putTree(key: string, dir: string, rel = ""): Promise<number> {
    let count = 0;
    const entries: Deno.DirEntry[] = [];
    for await (const e of Deno.readDir(rel ? `${dir}/${rel}` : dir)) entries.push(e);
    entries.sort((a, b) => a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
    for (const e of entries) {
      const childRel = rel ? `${rel}/${e.name}` : e.name;
      if (e.isSymlink) {
        log(`Leaving out symbolic link ${childRel}: not uploaded to S3`);
      } else if (e.isDirectory) {
        count += await this.putTree(key, dir, childRel);
      } else if (e.isFile) {
        await this.putFile(`${key}/${childRel}`, `${dir}/${childRel}`);
        count++;
      }
    }
    return count;
  }
}

async function* asBuffers(stream: ReadableStream<Uint8Array>): AsyncGenerator<Buffer> {
  for await (const chunk of stream) {
    yield Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  }
}

/** mkdir -p of `rel` under `root`, refusing to pass through anything but real directories. */
async function makeDirsUnder(root: string, rel: string): Promise<void> {
  let cur = root;
  for (const part of rel.split("/").filter((p) => p !== "")) {
    cur = `${cur}/${part}`;
    let info: Deno.FileInfo | undefined;
    try {
      info = await Deno.lstat(cur);
    } catch (e) {
      if (!(e instanceof Deno.errors.NotFound)) throw e;
    }
    if (info === undefined) await Deno.mkdir(cur, { mode: 0o755 });
    else if (!info.isDirectory) {
      throw new ExecError(`s3 objects conflict: ${rel} is both a file and a directory`);
    }
  }
}

function textOf(e: unknown): string {
  const err = e as ErrorLike | null;
  const message = typeof err?.message === "string" ? err.message : String(e);
  const code = codeOf(e);
  return code && !message.includes(code) ? `${code}: ${message}` : message;
}

/** Removes every credential value from a text meant for a log or a node message. */
export function scrub(text: string, secrets: string[]): string {
  let out = text;
  for (const s of secrets) out = out.split(s).join("***");
  return out;
}
