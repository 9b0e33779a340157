import assert from "node:assert/strict";
import { bwrapArgs, cleanPath, type HostFs } from "./sandbox.ts";

/** A fake host: `/usr` (with bin, lib), `/bin -> usr/bin`, `/etc` (with ssl, passwd). */
const fakeHost: HostFs = {
  stat(path) {
    const entries: Record<string, { kind: "dir" | "file" | "symlink"; target?: string }> = {
      "/usr": { kind: "dir" },
      "/usr/bin": { kind: "dir" },
      "/usr/lib": { kind: "dir" },
      "/bin": { kind: "symlink", target: "usr/bin" },
      "/etc": { kind: "dir" },
      "/etc/ssl": { kind: "dir" },
      "/etc/passwd": { kind: "file" },
      "/etc/hosts": { kind: "file" },
      "/opt/deno": { kind: "dir" },
    };
    return entries[path];
  },
  readDir(path) {
    return path === "/etc" ? ["hosts", "passwd", "ssl"] : [];
  },
};

Deno.test("bwrapArgs: tmpfs root, host dirs read-only, symlinks kept, private /tmp", () => {
  const args = bwrapArgs({
    hostDirs: ["/usr", "/bin", "/lib32", "/etc"],
    readOnlyBinds: ["/opt/deno", "/usr/bin"],
    mounts: [],
    command: ["sh", "-c", "true"],
  }, fakeHost);
  assert.deepEqual(args, [
    "--die-with-parent",
    "--unshare-pid",
    "--tmpfs",
    "/",
    "--ro-bind",
    "/usr",
    "/usr",
    "--symlink",
    "usr/bin",
    "/bin",
    "--ro-bind",
    "/etc",
    "/etc",
    "--proc",
    "/proc",
    "--dev",
    "/dev",
    "--tmpfs",
    "/tmp",
    "--ro-bind",
    "/opt/deno",
    "/opt/deno",
    "--",
    "sh",
    "-c",
    "true",
  ]);
});

Deno.test("bwrapArgs: a mount point missing under a read-only dir splits that dir", () => {
  const args = bwrapArgs({
    hostDirs: ["/usr", "/etc"],
    readOnlyBinds: [],
    mounts: [
      { source: "/state/v/cm", target: "/etc/app/", readOnly: true },
      { source: "/state/v/work", target: "/work/out", readOnly: false },
      { source: "/state/v/w", target: "/work", readOnly: false },
      { source: "/state/v/ssl", target: "/etc/ssl", readOnly: true },
    ],
    workingDir: "/work/out",
    hostname: "pod-1",
    command: ["true"],
  }, fakeHost).join(" ");
  assert.match(args, /--unshare-uts --hostname pod-1/);
  assert.match(
    args,
    /--ro-bind \/usr \/usr --dir \/etc --ro-bind \/etc\/hosts \/etc\/hosts --ro-bind \/etc\/passwd \/etc\/passwd --ro-bind \/etc\/ssl \/etc\/ssl --proc/,
  );
  // Shallow mounts first, so /work/out lands inside /work.
  assert.match(
    args,
    /--tmpfs \/tmp --bind \/state\/v\/w \/work --ro-bind \/state\/v\/cm \/etc\/app --bind \/state\/v\/work \/work\/out --ro-bind \/state\/v\/ssl \/etc\/ssl --dir \/work\/out --chdir \/work\/out -- true$/,
  );
});

Deno.test("cleanPath normalizes", () => {
  assert.equal(cleanPath("/a//b/./c/../d/"), "/a/b/d");
  assert.equal(cleanPath("/"), "/");
});
