/**
 * One pod's life with real processes sharing a root: init stages a script and an input
 * artifact, emissary runs the script, wait reports to a fake API server.
 */
import assert from "node:assert/strict";
import type { WorkflowTaskResult } from "../api/task_result.ts";
import type { ExecArtifact } from "./template.ts";
import { spawnExec } from "./test_util.ts";

Deno.test("pod: init, emissary and wait together (script template, artifact passing)", async () => {
  const root = await Deno.makeTempDir();
  const repo = `${root}/repo`;
  const sa = `${root}/sa`;
  await Deno.mkdir(`${repo}/wf/prev`, { recursive: true });
  await Deno.writeTextFile(`${repo}/wf/prev/in.txt`, "from the previous step\n");
  await Deno.mkdir(sa);
  await Deno.writeTextFile(`${sa}/token`, "t0k3n");
  await Deno.writeTextFile(`${sa}/namespace`, "argo");
  const bodies: WorkflowTaskResult[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (req) => {
    if (req.headers.get("authorization") !== "Bearer t0k3n") {
      return new Response("", { status: 401 });
    }
    bodies.push(await req.json());
    return Response.json({}, { status: req.method === "POST" ? 201 : 200 });
  });
  const work = `${root}/main-fs`; // what main sees as its own files
  const template = {
    name: "step",
    script: {
      image: "x",
      command: ["sh"],
      source: `cat ${work}/in.txt > ${work}/out.txt\necho done`,
    },
    archiveLocation: { filesystem: { path: repo, key: "wf/pod" } },
    inputs: {
      artifacts: [{ name: "in", path: `${work}/in.txt`, filesystem: { key: "wf/prev/in.txt" } }],
    },
    outputs: {
      parameters: [{ name: "p", valueFrom: { path: `${work}/out.txt` } }],
      artifacts: [{ name: "out", path: `${work}/out.txt` }],
    },
  };
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
    const init = await spawnExec(["init"], { ...env, ARGO_CONTAINER_NAME: "init" }).output();
    assert.equal(init.code, 0, new TextDecoder().decode(init.stderr));
    // The pod would mount input-artifacts/<name> at the artifact's path.
    await Deno.mkdir(work);
    await Deno.copyFile(`${root}/argo/inputs/artifacts/in`, `${work}/in.txt`);

    const wait = spawnExec(["wait"], { ...env, ARGO_CONTAINER_NAME: "wait" }, "null");
    const main = await spawnExec(
      ["emissary", "--", "sh", `${root}/argo/staging/script`],
      { ...env, ARGO_CONTAINER_NAME: "main" },
    ).output();
    assert.equal(main.code, 0, new TextDecoder().decode(main.stderr));
    assert.equal(new TextDecoder().decode(main.stdout), "done\n");
    const waited = await wait.output();
    assert.equal(waited.code, 0, new TextDecoder().decode(waited.stderr));

    const final = bodies.at(-1)!;
    assert.equal(final.metadata.labels?.["workflows.argoproj.io/report-outputs-completed"], "true");
    assert.equal(final.outputs?.result, "done");
    assert.equal(final.outputs?.exitCode, "0");
    assert.equal(final.outputs?.parameters?.[0].value, "from the previous step");
    const art = final.outputs?.artifacts?.[0] as ExecArtifact;
    assert.deepEqual(art.filesystem, { path: repo, key: "wf/pod/out.tgz" });
  } finally {
    await server.shutdown();
    await Deno.remove(root, { recursive: true });
  }
});
