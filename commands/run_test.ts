import assert from "node:assert/strict";
import { LiveFrame } from "./run.ts";

const ROOT = new URL("../", import.meta.url).pathname;

function recorder() {
  const writes: string[] = [];
  return { writes, write: (text: string) => void writes.push(text) };
}

Deno.test("LiveFrame: prints straight through while no frame is shown", () => {
  const out = recorder();
  const frame = new LiveFrame(out.write);
  frame.print("before\n");
  assert.deepEqual(out.writes, ["before\n"]);
});

Deno.test("LiveFrame: a redraw moves up over the previous frame and clears it", () => {
  const out = recorder();
  const frame = new LiveFrame(out.write);
  frame.draw(["a", "b"]);
  frame.draw(["c"]);
  assert.equal(out.writes.join(""), "a\nb\n\x1b[2F\x1b[Jc\n");
});

Deno.test("LiveFrame: text printed under a frame appears above the next one", () => {
  const out = recorder();
  const err = recorder();
  const frame = new LiveFrame(out.write);
  frame.draw(["view"]);
  frame.print("pod-1: hello\n");
  frame.print("note\n", err.write);
  frame.print("pod-1: bye\n");
  assert.equal(out.writes.join(""), "view\n");
  frame.draw(["view 2"]);
  assert.equal(out.writes.join(""), "view\n\x1b[1F\x1b[Jpod-1: hello\npod-1: bye\nview 2\n");
  assert.deepEqual(err.writes, ["note\n"]);
  frame.clear();
  assert.ok(out.writes.join("").endsWith("view 2\n\x1b[1F\x1b[J"));
  frame.print("after\n");
  assert.equal(out.writes.at(-1), "after\n");
});

Deno.test("argo-ts run --log: without -o the pod's log is on stdout, plain off a terminal", async () => {
  const output = await new Deno.Command(`${ROOT}argo-ts`, {
    args: ["run", "examples/hello-world.yaml", "--log"],
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
    env: { RUST_BACKTRACE: "0", NO_COLOR: "1" },
  }).output();
  const stdout = new TextDecoder().decode(output.stdout);
  const stderr = new TextDecoder().decode(output.stderr);
  assert.equal(output.code, 0, stderr);
  const name = /submitted workflow argo\/(\S+)/.exec(stdout)?.[1];
  assert.ok(name, stdout);
  const lines = stdout.split("\n");
  assert.ok(lines.includes(`${name}: hello from argo-ts, ${name} here`), stdout);
  assert.ok(!stdout.includes("\x1b["), "no escapes off a terminal");
});
