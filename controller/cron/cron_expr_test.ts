import assert from "node:assert/strict";
import { goDurationMs, parseSchedule } from "./cron_expr.ts";

// [schedule, timezone, from, expected next fire time (or undefined)]
const NEXT: Array<[string, string, string, string | undefined]> = [
  ["* * * * *", "UTC", "2024-01-01T00:00:30Z", "2024-01-01T00:01:00Z"],
  ["*/15 * * * *", "UTC", "2024-01-01T00:15:00Z", "2024-01-01T00:30:00Z"],
  ["0 0 1 * mon", "UTC", "2024-01-01T00:00:00Z", "2024-01-08T00:00:00Z"], // dom OR dow
  ["0 0 ? * MON", "UTC", "2024-01-01T00:00:00Z", "2024-01-08T00:00:00Z"],
  ["0 0 * JAN-FEB *", "UTC", "2024-03-01T00:00:00Z", "2025-01-01T00:00:00Z"],
  ["@hourly", "UTC", "2024-01-01T23:59:00Z", "2024-01-02T00:00:00Z"],
  ["@midnight", "UTC", "2024-01-01T00:30:00Z", "2024-01-02T00:00:00Z"],
  ["@every 1h30m", "UTC", "2024-01-01T00:00:00.500Z", "2024-01-01T01:30:00Z"],
  ["@every 100ms", "UTC", "2024-01-01T00:00:00Z", "2024-01-01T00:00:01Z"],
  ["0 9 * * *", "Asia/Tokyo", "2024-01-01T00:00:00Z", "2024-01-02T00:00:00Z"],
  ["CRON_TZ=Asia/Tokyo 0 9 * * *", "UTC", "2024-01-01T00:00:00Z", "2024-01-02T00:00:00Z"],
  ["0 0 30 2 *", "UTC", "2024-01-01T00:00:00Z", undefined], // never fires
  // New York springs forward on 2024-03-10 at 02:00 EST -> 03:00 EDT.
  ["0 * * * *", "America/New_York", "2024-03-10T06:30:00Z", "2024-03-10T07:00:00Z"],
  ["30 2 * * *", "America/New_York", "2024-03-10T05:00:00Z", "2024-03-11T06:30:00Z"],
  // ... and falls back on 2024-11-03 at 02:00 EDT -> 01:00 EST: 01:xx happens twice.
  ["30 1 * * *", "America/New_York", "2024-11-03T05:00:00Z", "2024-11-03T05:30:00Z"],
  ["30 1 * * *", "America/New_York", "2024-11-03T05:31:00Z", "2024-11-03T06:30:00Z"],
  ["30 1 * * *", "America/New_York", "2024-11-03T06:31:00Z", "2024-11-04T06:30:00Z"],
  ["0 * * * *", "America/New_York", "2024-11-03T05:00:00Z", "2024-11-03T06:00:00Z"],
];

Deno.test("fire times follow robfig/cron, time zones and DST included", () => {
  for (const [schedule, zone, from, expected] of NEXT) {
    const parsed = parseSchedule(schedule, zone);
    assert.ok(parsed.ok, `${schedule}: ${!parsed.ok && parsed.message}`);
    const next = parsed.value.next(new Date(from));
    assert.equal(
      next?.toISOString().replace(".000Z", "Z"),
      expected,
      `${schedule} in ${zone} after ${from}`,
    );
  }
});

Deno.test("bad schedules and zones are refused with one clear message", () => {
  const bad: Array<[string, string, RegExp]> = [
    ["* * * *", "UTC", /expected exactly 5 fields/],
    ["61 * * * *", "UTC", /above maximum/],
    ["@fortnightly", "UTC", /unrecognized descriptor/],
    ["* * * * *", "Mars/Olympus", /unknown time zone Mars\/Olympus/],
    ["CRON_TZ=Nowhere/City * * * * *", "UTC", /unknown time zone/],
  ];
  for (const [schedule, zone, message] of bad) {
    const parsed = parseSchedule(schedule, zone);
    assert.equal(parsed.ok, false, schedule);
    assert.match(!parsed.ok ? parsed.message : "", message);
  }
});

Deno.test("Go durations", () => {
  assert.equal(goDurationMs("1h30m"), 5_400_000);
  assert.equal(goDurationMs("1.5h"), 5_400_000);
  assert.equal(goDurationMs("90s"), 90_000);
  assert.equal(goDurationMs("10"), undefined);
  assert.equal(goDurationMs("1x"), undefined);
});
