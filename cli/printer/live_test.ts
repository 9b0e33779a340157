import assert from "node:assert/strict";
import type { Workflow } from "../../api/types.gen.ts";
import { type LiveViewOptions, renderLiveView } from "./live.ts";
import { assertGolden } from "./testdata/golden.ts";
import {
  exitHandlerWorkflow,
  fanOutWorkflow,
  loopsWorkflow,
  NOW,
  retryWorkflow,
  suspendedWorkflow,
  wideDagWorkflow,
} from "./testdata/fixtures.ts";

function live(wf: Workflow, options: Partial<LiveViewOptions> = {}): string[] {
  return renderLiveView(wf, {
    now: NOW,
    width: 100,
    height: 40,
    color: false,
    utf8: true,
    ...options,
  });
}

Deno.test("live view golden: loops fold into one line", async () => {
  await assertGolden("live_loops.txt", live(loopsWorkflow()).join("\n") + "\n");
});

Deno.test("live view golden: fan-out of 10,000 with failures listed", async () => {
  await assertGolden("live_fan_out.txt", live(fanOutWorkflow(10_000)).join("\n") + "\n");
});

Deno.test("live view golden: ascii words", async () => {
  const out = live(fanOutWorkflow(10_000), { utf8: false }).join("\n") + "\n";
  await assertGolden("live_fan_out_ascii.txt", out);
});

Deno.test("live view golden: retries, suspend, exit handler", async () => {
  const out = [retryWorkflow(), suspendedWorkflow(), exitHandlerWorkflow()]
    .map((wf) => live(wf).join("\n"))
    .join("\n----\n") + "\n";
  await assertGolden("live_misc.txt", out);
});

Deno.test("a 10,000-node DAG is cut to the height with a '… N more' line", () => {
  const wf = wideDagWorkflow(10_000);
  const lines = live(wf, { height: 30 });
  assert.equal(lines.length, 30);
  // Summary (2 lines), blank, root, then 10,000 tasks: 10,004 lines in all.
  assert.equal(lines[29], "… 9975 more");
  assert.equal(live(wf, { height: 30, utf8: false })[29], "... 9975 more");
});

Deno.test("a 10,000-item fan-out renders in a handful of lines", () => {
  const lines = live(fanOutWorkflow(10_000), { height: 1000 });
  // status, pods, blank, root, prepare, the folded loop, 3 failures, "N more failed".
  assert.equal(lines.length, 10);
  assert.match(lines[5], /process ×10000: 9772 ✔ 200 ✖ 20 ● 8 ◷$/);
});

Deno.test("lines are cut to the width", () => {
  const lines = live(fanOutWorkflow(100), { width: 20 });
  for (const line of lines) assert.ok(Array.from(line).length <= 20, line);
  assert.ok(lines.some((line) => line.endsWith("…")));
});

Deno.test("colour only when asked", () => {
  assert.ok(live(loopsWorkflow()).every((line) => !line.includes("\x1b[")));
  assert.ok(live(loopsWorkflow(), { color: true }).some((line) => line.includes("\x1b[36m●")));
});
