import assert from "node:assert/strict";
import { type QueueClock, WorkQueue } from "./queue.ts";

/** A clock whose time moves only when the test says so. */
function fakeClock(): QueueClock & { advance(ms: number): void } {
  let now = 0;
  let timers: Array<{ at: number; fn: () => void; id: number }> = [];
  let nextId = 1;
  return {
    now: () => now,
    setTimeout(fn, ms) {
      const id = nextId++;
      timers.push({ at: now + ms, fn, id });
      return id;
    },
    clearTimeout(handle) {
      timers = timers.filter((t) => t.id !== handle);
    },
    advance(ms) {
      now += ms;
      const due = timers.filter((t) => t.at <= now).sort((a, b) => a.at - b.at);
      timers = timers.filter((t) => t.at > now);
      for (const t of due) t.fn();
    },
  };
}

Deno.test("a key waits once however often it is added", async () => {
  const queue = new WorkQueue<string>();
  queue.add("a");
  queue.add("b");
  queue.add("a");
  assert.equal(queue.length, 2);
  assert.equal(await queue.get(), "a");
  assert.equal(await queue.get(), "b");
  assert.equal(queue.length, 0);
});

Deno.test("a key being processed is not handed out twice, and is re-queued when done", async () => {
  const queue = new WorkQueue<string>();
  queue.add("a");
  const key = await queue.get();
  assert.equal(key, "a");
  queue.add("a"); // changed while a worker holds it
  assert.equal(queue.length, 0);
  queue.done("a");
  assert.equal(queue.length, 1);
  assert.equal(await queue.get(), "a");
  queue.done("a");
  assert.equal(queue.length, 0);
});

Deno.test("a waiting worker gets a key as soon as it is added", async () => {
  const queue = new WorkQueue<string>();
  const next = queue.get();
  queue.add("x");
  assert.equal(await next, "x");
});

Deno.test("delayed adds wake at their time; the earlier delay wins", () => {
  const clock = fakeClock();
  const queue = new WorkQueue<string>({ clock });
  queue.addAfter("a", 100);
  queue.addAfter("a", 50);
  queue.addAfter("a", 500);
  clock.advance(49);
  assert.equal(queue.length, 0);
  clock.advance(1);
  assert.equal(queue.length, 1);
  clock.advance(1000);
  assert.equal(queue.length, 1);
});

Deno.test("failures back off exponentially per key, forget resets", () => {
  const clock = fakeClock();
  const queue = new WorkQueue<string>({ clock, baseDelayMs: 10, maxDelayMs: 100 });
  assert.equal(queue.addRateLimited("a"), 10);
  assert.equal(queue.addRateLimited("a"), 20);
  assert.equal(queue.addRateLimited("a"), 40);
  assert.equal(queue.addRateLimited("a"), 80);
  assert.equal(queue.addRateLimited("a"), 100);
  assert.equal(queue.failures("a"), 5);
  assert.equal(queue.addRateLimited("b"), 10);
  queue.forget("a");
  assert.equal(queue.addRateLimited("a"), 10);
});

Deno.test("close releases waiting workers and drops pending work", async () => {
  const clock = fakeClock();
  const queue = new WorkQueue<string>({ clock });
  const waiting = queue.get();
  queue.addAfter("later", 10);
  queue.close();
  assert.equal(await waiting, undefined);
  clock.advance(100);
  assert.equal(queue.length, 0);
  queue.add("after-close");
  assert.equal(await queue.get(), undefined);
});

Deno.test("many keys, many adds: each processed, none lost", async () => {
  const queue = new WorkQueue<number>();
  for (let round = 0; round < 3; round++) for (let i = 0; i < 1000; i++) queue.add(i);
  const seen = new Set<number>();
  while (queue.length > 0) {
    const key = (await queue.get())!;
    seen.add(key);
    queue.done(key);
  }
  assert.equal(seen.size, 1000);
});
