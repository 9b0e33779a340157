/**
 * suspend, resume, stop, terminate, node set, retry and resubmit against an embedded cluster
 * with its controller, run in-process.
 */
import assert from "node:assert/strict";
import type { Workflow } from "../api/types.gen.ts";
import { memoryIo, runCli } from "../cli/mod.ts";
import { startTestCluster, type TestCluster } from "./cli_harness.ts";

const APPROVAL = `
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata:
  generateName: approval-
spec:
  entrypoint: main
  templates:
    - name: main
      steps:
        - - name: approve
            template: approve
        - - name: after
            template: say
            arguments: { parameters: [{ name: text, value: "approved" }] }
    - name: approve
      suspend: {}
    - name: say
      inputs: { parameters: [{ name: text }] }
      container:
        image: alpine
        command: [echo]
        args: ["{{inputs.parameters.text}}"]
`;

const SLOW = `
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata:
  generateName: slow-
spec:
  entrypoint: main
  onExit: bye
  templates:
    - name: main
      container:
        image: alpine
        command: [sleep, "60"]
    - name: bye
      container:
        image: alpine
        command: [echo, bye]
`;

const EXIT_CODE = `
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata:
  generateName: code-
spec:
  entrypoint: main
  arguments:
    parameters: [{ name: code, value: "1" }]
  templates:
    - name: main
      steps:
        - - name: first
            template: run
            arguments: { parameters: [{ name: code, value: "0" }] }
        - - name: second
            template: run
            arguments: { parameters: [{ name: code, value: "{{workflow.parameters.code}}" }] }
    - name: run
      inputs: { parameters: [{ name: code }] }
      container:
        image: alpine
        command: [sh, -c]
        args: ["echo exiting {{inputs.parameters.code}}; exit {{inputs.parameters.code}}"]
`;

const options = { sanitizeOps: false, sanitizeResources: false };

async function submit(c: TestCluster, yaml: string): Promise<string> {
  const r = await c.cli(["submit", "-", "-o", "name"], memoryIo({ stdin: yaml }));
  assert.equal(r.code, 0, r.stderr);
  return r.stdout.trim();
}

async function getWorkflow(c: TestCluster, name: string): Promise<Workflow> {
  const r = await c.cli(["get", name, "-o", "json"]);
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout) as Workflow;
}

/** Reads the workflow until `ready` holds (bounded: a stuck engine fails the test). */
async function until(c: TestCluster, name: string, ready: (wf: Workflow) => boolean) {
  for (let i = 0; i < 400; i++) {
    const wf = await getWorkflow(c, name);
    if (ready(wf)) return wf;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  assert.fail(`workflow ${name} never reached the expected state`);
}

const hasActiveSuspend = (wf: Workflow) =>
  Object.values(wf.status?.nodes ?? {}).some((n) => n.type === "Suspend" && n.phase === "Running");
const hasRunningPod = (wf: Workflow) =>
  Object.values(wf.status?.nodes ?? {}).some((n) => n.type === "Pod" && n.phase === "Running");

Deno.test("resubmit --memoized says it is not built yet, exit 2, before any cluster call", async () => {
  const io = memoryIo();
  const code = await runCli(["resubmit", "--memoized", "some-workflow"], io);
  assert.equal(code, 2);
  assert.equal(io.stdout(), "");
  assert.match(io.stderr(), /'resubmit --memoized' is not built yet/);
});

Deno.test("cli actions against the embedded cluster", options, async (t) => {
  const c = await startTestCluster();
  try {
    await t.step("suspend and resume set and clear spec.suspend", async () => {
      const name = await submit(c, SLOW);
      await until(c, name, hasRunningPod);
      const suspended = await c.cli(["suspend", name]);
      assert.equal(suspended.code, 0, suspended.stderr);
      assert.equal(suspended.stdout, `workflow ${name} suspended\n`);
      assert.equal((await getWorkflow(c, name)).spec.suspend, true);
      assert.match((await c.cli(["get", name])).stdout, /^Status: +Running \(Suspended\)$/m);
      const resumed = await c.cli(["resume", name]);
      assert.equal(resumed.stdout, `workflow ${name} resumed\n`);
      assert.equal((await getWorkflow(c, name)).spec.suspend, undefined);

      const terminated = await c.cli(["terminate", name]);
      assert.equal(terminated.stdout, `workflow ${name} terminated\n`);
      const waited = await c.cli(["wait", name]);
      assert.equal(waited.code, 1);
      const wf = await getWorkflow(c, name);
      assert.equal(wf.status?.phase, "Failed");
      assert.ok(
        !Object.values(wf.status?.nodes ?? {}).some((n) => n.name.endsWith(".onExit")),
        "terminate runs no exit handler",
      );
      const again = await c.cli(["stop", name]);
      assert.equal(again.code, 1);
      assert.match(again.stderr, /cannot shutdown a completed workflow/);
    });

    await t.step("stop lets the exit handler run", async () => {
      const name = await submit(c, SLOW);
      await until(c, name, hasRunningPod);
      const stopped = await c.cli(["stop", "-l", "workflows.argoproj.io/workflow-template!=x"]);
      assert.equal(stopped.stdout, `workflow ${name} stopped\n`, "only the running one");
      assert.equal((await c.cli(["wait", name])).code, 1);
      const wf = await getWorkflow(c, name);
      assert.equal(wf.spec.shutdown, "Stop");
      const exit = Object.values(wf.status?.nodes ?? {}).find((n) => n.name.endsWith(".onExit"));
      assert.equal(exit?.phase, "Succeeded");
    });

    await t.step("resume --node-field-selector completes the suspend node", async () => {
      const name = await submit(c, APPROVAL);
      await until(c, name, hasActiveSuspend);
      const wrong = await c.cli(["resume", name, "--node-field-selector", "displayName=other"]);
      assert.equal(wrong.code, 0);
      assert.ok(hasActiveSuspend(await getWorkflow(c, name)));
      const r = await c.cli(["resume", name, "--node-field-selector", "displayName=approve"]);
      assert.equal(r.stdout, `workflow ${name} resumed\n`);
      const waited = await c.cli(["wait", name]);
      assert.equal(waited.code, 0, waited.stdout + waited.stderr);
      assert.match((await c.cli(["logs", name])).stdout, /: approved$/m);
    });

    await t.step("node set fails a suspend node with a message", async () => {
      const name = await submit(c, APPROVAL);
      await until(c, name, hasActiveSuspend);
      const missing = await c.cli([
        "node",
        "set",
        name,
        "--node-field-selector",
        "displayName=nope",
        "--phase",
        "Failed",
      ]);
      assert.equal(missing.code, 1);
      assert.match(missing.stderr, /no suspend node .* matches "displayName=nope"/);
      const r = await c.cli([
        "node",
        "set",
        name,
        "--node-field-selector",
        "displayName=approve",
        "--phase",
        "Failed",
        "-m",
        "rejected",
        "-p",
        "answer=no",
      ]);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout, `workflow ${name} updated\n`);
      assert.equal((await c.cli(["wait", name])).code, 1);
      const node = Object.values((await getWorkflow(c, name)).status?.nodes ?? {})
        .find((n) => n.displayName === "approve");
      assert.equal(node?.message, "rejected");
      assert.deepEqual(node?.outputs?.parameters, [{ name: "answer", value: "no" }]);
    });

    await t.step("retry -p re-runs only the failed step", async () => {
      const name = await submit(c, EXIT_CODE);
      assert.equal((await c.cli(["wait", name])).code, 1);
      const before = await getWorkflow(c, name);
      const first = Object.values(before.status?.nodes ?? {}).find((n) =>
        n.displayName === "first"
      );
      const r = await c.cli(["retry", name, "-p", "code=0", "--wait"]);
      assert.equal(r.code, 0, r.stdout + r.stderr);
      assert.match(r.stdout, new RegExp(`^${name} Succeeded at `, "m"));
      const after = await getWorkflow(c, name);
      const firstAfter = after.status?.nodes?.[first!.id];
      assert.equal(firstAfter?.startedAt, first?.startedAt, "the succeeded step is kept");
      const notFailed = await c.cli(["retry", name]);
      assert.equal(notFailed.code, 1);
      assert.match(notFailed.stderr, /must be Failed\/Error to retry/);
    });

    await t.step("resubmit creates a new workflow labelled with its origin", async () => {
      const name = await submit(c, EXIT_CODE);
      assert.equal((await c.cli(["wait", name])).code, 1);
      const r = await c.cli(["resubmit", name, "-p", "code=0", "-o", "name", "--wait"]);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout.split("\n").length, 2, "only the name with -o name");
      const fresh = await getWorkflow(c, r.stdout.trim());
      assert.notEqual(fresh.metadata.name, name);
      assert.equal(
        fresh.metadata.labels?.["workflows.argoproj.io/resubmitted-from-workflow"],
        name,
      );
      assert.equal(fresh.status?.phase, "Succeeded");
      const resubmitted = await c.cli(["delete", "--resubmitted", "--dry-run"]);
      assert.equal(resubmitted.stdout, `Workflow '${fresh.metadata.name}' deleted (dry-run)\n`);
      const older = await c.cli(["delete", "--older", "1d", "--dry-run"]);
      assert.equal(older.code, 0, older.stderr);
      assert.equal(older.stdout, "", "every workflow here finished within the day");
      const listed = await c.cli(["list", "--resubmitted", "-o", "name"]);
      assert.equal(listed.code, 0, listed.stderr);
      assert.equal(listed.stdout, `${fresh.metadata.name}\n`);
      const listedOlder = await c.cli(["list", "--older", "1d", "-o", "name"]);
      assert.equal(listedOlder.stdout, "No workflows found\n", "all finished within the day");
      const finished = await c.cli(["list", "--older", "0s", "-o", "name"]);
      assert.ok(finished.stdout.split("\n").includes(name), finished.stdout);
      const badOlder = await c.cli(["list", "--older", "soon"]);
      assert.equal(badOlder.code, 2);
      assert.match(badOlder.stderr, /cannot read --older "soon"/);
    });

    await t.step("retry -l acts on every workflow with the label", async () => {
      const name = await submit(c, EXIT_CODE);
      assert.equal((await c.cli(["wait", name])).code, 1);
      const label = await c.cli([
        "retry",
        "-l",
        `workflows.argoproj.io/workflow-name-is-not-a-label=x`,
      ]);
      assert.equal(label.code, 0, "no workflow matches: nothing to do");
      const byField = await c.cli([
        "retry",
        "--field-selector",
        `metadata.name=${name}`,
        "-p",
        "code=0",
        "--wait",
      ]);
      assert.equal(byField.code, 0, byField.stdout + byField.stderr);
      assert.match(byField.stdout, new RegExp(`^${name} Succeeded at `, "m"));
    });
  } finally {
    await c.close();
  }
});
