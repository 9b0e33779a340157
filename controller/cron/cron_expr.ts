/**
 * Fire times of one CronWorkflow schedule, with robfig/cron v3's semantics (what Argo uses):
 * five fields, month and weekday names, `@hourly`-style descriptors, `@every <duration>`, an
 * optional `CRON_TZ=`/`TZ=` prefix, and the CronWorkflow's `timezone`.
 *
 * Parsing and calendar stepping come from `croner`. robfig fires at every instant whose wall
 * clock in the zone matches the fields, and this module keeps that where croner differs around
 * daylight-saving changes:
 * - spring forward: a wall time that does not exist (02:30 on the day clocks jump 02:00 -> 03:00)
 *   does not fire (croner would run it at 03:30);
 * - fall back: a wall time that occurs twice (01:30 on the day clocks go 02:00 -> 01:00) fires
 *   twice (croner fires it once).
 */
import { Cron } from "croner";
import { cronScheduleError, timeZoneError } from "../../validate/cron.ts";

export interface CronSchedule {
  /** The schedule as written (with any `CRON_TZ=` prefix). */
  readonly text: string;
  /** The IANA zone the fields are read in. */
  readonly zone: string;
  /** `@every`: fires at a fixed delay from an anchor rather than on wall-clock fields. */
  readonly anchored: boolean;
  /** The first fire time strictly after `from`, or undefined if it never fires again. */
  next(from: Date): Date | undefined;
}

export type ParseResult = { ok: true; value: CronSchedule } | { ok: false; message: string };

const MINUTE = 60_000;
/** robfig gives up after five years without a match; so do we. */
const HORIZON_MS = 5 * 366 * 24 * 3600_000;

/** Parses one schedule; `timezone` is the CronWorkflow's (a `CRON_TZ=` prefix wins). */
export function parseSchedule(text: string, timezone = "UTC"): ParseResult {
  const syntax = cronScheduleError(text);
  if (syntax) return { ok: false, message: `invalid cron schedule "${text}": ${syntax}` };
  let body = text.trim();
  let zone = timezone || "UTC";
  const prefix = /^(?:CRON_TZ|TZ)=(\S+)\s+(.*)$/.exec(body);
  if (prefix) {
    zone = prefix[1];
    body = prefix[2].trim();
  }
  const zoneError = timeZoneError(zone);
  if (zoneError) return { ok: false, message: `invalid cron schedule "${text}": ${zoneError}` };
  const every = /^@every\s+(\S+)$/.exec(body);
  if (every) {
    const delay = goDurationMs(every[1]);
    if (delay === undefined) {
      return { ok: false, message: `invalid cron schedule "${text}": bad duration ${every[1]}` };
    }
    // robfig: at least one second, whole seconds only.
    const step = Math.max(1000, delay - (delay % 1000));
    return {
      ok: true,
      value: {
        text,
        zone,
        anchored: true,
        next: (from) => new Date(from.getTime() - (from.getTime() % 1000) + step),
      },
    };
  }
  let cron: Cron;
  try {
    // robfig's `?` means "any"; croner reads it as "now", so give croner a star.
    const fields = body.startsWith("@") ? body : body.split(/\s+/).map((f) => f === "?" ? "*" : f)
      .join(" ");
    cron = new Cron(fields, { timezone: zone, legacyMode: true, paused: true });
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return { ok: false, message: `invalid cron schedule "${text}": ${message}` };
  }
  return {
    ok: true,
    value: { text, zone, anchored: false, next: (from) => robfigNext(cron, zone, from) },
  };
}

function robfigNext(cron: Cron, zone: string, from: Date): Date | undefined {
  const limit = from.getTime() + HORIZON_MS;
  let cursor = from;
  let candidate: Date | undefined;
  for (;;) {
    const found = cron.nextRun(cursor);
    if (!found || found.getTime() > limit) break;
    // A time croner moved out of a spring-forward gap does not match the wall clock: skip it.
    if (cron.match(found)) {
      candidate = found;
      break;
    }
    cursor = found;
  }
  const repeated = repeatedWallTime(cron, zone, from, candidate);
  return repeated ?? candidate;
}

/**
 * The first instant after `from` and before `until` that repeats an earlier wall time (the hour
 * after clocks fall back) and matches the schedule: croner skips these, robfig fires them.
 */
function repeatedWallTime(
  cron: Cron,
  zone: string,
  from: Date,
  until: Date | undefined,
): Date | undefined {
  if (until === undefined) return undefined;
  const end = until.getTime();
  const transition = findFallBack(zone, from.getTime(), end);
  if (transition === undefined) return undefined;
  const width = (offsetMinutes(zone, transition - MINUTE) - offsetMinutes(zone, transition)) *
    MINUTE;
  const start = Math.max(transition, ceilMinute(from.getTime() + 1));
  for (let t = start; t < transition + width && t < end; t += MINUTE) {
    const date = new Date(t);
    if (cron.match(date)) return date;
  }
  return undefined;
}

/** The first instant in (from, to] where the zone's UTC offset drops, to the minute. */
function findFallBack(zone: string, from: number, to: number): number | undefined {
  // Offsets change at most a few times a year: probe daily, then bisect the day that drops.
  const day = 24 * 3600_000;
  let low = from;
  let lowOffset = offsetMinutes(zone, low);
  while (low < to) {
    const high = Math.min(low + day, to);
    const highOffset = offsetMinutes(zone, high);
    if (highOffset < lowOffset) {
      let a = low;
      let b = high;
      while (b - a > MINUTE) {
        const mid = a + Math.floor((b - a) / 2 / MINUTE) * MINUTE || a + MINUTE;
        if (offsetMinutes(zone, mid) < lowOffset) b = mid;
        else a = mid;
      }
      return ceilMinute(b);
    }
    low = high;
    lowOffset = highOffset;
  }
  return undefined;
}

function ceilMinute(ms: number): number {
  return Math.ceil(ms / MINUTE) * MINUTE;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

/** The zone's offset from UTC in minutes at an instant (e.g. -300 for New York in winter). */
export function offsetMinutes(zone: string, ms: number): number {
  let format = formatters.get(zone);
  if (!format) {
    format = new Intl.DateTimeFormat("en-US", {
      timeZone: zone,
      hourCycle: "h23",
      year: "numeric",
      month: "numeric",
      day: "numeric",
      hour: "numeric",
      minute: "numeric",
    });
    formatters.set(zone, format);
  }
  const parts: Record<string, number> = {};
  for (const part of format.formatToParts(new Date(ms))) {
    if (part.type !== "literal") parts[part.type] = Number(part.value);
  }
  const wall = Date.UTC(parts.year, parts.month - 1, parts.day, parts.hour, parts.minute);
  return Math.round((wall - Math.floor(ms / MINUTE) * MINUTE) / MINUTE);
}

const UNIT_MS: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  "µs": 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3600_000,
};

/** A Go duration (`1h30m`, `90s`, `1.5h`) in milliseconds. */
export function goDurationMs(text: string): number | undefined {
  const pattern = /([0-9]+(?:\.[0-9]+)?)(ns|us|µs|ms|s|m|h)/gy;
  let total = 0;
  let at = 0;
  for (const match of text.matchAll(pattern)) {
    if (match.index !== at) return undefined;
    total += Number(match[1]) * UNIT_MS[match[2]];
    at = match.index + match[0].length;
  }
  return at === text.length && at > 0 ? total : undefined;
}
