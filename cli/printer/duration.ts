/**
 * Argo's human-readable durations and timestamps. Argo buckets a duration into magnitudes
 * (go-humanize's relative-time tables, as extended by Argo's `util/humanize`): below the next
 * threshold a bucket prints a fixed word ("1 minute") or the whole count of its unit. All
 * functions take milliseconds or dates and never read the clock: callers pass `now`.
 *
 * @module
 */

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const WEEK = 7 * DAY;
const MONTH = 30 * DAY;
const YEAR = 12 * MONTH;
const LONG_TIME = 37 * YEAR;
/** Go's largest `time.Duration` (about 292 years) in ms: differences from the zero time saturate. */
const GO_MAX_DURATION_MS = 9_223_372_036_854;
/** Go's zero time (0001-01-01T00:00:00Z) in ms since the epoch. */
const GO_ZERO_TIME_MS = -62_135_596_800_000;

/** One bucket: durations below `below` print `format`, `%d` being the duration in `unit`s. */
interface Magnitude {
  below: number;
  format: string;
  unit: number;
}

// The long form used by `Duration:` (argo get) without the label word.
const LONG_MAGNITUDES: Magnitude[] = [
  { below: SECOND, format: "0 seconds", unit: SECOND },
  { below: 2 * SECOND, format: "1 second", unit: 1 },
  { below: MINUTE, format: "%d seconds", unit: SECOND },
  { below: 2 * MINUTE, format: "1 minute", unit: 1 },
  { below: HOUR, format: "%d minutes", unit: MINUTE },
  { below: 2 * HOUR, format: "1 hour", unit: 1 },
  { below: DAY, format: "%d hours", unit: HOUR },
  { below: 2 * DAY, format: "1 day", unit: 1 },
  { below: WEEK, format: "%d days", unit: DAY },
  { below: 2 * WEEK, format: "1 week", unit: 1 },
  { below: MONTH, format: "%d weeks", unit: WEEK },
  { below: 2 * MONTH, format: "1 month", unit: 1 },
  { below: YEAR, format: "%d months", unit: MONTH },
  { below: 18 * MONTH, format: "1 year", unit: 1 },
  { below: 2 * YEAR, format: "2 years", unit: 1 },
  { below: LONG_TIME, format: "%d years", unit: YEAR },
  { below: Infinity, format: "a long while", unit: 1 },
];

// go-humanize's defaults, used for "(3 minutes ago)" after timestamps: "now" below a second.
const RELATIVE_MAGNITUDES: Magnitude[] = [
  { below: SECOND, format: "now", unit: SECOND },
  ...LONG_MAGNITUDES.slice(1),
];

// The short form of `argo list` AGE/DURATION and the tree's DURATION column. The last bucket
// also covers everything longer, so two weeks print as "14d".
const SHORT_MAGNITUDES: Magnitude[] = [
  { below: SECOND, format: "0s", unit: SECOND },
  { below: 2 * SECOND, format: "1s", unit: 1 },
  { below: MINUTE, format: "%ds", unit: SECOND },
  { below: 2 * MINUTE, format: "1m", unit: 1 },
  { below: HOUR, format: "%dm", unit: MINUTE },
  { below: 2 * HOUR, format: "1h", unit: 1 },
  { below: DAY, format: "%dh", unit: HOUR },
  { below: 2 * DAY, format: "1d", unit: 1 },
  { below: WEEK, format: "%dd", unit: DAY },
];

function bucket(ms: number, magnitudes: Magnitude[]): string {
  // Argo takes the absolute difference: a negative duration prints like a positive one.
  const abs = Math.abs(ms);
  let magnitude = magnitudes[magnitudes.length - 1];
  for (const candidate of magnitudes) {
    if (candidate.below > abs) {
      magnitude = candidate;
      break;
    }
  }
  return magnitude.format.replace("%d", String(Math.trunc(abs / magnitude.unit)));
}

/** A duration truncated to its largest unit: "5 seconds", "1 minute", "3 hours". */
export function truncatedDuration(ms: number): string {
  return bucket(ms, LONG_MAGNITUDES);
}

/**
 * Argo's two-unit humanized duration: "5 seconds", "1 minute 5 seconds", "2 hours 3 minutes",
 * "1 day 4 hours". Like Argo, the second unit is always the next smaller one and always plural.
 */
export function humanizeDuration(ms: number): string {
  const abs = Math.abs(ms);
  const head = truncatedDuration(ms);
  if (abs < MINUTE) return head;
  if (abs < HOUR) return `${head} ${Math.trunc((abs % MINUTE) / SECOND)} seconds`;
  if (abs < DAY) return `${head} ${Math.trunc((abs % HOUR) / MINUTE)} minutes`;
  return `${head} ${Math.trunc((abs % DAY) / HOUR)} hours`;
}

/** Argo's short duration: "0s", "2s", "1m", "3h", "2d", "14d". */
export function shortDuration(ms: number): string {
  return bucket(ms, SHORT_MAGNITUDES);
}

/** Milliseconds since the epoch of an RFC 3339 time, or undefined when unset or unparsable. */
export function parseTime(time: string | undefined): number | undefined {
  if (!time) return undefined;
  // Kubernetes writes times as `2006-01-02T15:04:05Z`; reading those digits directly is several
  // times faster than Date.parse, which matters when sorting 10,000 nodes.
  if (time.length === 20 && time.charCodeAt(19) === 90 /* Z */ && time.charCodeAt(10) === 84) {
    const ms = Date.UTC(
      digits(time, 0, 4),
      digits(time, 5, 7) - 1,
      digits(time, 8, 10),
      digits(time, 11, 13),
      digits(time, 14, 16),
      digits(time, 17, 19),
    );
    if (!Number.isNaN(ms)) return ms;
  }
  const ms = Date.parse(time);
  return Number.isNaN(ms) ? undefined : ms;
}

/** The decimal number in `text[from, to)`, NaN if any character is not a digit. */
function digits(text: string, from: number, to: number): number {
  let value = 0;
  for (let i = from; i < to; i++) {
    const digit = text.charCodeAt(i) - 48;
    if (digit < 0 || digit > 9) return NaN;
    value = value * 10 + digit;
  }
  return value;
}

/**
 * Duration between two times the way Argo's list and tree print it: a missing finish means
 * "still running" and counts up to `now`; a missing start counts as zero ("0s").
 */
export function elapsedMs(
  startedAt: string | undefined,
  finishedAt: string | undefined,
  now: Date,
): number {
  const start = parseTime(startedAt);
  const finish = parseTime(finishedAt);
  if (start === undefined) return finish === undefined ? 0 : sinceZeroTime(finish);
  return (finish ?? now.getTime()) - start;
}

/** Milliseconds from Go's zero time (what an unset start means) to `ms`, saturated like Go. */
export function sinceZeroTime(ms: number): number {
  return Math.min(ms - GO_ZERO_TIME_MS, GO_MAX_DURATION_MS);
}

/** `shortDuration(elapsedMs(...))`: Argo's `RelativeDurationShort`. */
export function relativeDurationShort(
  startedAt: string | undefined,
  finishedAt: string | undefined,
  now: Date,
): string {
  return shortDuration(elapsedMs(startedAt, finishedAt, now));
}

/** "3 minutes ago", "now", "2 hours from now" (go-humanize's `Time`). */
export function relativeTime(then: number, now: Date): string {
  const diff = now.getTime() - then;
  const text = bucket(diff, RELATIVE_MAGNITUDES);
  if (text === "now") return text;
  return `${text} ${diff >= 0 ? "ago" : "from now"}`;
}

const WEEKDAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

function pad2(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

/**
 * Argo's timestamp: Go layout `Mon Jan 02 15:04:05 -0700` in UTC (always `+0000`, so output does
 * not depend on the machine's zone) followed by the relative time, e.g.
 * `Thu Nov 26 15:00:13 +0000 (3 minutes ago)`. An unset time is Go's zero time.
 */
export function formatTimestamp(time: string | undefined, now: Date): string {
  const ms = parseTime(time);
  if (ms === undefined) return "Mon Jan 01 00:00:00 +0000 (a long while ago)";
  const d = new Date(ms);
  const stamp = `${WEEKDAYS[d.getUTCDay()]} ${MONTHS[d.getUTCMonth()]} ${pad2(d.getUTCDate())} ${
    pad2(d.getUTCHours())
  }:${pad2(d.getUTCMinutes())}:${pad2(d.getUTCSeconds())} +0000`;
  return `${stamp} (${relativeTime(ms, now)})`;
}
