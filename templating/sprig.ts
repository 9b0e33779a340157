/**
 * The sprig functions Argo exposes as `sprig.<name>` in `{{= }}` expressions.
 *
 * No npm library implements sprig, so these follow Masterminds/sprig v3's Go code: argument
 * order (`sprig.trimPrefix(prefix, s)`), leniency (`sprig.int("x")` is 0; `sprig.b64dec` of bad
 * input returns the error text) and output. Covered: strings, lists, dicts, math (int and
 * float), encoding and hashes, dates, defaults, regular expressions, paths, reflection and
 * `fail`. Not provided: `env` and `expandenv` (Argo removes them), and everything random or
 * networked (`rand*`, `uuidv4`, `shuffle`, `getHostByName`), crypto key generation and semver.
 *
 * @module
 */
import {
  type CallSite,
  ExprDuration,
  ExprFunction,
  type ExprMap,
  ExprTime,
  goDurationString,
  goJson,
  goString,
  goTypeName,
  isEmptyValue,
  isMap,
  kindOf,
  mapGet,
  mapSet,
  newMap,
  parseJsonValue,
  valuesEqual,
} from "./values.ts";
import { fail, LIMITS } from "./result.ts";
import {
  addNanos,
  argInt,
  argMap,
  argString,
  badArgument,
  base64Decode,
  base64Encode,
  checkCollectionSize,
  checkStringSize,
  goSplit,
  subtractTimes,
  trimSet,
} from "./functions.ts";
import { compileRegex, type Regex } from "./regex.ts";
import { formatTime, inZone, parseDuration, parseTime } from "./dates.ts";

/** The `sprig` namespace: a map from function name to function. */
export const SPRIG: ExprMap = newMap();

function def(
  name: string,
  minArgs: number,
  maxArgs: number,
  impl: (args: unknown[], site: CallSite) => unknown,
): void {
  mapSet(SPRIG, name, new ExprFunction(`sprig.${name}`, minArgs, maxArgs, impl));
}

function alias(name: string, target: string): void {
  const fn = mapGet(SPRIG, target) as ExprFunction;
  mapSet(SPRIG, name, new ExprFunction(`sprig.${name}`, fn.minArgs, fn.maxArgs, fn.impl));
}

const s = (name: string, v: unknown, site: CallSite) => argString(`sprig.${name}`, v, site);
const n = (name: string, v: unknown, site: CallSite) => argInt(`sprig.${name}`, v, site);

// ---------------------------------------------------------------------------------------------
// Conversions as sprig does them (its strval and spf13/cast).

/** sprig's strval: strings as they are, anything else as Go's %v prints it. */
export function strval(value: unknown): string {
  return typeof value === "string" ? value : goString(value);
}

/** cast.ToInt64: numbers truncated, strings parsed with base prefixes, failures 0. */
export function toInt64(value: unknown): number {
  if (typeof value === "number") return Number.isFinite(value) ? Math.trunc(value) : 0;
  if (typeof value === "boolean") return value ? 1 : 0;
  if (typeof value === "string") {
    const text = value.replace(/^([+-]?[0-9]+)\.0*$/, "$1");
    const m = /^([+-]?)(0[xX][0-9a-fA-F_]+|0[oO]?[0-7_]+|0[bB][01_]+|[1-9][0-9]*|0)$/.exec(text);
    if (!m) return 0;
    const sign = m[1] === "-" ? -1 : 1;
    const body = m[2].replaceAll("_", "").toLowerCase();
    let parsed: number;
    if (body.startsWith("0x")) parsed = parseInt(body.slice(2), 16);
    else if (body.startsWith("0b")) parsed = parseInt(body.slice(2), 2);
    else if (body.startsWith("0o")) parsed = parseInt(body.slice(2), 8);
    else if (body.length > 1 && body.startsWith("0")) parsed = parseInt(body.slice(1), 8);
    else parsed = parseInt(body, 10);
    return Number.isNaN(parsed) ? 0 : sign * parsed;
  }
  return 0;
}

/** cast.ToFloat64: numbers, numeric strings, booleans; failures 0. */
export function toFloat64(value: unknown): number {
  if (typeof value === "number") return value;
  if (typeof value === "boolean") return value ? 1 : 0;
  if (typeof value === "string") {
    const t = value.trim();
    if (t === "" || !/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(t)) return 0;
    return Number(t);
  }
  return 0;
}

function toList(name: string, value: unknown, site: CallSite): unknown[] {
  if (Array.isArray(value)) return value;
  fail(`Cannot find ${name} on type ${kindName(value)}`, site.offset);
}

/** sprig's strslice: list elements as strings, nils dropped; a single value becomes a list. */
function strslice(value: unknown): string[] {
  if (Array.isArray(value)) return value.filter((v) => v !== null && v !== undefined).map(strval);
  if (value === null || value === undefined) return [];
  return [strval(value)];
}

/** reflect's kind names, as sprig's kindOf prints them. */
function kindName(value: unknown): string {
  switch (kindOf(value)) {
    case "nil":
      return "invalid";
    case "bool":
      return "bool";
    case "int":
      return "int";
    case "float":
      return "float64";
    case "string":
      return "string";
    case "array":
      return "slice";
    case "map":
      return "map";
    case "func":
      return "func";
    case "time.Time":
      return "struct";
    case "time.Duration":
      return "int64";
    default:
      return "interface";
  }
}

/** Go's strconv.Quote (what `%q` prints). */
export function goQuote(text: string): string {
  let out = '"';
  for (const ch of text) {
    const c = ch.codePointAt(0)!;
    if (ch === '"') out += '\\"';
    else if (ch === "\\") out += "\\\\";
    else if (c === 7) out += "\\a";
    else if (c === 8) out += "\\b";
    else if (c === 12) out += "\\f";
    else if (c === 10) out += "\\n";
    else if (c === 13) out += "\\r";
    else if (c === 9) out += "\\t";
    else if (c === 11) out += "\\v";
    else if (c < 0x20 || c === 0x7f) out += "\\x" + c.toString(16).padStart(2, "0");
    else if (c === 0x2028 || c === 0x2029 || (c >= 0x80 && c < 0xa0)) {
      out += "\\u" + c.toString(16).padStart(4, "0");
    } else out += ch;
  }
  return out + '"';
}

// ---------------------------------------------------------------------------------------------
// Strings.

def("upper", 1, 1, ([v], site) => s("upper", v, site).toUpperCase());
def("lower", 1, 1, ([v], site) => s("lower", v, site).toLowerCase());
def(
  "title",
  1,
  1,
  ([v], site) =>
    s("title", v, site).replace(
      /(^|[^\p{L}\p{N}'])(\p{L})/gu,
      (_m, a: string, b: string) => a + b.toUpperCase(),
    ),
);
def(
  "untitle",
  1,
  1,
  ([v], site) =>
    s("untitle", v, site).replace(
      /(^|\s)(\S)/gu,
      (_m, a: string, b: string) => a + b.toLowerCase(),
    ),
);
def("trim", 1, 1, ([v], site) => s("trim", v, site).replace(/^\s+|\s+$/gu, ""));
def(
  "trimAll",
  2,
  2,
  ([cutset, v], site) => trimSet(s("trimAll", v, site), s("trimAll", cutset, site), true, true),
);
def("trimPrefix", 2, 2, ([prefix, v], site) => {
  const text = s("trimPrefix", v, site);
  const p = s("trimPrefix", prefix, site);
  return text.startsWith(p) ? text.slice(p.length) : text;
});
def("trimSuffix", 2, 2, ([suffix, v], site) => {
  const text = s("trimSuffix", v, site);
  const p = s("trimSuffix", suffix, site);
  return p !== "" && text.endsWith(p) ? text.slice(0, text.length - p.length) : text;
});
def("repeat", 2, 2, ([count, v], site) => {
  const text = s("repeat", v, site);
  const times = n("repeat", count, site);
  if (times < 0) fail("strings: negative Repeat count", site.offset);
  checkStringSize(text.length * times, site);
  return text.repeat(times);
});
def("substr", 3, 3, ([start, end, v], site) => {
  const text = s("substr", v, site);
  const a = n("substr", start, site);
  const b = n("substr", end, site);
  if (a < 0) return text.slice(0, Math.max(0, b));
  if (b < 0 || b > text.length) return text.slice(a);
  if (a > b) fail(`slice bounds out of range [${a}:${b}]`, site.offset);
  return text.slice(a, b);
});
def("nospace", 1, 1, ([v], site) => s("nospace", v, site).replace(/\s+/gu, ""));
def("trunc", 2, 2, ([count, v], site) => {
  const text = s("trunc", v, site);
  const c = n("trunc", count, site);
  if (c < 0 && text.length + c > 0) return text.slice(text.length + c);
  if (c >= 0 && text.length > c) return text.slice(0, c);
  return text;
});
def("abbrev", 2, 2, ([width, v], site) => {
  const text = s("abbrev", v, site);
  const w = n("abbrev", width, site);
  if (w < 4) return "";
  return text.length <= w ? text : text.slice(0, w - 3) + "...";
});
def("abbrevboth", 3, 3, ([left, right, v], site) => {
  const text = s("abbrevboth", v, site);
  const l = n("abbrevboth", left, site);
  const w = n("abbrevboth", right, site);
  if (w < 4 || text.length <= w) return w < 4 ? "" : text;
  const offset = Math.max(0, Math.min(l, text.length));
  if (offset <= 4) return text.slice(0, w - 3) + "...";
  const rest = "..." + text.slice(offset);
  return rest.length <= w ? rest : rest.slice(0, w - 3) + "...";
});
def(
  "initials",
  1,
  1,
  ([v], site) =>
    s("initials", v, site).split(/\s+/u).filter((w) => w !== "").map((w) => Array.from(w)[0]).join(
      "",
    ),
);
def("wrap", 2, 2, ([width, v], site) => wordWrap(s("wrap", v, site), n("wrap", width, site), "\n"));
def(
  "wrapWith",
  3,
  3,
  ([width, sep, v], site) =>
    wordWrap(s("wrapWith", v, site), n("wrapWith", width, site), s("wrapWith", sep, site)),
);
def(
  "contains",
  2,
  2,
  ([sub, v], site) => s("contains", v, site).includes(s("contains", sub, site)),
);
def(
  "hasPrefix",
  2,
  2,
  ([p, v], site) => s("hasPrefix", v, site).startsWith(s("hasPrefix", p, site)),
);
def("hasSuffix", 2, 2, ([p, v], site) => s("hasSuffix", v, site).endsWith(s("hasSuffix", p, site)));
def(
  "quote",
  0,
  Infinity,
  (args) =>
    args.filter((a) => a !== null && a !== undefined).map((a) => goQuote(strval(a))).join(" "),
);
def(
  "squote",
  0,
  Infinity,
  (args) =>
    args.filter((a) => a !== null && a !== undefined).map((a) => `'${strval(a)}'`).join(" "),
);
def("cat", 0, Infinity, (args, site) => {
  const text = args.filter((a) => a !== null && a !== undefined).map(strval).join(" ");
  checkStringSize(text.length, site);
  return text;
});
def(
  "indent",
  2,
  2,
  ([spaces, v], site) => indent(n("indent", spaces, site), s("indent", v, site), site),
);
def(
  "nindent",
  2,
  2,
  ([spaces, v], site) => "\n" + indent(n("nindent", spaces, site), s("nindent", v, site), site),
);
def("replace", 3, 3, ([old, replacement, v], site) => {
  const text = s("replace", v, site);
  const from = s("replace", old, site);
  const to = s("replace", replacement, site);
  const count = from === "" ? text.length + 1 : text.split(from).length - 1;
  checkStringSize(text.length + count * (to.length - from.length), site);
  return text.replaceAll(from, to);
});
def(
  "plural",
  3,
  3,
  ([one, many, count], site) =>
    n("plural", count, site) === 1 ? s("plural", one, site) : s("plural", many, site),
);
def("snakecase", 1, 1, ([v], site) => words(s("snakecase", v, site)).join("_"));
def("kebabcase", 1, 1, ([v], site) => words(s("kebabcase", v, site)).join("-"));
def(
  "camelcase",
  1,
  1,
  ([v], site) =>
    s("camelcase", v, site).split(/[_\s-]+/u).filter((w) => w !== "").map((w) =>
      w[0].toUpperCase() + w.slice(1)
    ).join(""),
);
def("swapcase", 1, 1, ([v], site) =>
  Array.from(s("swapcase", v, site)).map((c) => {
    const upper = c.toUpperCase();
    return c === upper ? c.toLowerCase() : upper;
  }).join(""));
def("toString", 1, 1, ([v]) => strval(v));
def("toStrings", 1, 1, ([v]) => strslice(v));
def("join", 2, 2, ([sep, v], site) => {
  const text = strslice(v).join(s("join", sep, site));
  checkStringSize(text.length, site);
  return text;
});
def("splitList", 2, 2, ([sep, v], site) => {
  const parts = goSplit(s("splitList", v, site), s("splitList", sep, site), undefined, false, site);
  checkCollectionSize(parts.length, site);
  return parts;
});
def("split", 2, 2, ([sep, v], site) => {
  const parts = goSplit(s("split", v, site), s("split", sep, site), undefined, false, site);
  checkCollectionSize(parts.length, site);
  const out = newMap();
  parts.forEach((part, i) => mapSet(out, `_${i}`, part));
  return out;
});
def("splitn", 3, 3, ([sep, count, v], site) => {
  const parts = goSplit(
    s("splitn", v, site),
    s("splitn", sep, site),
    n("splitn", count, site),
    false,
    site,
  );
  const out = newMap();
  parts.forEach((part, i) => mapSet(out, `_${i}`, part));
  return out;
});
def("sortAlpha", 1, 1, ([v]) => strslice(v).sort());

function indent(spaces: number, text: string, site: CallSite): string {
  const pad = " ".repeat(Math.max(0, spaces));
  const lines = text.split("\n").length;
  checkStringSize(text.length + lines * pad.length, site);
  return pad + text.replaceAll("\n", "\n" + pad);
}

function words(text: string): string[] {
  return text
    .replace(/([a-z0-9])([A-Z])/g, "$1 $2")
    .replace(/([A-Z]+)([A-Z][a-z])/g, "$1 $2")
    .split(/[\s_\-.]+/u)
    .filter((w) => w !== "")
    .map((w) => w.toLowerCase());
}

function wordWrap(text: string, width: number, newline: string): string {
  const limit = Math.max(1, width);
  return text.split("\n").map((line) => {
    const out: string[] = [];
    let current = "";
    for (const word of line.split(" ")) {
      if (current === "") current = word;
      else if (current.length + 1 + word.length <= limit) current += " " + word;
      else {
        out.push(current);
        current = word;
      }
    }
    out.push(current);
    return out.join(newline);
  }).join("\n");
}

// ---------------------------------------------------------------------------------------------
// Regular expressions. The non-must forms swallow errors as sprig does.

function regex(name: string, pattern: unknown, site: CallSite): Regex {
  const compiled = compileRegex(s(name, pattern, site));
  if (!compiled.ok) fail(compiled.message, site.offset);
  return compiled.regex;
}

/** The non-must forms treat a bad pattern as no match, as sprig does. */
function tryRegex(name: string, pattern: unknown, site: CallSite): Regex | undefined {
  const compiled = compileRegex(s(name, pattern, site));
  return compiled.ok ? compiled.regex : undefined;
}

def(
  "mustRegexMatch",
  2,
  2,
  ([pattern, v], site) => regex("mustRegexMatch", pattern, site).test(s("mustRegexMatch", v, site)),
);
def(
  "regexMatch",
  2,
  2,
  ([pattern, v], site) =>
    tryRegex("regexMatch", pattern, site)?.test(s("regexMatch", v, site)) ?? false,
);
def("mustRegexFindAll", 3, 3, ([pattern, v, count], site) =>
  findAll(
    regex("mustRegexFindAll", pattern, site),
    s("mustRegexFindAll", v, site),
    n("mustRegexFindAll", count, site),
  ));
def("regexFindAll", 3, 3, ([pattern, v, count], site) => {
  const re = tryRegex("regexFindAll", pattern, site);
  return re ? findAll(re, s("regexFindAll", v, site), n("regexFindAll", count, site)) : [];
});
def(
  "mustRegexFind",
  2,
  2,
  ([pattern, v], site) => find(regex("mustRegexFind", pattern, site), s("mustRegexFind", v, site)),
);
def("regexFind", 2, 2, ([pattern, v], site) => {
  const re = tryRegex("regexFind", pattern, site);
  return re ? find(re, s("regexFind", v, site)) : "";
});
def("mustRegexReplaceAll", 3, 3, ([pattern, v, repl], site) =>
  replaceAll(
    regex("mustRegexReplaceAll", pattern, site),
    s("mustRegexReplaceAll", v, site),
    s("mustRegexReplaceAll", repl, site),
    true,
    site,
  ));
def("regexReplaceAll", 3, 3, ([pattern, v, repl], site) => {
  const re = tryRegex("regexReplaceAll", pattern, site);
  const text = s("regexReplaceAll", v, site);
  return re ? replaceAll(re, text, s("regexReplaceAll", repl, site), true, site) : text;
});
def("mustRegexReplaceAllLiteral", 3, 3, ([pattern, v, repl], site) =>
  replaceAll(
    regex("mustRegexReplaceAllLiteral", pattern, site),
    s("mustRegexReplaceAllLiteral", v, site),
    s("mustRegexReplaceAllLiteral", repl, site),
    false,
    site,
  ));
def("regexReplaceAllLiteral", 3, 3, ([pattern, v, repl], site) => {
  const re = tryRegex("regexReplaceAllLiteral", pattern, site);
  const text = s("regexReplaceAllLiteral", v, site);
  return re ? replaceAll(re, text, s("regexReplaceAllLiteral", repl, site), false, site) : text;
});
def("mustRegexSplit", 3, 3, ([pattern, v, count], site) =>
  regexSplit(
    regex("mustRegexSplit", pattern, site),
    s("mustRegexSplit", v, site),
    n("mustRegexSplit", count, site),
  ));
def("regexSplit", 3, 3, ([pattern, v, count], site) => {
  const re = tryRegex("regexSplit", pattern, site);
  const text = s("regexSplit", v, site);
  return re ? regexSplit(re, text, n("regexSplit", count, site)) : [text];
});
def(
  "regexQuoteMeta",
  1,
  1,
  ([v], site) => s("regexQuoteMeta", v, site).replace(/[\\.+*?()|[\]{}^$]/g, "\\$&"),
);

function find(re: Regex, text: string): string {
  const m = re.exec(text);
  return m ? text.slice(m[0], m[1]) : "";
}

function findAll(re: Regex, text: string, count: number): string[] {
  return re.execAll(text, count).map((m) => text.slice(m[0], m[1]));
}

/** Go's ReplaceAllString: `$1`, `${1}`, `$name`, `${name}` and `$$` expand in the replacement. */
function replaceAll(
  re: Regex,
  text: string,
  template: string,
  expand: boolean,
  site: CallSite,
): string {
  const parts: string[] = [];
  let last = 0;
  let length = 0;
  for (const m of re.execAll(text)) {
    parts.push(text.slice(last, m[0]));
    const replacement = expand ? expandTemplate(re, text, m, template) : template;
    parts.push(replacement);
    length += m[0] - last + replacement.length;
    checkStringSize(length, site);
    last = m[1];
  }
  parts.push(text.slice(last));
  return parts.join("");
}

function expandTemplate(re: Regex, text: string, m: number[], template: string): string {
  return template.replace(
    /\$(\$|\{([A-Za-z0-9_]+)\}|([A-Za-z0-9_]+))/g,
    (_all, whole: string, braced?: string, bare?: string) => {
      if (whole === "$") return "$";
      const name = braced ?? bare ?? "";
      let index = /^[0-9]+$/.test(name) ? Number(name) : re.names.indexOf(name);
      if (index < 0 || index > re.groupCount) index = -1;
      if (index < 0 || m[index * 2] < 0) return "";
      return text.slice(m[index * 2], m[index * 2 + 1]);
    },
  );
}

/** Go's Regexp.Split. */
function regexSplit(re: Regex, text: string, count: number): string[] {
  if (count === 0) return [];
  if (text === "") return [""];
  const out: string[] = [];
  let begin = 0;
  let end = 0;
  for (const m of re.execAll(text, count)) {
    if (count > 0 && out.length === count - 1) break;
    end = m[0];
    if (m[1] !== 0) out.push(text.slice(begin, end));
    begin = m[1];
  }
  if (end !== text.length) out.push(text.slice(begin));
  return out;
}

// ---------------------------------------------------------------------------------------------
// Defaults and flow.

def(
  "default",
  1,
  Infinity,
  ([fallback, ...given]) => given.length === 0 || isEmptyValue(given[0]) ? fallback : given[0],
);
def("empty", 1, 1, ([v]) => isEmptyValue(v));
def("coalesce", 0, Infinity, (args) => args.find((v) => !isEmptyValue(v)) ?? null);
def("all", 0, Infinity, (args) => args.every((v) => !isEmptyValue(v)));
def("any", 0, Infinity, (args) => args.some((v) => !isEmptyValue(v)));
def("ternary", 3, 3, ([whenTrue, whenFalse, condition], site) => {
  if (typeof condition !== "boolean") badArgument("sprig.ternary", condition, "bool", site);
  return condition ? whenTrue : whenFalse;
});
def("fail", 1, 1, ([message], site) => fail(s("fail", message, site), site.offset));

// ---------------------------------------------------------------------------------------------
// Encoding and hashes.

def("b64enc", 1, 1, ([v]) => base64Encode(strval(v)));
def("b64dec", 1, 1, ([v]) => base64Decode(strval(v)) ?? "illegal base64 data at input byte 0");
def("b32enc", 1, 1, ([v]) => base32Encode(new TextEncoder().encode(strval(v))));
def("b32dec", 1, 1, ([v]) => base32Decode(strval(v)) ?? "illegal base32 data at input byte 0");
def("toJson", 1, 1, ([v]) => safeJson(v, ""));
def("mustToJson", 1, 1, ([v]) => goJson(v));
def("toPrettyJson", 1, 1, ([v]) => safeJson(v, "  "));
def("mustToPrettyJson", 1, 1, ([v]) => goJson(v, "  "));
def("toRawJson", 1, 1, ([v]) => unescapeHtml(safeJson(v, "")));
def("mustToRawJson", 1, 1, ([v]) => unescapeHtml(goJson(v)));
def("fromJson", 1, 1, ([v], site) => {
  const parsed = parseJsonValue(s("fromJson", v, site));
  return parsed.ok ? parsed.value : null;
});
def("mustFromJson", 1, 1, ([v], site) => {
  const parsed = parseJsonValue(s("mustFromJson", v, site));
  if (!parsed.ok) fail(parsed.message, site.offset);
  return parsed.value;
});
def("sha1sum", 1, 1, ([v], site) => hex(sha1(new TextEncoder().encode(s("sha1sum", v, site)))));
def(
  "sha256sum",
  1,
  1,
  ([v], site) => hex(sha256(new TextEncoder().encode(s("sha256sum", v, site)))),
);
def(
  "adler32sum",
  1,
  1,
  ([v], site) => String(adler32(new TextEncoder().encode(s("adler32sum", v, site)))),
);

function safeJson(value: unknown, indentText: string): string {
  try {
    return goJson(value, indentText);
  } catch {
    return "";
  }
}

function unescapeHtml(json: string): string {
  return json.replace(
    /\\u(003c|003e|0026)/g,
    (_m, code: string) => String.fromCharCode(parseInt(code, 16)),
  );
}

function hex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

const B32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

function base32Encode(bytes: Uint8Array): string {
  let out = "";
  let buffer = 0;
  let bitsLeft = 0;
  for (const byte of bytes) {
    buffer = (buffer << 8) | byte;
    bitsLeft += 8;
    while (bitsLeft >= 5) {
      out += B32[(buffer >>> (bitsLeft - 5)) & 31];
      bitsLeft -= 5;
    }
  }
  if (bitsLeft > 0) out += B32[(buffer << (5 - bitsLeft)) & 31];
  while (out.length % 8 !== 0) out += "=";
  return out;
}

function base32Decode(text: string): string | undefined {
  if (text.length % 8 !== 0 || !/^[A-Z2-7]*=*$/.test(text)) return undefined;
  const bytes: number[] = [];
  let buffer = 0;
  let bitsLeft = 0;
  for (const ch of text.replace(/=+$/, "")) {
    buffer = (buffer << 5) | B32.indexOf(ch);
    bitsLeft += 5;
    if (bitsLeft >= 8) {
      bytes.push((buffer >>> (bitsLeft - 8)) & 255);
      bitsLeft -= 8;
    }
  }
  return new TextDecoder().decode(new Uint8Array(bytes));
}

function adler32(bytes: Uint8Array): number {
  let a = 1;
  let b = 0;
  for (const byte of bytes) {
    a = (a + byte) % 65521;
    b = (b + a) % 65521;
  }
  return ((b << 16) | a) >>> 0;
}

function padMessage(bytes: Uint8Array): DataView {
  const length = bytes.length;
  const total = Math.ceil((length + 9) / 64) * 64;
  const buffer = new Uint8Array(total);
  buffer.set(bytes);
  buffer[length] = 0x80;
  const view = new DataView(buffer.buffer);
  view.setUint32(total - 8, Math.floor((length * 8) / 2 ** 32));
  view.setUint32(total - 4, (length * 8) >>> 0);
  return view;
}

function sha1(bytes: Uint8Array): Uint8Array {
  const view = padMessage(bytes);
  const h = [0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476, 0xc3d2e1f0];
  const w = new Uint32Array(80);
  for (let offset = 0; offset < view.byteLength; offset += 64) {
    for (let i = 0; i < 16; i++) w[i] = view.getUint32(offset + i * 4);
    for (let i = 16; i < 80; i++) {
      const x = w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16];
      w[i] = (x << 1) | (x >>> 31);
    }
    let [a, b, c, d, e] = h;
    for (let i = 0; i < 80; i++) {
      const f = i < 20
        ? (b & c) | (~b & d)
        : i < 40
        ? b ^ c ^ d
        : i < 60
        ? (b & c) | (b & d) | (c & d)
        : b ^ c ^ d;
      const k = i < 20 ? 0x5a827999 : i < 40 ? 0x6ed9eba1 : i < 60 ? 0x8f1bbcdc : 0xca62c1d6;
      const t = (((a << 5) | (a >>> 27)) + f + e + k + w[i]) >>> 0;
      e = d;
      d = c;
      c = ((b << 30) | (b >>> 2)) >>> 0;
      b = a;
      a = t;
    }
    h[0] = (h[0] + a) >>> 0;
    h[1] = (h[1] + b) >>> 0;
    h[2] = (h[2] + c) >>> 0;
    h[3] = (h[3] + d) >>> 0;
    h[4] = (h[4] + e) >>> 0;
  }
  const out = new DataView(new ArrayBuffer(20));
  h.forEach((value, i) => out.setUint32(i * 4, value));
  return new Uint8Array(out.buffer);
}

const K256 = new Uint32Array([
  0x428a2f98,
  0x71374491,
  0xb5c0fbcf,
  0xe9b5dba5,
  0x3956c25b,
  0x59f111f1,
  0x923f82a4,
  0xab1c5ed5,
  0xd807aa98,
  0x12835b01,
  0x243185be,
  0x550c7dc3,
  0x72be5d74,
  0x80deb1fe,
  0x9bdc06a7,
  0xc19bf174,
  0xe49b69c1,
  0xefbe4786,
  0x0fc19dc6,
  0x240ca1cc,
  0x2de92c6f,
  0x4a7484aa,
  0x5cb0a9dc,
  0x76f988da,
  0x983e5152,
  0xa831c66d,
  0xb00327c8,
  0xbf597fc7,
  0xc6e00bf3,
  0xd5a79147,
  0x06ca6351,
  0x14292967,
  0x27b70a85,
  0x2e1b2138,
  0x4d2c6dfc,
  0x53380d13,
  0x650a7354,
  0x766a0abb,
  0x81c2c92e,
  0x92722c85,
  0xa2bfe8a1,
  0xa81a664b,
  0xc24b8b70,
  0xc76c51a3,
  0xd192e819,
  0xd6990624,
  0xf40e3585,
  0x106aa070,
  0x19a4c116,
  0x1e376c08,
  0x2748774c,
  0x34b0bcb5,
  0x391c0cb3,
  0x4ed8aa4a,
  0x5b9cca4f,
  0x682e6ff3,
  0x748f82ee,
  0x78a5636f,
  0x84c87814,
  0x8cc70208,
  0x90befffa,
  0xa4506ceb,
  0xbef9a3f7,
  0xc67178f2,
]);

function sha256(bytes: Uint8Array): Uint8Array {
  const view = padMessage(bytes);
  const h = new Uint32Array([
    0x6a09e667,
    0xbb67ae85,
    0x3c6ef372,
    0xa54ff53a,
    0x510e527f,
    0x9b05688c,
    0x1f83d9ab,
    0x5be0cd19,
  ]);
  const w = new Uint32Array(64);
  const rotr = (x: number, k: number) => (x >>> k) | (x << (32 - k));
  for (let offset = 0; offset < view.byteLength; offset += 64) {
    for (let i = 0; i < 16; i++) w[i] = view.getUint32(offset + i * 4);
    for (let i = 16; i < 64; i++) {
      const s0 = rotr(w[i - 15], 7) ^ rotr(w[i - 15], 18) ^ (w[i - 15] >>> 3);
      const s1 = rotr(w[i - 2], 17) ^ rotr(w[i - 2], 19) ^ (w[i - 2] >>> 10);
      w[i] = (w[i - 16] + s0 + w[i - 7] + s1) >>> 0;
    }
    let [a, b, c, d, e, f, g, hh] = h;
    for (let i = 0; i < 64; i++) {
      const s1 = rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25);
      const ch = (e & f) ^ (~e & g);
      const t1 = (hh + s1 + ch + K256[i] + w[i]) >>> 0;
      const s0 = rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22);
      const maj = (a & b) ^ (a & c) ^ (b & c);
      const t2 = (s0 + maj) >>> 0;
      hh = g;
      g = f;
      f = e;
      e = (d + t1) >>> 0;
      d = c;
      c = b;
      b = a;
      a = (t1 + t2) >>> 0;
    }
    h[0] += a;
    h[1] += b;
    h[2] += c;
    h[3] += d;
    h[4] += e;
    h[5] += f;
    h[6] += g;
    h[7] += hh;
  }
  const out = new DataView(new ArrayBuffer(32));
  h.forEach((value, i) => out.setUint32(i * 4, value));
  return new Uint8Array(out.buffer);
}

// ---------------------------------------------------------------------------------------------
// Math. Integer functions work on int64 values converted as cast does; the `f` forms on floats.

def("add", 0, Infinity, (args) => args.reduce<number>((sum, v) => sum + toInt64(v), 0));
def("add1", 1, 1, ([v]) => toInt64(v) + 1);
def("sub", 2, 2, ([a, b]) => toInt64(a) - toInt64(b));
def("mul", 1, Infinity, (args) => args.reduce<number>((p, v) => p * toInt64(v), 1));
def("div", 2, 2, ([a, b], site) => {
  const divisor = toInt64(b);
  if (divisor === 0) fail("runtime error: integer divide by zero", site.offset);
  return Math.trunc(toInt64(a) / divisor);
});
def("mod", 2, 2, ([a, b], site) => {
  const divisor = toInt64(b);
  if (divisor === 0) fail("runtime error: integer divide by zero", site.offset);
  return toInt64(a) % divisor;
});
def("max", 1, Infinity, (args) => Math.max(...args.map(toInt64)));
alias("biggest", "max");
def("min", 1, Infinity, (args) => Math.min(...args.map(toInt64)));
def("floor", 1, 1, ([v]) => Math.floor(toFloat64(v)));
def("ceil", 1, 1, ([v]) => Math.ceil(toFloat64(v)));
def("round", 2, 3, ([v, places, roundOn]) => {
  const on = roundOn === undefined ? 0.5 : toFloat64(roundOn);
  const pow = Math.pow(10, toFloat64(places));
  const digit = pow * toFloat64(v);
  const fraction = digit - Math.trunc(digit);
  return (fraction >= on ? Math.ceil(digit) : Math.floor(digit)) / pow;
});
def("int", 1, 1, ([v]) => toInt64(v));
alias("int64", "int");
def("float64", 1, 1, ([v]) => toFloat64(v));
def("atoi", 1, 1, ([v], site) => {
  const text = s("atoi", v, site);
  return /^[+-]?[0-9]+$/.test(text) ? Number(text) : 0;
});
def("addf", 0, Infinity, (args) => args.reduce<number>((sum, v) => sum + toFloat64(v), 0));
def("add1f", 1, 1, ([v]) => toFloat64(v) + 1);
def(
  "subf",
  1,
  Infinity,
  ([first, ...rest]) => rest.reduce<number>((d, v) => d - toFloat64(v), toFloat64(first)),
);
def("mulf", 1, Infinity, (args) => args.reduce<number>((p, v) => p * toFloat64(v), 1));
def("divf", 1, Infinity, ([first, ...rest], site) =>
  rest.reduce<number>((q, v) => {
    const d = toFloat64(v);
    if (d === 0) fail("division by zero", site.offset);
    return q / d;
  }, toFloat64(first)));
def("maxf", 1, Infinity, (args) => Math.max(...args.map(toFloat64)));
def("minf", 1, Infinity, (args) => Math.min(...args.map(toFloat64)));
def(
  "until",
  1,
  1,
  ([count], site) => untilStep(0, toInt64(count), toInt64(count) < 0 ? -1 : 1, site),
);
def(
  "untilStep",
  3,
  3,
  ([start, stop, step], site) => untilStep(toInt64(start), toInt64(stop), toInt64(step), site),
);
def("seq", 0, 3, (args, site) => {
  const nums = args.map(toInt64);
  let start = 1, step = 1, end: number;
  if (nums.length === 0) return "";
  if (nums.length === 1) end = nums[0];
  else if (nums.length === 2) [start, end] = nums;
  else [start, step, end] = nums;
  if (nums.length < 3 && end < start) step = -1;
  if (step === 0 || (step > 0 && end < start) || (step < 0 && end > start)) return "";
  return untilStep(start, end + (step > 0 ? 1 : -1), step, site).join(" ");
});

function untilStep(start: number, stop: number, step: number, site: CallSite): number[] {
  if (step === 0 || (step > 0 && start >= stop) || (step < 0 && start <= stop)) return [];
  checkCollectionSize(Math.ceil(Math.abs((stop - start) / step)), site);
  const out: number[] = [];
  for (let i = start; step > 0 ? i < stop : i > stop; i += step) out.push(i);
  return out;
}

// ---------------------------------------------------------------------------------------------
// Lists.

def("list", 0, Infinity, (args) => [...args]);
def("first", 1, 1, ([v], site) => toList("first", v, site)[0] ?? null);
def("rest", 1, 1, ([v], site) => toList("rest", v, site).slice(1));
def("last", 1, 1, ([v], site) => {
  const list = toList("last", v, site);
  return list.length > 0 ? list[list.length - 1] : null;
});
def("initial", 1, 1, ([v], site) => toList("initial", v, site).slice(0, -1));
def("append", 2, 2, ([v, item], site) => [...toList("append", v, site), item]);
alias("push", "append");
def("prepend", 2, 2, ([v, item], site) => [item, ...toList("prepend", v, site)]);
def("concat", 0, Infinity, (args, site) => {
  const out: unknown[] = [];
  for (const arg of args) out.push(...toList("concat", arg, site));
  checkCollectionSize(out.length, site);
  return out;
});
def("reverse", 1, 1, ([v], site) => [...toList("reverse", v, site)].reverse());
def("uniq", 1, 1, ([v], site) => {
  const out: unknown[] = [];
  for (const item of toList("uniq", v, site)) {
    site.charge(out.length);
    if (!out.some((seen) => valuesEqual(seen, item))) out.push(item);
  }
  return out;
});
def(
  "without",
  1,
  Infinity,
  ([v, ...omit], site) =>
    toList("without", v, site).filter((item) => !omit.some((o) => valuesEqual(o, item))),
);
def(
  "has",
  2,
  2,
  ([needle, haystack], site) =>
    haystack === null || haystack === undefined
      ? false
      : toList("has", haystack, site).some((item) => valuesEqual(item, needle)),
);
def(
  "compact",
  1,
  1,
  ([v], site) => toList("compact", v, site).filter((item) => !isEmptyValue(item)),
);
def("slice", 1, 3, ([v, start, end], site) => {
  const list = toList("slice", v, site);
  const a = start === undefined ? 0 : toInt64(start);
  const b = end === undefined ? list.length : toInt64(end);
  if (a < 0 || b > list.length || a > b) fail(`slice bounds out of range [${a}:${b}]`, site.offset);
  return list.slice(a, b);
});
def("chunk", 2, 2, ([size, v], site) => {
  const list = toList("chunk", v, site);
  const width = toInt64(size);
  if (width <= 0) fail("chunk size must be positive", site.offset);
  const out: unknown[][] = [];
  for (let i = 0; i < list.length; i += width) out.push(list.slice(i, i + width));
  return out;
});
def("index", 1, Infinity, ([collection, ...keys], site) => {
  let current = collection;
  for (const key of keys) {
    if (Array.isArray(current)) {
      const i = toInt64(key);
      if (i < 0 || i >= current.length) fail(`index out of range: ${i}`, site.offset);
      current = current[i];
    } else if (isMap(current)) current = mapGet(current, strval(key)) ?? null;
    else fail(`cannot index slice/array with nil`, site.offset);
  }
  return current;
});

// ---------------------------------------------------------------------------------------------
// Dicts. sprig mutates dicts in place; these return new maps so shared values never change.

function copyMap(source: ExprMap): ExprMap {
  const out = newMap();
  for (const key of Object.keys(source)) mapSet(out, key, source[key]);
  return out;
}

def("dict", 0, Infinity, (args, site) => {
  const out = newMap();
  checkCollectionSize(args.length / 2, site);
  for (let i = 0; i < args.length; i += 2) {
    mapSet(out, strval(args[i]), i + 1 < args.length ? args[i + 1] : "");
  }
  return out;
});
def("get", 2, 2, ([d, key], site) => {
  const map = argMap("sprig.get", d, site);
  const k = s("get", key, site);
  return Object.hasOwn(map, k) ? map[k] : "";
});
def("set", 3, 3, ([d, key, value], site) => {
  const out = copyMap(argMap("sprig.set", d, site));
  mapSet(out, s("set", key, site), value);
  return out;
});
def("unset", 2, 2, ([d, key], site) => {
  const out = copyMap(argMap("sprig.unset", d, site));
  delete out[s("unset", key, site)];
  return out;
});
def(
  "hasKey",
  2,
  2,
  ([d, key], site) => Object.hasOwn(argMap("sprig.hasKey", d, site), s("hasKey", key, site)),
);
def("pluck", 1, Infinity, ([key, ...dicts], site) => {
  const k = s("pluck", key, site);
  return dicts.filter((d) => isMap(d) && Object.hasOwn(d, k)).map((d) => (d as ExprMap)[k]);
});
def("keys", 0, Infinity, (dicts, site) => {
  const out: string[] = [];
  for (const d of dicts) out.push(...Object.keys(argMap("sprig.keys", d, site)));
  return out.sort();
});
def("values", 1, 1, ([d], site) => {
  const map = argMap("sprig.values", d, site);
  return Object.keys(map).sort().map((k) => map[k]);
});
def("pick", 1, Infinity, ([d, ...names], site) => {
  const map = argMap("sprig.pick", d, site);
  const out = newMap();
  for (const name of names) {
    const k = strval(name);
    if (Object.hasOwn(map, k)) mapSet(out, k, map[k]);
  }
  return out;
});
def("omit", 1, Infinity, ([d, ...names], site) => {
  const out = copyMap(argMap("sprig.omit", d, site));
  for (const name of names) delete out[strval(name)];
  return out;
});
def("merge", 1, Infinity, ([dst, ...sources], site) => {
  let out = deepCopy(argMap("sprig.merge", dst, site), 0, site) as ExprMap;
  for (const src of sources) out = mergeMaps(out, argMap("sprig.merge", src, site), false, 0, site);
  return out;
});
def("mergeOverwrite", 1, Infinity, ([dst, ...sources], site) => {
  let out = deepCopy(argMap("sprig.mergeOverwrite", dst, site), 0, site) as ExprMap;
  for (const src of sources) {
    out = mergeMaps(out, argMap("sprig.mergeOverwrite", src, site), true, 0, site);
  }
  return out;
});
alias("mustMerge", "merge");
alias("mustMergeOverwrite", "mergeOverwrite");
def("deepCopy", 1, 1, ([v], site) => deepCopy(v, 0, site));
alias("mustDeepCopy", "deepCopy");
def("dig", 3, Infinity, (args, site) => {
  const dict = argMap("sprig.dig", args[args.length - 1], site);
  const fallback = args[args.length - 2];
  let current: unknown = dict;
  for (const key of args.slice(0, -2)) {
    const k = s("dig", key, site);
    if (!isMap(current) || !Object.hasOwn(current, k)) return fallback;
    current = current[k];
  }
  return current;
});

function deepCopy(value: unknown, depth: number, site: CallSite): unknown {
  if (depth > LIMITS.maxDepth) fail("value is nested too deeply to copy", site.offset);
  site.charge(1);
  if (Array.isArray(value)) return value.map((v) => deepCopy(v, depth + 1, site));
  if (isMap(value)) {
    const out = newMap();
    for (const key of Object.keys(value)) mapSet(out, key, deepCopy(value[key], depth + 1, site));
    return out;
  }
  return value;
}

function mergeMaps(
  dst: ExprMap,
  src: ExprMap,
  overwrite: boolean,
  depth: number,
  site: CallSite,
): ExprMap {
  if (depth > LIMITS.maxDepth) fail("value is nested too deeply to merge", site.offset);
  for (const key of Object.keys(src)) {
    site.charge(1);
    const existing = mapGet(dst, key);
    const incoming = src[key];
    if (isMap(existing) && isMap(incoming)) {
      mapSet(dst, key, mergeMaps(existing, incoming, overwrite, depth + 1, site));
    } else if (
      !Object.hasOwn(dst, key) || isEmptyValue(existing) || (overwrite && !isEmptyValue(incoming))
    ) {
      mapSet(dst, key, deepCopy(incoming, depth + 1, site));
    }
  }
  return dst;
}

// ---------------------------------------------------------------------------------------------
// Reflection.

def("typeOf", 1, 1, ([v]) => goTypeName(v));
def("kindOf", 1, 1, ([v]) => kindName(v));
def("kindIs", 2, 2, ([kind, v], site) => s("kindIs", kind, site) === kindName(v));
def("typeIs", 2, 2, ([type, v], site) => s("typeIs", type, site) === goTypeName(v));
def("typeIsLike", 2, 2, ([type, v], site) => {
  const t = s("typeIsLike", type, site);
  return t === goTypeName(v) || t === "*" + goTypeName(v);
});
def("deepEqual", 2, 2, ([a, b]) => valuesEqual(a, b));

// ---------------------------------------------------------------------------------------------
// Dates. A date argument may be a time or a number of Unix seconds; anything else means now.

function dateArg(value: unknown, site: CallSite): ExprTime {
  if (value instanceof ExprTime) return value;
  if (typeof value === "number") return new ExprTime(Math.trunc(value) * 1000);
  return site.now();
}

function zoned(time: ExprTime, zone: string): ExprTime {
  return inZone(time, zone) ?? new ExprTime(time.ms, time.nanos, 0, "UTC");
}

def("now", 0, 0, (_args, site) => site.now());
def(
  "date",
  2,
  2,
  ([layout, date], site) => formatTime(dateArg(date, site), s("date", layout, site)),
);
def(
  "dateInZone",
  3,
  3,
  ([layout, date, zone], site) =>
    formatTime(
      zoned(dateArg(date, site), s("dateInZone", zone, site)),
      s("dateInZone", layout, site),
    ),
);
alias("date_in_zone", "dateInZone");
def("htmlDate", 1, 1, ([date], site) => formatTime(dateArg(date, site), "2006-01-02"));
def(
  "htmlDateInZone",
  2,
  2,
  ([date, zone], site) =>
    formatTime(zoned(dateArg(date, site), s("htmlDateInZone", zone, site)), "2006-01-02"),
);
def("unixEpoch", 1, 1, ([date], site) => {
  if (!(date instanceof ExprTime)) badArgument("sprig.unixEpoch", date, "time.Time", site);
  return String(Math.floor(date.ms / 1000));
});
def("dateModify", 2, 2, ([modifier, date], site) => {
  if (!(date instanceof ExprTime)) badArgument("sprig.dateModify", date, "time.Time", site);
  const parsed = parseDuration(s("dateModify", modifier, site));
  return parsed.ok ? addNanos(date, parsed.duration.nanos) : date;
});
def("mustDateModify", 2, 2, ([modifier, date], site) => {
  if (!(date instanceof ExprTime)) badArgument("sprig.mustDateModify", date, "time.Time", site);
  const parsed = parseDuration(s("mustDateModify", modifier, site));
  if (!parsed.ok) fail(parsed.message, site.offset);
  return addNanos(date, parsed.duration.nanos);
});
def("toDate", 2, 2, ([layout, value], site) => {
  const parsed = parseTime(s("toDate", layout, site), s("toDate", value, site));
  return parsed.ok ? parsed.time : new ExprTime(-62135596800000);
});
def("mustToDate", 2, 2, ([layout, value], site) => {
  const parsed = parseTime(s("mustToDate", layout, site), s("mustToDate", value, site));
  if (!parsed.ok) fail(parsed.message, site.offset);
  return parsed.time;
});
def("duration", 1, 1, ([seconds]) => {
  let count = 0;
  if (typeof seconds === "string") count = /^[+-]?[0-9]+$/.test(seconds) ? Number(seconds) : 0;
  else if (typeof seconds === "number" && Number.isInteger(seconds)) count = seconds;
  return goDurationString(count * 1e9);
});
def("durationRound", 1, 1, ([value], site) => {
  let nanos = 0;
  if (typeof value === "string") {
    const parsed = parseDuration(value);
    nanos = parsed.ok ? parsed.duration.nanos : 0;
  } else if (typeof value === "number") nanos = value;
  else if (value instanceof ExprDuration) nanos = value.nanos;
  else if (value instanceof ExprTime) nanos = subtractTimes(site.now(), value);
  const u = Math.abs(nanos);
  const hour = 3.6e12;
  const units: Array<[number, string]> = [
    [hour * 24 * 365, "y"],
    [hour * 24 * 30, "mo"],
    [hour * 24, "d"],
    [hour, "h"],
    [6e10, "m"],
    [1e9, "s"],
  ];
  for (const [size, suffix] of units) if (u > size) return `${Math.floor(u / size)}${suffix}`;
  return "0s";
});
def("ago", 1, 1, ([date], site) => {
  if (!(date instanceof ExprTime)) badArgument("sprig.ago", date, "time.Time", site);
  return goDurationString(Math.round(subtractTimes(site.now(), date) / 1e9) * 1e9);
});

// ---------------------------------------------------------------------------------------------
// Paths (Go's path package: slash-separated).

function cleanPath(p: string): string {
  if (p === "") return ".";
  const rooted = p.startsWith("/");
  const out: string[] = [];
  for (const part of p.split("/")) {
    if (part === "" || part === ".") continue;
    if (part === "..") {
      if (out.length > 0 && out[out.length - 1] !== "..") out.pop();
      else if (!rooted) out.push("..");
    } else out.push(part);
  }
  const joined = (rooted ? "/" : "") + out.join("/");
  return joined === "" ? "." : joined;
}

def("base", 1, 1, ([v], site) => {
  const p = s("base", v, site).replace(/\/+$/, "");
  if (p === "") return s("base", v, site) === "" ? "." : "/";
  return p.slice(p.lastIndexOf("/") + 1);
});
def("dir", 1, 1, ([v], site) => {
  const p = s("dir", v, site);
  return cleanPath(p.slice(0, p.lastIndexOf("/") + 1));
});
def("clean", 1, 1, ([v], site) => cleanPath(s("clean", v, site)));
def("ext", 1, 1, ([v], site) => {
  const p = s("ext", v, site);
  for (let i = p.length - 1; i >= 0 && p[i] !== "/"; i--) if (p[i] === ".") return p.slice(i);
  return "";
});
def("isAbs", 1, 1, ([v], site) => s("isAbs", v, site).startsWith("/"));

// The `must` forms of list functions fail instead of panicking; both fail here.
for (
  const name of [
    "first",
    "rest",
    "last",
    "initial",
    "append",
    "prepend",
    "reverse",
    "uniq",
    "without",
    "has",
    "compact",
    "slice",
    "chunk",
  ]
) {
  alias(`must${name[0].toUpperCase()}${name.slice(1)}`, name);
}
alias("mustPush", "append");

/** A readable summary for `argo-ts expr --help`. */
export function sprigFunctionNames(): string[] {
  return Object.keys(SPRIG).sort();
}
