/**
 * template, cluster-template and cron CRUD against an embedded cluster, run in-process; and the
 * usage errors every command shares.
 */
import assert from "node:assert/strict";
import { memoryIo, runCli } from "../cli/mod.ts";
import { startTestCluster } from "./cli_harness.ts";

const TEMPLATE = `
apiVersion: argoproj.io/v1alpha1
kind: WorkflowTemplate
metadata:
  name: greet
spec:
  entrypoint: main
  arguments: { parameters: [{ name: who, value: world }] }
  templates:
    - name: main
      container:
        image: alpine
        command: [echo]
        args: ["hello {{workflow.parameters.who}}"]
`;

const CLUSTER_TEMPLATE = TEMPLATE.replace("kind: WorkflowTemplate", "kind: ClusterWorkflowTemplate")
  .replace("name: greet", "name: cluster-greet");

const CRON = `
apiVersion: argoproj.io/v1alpha1
kind: CronWorkflow
metadata:
  name: tick
spec:
  schedules: ["*/5 * * * *"]
  timezone: Europe/Berlin
  workflowSpec:
    entrypoint: main
    templates:
      - name: main
        container: { image: alpine, command: [echo, tick] }
`;

const BROKEN = `
apiVersion: argoproj.io/v1alpha1
kind: WorkflowTemplate
metadata:
  name: broken
spec:
  entrypoint: nowhere
  templates:
    - name: main
      container: { image: alpine }
`;

const options = { sanitizeOps: false, sanitizeResources: false };

Deno.test("template, cluster-template and cron CRUD", options, async (t) => {
  const c = await startTestCluster();
  try {
    await t.step("template create, get, list, update, delete", async () => {
      const created = await c.cli(["template", "create", "-"], memoryIo({ stdin: TEMPLATE }));
      assert.equal(created.code, 0, created.stderr);
      assert.match(created.stdout, /^Name: +greet\nNamespace: +argo\nCreated: +/);
      const got = await c.cli(["template", "get", "greet", "-o", "json"]);
      assert.equal(JSON.parse(got.stdout).spec.entrypoint, "main");
      assert.equal((await c.cli(["template", "list"])).stdout, "NAME\ngreet\n");
      assert.equal((await c.cli(["template", "list", "-o", "name"])).stdout, "greet\n");
      const updated = await c.cli(
        ["template", "update", "-", "-o", "json"],
        memoryIo({ stdin: TEMPLATE.replace("value: world", "value: moon") }),
      );
      assert.equal(updated.code, 0, updated.stderr);
      assert.equal(JSON.parse(updated.stdout).spec.arguments.parameters[0].value, "moon");
      const deleted = await c.cli(["template", "delete", "greet"]);
      assert.equal(deleted.stdout, "WorkflowTemplate 'greet' deleted\n");
      const gone = await c.cli(["template", "get", "greet"]);
      assert.equal(gone.code, 1);
      assert.match(gone.stderr, /WorkflowTemplate "greet" not found .*argo-ts template list/);
      const missing = await c.cli(["template", "update", "-"], memoryIo({ stdin: TEMPLATE }));
      assert.equal(missing.code, 1);
      assert.match(missing.stderr, /does not exist; create it with `argo-ts template create/);
    });

    await t.step("submit --from wftmpl, cwftmpl and cronwf", async () => {
      await c.cli(["template", "create", "-"], memoryIo({ stdin: TEMPLATE }));
      await c.cli(["cluster-template", "create", "-"], memoryIo({ stdin: CLUSTER_TEMPLATE }));
      await c.cli(["cron", "create", "-"], memoryIo({ stdin: CRON }));
      for (const from of ["wftmpl/greet", "cwftmpl/cluster-greet", "cronwf/tick"]) {
        const r = await c.cli(["submit", "--from", from, "-p", "who=you", "--wait"]);
        assert.equal(r.code, 0, `${from}: ${r.stdout}${r.stderr}`);
        assert.match(r.stdout, / Succeeded at /);
      }
      const logs = await c.cli(["logs", "@latest"]);
      assert.match(logs.stdout, /: tick$/m);
      const missing = await c.cli(["submit", "--from", "wftmpl/nope"]);
      assert.equal(missing.code, 1);
      assert.match(missing.stderr, /WorkflowTemplate "nope" not found/);
      const bad = await c.cli(["submit", "--from", "pod/x"]);
      assert.equal(bad.code, 2);
      assert.match(bad.stderr, /use wftmpl\/NAME, cwftmpl\/NAME or cronwf\/NAME/);
      await c.cli(["template", "delete", "greet"]);
      await c.cli(["cluster-template", "delete", "cluster-greet"]);
      await c.cli(["cron", "delete", "tick"]);
    });

    await t.step("template create lints first and sends nothing when broken", async () => {
      const r = await c.cli(["template", "create", "-"], memoryIo({ stdin: BROKEN }));
      assert.equal(r.code, 1);
      assert.match(r.stderr, /nothing sent: 1 error/);
      assert.equal((await c.cli(["template", "list", "-o", "name"])).stdout, "");
    });

    await t.step("template lint reads files offline", async () => {
      const ok = await runCli(["template", "lint", "-"], memoryIo({ stdin: TEMPLATE }));
      assert.equal(ok, 0);
      const io = memoryIo({ stdin: BROKEN });
      assert.equal(await runCli(["template", "lint", "-"], io), 1);
      assert.match(io.stdout() + io.stderr(), /nowhere/);
    });

    await t.step("cluster-template is cluster-scoped", async () => {
      const r = await c.cli(
        ["cluster-template", "create", "-"],
        memoryIo({ stdin: CLUSTER_TEMPLATE }),
      );
      assert.equal(r.code, 0, r.stderr);
      assert.doesNotMatch(r.stdout, /Namespace:/);
      assert.equal((await c.cli(["cluster-template", "list"])).stdout, "NAME\ncluster-greet\n");
      const all = await c.cli(["cluster-template", "delete", "--all"]);
      assert.equal(all.stdout, "ClusterWorkflowTemplate 'cluster-greet' deleted\n");
    });

    await t.step("cron create, list, suspend, resume, delete", async () => {
      const r = await c.cli(["cron", "create", "-"], memoryIo({ stdin: CRON }));
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /^Schedules: +\*\/5 \* \* \* \*$/m);
      const list = (await c.cli(["cron", "list"])).stdout.split("\n");
      assert.match(list[0], /^NAME +AGE +LAST RUN +NEXT RUN +SCHEDULES +TIMEZONE +SUSPENDED$/);
      assert.match(list[1], /^tick .* \*\/5 \* \* \* \* +Europe\/Berlin +false$/);
      assert.equal(
        (await c.cli(["cron", "suspend", "tick"])).stdout,
        "CronWorkflow 'tick' suspended\n",
      );
      assert.match((await c.cli(["cron", "get", "tick"])).stdout, /^Suspended: +true$/m);
      assert.equal(
        (await c.cli(["cron", "resume", "tick"])).stdout,
        "CronWorkflow 'tick' resumed\n",
      );
      assert.match((await c.cli(["cron", "get", "tick"])).stdout, /^Suspended: +false$/m);
      assert.equal(
        (await c.cli(["cron", "delete", "tick"])).stdout,
        "CronWorkflow 'tick' deleted\n",
      );
    });
  } finally {
    await c.close();
  }
});

Deno.test("usage errors: one message, exit 2, no stack trace", async () => {
  for (
    const args of [
      ["bogus"],
      ["list", "--bogus"],
      ["template", "bogus"],
      ["cron", "create"],
      ["completion", "tcsh"],
      ["retry", "x", "--restart-successful"],
    ]
  ) {
    const io = memoryIo();
    assert.equal(await runCli(args, io), 2, args.join(" "));
    assert.doesNotMatch(io.stderr(), /\n\s+at /, "no stack trace");
    assert.ok(io.stderr().trim().length > 0);
  }
});

Deno.test("the commands delivered here no longer say 'not built yet'", async () => {
  for (const command of ["logs", "wait", "watch", "suspend", "template", "cron", "completion"]) {
    const io = memoryIo();
    await runCli([command, "--help"], io);
    assert.doesNotMatch(io.stdout() + io.stderr(), /not built yet/, command);
  }
});
