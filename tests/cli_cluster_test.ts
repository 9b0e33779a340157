/**
 * The cluster commands end to end: an embedded cluster and the workflow controller run
 * in-process, and each command runs through `runCli` with `--kubeconfig` pointing at them.
 */
import assert from "node:assert/strict";
import { memoryIo } from "../cli/mod.ts";
import { startTestCluster } from "./cli_harness.ts";

const HELLO = `
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata:
  generateName: hello-
spec:
  entrypoint: main
  templates:
    - name: main
      container:
        image: alpine
        command: [sh, -c]
        args: ["echo line one; echo line two; echo third"]
`;

const FAILING = `
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata:
  generateName: failing-
spec:
  entrypoint: main
  templates:
    - name: main
      container:
        image: alpine
        command: [sh, -c]
        args: ["echo about to fail; exit 3"]
`;

const STEPS = `
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata:
  generateName: two-
spec:
  entrypoint: main
  templates:
    - name: main
      steps:
        - - name: a
            template: say
            arguments: { parameters: [{ name: text, value: alpha }] }
        - - name: b
            template: say
            arguments: { parameters: [{ name: text, value: beta }] }
    - name: say
      inputs: { parameters: [{ name: text }] }
      container:
        image: alpine
        command: [echo]
        args: ["{{inputs.parameters.text}}"]
`;

const options = { sanitizeOps: false, sanitizeResources: false };

Deno.test("cli against the embedded cluster: submit, wait, watch, logs", options, async (t) => {
  const c = await startTestCluster();
  try {
    let hello = "";
    await t.step("submit --wait prints the wait line and exits 0", async () => {
      const r = await c.cli(["submit", "-", "--wait"], memoryIo({ stdin: HELLO }));
      assert.equal(r.code, 0, r.stderr);
      const match = /^(hello-[a-z0-9]+) Succeeded at \d{4}-\d\d-\d\d \d\d:\d\d:\d\d \+0000 UTC$/m
        .exec(r.stdout);
      assert.ok(match, r.stdout);
      hello = match[1];
      assert.match(r.stdout, /^Name: +hello-/m);
    });

    await t.step("submit --wait -o name prints only the name; Failed exits 1", async () => {
      const r = await c.cli(["submit", "-", "--wait", "-o", "name"], memoryIo({ stdin: FAILING }));
      assert.equal(r.code, 1);
      assert.match(r.stdout, /^failing-[a-z0-9]+\n$/);
    });

    await t.step("wait on a finished workflow; Failed makes exit 1", async () => {
      const ok = await c.cli(["wait", hello]);
      assert.equal(ok.code, 0, ok.stderr);
      assert.match(ok.stdout, new RegExp(`^${hello} Succeeded at `));
      const failed = await c.cli(["wait", "@latest"]);
      assert.equal(failed.code, 1);
      assert.match(failed.stdout, /^failing-[a-z0-9]+ Failed at /);
    });

    await t.step("wait on an unknown name suggests the close one", async () => {
      const r = await c.cli(["wait", hello.slice(0, -1)]);
      assert.equal(r.code, 1);
      assert.match(r.stderr, new RegExp(`did you mean "${hello}"`));
    });

    await t.step(
      "logs prefixes each line with the pod name, no colour off a terminal",
      async () => {
        const r = await c.cli(["logs", hello]);
        assert.equal(r.code, 0, r.stderr);
        assert.equal(r.stdout, `${hello}: line one\n${hello}: line two\n${hello}: third\n`);
      },
    );

    await t.step("logs --tail, --grep and colour on a terminal", async () => {
      const tail = await c.cli(["logs", hello, "--tail", "1"]);
      assert.equal(tail.stdout, `${hello}: third\n`);
      const grep = await c.cli(["logs", hello, "--grep", "^line"]);
      assert.equal(grep.stdout, `${hello}: line one\n${hello}: line two\n`);
      const colored = await c.cli(["logs", hello, "--tail", "1"], memoryIo({ isTerminal: true }));
      assert.match(colored.stdout, new RegExp(`^\\x1b\\[\\d+m${hello}\\x1b\\[0m: third\\n$`));
      const plain = await c.cli(
        ["logs", hello, "--tail", "1", "--no-color"],
        memoryIo({ isTerminal: true }),
      );
      assert.equal(plain.stdout, `${hello}: third\n`);
    });

    await t.step("logs --timestamps and --since", async () => {
      const r = await c.cli(["logs", hello, "--timestamps", "--since", "1h"]);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, new RegExp(`^${hello}: \\d{4}-\\d\\d-\\d\\dT\\S+ line one$`, "m"));
      const bad = await c.cli(["logs", hello, "--since", "soon"]);
      assert.equal(bad.code, 2);
      assert.match(bad.stderr, /cannot read --since "soon"/);
    });

    await t.step("logs of an unknown pod says how to find pod names", async () => {
      const r = await c.cli(["logs", hello, "nope"]);
      assert.equal(r.code, 1);
      assert.match(r.stderr, /pod "nope" .* not found; run `argo-ts get /);
    });

    await t.step("submit --log follows every pod of the workflow", async () => {
      const r = await c.cli(["submit", "-", "--log", "-o", "name"], memoryIo({ stdin: STEPS }));
      assert.equal(r.code, 0, r.stderr);
      const lines = r.stdout.trim().split("\n");
      assert.match(lines[0], /^two-[a-z0-9]+$/);
      assert.deepEqual(
        lines.slice(1).map((l) => l.replace(/^two-[a-z0-9]+-[a-z]+-\d+: /, "")).sort(),
        ["alpha", "beta"],
      );
    });

    await t.step("logs -f of a finished workflow ends", async () => {
      const r = await c.cli(["logs", "@latest", "-f"]);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout.trim().split("\n").length, 2);
    });

    await t.step("submit --watch off a terminal prints node changes then the tree", async () => {
      const r = await c.cli(["submit", "-", "--watch"], memoryIo({ stdin: STEPS }));
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /^Succeeded +a$/m);
      assert.match(r.stdout, /^Succeeded +b$/m);
      assert.match(r.stdout, /^STEP +TEMPLATE +PODNAME/m);
    });

    await t.step("watch on a terminal redraws in place", async () => {
      const r = await c.cli(
        ["submit", "-", "--watch"],
        memoryIo({ stdin: STEPS, isTerminal: true, env: { NO_COLOR: "1" } }),
      );
      assert.equal(r.code, 0, r.stderr);
      // Each frame after the first goes back over the previous one and clears it.
      const redraw = new RegExp("\x1b\\[\\d+F\x1b\\[J");
      assert.match(r.stdout, redraw);
      const frames = r.stdout.split(redraw);
      assert.match(frames[frames.length - 1], /✔ b/);
      const finished = await c.cli(["watch", "@latest"], memoryIo({ isTerminal: true }));
      assert.equal(finished.code, 0, finished.stderr);
      assert.doesNotMatch(finished.stdout, redraw, "one frame for a finished workflow");
      const failed = await c.cli(["submit", "-", "--watch"], memoryIo({ stdin: FAILING }));
      assert.equal(failed.code, 0, "watch exits 0 whatever the phase, as Argo's does");
    });

    await t.step("cp copies output artifacts, unpacked, under Argo's default path", async () => {
      const yaml = await Deno.readTextFile(
        new URL("../examples/artifact-passing.yaml", import.meta.url),
      );
      const r = await c.cli(["submit", "-", "--wait", "-o", "name"], memoryIo({ stdin: yaml }));
      assert.equal(r.code, 0, r.stderr);
      const name = r.stdout.trim();
      const dir = await Deno.makeTempDir();
      try {
        const cp = await c.cli(["cp", name, dir, "--artifact-name", "report"]);
        assert.equal(cp.code, 0, cp.stderr);
        const match = /^Created "report" in (\S+)$/m.exec(cp.stdout);
        assert.ok(match, cp.stdout);
        assert.ok(match[1].startsWith(`${dir}/argo/${name}/`));
        const files = [...Deno.readDirSync(match[1])].map((e) => e.name);
        assert.equal(files.length, 1);
        assert.ok((await Deno.readTextFile(`${match[1]}/${files[0]}`)).length > 0);
        const none = await c.cli(["cp", name, dir, "--artifact-name", "nope"]);
        assert.equal(none.code, 1);
        assert.match(none.stderr, /no output artifacts to copy that match/);
      } finally {
        await Deno.remove(dir, { recursive: true });
      }
    });

    await t.step("--wait with --watch is a usage error", async () => {
      const r = await c.cli(["submit", "-", "--wait", "--watch"], memoryIo({ stdin: HELLO }));
      assert.equal(r.code, 2);
      assert.match(r.stderr, /use --wait or --watch, not both/);
    });
  } finally {
    await c.close();
  }
});
