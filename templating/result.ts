/**
 * Result values, errors and the bounds every parser and evaluator in `templating/` keeps.
 *
 * Expected failures (bad syntax, unknown names, wrong types, budgets exceeded) are returned as
 * {@link Result} values. Inside a parser or evaluator they travel as a {@link TemplatingFailure}
 * exception that the public entry points catch and turn into a Result; nothing else is caught.
 *
 * @module
 */

/** What went wrong, and where. */
export interface TemplatingError {
  message: string;
  /** 0-based offset into the text that was parsed */
  offset: number;
  /** For {@link substitute}: the JSON path of the string holding the tag, e.g. `container.args[0]`. */
  path?: string;
}

/** A value, or the error that prevented it. */
export type Result<T> = { ok: true; value: T } | { ok: false; error: TemplatingError };

/** Wraps a value as a successful {@link Result}. */
export function ok<T>(value: T): Result<T> {
  return { ok: true, value };
}

/** Wraps an error as a failed {@link Result}. */
export function err<T>(message: string, offset: number, path?: string): Result<T> {
  const error: TemplatingError = { message, offset };
  if (path !== undefined) error.path = path;
  return { ok: false, error };
}

/** The internal carrier of an expected failure; never escapes the public API. */
export class TemplatingFailure extends Error {
  constructor(message: string, readonly offset: number) {
    super(message);
    this.name = "TemplatingFailure";
  }
}

/** Throws a {@link TemplatingFailure}. */
export function fail(message: string, offset: number): never {
  throw new TemplatingFailure(message, offset);
}

/** The bounds. Each is checked before work that could exceed it is done. */
export const LIMITS = {
  /** Longest expression (`{{= }}`, `when`, `depends`) accepted, in UTF-16 code units. */
  maxExpressionLength: 256 * 1024,
  /** Longest template string accepted by substitution. */
  maxTemplateLength: 64 * 1024 * 1024,
  /** Deepest nesting of brackets, unary operators and syntax-tree levels. */
  maxDepth: 256,
  /** Evaluation steps (nodes visited plus loop iterations) one evaluation may take. */
  stepBudget: 1_000_000,
  /** Longest string an evaluation may build. */
  maxStringLength: 16 * 1024 * 1024,
  /** Most elements an evaluation may put in one list or map. */
  maxCollectionSize: 1_000_000,
} as const;

/** Quotes a value for a message: `"abc"`, shortened when long. */
export function quote(text: string, max = 80): string {
  const shown = text.length > max ? text.slice(0, max) + "..." : text;
  return JSON.stringify(shown);
}
