/**
 * `argo-ts cluster up --detach`, `status` and `down` as a user runs them, with a workflow
 * submitted through the CLI in between and run by the controller the cluster starts.
 */
import assert from "node:assert/strict";
import { memoryIo, runCli } from "../cli/mod.ts";

const ROOT = new URL("../", import.meta.url).pathname;

async function argoTs(args: string[]): Promise<{ code: number; out: string }> {
  const output = await new Deno.Command(`${ROOT}argo-ts`, {
    args,
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
    env: { RUST_BACKTRACE: "0", NO_COLOR: "1" },
  }).output();
  const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
  return { code: output.code, out: decode(output.stdout) + decode(output.stderr) };
}

Deno.test("cluster up --detach, submit, list, get, status, down", async () => {
  const stateDir = await Deno.makeTempDir({ prefix: "argo-ts-cluster-" });
  try {
    const up = await argoTs(["cluster", "up", "--detach", "--state-dir", stateDir]);
    assert.equal(up.code, 0, up.out);
    assert.match(up.out, /is up in the background/);
    const status = await argoTs(["cluster", "status", "--state-dir", stateDir]);
    assert.equal(status.code, 0, status.out);
    const kubeconfig = `${stateDir}/kubeconfig`;
    const submit = memoryIo();
    assert.equal(
      await runCli([
        "submit",
        "examples/hello-world.yaml",
        "-o",
        "name",
        "--kubeconfig",
        kubeconfig,
        "-n",
        "argo",
      ], submit),
      0,
      submit.stderr(),
    );
    const name = submit.stdout().trim();
    let phase = "";
    for (let i = 0; i < 200 && phase !== "Succeeded"; i++) {
      const get = memoryIo();
      await runCli(["get", name, "-o", "json", "--kubeconfig", kubeconfig, "-n", "argo"], get);
      phase = JSON.parse(get.stdout()).status?.phase ?? "";
      if (phase === "Failed" || phase === "Error") break;
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal(phase, "Succeeded");
    const list = memoryIo();
    await runCli(["list", "--kubeconfig", kubeconfig, "-n", "argo"], list);
    assert.match(list.stdout(), new RegExp(`${name}\\s+Succeeded`));
  } finally {
    const down = await argoTs(["cluster", "down", "--state-dir", stateDir]);
    assert.equal(down.code, 0, down.out);
    const after = await argoTs(["cluster", "status", "--state-dir", stateDir]);
    assert.equal(after.code, 1);
    await Deno.remove(stateDir, { recursive: true });
  }
});

Deno.test("cluster: bad usage is one message and exit 2", async () => {
  const bad = await argoTs(["cluster", "sideways"]);
  assert.equal(bad.code, 2);
  assert.match(bad.out, /unknown command "sideways"/);
  const port = await argoTs(["cluster", "up", "--port", "99999"]);
  assert.equal(port.code, 2);
  assert.match(port.out, /--port must be a number/);
});
