import assert from "node:assert/strict";
import { loadArtifact } from "./artifacts.ts";
import { runInit } from "./init.ts";
import { tarGzToFile } from "./tar.ts";
import { ExecError } from "./template.ts";
import {
  envOf,
  listTree,
  spawnExec,
  type TarSpec,
  TEST_LIMITS,
  testPaths,
  writeTarGz,
  writeZip,
} from "./test_util.ts";

async function init(root: string, template: unknown): Promise<number> {
  return await runInit({
    paths: testPaths(root),
    limits: TEST_LIMITS,
    env: envOf({ ARGO_TEMPLATE: JSON.stringify(template) }),
  });
}

Deno.test("init: writes the template and stages the script source with mode 0755", async () => {
  const root = await Deno.makeTempDir();
  const template = { name: "s", script: { image: "x", source: "echo hi\n" } };
  assert.equal(await init(root, template), 0);
  const script = `${root}/argo/staging/script`;
  assert.equal(await Deno.readTextFile(script), "echo hi\n");
  assert.equal((await Deno.stat(script)).mode! & 0o777, 0o755);
  assert.deepEqual(JSON.parse(await Deno.readTextFile(`${root}/var/run/argo/template`)), template);
  await Deno.remove(root, { recursive: true });
});

Deno.test("init: raw artifact, and a path on main's volume goes through /mainctrfs", async () => {
  const root = await Deno.makeTempDir();
  const template = {
    container: { image: "x", volumeMounts: [{ name: "w", mountPath: "/work" }] },
    inputs: {
      artifacts: [
        { name: "r", path: "/tmp/r.txt", raw: { data: "hello" } },
        { name: "v", path: "/work/sub/v.txt", raw: { data: "vol" } },
        { name: "opt", path: "/tmp/o", optional: true },
      ],
    },
  };
  assert.equal(await init(root, template), 0);
  assert.equal(await Deno.readTextFile(`${root}/argo/inputs/artifacts/r`), "hello");
  assert.equal(await Deno.readTextFile(`${root}/mainctrfs/work/sub/v.txt`), "vol");
  assert.deepEqual(await listTree(`${root}/argo/inputs/artifacts`), ["r"]);
  await Deno.remove(root, { recursive: true });
});

Deno.test("init: a required artifact without a location fails in Argo's words", async () => {
  const root = await Deno.makeTempDir();
  const ctx = { paths: testPaths(root), limits: TEST_LIMITS, template: {} };
  await assert.rejects(
    loadArtifact(ctx, { name: "a", path: "/tmp/a" }),
    (e: Error) => e instanceof ExecError && e.message === "required artifact 'a' not supplied",
  );
  await Deno.remove(root, { recursive: true });
});

Deno.test("init: http artifacts: basic auth from the secret volume, 404, size cap", async () => {
  const root = await Deno.makeTempDir();
  const secret = "canary-Secret-4711";
  await Deno.mkdir(`${root}/argo/secret/creds`, { recursive: true });
  await Deno.writeTextFile(`${root}/argo/secret/creds/user`, "me");
  await Deno.writeTextFile(`${root}/argo/secret/creds/pass`, secret);
  const big = new Uint8Array(TEST_LIMITS.maxArtifactBytes + 1);
  // Another host: credentials must not follow a redirect there.
  const other = Deno.serve({ hostname: "127.0.0.2", port: 0, onListen() {} }, (req) => {
    return new Response(req.headers.has("authorization") ? "LEAKED" : "clean");
  });
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (req) => {
    const url = new URL(req.url);
    if (url.pathname === "/elsewhere") {
      return Response.redirect(`http://127.0.0.2:${other.addr.port}/x`, 302);
    }
    if (req.headers.get("authorization") !== `Basic ${btoa(`me:${secret}`)}`) {
      return new Response("no", { status: 401 });
    }
    if (url.pathname === "/file") return new Response("payload");
    if (url.pathname === "/moved") return Response.redirect(`${url.origin}/file`, 301);
    if (url.pathname === "/big") {
      // No content-length: the cap must hold while streaming.
      return new Response(ReadableStream.from([big.subarray(0, 1024), big.subarray(1024)]));
    }
    return new Response("missing", { status: 404 });
  });
  const base = `http://127.0.0.1:${server.addr.port}`;
  const auth = {
    basicAuth: {
      usernameSecret: { name: "creds", key: "user" },
      passwordSecret: { name: "creds", key: "pass" },
    },
  };
  const art = (name: string, path: string, optional = false) => ({
    name,
    path: `/tmp/${name}`,
    optional,
    http: { url: `${base}${path}`, auth, headers: [{ name: "X-Api-Key", value: secret }] },
  });
  try {
    const ctx = { paths: testPaths(root), limits: TEST_LIMITS, template: {} };
    await loadArtifact(ctx, art("ok", "/file"));
    assert.equal(await Deno.readTextFile(`${root}/argo/inputs/artifacts/ok`), "payload");
    await loadArtifact(ctx, art("moved", "/moved"));
    assert.equal(await Deno.readTextFile(`${root}/argo/inputs/artifacts/moved`), "payload");
    await loadArtifact(ctx, art("away", "/elsewhere"));
    assert.equal(await Deno.readTextFile(`${root}/argo/inputs/artifacts/away`), "clean");
    await loadArtifact(ctx, art("gone", "/nope", true)); // optional: skipped
    await assert.rejects(
      loadArtifact(ctx, art("gone2", "/nope")),
      /artifact gone2 failed to load: GET .*404/,
    );
    await assert.rejects(loadArtifact(ctx, art("big", "/big")), /larger than the limit/);
    assert.deepEqual(await listTree(`${root}/argo/inputs/artifacts`), ["away", "moved", "ok"]);

    // As a real process: the secret appears in nothing it prints or writes.
    const template = { inputs: { artifacts: [art("ok2", "/file"), art("bad", "/nope")] } };
    const out = await spawnExec(["init"], {
      ARGO_TS_EXEC_ROOT: root,
      ARGO_TEMPLATE: JSON.stringify(template),
      CANARY: secret,
    }).output();
    const printed = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
    assert.equal(out.code, 1);
    assert.match(printed, /artifact bad failed to load/);
    assert.ok(!printed.includes(secret));
    for (const f of await listTree(root)) {
      if (f.startsWith("argo/secret/") || f.endsWith("/")) continue;
      assert.ok(!(await Deno.readTextFile(`${root}/${f}`)).includes(secret), f);
    }
  } finally {
    await server.shutdown();
    await other.shutdown();
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("init: filesystem repository artifacts, tar.gz and archive none", async () => {
  const root = await Deno.makeTempDir();
  const repo = `${root}/repo`;
  const src = `${root}/src`;
  await Deno.mkdir(`${src}/dir/sub`, { recursive: true });
  await Deno.writeTextFile(`${src}/dir/a.txt`, "A");
  await Deno.writeTextFile(`${src}/dir/sub/b.txt`, "B");
  await Deno.writeTextFile(`${src}/one.txt`, "one");
  await Deno.mkdir(`${repo}/wf/pod`, { recursive: true });
  await tarGzToFile(`${src}/dir`, `${repo}/wf/pod/dir.tgz`);
  await tarGzToFile(`${src}/one.txt`, `${repo}/wf/pod/one.tgz`);
  await Deno.copyFile(`${src}/one.txt`, `${repo}/wf/pod/plain.txt`);
  await Deno.mkdir(`${repo}/wf/pod/tree`);
  await Deno.writeTextFile(`${repo}/wf/pod/tree/t.txt`, "T");
  const template = {
    archiveLocation: { filesystem: { path: repo, key: "wf/pod" } },
    inputs: {
      artifacts: [
        { name: "dir", path: "/in/dir", filesystem: { key: "wf/pod/dir.tgz" } },
        { name: "one", path: "/in/one", filesystem: { path: repo, key: "wf/pod/one.tgz" } },
        {
          name: "plain",
          path: "/in/p",
          archive: { none: {} },
          filesystem: { key: "wf/pod/plain.txt" },
        },
        { name: "tree", path: "/in/t", archive: { none: {} }, filesystem: { key: "wf/pod/tree" } },
        { name: "opt", path: "/in/o", optional: true, filesystem: { key: "wf/pod/absent" } },
        { name: "sub", path: "/in/s", subPath: "t.txt", filesystem: { key: "wf/pod/tree" } },
      ],
    },
  };
  assert.equal(await init(root, template), 0);
  const inputs = `${root}/argo/inputs/artifacts`;
  assert.deepEqual(await listTree(inputs), [
    "dir/",
    "dir/a.txt",
    "dir/sub/",
    "dir/sub/b.txt",
    "one",
    "plain",
    "sub",
    "tree/",
    "tree/t.txt",
  ]);
  assert.equal(await Deno.readTextFile(`${inputs}/sub`), "T");
  assert.equal(await Deno.readTextFile(`${inputs}/dir/sub/b.txt`), "B");
  assert.equal(await Deno.readTextFile(`${inputs}/one`), "one");
  assert.equal(await Deno.readTextFile(`${inputs}/plain`), "one");
  // A key may not climb out of the repository.
  const bad = {
    ...template,
    inputs: { artifacts: [{ name: "x", path: "/x", filesystem: { key: "../etc" } }] },
  };
  assert.equal(await init(root, bad), 1);
  await Deno.remove(root, { recursive: true });
});

Deno.test("init: malicious archives are refused and nothing lands outside", async (t) => {
  const root = await Deno.makeTempDir();
  const repo = `${root}/repo`;
  const outside = `${root}/argo/inputs/outside`;
  await Deno.mkdir(repo, { recursive: true });
  await Deno.mkdir(outside, { recursive: true });
  await Deno.writeTextFile(`${outside}/secret`, "keep");
  const cases: Record<string, { entries: TarSpec[]; error: RegExp }> = {
    "dot-dot": { entries: [{ name: "../outside/x", data: "pwned" }], error: /illegal file path/ },
    "deep dot-dot": {
      entries: [{ name: "a/../../outside/x", data: "pwned" }],
      error: /illegal file path/,
    },
    "absolute": { entries: [{ name: "/etc/argo-ts-x", data: "pwned" }], error: /absolute/ },
    "symlink out, then a file through it": {
      entries: [
        { name: "link", type: "2", linkname: outside },
        { name: "link/x", data: "pwned" },
      ],
      error: /illegal symlink target/,
    },
    "relative symlink out": {
      entries: [
        { name: "d/link", type: "2", linkname: "../../outside" },
        { name: "d/link/x", data: "pwned" },
      ],
      error: /illegal symlink target/,
    },
    "file through an inside symlink": {
      entries: [
        { name: "real", type: "5" },
        { name: "link", type: "2", linkname: "real" },
        { name: "link/x", data: "x" },
      ],
      error: /passes through a symbolic link/,
    },
    "hard link out": {
      entries: [{ name: "h", type: "1", linkname: "../outside/secret" }],
      error: /illegal/,
    },
    "absolute hard link": {
      entries: [{ name: "h", type: "1", linkname: `${outside}/secret` }],
      error: /illegal/,
    },
    "gzip bomb": {
      entries: [{ name: "zeros", size: TEST_LIMITS.maxArtifactBytes * 4 }],
      error: /more than the limit/,
    },
  };
  for (const [name, c] of Object.entries(cases)) {
    await t.step(name, async () => {
      await writeTarGz(`${repo}/evil.tgz`, c.entries);
      const ctx = { paths: testPaths(root), limits: TEST_LIMITS, template: {} };
      const art = { name: "evil", path: "/in/evil", filesystem: { path: repo, key: "evil.tgz" } };
      await assert.rejects(loadArtifact(ctx, art), (e: Error) => {
        assert.ok(e instanceof ExecError, String(e));
        assert.match(e.message, c.error);
        return true;
      });
      assert.deepEqual(await listTree(outside), ["secret"]);
      assert.equal(await Deno.readTextFile(`${outside}/secret`), "keep");
      assert.deepEqual(await listTree(`${root}/argo/inputs/artifacts`).catch(() => []), []);
    });
  }
  await assert.rejects(Deno.stat("/etc/argo-ts-x"), Deno.errors.NotFound);
  await Deno.remove(root, { recursive: true });
});

Deno.test("init: zip artifacts unpack; unsafe names and zip bombs are refused", async () => {
  const root = await Deno.makeTempDir();
  const repo = `${root}/repo`;
  await Deno.mkdir(repo);
  const ctx = { paths: testPaths(root), limits: TEST_LIMITS, template: {} };
  const art = (key: string) => ({
    name: "z",
    path: "/in/z",
    archive: { zip: {} },
    filesystem: { path: repo, key },
  });
  await writeZip(`${repo}/ok.zip`, [["d/", ""], ["d/a.txt", "A"], ["d/sub/b.txt", "B"]]);
  await loadArtifact(ctx, art("ok.zip"));
  const inputs = `${root}/argo/inputs/artifacts`;
  assert.deepEqual(await listTree(inputs), ["z/", "z/a.txt", "z/sub/", "z/sub/b.txt"]);
  await Deno.remove(`${inputs}/z`, { recursive: true });

  const bad: Record<string, [string, Uint8Array | string][]> = {
    "dot-dot.zip": [["../x", "pwned"]],
    "abs.zip": [["/tmp/argo-ts-zip-x", "pwned"]],
    "bomb.zip": [["zeros", new Uint8Array(TEST_LIMITS.maxArtifactBytes * 2)]],
  };
  for (const [key, files] of Object.entries(bad)) {
    await writeZip(`${repo}/${key}`, files);
    await assert.rejects(loadArtifact(ctx, art(key)), /illegal file path|more than the limit/);
    assert.deepEqual(await listTree(inputs), []);
  }
  await assert.rejects(Deno.stat(`${root}/argo/inputs/x`), Deno.errors.NotFound);
  await Deno.remove(root, { recursive: true });
});
