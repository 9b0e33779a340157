/** Small readers for untrusted, already-parsed data: they never throw on the wrong shape. */

export type Obj = Record<string, unknown>;

export function asObject(value: unknown): Obj | undefined {
  return value !== null && typeof value === "object" && !Array.isArray(value)
    ? value as Obj
    : undefined;
}

export function asArray(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

export function asString(value: unknown): string | undefined {
  return typeof value === "string" ? value : undefined;
}

/** A scalar as Argo reads it into a string field (numbers and booleans become text). */
export function scalarText(value: unknown): string | undefined {
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  return undefined;
}

/** Visits every string in a value with its field path (depth-bounded). */
export function forEachString(
  value: unknown,
  path: string,
  visit: (text: string, path: string) => void,
  childPath: (parent: string, segment: string | number) => string,
  skip: (path: string) => boolean = () => false,
  depth = 0,
): void {
  if (depth > 250 || skip(path)) return;
  if (typeof value === "string") visit(value, path);
  else if (Array.isArray(value)) {
    value.forEach((item, i) =>
      forEachString(item, childPath(path, i), visit, childPath, skip, depth + 1)
    );
  } else if (value !== null && typeof value === "object") {
    for (const [key, child] of Object.entries(value)) {
      forEachString(child, childPath(path, key), visit, childPath, skip, depth + 1);
    }
  }
}
