/**
 * JSONPath lookups for Argo's `jsonpath(json, path)` helper.
 *
 * Supports what Argo users write: `$`, `.key`, `['key']`, `[n]` (negative from the end),
 * `[a:b]` slices, `[*]` and `.*` wildcards, `[i,j]` unions, `..key` recursive descent and
 * filters `[?(@.key == 'x')]` with `==`, `!=`, `<`, `<=`, `>`, `>=`, `=~` and existence tests.
 * A path that selects through a wildcard, slice, union, filter or descent yields a list.
 *
 * @module
 */
import { compileRegex } from "./regex.ts";
import { isMap, valuesEqual } from "./values.ts";
import { LIMITS, quote } from "./result.ts";

type Step =
  | { kind: "key"; key: string }
  | { kind: "index"; index: number }
  | { kind: "slice"; from?: number; to?: number }
  | { kind: "wildcard" }
  | { kind: "union"; keys: Array<string | number> }
  | { kind: "descend"; key: string | "*" }
  | { kind: "filter"; path: Step[]; op?: string; value?: unknown };

type Parsed = { ok: true; steps: Step[]; multi: boolean } | { ok: false; message: string };

function parsePath(path: string): Parsed {
  let i = 0;
  const steps: Step[] = [];
  let multi = false;
  const fail = (what: string): Parsed => ({
    ok: false,
    message: `invalid jsonpath ${quote(path)}: ${what} at offset ${i}`,
  });
  if (path[0] === "$" || path[0] === "@") i = 1;
  const readName = (): string => {
    const m = /^[^.[\]\s()=!<>~,]+/.exec(path.slice(i));
    if (!m) return "";
    i += m[0].length;
    return m[0];
  };
  const readQuoted = (): string | undefined => {
    const q = path[i];
    if (q !== "'" && q !== '"') return undefined;
    const end = path.indexOf(q, i + 1);
    if (end < 0) return undefined;
    const text = path.slice(i + 1, end);
    i = end + 1;
    return text;
  };
  while (i < path.length) {
    const ch = path[i];
    if (ch === "." && path[i + 1] === ".") {
      i += 2;
      multi = true;
      if (path[i] === "*") {
        i++;
        steps.push({ kind: "descend", key: "*" });
        continue;
      }
      const name = readName();
      if (!name) return fail("expected a key after ..");
      steps.push({ kind: "descend", key: name });
    } else if (ch === ".") {
      i++;
      if (path[i] === "*") {
        i++;
        multi = true;
        steps.push({ kind: "wildcard" });
        continue;
      }
      const name = readName();
      if (!name) return fail("expected a key after .");
      steps.push({ kind: "key", key: name });
    } else if (ch === "[") {
      i++;
      const close = path.indexOf("]", i);
      if (close < 0) return fail("unclosed [");
      if (path[i] === "?") {
        const end = path.lastIndexOf(")]");
        if (path[i + 1] !== "(" || end < i) return fail("expected ?( ... )");
        const filter = parseFilter(path.slice(i + 2, end));
        if (!filter) return fail("unsupported filter");
        steps.push(filter);
        multi = true;
        i = end + 2;
        continue;
      }
      const body = path.slice(i, close).trim();
      if (body === "*") {
        steps.push({ kind: "wildcard" });
        multi = true;
      } else if (/^-?[0-9]*:-?[0-9]*$/.test(body)) {
        const [a, b] = body.split(":");
        steps.push({
          kind: "slice",
          from: a === "" ? undefined : Number(a),
          to: b === "" ? undefined : Number(b),
        });
        multi = true;
      } else if (body.includes(",")) {
        const keys = body.split(",").map((part) => {
          const t = part.trim();
          return /^-?[0-9]+$/.test(t) ? Number(t) : t.replace(/^['"]|['"]$/g, "");
        });
        steps.push({ kind: "union", keys });
        multi = true;
      } else if (/^-?[0-9]+$/.test(body)) {
        steps.push({ kind: "index", index: Number(body) });
      } else {
        const start = i;
        const text = readQuoted();
        if (text === undefined) {
          i = start;
          return fail("expected an index, a quoted key, * or a filter");
        }
        steps.push({ kind: "key", key: text });
      }
      i = close + 1;
    } else {
      return fail(`unexpected ${quote(ch)}`);
    }
  }
  return { ok: true, steps, multi };
}

function parseFilter(text: string): Step | undefined {
  const m = /^\s*@((?:\.[^\s=!<>~]+|\[[^\]]+\])*)\s*(?:(==|!=|<=|>=|<|>|=~)\s*(.+?))?\s*$/.exec(
    text,
  );
  if (!m) return undefined;
  const inner = parsePath("$" + m[1]);
  if (!inner.ok) return undefined;
  const op = m[2];
  let value: unknown;
  if (op !== undefined) {
    const raw = m[3];
    if (op === "=~") {
      const re = /^\/(.*)\/$/.exec(raw);
      value = re ? re[1] : raw.replace(/^['"]|['"]$/g, "");
    } else if (/^'.*'$|^".*"$/.test(raw)) value = raw.slice(1, -1);
    else if (raw === "true" || raw === "false") value = raw === "true";
    else if (raw === "null") value = null;
    else if (!Number.isNaN(Number(raw))) value = Number(raw);
    else return undefined;
  }
  return { kind: "filter", path: inner.steps, op, value };
}

function select(values: unknown[], step: Step, budget: { steps: number }): unknown[] {
  const out: unknown[] = [];
  const spend = () => {
    if (--budget.steps < 0) throw new RangeError("jsonpath budget exceeded");
  };
  for (const value of values) {
    spend();
    switch (step.kind) {
      case "key":
        if (isMap(value) && Object.hasOwn(value, step.key)) out.push(value[step.key]);
        break;
      case "index":
        if (Array.isArray(value)) {
          const index = step.index < 0 ? value.length + step.index : step.index;
          if (index >= 0 && index < value.length) out.push(value[index]);
        }
        break;
      case "slice":
        if (Array.isArray(value)) out.push(...value.slice(step.from, step.to));
        break;
      case "wildcard":
        if (Array.isArray(value)) out.push(...value);
        else if (isMap(value)) out.push(...Object.keys(value).sort().map((k) => value[k]));
        break;
      case "union":
        for (const key of step.keys) {
          if (typeof key === "number" && Array.isArray(value)) {
            const index = key < 0 ? value.length + key : key;
            if (index >= 0 && index < value.length) out.push(value[index]);
          } else if (typeof key === "string" && isMap(value) && Object.hasOwn(value, key)) {
            out.push(value[key]);
          }
        }
        break;
      case "descend": {
        const stack: unknown[] = [value];
        while (stack.length > 0) {
          spend();
          const current = stack.pop();
          if (Array.isArray(current)) {
            if (step.key === "*") out.push(...current);
            for (let k = current.length - 1; k >= 0; k--) stack.push(current[k]);
          } else if (isMap(current)) {
            const keys = Object.keys(current).sort();
            if (step.key === "*") out.push(...keys.map((k) => current[k]));
            else if (Object.hasOwn(current, step.key)) out.push(current[step.key]);
            for (let k = keys.length - 1; k >= 0; k--) stack.push(current[keys[k]]);
          }
        }
        break;
      }
      case "filter": {
        const items = Array.isArray(value) ? value : isMap(value) ? Object.values(value) : [];
        for (const item of items) {
          let found: unknown[] = [item];
          for (const inner of step.path) found = select(found, inner, budget);
          if (found.length === 0) continue;
          if (step.op === undefined || compare(found[0], step.op, step.value)) out.push(item);
        }
        break;
      }
    }
  }
  return out;
}

function compare(left: unknown, op: string, right: unknown): boolean {
  switch (op) {
    case "==":
      return valuesEqual(left, right);
    case "!=":
      return !valuesEqual(left, right);
    case "=~": {
      const re = compileRegex(String(right));
      return typeof left === "string" && re.ok && re.regex.test(left);
    }
  }
  if (typeof left === "number" && typeof right === "number") {
    return op === "<"
      ? left < right
      : op === "<="
      ? left <= right
      : op === ">"
      ? left > right
      : left >= right;
  }
  if (typeof left === "string" && typeof right === "string") {
    return op === "<"
      ? left < right
      : op === "<="
      ? left <= right
      : op === ">"
      ? left > right
      : left >= right;
  }
  return false;
}

/** Looks a JSONPath up in a parsed JSON document. */
export function jsonPathLookup(
  document: unknown,
  path: string,
): { ok: true; value: unknown } | { ok: false; message: string } {
  const parsed = parsePath(path.trim());
  if (!parsed.ok) return parsed;
  let values: unknown[] = [document];
  const budget = { steps: LIMITS.maxCollectionSize };
  try {
    for (const step of parsed.steps) {
      values = select(values, step, budget);
      if (!parsed.multi && values.length === 0) {
        const what = step.kind === "key"
          ? `key error: ${step.key} not found in object`
          : step.kind === "index"
          ? `index out of range: ${step.index}`
          : "no match";
        return { ok: false, message: what };
      }
    }
  } catch (error) {
    if (error instanceof RangeError) return { ok: false, message: "jsonpath: too much work" };
    throw error;
  }
  return { ok: true, value: parsed.multi ? values : values[0] };
}
