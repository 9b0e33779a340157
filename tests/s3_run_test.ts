/**
 * End to end: `argo-ts run examples/artifact-passing.yaml` with an S3 artifact repository
 * (s3rver started here on 127.0.0.1) configured through `--config`, its credentials in a Secret
 * given with `--with`. The artifact goes through S3; canary credentials appear in no log line,
 * pod spec, task result, event or workflow status (all watched on the API while it runs).
 */
import assert from "node:assert/strict";
import * as Minio from "minio";
import { parse as parseYaml } from "yaml";
import { addAccessKey, startS3rver } from "./s3rver.ts";

const REPO = new URL("../", import.meta.url).pathname;
const ACCESS_CANARY = "canary-access-5d1e0b";
const SECRET_CANARY = "canary-secret-a91f27c4";
const BUCKET = "run-artifacts";

interface KubeconfigDoc {
  clusters: { cluster: { server: string; "certificate-authority-data"?: string } }[];
  users: { user: { token: string } }[];
}

/** Records every event of some watches on the embedded API server, as raw text. */
async function watchAll(kubeconfigPath: string, paths: string[]) {
  const doc = parseYaml(await Deno.readTextFile(kubeconfigPath)) as KubeconfigDoc;
  const server = doc.clusters[0].cluster.server;
  const caData = doc.clusters[0].cluster["certificate-authority-data"];
  const client = Deno.createHttpClient(
    caData ? { caCerts: [new TextDecoder().decode(decodeBase64(caData))] } : {},
  );
  const texts = new Map<string, string>(paths.map((p) => [p, ""]));
  const abort = new AbortController();
  const done = paths.map(async (path) => {
    try {
      const res = await fetch(`${server}${path}?watch=true`, {
        headers: { authorization: `Bearer ${doc.users[0].user.token}` },
        client,
        signal: abort.signal,
      });
      assert.equal(res.status, 200, `watch ${path}`);
      const decoder = new TextDecoder();
      for await (const chunk of res.body!) {
        texts.set(path, texts.get(path)! + decoder.decode(chunk, { stream: true }));
      }
    } catch (e) {
      if (!abort.signal.aborted) throw e;
    }
  });
  return {
    texts,
    stop: async () => {
      abort.abort();
      const settled = await Promise.allSettled(done);
      client.close();
      for (const s of settled) if (s.status === "rejected") throw s.reason;
    },
  };
}

function decodeBase64(text: string): Uint8Array {
  return Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
}

async function readTreeText(dir: string): Promise<string> {
  let out = "";
  for await (const e of Deno.readDir(dir)) {
    const path = `${dir}/${e.name}`;
    if (e.isDirectory) out += await readTreeText(path);
    else if (e.isFile) out += `\n== ${path}\n${await Deno.readTextFile(path)}`;
  }
  return out;
}

Deno.test({
  name: "argo-ts run: artifact-passing through an S3 repository; credentials never leak",
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const s3 = await startS3rver();
    addAccessKey(ACCESS_CANARY, SECRET_CANARY);
    const dir = await Deno.makeTempDir({ prefix: "argo-ts-s3-run-" });
    const state = `${dir}/state`;
    try {
      await Deno.writeTextFile(
        `${dir}/config.yaml`,
        [
          "apiVersion: v1",
          "kind: ConfigMap",
          "metadata: {name: workflow-controller-configmap}",
          "data:",
          "  artifactRepository: |",
          "    archiveLogs: true",
          "    s3:",
          `      endpoint: ${s3.endpoint}`,
          `      bucket: ${BUCKET}`,
          "      insecure: true",
          '      keyFormat: "runs/{{workflow.name}}/{{pod.name}}"',
          "      createBucketIfNotPresent: {}",
          "      accessKeySecret: {name: s3-credentials, key: accessKey}",
          "      secretKeySecret: {name: s3-credentials, key: secretKey}",
          "",
        ].join("\n"),
      );
      await Deno.writeTextFile(
        `${dir}/secret.yaml`,
        [
          "apiVersion: v1",
          "kind: Secret",
          "metadata: {name: s3-credentials}",
          "stringData:",
          `  accessKey: ${ACCESS_CANARY}`,
          `  secretKey: ${SECRET_CANARY}`,
          "",
        ].join("\n"),
      );
      const child = new Deno.Command(`${REPO}argo-ts`, {
        args: [
          "run",
          `${REPO}examples/artifact-passing.yaml`,
          "--config",
          `${dir}/config.yaml`,
          "--with",
          `${dir}/secret.yaml`,
          "--state-dir",
          state,
          "--log",
          "-o",
          "json",
        ],
        env: { NO_COLOR: "1", RUST_BACKTRACE: "0" },
        stdout: "piped",
        stderr: "piped",
      }).spawn();
      const output = child.output();

      // Watch pods, task results, workflows and events from the moment the cluster is up.
      const kubeconfig = `${state}/kubeconfig`;
      const until = Date.now() + 60_000;
      while (!(await Deno.stat(kubeconfig).then(() => true, () => false))) {
        assert.ok(Date.now() < until, "the embedded cluster did not start");
        await new Promise((r) => setTimeout(r, 20));
      }
      const watches = await watchAll(kubeconfig, [
        "/api/v1/pods",
        "/apis/argoproj.io/v1alpha1/workflowtaskresults",
        "/apis/argoproj.io/v1alpha1/workflows",
        "/api/v1/events",
      ]);
      const out = await output;
      await watches.stop();
      const stdout = new TextDecoder().decode(out.stdout);
      const stderr = new TextDecoder().decode(out.stderr);
      assert.equal(out.code, 0, `${stderr}\n${stdout}`);

      // The workflow succeeded, its artifact went through S3 and is reported key-only.
      const wf = JSON.parse(stdout.slice(stdout.indexOf("{")));
      assert.equal(wf.status.phase, "Succeeded");
      const nodes = Object.values(wf.status.nodes) as {
        displayName: string;
        outputs?: { artifacts?: { name: string; s3?: { key: string } }[] };
      }[];
      const writer = nodes.find((n) => n.displayName === "write-report")!;
      const report = writer.outputs?.artifacts?.find((a) => a.name === "report");
      assert.match(report?.s3?.key ?? "", /^runs\/artifact-passing-\w+\/[\w-]+\/report\.tgz$/);
      const minio = new Minio.Client({
        endPoint: "127.0.0.1",
        port: s3.port,
        useSSL: false,
        accessKey: "S3RVER",
        secretKey: "S3RVER",
        pathStyle: true,
      });
      const names: string[] = [];
      for await (
        const item of minio.listObjectsV2(BUCKET, "", true) as AsyncIterable<{ name: string }>
      ) {
        names.push(item.name);
      }
      assert.ok(names.includes(report!.s3!.key), names.join(", "));
      assert.ok(names.some((n) => n.endsWith("/main.log")), names.join(", "));

      // The reader printed what the writer wrote (its main log, fetched from the node).
      const logs = await readTreeText(`${state}/node/pods`).catch(() => "");
      const podLogs = logs.split("\n== ").filter((part) => part.includes("/logs/")).join("\n");
      assert.match(podLogs, /rows: 42/);

      // The canaries are really in use (the Secret's volume files)...
      assert.ok(logs.includes(SECRET_CANARY));
      // ...and nowhere else: run's output, pod logs, pod specs, task results, events, status.
      const pods = watches.texts.get("/api/v1/pods")!;
      const results = watches.texts.get("/apis/argoproj.io/v1alpha1/workflowtaskresults")!;
      const workflows = watches.texts.get("/apis/argoproj.io/v1alpha1/workflows")!;
      const events = watches.texts.get("/api/v1/events")!;
      assert.match(pods, /s3-credentials/, "the pods were seen");
      assert.match(results, /report-outputs-completed/, "the task results were seen");
      assert.match(workflows, /Succeeded/, "the workflow was seen");
      for (
        const [what, text] of Object.entries({
          stdout,
          stderr,
          podLogs,
          pods,
          results,
          workflows,
          events,
        })
      ) {
        for (const canary of [ACCESS_CANARY, SECRET_CANARY]) {
          assert.ok(!text.includes(canary), `${canary} appears in ${what}`);
        }
      }
    } finally {
      await s3.close();
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    }
  },
});
