/**
 * Static checks of CronWorkflow schedules in the syntax Argo accepts (robfig/cron's standard
 * parser: five fields, month and weekday names, `@hourly`-style descriptors, `@every`, and an
 * optional `CRON_TZ=` prefix). This only validates; computing fire times belongs to the cron
 * controller.
 */

interface FieldSpec {
  name: string;
  min: number;
  max: number;
  names?: Record<string, number>;
}

const MONTHS: Record<string, number> = {
  jan: 1,
  feb: 2,
  mar: 3,
  apr: 4,
  may: 5,
  jun: 6,
  jul: 7,
  aug: 8,
  sep: 9,
  oct: 10,
  nov: 11,
  dec: 12,
};
const WEEKDAYS: Record<string, number> = { sun: 0, mon: 1, tue: 2, wed: 3, thu: 4, fri: 5, sat: 6 };

const FIELDS: FieldSpec[] = [
  { name: "minute", min: 0, max: 59 },
  { name: "hour", min: 0, max: 23 },
  { name: "day of month", min: 1, max: 31 },
  { name: "month", min: 1, max: 12, names: MONTHS },
  { name: "day of week", min: 0, max: 6, names: WEEKDAYS },
];

const DESCRIPTORS = new Set([
  "@yearly",
  "@annually",
  "@monthly",
  "@weekly",
  "@daily",
  "@midnight",
  "@hourly",
]);

/** Go duration syntax as `@every` takes it, e.g. `1h30m`, `90s`, `1.5h`. */
const GO_DURATION = /^([0-9]+(\.[0-9]+)?(ns|us|µs|ms|s|m|h))+$/;

/** Returns why a schedule is malformed, or undefined when it parses. */
export function cronScheduleError(schedule: string): string | undefined {
  let text = schedule.trim();
  if (text === "") return "empty spec string";
  const tz = /^(CRON_TZ|TZ)=(\S+)\s+(.*)$/.exec(text);
  if (tz) {
    const zoneError = timeZoneError(tz[2]);
    if (zoneError) return zoneError;
    text = tz[3].trim();
  }
  if (text.startsWith("@")) {
    if (DESCRIPTORS.has(text)) return undefined;
    const every = /^@every\s+(\S+)$/.exec(text);
    if (every) {
      return GO_DURATION.test(every[1])
        ? undefined
        : `failed to parse duration ${text}: invalid duration "${every[1]}"`;
    }
    return `unrecognized descriptor: ${text}`;
  }
  const fields = text.split(/\s+/);
  if (fields.length !== FIELDS.length) {
    return `expected exactly 5 fields, found ${fields.length}: [${fields.join(" ")}]`;
  }
  for (let i = 0; i < FIELDS.length; i++) {
    const error = fieldError(fields[i], FIELDS[i]);
    if (error) return error;
  }
  return undefined;
}

function fieldError(field: string, spec: FieldSpec): string | undefined {
  for (const part of field.split(",")) {
    const [range, step, extra] = part.split("/");
    if (extra !== undefined) return `too many slashes: ${part}`;
    if (step !== undefined && !/^[0-9]+$/.test(step)) {
      return `failed to parse int from ${step} in ${spec.name} field`;
    }
    if (step !== undefined && Number(step) === 0) {
      return `step of range should be a positive number: ${part}`;
    }
    if (
      range === "*" ||
      (range === "?" && (spec.name === "day of month" || spec.name === "day of week"))
    ) {
      continue;
    }
    const bounds = range.split("-");
    if (bounds.length > 2) return `too many hyphens: ${part}`;
    const numbers: number[] = [];
    for (const bound of bounds) {
      const value = parseBound(bound, spec);
      if (typeof value === "string") return value;
      numbers.push(value);
    }
    const [low, high = low] = numbers;
    if (low < spec.min) return `beginning of range (${low}) below minimum (${spec.min}): ${part}`;
    if (high > spec.max) return `end of range (${high}) above maximum (${spec.max}): ${part}`;
    if (low > high) return `beginning of range (${low}) beyond end of range (${high}): ${part}`;
  }
  return undefined;
}

function parseBound(bound: string, spec: FieldSpec): number | string {
  const named = spec.names?.[bound.toLowerCase()];
  if (named !== undefined) return named;
  if (!/^[0-9]+$/.test(bound)) return `failed to parse int from ${bound} in ${spec.name} field`;
  return Number(bound);
}

/** Returns why an IANA time zone name is unknown, or undefined when it is known. */
export function timeZoneError(zone: string): string | undefined {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: zone });
    return undefined;
  } catch {
    return `unknown time zone ${zone}`;
  }
}
