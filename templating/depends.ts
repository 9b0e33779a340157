/**
 * DAG `depends` expressions: `A && (B.Failed || !C.Skipped)`.
 *
 * A dedicated parser, because task names contain `-` (an expression parser reads `task-a` as a
 * subtraction). Grammar: task names `[A-Za-z0-9_][-A-Za-z0-9_]*`, optionally followed by one of
 * `.Succeeded .Failed .Errored .Skipped .Omitted .Daemoned .AnySucceeded .AllFailed`;
 * `&&`/`and`, `||`/`or`, `!`/`not` and parentheses. A bare `A` means
 * `(A.Succeeded || A.Skipped || A.Daemoned)`, plus `A.Errored` and `A.Failed` when A's
 * `continueOn` allows them, as Argo expands it. A legacy `dependencies: [A, B]` list is
 * `A && B`.
 *
 * @module
 */
import { err, fail, LIMITS, ok, quote, type Result, TemplatingFailure } from "./result.ts";

/** The results a dependency can be tested for. */
export const TASK_RESULTS = [
  "Succeeded",
  "Failed",
  "Errored",
  "Skipped",
  "Omitted",
  "Daemoned",
  "AnySucceeded",
  "AllFailed",
] as const;

export type TaskResultName = typeof TASK_RESULTS[number];

/** A parsed `depends` expression. */
export type DependsNode =
  | { type: "task"; task: string; result?: TaskResultName; pos: number }
  | { type: "not"; operand: DependsNode; pos: number }
  | { type: "and" | "or"; left: DependsNode; right: DependsNode; pos: number };

/** What `depends` needs to know about a finished dependency (the operator builds it from the node). */
export interface TaskResultView {
  /** The node's phase: `Succeeded`, `Failed`, `Error`, `Skipped`, `Omitted`, ... */
  phase: string;
  /** Whether the node is a daemon (`.Daemoned` holds for a daemoned node that is not Pending). */
  daemoned?: boolean;
  /** For a task that fans out (withItems/withParam/withSequence: a TaskGroup), its children's phases. */
  childPhases?: readonly string[];
  /** The dependency's `continueOn`: a bare reference to it also accepts these results. */
  continueOn?: { failed?: boolean; error?: boolean };
}

const NAME_START = /[A-Za-z0-9_]/;
const NAME_PART = /[-A-Za-z0-9_]/;

class Parser {
  private i = 0;
  private depth = 0;
  constructor(private readonly text: string) {}

  parse(): DependsNode {
    this.spaces();
    if (this.i >= this.text.length) fail("empty depends expression", 0);
    const node = this.or();
    this.spaces();
    if (this.i < this.text.length) fail(`unexpected ${quote(this.text[this.i])}`, this.i);
    return node;
  }

  private spaces(): void {
    while (this.i < this.text.length && /\s/.test(this.text[this.i])) this.i++;
  }

  private word(w: string): boolean {
    if (!this.text.startsWith(w, this.i)) return false;
    const after = this.text[this.i + w.length];
    return after === undefined || !NAME_PART.test(after);
  }

  private operator(symbol: string, word: string): number | undefined {
    this.spaces();
    const pos = this.i;
    if (this.text.startsWith(symbol, this.i)) {
      this.i += symbol.length;
      return pos;
    }
    if (this.word(word)) {
      this.i += word.length;
      return pos;
    }
    return undefined;
  }

  private or(): DependsNode {
    let left = this.and();
    for (;;) {
      const pos = this.operator("||", "or");
      if (pos === undefined) return left;
      left = { type: "or", left, right: this.and(), pos };
    }
  }

  private and(): DependsNode {
    let left = this.unary();
    for (;;) {
      const pos = this.operator("&&", "and");
      if (pos === undefined) return left;
      left = { type: "and", left, right: this.unary(), pos };
    }
  }

  private unary(): DependsNode {
    this.spaces();
    if (++this.depth > LIMITS.maxDepth) fail("depends expression is nested too deeply", this.i);
    const pos = this.i;
    let node: DependsNode;
    if (this.text[this.i] === "!" && this.text[this.i + 1] !== "=") {
      this.i++;
      node = { type: "not", operand: this.unary(), pos };
    } else if (this.word("not")) {
      this.i += 3;
      node = { type: "not", operand: this.unary(), pos };
    } else if (this.text[this.i] === "(") {
      this.i++;
      node = this.or();
      this.spaces();
      if (this.text[this.i] !== ")") this.expected('")"');
      this.i++;
    } else {
      node = this.task();
    }
    this.depth--;
    return node;
  }

  private expected(what: string): never {
    if (this.i >= this.text.length) {
      fail(`unexpected end of depends expression, expected ${what}`, this.i);
    }
    fail(`unexpected ${quote(this.text[this.i])}, expected ${what}`, this.i);
  }

  private task(): DependsNode {
    const pos = this.i;
    if (!NAME_START.test(this.text[this.i] ?? "")) this.expected("a task name");
    while (this.i < this.text.length && NAME_PART.test(this.text[this.i])) this.i++;
    const task = this.text.slice(pos, this.i);
    if (this.text[this.i] !== ".") return { type: "task", task, pos };
    this.i++;
    const resultStart = this.i;
    while (this.i < this.text.length && /[A-Za-z]/.test(this.text[this.i])) this.i++;
    const result = this.text.slice(resultStart, this.i);
    if (!(TASK_RESULTS as readonly string[]).includes(result)) {
      fail(
        `unknown task result ${quote(result)} for task ${quote(task)}; expected one of ${
          TASK_RESULTS.join(", ")
        }`,
        resultStart,
      );
    }
    return { type: "task", task, result: result as TaskResultName, pos };
  }
}

const cache = new Map<string, Result<DependsNode>>();

/** Parses a `depends` expression. */
export function parseDepends(source: string): Result<DependsNode> {
  const cached = cache.get(source);
  if (cached) return cached;
  let result: Result<DependsNode>;
  if (source.length > LIMITS.maxExpressionLength) {
    result = err(
      `depends expression is too long (${source.length} characters; the limit is ${LIMITS.maxExpressionLength})`,
      LIMITS.maxExpressionLength,
    );
  } else {
    try {
      result = ok(new Parser(source).parse());
    } catch (error) {
      if (!(error instanceof TemplatingFailure)) throw error;
      result = err(error.message, error.offset);
    }
  }
  if (cache.size > 4096) cache.clear();
  cache.set(source, result);
  return result;
}

/** The `depends` expression equivalent to a legacy `dependencies` list: all of them. */
export function dependenciesToDepends(dependencies: readonly string[]): string {
  return dependencies.join(" && ");
}

/** Task names referenced by a depends expression, in order of first mention. */
export function dependsTaskNames(node: DependsNode): string[] {
  const names: string[] = [];
  const seen = new Set<string>();
  const stack: DependsNode[] = [node];
  while (stack.length > 0) {
    const current = stack.pop()!;
    if (current.type === "task") {
      if (!seen.has(current.task)) {
        seen.add(current.task);
        names.push(current.task);
      }
    } else if (current.type === "not") stack.push(current.operand);
    else stack.push(current.right, current.left);
  }
  return names;
}

/** Whether a finished dependency has a result, as Argo computes its TaskResults. */
export function taskHasResult(view: TaskResultView, result: TaskResultName): boolean {
  switch (result) {
    case "Succeeded":
      return view.phase === "Succeeded";
    case "Failed":
      return view.phase === "Failed";
    case "Errored":
      return view.phase === "Error";
    case "Skipped":
      return view.phase === "Skipped";
    case "Omitted":
      return view.phase === "Omitted";
    case "Daemoned":
      return view.daemoned === true && view.phase !== "Pending";
    case "AnySucceeded":
      return (view.childPhases ?? []).some((p) => p === "Succeeded");
    case "AllFailed": {
      const children = view.childPhases ?? [];
      return children.length > 0 && children.every((p) => p === "Failed");
    }
  }
}

/** The results a bare reference accepts. */
export function bareResults(view: TaskResultView): TaskResultName[] {
  const results: TaskResultName[] = ["Succeeded", "Skipped", "Daemoned"];
  if (view.continueOn?.error) results.push("Errored");
  if (view.continueOn?.failed) results.push("Failed");
  return results;
}

/** Evaluates a parsed depends expression. */
export function evaluateDependsNode(
  node: DependsNode,
  taskResult: (task: string) => TaskResultView | undefined,
): Result<boolean> {
  const visit = (n: DependsNode): boolean => {
    switch (n.type) {
      case "task": {
        const view = taskResult(n.task);
        if (!view) fail(`depends refers to task ${quote(n.task)}, which has no result`, n.pos);
        if (n.result) return taskHasResult(view, n.result);
        return bareResults(view).some((r) => taskHasResult(view, r));
      }
      case "not":
        return !visit(n.operand);
      case "and":
        return visit(n.left) && visit(n.right);
      case "or":
        return visit(n.left) || visit(n.right);
    }
  };
  try {
    return ok(visit(node));
  } catch (error) {
    if (!(error instanceof TemplatingFailure)) throw error;
    return err(error.message, error.offset);
  }
}

/** Parses and evaluates a depends expression. */
export function evaluateDepends(
  source: string,
  taskResult: (task: string) => TaskResultView | undefined,
): Result<boolean> {
  const parsed = parseDepends(source);
  if (!parsed.ok) return parsed;
  return evaluateDependsNode(parsed.value, taskResult);
}
