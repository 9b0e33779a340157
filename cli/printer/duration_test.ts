import assert from "node:assert/strict";
import {
  formatTimestamp,
  humanizeDuration,
  relativeDurationShort,
  relativeTime,
  shortDuration,
} from "./duration.ts";

const S = 1000;
const M = 60 * S;
const H = 60 * M;
const D = 24 * H;

Deno.test("humanizeDuration gives Argo's two-unit form", () => {
  assert.equal(humanizeDuration(0), "0 seconds");
  assert.equal(humanizeDuration(999), "0 seconds");
  assert.equal(humanizeDuration(1 * S), "1 second");
  assert.equal(humanizeDuration(5 * S), "5 seconds");
  assert.equal(humanizeDuration(59 * S), "59 seconds");
  assert.equal(humanizeDuration(60 * S), "1 minute 0 seconds");
  assert.equal(humanizeDuration(65 * S), "1 minute 5 seconds");
  assert.equal(humanizeDuration(3 * M + 10 * S), "3 minutes 10 seconds");
  assert.equal(humanizeDuration(H + 2 * M + 5 * S), "1 hour 2 minutes");
  assert.equal(humanizeDuration(5 * H + 59 * M), "5 hours 59 minutes");
  assert.equal(humanizeDuration(D + 3 * H), "1 day 3 hours");
  assert.equal(humanizeDuration(10 * D + 4 * H), "1 week 4 hours");
  assert.equal(humanizeDuration(-65 * S), "1 minute 5 seconds");
});

Deno.test("shortDuration gives Argo's one-unit short form", () => {
  assert.equal(shortDuration(0), "0s");
  assert.equal(shortDuration(1500), "1s");
  assert.equal(shortDuration(2 * S), "2s");
  assert.equal(shortDuration(59 * S), "59s");
  assert.equal(shortDuration(90 * S), "1m");
  assert.equal(shortDuration(59 * M), "59m");
  assert.equal(shortDuration(3 * H + 5 * M), "3h");
  assert.equal(shortDuration(25 * H), "1d");
  assert.equal(shortDuration(2 * D), "2d");
  assert.equal(shortDuration(20 * D), "20d");
});

Deno.test("relativeDurationShort counts running nodes up to now and unstarted as 0s", () => {
  const now = new Date("2026-11-26T15:03:00Z");
  assert.equal(relativeDurationShort("2026-11-26T15:00:00Z", "2026-11-26T15:00:02Z", now), "2s");
  assert.equal(relativeDurationShort("2026-11-26T15:00:00Z", undefined, now), "3m");
  assert.equal(relativeDurationShort(undefined, undefined, now), "0s");
});

Deno.test("timestamps use Go's layout in UTC with go-humanize's relative time", () => {
  const now = new Date("2026-11-26T15:03:00Z");
  assert.equal(
    formatTimestamp("2026-11-26T15:00:00Z", now),
    "Thu Nov 26 15:00:00 +0000 (3 minutes ago)",
  );
  assert.equal(formatTimestamp("2026-11-26T15:03:00Z", now), "Thu Nov 26 15:03:00 +0000 (now)");
  assert.equal(
    formatTimestamp("2026-01-05T07:08:09+02:00", now).slice(0, 25),
    "Mon Jan 05 05:08:09 +0000",
  );
  assert.equal(relativeTime(now.getTime() + 2 * H, now), "2 hours from now");
  assert.equal(relativeTime(now.getTime() - 1 * S, now), "1 second ago");
  assert.equal(relativeTime(now.getTime() - 400 * D, now), "1 year ago");
});
