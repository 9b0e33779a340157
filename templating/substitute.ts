/**
 * Argo's template substitution: simple tags `{{name}}` replaced from a flat variable map and
 * expression tags `{{=expr}}` evaluated against that map expanded into nested maps.
 *
 * Argo marshals a template to JSON, substitutes over the JSON text with values JSON-escaped,
 * and unmarshals it. Walking the value and substituting into each string (keys included) gives
 * the same result without the two conversions; values are inserted as they are, so quotes and
 * newlines can never break the structure.
 *
 * Unresolved tags: by default every unresolved tag is left verbatim (Argo's runtime passes).
 * With `strict`, an unresolved simple tag with a known prefix fails with Argo's message
 * `failed to resolve {{name}}`, and an expression reading a missing known-prefix variable fails
 * with `failed to evaluate expression: name is missing`. An expression whose variables all exist
 * but fails to evaluate is an error in either mode, as in Argo.
 *
 * @module
 */
import {
  err,
  LIMITS,
  ok,
  quote,
  type Result,
  type TemplatingError,
  TemplatingFailure,
} from "./result.ts";
import { hasKnownPrefix, KNOWN_PREFIXES, unclosedTagMessage } from "./tags.ts";
import { expressionVariables, parseExpression } from "./expr_parser.ts";
import { evaluateNode, isFunctionName } from "./expr_eval.ts";
import { ExprTime, goJson, isMap, mapSet, newMap, rfc3339Nano } from "./values.ts";

/** How unresolved tags are treated, and what expression tags see. */
export interface SubstituteOptions {
  /** Unresolved known-prefix tags are errors (default: every unresolved tag stays verbatim). */
  strict?: boolean;
  /** The prefixes `strict` applies to (default {@link KNOWN_PREFIXES}). */
  strictPrefixes?: readonly string[];
  /** In strict mode, still leave tags naming `.outputs.artifacts.` unresolved (Argo resolves them later). */
  allowUnresolvedArtifacts?: boolean;
  /** The nested environment for expression tags; default `expandVars(vars)`, built on first use. */
  env?: Record<string, unknown>;
  /** The clock for `now()` in expression tags. */
  now?: Date | number;
}

/** Variables whose absence leaves an expression tag verbatim when unresolved tags are allowed. */
const DEFERRED_VARIABLES = [
  "item",
  "retries",
  "lastRetry.exitCode",
  "lastRetry.status",
  "lastRetry.duration",
  "lastRetry.message",
  "workflow.status",
  "workflow.failures",
];

/**
 * Expands a flat map (`inputs.parameters.x`) into nested maps, as Argo builds the expression
 * environment. Where a name is both a value and a prefix (`workflow.parameters` and
 * `workflow.parameters.x`), the nested map wins, as in Argo's `expand`.
 */
export function expandVars(vars: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const root = newMap();
  for (const key of Object.keys(vars)) {
    const value = vars[key];
    const parts = key.split(".");
    let current = root;
    let blocked = false;
    for (let i = 0; i < parts.length - 1; i++) {
      const part = parts[i];
      const next = Object.hasOwn(current, part) ? current[part] : undefined;
      if (isMap(next)) {
        current = next;
      } else {
        const created = newMap();
        mapSet(current, part, created);
        current = created;
      }
    }
    const last = parts[parts.length - 1];
    if (Object.hasOwn(current, last) && isMap(current[last]) && !isMap(value)) blocked = true;
    if (!blocked) mapSet(current, last, value);
  }
  return root;
}

/** Whether a dotted path exists in a nested environment. */
export function hasPath(env: Record<string, unknown>, path: string): boolean {
  if (Object.hasOwn(env, path)) return true;
  let current: unknown = env;
  for (const part of path.split(".")) {
    if (!isMap(current) || !Object.hasOwn(current, part)) return false;
    current = current[part];
  }
  return true;
}

/** How Argo writes an expression tag's result into the template: strings as they are, other values as compact JSON. */
export function formatExpressionResult(value: unknown): string {
  if (typeof value === "string") return value;
  if (value instanceof ExprTime) return rfc3339Nano(value);
  return goJson(value);
}

interface Context {
  vars: Readonly<Record<string, string>>;
  options: SubstituteOptions;
  env: Record<string, unknown> | undefined;
}

function environment(context: Context): Record<string, unknown> {
  if (!context.env) context.env = context.options.env ?? expandVars(context.vars);
  return context.env;
}

/** Substitutes the tags in one string. */
export function substituteString(
  text: string,
  vars: Readonly<Record<string, string>>,
  options: SubstituteOptions = {},
): Result<string> {
  return substituteIn(text, { vars, options, env: undefined });
}

function substituteIn(text: string, context: Context): Result<string> {
  let start = text.indexOf("{{");
  if (start < 0) return ok(text);
  if (text.length > LIMITS.maxTemplateLength) {
    return err(
      `template is too long (${text.length} characters; the limit is ${LIMITS.maxTemplateLength})`,
      LIMITS.maxTemplateLength,
    );
  }
  const vars = context.vars;
  let out = "";
  let last = 0;
  while (start >= 0) {
    const close = text.indexOf("}}", start + 2);
    if (close < 0) return err(unclosedTagMessage(text, start), start);
    if (start > last) out += text.slice(last, start);
    if (text.charCodeAt(start + 2) === 61) {
      const replaced = expressionTag(text, start, close, context);
      if (!replaced.ok) return replaced;
      out += replaced.value;
    } else {
      const raw = text.slice(start + 2, close);
      const value = vars[raw.trim()];
      if (typeof value === "string") out += value;
      else {
        const replaced = unresolvedTag(text, raw, start, close, context);
        if (!replaced.ok) return replaced;
        out += replaced.value;
      }
    }
    last = close + 2;
    start = text.indexOf("{{", last);
  }
  if (last < text.length) out += text.slice(last);
  return ok(out);
}

function unresolvedTag(
  text: string,
  raw: string,
  start: number,
  close: number,
  context: Context,
): Result<string> {
  const name = raw.trim();
  if (Object.hasOwn(context.vars, name)) {
    return err(`failed to resolve {{${raw}}} to string`, start);
  }
  // A tag inside a tag: `{{a.{{b}}}}` resolves `b` and leaves `{{a.<b>}}` for a later pass.
  const nested = raw.lastIndexOf("{{");
  if (nested > 0) {
    const inner = raw.slice(nested + 2).trim();
    const value = context.vars[inner];
    if (typeof value === "string" && Object.hasOwn(context.vars, inner)) {
      return ok("{{" + raw.slice(0, nested) + value);
    }
  }
  const { options } = context;
  if (
    options.strict && hasKnownPrefix(name, options.strictPrefixes ?? KNOWN_PREFIXES) &&
    !(options.allowUnresolvedArtifacts && name.includes(".outputs.artifacts."))
  ) {
    return err(`failed to resolve {{${raw}}}`, start);
  }
  return ok(text.slice(start, close + 2));
}

function expressionTag(
  text: string,
  start: number,
  close: number,
  context: Context,
): Result<string> {
  const source = text.slice(start + 3, close);
  const base = start + 3;
  const verbatim = ok(text.slice(start, close + 2));
  const parsed = parseExpression(source);
  if (!parsed.ok) {
    return err(
      `failed to evaluate expression: ${parsed.error.message}`,
      base + parsed.error.offset,
    );
  }
  const env = environment(context);
  const variables = expressionVariables(source, isFunctionName);
  const missing = variables.ok ? variables.value.filter((v) => !hasPath(env, v)) : [];
  const { options } = context;
  if (options.strict) {
    const prefixes = options.strictPrefixes ?? KNOWN_PREFIXES;
    const strictMissing = missing.find((v) => hasKnownPrefix(v, prefixes));
    if (strictMissing !== undefined) {
      return err(
        `failed to evaluate expression: ${strictMissing} is missing`,
        base + offsetOf(source, strictMissing),
      );
    }
  }
  const allowUnresolved = missing.length > 0;
  if (
    allowUnresolved &&
    DEFERRED_VARIABLES.some((v) =>
      missing.includes(v) || missing.some((m) => m.startsWith(v + "."))
    )
  ) {
    return verbatim;
  }
  const result = evaluateNode(parsed.value, env, { now: options.now });
  if (!result.ok) {
    if (allowUnresolved) return verbatim;
    return err(
      `failed to evaluate expression: ${result.error.message}`,
      base + result.error.offset,
    );
  }
  if (result.value === null) {
    if (allowUnresolved) return verbatim;
    return err(`failed to evaluate expression ${quote(source)}`, start);
  }
  try {
    return ok(formatExpressionResult(result.value));
  } catch (error) {
    if (!(error instanceof TemplatingFailure)) throw error;
    if (allowUnresolved) return verbatim;
    return err(`failed to marshal evaluated expression: ${error.message}`, start);
  }
}

function offsetOf(source: string, path: string): number {
  const first = path.split(".")[0];
  const found = source.indexOf(first);
  return found < 0 ? 0 : found;
}

/**
 * Substitution over a JSON-serialisable value (Argo's marshal, substitute, unmarshal): every
 * string, map keys included, has its tags replaced. Unchanged parts are returned as they were.
 */
export function substitute(
  value: unknown,
  vars: Readonly<Record<string, string>>,
  options: SubstituteOptions = {},
): Result<unknown> {
  const context: Context = { vars, options, env: undefined };
  try {
    return ok(walk(value, context, undefined, undefined, 0));
  } catch (error) {
    if (error instanceof PathFailure) return { ok: false, error: error.error };
    throw error;
  }
}

/** Where a string sits in the value; turned into text only when reporting an error. */
interface PathLink {
  parent: PathLink | undefined;
  key: string | number;
}

class PathFailure extends Error {
  constructor(readonly error: TemplatingError) {
    super(error.message);
  }
}

function pathText(link: PathLink | undefined): string {
  const keys: Array<string | number> = [];
  for (let l = link; l; l = l.parent) keys.push(l.key);
  let out = "";
  for (let i = keys.length - 1; i >= 0; i--) {
    const key = keys[i];
    if (typeof key === "number") out += `[${key}]`;
    else if (/^[A-Za-z_$][A-Za-z0-9_$-]*$/.test(key)) out += out === "" ? key : `.${key}`;
    else out += `[${JSON.stringify(key)}]`;
  }
  return out === "" ? "." : out;
}

function substituteAt(
  text: string,
  context: Context,
  parent: PathLink | undefined,
  key: string | number | undefined,
): string {
  if (!text.includes("{{")) return text;
  const result = substituteIn(text, context);
  if (!result.ok) {
    const path = key === undefined ? parent : { parent, key };
    throw new PathFailure({ ...result.error, path: pathText(path) });
  }
  return result.value;
}

function walk(
  value: unknown,
  context: Context,
  parent: PathLink | undefined,
  key: string | number | undefined,
  depth: number,
): unknown {
  if (typeof value === "string") return substituteAt(value, context, parent, key);
  if (value === null || typeof value !== "object") return value;
  const here = key === undefined ? parent : { parent, key };
  if (depth > LIMITS.maxDepth) {
    throw new PathFailure({
      message: "value is nested too deeply to substitute",
      offset: 0,
      path: pathText(here),
    });
  }
  if (Array.isArray(value)) {
    let out: unknown[] | undefined;
    for (let i = 0; i < value.length; i++) {
      const item = value[i];
      const next = walk(item, context, here, i, depth + 1);
      if (next !== item && !out) out = value.slice(0, i);
      if (out) out.push(next);
    }
    return out ?? value;
  }
  if (!isMap(value)) return value;
  const keys = Object.keys(value);
  let out: Record<string, unknown> | undefined;
  for (let i = 0; i < keys.length; i++) {
    const name = keys[i];
    const newKey = substituteAt(name, context, here, name);
    const item = value[name];
    const next = walk(item, context, here, name, depth + 1);
    if (!out && (newKey !== name || next !== item)) {
      out = {};
      for (let j = 0; j < i; j++) setEntry(out, keys[j], value[keys[j]]);
    }
    if (out) setEntry(out, newKey, next);
  }
  return out ?? value;
}

function setEntry(target: Record<string, unknown>, key: string, value: unknown): void {
  if (key === "__proto__") {
    Object.defineProperty(target, key, {
      value,
      enumerable: true,
      writable: true,
      configurable: true,
    });
  } else {
    target[key] = value;
  }
}
