/**
 * The templating core: everything Argo does with the text inside a workflow.
 *
 * - {@link substitute} and {@link substituteString}: `{{name}}` and `{{=expr}}` tags, with
 *   Argo's marshal, substitute, unmarshal semantics and its rules for unresolved tags;
 * - {@link evaluateExpression}: expr-lang expressions (`{{= }}`, `retryStrategy.expression`,
 *   hooks), with the Argo helpers and `sprig.*`;
 * - {@link evaluateWhen}: `when` conditions with govaluate's semantics;
 * - {@link evaluateDepends}: DAG `depends` expressions.
 *
 * The operator, the executor and the linter all use it. It is pure: no I/O, no environment, no
 * randomness; the only clock is `now()` in expressions, which callers can fix. Expected failures
 * are returned as {@link Result} values with an offset into the text; nothing throws. Every
 * evaluation has a step budget and every input a size and nesting bound ({@link LIMITS}), and
 * no expression can reach a JavaScript global, a prototype, the file system, the network or the
 * environment.
 *
 * This module must not import anything of ours except `api/` types (today it imports nothing).
 *
 * @module
 */
import { parseExpression } from "./expr_parser.ts";
import { type EvalOptions, evaluateNode, isFunctionName } from "./expr_eval.ts";
import { expressionVariables as variablesOf } from "./expr_parser.ts";
import { type Result } from "./result.ts";

export { err, LIMITS, ok } from "./result.ts";
export type { Result, TemplatingError } from "./result.ts";
export { hasKnownPrefix, KNOWN_PREFIXES, scanTags } from "./tags.ts";
export type { Tag } from "./tags.ts";
export { parseExpression } from "./expr_parser.ts";
export type { ExprNode } from "./expr_parser.ts";
export type { EvalOptions } from "./expr_eval.ts";
export { evaluateNode } from "./expr_eval.ts";
export { evaluateWhen, evaluateWhenNode, parseWhen } from "./when.ts";
export type { WhenNode } from "./when.ts";
export {
  bareResults,
  dependenciesToDepends,
  dependsTaskNames,
  evaluateDepends,
  evaluateDependsNode,
  parseDepends,
  TASK_RESULTS,
  taskHasResult,
} from "./depends.ts";
export type { DependsNode, TaskResultName, TaskResultView } from "./depends.ts";
export {
  expandVars,
  formatExpressionResult,
  hasPath,
  substitute,
  substituteString,
} from "./substitute.ts";
export type { SubstituteOptions } from "./substitute.ts";
export { ExprDuration, ExprFunction, ExprTime, goJson, goString } from "./values.ts";

/**
 * The dotted variable paths an expression reads, e.g. `inputs.parameters.my-param` for
 * `inputs.parameters['my-param']`, `steps.a.outputs.result`; closure variables (#) and function
 * names excluded.
 */
export function expressionVariables(source: string): Result<string[]> {
  return variablesOf(source, isFunctionName);
}

/** Evaluates an expr-lang expression (the inside of `{{= }}`) against a nested environment. */
export function evaluateExpression(
  source: string,
  env: Record<string, unknown>,
  options: EvalOptions = {},
): Result<unknown> {
  const parsed = parseExpression(source);
  if (!parsed.ok) return parsed;
  return evaluateNode(parsed.value, env, options);
}

/** Where a variable lives: Argo keeps the workflow-wide (global) and template (local) scopes apart. */
export function variableScope(name: string): "global" | "local" | "unknown" {
  if (name.startsWith("workflow.") || name.startsWith("cronworkflow.")) return "global";
  const root = name.split(".")[0];
  return LOCAL_ROOTS.has(root) ? "local" : "unknown";
}

const LOCAL_ROOTS = new Set([
  "inputs",
  "outputs",
  "steps",
  "tasks",
  "item",
  "pod",
  "node",
  "retries",
  "lastRetry",
  "status",
  "duration",
  "exitCode",
  "resourcesDuration",
  "request",
  "response",
]);

/**
 * The flat map a template is substituted with: the global scope overlaid by the local one, as
 * Argo's `globalParams.Merge(localParams)` does (a local name wins).
 */
export function mergeScopes(
  global: Readonly<Record<string, string>>,
  local: Readonly<Record<string, string>>,
): Record<string, string> {
  const merged: Record<string, string> = Object.create(null);
  for (const key of Object.keys(global)) merged[key] = global[key];
  for (const key of Object.keys(local)) merged[key] = local[key];
  return merged;
}
