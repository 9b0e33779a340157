/**
 * The executor's costs, each as a ratio to a floor measured in the same run:
 *
 * - emissary start-up: `exec/mod.ts emissary -- true` against `deno run` of an empty program;
 * - emissary streaming: 64 MiB of stdout through emissary (captured to the stdout and combined
 *   files) against the same bytes piped by `sh` into one file;
 * - packing an output artifact: tar.gz of 32 MiB in 64 files against `tar czf`.
 *
 * Run: `./argo-ts --deno run -A bench/exec.ts`. (Async, so not part of `bench/main.ts`.)
 */
import { tarGzToFile } from "../exec/tar.ts";
import { formatResult } from "./harness.ts";

const deno = Deno.execPath();
const mod = new URL("../exec/mod.ts", import.meta.url).pathname;
const dir = await Deno.makeTempDir({ prefix: "argo-ts-bench-exec-" });
const empty = `${dir}/empty.js`;
await Deno.writeTextFile(empty, "");

async function median(run: () => Promise<void>, rounds = 5): Promise<number> {
  await run();
  const times: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const start = performance.now();
    await run();
    times.push(performance.now() - start);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)];
}

async function exec(cmd: string, args: string[], env: Record<string, string> = {}) {
  const out = await new Deno.Command(cmd, { args, env, stdout: "null", stderr: "null" }).output();
  if (!out.success) throw new Error(`${cmd} ${args.join(" ")} failed`);
}

function report(name: string, oursMs: number, floorMs: number): void {
  console.log(formatResult({ name, oursMs, floorMs, ratio: oursMs / Math.max(floorMs, 1e-6) }));
}

const env = {
  ARGO_TS_EXEC_ROOT: dir,
  ARGO_TEMPLATE: "{}",
  ARGO_CONTAINER_NAME: "main",
  ARGO_INCLUDE_SCRIPT_OUTPUT: "true",
};
const ctr = `${dir}/var/run/argo/ctr/main`;
const clean = () => Deno.remove(ctr, { recursive: true }).catch(() => {});

try {
  report(
    "exec: emissary start-up",
    await median(async () => {
      await clean();
      await exec(deno, ["run", "-A", "--quiet", mod, "emissary", "--", "true"], env);
    }),
    await median(() => exec(deno, ["run", "--quiet", empty])),
  );

  const bytes = 64 * 1024 * 1024;
  const produce = `head -c ${bytes} /dev/zero`;
  report(
    "exec: emissary streams 64 MiB of stdout",
    await median(async () => {
      await clean();
      await exec(deno, ["run", "-A", "--quiet", mod, "emissary", "--", "sh", "-c", produce], env);
    }, 3),
    await median(() => exec("sh", ["-c", `${produce} | cat > ${dir}/floor.out`]), 3),
  );

  const src = `${dir}/src`;
  await Deno.mkdir(src);
  const chunk = crypto.getRandomValues(new Uint8Array(64 * 1024));
  for (let i = 0; i < 64; i++) {
    const file = await Deno.open(`${src}/f${i}`, { write: true, create: true });
    // Half random, half zeros: something for gzip to do.
    for (let j = 0; j < 4; j++) await file.write(chunk);
    await file.write(new Uint8Array(256 * 1024));
    file.close();
  }
  report(
    "exec: tar.gz of a 32 MiB output artifact",
    await median(() => tarGzToFile(src, `${dir}/ours.tgz`), 3),
    await median(() => exec("tar", ["czf", `${dir}/floor.tgz`, "-C", dir, "src"]), 3),
  );
} finally {
  await Deno.remove(dir, { recursive: true });
}
