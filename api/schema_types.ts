/**
 * The shape of the compact validation schema in `schema.gen.ts`, which the linter walks.
 *
 * It is a small subset of JSON schema: a definition is referenced by name (a string) or written
 * inline, and a handful of node kinds stand for the scalar types Kubernetes and Argo read leniently.
 *
 * @module
 */

/** A reference to a named definition, or an inline node. */
export type SchemaRef = string | SchemaNode;
export type SchemaNode =
  | {
    kind: "object";
    properties: Record<string, SchemaRef>;
    required?: string[];
    /** schema of values for map-like objects (additionalProperties); absent = no extra keys allowed when properties is non-empty */
    additional?: SchemaRef;
    /** accepts any object (x-kubernetes-preserve-unknown-fields or an object with neither properties nor additionalProperties) */
    open?: boolean;
  }
  | { kind: "array"; items: SchemaRef }
  | { kind: "string"; enum?: string[]; const?: string; format?: string }
  | { kind: "integer" }
  | { kind: "number" }
  | { kind: "boolean" }
  /** IntOrString: an integer or a string */
  | { kind: "int-or-string" }
  /** Quantity, AnyString and similar: a string, or a scalar that Kubernetes/Argo reads as one */
  | { kind: "scalar-string" }
  /** anything (Item, JSON values) */
  | { kind: "any" };

/**
 * Returns the node a reference stands for: the named definition for a string, the node itself
 * otherwise. Throws on a name that is not defined, because that means the schema and its caller
 * disagree, which no input document can fix.
 */
export function resolveRef(ref: SchemaRef, defs: Record<string, SchemaNode>): SchemaNode {
  if (typeof ref !== "string") return ref;
  // Own-property check: a definition name such as "constructor" must not resolve to a prototype member.
  if (!Object.hasOwn(defs, ref)) throw new Error(`schema: unknown definition "${ref}"`);
  return defs[ref];
}
