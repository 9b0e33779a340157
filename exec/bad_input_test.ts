/**
 * Bad input, with real processes: a 1 GiB stdout (streamed, the executor's memory stays
 * bounded), an output path that does not exist, a parameter file that is a directory, and
 * unreachable artifact servers (http and s3). Each ends the node with a clear message.
 */
import assert from "node:assert/strict";
import type { WorkflowTaskResult } from "../api/task_result.ts";
import { MAX_RESULT_BYTES } from "./contract.ts";
import { captureResult } from "./wait.ts";
import { spawnExec } from "./test_util.ts";

const decoder = new TextDecoder();

/** A port on 127.0.0.1 that nothing listens on (it was free a moment ago). */
function closedPort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}

/** Peak resident memory of a running process (VmHWM), sampled until it ends; in bytes. */
function trackPeakRss(pid: number): { stop(): number } {
  let peak = 0;
  const sample = () => {
    try {
      const status = Deno.readTextFileSync(`/proc/${pid}/status`);
      const kb = Number(/^VmHWM:\s+(\d+) kB/m.exec(status)?.[1] ?? "0");
      peak = Math.max(peak, kb * 1024);
    } catch {
      // ended
    }
  };
  const timer = setInterval(sample, 50);
  return {
    stop: () => {
      clearInterval(timer);
      return peak;
    },
  };
}

Deno.test("bad input: 1 GiB of stdout streams through emissary with bounded memory", async () => {
  const root = await Deno.makeTempDir();
  const bytes = 1024 ** 3;
  try {
    const child = spawnExec(
      ["emissary", "--", "sh", "-c", `head -c ${bytes} /dev/zero`],
      {
        ARGO_TS_EXEC_ROOT: root,
        ARGO_TEMPLATE: "{}",
        ARGO_CONTAINER_NAME: "main",
        ARGO_INCLUDE_SCRIPT_OUTPUT: "true",
      },
      "null",
    );
    const rss = trackPeakRss(child.pid);
    const out = await child.output();
    const peak = rss.stop();
    assert.equal(out.code, 0, decoder.decode(out.stderr));
    const ctr = `${root}/var/run/argo/ctr/main`;
    assert.equal((await Deno.stat(`${ctr}/stdout`)).size, bytes);
    assert.equal((await Deno.stat(`${ctr}/combined`)).size, bytes);
    // Deno itself takes some 40-80 MiB; a buffered gigabyte would be far above the bound.
    assert.ok(peak > 0, "no memory sample");
    assert.ok(peak < 256 * 1024 ** 2, `emissary peaked at ${(peak / 1024 ** 2).toFixed(0)} MiB`);
    // wait reads only the tail for `outputs.result`.
    assert.equal((await captureResult(`${ctr}/stdout`)).length, MAX_RESULT_BYTES);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

interface PodRun {
  final: WorkflowTaskResult | undefined;
  waitCode: number;
  waitStderr: string;
  mainCode: number;
  mainStderr: string;
}

/** Runs wait and emissary (`sh -c script`) over one root, against a fake API server. */
async function runPod(root: string, template: Record<string, unknown>, script: string) {
  const sa = `${root}/sa`;
  await Deno.mkdir(sa, { recursive: true });
  await Deno.writeTextFile(`${sa}/token`, "t0k3n");
  await Deno.writeTextFile(`${sa}/namespace`, "argo");
  const bodies: WorkflowTaskResult[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (req) => {
    bodies.push(await req.json());
    return Response.json({}, { status: req.method === "POST" ? 201 : 200 });
  });
  const env = {
    ARGO_TS_EXEC_ROOT: root,
    ARGO_TS_SERVICE_ACCOUNT_DIR: sa,
    ARGO_TS_KUBE_API_URL: `http://127.0.0.1:${server.addr.port}`,
    ARGO_TEMPLATE: JSON.stringify(template),
    ARGO_NODE_ID: "wf-1",
    ARGO_WORKFLOW_NAME: "wf",
    ARGO_WORKFLOW_UID: "u",
    ARGO_INCLUDE_SCRIPT_OUTPUT: "true",
  };
  try {
    const wait = spawnExec(["wait"], { ...env, ARGO_CONTAINER_NAME: "wait" }, "null");
    const main = await spawnExec(
      ["emissary", "--", "sh", "-c", script],
      { ...env, ARGO_CONTAINER_NAME: "main" },
      "null",
    ).output();
    const waited = await wait.output();
    const run: PodRun = {
      final: bodies.at(-1),
      waitCode: waited.code,
      waitStderr: decoder.decode(waited.stderr),
      mainCode: main.code,
      mainStderr: decoder.decode(main.stderr),
    };
    return run;
  } finally {
    await server.shutdown();
  }
}

Deno.test("bad input: an output artifact path that does not exist makes the node Error", async () => {
  const root = await Deno.makeTempDir();
  try {
    const work = `${root}/work`;
    const template = {
      archiveLocation: { filesystem: { path: `${root}/repo`, key: "wf/pod" } },
      outputs: {
        artifacts: [
          { name: "maybe", path: `${work}/maybe`, optional: true },
          { name: "report", path: `${work}/never-written.txt` },
        ],
      },
    };
    const run = await runPod(root, template, "echo working");
    assert.equal(run.mainCode, 0, run.mainStderr);
    assert.match(
      run.mainStderr,
      /cannot save artifact report: .*never-written\.txt does not exist/,
    );
    assert.equal(run.waitCode, 1);
    assert.equal(run.final?.phase, "Error");
    assert.equal(
      run.final?.message,
      `failed to save output artifact report: ${work}/never-written.txt no such file or directory`,
    );
    assert.equal(run.final?.outputs?.result, "working");
    assert.equal(run.final?.outputs?.artifacts, undefined);
    assert.equal(
      run.final?.metadata.labels?.["workflows.argoproj.io/report-outputs-completed"],
      "true",
    );
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("bad input: an output parameter file that is a directory makes the node Error", async () => {
  const root = await Deno.makeTempDir();
  try {
    const work = `${root}/work`;
    const template = {
      outputs: {
        parameters: [
          { name: "dir", valueFrom: { path: `${work}/out` } },
          { name: "fine", valueFrom: { path: `${work}/fine` } },
          { name: "dir-default", valueFrom: { path: `${work}/out`, default: "d" } },
        ],
      },
    };
    const run = await runPod(root, template, `mkdir -p ${work}/out && printf ok > ${work}/fine`);
    assert.equal(run.mainCode, 0, run.mainStderr);
    assert.equal(run.waitCode, 1);
    assert.equal(run.final?.phase, "Error");
    assert.equal(
      run.final?.message,
      `failed to get output parameter dir: ${work}/out is a directory, not a file`,
    );
    assert.deepEqual(
      run.final?.outputs?.parameters?.map((p) => [p.name, p.value]),
      [["fine", "ok"], ["dir-default", "d"]],
    );
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("bad input: unreachable artifact servers end init and wait with a clear message", async () => {
  const root = await Deno.makeTempDir();
  const port = closedPort();
  try {
    await Deno.mkdir(`${root}/argo/secret/cred`, { recursive: true });
    await Deno.writeTextFile(`${root}/argo/secret/cred/a`, "access");
    await Deno.writeTextFile(`${root}/argo/secret/cred/s`, "canary-unreachable-secret");
    const s3 = {
      endpoint: `127.0.0.1:${port}`,
      bucket: "bucket",
      insecure: true,
      accessKeySecret: { name: "cred", key: "a" },
      secretKeySecret: { name: "cred", key: "s" },
    };
    // init: an http input, then an s3 one.
    for (
      const [art, expected] of [
        [
          {
            name: "web",
            path: "/in/web",
            http: { url: `http://user:pw@127.0.0.1:${port}/f?tok=1` },
          },
          `artifact web failed to load: GET http://127.0.0.1:${port}/f: ` +
          "cannot reach the server (connection refused)",
        ],
        [
          { name: "obj", path: "/in/obj", s3: { ...s3, key: "k/obj.tgz" } },
          `artifact obj failed to load: GET s3://bucket/k/obj.tgz: cannot reach the S3 endpoint ` +
          `127.0.0.1:${port}`,
        ],
      ] as const
    ) {
      const out = await spawnExec(["init"], {
        ARGO_TS_EXEC_ROOT: root,
        ARGO_TEMPLATE: JSON.stringify({ inputs: { artifacts: [art] } }),
      }).output();
      const stderr = decoder.decode(out.stderr);
      assert.equal(out.code, 1, stderr);
      assert.ok(stderr.includes(`argo-ts init: ${expected}`), stderr);
      assert.ok(!/pw|tok=|canary/.test(stderr), stderr);
    }

    // wait: saving an output artifact to an unreachable S3 repository (in a fresh pod: init
    // left its template copy, which emissary would read).
    await Deno.remove(`${root}/var/run/argo`, { recursive: true });
    const work = `${root}/work`;
    const template = {
      archiveLocation: { s3: { ...s3, key: "wf/pod" } },
      outputs: { artifacts: [{ name: "out", path: `${work}/out.txt` }] },
    };
    const run = await runPod(root, template, `mkdir -p ${work} && echo hi > ${work}/out.txt`);
    assert.equal(run.mainCode, 0, run.mainStderr);
    assert.equal(run.waitCode, 1);
    assert.equal(run.final?.phase, "Error");
    assert.match(
      run.final?.message ?? "",
      new RegExp(
        `^failed to save output artifact out: PUT s3://bucket/wf/pod/out\\.tgz: cannot reach ` +
          `the S3 endpoint 127\\.0\\.0\\.1:${port} \\(.*ECONNREFUSED.*; 4 attempts\\)$`,
      ),
    );
    assert.ok(!run.waitStderr.includes("canary"), run.waitStderr);
    assert.ok(!JSON.stringify(run.final).includes("canary"));
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
