/**
 * The allow-listed function table for `{{= }}` expressions: expr-lang's built-ins (except the
 * predicate ones such as `filter`, which the evaluator runs because they take closures), Argo's
 * helpers (`asInt`, `asFloat`, `string`, `jsonpath`, `toJson`) and the methods of time and
 * duration values. Nothing outside this table can be called.
 *
 * @module
 */
import {
  type CallSite,
  ExprDuration,
  ExprFunction,
  ExprTime,
  goJson,
  goString,
  goTypeName,
  isMap,
  kindOf,
  mapSet,
  newMap,
  parseJsonValue,
  valuesEqual,
} from "./values.ts";
import { fail, LIMITS, quote } from "./result.ts";
import { formatTime, inZone, LAYOUTS, parseDuration, parseTime, zoneAt } from "./dates.ts";
import { jsonPathLookup } from "./jsonpath.ts";

/** expr built-ins and Argo helpers, by name. */
export const FUNCTIONS: Map<string, ExprFunction> = new Map();

function def(
  name: string,
  minArgs: number,
  maxArgs: number,
  impl: (args: unknown[], site: CallSite) => unknown,
): void {
  FUNCTIONS.set(name, new ExprFunction(name, minArgs, maxArgs, impl));
}

// ---------------------------------------------------------------------------------------------
// Argument checks, in expr's wording.

/** Fails with expr's message for an argument of the wrong type. */
export function badArgument(name: string, value: unknown, want: string, site: CallSite): never {
  fail(`cannot use ${goTypeName(value)} as argument (type ${want}) to call ${name}`, site.offset);
}

export function argString(name: string, value: unknown, site: CallSite): string {
  if (typeof value !== "string") badArgument(name, value, "string", site);
  return value;
}

export function argNumber(name: string, value: unknown, site: CallSite): number {
  if (typeof value !== "number") badArgument(name, value, "float64", site);
  return value;
}

export function argInt(name: string, value: unknown, site: CallSite): number {
  if (typeof value !== "number" || !Number.isInteger(value)) badArgument(name, value, "int", site);
  return value;
}

export function argArray(name: string, value: unknown, site: CallSite): unknown[] {
  if (!Array.isArray(value)) badArgument(name, value, "[]interface {}", site);
  return value;
}

export function argMap(name: string, value: unknown, site: CallSite): Record<string, unknown> {
  if (!isMap(value)) badArgument(name, value, "map[string]interface {}", site);
  return value;
}

/** Fails unless a string of this length may be built. */
export function checkStringSize(length: number, site: CallSite): void {
  if (length > LIMITS.maxStringLength) {
    fail(
      `string too long (${length} characters; the limit is ${LIMITS.maxStringLength})`,
      site.offset,
    );
  }
  site.charge(Math.floor(length / 1024));
}

/** Fails unless a collection of this size may be built. */
export function checkCollectionSize(size: number, site: CallSite): void {
  if (size > LIMITS.maxCollectionSize) {
    fail(`too many elements (${size}; the limit is ${LIMITS.maxCollectionSize})`, site.offset);
  }
  site.charge(size);
}

/** The number of bytes a string takes in UTF-8, which is what Go's `len` counts. */
export function utf8Length(text: string): number {
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
      n += 4;
      i++;
    } else n += 3;
  }
  return n;
}

// ---------------------------------------------------------------------------------------------
// Go's strconv, as Argo's asInt/asFloat and expr's int/float use it.

const INT64_MAX = 9223372036854775807;

/** `strconv.Atoi`: optional sign, decimal digits, nothing else. */
export function parseGoInt(
  text: string,
): { ok: true; value: number } | { ok: false; message: string } {
  if (!/^[+-]?[0-9]+$/.test(text)) {
    return { ok: false, message: `strconv.Atoi: parsing ${quote(text)}: invalid syntax` };
  }
  const value = Number(text);
  if (Math.abs(value) > INT64_MAX) {
    return { ok: false, message: `strconv.Atoi: parsing ${quote(text)}: value out of range` };
  }
  return { ok: true, value };
}

/** `strconv.ParseFloat(s, 64)`. */
export function parseGoFloat(
  text: string,
): { ok: true; value: number } | { ok: false; message: string } {
  const t = text.toLowerCase();
  if (/^[+-]?(inf|infinity)$/.test(t)) {
    return { ok: true, value: t.startsWith("-") ? -Infinity : Infinity };
  }
  if (/^[+-]?nan$/.test(t)) return { ok: true, value: NaN };
  if (/^[+-]?([0-9](_?[0-9])*\.?([0-9](_?[0-9])*)?|\.[0-9](_?[0-9])*)(e[+-]?[0-9]+)?$/.test(t)) {
    const value = Number(t.replaceAll("_", ""));
    if (!Number.isFinite(value)) {
      return {
        ok: false,
        message: `strconv.ParseFloat: parsing ${quote(text)}: value out of range`,
      };
    }
    return { ok: true, value };
  }
  return { ok: false, message: `strconv.ParseFloat: parsing ${quote(text)}: invalid syntax` };
}

function roundHalfAwayFromZero(value: number): number {
  return value < 0 ? -Math.round(-value) : Math.round(value);
}

// ---------------------------------------------------------------------------------------------
// Argo's helpers (util/expr/env and argoproj/pkg/expr).

def("asInt", 1, 1, ([value], site) => {
  if (typeof value === "number") return Math.trunc(value);
  if (typeof value === "string") {
    const parsed = parseGoInt(value);
    if (!parsed.ok) fail(parsed.message, site.offset);
    return parsed.value;
  }
  fail(
    `value ${goString(value)} of type ${goTypeName(value)} cannot be converted to int`,
    site.offset,
  );
});

def("asFloat", 1, 1, ([value], site) => {
  if (typeof value === "number") return value;
  if (typeof value === "string") {
    const parsed = parseGoFloat(value);
    if (!parsed.ok) fail(parsed.message, site.offset);
    return parsed.value;
  }
  fail(
    `value ${goString(value)} of type ${goTypeName(value)} cannot be converted to float`,
    site.offset,
  );
});

def("string", 1, 1, ([value], site) => {
  const text = goString(value);
  checkStringSize(text.length, site);
  return text;
});

def("jsonpath", 2, 2, ([json, path], site) => {
  const text = argString("jsonpath", json, site);
  const parsed = parseJsonValue(text);
  if (!parsed.ok) fail(`jsonpath: invalid JSON: ${parsed.message}`, site.offset);
  const found = jsonPathLookup(parsed.value, argString("jsonpath", path, site));
  if (!found.ok) fail(`jsonpath: ${found.message}`, site.offset);
  return found.value;
});

def("toJson", 1, 1, ([value]) => goJson(value));

// ---------------------------------------------------------------------------------------------
// expr-lang built-ins: strings.

def("trim", 1, 2, ([s, chars], site) => {
  const text = argString("trim", s, site);
  if (chars === undefined) return text.replace(/^\s+|\s+$/gu, "");
  const set = argString("trim", chars, site);
  return trimSet(text, set, true, true);
});
def("trimPrefix", 2, 2, ([s, prefix], site) => {
  const text = argString("trimPrefix", s, site);
  const p = argString("trimPrefix", prefix, site);
  return text.startsWith(p) ? text.slice(p.length) : text;
});
def("trimSuffix", 2, 2, ([s, suffix], site) => {
  const text = argString("trimSuffix", s, site);
  const p = argString("trimSuffix", suffix, site);
  return p !== "" && text.endsWith(p) ? text.slice(0, text.length - p.length) : text;
});
def("upper", 1, 1, ([s], site) => argString("upper", s, site).toUpperCase());
def("lower", 1, 1, ([s], site) => argString("lower", s, site).toLowerCase());
def("split", 2, 3, ([s, sep, n], site) => {
  const parts = goSplit(argString("split", s, site), argString("split", sep, site), n, false, site);
  checkCollectionSize(parts.length, site);
  return parts;
});
def("splitAfter", 2, 3, ([s, sep, n], site) => {
  const parts = goSplit(
    argString("splitAfter", s, site),
    argString("splitAfter", sep, site),
    n,
    true,
    site,
  );
  checkCollectionSize(parts.length, site);
  return parts;
});
def("replace", 3, 3, ([s, old, replacement], site) => {
  const text = argString("replace", s, site);
  const from = argString("replace", old, site);
  const to = argString("replace", replacement, site);
  const count = from === "" ? text.length + 1 : text.split(from).length - 1;
  checkStringSize(text.length + count * (to.length - from.length), site);
  return text.replaceAll(from, to);
});
def("repeat", 2, 2, ([s, n], site) => {
  const text = argString("repeat", s, site);
  const times = argInt("repeat", n, site);
  if (times < 0) fail("strings: negative Repeat count", site.offset);
  checkStringSize(text.length * times, site);
  return text.repeat(times);
});
def(
  "indexOf",
  2,
  2,
  ([s, sub], site) => argString("indexOf", s, site).indexOf(argString("indexOf", sub, site)),
);
def(
  "lastIndexOf",
  2,
  2,
  ([s, sub], site) =>
    argString("lastIndexOf", s, site).lastIndexOf(argString("lastIndexOf", sub, site)),
);
def(
  "hasPrefix",
  2,
  2,
  ([s, p], site) => argString("hasPrefix", s, site).startsWith(argString("hasPrefix", p, site)),
);
def(
  "hasSuffix",
  2,
  2,
  ([s, p], site) => argString("hasSuffix", s, site).endsWith(argString("hasSuffix", p, site)),
);

/** Go's strings.Trim / TrimLeft / TrimRight with a cutset. */
export function trimSet(text: string, set: string, left: boolean, right: boolean): string {
  const chars = new Set(Array.from(set));
  const runes = Array.from(text);
  let start = 0;
  let end = runes.length;
  if (left) { while (start < end && chars.has(runes[start])) start++; }
  if (right) { while (end > start && chars.has(runes[end - 1])) end--; }
  return runes.slice(start, end).join("");
}

/** Go's strings.Split / SplitN / SplitAfter / SplitAfterN. */
export function goSplit(
  text: string,
  sep: string,
  n: unknown,
  after: boolean,
  site: CallSite,
): string[] {
  const limit = n === undefined ? -1 : argInt("split", n, site);
  if (limit === 0) return [];
  let parts: string[];
  if (sep === "") {
    parts = Array.from(text);
    if (limit > 0 && parts.length > limit) {
      parts = [...parts.slice(0, limit - 1), parts.slice(limit - 1).join("")];
    }
    return parts;
  }
  parts = [];
  let start = 0;
  for (;;) {
    if (limit > 0 && parts.length === limit - 1) break;
    const found = text.indexOf(sep, start);
    if (found < 0) break;
    parts.push(text.slice(start, after ? found + sep.length : found));
    start = found + sep.length;
  }
  parts.push(text.slice(start));
  return parts;
}

// ---------------------------------------------------------------------------------------------
// Numbers.

function numbersOf(name: string, args: unknown[], site: CallSite): number[] {
  const out: number[] = [];
  for (const arg of args) {
    if (Array.isArray(arg)) { for (const item of arg) out.push(argNumber(name, item, site)); }
    else out.push(argNumber(name, arg, site));
  }
  if (out.length === 0) fail(`not enough arguments to call ${name}`, site.offset);
  return out;
}

def("max", 1, Infinity, (args, site) => Math.max(...numbersOf("max", args, site)));
def("min", 1, Infinity, (args, site) => Math.min(...numbersOf("min", args, site)));
def("abs", 1, 1, ([x], site) => Math.abs(argNumber("abs", x, site)));
def("ceil", 1, 1, ([x], site) => Math.ceil(argNumber("ceil", x, site)));
def("floor", 1, 1, ([x], site) => Math.floor(argNumber("floor", x, site)));
def("round", 1, 1, ([x], site) => roundHalfAwayFromZero(argNumber("round", x, site)));

// ---------------------------------------------------------------------------------------------
// Arrays and maps.

def("len", 1, 1, ([v], site) => {
  if (typeof v === "string") return utf8Length(v);
  if (Array.isArray(v)) return v.length;
  if (isMap(v)) return Object.keys(v).length;
  fail(`invalid argument for len (type ${goTypeName(v)})`, site.offset);
});
def("concat", 1, Infinity, (args, site) => {
  const out: unknown[] = [];
  for (const arg of args) out.push(...argArray("concat", arg, site));
  checkCollectionSize(out.length, site);
  return out;
});
def("flatten", 1, 1, ([list], site) => {
  const out: unknown[] = [];
  const walk = (items: unknown[], depth: number) => {
    if (depth > LIMITS.maxDepth) fail("value is nested too deeply to flatten", site.offset);
    for (const item of items) {
      if (Array.isArray(item)) walk(item, depth + 1);
      else out.push(item);
    }
    checkCollectionSize(out.length, site);
  };
  walk(argArray("flatten", list, site), 0);
  return out;
});
def("join", 1, 2, ([list, sep], site) => {
  const items = argArray("join", list, site);
  const glue = sep === undefined ? "" : argString("join", sep, site);
  let length = 0;
  items.forEach((item, i) => {
    if (typeof item !== "string") {
      fail(`join: element ${i} is ${goTypeName(item)}, not string`, site.offset);
    }
    length += item.length + glue.length;
  });
  checkStringSize(length, site);
  return (items as string[]).join(glue);
});
def("mean", 1, Infinity, (args, site) => {
  const values = numbersOf("mean", args, site);
  return values.reduce((a, b) => a + b, 0) / values.length;
});
def("median", 1, Infinity, (args, site) => {
  const values = numbersOf("median", args, site).sort((a, b) => a - b);
  const mid = Math.floor(values.length / 2);
  return values.length % 2 === 1 ? values[mid] : (values[mid - 1] + values[mid]) / 2;
});
def("first", 1, 1, ([list], site) => {
  const items = argArray("first", list, site);
  return items.length > 0 ? items[0] : null;
});
def("last", 1, 1, ([list], site) => {
  const items = argArray("last", list, site);
  return items.length > 0 ? items[items.length - 1] : null;
});
def("take", 2, 2, ([list, n], site) => {
  const count = argInt("take", n, site);
  return argArray("take", list, site).slice(0, Math.max(0, count));
});
def("reverse", 1, 1, ([list], site) => [...argArray("reverse", list, site)].reverse());
def("sort", 1, 2, ([list, order], site) => {
  const items = [...argArray("sort", list, site)];
  const direction = order === undefined ? "asc" : argString("sort", order, site);
  if (direction !== "asc" && direction !== "desc") {
    fail(`unknown order ${quote(direction)}, use asc or desc`, site.offset);
  }
  sortValues(items, (x) => x, "sort", site);
  return direction === "desc" ? items.reverse() : items;
});
def("uniq", 1, 1, ([list], site) => {
  const out: unknown[] = [];
  for (const item of argArray("uniq", list, site)) {
    site.charge(out.length);
    if (!out.some((seen) => valuesEqual(seen, item))) out.push(item);
  }
  return out;
});
def("keys", 1, 1, ([m], site) => Object.keys(argMap("keys", m, site)).sort());
def("values", 1, 1, ([m], site) => {
  const map = argMap("values", m, site);
  return Object.keys(map).sort().map((k) => map[k]);
});
def("toPairs", 1, 1, ([m], site) => {
  const map = argMap("toPairs", m, site);
  return Object.keys(map).sort().map((k) => [k, map[k]]);
});
def("fromPairs", 1, 1, ([list], site) => {
  const out = newMap();
  for (const pair of argArray("fromPairs", list, site)) {
    if (!Array.isArray(pair) || pair.length !== 2) {
      fail("fromPairs: each element must be a [key, value] pair", site.offset);
    }
    mapSet(out, typeof pair[0] === "string" ? pair[0] : goString(pair[0]), pair[1]);
  }
  return out;
});
def("get", 2, 2, ([v, key]) => {
  if (Array.isArray(v) && typeof key === "number" && Number.isInteger(key)) {
    const index = key < 0 ? v.length + key : key;
    return index >= 0 && index < v.length ? v[index] : null;
  }
  if (isMap(v) && typeof key === "string") return Object.hasOwn(v, key) ? v[key] : null;
  return null;
});

/** Sorts numbers or strings (or values mapped to them) in place; mixed kinds are an error. */
export function sortValues<T>(
  items: T[],
  keyOf: (item: T) => unknown,
  name: string,
  site: CallSite,
): void {
  site.charge(items.length * Math.max(1, Math.ceil(Math.log2(items.length + 1))));
  const keys = items.map(keyOf);
  const allNumbers = keys.every((k) => typeof k === "number");
  const allStrings = keys.every((k) => typeof k === "string");
  if (!allNumbers && !allStrings) {
    fail(`${name}: can only sort numbers or strings`, site.offset);
  }
  const order = items.map((item, i) => ({ item, key: keys[i] as number | string, i }));
  order.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : a.i - b.i));
  order.forEach((entry, i) => (items[i] = entry.item));
}

// ---------------------------------------------------------------------------------------------
// Types and conversions.

def("type", 1, 1, ([v]) => {
  const kind = kindOf(v);
  return kind === "unknown" ? "interface {}" : kind;
});
def("int", 1, 1, ([v], site) => {
  if (typeof v === "number") return Math.trunc(v);
  if (typeof v === "string") {
    const parsed = parseGoInt(v.trim());
    if (!parsed.ok) fail(parsed.message, site.offset);
    return parsed.value;
  }
  fail(`invalid operation: int(${goTypeName(v)})`, site.offset);
});
def("float", 1, 1, ([v], site) => {
  if (typeof v === "number") return v;
  if (typeof v === "string") {
    const parsed = parseGoFloat(v.trim());
    if (!parsed.ok) fail(parsed.message, site.offset);
    return parsed.value;
  }
  fail(`invalid operation: float(${goTypeName(v)})`, site.offset);
});
def("toJSON", 1, 1, ([v]) => goJson(v, "  "));
def("fromJSON", 1, 1, ([s], site) => {
  const parsed = parseJsonValue(argString("fromJSON", s, site));
  if (!parsed.ok) fail(`fromJSON: ${parsed.message}`, site.offset);
  return parsed.value;
});
def("toBase64", 1, 1, ([s], site) => base64Encode(argString("toBase64", s, site)));
def("fromBase64", 1, 1, ([s], site) => {
  const decoded = base64Decode(argString("fromBase64", s, site));
  if (decoded === undefined) fail("illegal base64 data", site.offset);
  return decoded;
});

/** Standard base64 of a string's UTF-8 bytes. */
export function base64Encode(text: string): string {
  const bytes = new TextEncoder().encode(text);
  let binary = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(binary);
}

/** Decodes standard base64 to a string (bytes read as UTF-8). */
export function base64Decode(text: string): string | undefined {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text) || text.length % 4 !== 0) return undefined;
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return new TextDecoder().decode(bytes);
}

// ---------------------------------------------------------------------------------------------
// Bitwise operations, on 64-bit integers as Go does them.

function bits(name: string, f: (a: bigint, b: bigint) => bigint): void {
  def(name, 2, 2, ([a, b], site) => {
    const x = BigInt(argInt(name, a, site));
    const y = BigInt(argInt(name, b, site));
    return Number(BigInt.asIntN(64, f(x, y)));
  });
}
bits("bitand", (a, b) => a & b);
bits("bitor", (a, b) => a | b);
bits("bitxor", (a, b) => a ^ b);
bits("bitnand", (a, b) => a & ~b);
bits("bitshl", (a, b) => a << b);
bits("bitshr", (a, b) => a >> b);
bits("bitushr", (a, b) => BigInt.asUintN(64, a) >> b);
def("bitnot", 1, 1, ([a], site) => Number(BigInt.asIntN(64, ~BigInt(argInt("bitnot", a, site)))));

// ---------------------------------------------------------------------------------------------
// Dates.

def("now", 0, 0, (_args, site) => site.now());
def("duration", 1, 1, ([s], site) => {
  const parsed = parseDuration(argString("duration", s, site));
  if (!parsed.ok) fail(parsed.message, site.offset);
  return parsed.duration;
});
def("timezone", 1, 1, ([s], site) => {
  const name = argString("timezone", s, site);
  if (!zoneAt(name, 0)) fail(`unknown time zone ${name}`, site.offset);
  return name;
});

const DATE_LAYOUTS = [
  LAYOUTS.DateOnly,
  LAYOUTS.TimeOnly,
  LAYOUTS.DateTime,
  LAYOUTS.RFC3339,
  LAYOUTS.RFC822,
  LAYOUTS.RFC850,
  LAYOUTS.RFC1123,
];

def("date", 1, 3, ([s, layout, zone], site) => {
  if (s instanceof ExprTime) return s;
  const text = argString("date", s, site);
  let offset = 0;
  let zoneName = "UTC";
  if (zone !== undefined) {
    const z = zoneAt(argString("date", zone, site), Date.now());
    if (!z) fail(`unknown time zone ${zone}`, site.offset);
    offset = z.offset;
    zoneName = z.name;
  }
  const layouts = layout === undefined ? DATE_LAYOUTS : [argString("date", layout, site)];
  let lastMessage = "";
  for (const candidate of layouts) {
    const parsed = parseTime(candidate, text, offset, zoneName);
    if (parsed.ok) return parsed.time;
    lastMessage = parsed.message;
  }
  fail(layout === undefined ? `invalid date ${text}` : lastMessage, site.offset);
});

type Method = (receiver: never, args: unknown[], site: CallSite) => unknown;

function argTime(name: string, value: unknown, site: CallSite): ExprTime {
  if (!(value instanceof ExprTime)) badArgument(name, value, "time.Time", site);
  return value;
}

function argDuration(name: string, value: unknown, site: CallSite): ExprDuration {
  if (!(value instanceof ExprDuration)) badArgument(name, value, "time.Duration", site);
  return value;
}

/** Adds nanoseconds to a time, keeping its zone. */
export function addNanos(time: ExprTime, nanos: number): ExprTime {
  const total = time.nanos + nanos;
  const ms = time.ms + Math.floor(total / 1e6);
  return new ExprTime(ms, ((total % 1e6) + 1e6) % 1e6, time.offsetMinutes, time.zone);
}

/** Nanoseconds from b to a. */
export function subtractTimes(a: ExprTime, b: ExprTime): number {
  return (a.ms - b.ms) * 1e6 + (a.nanos - b.nanos);
}

function local(time: ExprTime): Date {
  return new Date(time.ms + time.offsetMinutes * 60_000);
}

/** The methods a time value has (Go's time.Time). */
export const TIME_METHODS: Record<string, { min: number; max: number; call: Method }> = {
  Year: { min: 0, max: 0, call: (t: ExprTime) => local(t).getUTCFullYear() },
  Month: { min: 0, max: 0, call: (t: ExprTime) => local(t).getUTCMonth() + 1 },
  Day: { min: 0, max: 0, call: (t: ExprTime) => local(t).getUTCDate() },
  Hour: { min: 0, max: 0, call: (t: ExprTime) => local(t).getUTCHours() },
  Minute: { min: 0, max: 0, call: (t: ExprTime) => local(t).getUTCMinutes() },
  Second: { min: 0, max: 0, call: (t: ExprTime) => local(t).getUTCSeconds() },
  Nanosecond: {
    min: 0,
    max: 0,
    call: (t: ExprTime) => (((t.ms % 1000) + 1000) % 1000) * 1e6 + t.nanos,
  },
  Weekday: { min: 0, max: 0, call: (t: ExprTime) => local(t).getUTCDay() },
  YearDay: {
    min: 0,
    max: 0,
    call: (t: ExprTime) => {
      const d = local(t);
      return Math.floor((d.getTime() - Date.UTC(d.getUTCFullYear(), 0, 1)) / 86_400_000) + 1;
    },
  },
  Unix: { min: 0, max: 0, call: (t: ExprTime) => Math.floor(t.ms / 1000) },
  UnixMilli: { min: 0, max: 0, call: (t: ExprTime) => t.ms },
  UnixMicro: { min: 0, max: 0, call: (t: ExprTime) => t.ms * 1000 + Math.floor(t.nanos / 1000) },
  UnixNano: { min: 0, max: 0, call: (t: ExprTime) => t.unixNanos },
  Format: {
    min: 1,
    max: 1,
    call: (t: ExprTime, [layout], site) => formatTime(t, argString("Format", layout, site)),
  },
  String: { min: 0, max: 0, call: (t: ExprTime) => goString(t) },
  UTC: { min: 0, max: 0, call: (t: ExprTime) => new ExprTime(t.ms, t.nanos, 0, "UTC") },
  Local: { min: 0, max: 0, call: (t: ExprTime) => new ExprTime(t.ms, t.nanos, 0, "UTC") },
  In: {
    min: 1,
    max: 1,
    call: (t: ExprTime, [zone], site) => {
      const moved = inZone(t, argString("In", zone, site));
      if (!moved) fail(`unknown time zone ${zone}`, site.offset);
      return moved;
    },
  },
  Add: {
    min: 1,
    max: 1,
    call: (t: ExprTime, [d], site) => addNanos(t, argDuration("Add", d, site).nanos),
  },
  Sub: {
    min: 1,
    max: 1,
    call: (t: ExprTime, [u], site) => new ExprDuration(subtractTimes(t, argTime("Sub", u, site))),
  },
  AddDate: {
    min: 3,
    max: 3,
    call: (t: ExprTime, [y, m, d], site) => {
      const l = local(t);
      const moved = Date.UTC(
        l.getUTCFullYear() + argInt("AddDate", y, site),
        l.getUTCMonth() + argInt("AddDate", m, site),
        l.getUTCDate() + argInt("AddDate", d, site),
        l.getUTCHours(),
        l.getUTCMinutes(),
        l.getUTCSeconds(),
        l.getUTCMilliseconds(),
      );
      return new ExprTime(moved - t.offsetMinutes * 60_000, t.nanos, t.offsetMinutes, t.zone);
    },
  },
  Before: {
    min: 1,
    max: 1,
    call: (t: ExprTime, [u], site) => subtractTimes(t, argTime("Before", u, site)) < 0,
  },
  After: {
    min: 1,
    max: 1,
    call: (t: ExprTime, [u], site) => subtractTimes(t, argTime("After", u, site)) > 0,
  },
  Equal: {
    min: 1,
    max: 1,
    call: (t: ExprTime, [u], site) => subtractTimes(t, argTime("Equal", u, site)) === 0,
  },
  Compare: {
    min: 1,
    max: 1,
    call: (t: ExprTime, [u], site) => Math.sign(subtractTimes(t, argTime("Compare", u, site))),
  },
  IsZero: {
    min: 0,
    max: 0,
    call: (t: ExprTime) => t.ms === -62135596800000 && t.nanos === 0,
  },
  Truncate: {
    min: 1,
    max: 1,
    call: (t: ExprTime, [d], site) => {
      const step = argDuration("Truncate", d, site).nanos;
      if (step <= 0) return t;
      const n = t.unixNanos;
      return addNanos(t, -(((n % step) + step) % step));
    },
  },
};

/** The methods a duration value has (Go's time.Duration). */
export const DURATION_METHODS: Record<string, { min: number; max: number; call: Method }> = {
  Hours: { min: 0, max: 0, call: (d: ExprDuration) => d.nanos / 3.6e12 },
  Minutes: { min: 0, max: 0, call: (d: ExprDuration) => d.nanos / 6e10 },
  Seconds: { min: 0, max: 0, call: (d: ExprDuration) => d.nanos / 1e9 },
  Milliseconds: { min: 0, max: 0, call: (d: ExprDuration) => Math.trunc(d.nanos / 1e6) },
  Microseconds: { min: 0, max: 0, call: (d: ExprDuration) => Math.trunc(d.nanos / 1e3) },
  Nanoseconds: { min: 0, max: 0, call: (d: ExprDuration) => d.nanos },
  String: { min: 0, max: 0, call: (d: ExprDuration) => goString(d) },
  Abs: { min: 0, max: 0, call: (d: ExprDuration) => new ExprDuration(Math.abs(d.nanos)) },
  Round: {
    min: 1,
    max: 1,
    call: (d: ExprDuration, [m], site) => {
      const step = argDuration("Round", m, site).nanos;
      return step <= 0 ? d : new ExprDuration(roundHalfAwayFromZero(d.nanos / step) * step);
    },
  },
  Truncate: {
    min: 1,
    max: 1,
    call: (d: ExprDuration, [m], site) => {
      const step = argDuration("Truncate", m, site).nanos;
      return step <= 0 ? d : new ExprDuration(Math.trunc(d.nanos / step) * step);
    },
  },
};
