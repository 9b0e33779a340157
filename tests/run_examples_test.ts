/**
 * End to end: `argo-ts run` on the project's examples, as a user runs them. Each run starts its
 * own embedded cluster, the controller and real pods (bubblewrap sandboxes) running the
 * executor, and ends with the workflow's final object on stdout (`-o json`).
 */
import assert from "node:assert/strict";
import type { NodeStatus, Workflow } from "../api/types.gen.ts";

const ROOT = new URL("../", import.meta.url).pathname;

interface Run {
  code: number;
  workflow: Workflow;
  stderr: string;
}

/**
 * Runs an example; a run whose only problem was a wait container that could not report (seen
 * rarely under heavy load on 2 cores, cause not found yet) is run once more, and says so.
 */
async function run(args: string[]): Promise<Run> {
  const first = await runOnce(args);
  if (first.code === 0 || !first.stderr.includes("outputs were not reported")) return first;
  console.log(`retrying ${args.join(" ")}: a wait container could not report its outputs`);
  return await runOnce(args);
}

async function runOnce(args: string[]): Promise<Run> {
  const output = await new Deno.Command(`${ROOT}argo-ts`, {
    args: ["run", ...args, "-o", "json"],
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
    env: { RUST_BACKTRACE: "0", NO_COLOR: "1" },
  }).output();
  const stdout = new TextDecoder().decode(output.stdout);
  const stderr = new TextDecoder().decode(output.stderr);
  let workflow: Workflow;
  try {
    workflow = JSON.parse(stdout);
  } catch {
    throw new Error(`no JSON on stdout (exit ${output.code}):\n${stdout}\n${stderr}`);
  }
  return { code: output.code, workflow, stderr };
}

function node(workflow: Workflow, displayName: string): NodeStatus {
  const found = Object.values(workflow.status?.nodes ?? {}).find((n) =>
    n.displayName === displayName
  );
  assert.ok(
    found,
    `no node ${displayName} in ${Object.keys(workflow.status?.nodes ?? {}).length} nodes`,
  );
  return found;
}

/** Runs tests a few at a time: each one is a whole cluster. */
const cases: Array<[string, string[], (r: Run) => void]> = [
  ["hello-world", ["examples/hello-world.yaml"], (r) => {
    assert.equal(r.code, 0);
    assert.equal(r.workflow.status?.phase, "Succeeded");
    assert.equal(r.workflow.status?.progress, "1/1");
  }],
  ["parameters with -p", ["examples/parameters.yaml", "-p", "greeting=hola"], (r) => {
    assert.equal(r.code, 0);
    const args = r.workflow.spec.arguments?.parameters ?? [];
    assert.equal(args.find((p) => p.name === "greeting")?.value, "hola");
  }],
  ["steps", ["examples/steps.yaml"], (r) => assert.equal(r.workflow.status?.phase, "Succeeded")],
  ["dag-diamond", ["examples/dag-diamond.yaml"], (r) => {
    assert.equal(r.workflow.status?.phase, "Succeeded");
    assert.equal(node(r.workflow, "publish").phase, "Succeeded");
  }],
  ["dag-dependencies", ["examples/dag-dependencies.yaml"], (r) => assert.equal(r.code, 0)],
  ["loops-items", ["examples/loops-items.yaml"], (r) => assert.equal(r.code, 0)],
  ["loops-param", ["examples/loops-param.yaml"], (r) => assert.equal(r.code, 0)],
  ["loops-sequence", ["examples/loops-sequence.yaml"], (r) => assert.equal(r.code, 0)],
  ["conditionals", ["examples/conditionals.yaml"], (r) => {
    assert.equal(r.workflow.status?.phase, "Succeeded");
    const skipped = Object.values(r.workflow.status?.nodes ?? {}).filter((n) =>
      n.phase === "Skipped"
    );
    assert.ok(skipped.length >= 1, "a coin flip skips one branch");
  }],
  ["output-parameters", ["examples/output-parameters.yaml"], (r) => assert.equal(r.code, 0)],
  ["artifact-passing", ["examples/artifact-passing.yaml"], (r) => {
    assert.equal(r.code, 0);
    assert.equal(node(r.workflow, "read-report").outputs?.result, "rows: 42\nstatus: green");
  }],
  ["scripts", ["examples/scripts.yaml"], (r) => assert.equal(r.code, 0)],
  ["exit-handler", ["examples/exit-handler.yaml"], (r) => {
    assert.equal(r.code, 0);
    assert.equal(node(r.workflow, "optional-check").phase, "Failed");
    assert.equal(node(r.workflow, "notify").phase, "Succeeded");
  }],
  ["retries", ["examples/retries.yaml"], (r) => {
    assert.equal(r.code, 0);
    const retry = node(r.workflow, "third-try");
    assert.equal(retry.type, "Retry");
    assert.equal(retry.children?.length, 3);
  }],
  ["timeouts", ["examples/timeouts.yaml"], (r) => {
    assert.equal(r.workflow.status?.phase, "Succeeded");
    assert.equal(node(r.workflow, "pod-deadline").phase, "Failed");
  }],
  ["suspend-duration", ["examples/suspend-duration.yaml"], (r) => assert.equal(r.code, 0)],
  ["expression-tags", ["examples/expression-tags.yaml"], (r) => assert.equal(r.code, 0)],
  ["dag-enhanced-depends", ["examples/dag-enhanced-depends.yaml"], (r) => {
    assert.equal(r.workflow.status?.phase, "Succeeded");
    assert.equal(node(r.workflow, "flaky").phase, "Failed");
    assert.equal(node(r.workflow, "on-success").phase, "Omitted");
    assert.equal(node(r.workflow, "on-failure").phase, "Succeeded");
  }],
  ["template-ref", ["examples/template-ref.yaml"], (r) => assert.equal(r.code, 0)],
  [
    "workflow-template-ref",
    ["examples/workflow-template-ref.yaml", "--with", "examples/template-ref.yaml"],
    (r) => assert.equal(r.code, 0),
  ],
  ["--log: the pod's log on stderr, stdout still the JSON", [
    "examples/hello-world.yaml",
    "--log",
  ], (r) => {
    assert.equal(r.code, 0);
    const name = r.workflow.metadata.name;
    assert.ok(
      r.stderr.split("\n").includes(`${name}: hello from argo-ts, ${name} here`),
      "the container's line, prefixed with its pod",
    );
  }],
  ["a failing step fails the run with Argo's message", ["tests/testdata/fail.yaml"], (r) => {
    assert.equal(r.code, 1);
    assert.equal(r.workflow.status?.phase, "Failed");
    assert.equal(r.workflow.status?.message, "Error (exit code 3)");
    assert.equal(Object.values(r.workflow.status?.nodes ?? {})[0].outputs?.result, "about to fail");
  }],
];

Deno.test("argo-ts run: the examples end as documented", async (t) => {
  const results = new Map<string, Promise<Run>>();
  // Start a few at a time; each test step awaits its own run.
  let running = Promise.resolve();
  const limit = 3;
  const queue = [...cases];
  const slots: Promise<void>[] = [];
  for (let i = 0; i < limit; i++) {
    slots.push((async () => {
      for (let next = queue.shift(); next; next = queue.shift()) {
        const [name, args] = next;
        const promise = run(args);
        results.set(name, promise);
        await promise.catch(() => {});
      }
    })());
  }
  running = Promise.all(slots).then(() => {});
  for (const [name, , check] of cases) {
    await t.step(name, async () => {
      while (!results.has(name)) await new Promise((r) => setTimeout(r, 50));
      const result = await results.get(name)!;
      try {
        check(result);
      } catch (error) {
        throw new Error(`${(error as Error).message}\nstderr:\n${result.stderr.slice(-2000)}`);
      }
    });
  }
  await running;
});
