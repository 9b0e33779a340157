/**
 * The values expressions work with, and how Go (and so Argo) prints, compares and marshals them.
 *
 * Values are plain JavaScript data: `null` (expr's `nil`), booleans, numbers (expr's int and
 * float are both `number`; an integral number counts as an int), strings, arrays and plain
 * objects (maps), plus three classes of our own: {@link ExprFunction}, {@link ExprTime} and
 * {@link ExprDuration}. No other kind of value is ever produced, so an expression never holds a
 * JavaScript function, a prototype or a host object.
 *
 * @module
 */
import { fail, LIMITS } from "./result.ts";

/** What a function implementation may ask of the evaluation that calls it. */
export interface CallSite {
  /** Offset of the call in the expression, for errors. */
  readonly offset: number;
  /** Charges evaluation steps against the budget (for functions whose work grows with input). */
  charge(steps: number): void;
  /** The evaluation's clock (fixed for a pure caller such as the operator). */
  now(): ExprTime;
}

/** A callable value: an expr built-in, an Argo helper or a sprig function. */
export class ExprFunction {
  constructor(
    readonly name: string,
    readonly minArgs: number,
    readonly maxArgs: number,
    readonly impl: (args: unknown[], site: CallSite) => unknown,
  ) {}
}

/** A point in time (Go's `time.Time`), kept to the millisecond plus extra nanoseconds. */
export class ExprTime {
  constructor(
    /** Milliseconds since the Unix epoch. */
    readonly ms: number,
    /** Nanoseconds past `ms` (0 to 999,999). */
    readonly nanos = 0,
    /** Offset from UTC in minutes, used when the time is printed. */
    readonly offsetMinutes = 0,
    /** The zone's name as Go prints it (`UTC`, `CET`, or `""` for a bare offset). */
    readonly zone = "UTC",
  ) {}

  /** Nanoseconds since the epoch, as a float (exact to about 104 days either side of it). */
  get unixNanos(): number {
    return this.ms * 1e6 + this.nanos;
  }
}

/** A length of time (Go's `time.Duration`), in nanoseconds. */
export class ExprDuration {
  constructor(readonly nanos: number) {}
}

/** A map value: a plain object with no prototype, or one parsed from JSON/YAML. */
export type ExprMap = Record<string, unknown>;

/** Makes an empty map that cannot reach `Object.prototype`. */
export function newMap(): ExprMap {
  return Object.create(null) as ExprMap;
}

/** Whether a value is a map (a plain data object). */
export function isMap(value: unknown): value is ExprMap {
  if (value === null || typeof value !== "object" || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === null || proto === Object.prototype;
}

/** Reads a map's own entry; never the prototype chain. */
export function mapGet(map: ExprMap, key: string): unknown {
  return Object.hasOwn(map, key) ? map[key] : undefined;
}

/** Writes a map entry as data, even for keys such as `__proto__`. */
export function mapSet(map: ExprMap, key: string, value: unknown): void {
  Object.defineProperty(map, key, { value, enumerable: true, writable: true, configurable: true });
}

/** The kind names expr's `type()` returns. */
export type Kind =
  | "nil"
  | "bool"
  | "int"
  | "float"
  | "string"
  | "array"
  | "map"
  | "func"
  | "time.Time"
  | "time.Duration"
  | "unknown";

/** Classifies a value as expr does. */
export function kindOf(value: unknown): Kind {
  if (value === null || value === undefined) return "nil";
  switch (typeof value) {
    case "boolean":
      return "bool";
    case "number":
      return Number.isInteger(value) ? "int" : "float";
    case "string":
      return "string";
    case "object":
      if (Array.isArray(value)) return "array";
      if (value instanceof ExprFunction) return "func";
      if (value instanceof ExprTime) return "time.Time";
      if (value instanceof ExprDuration) return "time.Duration";
      return isMap(value) ? "map" : "unknown";
    default:
      return "unknown";
  }
}

/** The Go type name used in error messages (`int`, `string`, `[]interface {}`, ...). */
export function goTypeName(value: unknown): string {
  switch (kindOf(value)) {
    case "nil":
      return "<nil>";
    case "float":
      return "float64";
    case "array":
      return "[]interface {}";
    case "map":
      return "map[string]interface {}";
    case "func":
      return "func";
    default:
      return kindOf(value);
  }
}

// ---------------------------------------------------------------------------------------------
// Printing as Go's fmt %v does.

/** Formats a float64 as Go's `%v` does (`strconv.FormatFloat(f, 'g', -1, 64)`). */
export function goFloatString(value: number): string {
  if (Number.isNaN(value)) return "NaN";
  if (value === Infinity) return "+Inf";
  if (value === -Infinity) return "-Inf";
  if (value === 0) return Object.is(value, -0) ? "-0" : "0";
  const [mantissa, expText] = value.toExponential().split("e");
  const exp = Number(expText);
  if (exp < -4 || exp >= 6) {
    const sign = exp < 0 ? "-" : "+";
    const digits = String(Math.abs(exp)).padStart(2, "0");
    return `${mantissa}e${sign}${digits}`;
  }
  // Fixed notation with the shortest digits; JavaScript's own form is the same in this range.
  return String(value);
}

/** Formats a number as expr prints it: integral numbers as ints, others as Go floats. */
export function exprNumberString(value: number): string {
  if (Number.isInteger(value) && Math.abs(value) < 1e21) return String(value);
  return goFloatString(value);
}

/** Formats a value as Go's `fmt.Sprintf("%v", v)` does. */
export function goString(value: unknown, depth = 0): string {
  if (depth > LIMITS.maxDepth) fail("value is nested too deeply to print", -1);
  if (value === null || value === undefined) return "<nil>";
  switch (typeof value) {
    case "string":
      return value;
    case "boolean":
      return value ? "true" : "false";
    case "number":
      return exprNumberString(value);
  }
  if (Array.isArray(value)) {
    return "[" + value.map((item) => goString(item, depth + 1)).join(" ") + "]";
  }
  if (value instanceof ExprTime) return goTimeString(value);
  if (value instanceof ExprDuration) return goDurationString(value.nanos);
  if (value instanceof ExprFunction) return `func ${value.name}`;
  if (isMap(value)) {
    const keys = Object.keys(value).sort();
    return "map[" + keys.map((k) => `${k}:${goString(value[k], depth + 1)}`).join(" ") + "]";
  }
  return "<unknown>";
}

/** Formats a duration as Go's `time.Duration.String()` does (`1h2m3.5s`, `150ms`, `0s`). */
export function goDurationString(nanos: number): string {
  if (nanos === 0) return "0s";
  const negative = nanos < 0;
  let n = Math.abs(Math.round(nanos));
  const sign = negative ? "-" : "";
  if (n < 1e3) return `${sign}${n}ns`;
  if (n < 1e6) return `${sign}${trimFraction(n / 1e3)}µs`;
  if (n < 1e9) return `${sign}${trimFraction(n / 1e6)}ms`;
  let out = "";
  const hours = Math.floor(n / 3.6e12);
  n -= hours * 3.6e12;
  const minutes = Math.floor(n / 6e10);
  n -= minutes * 6e10;
  const seconds = n / 1e9;
  if (hours > 0) out += `${hours}h`;
  if (hours > 0 || minutes > 0) out += `${minutes}m`;
  out += `${trimFraction(seconds)}s`;
  return sign + out;
}

function trimFraction(value: number): string {
  // Up to nine fractional digits, trailing zeros dropped, as Go prints durations.
  const text = value.toFixed(9).replace(/\.?0+$/, "");
  return text === "" ? "0" : text;
}

/** Formats a time as Go's `time.Time.String()` does: `2006-01-02 15:04:05.999999999 -0700 MST`. */
export function goTimeString(time: ExprTime): string {
  const local = new Date(time.ms + time.offsetMinutes * 60_000);
  const date = `${pad(local.getUTCFullYear(), 4)}-${pad(local.getUTCMonth() + 1, 2)}-${
    pad(local.getUTCDate(), 2)
  }`;
  const clock = `${pad(local.getUTCHours(), 2)}:${pad(local.getUTCMinutes(), 2)}:${
    pad(local.getUTCSeconds(), 2)
  }`;
  const fraction = fractionDigits(time);
  const offset = offsetString(time.offsetMinutes, false);
  const zone = time.zone === "" ? offset : time.zone;
  return `${date} ${clock}${fraction ? "." + fraction : ""} ${offset} ${zone}`;
}

/** The time in RFC 3339 with nanoseconds, trailing zeros trimmed (Go's JSON form of a time). */
export function rfc3339Nano(time: ExprTime): string {
  const local = new Date(time.ms + time.offsetMinutes * 60_000);
  const base = local.toISOString().slice(0, 19);
  const fraction = fractionDigits(time);
  const zone = time.offsetMinutes === 0 ? "Z" : offsetString(time.offsetMinutes, true);
  return `${base}${fraction ? "." + fraction : ""}${zone}`;
}

function fractionDigits(time: ExprTime): string {
  const subSecondNanos = (((time.ms % 1000) + 1000) % 1000) * 1e6 + time.nanos;
  if (subSecondNanos === 0) return "";
  return String(subSecondNanos).padStart(9, "0").replace(/0+$/, "");
}

/** `+0100` or, with a colon, `+01:00`. */
export function offsetString(offsetMinutes: number, colon: boolean): string {
  const sign = offsetMinutes < 0 ? "-" : "+";
  const abs = Math.abs(offsetMinutes);
  return `${sign}${pad(Math.floor(abs / 60), 2)}${colon ? ":" : ""}${pad(abs % 60, 2)}`;
}

export function pad(value: number, width: number): string {
  return String(value).padStart(width, "0");
}

// ---------------------------------------------------------------------------------------------
// JSON as Go's encoding/json writes it: map keys sorted, `<`, `>`, `&`, U+2028 and U+2029
// escaped, NaN and infinities refused.

/** Marshals a value as Go's `json.Marshal` (or `json.MarshalIndent` with `indent`) does. */
export function goJson(value: unknown, indent = ""): string {
  const parts: string[] = [];
  writeJson(value, indent, "", parts, 0);
  return parts.join("");
}

function writeJson(
  value: unknown,
  indent: string,
  prefix: string,
  out: string[],
  depth: number,
): void {
  if (depth > LIMITS.maxDepth) fail("json: value is nested too deeply", -1);
  if (value === null || value === undefined) {
    out.push("null");
    return;
  }
  switch (typeof value) {
    case "boolean":
      out.push(value ? "true" : "false");
      return;
    case "number":
      out.push(goJsonNumber(value));
      return;
    case "string":
      out.push(goJsonString(value));
      return;
  }
  if (value instanceof ExprTime) {
    out.push(goJsonString(rfc3339Nano(value)));
    return;
  }
  if (value instanceof ExprDuration) {
    out.push(String(Math.trunc(value.nanos)));
    return;
  }
  if (value instanceof ExprFunction) fail("json: unsupported type: func", -1);
  const inner = prefix + indent;
  if (Array.isArray(value)) {
    if (value.length === 0) {
      out.push("[]");
      return;
    }
    out.push("[");
    value.forEach((item, i) => {
      if (i > 0) out.push(",");
      if (indent) out.push("\n", inner);
      writeJson(item, indent, inner, out, depth + 1);
    });
    if (indent) out.push("\n", prefix);
    out.push("]");
    return;
  }
  if (isMap(value)) {
    const keys = Object.keys(value).sort();
    if (keys.length === 0) {
      out.push("{}");
      return;
    }
    out.push("{");
    keys.forEach((key, i) => {
      if (i > 0) out.push(",");
      if (indent) out.push("\n", inner);
      out.push(goJsonString(key), indent ? ": " : ":");
      writeJson(value[key], indent, inner, out, depth + 1);
    });
    if (indent) out.push("\n", prefix);
    out.push("}");
    return;
  }
  fail("json: unsupported value", -1);
}

/** A number as Go's encoding/json writes a float64. */
export function goJsonNumber(value: number): string {
  if (!Number.isFinite(value)) fail(`json: unsupported value: ${goFloatString(value)}`, -1);
  // JavaScript switches to exponent form at the same thresholds (1e-6, 1e21) and writes the
  // exponent without padding, exactly as Go cleans it up.
  return Object.is(value, -0) ? "-0" : String(value);
}

// deno-lint-ignore no-control-regex
const JSON_ESCAPES = /[\u0000-\u001f"\\<>&\u2028\u2029]/;

/** A string as Go's encoding/json writes it (HTML-safe escaping). */
export function goJsonString(text: string): string {
  if (!JSON_ESCAPES.test(text)) return `"${text}"`;
  let out = '"';
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    switch (c) {
      case 0x22:
        out += '\\"';
        break;
      case 0x5c:
        out += "\\\\";
        break;
      case 0x0a:
        out += "\\n";
        break;
      case 0x0d:
        out += "\\r";
        break;
      case 0x09:
        out += "\\t";
        break;
      case 0x3c:
      case 0x3e:
      case 0x26:
      case 0x2028:
      case 0x2029:
        out += "\\u" + c.toString(16).padStart(4, "0");
        break;
      default:
        out += c < 0x20 ? "\\u" + c.toString(16).padStart(4, "0") : text[i];
    }
  }
  return out + '"';
}

/** Parses JSON into expression values: maps are plain objects, numbers are numbers. */
export function parseJsonValue(
  text: string,
): { ok: true; value: unknown } | { ok: false; message: string } {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return { ok: false, message };
  }
}

// ---------------------------------------------------------------------------------------------
// Equality as expr (runtime.Equal) sees it: numbers by value, times by instant, collections deep.

/** Whether two values are equal as expr's `==` sees them. */
export function valuesEqual(a: unknown, b: unknown, depth = 0): boolean {
  if (a === undefined) a = null;
  if (b === undefined) b = null;
  if (a === b) return true;
  if (a === null || b === null) return false;
  if (typeof a !== "object" || typeof b !== "object") return false;
  if (depth > LIMITS.maxDepth) fail("value is nested too deeply to compare", -1);
  if (a instanceof ExprTime && b instanceof ExprTime) {
    return a.ms === b.ms && a.nanos === b.nanos;
  }
  if (a instanceof ExprDuration && b instanceof ExprDuration) return a.nanos === b.nanos;
  if (Array.isArray(a) && Array.isArray(b)) {
    if (a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!valuesEqual(a[i], b[i], depth + 1)) return false;
    return true;
  }
  if (isMap(a) && isMap(b)) {
    const keys = Object.keys(a);
    if (keys.length !== Object.keys(b).length) return false;
    for (const key of keys) {
      if (!Object.hasOwn(b, key) || !valuesEqual(a[key], b[key], depth + 1)) return false;
    }
    return true;
  }
  return false;
}

/** Whether a value is "empty" as sprig's `empty`/`default` see it (Go's zero values). */
export function isEmptyValue(value: unknown): boolean {
  if (value === null || value === undefined) return true;
  switch (typeof value) {
    case "boolean":
      return !value;
    case "number":
      return value === 0;
    case "string":
      return value.length === 0;
  }
  if (Array.isArray(value)) return value.length === 0;
  if (value instanceof ExprTime) return value.ms === -62135596800000 && value.nanos === 0;
  if (value instanceof ExprDuration) return value.nanos === 0;
  if (isMap(value)) return Object.keys(value).length === 0;
  return false;
}
