/**
 * Checks an object against Argo's API schema: unknown fields (Argo's strict mode), types,
 * required fields and enums. `null` counts as absent, as it does for Kubernetes.
 */
import { definitions } from "../api/schema.gen.ts";
import { resolveRef, type SchemaNode, type SchemaRef } from "../api/schema_types.ts";
import { childPath } from "../api/source.ts";
import { closest, type IssueList } from "./issue.ts";

/** Reads the source text of a scalar at a path, when the object came from a file. */
export type RawScalar = (path: string) => string | undefined;

/** Stop descending past this depth (the loader already bounds nesting; this is a second guard). */
const MAX_SCHEMA_DEPTH = 250;

export function checkSchema(
  value: unknown,
  root: SchemaRef,
  path: string,
  issues: IssueList,
  raw: RawScalar = () => undefined,
): void {
  walk(value, root, path, issues, raw, 0);
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "a list";
  if (typeof value === "object") return "a map";
  if (typeof value === "string") return `the string ${JSON.stringify(truncate(value))}`;
  return `the ${typeof value} ${String(value)}`;
}

function truncate(text: string): string {
  return text.length > 40 ? `${text.slice(0, 37)}...` : text;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

function walk(
  value: unknown,
  ref: SchemaRef,
  path: string,
  issues: IssueList,
  raw: RawScalar,
  depth: number,
): void {
  if (value === null || value === undefined || depth > MAX_SCHEMA_DEPTH) return;
  const node: SchemaNode = resolveRef(ref, definitions);
  switch (node.kind) {
    case "any":
      return;
    case "object": {
      if (!isPlainObject(value)) {
        issues.error("schema/type", path, `expected a map, got ${describe(value)}`);
        return;
      }
      const names = Object.keys(node.properties);
      for (const required of node.required ?? []) {
        // `image` may come from templateDefaults or the controller's workflowDefaults; the
        // template rules check it with that context.
        if (required === "image") continue;
        if (value[required] === undefined || value[required] === null) {
          issues.error("schema/required", path, `missing required field "${required}"`);
        }
      }
      for (const [key, child] of Object.entries(value)) {
        const property = Object.hasOwn(node.properties, key) ? node.properties[key] : undefined;
        const childAt = childPath(path, key);
        if (property !== undefined) {
          walk(child, property, childAt, issues, raw, depth + 1);
        } else if (node.additional !== undefined) {
          walk(child, node.additional, childAt, issues, raw, depth + 1);
        } else if (!node.open && names.length > 0) {
          const suggestion = closest(key, names);
          issues.error("schema/unknown-field", childAt, `unknown field "${key}"`, {
            onKey: true,
            suggestion,
          });
        }
      }
      return;
    }
    case "array": {
      if (!Array.isArray(value)) {
        issues.error("schema/type", path, `expected a list, got ${describe(value)}`);
        return;
      }
      value.forEach((item, i) =>
        walk(item, node.items, childPath(path, i), issues, raw, depth + 1)
      );
      return;
    }
    case "string": {
      if (typeof value === "object") {
        issues.error("schema/type", path, `expected a string, got ${describe(value)}`);
        return;
      }
      if (typeof value === "boolean") {
        // go-yaml reads yes/no/on/off as booleans; Argo then turns them into "true"/"false".
        const source = raw(path);
        if (source !== undefined && source !== String(value)) {
          issues.warning(
            "schema/yaml-boolean",
            path,
            `${source} is read as the boolean ${value} and becomes the string "${value}"; ` +
              `quote it ("${source}") to keep the word`,
          );
        }
      }
      const text = String(value);
      if (node.const !== undefined && text !== node.const) {
        issues.error("schema/enum", path, `must be "${node.const}", not ${describe(value)}`);
      } else if (node.enum && !node.enum.includes(text)) {
        issues.error(
          "schema/enum",
          path,
          `${describe(value)} is not one of ${node.enum.map((e) => `"${e}"`).join(", ")}`,
          { suggestion: closest(text, node.enum) },
        );
      }
      return;
    }
    case "integer":
      if (typeof value !== "number" || !Number.isInteger(value)) {
        issues.error("schema/type", path, `expected an integer, got ${describe(value)}`);
      }
      return;
    case "number":
      if (typeof value !== "number") {
        issues.error("schema/type", path, `expected a number, got ${describe(value)}`);
      }
      return;
    case "boolean":
      if (typeof value !== "boolean") {
        issues.error("schema/type", path, `expected true or false, got ${describe(value)}`);
      }
      return;
    case "int-or-string":
      if (typeof value === "number" ? !Number.isInteger(value) : typeof value !== "string") {
        issues.error(
          "schema/type",
          path,
          `expected an integer or a string, got ${describe(value)}`,
        );
      }
      return;
    case "scalar-string":
      if (typeof value === "object") {
        issues.error("schema/type", path, `expected a string, got ${describe(value)}`);
      }
      return;
  }
}
