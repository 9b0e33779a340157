import assert from "node:assert/strict";
import { LogWriter, MAX_LINE_BYTES, readLogFile, rfc3339Nano } from "./logs.ts";

function streamOf(...chunks: string[]): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  return new ReadableStream({
    start(controller) {
      for (const chunk of chunks) controller.enqueue(encoder.encode(chunk));
      controller.close();
    },
  });
}

Deno.test("rfc3339Nano has a nine-digit fraction", () => {
  assert.equal(
    rfc3339Nano(new Date(Date.UTC(2026, 0, 2, 3, 4, 5, 67))),
    "2026-01-02T03:04:05.067000000Z",
  );
});

Deno.test("LogWriter: lines across chunks, long lines split, last line gets a newline", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = `${dir}/c.log`;
    const times = [Date.UTC(2026, 0, 1), Date.UTC(2026, 0, 1, 0, 0, 1)];
    let tick = 0;
    const writer = await LogWriter.open(path, () => new Date(times[tick++ < 2 ? 0 : 1]));
    const long = "x".repeat(MAX_LINE_BYTES + 10);
    await writer.pipe(streamOf("he", "llo\nwor", `ld\n${long}\nend`));
    await writer.close();
    const text = await Deno.readTextFile(path);
    const lines = text.split("\n");
    assert.match(lines[0], /^2026-01-01T00:00:0[01].000000000Z hello$/);
    assert.match(lines[1], /^\S+ world$/);
    assert.equal(lines[2].split(" ")[1].length, MAX_LINE_BYTES);
    assert.equal(lines[3].split(" ")[1], "x".repeat(10));
    assert.match(lines[4], /^\S+ end$/);
    assert.equal(lines[5], "");

    const all = await new Response(readLogFile(path, {})).text();
    assert.equal(all.split("\n").length, 6);
    const since = await new Response(
      readLogFile(path, {
        sinceSeconds: 1,
        now: () => new Date(Date.UTC(2026, 0, 1, 0, 0, 1, 500)),
      }),
    ).text();
    assert.ok(!since.includes("hello"));
    assert.ok(since.includes("end"));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("readLogFile: a follower sees appended lines and stops when cancelled", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = `${dir}/c.log`;
    await Deno.writeTextFile(path, `${rfc3339Nano(new Date())} one\n`);
    const reader = readLogFile(path, { follow: true, active: () => true, pollMs: 10 }).getReader();
    const decoder = new TextDecoder();
    assert.equal(decoder.decode((await reader.read()).value), "one\n");
    await Deno.writeTextFile(path, `${rfc3339Nano(new Date())} tw`, { append: true });
    await Deno.writeTextFile(path, `o\n`, { append: true });
    assert.equal(decoder.decode((await reader.read()).value), "two\n");
    await reader.cancel();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
