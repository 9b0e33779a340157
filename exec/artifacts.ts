/**
 * Artifact drivers of the executor: loading input artifacts (`raw`, `http`, `s3`, argo-ts's
 * `filesystem` repository) and saving output artifacts to the `s3` or `filesystem` repository.
 *
 * A `filesystem` location `{path: <root>, key: <key>}` names `<root>/<key>` on the node; a
 * location with only a key takes the root from the template's `archiveLocation`. An `s3`
 * location with only a key likewise takes endpoint, bucket and credentials from it. The S3
 * driver (`s3.ts`, with minio) is imported only when an S3 location is used.
 *
 * @module
 */
import type { S3Artifact, SecretKeySelector, Template } from "../api/types.gen.ts";
import type { ExecLimits, ExecPaths } from "./contract.ts";
import { isTarGz, tarGzStream, tarGzToFile, untarGz, writeAll } from "./tar.ts";
import { unzipFile, zipToFile } from "./zip.ts";
import {
  basename,
  dirname,
  errorText,
  type ExecArtifact,
  ExecError,
  exists,
  type FilesystemLocation,
  joinUnder,
  log,
  overlappingMount,
  safeRelative,
} from "./template.ts";

export interface ArtifactContext {
  paths: ExecPaths;
  limits: ExecLimits;
  template: Template;
  /** Retries of S3 requests (tests shorten them). */
  s3Retry?: { attempts: number; baseMs: number };
}

const LOCATION_KEYS = [
  "artifactory",
  "azure",
  "gcs",
  "git",
  "hdfs",
  "http",
  "oss",
  "plugin",
  "raw",
  "s3",
  "filesystem",
] as const;

/** Argo's HasLocationOrKey. */
export function hasLocationOrKey(art: ExecArtifact): boolean {
  const obj = art as unknown as Record<string, unknown>;
  return LOCATION_KEYS.some((k) => obj[k] !== undefined && obj[k] !== null);
}

function locationKind(art: ExecArtifact): string | undefined {
  const obj = art as unknown as Record<string, unknown>;
  return LOCATION_KEYS.find((k) => obj[k] !== undefined && obj[k] !== null);
}

function checkName(name: string): void {
  if (!name || name === "." || name === ".." || /[/\0]/.test(name)) {
    throw new ExecError(`artifact name ${JSON.stringify(name)} is not a valid file name`);
  }
}

/** The repository file of a filesystem location, with the key inside the root. */
function filesystemTarget(
  loc: FilesystemLocation,
  template: Template,
  what: string,
): { root: string; key: string; file: string } {
  const archive = (template.archiveLocation as { filesystem?: FilesystemLocation } | undefined)
    ?.filesystem;
  const root = loc.path || archive?.path;
  if (!root) throw new ExecError(`${what}: the filesystem location has no path`);
  if (!loc.key) throw new ExecError(`${what}: the filesystem location has no key`);
  const key = safeRelative(loc.key, "artifact key");
  return { root, key, file: `${root.replace(/\/+$/, "")}/${key}` };
}

/** The template's `archiveLocation.s3`, when the default repository is S3. */
function archiveS3(template: Template): S3Artifact | undefined {
  return template.archiveLocation?.s3 ?? undefined;
}

/**
 * An artifact's S3 location made whole: a location without endpoint or bucket (key-only) takes
 * everything but the key from the archive location, as Argo does.
 */
function resolveS3(own: S3Artifact | undefined, template: Template, what: string): S3Artifact {
  if (own?.endpoint && own.bucket) return own;
  const archive = archiveS3(template);
  if (!archive?.endpoint || !archive.bucket) {
    throw new ExecError(
      `${what}: the s3 location names no endpoint and bucket, and the template's ` +
        "archiveLocation has no s3 repository to take them from",
    );
  }
  const { key: _key, ...repository } = archive;
  return { ...repository, ...(own?.key ? { key: own.key } : {}) };
}

async function openS3(ctx: ArtifactContext, location: S3Artifact) {
  const { S3Store } = await import("./s3.ts");
  return await S3Store.open({
    location,
    readSecret: (sel: SecretKeySelector | undefined) => readSecret(ctx, sel),
    retry: ctx.s3Retry,
  });
}

async function removeQuietly(path: string): Promise<void> {
  try {
    await Deno.remove(path, { recursive: true });
  } catch {
    // not there
  }
}

// ---------------------------------------------------------------------------------------------
// Loading (init)

/** Loads one input artifact where main will see it; optional missing artifacts are skipped. */
export async function loadArtifact(ctx: ArtifactContext, art: ExecArtifact): Promise<void> {
  if (!hasLocationOrKey(art)) {
    if (art.optional) {
      log(`Ignoring optional artifact '${art.name}' which was not supplied`);
      return;
    }
    throw new ExecError(`required artifact '${art.name}' not supplied`, true);
  }
  checkName(art.name);
  if (!art.path) throw new ExecError(`inputs.artifacts.${art.name} did not specify a path`);
  const dest = overlappingMount(ctx.template, art.path)
    ? joinUnder(ctx.paths.mainFs, art.path)
    : `${ctx.paths.inputArtifacts}/${art.name}`;
  await Deno.mkdir(dirname(dest), { recursive: true });
  const tmp = `${dest}.tmp`;
  const tmpDir = `${dest}.tmpdir`;
  await removeQuietly(tmp);
  await removeQuietly(tmpDir);
  try {
    const isDir = await download(ctx, art, tmp);
    await unarchive(ctx, art, tmp, tmpDir, dest, isDir);
    if (art.mode !== undefined) await chmod(dest, art.mode, art.recurseMode ?? false);
  } catch (e) {
    await removeQuietly(tmp);
    await removeQuietly(tmpDir);
    if (e instanceof ExecError && e.notFound && art.optional) {
      log(`Skipping optional input artifact '${art.name}' that was not found`);
      return;
    }
    if (e instanceof ExecError || e instanceof Deno.errors.PermissionDenied) {
      throw new ExecError(`artifact ${art.name} failed to load: ${errorText(e)}`, false);
    }
    throw e;
  }
  log(`Successfully loaded artifact '${art.name}'`);
}

/** Fetches the artifact to `tmp`; true when what arrived is a directory (filesystem only). */
async function download(ctx: ArtifactContext, art: ExecArtifact, tmp: string): Promise<boolean> {
  const kind = locationKind(art);
  if (art.raw) {
    await Deno.writeTextFile(tmp, art.raw.data ?? "", { mode: 0o644 });
    return false;
  }
  if (art.http) {
    await httpDownload(ctx, art, tmp);
    return false;
  }
  if (art.filesystem) {
    // `subPath` picks a path inside an artifact saved with `archive: none` (Argo appends it
    // to the key).
    const loc = art.subPath
      ? { ...art.filesystem, key: `${art.filesystem.key ?? ""}/${art.subPath}` }
      : art.filesystem;
    const { file } = filesystemTarget(loc, ctx.template, `artifact ${art.name}`);
    let info: Deno.FileInfo;
    try {
      info = await Deno.stat(file);
    } catch (e) {
      if (e instanceof Deno.errors.NotFound) {
        throw new ExecError(`key ${loc.key} does not exist in the repository`, true);
      }
      throw e;
    }
    if (info.isDirectory) {
      await copyTree(file, tmp, file);
      return true;
    }
    if (info.size > ctx.limits.maxArtifactBytes) {
      throw new ExecError(`artifact is larger than the limit of ${ctx.limits.maxArtifactBytes}`);
    }
    await Deno.copyFile(file, tmp);
    return false;
  }
  if (art.s3) {
    const location = resolveS3(art.s3, ctx.template, `artifact ${art.name}`);
    const { s3Key } = await import("./s3.ts");
    let key = s3Key(location.key, `artifact ${art.name}`);
    if (art.subPath) key = s3Key(`${key}/${art.subPath}`, `artifact ${art.name}`);
    const store = await openS3(ctx, location);
    return await store.download(key, tmp, ctx.limits);
  }
  throw new ExecError(
    `the ${kind} artifact driver is not supported by this executor yet ` +
      `(raw, http, s3 and filesystem are)`,
  );
}

async function unarchive(
  ctx: ArtifactContext,
  art: ExecArtifact,
  tmp: string,
  tmpDir: string,
  dest: string,
  isDir: boolean,
): Promise<void> {
  const archive = art.archive;
  let kind: "tar" | "zip" | "none";
  if (isDir || archive?.none) kind = "none";
  else if (archive?.tar) kind = "tar";
  else if (archive?.zip) kind = "zip";
  // Auto-detection looks for tar.gz only, as Argo (zip is never guessed).
  else kind = await isTarGz(tmp) ? "tar" : "none";
  if (kind === "none") {
    await removeQuietly(dest);
    await Deno.rename(tmp, dest);
    return;
  }
  await Deno.mkdir(tmpDir, { recursive: true });
  if (kind === "zip") {
    await unzipFile(tmp, tmpDir, ctx.limits);
  } else {
    const file = await Deno.open(tmp, { read: true });
    await untarGz(file.readable, tmpDir, ctx.limits);
  }
  await Deno.remove(tmp);
  const names: string[] = [];
  for await (const e of Deno.readDir(tmpDir)) names.push(e.name);
  await removeQuietly(dest);
  if (names.length === 1) {
    await Deno.rename(`${tmpDir}/${names[0]}`, dest);
    await Deno.remove(tmpDir);
  } else {
    await Deno.rename(tmpDir, dest);
  }
}

async function chmod(path: string, mode: number, recurse: boolean): Promise<void> {
  await Deno.chmod(path, mode);
  if (!recurse) return;
  const info = await Deno.lstat(path);
  if (!info.isDirectory) return;
  for await (const e of Deno.readDir(path)) {
    if (e.isSymlink) continue;
    await chmod(`${path}/${e.name}`, mode, true);
  }
}

function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    u.username = "";
    u.password = "";
    u.search = "";
    return u.toString();
  } catch {
    return "<invalid URL>";
  }
}

async function readSecret(
  ctx: ArtifactContext,
  sel: { name?: string; key: string } | undefined | null,
): Promise<string | undefined> {
  if (!sel?.name || !sel.key) return undefined;
  const name = safeRelative(sel.name, "secret name");
  const key = safeRelative(sel.key, "secret key");
  try {
    return await Deno.readTextFile(`${ctx.paths.secrets}/${name}/${key}`);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) {
      throw new ExecError(`secret ${sel.name} has no key ${sel.key} mounted`);
    }
    throw e;
  }
}

async function httpDownload(ctx: ArtifactContext, art: ExecArtifact, tmp: string) {
  const http = art.http!;
  const shown = redactUrl(http.url);
  const headers = new Headers();
  for (const h of http.headers ?? []) headers.set(h.name, h.value);
  const auth = http.auth;
  if (auth?.basicAuth) {
    const user = await readSecret(ctx, auth.basicAuth.usernameSecret) ?? "";
    const pass = await readSecret(ctx, auth.basicAuth.passwordSecret) ?? "";
    const bytes = new TextEncoder().encode(`${user}:${pass}`);
    headers.set("Authorization", `Basic ${btoa(String.fromCharCode(...bytes))}`);
  } else if (auth?.oauth2 || auth?.clientCert) {
    throw new ExecError("http artifacts with oauth2 or clientCert auth are not supported yet");
  }
  const res = await fetchFollowing(http.url, headers, shown);
  if (!res.ok) {
    await res.body?.cancel();
    throw new ExecError(`GET ${shown}: ${res.status} ${res.statusText}`, res.status === 404);
  }
  const max = ctx.limits.maxArtifactBytes;
  const declared = Number(res.headers.get("content-length") ?? "NaN");
  if (declared > max) {
    await res.body?.cancel();
    throw new ExecError(`GET ${shown}: the artifact is larger than the limit of ${max} bytes`);
  }
  const out = await Deno.open(tmp, { write: true, create: true, truncate: true, mode: 0o644 });
  let total = 0;
  try {
    if (res.body) {
      for await (const chunk of res.body) {
        total += chunk.length;
        if (total > max) {
          throw new ExecError(
            `GET ${shown}: the artifact is larger than the limit of ${max} bytes`,
          );
        }
        await writeAll(out, chunk);
      }
    }
  } finally {
    out.close();
  }
}

const MAX_REDIRECTS = 10;

/**
 * GET with redirects followed by hand: credentials (Authorization, Cookie) are dropped when a
 * redirect leaves the original host, as Go's HTTP client does.
 */
async function fetchFollowing(url: string, headers: Headers, shown: string): Promise<Response> {
  let current = url;
  const origin = safeHost(url);
  for (let hop = 0; hop <= MAX_REDIRECTS; hop++) {
    if (safeHost(current) !== origin) {
      headers.delete("authorization");
      headers.delete("cookie");
    }
    let res: Response;
    try {
      res = await fetch(current, { headers, redirect: "manual" });
    } catch (e) {
      throw new ExecError(`GET ${shown}: ${fetchFailure(e)}`);
    }
    const location = res.headers.get("location");
    if (res.status < 300 || res.status >= 400 || !location) return res;
    await res.body?.cancel();
    current = new URL(location, current).toString();
  }
  throw new ExecError(`GET ${shown}: stopped after ${MAX_REDIRECTS} redirects`);
}

/**
 * Why a fetch failed, in a few words. The error's own text is never used: it repeats the URL,
 * with its user info and query string.
 */
function fetchFailure(e: unknown): string {
  const texts: string[] = [];
  for (let cur: unknown = e, depth = 0; cur instanceof Error && depth < 5; depth++) {
    texts.push(cur.message);
    cur = cur.cause;
  }
  const all = texts.join(" ");
  const known: [RegExp, string][] = [
    [/connection refused/i, "connection refused"],
    [/dns error|failed to lookup|name or service not known/i, "host name not found"],
    [/timed? ?out/i, "timed out"],
    [/connection reset/i, "connection reset"],
    [/certificate|tls|ssl/i, "TLS error"],
    [/are blocked/i, "the port is blocked"],
  ];
  const found = known.find(([re]) => re.test(all));
  const kind = e instanceof Error ? e.name : "Error";
  return found ? `cannot reach the server (${found[1]})` : `request failed (${kind})`;
}

function safeHost(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return "";
  }
}

/**
 * Copies a directory tree; symbolic links are kept only when they stay inside `root`
 * (anything else is refused).
 */
async function copyTree(src: string, dst: string, root: string): Promise<void> {
  const info = await Deno.lstat(src);
  if (info.isSymlink) {
    const target = await Deno.readLink(src);
    const resolved = target.startsWith("/") ? target : `${dirname(src)}/${target}`;
    const norm = joinUnder("", resolved);
    if (norm !== root && !norm.startsWith(`${root}/`)) {
      throw new ExecError(`illegal symlink target: ${src.slice(root.length + 1)} -> ${target}`);
    }
    await Deno.symlink(target, dst);
  } else if (info.isDirectory) {
    await Deno.mkdir(dst, { mode: info.mode ?? 0o755 });
    for await (const e of Deno.readDir(src)) {
      await copyTree(`${src}/${e.name}`, `${dst}/${e.name}`, root);
    }
  } else if (info.isFile) {
    await Deno.copyFile(src, dst);
  }
}

// ---------------------------------------------------------------------------------------------
// Saving (wait)

/**
 * Saves one output artifact to the filesystem repository; returns the artifact with its
 * location, or undefined for an optional artifact that does not exist.
 */
export async function saveArtifact(
  ctx: ArtifactContext,
  art: ExecArtifact,
): Promise<ExecArtifact | undefined> {
  try {
    return await save(ctx, art);
  } catch (e) {
    if (e instanceof ExecError && e.notFound && art.optional) {
      log(`Ignoring optional artifact '${art.name}' which does not exist in path ${art.path}`);
      return undefined;
    }
    if (e instanceof ExecError) {
      throw new ExecError(`failed to save output artifact ${art.name}: ${e.message}`, e.notFound);
    }
    throw e;
  }
}

async function save(ctx: ArtifactContext, art: ExecArtifact): Promise<ExecArtifact> {
  checkName(art.name);
  if (!art.path) throw new ExecError(`outputs.artifacts.${art.name} did not specify a path`);
  const none = art.archive?.none !== undefined && art.archive?.none !== null;
  const zip = !none && art.archive?.zip !== undefined && art.archive?.zip !== null;
  const format = none ? "none" : zip ? "zip" : "tar";
  const fileName = none ? basename(art.path) : zip ? `${art.name}.zip` : `${art.name}.tgz`;

  // Where the artifact goes: its own location, else the archive location's key + file name.
  const archive = ctx.template.archiveLocation as
    | { filesystem?: FilesystemLocation; s3?: S3Artifact }
    | undefined;
  const other = hasLocationOrKey(art) ? locationKind(art) : undefined;
  if (other && other !== "filesystem" && other !== "s3") {
    throw new ExecError(`the ${other} artifact driver is not supported by this executor yet`);
  }
  const useS3 = art.s3 ? true : art.filesystem ? false : archive?.s3 !== undefined;
  if (!useS3 && !art.filesystem?.key && !archive?.filesystem?.key) {
    throw new ExecError(
      "no artifact repository to save to: the template's archiveLocation has no " +
        "s3 or filesystem location",
    );
  }

  // Where the artifact is: main's volume (via /mainctrfs), else emissary's tarball.
  const mounted = overlappingMount(ctx.template, art.path)
    ? joinUnder(ctx.paths.mainFs, art.path)
    : undefined;
  const tarball = `${joinUnder(`${ctx.paths.varRunArgo}/outputs/artifacts`, art.path)}.tgz`;
  if (!(await exists(mounted ?? tarball))) {
    throw new ExecError(`${art.path} no such file or directory`, true);
  }
  const source: Source = { mounted, tarball, limits: ctx.limits };

  if (useS3) {
    const location = resolveS3(art.s3, ctx.template, `artifact ${art.name}`);
    const { s3Key } = await import("./s3.ts");
    const key = art.s3?.key
      ? s3Key(art.s3.key, `artifact ${art.name}`)
      : s3Key(`${archive?.s3?.key ?? ""}/${fileName}`, `artifact ${art.name}`);
    const store = await openS3(ctx, location);
    await store.ensureBucket();
    await saveToS3(store, key, format, source);
    log(`Saved artifact '${art.name}' to ${store.url(key)}`);
    const { s3: own, filesystem: _fs, ...rest } = art;
    // Saved to the default repository: the key alone (Argo's key-only artifact), so that no
    // repository detail is copied into the workflow's status.
    const reported: S3Artifact = own?.endpoint && own.bucket ? { ...own, key } : { key };
    return { ...rest, s3: reported };
  }

  const loc: FilesystemLocation = art.filesystem?.key ? art.filesystem : {
    path: archive?.filesystem?.path,
    key: `${(archive?.filesystem?.key ?? "").replace(/\/+$/, "")}/${fileName}`,
  };
  const target = filesystemTarget(loc, ctx.template, `artifact ${art.name}`);
  await Deno.mkdir(dirname(target.file), { recursive: true });
  const staging = `${target.file}.saving-${crypto.randomUUID()}`;
  try {
    if (format === "tar" && !mounted) await Deno.copyFile(tarball, staging);
    else {
      await withItem(source, async (item) => {
        if (format === "zip") await zipToFile(item, staging);
        else if (format === "none") await copyTree(item, staging, item);
        else await tarGzToFile(item, staging);
      });
    }
    await removeQuietly(target.file);
    await Deno.rename(staging, target.file);
  } catch (e) {
    await removeQuietly(staging);
    throw e;
  }
  log(`Saved artifact '${art.name}' to ${target.key}`);
  const { filesystem: _fs, ...rest } = art;
  return { ...rest, filesystem: { path: target.root, key: target.key } };
}

/** An output artifact's content: on main's volume, or in emissary's tarball. */
interface Source {
  mounted?: string;
  tarball: string;
  limits: ExecLimits;
}

/** Runs `fn` on the artifact as a path: main's volume, or emissary's tarball unpacked. */
async function withItem(source: Source, fn: (item: string) => Promise<void>): Promise<void> {
  if (source.mounted) return await fn(source.mounted);
  const tmpDir = await Deno.makeTempDir({ prefix: "argo-ts-out-" });
  try {
    const file = await Deno.open(source.tarball, { read: true });
    await untarGz(file.readable, tmpDir, source.limits);
    const names: string[] = [];
    for await (const e of Deno.readDir(tmpDir)) names.push(e.name);
    await fn(names.length === 1 ? `${tmpDir}/${names[0]}` : tmpDir);
  } finally {
    await removeQuietly(tmpDir);
  }
}

type S3StoreOf = Awaited<ReturnType<typeof openS3>>;

async function saveToS3(
  store: S3StoreOf,
  key: string,
  format: "tar" | "zip" | "none",
  source: Source,
): Promise<void> {
  if (format === "tar") {
    // emissary's tarball has a known size; a path on main's volume is packed while uploading.
    if (source.mounted) await store.putStream(key, () => tarGzStream(source.mounted!));
    else await store.putFile(key, source.tarball);
    return;
  }
  await withItem(source, async (item) => {
    if (format === "none") {
      const info = await Deno.stat(item);
      if (info.isDirectory) await store.putTree(key, item);
      else await store.putFile(key, item);
      return;
    }
    const tmpDir = await Deno.makeTempDir({ prefix: "argo-ts-zip-" });
    try {
      await zipToFile(item, `${tmpDir}/artifact.zip`);
      await store.putFile(key, `${tmpDir}/artifact.zip`);
    } finally {
      await removeQuietly(tmpDir);
    }
  });
}

/** Whether main's log is archived (`archiveLocation.archiveLogs`, resolved by the engine). */
export function archiveLogs(template: Template): boolean {
  return template.archiveLocation?.archiveLogs === true;
}

/** Saves main's combined output as the artifact `main-logs` (`<archive key>/main.log`). */
export async function saveMainLog(ctx: ArtifactContext, combined: string): Promise<ExecArtifact> {
  const s3 = archiveS3(ctx.template);
  if (s3) {
    const location = resolveS3(undefined, ctx.template, "main-logs");
    const { s3Key } = await import("./s3.ts");
    const key = s3Key(`${s3.key ?? ""}/main.log`, "main-logs");
    const store = await openS3(ctx, location);
    await store.ensureBucket();
    if (await exists(combined)) await store.putFile(key, combined);
    else await store.putStream(key, () => ReadableStream.from<Uint8Array>([]));
    return { name: "main-logs", s3: { key } };
  }
  const archive = (ctx.template.archiveLocation as { filesystem?: FilesystemLocation } | undefined)
    ?.filesystem;
  if (!archive?.key) {
    throw new ExecError(
      "failed to save main's log: the archiveLocation has no s3 or filesystem location",
    );
  }
  const loc = { path: archive.path, key: `${archive.key.replace(/\/+$/, "")}/main.log` };
  const target = filesystemTarget(loc, ctx.template, "main-logs");
  await Deno.mkdir(dirname(target.file), { recursive: true });
  const staging = `${target.file}.saving-${crypto.randomUUID()}`;
  try {
    if (await exists(combined)) await Deno.copyFile(combined, staging);
    else await Deno.writeTextFile(staging, "");
    await Deno.rename(staging, target.file);
  } catch (e) {
    await removeQuietly(staging);
    throw e;
  }
  return { name: "main-logs", filesystem: { path: target.root, key: target.key } };
}
