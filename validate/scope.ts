/**
 * Variable scopes for `{{...}}` checks, following how Argo resolves variables: global names,
 * a template's inputs, the outputs of earlier steps or of a task's dependencies, and `item`
 * inside loops.
 */

/** Prefixes Argo checks; tags with any other prefix are left alone (custom variables). */
const CHECKED_PREFIXES = ["steps.", "inputs.", "outputs.", "pod.", "workflow.", "tasks."];

/** Whether Argo insists on resolving this tag when it validates a workflow. */
export function isCheckedTag(tag: string): boolean {
  if (tag === "item" || tag.startsWith("item.") || tag.startsWith("item[")) return true;
  return CHECKED_PREFIXES.some((prefix) => tag.startsWith(prefix));
}

/** Roots of expression variables that we check (others are loop variables or functions). */
export function isCheckedExpressionVariable(name: string): boolean {
  return ["inputs.", "steps.", "tasks.", "workflow."].some((prefix) => name.startsWith(prefix));
}

/**
 * A set of resolvable names. A child scope refers to its parent rather than copying it, so
 * giving each of 10,000 tasks its own scope costs only what each adds.
 */
export class Scope {
  readonly #names = new Set<string>();
  readonly #prefixes: string[] = [];
  /** This scope and its ancestors, nearest first (a few levels deep). */
  readonly #chain: Scope[];
  /** Set by withParam loops: any `item.*` may exist at run time. */
  #anyItem = false;

  constructor(parent?: Scope) {
    this.#chain = parent ? [this, ...parent.#chain] : [this];
  }

  add(name: string): void {
    this.#names.add(name);
  }

  /** Allows every name under a prefix (outputs of a template we could not resolve). */
  addPrefix(prefix: string): void {
    this.#prefixes.push(prefix);
  }

  /** Marks a withParam loop: item fields are known only at run time. */
  allowAnyItem(): void {
    this.#anyItem = true;
  }

  #hasOwn(tag: string): boolean {
    if (this.#names.has(tag)) return true;
    if (this.#prefixes.some((prefix) => tag.startsWith(prefix))) return true;
    return this.#anyItem && (tag === "item" || tag.startsWith("item."));
  }

  /** Whether a simple tag resolves. */
  has(tag: string): boolean {
    // A template may refer to its own outputs (metrics, paths); Argo allows these.
    if (tag.startsWith("outputs.") || tag.startsWith("workflow.creationTimestamp")) return true;
    return this.#chain.some((scope) => scope.#hasOwn(tag));
  }

  /** Whether an expression variable (possibly a map such as `inputs.parameters`) resolves. */
  hasPrefixOf(name: string): boolean {
    if (this.has(name)) return true;
    const dotted = `${name}.`;
    for (const scope of this.#chain) {
      for (const known of scope.#names) if (known.startsWith(dotted)) return true;
      if (scope.#prefixes.some((prefix) => prefix.startsWith(dotted))) return true;
    }
    return false;
  }

  /** Every name in this scope and its parents (for suggestions). */
  *names(): Iterable<string> {
    for (const scope of this.#chain) yield* scope.#names;
  }
}
