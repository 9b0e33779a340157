import assert from "node:assert/strict";
import { spawnExec, waitFor } from "./test_util.ts";

interface Run {
  code: number;
  stdout: string;
  stderr: string;
  ctr: string;
}

function baseEnv(root: string, template: unknown = {}): Record<string, string> {
  return {
    ARGO_TS_EXEC_ROOT: root,
    ARGO_CONTAINER_NAME: "main",
    ARGO_INCLUDE_SCRIPT_OUTPUT: "true",
    ARGO_TEMPLATE: JSON.stringify(template),
  };
}

async function emissary(root: string, command: string[], template: unknown = {}): Promise<Run> {
  const child = spawnExec(["emissary", "--", ...command], baseEnv(root, template));
  const out = await child.output();
  const dec = new TextDecoder();
  return {
    code: out.code,
    stdout: dec.decode(out.stdout),
    stderr: dec.decode(out.stderr),
    ctr: `${root}/var/run/argo/ctr/main`,
  };
}

Deno.test("emissary: exit code 0, stdout and combined captured, exitcode file", async () => {
  const root = await Deno.makeTempDir();
  const r = await emissary(root, ["sh", "-c", "echo out; echo err >&2"]);
  assert.equal(r.code, 0);
  assert.equal(r.stdout, "out\n");
  assert.match(r.stderr, /err/);
  assert.equal(await Deno.readTextFile(`${r.ctr}/exitcode`), "0");
  assert.equal(await Deno.readTextFile(`${r.ctr}/stdout`), "out\n");
  const combined = await Deno.readTextFile(`${r.ctr}/combined`);
  assert.ok(combined.includes("out\n") && combined.includes("err\n"));
  await Deno.remove(root, { recursive: true });
});

Deno.test("emissary: non-zero exit code is kept and outputs are copied first", async () => {
  const root = await Deno.makeTempDir();
  const work = `${root}/work`;
  await Deno.mkdir(work);
  const template = {
    outputs: {
      parameters: [{ name: "p", valueFrom: { path: `${work}/p.txt` } }],
      artifacts: [{ name: "a", path: `${work}/dir` }],
    },
  };
  const script = `mkdir ${work}/dir && echo x > ${work}/dir/f && printf v > ${work}/p.txt; exit 3`;
  const r = await emissary(root, ["sh", "-c", script], template);
  assert.equal(r.code, 3);
  assert.equal(await Deno.readTextFile(`${r.ctr}/exitcode`), "3");
  const outputs = `${root}/var/run/argo/outputs`;
  assert.equal(await Deno.readTextFile(`${outputs}/parameters${work}/p.txt`), "v");
  assert.ok((await Deno.stat(`${outputs}/artifacts${work}/dir.tgz`)).size > 0);
  await Deno.remove(root, { recursive: true });
});

Deno.test("emissary: 5 MB of stdout streams through to the console and the files", async () => {
  const root = await Deno.makeTempDir();
  const size = 5 * 1024 * 1024;
  const child = spawnExec(
    ["emissary", "--", "sh", "-c", `head -c ${size} /dev/zero | tr '\\0' a`],
    baseEnv(root),
  );
  let seen = 0;
  for await (const chunk of child.stdout) seen += chunk.length;
  const status = await child.status;
  await child.stderr.cancel();
  assert.equal(status.code, 0);
  assert.equal(seen, size);
  const ctr = `${root}/var/run/argo/ctr/main`;
  assert.equal((await Deno.stat(`${ctr}/stdout`)).size, size);
  assert.equal((await Deno.stat(`${ctr}/combined`)).size, size);
  await Deno.remove(root, { recursive: true });
});

const TRAP = 'trap "echo got-term; exit 42" TERM; echo ready; while :; do sleep 0.05; done';

Deno.test("emissary: SIGTERM is forwarded to the child", async () => {
  const root = await Deno.makeTempDir();
  const ctr = `${root}/var/run/argo/ctr/main`;
  const child = spawnExec(["emissary", "--", "sh", "-c", TRAP], baseEnv(root));
  await waitFor(async () => (await Deno.readTextFile(`${ctr}/stdout`).catch(() => "")) !== "");
  child.kill("SIGTERM");
  const out = await child.output();
  assert.equal(out.code, 42);
  assert.match(await Deno.readTextFile(`${ctr}/stdout`), /got-term/);
  assert.equal(await Deno.readTextFile(`${ctr}/exitcode`), "42");
  await Deno.remove(root, { recursive: true });
});

Deno.test("emissary: a signal number in the signal file reaches the child", async () => {
  const root = await Deno.makeTempDir();
  const ctr = `${root}/var/run/argo/ctr/main`;
  const child = spawnExec(["emissary", "--", "sh", "-c", TRAP], baseEnv(root));
  await waitFor(async () => (await Deno.readTextFile(`${ctr}/stdout`).catch(() => "")) !== "");
  await Deno.writeTextFile(`${ctr}/signal`, "15");
  const out = await child.output();
  assert.equal(out.code, 42);
  await assert.rejects(Deno.stat(`${ctr}/signal`), Deno.errors.NotFound);
  await Deno.remove(root, { recursive: true });
});

Deno.test("emissary: a missing program exits 64 with Argo's message", async () => {
  const root = await Deno.makeTempDir();
  const r = await emissary(root, ["no-such-program-argo-ts"]);
  assert.equal(r.code, 64);
  assert.match(r.stderr, /failed to find name in PATH: exec: "no-such-program-argo-ts"/);
  assert.equal(await Deno.readTextFile(`${r.ctr}/exitcode`), "64");
  await Deno.remove(root, { recursive: true });
});

Deno.test("emissary: without ARGO_INCLUDE_SCRIPT_OUTPUT nothing is captured", async () => {
  const root = await Deno.makeTempDir();
  const env = { ...baseEnv(root), ARGO_INCLUDE_SCRIPT_OUTPUT: "false" };
  const out = await spawnExec(["emissary", "--", "sh", "-c", "echo hi"], env).output();
  assert.equal(out.code, 0);
  assert.equal(new TextDecoder().decode(out.stdout), "hi\n");
  await assert.rejects(Deno.stat(`${root}/var/run/argo/ctr/main/stdout`), Deno.errors.NotFound);
  await Deno.remove(root, { recursive: true });
});
