import assert from "node:assert/strict";
import type { WorkflowTaskResult } from "../api/task_result.ts";
import { loadArtifact } from "./artifacts.ts";
import { MAX_RESULT_BYTES } from "./contract.ts";
import { tarGzToFile } from "./tar.ts";
import type { ExecArtifact } from "./template.ts";
import { captureResult, runWait } from "./wait.ts";
import { envOf, listTree, spawnExec, TEST_LIMITS, testPaths, waitFor } from "./test_util.ts";

const TOKEN = "test-token-123";
const SECRET = "canary-Secret-9876";

interface Recorded {
  method: string;
  path: string;
  contentType: string;
  body: Record<string, unknown>;
}

/** A tiny API server: records requests, checks the bearer token, 409 on a second create. */
function apiServer() {
  const requests: Recorded[] = [];
  let exists = false;
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (req) => {
    if (req.headers.get("authorization") !== `Bearer ${TOKEN}`) {
      return Response.json({ kind: "Status", message: "Unauthorized" }, { status: 401 });
    }
    const body = await req.json();
    requests.push({
      method: req.method,
      path: new URL(req.url).pathname,
      contentType: req.headers.get("content-type") ?? "",
      body,
    });
    if (req.method === "POST") {
      if (exists) return Response.json({ message: "already exists" }, { status: 409 });
      exists = true;
      return Response.json(body, { status: 201 });
    }
    return exists
      ? Response.json(body, { status: 200 })
      : Response.json({ message: "not found" }, { status: 404 });
  });
  return { server, requests, url: `http://127.0.0.1:${server.addr.port}` };
}

async function setup(root: string, stdout: string, exitCode = "0") {
  const sa = `${root}/serviceaccount`;
  await Deno.mkdir(sa, { recursive: true });
  await Deno.writeTextFile(`${sa}/token`, `${TOKEN}\n`);
  await Deno.writeTextFile(`${sa}/namespace`, "argo");
  const ctr = `${root}/var/run/argo/ctr/main`;
  await Deno.mkdir(ctr, { recursive: true });
  await Deno.writeTextFile(`${ctr}/stdout`, stdout);
  await Deno.writeTextFile(`${ctr}/exitcode`, exitCode);
}

function waitEnv(root: string, url: string, template: unknown): Record<string, string> {
  return {
    ARGO_TS_EXEC_ROOT: root,
    ARGO_TS_SERVICE_ACCOUNT_DIR: `${root}/serviceaccount`,
    ARGO_TS_KUBE_API_URL: url,
    ARGO_TEMPLATE: JSON.stringify(template),
    ARGO_NODE_ID: "wf-123",
    ARGO_POD_NAME: "wf-main-123",
    ARGO_WORKFLOW_NAME: "wf",
    ARGO_WORKFLOW_UID: "uid-1",
    ARGO_INCLUDE_SCRIPT_OUTPUT: "true",
    ARGO_DEADLINE: "0001-01-01T00:00:00Z",
  };
}

async function wait(root: string, url: string, template: unknown): Promise<number> {
  const env = waitEnv(root, url, template);
  return await runWait({
    paths: testPaths(root),
    limits: TEST_LIMITS,
    env: envOf(env),
    pollMs: 10,
    retry: { attempts: 3, baseMs: 5, capMs: 10 },
  });
}

Deno.test("wait: result over 256 KiB keeps the last 256 KiB, one newline trimmed", async () => {
  const root = await Deno.makeTempDir();
  const head = "h".repeat(50_000);
  const tail = "t".repeat(MAX_RESULT_BYTES - 1) + "\n";
  await Deno.writeTextFile(`${root}/out`, head + "X" + tail + "\n");
  const result = await captureResult(`${root}/out`);
  assert.equal(result.length, MAX_RESULT_BYTES);
  assert.equal(result, tail);
  await Deno.writeTextFile(`${root}/small`, "hi\n\n");
  assert.equal(await captureResult(`${root}/small`), "hi\n");
  assert.equal(await captureResult(`${root}/absent`), "");
  await Deno.remove(root, { recursive: true });
});

Deno.test("wait: outputs reach the WorkflowTaskResult; artifacts reload with init", async () => {
  const root = await Deno.makeTempDir();
  const api = apiServer();
  try {
    await setup(root, "the result\n", "3");
    const repo = `${root}/repo`;
    // What emissary leaves: parameter copies and artifact tarballs; /work is main's volume.
    const params = `${root}/var/run/argo/outputs/parameters`;
    await Deno.mkdir(`${params}/tmp`, { recursive: true });
    await Deno.writeTextFile(`${params}/tmp/p1`, "v1\n\n");
    const src = `${root}/src`;
    await Deno.mkdir(`${src}/out`, { recursive: true });
    await Deno.writeTextFile(`${src}/out/f.txt`, "F");
    const arts = `${root}/var/run/argo/outputs/artifacts/tmp`;
    await Deno.mkdir(arts, { recursive: true });
    await tarGzToFile(`${src}/out`, `${arts}/out.tgz`);
    await tarGzToFile(`${src}/out/f.txt`, `${arts}/f.txt.tgz`);
    await Deno.mkdir(`${root}/mainctrfs/work`, { recursive: true });
    await Deno.writeTextFile(`${root}/mainctrfs/work/v.txt`, "on volume\n");

    const template = {
      container: { image: "x", volumeMounts: [{ name: "w", mountPath: "/work" }] },
      archiveLocation: { archiveLogs: true, filesystem: { path: repo, key: "wf/wf-main-123" } },
      outputs: {
        parameters: [
          { name: "p1", valueFrom: { path: "/tmp/p1" } },
          { name: "vol", valueFrom: { path: "/work/v.txt" } },
          { name: "dflt", valueFrom: { path: "/tmp/absent", default: "fallback\n" } },
        ],
        artifacts: [
          { name: "out", path: "/tmp/out" },
          { name: "raw", path: "/tmp/f.txt", archive: { none: {} } },
          { name: "zipped", path: "/tmp/out", archive: { zip: {} } },
          { name: "volzip", path: "/work", archive: { zip: {} } },
          { name: "vol", path: "/work/v.txt" },
          { name: "voldir", path: "/work", archive: { none: {} } },
          { name: "maybe", path: "/tmp/nothing", optional: true },
        ],
      },
    };
    assert.equal(await wait(root, api.url, template), 0);

    assert.deepEqual(api.requests.map((r) => r.method), ["POST", "PATCH"]);
    const [create, patch] = api.requests;
    assert.equal(create.path, "/apis/argoproj.io/v1alpha1/namespaces/argo/workflowtaskresults");
    const created = create.body as unknown as WorkflowTaskResult;
    assert.equal(created.metadata.name, "wf-123");
    assert.deepEqual(created.metadata.labels, {
      "workflows.argoproj.io/workflow": "wf",
      "workflows.argoproj.io/report-outputs-completed": "false",
    });
    assert.deepEqual(created.metadata.ownerReferences, [
      { apiVersion: "argoproj.io/v1alpha1", kind: "Workflow", name: "wf", uid: "uid-1" },
    ]);
    assert.equal(patch.path, `${create.path}/wf-123`);
    assert.equal(patch.contentType, "application/merge-patch+json");
    const final = patch.body as unknown as WorkflowTaskResult;
    assert.deepEqual(final.metadata.labels, {
      "workflows.argoproj.io/report-outputs-completed": "true",
    });
    assert.equal(final.phase, undefined);
    const outputs = final.outputs!;
    assert.equal(outputs.result, "the result");
    assert.equal(outputs.exitCode, "3");
    assert.deepEqual(outputs.parameters!.map((p) => [p.name, p.value]), [
      ["p1", "v1\n"],
      ["vol", "on volume"],
      ["dflt", "fallback"],
    ]);
    const saved = outputs.artifacts as ExecArtifact[];
    assert.deepEqual(saved.map((a) => [a.name, a.filesystem?.key]), [
      ["out", "wf/wf-main-123/out.tgz"],
      ["raw", "wf/wf-main-123/f.txt"],
      ["zipped", "wf/wf-main-123/zipped.zip"],
      ["volzip", "wf/wf-main-123/volzip.zip"],
      ["vol", "wf/wf-main-123/vol.tgz"],
      ["voldir", "wf/wf-main-123/work"],
      ["main-logs", "wf/wf-main-123/main.log"],
    ]);
    assert.ok(saved.every((a) => a.filesystem?.path === repo));

    // init loads each saved artifact back.
    const back = `${root}/back`;
    const ctx = { paths: testPaths(back), limits: TEST_LIMITS, template: {} };
    for (const a of saved) await loadArtifact(ctx, { ...a, path: `/in/${a.name}` });
    // Zip artifacts are reported with `archive: zip`, so init knows to unzip them.
    assert.deepEqual(await listTree(`${back}/argo/inputs/artifacts`), [
      "main-logs",
      "out/",
      "out/f.txt",
      "raw",
      "vol",
      "voldir/",
      "voldir/v.txt",
      "volzip/",
      "volzip/v.txt",
      "zipped/",
      "zipped/f.txt",
    ]);
    assert.equal(await Deno.readTextFile(`${back}/argo/inputs/artifacts/vol`), "on volume\n");
  } finally {
    await api.server.shutdown();
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("wait: parameter errors make the node Error; the result is still completed", async () => {
  const root = await Deno.makeTempDir();
  const api = apiServer();
  try {
    await setup(root, "");
    await Deno.mkdir(`${root}/var/run/argo/outputs/parameters/tmp/dir`, { recursive: true });
    const template = {
      outputs: {
        parameters: [
          { name: "missing", valueFrom: { path: "/tmp/nope" } },
          { name: "dir", valueFrom: { path: "/tmp/dir" } },
        ],
      },
    };
    assert.equal(await wait(root, api.url, template), 1);
    const final = api.requests.at(-1)!.body as unknown as WorkflowTaskResult;
    assert.equal(final.metadata.labels?.["workflows.argoproj.io/report-outputs-completed"], "true");
    assert.equal(final.phase, "Error");
    assert.match(final.message!, /output parameter missing: open \/tmp\/nope: no such file/);
    assert.equal(final.outputs?.result, "");
  } finally {
    await api.server.shutdown();
    await Deno.remove(root, { recursive: true });
  }
  // The directory case on its own.
  const root2 = await Deno.makeTempDir();
  const api2 = apiServer();
  try {
    await setup(root2, "");
    await Deno.mkdir(`${root2}/var/run/argo/outputs/parameters/tmp/dir`, { recursive: true });
    const template = { outputs: { parameters: [{ name: "d", valueFrom: { path: "/tmp/dir" } }] } };
    assert.equal(await wait(root2, api2.url, template), 1);
    const final = api2.requests.at(-1)!.body as unknown as WorkflowTaskResult;
    assert.match(final.message!, /\/tmp\/dir is a directory/);
  } finally {
    await api2.server.shutdown();
    await Deno.remove(root2, { recursive: true });
  }
});

Deno.test("wait: as a process, with a wrong token it fails and leaks no secret", async () => {
  const root = await Deno.makeTempDir();
  const api = apiServer();
  try {
    await setup(root, "out\n");
    const env = { ...waitEnv(root, api.url, { outputs: {} }), CANARY: SECRET };
    const ok = await spawnExec(["wait"], env).output();
    assert.equal(ok.code, 0, new TextDecoder().decode(ok.stderr));
    await Deno.writeTextFile(`${root}/serviceaccount/token`, SECRET);
    const bad = await spawnExec(["wait"], env).output();
    const printed = new TextDecoder().decode(bad.stdout) + new TextDecoder().decode(bad.stderr);
    assert.equal(bad.code, 1);
    assert.match(printed, /401 Unauthorized/);
    assert.ok(!printed.includes(SECRET));
    assert.ok(!JSON.stringify(api.requests).includes(SECRET));
  } finally {
    await api.server.shutdown();
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("wait: deadline stops main, sidecars are stopped, progress is reported", async () => {
  const root = await Deno.makeTempDir();
  const api = apiServer();
  try {
    await setup(root, "");
    const ctr = `${root}/var/run/argo/ctr`;
    await Deno.remove(`${ctr}/main/exitcode`);
    await Deno.writeTextFile(`${root}/progress`, "0/2\n1/2\n");
    const env = {
      ...waitEnv(root, api.url, { sidecars: [{ name: "side", image: "x" }] }),
      ARGO_DEADLINE: new Date(Date.now() + 200).toISOString(),
      ARGO_PROGRESS_FILE: `${root}/progress`,
    };
    const running = runWait({
      paths: testPaths(root),
      limits: TEST_LIMITS,
      env: envOf(env),
      pollMs: 10,
      progressMs: 20,
      retry: { attempts: 3, baseMs: 5, capMs: 10 },
    });
    let signal = "";
    for (let i = 0; i < 200 && signal === ""; i++) {
      await new Promise((r) => setTimeout(r, 20));
      signal = await Deno.readTextFile(`${ctr}/main/signal`).catch(() => "");
    }
    assert.equal(signal, "15");
    await Deno.writeTextFile(`${ctr}/main/exitcode`, "143");
    await waitFor(async () =>
      (await Deno.readTextFile(`${ctr}/side/signal`).catch(() => "")) !== ""
    );
    assert.equal(await Deno.readTextFile(`${ctr}/side/signal`), "15");
    await Deno.writeTextFile(`${ctr}/side/exitcode`, "143");
    assert.equal(await running, 0);
    assert.ok(api.requests.some((r) => r.body.progress === "1/2"));
    const final = api.requests.at(-1)!.body as unknown as WorkflowTaskResult;
    assert.equal(final.phase, "Failed");
    assert.equal(final.message, "Step exceeded its deadline");
    assert.equal(final.outputs?.exitCode, "143");
  } finally {
    await api.server.shutdown();
    await Deno.remove(root, { recursive: true });
  }
});

async function run(cmd: string[], cwd: string): Promise<void> {
  const out = await new Deno.Command(cmd[0], { args: cmd.slice(1), cwd, stderr: "piped" })
    .output();
  if (!out.success) throw new Error(new TextDecoder().decode(out.stderr));
}

Deno.test("wait: in-cluster config over TLS with the service account's CA", async () => {
  const root = await Deno.makeTempDir();
  await setup(root, "tls\n");
  const sa = `${root}/serviceaccount`;
  const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
  await run([
    "openssl",
    "req",
    "-x509",
    ...ec,
    "-keyout",
    "ca.key",
    "-out",
    "ca.crt",
    "-days",
    "1",
    "-subj",
    "/CN=test-ca",
    "-addext",
    "basicConstraints=critical,CA:TRUE",
    "-addext",
    "keyUsage=critical,keyCertSign",
  ], sa);
  await run(
    ["openssl", "req", ...ec, "-keyout", "srv.key", "-out", "srv.csr", "-subj", "/CN=api"],
    sa,
  );
  await Deno.writeTextFile(`${sa}/ext`, "subjectAltName=IP:127.0.0.1\n");
  await run([
    "openssl",
    "x509",
    "-req",
    "-in",
    "srv.csr",
    "-CA",
    "ca.crt",
    "-CAkey",
    "ca.key",
    "-CAcreateserial",
    "-out",
    "srv.crt",
    "-days",
    "1",
    "-extfile",
    "ext",
  ], sa);
  const seen: string[] = [];
  const server = Deno.serve({
    hostname: "127.0.0.1",
    port: 0,
    onListen() {},
    cert: await Deno.readTextFile(`${sa}/srv.crt`),
    key: await Deno.readTextFile(`${sa}/srv.key`),
  }, async (req) => {
    if (req.headers.get("authorization") !== `Bearer ${TOKEN}`) {
      return new Response("{}", { status: 401 });
    }
    seen.push(`${req.method} ${(await req.json()).outputs?.result ?? ""}`);
    return Response.json({}, { status: req.method === "POST" ? 201 : 200 });
  });
  try {
    const env = {
      ...waitEnv(root, "", {}),
      KUBERNETES_SERVICE_HOST: "127.0.0.1",
      KUBERNETES_SERVICE_PORT: String(server.addr.port),
    };
    const code = await runWait({
      paths: testPaths(root),
      limits: TEST_LIMITS,
      env: envOf(env),
      pollMs: 10,
      retry: { attempts: 2, baseMs: 5, capMs: 10 },
    });
    assert.equal(code, 0);
    assert.deepEqual(seen, ["POST ", "PATCH tls"]);
  } finally {
    await server.shutdown();
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("wait: SIGTERM before main ends still reports what is there", async () => {
  const root = await Deno.makeTempDir();
  const api = apiServer();
  try {
    await setup(root, "partial\n");
    await Deno.remove(`${root}/var/run/argo/ctr/main/exitcode`);
    const child = spawnExec(["wait"], waitEnv(root, api.url, {}), "null");
    await waitFor(() => Promise.resolve(api.requests.length > 0));
    child.kill("SIGTERM");
    const out = await child.output();
    assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
    const final = api.requests.at(-1)!.body as unknown as WorkflowTaskResult;
    assert.equal(final.metadata.labels?.["workflows.argoproj.io/report-outputs-completed"], "true");
    assert.equal(final.outputs?.result, "partial");
    assert.equal(final.outputs?.exitCode, undefined);
  } finally {
    await api.server.shutdown();
    await Deno.remove(root, { recursive: true });
  }
});
