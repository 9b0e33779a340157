/**
 * The bubblewrap command line for one container: a writable tmpfs root, the host's directories
 * bound read-only into it, `/proc`, `/dev`, a private `/tmp`, a PID namespace, and the pod's
 * volumes at their mount paths.
 *
 * bubblewrap 0.8 (Debian 12) has no overlay, and a bind onto a path missing under a read-only bind
 * fails (bwrap cannot create the mount point). So the root is a tmpfs, and a host directory that
 * would have to hold a new mount point is not bound whole: it becomes a directory in the tmpfs with
 * each of its entries bound one by one, recursively along the mount path ("split").
 */

/** One mount into the sandbox, in the order it is applied. */
export interface SandboxMount {
  /** Host path (a directory or a file). */
  source: string;
  /** Path inside the sandbox. */
  target: string;
  readOnly: boolean;
}

export interface SandboxSpec {
  /** Host directories bound read-only at the same path (symlinks are recreated as symlinks). */
  hostDirs: string[];
  /** Extra host paths bound read-only at the same path (the Deno binary's directory, the repo). */
  readOnlyBinds: string[];
  /** Volume mounts, any order; they are applied shallowest first. */
  mounts: SandboxMount[];
  workingDir?: string;
  hostname?: string;
  command: string[];
}

/** What the planner needs from the host file system (injectable for tests). */
export interface HostFs {
  /** "dir", "file", "symlink" (with its target) or undefined when missing. */
  stat(path: string): { kind: "dir" | "file" | "symlink"; target?: string } | undefined;
  readDir(path: string): string[];
}

export const realHostFs: HostFs = {
  stat(path) {
    try {
      const info = Deno.lstatSync(path);
      if (info.isSymlink) return { kind: "symlink", target: Deno.readLinkSync(path) };
      return { kind: info.isDirectory ? "dir" : "file" };
    } catch {
      return undefined;
    }
  },
  readDir(path) {
    try {
      return [...Deno.readDirSync(path)].map((entry) => entry.name).sort();
    } catch {
      return [];
    }
  },
};

/** The default host directories a program needs: binaries, libraries, and `/etc`. */
export const DEFAULT_HOST_DIRS = [
  "/usr",
  "/bin",
  "/sbin",
  "/lib",
  "/lib32",
  "/lib64",
  "/libx32",
  "/etc",
];

function under(path: string, dir: string): boolean {
  return dir === "/" || path === dir || path.startsWith(dir.endsWith("/") ? dir : `${dir}/`);
}

/** Normalizes an absolute path: no trailing slash, no `.`/`..` or empty segments. */
export function cleanPath(path: string): string {
  const parts: string[] = [];
  for (const segment of path.split("/")) {
    if (segment === "" || segment === ".") continue;
    if (segment === "..") parts.pop();
    else parts.push(segment);
  }
  return `/${parts.join("/")}`;
}

/**
 * Builds bwrap's arguments (without the `bwrap` itself). Host directories missing on this host are
 * skipped; a symlinked one (`/bin -> usr/bin`) becomes `--symlink`.
 */
export function bwrapArgs(spec: SandboxSpec, fs: HostFs = realHostFs): string[] {
  const args = ["--die-with-parent", "--unshare-pid", "--tmpfs", "/"];
  if (spec.hostname) args.push("--unshare-uts", "--hostname", spec.hostname);
  const targets = spec.mounts.map((mount) => cleanPath(mount.target));
  if (spec.workingDir) targets.push(cleanPath(spec.workingDir));
  const bound: string[] = [];
  const bindHost = (path: string, ro: "--ro-bind") => {
    const info = fs.stat(path);
    if (!info) return;
    if (info.kind === "symlink") {
      args.push("--symlink", info.target ?? "", path);
      return;
    }
    // A mount point missing on the host under this path would need a mkdir inside a read-only
    // bind: split this directory into a tmpfs directory plus one bind per entry.
    const needsSplit = info.kind === "dir" &&
      targets.some((target) => under(target, path) && target !== path && !fs.stat(target));
    if (!needsSplit) {
      args.push(ro, path, path);
      bound.push(path);
      return;
    }
    args.push("--dir", path);
    for (const name of fs.readDir(path)) {
      bindHost(path === "/" ? `/${name}` : `${path}/${name}`, ro);
    }
  };
  for (const dir of spec.hostDirs) bindHost(cleanPath(dir), "--ro-bind");
  // After the private /tmp, so that an extra bind under /tmp is not hidden by it.
  args.push("--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp");
  for (const extra of spec.readOnlyBinds) {
    const path = cleanPath(extra);
    if (bound.some((dir) => under(path, dir))) continue;
    bindHost(path, "--ro-bind");
  }
  const mounts = spec.mounts
    .map((mount) => ({ ...mount, target: cleanPath(mount.target) }))
    .sort((a, b) => a.target.split("/").length - b.target.split("/").length);
  for (const mount of mounts) {
    args.push(mount.readOnly ? "--ro-bind" : "--bind", mount.source, mount.target);
  }
  if (spec.workingDir) {
    const dir = cleanPath(spec.workingDir);
    const inHostDir = bound.some((hostDir) => under(dir, hostDir));
    if (!inHostDir) args.push("--dir", dir);
    args.push("--chdir", dir);
  }
  args.push("--", ...spec.command);
  return args;
}
