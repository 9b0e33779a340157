/**
 * The template the executor runs (`ARGO_TEMPLATE` or `/var/run/argo/template`), the parts of it
 * the executor reads, and small path helpers.
 *
 * @module
 */
import type { Artifact, Template, VolumeMount } from "../api/types.gen.ts";

/** argo-ts's `filesystem` artifact location: the file lives at `<path>/<key>` on the node. */
export interface FilesystemLocation {
  path?: string;
  key?: string;
}

export type ExecArtifact = Artifact & { filesystem?: FilesystemLocation };

/** An error whose message is meant for the user (a node message), not a bug. */
export class ExecError extends Error {
  constructor(message: string, readonly notFound = false) {
    super(message);
  }
}

/** Parses the template JSON; a template that is not a JSON object is an error. */
export function parseTemplate(text: string, where: string): Template {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new ExecError(`failed to unmarshal template from ${where}: ${errorText(e)}`);
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new ExecError(`failed to unmarshal template from ${where}: not a JSON object`);
  }
  return value as Template;
}

export function inputArtifacts(t: Template): ExecArtifact[] {
  return (t.inputs?.artifacts ?? []) as ExecArtifact[];
}

export function outputArtifacts(t: Template): ExecArtifact[] {
  return (t.outputs?.artifacts ?? []) as ExecArtifact[];
}

/** Main's own volume mounts (the template's container or script). */
export function mainVolumeMounts(t: Template): VolumeMount[] {
  return t.container?.volumeMounts ?? t.script?.volumeMounts ?? [];
}

/** Argo's FindOverlappingVolume: the mount of main's that contains `path`, if any. */
export function overlappingMount(t: Template, path: string): VolumeMount | undefined {
  const p = normalizePath(path);
  let best: VolumeMount | undefined;
  for (const m of mainVolumeMounts(t)) {
    const mp = normalizePath(m.mountPath);
    if (p === mp || p.startsWith(mp === "/" ? "/" : `${mp}/`)) {
      if (!best || mp.length > normalizePath(best.mountPath).length) best = m;
    }
  }
  return best;
}

/** `/a/./b/../c` -> `/a/c`; never climbs above `/`. */
export function normalizePath(path: string): string {
  const parts: string[] = [];
  for (const part of path.split("/")) {
    if (part === "" || part === ".") continue;
    if (part === "..") parts.pop();
    else parts.push(part);
  }
  return `/${parts.join("/")}`;
}

/** `base` + absolute `path`, as Go's filepath.Join. */
export function joinUnder(base: string, path: string): string {
  const rest = normalizePath(path);
  return rest === "/" ? base : `${base.replace(/\/+$/, "")}${rest}`;
}

/**
 * A relative key inside a root: refuses absolute keys and keys that climb out with `..`.
 * Returns the normalized relative key.
 */
export function safeRelative(key: string, what: string): string {
  if (key.includes("\0")) throw new ExecError(`${what} "${key}" contains a NUL byte`);
  const parts: string[] = [];
  for (const part of key.split("/")) {
    if (part === "" || part === ".") continue;
    if (part === "..") {
      throw new ExecError(`${what} "${key}" must not contain ".."`);
    }
    parts.push(part);
  }
  if (parts.length === 0) throw new ExecError(`${what} "${key}" is empty`);
  return parts.join("/");
}

export function dirname(path: string): string {
  const i = path.replace(/\/+$/, "").lastIndexOf("/");
  if (i < 0) return ".";
  return i === 0 ? "/" : path.slice(0, i);
}

export function basename(path: string): string {
  const trimmed = path.replace(/\/+$/, "");
  return trimmed.slice(trimmed.lastIndexOf("/") + 1);
}

export function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

export async function exists(path: string): Promise<boolean> {
  try {
    await Deno.lstat(path);
    return true;
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return false;
    throw e;
  }
}

/** Writes a line to stderr (the executor's own log; stdout belongs to main). */
export function log(message: string): void {
  try {
    Deno.stderr.writeSync(new TextEncoder().encode(`${message}\n`));
  } catch {
    // stderr closed: nothing to do.
  }
}
