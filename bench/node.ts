/**
 * Pod start latency through the local node's runtime: a pod whose one container runs
 * `deno run` of an empty program, created to finished, against the floor of running that same
 * `deno run` directly. Both sandboxed (bubblewrap, when it works here) and plain modes.
 *
 * Run: `./argo-ts --deno run -A bench/node.ts`. (Async, so not part of the synchronous harness in
 * `bench/main.ts`; it reports the same ours/floor ratio.)
 */
import type { V1Pod } from "@kubernetes/client-node";
import { PodRuntime } from "../cluster/node/runtime.ts";
import { formatResult } from "./harness.ts";

const deno = Deno.execPath();
const denoDir = deno.slice(0, deno.lastIndexOf("/"));
const stateDir = await Deno.makeTempDir({ prefix: "argo-ts-bench-node-" });
const program = `${stateDir}/empty.js`;
await Deno.writeTextFile(program, "");
const command = [deno, "run", "--quiet", program];

async function median(run: () => Promise<void>, rounds: number): Promise<number> {
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

const floor = () =>
  new Deno.Command(command[0], { args: command.slice(1), stdout: "null", stderr: "null" })
    .output().then(() => {});

let counter = 0;
try {
  for (const sandbox of ["bubblewrap", "none"] as const) {
    const runtime = new PodRuntime({
      stateDir,
      sandbox,
      readOnlyBinds: [denoDir, stateDir],
      warn: () => {},
    });
    const ours = async () => {
      counter++;
      const pod: V1Pod = {
        metadata: { name: `bench-${counter}`, namespace: "bench", uid: `u${counter}` },
        spec: { containers: [{ name: "main", image: "deno", command }] },
      };
      runtime.run(pod);
      const status = await runtime.wait("bench", `bench-${counter}`);
      if (status?.phase !== "Succeeded") {
        throw new Error(`bench pod ended ${status?.phase}: ${JSON.stringify(status)}`);
      }
      await runtime.forget("bench", `bench-${counter}`);
    };
    const oursMs = await median(ours, 9);
    const floorMs = await median(floor, 9);
    await runtime.close();
    console.log(formatResult({
      name: `node: pod running an empty deno program (${sandbox})`,
      oursMs,
      floorMs,
      ratio: oursMs / floorMs,
    }));
  }
} finally {
  await Deno.remove(stateDir, { recursive: true });
}
