/**
 * Go's time formatting and parsing (reference layouts such as `2006-01-02T15:04:05Z07:00`),
 * Go durations (`1h30m`), and time zones by IANA name. `Local` is UTC, as in the controller's
 * and executor's containers.
 *
 * @module
 */
import { ExprDuration, ExprTime, offsetString, pad } from "./values.ts";
import { quote } from "./result.ts";

const MONTHS = [
  "January",
  "February",
  "March",
  "April",
  "May",
  "June",
  "July",
  "August",
  "September",
  "October",
  "November",
  "December",
];
const DAYS = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];

/** Go's predefined layouts, by the name Go's `time` package gives them. */
export const LAYOUTS: Record<string, string> = {
  ANSIC: "Mon Jan _2 15:04:05 2006",
  UnixDate: "Mon Jan _2 15:04:05 MST 2006",
  RubyDate: "Mon Jan 02 15:04:05 -0700 2006",
  RFC822: "02 Jan 06 15:04 MST",
  RFC822Z: "02 Jan 06 15:04 -0700",
  RFC850: "Monday, 02-Jan-06 15:04:05 MST",
  RFC1123: "Mon, 02 Jan 2006 15:04:05 MST",
  RFC1123Z: "Mon, 02 Jan 2006 15:04:05 -0700",
  RFC3339: "2006-01-02T15:04:05Z07:00",
  RFC3339Nano: "2006-01-02T15:04:05.999999999Z07:00",
  Kitchen: "3:04PM",
  DateTime: "2006-01-02 15:04:05",
  DateOnly: "2006-01-02",
  TimeOnly: "15:04:05",
};

type Chunk =
  | { kind: "literal"; text: string }
  | { kind: "std"; std: string }
  | { kind: "fraction"; digits: number; trim: boolean; separator: string };

const STD_PREFIXES = [
  "January",
  "Jan",
  "Monday",
  "Mon",
  "MST",
  "2006",
  "002",
  "01",
  "02",
  "03",
  "04",
  "05",
  "06",
  "__2",
  "_2",
  "15",
  "1",
  "2",
  "3",
  "4",
  "5",
  "PM",
  "pm",
  "-07:00:00",
  "-070000",
  "-07:00",
  "-0700",
  "-07",
  "Z07:00:00",
  "Z070000",
  "Z07:00",
  "Z0700",
  "Z07",
];

/** Splits a Go layout into literal text and the elements Go recognises. */
function chunks(layout: string): Chunk[] {
  const out: Chunk[] = [];
  let literal = "";
  let i = 0;
  outer: while (i < layout.length) {
    const ch = layout[i];
    if ((ch === "." || ch === ",") && (layout[i + 1] === "0" || layout[i + 1] === "9")) {
      const digit = layout[i + 1];
      let j = i + 1;
      while (layout[j] === digit) j++;
      if (!/[0-9]/.test(layout[j] ?? "")) {
        if (literal) out.push({ kind: "literal", text: literal });
        literal = "";
        out.push({ kind: "fraction", digits: j - i - 1, trim: digit === "9", separator: ch });
        i = j;
        continue;
      }
    }
    for (const std of STD_PREFIXES) {
      if (!layout.startsWith(std, i)) continue;
      // "Jan" inside "January"-like words and "Mon" inside "Monday" are handled by order; a
      // month or weekday name followed by a lower-case letter is literal text in Go.
      if ((std === "Jan" || std === "Mon") && /[a-z]/.test(layout[i + 3] ?? "")) continue;
      if (literal) out.push({ kind: "literal", text: literal });
      literal = "";
      out.push({ kind: "std", std });
      i += std.length;
      continue outer;
    }
    literal += ch;
    i++;
  }
  if (literal) out.push({ kind: "literal", text: literal });
  return out;
}

/** The fields of a time in its own zone. */
function fields(time: ExprTime) {
  const local = new Date(time.ms + time.offsetMinutes * 60_000);
  const year = local.getUTCFullYear();
  const start = Date.UTC(year, 0, 1);
  return {
    year,
    month: local.getUTCMonth() + 1,
    day: local.getUTCDate(),
    hour: local.getUTCHours(),
    minute: local.getUTCMinutes(),
    second: local.getUTCSeconds(),
    weekday: local.getUTCDay(),
    yearDay: Math.floor((local.getTime() - start) / 86_400_000) + 1,
    nanos: (((time.ms % 1000) + 1000) % 1000) * 1e6 + time.nanos,
  };
}

/** Formats a time with a Go layout, as `time.Time.Format` does. */
export function formatTime(time: ExprTime, layout: string): string {
  const f = fields(time);
  let out = "";
  for (const chunk of chunks(layout)) {
    if (chunk.kind === "literal") {
      out += chunk.text;
      continue;
    }
    if (chunk.kind === "fraction") {
      const digits = String(f.nanos).padStart(9, "0").slice(0, chunk.digits);
      if (!chunk.trim) out += chunk.separator + digits;
      else {
        const trimmed = digits.replace(/0+$/, "");
        if (trimmed) out += chunk.separator + trimmed;
      }
      continue;
    }
    const offset = time.offsetMinutes;
    switch (chunk.std) {
      case "January":
        out += MONTHS[f.month - 1];
        break;
      case "Jan":
        out += MONTHS[f.month - 1].slice(0, 3);
        break;
      case "Monday":
        out += DAYS[f.weekday];
        break;
      case "Mon":
        out += DAYS[f.weekday].slice(0, 3);
        break;
      case "MST":
        out += time.zone !== "" ? time.zone : offsetString(offset, false);
        break;
      case "2006":
        out += pad(f.year, 4);
        break;
      case "06":
        out += pad(f.year % 100, 2);
        break;
      case "002":
        out += pad(f.yearDay, 3);
        break;
      case "__2":
        out += String(f.yearDay).padStart(3, " ");
        break;
      case "01":
        out += pad(f.month, 2);
        break;
      case "1":
        out += String(f.month);
        break;
      case "02":
        out += pad(f.day, 2);
        break;
      case "2":
        out += String(f.day);
        break;
      case "_2":
        out += String(f.day).padStart(2, " ");
        break;
      case "15":
        out += pad(f.hour, 2);
        break;
      case "03":
        out += pad(f.hour % 12 === 0 ? 12 : f.hour % 12, 2);
        break;
      case "3":
        out += String(f.hour % 12 === 0 ? 12 : f.hour % 12);
        break;
      case "04":
        out += pad(f.minute, 2);
        break;
      case "4":
        out += String(f.minute);
        break;
      case "05":
        out += pad(f.second, 2);
        break;
      case "5":
        out += String(f.second);
        break;
      case "PM":
        out += f.hour >= 12 ? "PM" : "AM";
        break;
      case "pm":
        out += f.hour >= 12 ? "pm" : "am";
        break;
      default: {
        // Zone offsets: "Z..." forms print Z for UTC.
        const std = chunk.std;
        if (std.startsWith("Z") && offset === 0) {
          out += "Z";
          break;
        }
        const sign = offset < 0 ? "-" : "+";
        const abs = Math.abs(offset);
        const hh = pad(Math.floor(abs / 60), 2);
        const mm = pad(abs % 60, 2);
        const body = std.slice(1);
        if (body === "07") out += sign + hh;
        else if (body === "0700") out += sign + hh + mm;
        else if (body === "07:00") out += `${sign}${hh}:${mm}`;
        else if (body === "070000") out += sign + hh + mm + "00";
        else out += `${sign}${hh}:${mm}:00`;
      }
    }
  }
  return out;
}

/** Parses a time with a Go layout, as `time.Parse` does (zone-less values are UTC). */
export function parseTime(
  layout: string,
  value: string,
  defaultOffsetMinutes = 0,
  defaultZone = "UTC",
): { ok: true; time: ExprTime } | { ok: false; message: string } {
  let rest = value;
  let year = 1, month = 1, day = 1, hour = 0, minute = 0, second = 0, nanos = 0;
  let pm: boolean | undefined;
  let offset: number | undefined;
  let zone: string | undefined;
  let yearDay = 0;
  const bad = (element: string) => ({
    ok: false as const,
    message: `parsing time ${quote(value)} as ${quote(layout)}: cannot parse ${quote(rest)} as ${
      quote(element)
    }`,
  });
  const num = (min: number, max: number): number | undefined => {
    const m = new RegExp(`^[0-9]{${min},${max}}`).exec(rest);
    if (!m) return undefined;
    rest = rest.slice(m[0].length);
    return Number(m[0]);
  };
  const list = chunks(layout);
  for (let index = 0; index < list.length; index++) {
    const chunk = list[index];
    if (chunk.kind === "literal") {
      // Go lets runs of spaces in the layout and the value differ in length.
      if (!rest.startsWith(chunk.text)) return bad(chunk.text);
      rest = rest.slice(chunk.text.length);
      continue;
    }
    if (chunk.kind === "fraction") {
      const m = /^[.,]([0-9]+)/.exec(rest);
      if (!m) {
        if (chunk.trim) continue;
        return bad(chunk.separator + "0".repeat(chunk.digits));
      }
      if (!chunk.trim && m[1].length !== chunk.digits) {
        return bad(chunk.separator + "0".repeat(chunk.digits));
      }
      nanos = Number(m[1].slice(0, 9).padEnd(9, "0"));
      rest = rest.slice(m[0].length);
      continue;
    }
    const std = chunk.std;
    let n: number | undefined;
    switch (std) {
      case "January":
      case "Jan": {
        const names = std === "January" ? MONTHS : MONTHS.map((m) => m.slice(0, 3));
        const found = names.findIndex((name) => rest.toLowerCase().startsWith(name.toLowerCase()));
        if (found < 0) return bad(std);
        month = found + 1;
        rest = rest.slice(names[found].length);
        continue;
      }
      case "Monday":
      case "Mon": {
        const names = std === "Monday" ? DAYS : DAYS.map((d) => d.slice(0, 3));
        const found = names.findIndex((name) => rest.toLowerCase().startsWith(name.toLowerCase()));
        if (found < 0) return bad(std);
        rest = rest.slice(names[found].length);
        continue;
      }
      case "MST": {
        const m = /^(UTC|GMT([+-][0-9]{1,2})?|[A-Z]{3,5})/.exec(rest);
        if (!m) return bad(std);
        zone = m[0];
        if (m[2]) offset = Number(m[2]) * 60;
        else if (offset === undefined) offset = 0;
        rest = rest.slice(m[0].length);
        continue;
      }
      case "2006":
        n = num(4, 4);
        if (n === undefined) return bad(std);
        year = n;
        continue;
      case "06":
        n = num(2, 2);
        if (n === undefined) return bad(std);
        year = n >= 69 ? 1900 + n : 2000 + n;
        continue;
      case "002":
      case "__2":
        rest = std === "__2" ? rest.replace(/^ {1,2}/, "") : rest;
        n = num(std === "002" ? 3 : 1, 3);
        if (n === undefined) return bad(std);
        yearDay = n;
        continue;
      case "01":
      case "1":
        n = num(std === "01" ? 2 : 1, 2);
        if (n === undefined || n < 1 || n > 12) return bad(std);
        month = n;
        continue;
      case "02":
      case "2":
      case "_2":
        if (std === "_2" && rest.startsWith(" ")) rest = rest.slice(1);
        n = num(std === "02" ? 2 : 1, 2);
        if (n === undefined) return bad(std);
        day = n;
        continue;
      case "15":
        n = num(1, 2);
        if (n === undefined || n > 23) return bad(std);
        hour = n;
        continue;
      case "03":
      case "3":
        n = num(std === "03" ? 2 : 1, 2);
        if (n === undefined || n > 12) return bad(std);
        hour = n;
        continue;
      case "04":
      case "4":
        n = num(std === "04" ? 2 : 1, 2);
        if (n === undefined || n > 59) return bad(std);
        minute = n;
        continue;
      case "05":
      case "5": {
        n = num(std === "05" ? 2 : 1, 2);
        if (n === undefined || n > 59) return bad(std);
        second = n;
        // Go accepts a fraction after the seconds even when the layout has none.
        const next = list[index + 1];
        const m = /^[.,]([0-9]+)/.exec(rest);
        if (m && next?.kind !== "fraction") {
          nanos = Number(m[1].slice(0, 9).padEnd(9, "0"));
          rest = rest.slice(m[0].length);
        }
        continue;
      }
      case "PM":
      case "pm": {
        const m = /^(AM|PM)/i.exec(rest);
        if (!m) return bad(std);
        pm = m[1].toUpperCase() === "PM";
        rest = rest.slice(2);
        continue;
      }
      default: {
        if (std.startsWith("Z") && rest.startsWith("Z")) {
          offset = 0;
          zone = "UTC";
          rest = rest.slice(1);
          continue;
        }
        const m = /^([+-])([0-9]{2})(:?([0-9]{2}))?(:?([0-9]{2}))?/.exec(rest);
        if (!m) return bad(std);
        offset = (m[1] === "-" ? -1 : 1) * (Number(m[2]) * 60 + Number(m[4] ?? 0));
        zone = "";
        rest = rest.slice(m[0].length);
      }
    }
  }
  if (rest.length > 0) {
    return {
      ok: false,
      message: `parsing time ${quote(value)}: extra text: ${quote(rest)}`,
    };
  }
  if (pm !== undefined) {
    if (hour > 12) return { ok: false, message: `parsing time ${quote(value)}: hour out of range` };
    if (pm && hour < 12) hour += 12;
    if (!pm && hour === 12) hour = 0;
  }
  if (yearDay > 0) {
    const date = new Date(Date.UTC(year, 0, yearDay));
    month = date.getUTCMonth() + 1;
    day = date.getUTCDate();
  }
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
  if (day < 1 || day > daysInMonth) {
    return { ok: false, message: `parsing time ${quote(value)}: day out of range` };
  }
  const effectiveOffset = offset ?? defaultOffsetMinutes;
  const wall = Date.UTC(year, month - 1, day, hour, minute, second);
  const utcYearFix = year < 100 ? new Date(wall).setUTCFullYear(year) : wall;
  const ms = utcYearFix - effectiveOffset * 60_000 + Math.floor(nanos / 1e6);
  const time = new ExprTime(
    ms,
    nanos % 1e6,
    effectiveOffset,
    zone ?? (offset === undefined ? defaultZone : ""),
  );
  return { ok: true, time };
}

/** Parses a Go duration such as `1h30m`, `-1.5s` or `300ms`. */
export function parseDuration(
  text: string,
): { ok: true; duration: ExprDuration } | { ok: false; message: string } {
  const invalid = { ok: false as const, message: `time: invalid duration ${quote(text)}` };
  let rest = text;
  let sign = 1;
  if (rest.startsWith("-") || rest.startsWith("+")) {
    sign = rest[0] === "-" ? -1 : 1;
    rest = rest.slice(1);
  }
  if (rest === "0") return { ok: true, duration: new ExprDuration(0) };
  if (rest === "") return invalid;
  const units: Record<string, number> = {
    ns: 1,
    us: 1e3,
    "µs": 1e3,
    "μs": 1e3,
    ms: 1e6,
    s: 1e9,
    m: 6e10,
    h: 3.6e12,
  };
  let total = 0;
  while (rest.length > 0) {
    const m = /^([0-9]*)(\.([0-9]*))?/.exec(rest)!;
    if (m[0] === "" || m[0] === ".") return invalid;
    rest = rest.slice(m[0].length);
    const unit = /^[^0-9.]*/.exec(rest)![0];
    if (unit === "") {
      return { ok: false, message: `time: missing unit in duration ${quote(text)}` };
    }
    const scale = units[unit];
    if (scale === undefined) {
      return { ok: false, message: `time: unknown unit ${quote(unit)} in duration ${quote(text)}` };
    }
    rest = rest.slice(unit.length);
    total += Number(m[0]) * scale;
  }
  if (!Number.isFinite(total) || total > 9.223372036854776e18) return invalid;
  return { ok: true, duration: new ExprDuration(sign * Math.round(total)) };
}

/** The offset (minutes) and abbreviation of an IANA zone at an instant; undefined if unknown. */
export function zoneAt(zone: string, ms: number): { offset: number; name: string } | undefined {
  if (zone === "UTC" || zone === "" || zone === "Local" || zone === "Etc/UTC") {
    return { offset: 0, name: "UTC" };
  }
  let format: Intl.DateTimeFormat;
  try {
    format = new Intl.DateTimeFormat("en-US", {
      timeZone: zone,
      hourCycle: "h23",
      year: "numeric",
      month: "numeric",
      day: "numeric",
      hour: "numeric",
      minute: "numeric",
      second: "numeric",
      timeZoneName: "short",
    });
  } catch {
    return undefined;
  }
  const parts: Record<string, string> = {};
  for (const part of format.formatToParts(new Date(ms))) parts[part.type] = part.value;
  const wall = Date.UTC(
    Number(parts.year),
    Number(parts.month) - 1,
    Number(parts.day),
    Number(parts.hour),
    Number(parts.minute),
    Number(parts.second),
  );
  const offset = Math.round((wall - (ms - (((ms % 1000) + 1000) % 1000))) / 60_000);
  return { offset, name: parts.timeZoneName ?? zone };
}

/** The same instant seen in another zone. */
export function inZone(time: ExprTime, zone: string): ExprTime | undefined {
  const found = zoneAt(zone, time.ms);
  if (!found) return undefined;
  return new ExprTime(time.ms, time.nanos, found.offset, found.name);
}

/** Formats a time as RFC 3339 (seconds precision), Go's `time.RFC3339`. */
export function rfc3339(time: ExprTime): string {
  return formatTime(time, LAYOUTS.RFC3339);
}
