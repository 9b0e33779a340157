/**
 * The executor's costs, each as a ratio to a floor measured in the same run:
 *
 * - emissary start-up: `exec/mod.ts emissary -- true` against `deno run` of an empty program;
 * - emissary streaming: 64 MiB of stdout through emissary (captured to the stdout and combined
 *   files) against the same bytes piped by `sh` into one file;
 * - packing an output artifact: tar.gz of 32 MiB in 64 files against `tar czf`;
 * - artifact upload + download of a 200 MiB directory (200 files, half random, half zeros)
 *   through the filesystem repository and through S3 (s3rver, a separate process on
 *   127.0.0.1), as the executor does it (wait's save: tar.gz streamed from main's volume;
 *   init's load: fetch then unpack), against `tar czf` of the directory plus a plain `cp -r`
 *   of it. Throughput in MiB/s is printed too. `--quick` skips the 200 MiB part.
 *
 * Run: `./argo-ts --deno run -A bench/exec.ts`. (Async, so not part of `bench/main.ts`.)
 */
import { loadArtifact, saveArtifact } from "../exec/artifacts.ts";
import { tarGzToFile } from "../exec/tar.ts";
import { pathsFromEnv } from "../exec/contract.ts";
import type { Template } from "../api/types.gen.ts";
import type { ExecArtifact } from "../exec/template.ts";
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
  if (!Deno.args.includes("--quick")) await artifactThroughput();
} finally {
  await Deno.remove(dir, { recursive: true });
}

/** Starts s3rver (tests/s3rver.ts) as its own process; resolves to its endpoint. */
async function startS3rverProcess(bucket: string) {
  const script = new URL("../tests/s3rver.ts", import.meta.url).pathname;
  const child = new Deno.Command(deno, {
    args: ["run", "-A", "--quiet", script, bucket],
    stdout: "piped",
    stderr: "null",
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  while (!text.includes("\n")) {
    const { done, value } = await reader.read();
    if (done) throw new Error("s3rver did not start");
    text += value;
  }
  reader.releaseLock();
  child.stdout.cancel().catch(() => {});
  return { endpoint: text.trim(), stop: () => child.kill("SIGTERM") };
}

async function artifactThroughput(): Promise<void> {
  const mib = 200;
  const data = `${dir}/big/work/data`;
  await Deno.mkdir(data, { recursive: true });
  const half = new Uint8Array(512 * 1024);
  for (let i = 0; i < mib; i++) {
    for (let off = 0; off < half.length; off += 65536) {
      crypto.getRandomValues(half.subarray(off, off + 65536));
    }
    const file = await Deno.open(`${data}/f${i}`, { write: true, create: true });
    await file.write(half);
    await file.write(new Uint8Array(512 * 1024));
    file.close();
  }
  const root = `${dir}/big/root`;
  await Deno.mkdir(`${root}/mainctrfs`, { recursive: true });
  await Deno.symlink(`${dir}/big/work`, `${root}/mainctrfs/work`);
  await Deno.mkdir(`${root}/argo/secret/cred`, { recursive: true });
  await Deno.writeTextFile(`${root}/argo/secret/cred/a`, "S3RVER");
  await Deno.writeTextFile(`${root}/argo/secret/cred/s`, "S3RVER");
  const paths = pathsFromEnv((n) => (n === "ARGO_TS_EXEC_ROOT" ? root : undefined));
  const limits = { maxArtifactBytes: 16 * 1024 ** 3, maxEntries: 1_000_000 };
  const container = { image: "x", volumeMounts: [{ name: "work", mountPath: "/work" }] };
  const s3 = await startS3rverProcess("bench");
  const inputs = `${root}/argo/inputs/artifacts`;
  try {
    const repositories = {
      filesystem: { filesystem: { path: `${dir}/big/repo`, key: "wf/pod" } },
      s3: {
        s3: {
          endpoint: s3.endpoint,
          bucket: "bench",
          insecure: true,
          region: "us-east-1",
          key: "wf/pod",
          accessKeySecret: { name: "cred", key: "a" },
          secretKeySecret: { name: "cred", key: "s" },
        },
      },
    };
    const floorUp = await median(
      () => exec("tar", ["czf", `${dir}/big/floor.tgz`, "-C", `${dir}/big/work`, "data"]),
      2,
    );
    const floorDown = await median(async () => {
      await Deno.remove(`${dir}/big/copy`, { recursive: true }).catch(() => {});
      await exec("cp", ["-r", data, `${dir}/big/copy`]);
    }, 2);
    for (const [kind, archiveLocation] of Object.entries(repositories)) {
      const template = { archiveLocation, container } as unknown as Template;
      const ctx = { paths, limits, template };
      let saved: ExecArtifact | undefined;
      const up = await median(async () => {
        saved = await saveArtifact(ctx, { name: "data", path: "/work/data" });
      }, 2);
      const down = await median(async () => {
        await Deno.remove(inputs, { recursive: true }).catch(() => {});
        await loadArtifact(ctx, { ...saved!, path: "/in/data" });
      }, 2);
      report(`exec: 200 MiB artifact upload+download, ${kind}`, up + down, floorUp + floorDown);
      console.log(
        `  upload ${(mib / (up / 1000)).toFixed(0)} MiB/s, download+unpack ${
          (mib / (down / 1000)).toFixed(0)
        } MiB/s; floor: tar czf ${(mib / (floorUp / 1000)).toFixed(0)} MiB/s, cp -r ${
          (mib / (floorDown / 1000)).toFixed(0)
        } MiB/s`,
      );
    }
  } finally {
    s3.stop();
  }
}
