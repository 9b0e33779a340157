/**
 * The executor's S3 artifact driver against a real S3-compatible server (s3rver, started here on
 * 127.0.0.1): saving in every archive format, loading back through key-only locations, optional
 * and required missing artifacts, unsafe content, credentials that never leak, an unreachable
 * endpoint.
 */
import assert from "node:assert/strict";
import * as Minio from "minio";
import { Buffer } from "node:buffer";
import { loadArtifact, saveArtifact } from "../exec/artifacts.ts";
import { tarGzToFile } from "../exec/tar.ts";
import { type ExecArtifact, ExecError } from "../exec/template.ts";
import { listTree, spawnExec, TEST_LIMITS, testPaths, writeTarGz } from "../exec/test_util.ts";
import { startS3rver, type TestS3 } from "./s3rver.ts";

const CANARY = "canary-S3-secret-7f3a9c";
const BUCKET = "artifacts";

async function withServer(fn: (s3: TestS3, root: string) => Promise<void>): Promise<void> {
  const s3 = await startS3rver([BUCKET]);
  const root = await Deno.makeTempDir({ prefix: "argo-ts-s3-test-" });
  try {
    await Deno.mkdir(`${root}/argo/secret/s3-cred`, { recursive: true });
    await Deno.writeTextFile(`${root}/argo/secret/s3-cred/accesskey`, "S3RVER\n");
    await Deno.writeTextFile(`${root}/argo/secret/s3-cred/secretkey`, CANARY);
    await fn(s3, root);
  } finally {
    await s3.close();
    await Deno.remove(root, { recursive: true });
  }
}

function repository(endpoint: string, extra: Record<string, unknown> = {}) {
  return {
    endpoint,
    bucket: BUCKET,
    insecure: true,
    accessKeySecret: { name: "s3-cred", key: "accesskey" },
    secretKeySecret: { name: "s3-cred", key: "secretkey" },
    ...extra,
  };
}

function client(s3: TestS3): Minio.Client {
  return new Minio.Client({
    endPoint: "127.0.0.1",
    port: s3.port,
    useSSL: false,
    accessKey: "S3RVER",
    secretKey: "S3RVER",
    pathStyle: true,
  });
}

async function objectNames(s3: TestS3, bucket = BUCKET): Promise<string[]> {
  const names: string[] = [];
  const stream = client(s3).listObjectsV2(bucket, "", true);
  for await (const item of stream as AsyncIterable<{ name?: string }>) {
    if (item.name) names.push(item.name);
  }
  return names.sort();
}

async function rejects(p: Promise<unknown>): Promise<ExecError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof ExecError, `expected an ExecError, got ${e}`);
    return e;
  }
  assert.fail("expected a rejection");
}

Deno.test("s3: outputs in every format are saved, reported key-only and load back", async () => {
  await withServer(async (s3, root) => {
    const paths = testPaths(root);
    // Emissary's tarballs (paths not on a volume) and main's volume (/work).
    const src = `${root}/src`;
    await Deno.mkdir(`${src}/tree/sub`, { recursive: true });
    await Deno.writeTextFile(`${src}/tree/a.txt`, "A");
    await Deno.writeTextFile(`${src}/tree/sub/b.txt`, "B");
    await Deno.writeTextFile(`${src}/report.txt`, "rows: 42\n");
    const outputs = `${root}/var/run/argo/outputs/artifacts`;
    await Deno.mkdir(`${outputs}/tmp`, { recursive: true });
    await tarGzToFile(`${src}/report.txt`, `${outputs}/tmp/report.txt.tgz`);
    await tarGzToFile(`${src}/tree`, `${outputs}/tmp/tree.tgz`);
    const work = `${root}/mainctrfs/work`;
    await Deno.mkdir(`${work}/big`, { recursive: true });
    // 40 MiB, more than one 16 MiB part: the streamed upload goes multipart.
    const block = new Uint8Array(1024 * 1024);
    for (let off = 0; off < block.length; off += 65536) {
      crypto.getRandomValues(block.subarray(off, off + 65536));
    }
    const big = await Deno.open(`${work}/big/data.bin`, { write: true, create: true });
    for (let i = 0; i < 40; i++) {
      block[0] = i;
      await big.write(block);
    }
    big.close();
    await Deno.writeTextFile(`${work}/note.txt`, "note");

    const repo = repository(s3.endpoint, { key: "wf/pod-1" });
    const template = {
      archiveLocation: { s3: repo },
      container: { image: "x", volumeMounts: [{ name: "work", mountPath: "/work" }] },
    };
    const ctx = { paths, limits: { ...TEST_LIMITS, maxArtifactBytes: 1 << 30 }, template };
    const outs: ExecArtifact[] = [
      { name: "report", path: "/tmp/report.txt" },
      { name: "tree-none", path: "/tmp/tree", archive: { none: {} } },
      { name: "tree-zip", path: "/tmp/tree", archive: { zip: {} } },
      { name: "big", path: "/work/big" },
      { name: "note", path: "/work/note.txt", archive: { none: {} } },
      { name: "own", path: "/work/note.txt", s3: { key: "custom/place/note.tgz" } },
      { name: "gone", path: "/tmp/absent", optional: true },
    ];
    const saved: ExecArtifact[] = [];
    for (const art of outs) {
      const s = await saveArtifact(ctx, art);
      if (s) saved.push(s);
    }
    assert.deepEqual(saved.map((a) => [a.name, a.s3]), [
      ["report", { key: "wf/pod-1/report.tgz" }],
      ["tree-none", { key: "wf/pod-1/tree" }],
      ["tree-zip", { key: "wf/pod-1/tree-zip.zip" }],
      ["big", { key: "wf/pod-1/big.tgz" }],
      ["note", { key: "wf/pod-1/note.txt" }],
      ["own", { key: "custom/place/note.tgz" }],
    ]);
    assert.deepEqual(await objectNames(s3), [
      "custom/place/note.tgz",
      "wf/pod-1/big.tgz",
      "wf/pod-1/note.txt",
      "wf/pod-1/report.tgz",
      "wf/pod-1/tree-zip.zip",
      "wf/pod-1/tree/a.txt",
      "wf/pod-1/tree/sub/b.txt",
    ]);
    // No repository detail (and so no secret reference) goes into the reported outputs.
    assert.ok(!JSON.stringify(saved).includes("secret"));

    // Load them back in another pod, key-only, as the engine passes them.
    const root2 = `${root}/pod2`;
    const inCtx = {
      paths: testPaths(root2),
      limits: { ...TEST_LIMITS, maxArtifactBytes: 1 << 30 },
      template: { archiveLocation: { s3: repository(s3.endpoint, { key: "wf/pod-2" }) } },
    };
    await Deno.mkdir(`${root2}/argo`, { recursive: true });
    await Deno.rename(`${root}/argo/secret`, `${root2}/argo/secret`);
    for (const s of saved) {
      const archive = s.name === "tree-zip" ? { zip: {} } : undefined;
      await loadArtifact(inCtx, { name: s.name, path: `/in/${s.name}`, s3: s.s3, archive });
    }
    await loadArtifact(inCtx, {
      name: "sub",
      path: "/in/sub",
      subPath: "sub/b.txt",
      s3: { key: "wf/pod-1/tree" },
    });
    const inputs = `${root2}/argo/inputs/artifacts`;
    assert.deepEqual(await listTree(inputs), [
      "big/",
      "big/data.bin",
      "note",
      "own",
      "report",
      "sub",
      "tree-none/",
      "tree-none/a.txt",
      "tree-none/sub/",
      "tree-none/sub/b.txt",
      "tree-zip/",
      "tree-zip/a.txt",
      "tree-zip/sub/",
      "tree-zip/sub/b.txt",
    ]);
    assert.equal(await Deno.readTextFile(`${inputs}/report`), "rows: 42\n");
    assert.equal(await Deno.readTextFile(`${inputs}/own`), "note");
    assert.equal(await Deno.readTextFile(`${inputs}/sub`), "B");
    assert.equal(await Deno.readTextFile(`${inputs}/tree-zip/sub/b.txt`), "B");
    const copy = await Deno.readFile(`${inputs}/big/data.bin`);
    const orig = await Deno.readFile(`${work}/big/data.bin`);
    assert.equal(copy.length, 40 * 1024 * 1024);
    assert.ok(copy.every((b, i) => b === orig[i]));
  });
});

Deno.test("s3: createBucketIfNotPresent, main's log, a full location of the artifact's own", async () => {
  await withServer(async (s3, root) => {
    const paths = testPaths(root);
    const ctr = `${root}/var/run/argo/ctr/main`;
    await Deno.mkdir(ctr, { recursive: true });
    await Deno.writeTextFile(`${ctr}/combined`, "hello log\n");
    await Deno.mkdir(`${root}/var/run/argo/outputs/artifacts/tmp`, { recursive: true });
    await Deno.writeTextFile(`${root}/f.txt`, "F");
    await tarGzToFile(`${root}/f.txt`, `${root}/var/run/argo/outputs/artifacts/tmp/f.txt.tgz`);
    const template = {
      archiveLocation: {
        archiveLogs: true,
        s3: repository(s3.endpoint, {
          bucket: "new-bucket",
          key: "logs/pod",
          createBucketIfNotPresent: {},
        }),
      },
    };
    const ctx = { paths, limits: TEST_LIMITS, template };
    const { saveMainLog } = await import("../exec/artifacts.ts");
    assert.deepEqual(await saveMainLog(ctx, `${ctr}/combined`), {
      name: "main-logs",
      s3: { key: "logs/pod/main.log" },
    });
    const own = repository(s3.endpoint, { key: "elsewhere/f.tgz" });
    const saved = await saveArtifact(ctx, { name: "f", path: "/tmp/f.txt", s3: own });
    assert.deepEqual(saved?.s3, own);
    assert.deepEqual(await objectNames(s3, "new-bucket"), ["logs/pod/main.log"]);
    assert.deepEqual(await objectNames(s3), ["elsewhere/f.tgz"]);
  });
});

Deno.test("s3: optional absent artifacts are skipped; required ones fail in Argo's words", async () => {
  await withServer(async (s3, root) => {
    const template = {
      archiveLocation: { s3: repository(s3.endpoint, { key: "wf/pod" }) },
      inputs: {
        artifacts: [
          { name: "opt", path: "/in/opt", optional: true, s3: { key: "wf/none.tgz" } },
          { name: "opt-unset", path: "/in/u", optional: true },
        ],
      },
      outputs: { artifacts: [{ name: "out-opt", path: "/tmp/nothing", optional: true }] },
    };
    const ctx = { paths: testPaths(root), limits: TEST_LIMITS, template };
    for (const art of template.inputs.artifacts) await loadArtifact(ctx, art);
    assert.equal(await saveArtifact(ctx, template.outputs.artifacts[0]), undefined);
    assert.deepEqual(await listTree(`${root}/argo/inputs/artifacts`), []);

    const missing = await rejects(
      loadArtifact(ctx, { name: "req", path: "/in/r", s3: { key: "x" } }),
    );
    assert.equal(
      missing.message,
      `artifact req failed to load: key x does not exist in bucket ${BUCKET}`,
    );
    const unset = await rejects(loadArtifact(ctx, { name: "req", path: "/in/r" }));
    assert.equal(unset.message, "required artifact 'req' not supplied");
    const out = await rejects(saveArtifact(ctx, { name: "o", path: "/tmp/nothing" }));
    assert.equal(
      out.message,
      "failed to save output artifact o: /tmp/nothing no such file or directory",
    );
  });
});

Deno.test("s3: unsafe objects are refused and nothing lands outside the target", async () => {
  await withServer(async (s3, root) => {
    const c = client(s3);
    const evil = `${root}/evil.tgz`;
    await writeTarGz(evil, [{ name: "../../escaped.txt", data: "x" }]);
    await c.fPutObject(BUCKET, "bad/evil.tgz", evil, {});
    await writeTarGz(evil, [{ name: "link", type: "2", linkname: "/etc" }]);
    await c.fPutObject(BUCKET, "bad/link.tgz", evil, {});
    // Stored under the key "tree/../x.txt": a directory download must refuse that name.
    await c.putObject(BUCKET, "tree/%2e%2e/x.txt", "x");
    const template = { archiveLocation: { s3: repository(s3.endpoint, { key: "wf/pod" }) } };
    const ctx = { paths: testPaths(root), limits: TEST_LIMITS, template };
    const a = await rejects(
      loadArtifact(ctx, { name: "a", path: "/a", s3: { key: "bad/evil.tgz" } }),
    );
    assert.match(a.message, /illegal file path: \.\.\/\.\.\/escaped\.txt/);
    const b = await rejects(
      loadArtifact(ctx, { name: "b", path: "/b", s3: { key: "bad/link.tgz" } }),
    );
    assert.match(b.message, /illegal symlink target: link -> \/etc/);
    const t = await rejects(loadArtifact(ctx, { name: "t", path: "/t", s3: { key: "tree" } }));
    assert.match(t.message, /s3 object name "\.\.\/x\.txt" must not contain "\.\."/);
    // A key that climbs is refused before any request.
    const c2 = await rejects(loadArtifact(ctx, { name: "c", path: "/c", s3: { key: "../x" } }));
    assert.match(c2.message, /s3 key "\.\.\/x" must not contain "\.\."/);
    // A bomb: more bytes than the cap once decompressed.
    await writeTarGz(evil, [{ name: "zeros", size: TEST_LIMITS.maxArtifactBytes + 1024 }]);
    await c.fPutObject(BUCKET, "bad/bomb.tgz", evil, {});
    const d = await rejects(
      loadArtifact(ctx, { name: "d", path: "/d", s3: { key: "bad/bomb.tgz" } }),
    );
    assert.match(d.message, /unpacks to more than the limit/);
    // Too big to download at all.
    const blob = new Uint8Array(TEST_LIMITS.maxArtifactBytes + 1);
    await c.putObject(BUCKET, "bad/huge.bin", Buffer.from(blob));
    const e = await rejects(
      loadArtifact(ctx, { name: "e", path: "/e", s3: { key: "bad/huge.bin" } }),
    );
    assert.match(e.message, /larger than the limit/);
    assert.deepEqual(await listTree(`${root}/argo/inputs/artifacts`), []);
    for (const name of ["escaped.txt", "x.txt"]) {
      for (const dir of [root, `${root}/argo`, `${root}/argo/inputs`]) {
        assert.equal(await Deno.stat(`${dir}/${name}`).catch(() => undefined), undefined);
      }
    }
  });
});

Deno.test("s3: an unreachable endpoint and bad credentials fail clearly, without the secret", async () => {
  await withServer(async (s3, root) => {
    // A port that was open a moment ago and is closed now.
    const probe = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const closed = (probe.addr as Deno.NetAddr).port;
    probe.close();
    const unreachable = {
      archiveLocation: { s3: repository(`127.0.0.1:${closed}`, { key: "k" }) },
    };
    const ctx = {
      paths: testPaths(root),
      limits: TEST_LIMITS,
      template: unreachable,
      s3Retry: { attempts: 2, baseMs: 10 },
    };
    const a = await rejects(loadArtifact(ctx, { name: "in", path: "/in", s3: { key: "k/x" } }));
    assert.match(
      a.message,
      new RegExp(
        `^artifact in failed to load: GET s3://${BUCKET}/k/x: cannot reach the S3 ` +
          `endpoint 127\\.0\\.0\\.1:${closed} \\(.*ECONNREFUSED.*; 2 attempts\\)$`,
      ),
    );

    // As a process: an unknown access key; stderr names the failure, never the secret.
    await Deno.writeTextFile(`${root}/argo/secret/s3-cred/accesskey`, `${CANARY}-id`);
    const template = {
      archiveLocation: { s3: repository(s3.endpoint, { key: "k" }) },
      inputs: { artifacts: [{ name: "in", path: "/in", s3: { key: "k/x" } }] },
    };
    const child = spawnExec(["init"], {
      ARGO_TS_EXEC_ROOT: root,
      ARGO_TEMPLATE: JSON.stringify(template),
    });
    const out = await child.output();
    const stderr = new TextDecoder().decode(out.stderr);
    assert.equal(out.code, 1, stderr);
    assert.match(
      stderr,
      /artifact in failed to load: GET s3:\/\/artifacts\/k\/x: .*(Access Key|InvalidAccessKeyId)/,
    );
    assert.ok(!stderr.includes(CANARY), stderr);
    assert.ok(!new TextDecoder().decode(out.stdout).includes(CANARY));
    // The template copy for main and sidecars holds references only.
    const copied = await Deno.readTextFile(`${root}/var/run/argo/template`);
    assert.ok(!copied.includes(CANARY));

    // Settings the driver does not support are named.
    const ca = {
      archiveLocation: { s3: repository(s3.endpoint, { caSecret: { name: "c", key: "k" } }) },
    };
    const f = await rejects(
      loadArtifact({ ...ctx, template: ca }, { name: "in", path: "/in", s3: { key: "k/x" } }),
    );
    assert.match(f.message, /caSecret is not supported/);
    const bad = { archiveLocation: { s3: repository("http://127.0.0.1:1/x") } };
    const g = await rejects(
      loadArtifact({ ...ctx, template: bad }, { name: "in", path: "/in", s3: { key: "k/x" } }),
    );
    assert.match(g.message, /is not host\[:port\]/);
  });
});

Deno.test("s3: the executor's static imports never load minio", async () => {
  const dir = new URL("../exec/", import.meta.url).pathname;
  for await (const e of Deno.readDir(dir)) {
    if (!e.name.endsWith(".ts") || e.name.endsWith("_test.ts") || e.name === "s3.ts") continue;
    const text = await Deno.readTextFile(`${dir}${e.name}`);
    assert.doesNotMatch(text, /^import (?!type)[^;]*from "(minio|\.\/s3\.ts)"/m, e.name);
  }
});
