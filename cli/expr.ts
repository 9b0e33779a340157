/**
 * `argo-ts expr`: evaluates one expression or template string and prints the result as JSON.
 * Argo has no way to try an expression; this is it.
 *
 * Dialects: `expr` (what goes inside `{{= }}`), `when` (a step or task condition: tags are
 * substituted first, then the condition is evaluated as Argo's govaluate does), `depends` (a DAG
 * task's dependency expression) and `template` (a string with `{{...}}` tags). Without
 * `--dialect`, text containing `{{` is a template and anything else an expression.
 *
 * Variables come from `--var name=value` (repeatable; dotted names build nested maps; a value
 * is parsed as JSON when it parses, else it is a string) and `--vars FILE` (a JSON or YAML map;
 * `-` reads standard input). Templates and `when` see the variables flattened into Argo's flat
 * map (`inputs.parameters.n`; non-string values as JSON text); expressions see them nested.
 * For `depends`, each variable is a task: `--var A=Succeeded` gives task A that phase; a list
 * (`--var 'B=["Succeeded","Failed"]'`) makes B a fanned-out task with those children; a map
 * (`--var 'C={"phase":"Failed","continueOn":{"failed":true}}'`) sets the fields of a task result
 * (`phase`, `daemoned`, `childPhases`, `continueOn`).
 *
 * Exit codes: 0 on success, 1 with a positioned error when the text does not evaluate, 2 for
 * bad usage.
 */
import { Command, Option } from "@commander-js/extra-typings";
import { parse as parseYaml } from "yaml";
import type { CliContext } from "./io.ts";
import { EXIT_USAGE } from "./not_built.ts";
import {
  evaluateDepends,
  evaluateExpression,
  evaluateWhen,
  ExprDuration,
  ExprFunction,
  ExprTime,
  formatExpressionResult,
  type Result,
  substituteString,
  type TaskResultView,
  type TemplatingError,
} from "../templating/mod.ts";

const DIALECTS = ["expr", "when", "depends", "template"] as const;
type Dialect = typeof DIALECTS[number];

const HELP_AFTER = `
Examples:
  argo-ts expr '{{= asInt(inputs.parameters.n) + 1}}' --var inputs.parameters.n=41
  argo-ts expr 'filter([1, 2, 3], {# > 1})'
  argo-ts expr 'heads == {{steps.flip.outputs.result}}' --dialect when --var steps.flip.outputs.result=heads
  argo-ts expr 'A && (B.Failed || C)' --dialect depends --var A=Succeeded --var B=Failed --var C=Skipped

For depends, each variable is a task: a phase (Succeeded, Failed, Error, Skipped, Omitted), a
list of child phases for a fanned-out task, or a map with phase, daemoned, childPhases and
continueOn.
`;

export function exprCommand(ctx: CliContext) {
  return new Command("expr")
    .description("Evaluate an expression or template string and print the result as JSON")
    .argument("<text>", "the expression, condition or template string")
    .addOption(
      new Option(
        "--dialect <dialect>",
        "how to read the text (default: template if it contains {{, else expr)",
      ).choices(DIALECTS),
    )
    .option(
      "--var <name=value>",
      "a variable (repeatable); dotted names nest, values are JSON when they parse",
      (value: string, previous: string[] | undefined) => [...(previous ?? []), value],
    )
    .option("--vars <file>", "a JSON or YAML map of variables ('-' reads standard input)")
    .option("--explain", "print the dialect, the text after substitution and the value")
    .addHelpText("after", HELP_AFTER)
    .action(async (text, options) => {
      const vars = await loadVariables(ctx, options.vars, options.var ?? []);
      if (vars === undefined) return;
      const dialect: Dialect = options.dialect ?? (text.includes("{{") ? "template" : "expr");
      const outcome = run(dialect, text, vars);
      if (!outcome.result.ok) {
        ctx.io.err(formatError(outcome.result.error, outcome.shown));
        ctx.exitCode = 1;
        return;
      }
      const json = toJson(outcome.result.value);
      if (options.explain) {
        ctx.io.out(`dialect: ${dialect}\n`);
        ctx.io.out(`text: ${outcome.shown}\n`);
        ctx.io.out(`value: ${json}\n`);
      } else {
        ctx.io.out(json + "\n");
      }
    });
}

interface Outcome {
  result: Result<unknown>;
  /** The text an error offset refers to (after substitution, for `when`). */
  shown: string;
}

function run(dialect: Dialect, text: string, vars: Record<string, unknown>): Outcome {
  switch (dialect) {
    case "expr":
      return { result: evaluateExpression(text, vars), shown: text };
    case "template": {
      const result = substituteString(text, flatten(vars), { strict: true });
      return { result, shown: result.ok ? result.value : text };
    }
    case "when": {
      const substituted = substituteString(text, flatten(vars), { strict: true });
      if (!substituted.ok) return { result: substituted, shown: text };
      return { result: evaluateWhen(substituted.value), shown: substituted.value };
    }
    case "depends": {
      const tasks = new Map<string, TaskResultView>();
      for (const [name, value] of Object.entries(vars)) tasks.set(name, taskView(value));
      return { result: evaluateDepends(text, (task) => tasks.get(task)), shown: text };
    }
  }
}

function taskView(value: unknown): TaskResultView {
  if (Array.isArray(value)) {
    const childPhases = value.map(String);
    const phase = childPhases.every((p) => p === "Succeeded" || p === "Skipped")
      ? "Succeeded"
      : "Failed";
    return { phase, childPhases };
  }
  if (value !== null && typeof value === "object") {
    const fields = value as Record<string, unknown>;
    const view: TaskResultView = { phase: String(fields.phase ?? "Succeeded") };
    if (fields.daemoned === true) view.daemoned = true;
    const children = fields.childPhases ?? fields.children;
    if (Array.isArray(children)) view.childPhases = children.map(String);
    const continueOn = fields.continueOn;
    if (continueOn !== null && typeof continueOn === "object") {
      const c = continueOn as Record<string, unknown>;
      view.continueOn = { failed: c.failed === true, error: c.error === true };
    }
    return view;
  }
  return { phase: String(value) };
}

/** Reads `--vars` and applies the `--var` pairs on top. Undefined after reporting an error. */
async function loadVariables(
  ctx: CliContext,
  file: string | undefined,
  pairs: string[],
): Promise<Record<string, unknown> | undefined> {
  let vars: Record<string, unknown> = {};
  if (file !== undefined) {
    let source: string;
    try {
      source = file === "-" ? await ctx.io.readStdin() : await Deno.readTextFile(file);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      ctx.io.err(`argo-ts expr: cannot read ${file}: ${reason}\n`);
      ctx.exitCode = 1;
      return undefined;
    }
    let parsed: unknown;
    try {
      parsed = parseYaml(source);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      ctx.io.err(`argo-ts expr: ${file} is not valid JSON or YAML: ${reason}\n`);
      ctx.exitCode = 1;
      return undefined;
    }
    if (parsed === null || parsed === undefined) parsed = {};
    if (typeof parsed !== "object" || Array.isArray(parsed)) {
      ctx.io.err(`argo-ts expr: ${file} must hold a map of variables\n`);
      ctx.exitCode = 1;
      return undefined;
    }
    vars = parsed as Record<string, unknown>;
  }
  for (const pair of pairs) {
    const eq = pair.indexOf("=");
    if (eq <= 0) {
      ctx.io.err(`argo-ts expr: --var needs name=value, got ${JSON.stringify(pair)}\n`);
      ctx.exitCode = EXIT_USAGE;
      return undefined;
    }
    setPath(vars, pair.slice(0, eq), parseValue(pair.slice(eq + 1)));
  }
  return vars;
}

function parseValue(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function setPath(target: Record<string, unknown>, name: string, value: unknown): void {
  const parts = name.split(".");
  let current = target;
  for (const part of parts.slice(0, -1)) {
    const next = Object.hasOwn(current, part) ? current[part] : undefined;
    if (next !== null && typeof next === "object" && !Array.isArray(next)) {
      current = next as Record<string, unknown>;
    } else {
      const created: Record<string, unknown> = {};
      Object.defineProperty(current, part, {
        value: created,
        enumerable: true,
        writable: true,
        configurable: true,
      });
      current = created;
    }
  }
  Object.defineProperty(current, parts[parts.length - 1], {
    value,
    enumerable: true,
    writable: true,
    configurable: true,
  });
}

/** Argo's flat map: dotted names to strings; maps also give their own name as JSON text. */
function flatten(vars: Record<string, unknown>): Record<string, string> {
  const flat: Record<string, string> = Object.create(null);
  const visit = (value: unknown, name: string) => {
    if (value !== null && typeof value === "object" && !Array.isArray(value)) {
      if (name !== "") flat[name] = JSON.stringify(value);
      for (const [key, child] of Object.entries(value)) {
        visit(child, name === "" ? key : `${name}.${key}`);
      }
      return;
    }
    flat[name] = typeof value === "string" ? value : JSON.stringify(value) ?? "null";
  };
  visit(vars, "");
  return flat;
}

/** Prints a result as JSON: maps with sorted keys, times as RFC 3339, durations as Go writes them. */
function toJson(value: unknown): string {
  return JSON.stringify(plain(value));
}

function plain(value: unknown): unknown {
  if (value instanceof ExprTime || value instanceof ExprDuration) {
    return value instanceof ExprTime
      ? formatExpressionResult(value)
      : Number(formatExpressionResult(value));
  }
  if (value instanceof ExprFunction) return `<function ${value.name}>`;
  if (Array.isArray(value)) return value.map(plain);
  if (value !== null && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) {
      Object.defineProperty(out, key, {
        value: plain((value as Record<string, unknown>)[key]),
        enumerable: true,
      });
    }
    return out;
  }
  if (typeof value === "number" && !Number.isFinite(value)) return String(value);
  return value;
}

/** `argo-ts expr: message`, then the line of text with a caret under the offset. */
export function formatError(error: TemplatingError, text: string): string {
  const offset = Math.max(0, Math.min(error.offset, text.length));
  const lineStart = text.lastIndexOf("\n", offset - 1) + 1;
  const lineEndAt = text.indexOf("\n", offset);
  const lineEnd = lineEndAt < 0 ? text.length : lineEndAt;
  let line = text.slice(lineStart, lineEnd);
  let column = offset - lineStart;
  const lineNumber = text.slice(0, lineStart).split("\n").length;
  if (line.length > 100) {
    const from = Math.max(0, column - 50);
    const shown = line.slice(from, from + 100);
    column = column - from + (from > 0 ? 3 : 0);
    line = (from > 0 ? "..." : "") + shown + (from + 100 < line.length ? "..." : "");
  }
  const where = text.includes("\n")
    ? ` (line ${lineNumber}, column ${offset - lineStart + 1})`
    : ` (at offset ${offset})`;
  return `argo-ts expr: ${error.message}${where}\n  ${line}\n  ${" ".repeat(column)}^\n`;
}
