/**
 * Finding `{{...}}` tags in a string, as Argo's fasttemplate does: a tag runs from `{{` to the
 * first `}}` after it, so `{{a.{{b}}}}` is the tag `a.{{b` followed by the text `}}`; a stray
 * `}}` is plain text; a `{{` with no `}}` after it is an error. A tag is an expression tag when
 * `=` follows `{{` immediately (`{{=expr}}`); otherwise it is simple.
 *
 * @module
 */
import { err, ok, quote, type Result } from "./result.ts";

/** One tag found in a string. */
export interface Tag {
  kind: "simple" | "expression";
  /** trimmed text between {{ and }} (without the leading '=' for expression tags) */
  inner: string;
  /** offset of '{{' */
  start: number;
  /** offset just after '}}' */
  end: number;
}

/** Prefixes Argo treats as its own (unresolved tags with these are errors; others are left verbatim). */
export const KNOWN_PREFIXES: readonly string[] = [
  "item.",
  "steps.",
  "inputs.",
  "outputs.",
  "pod.",
  "workflow.",
  "tasks.",
];

/** Whether a tag name starts with one of the prefixes (`inputs.` matches `inputs.x`; `tasks` matches `tasks` and `tasks.x`). */
export function hasKnownPrefix(
  name: string,
  prefixes: readonly string[] = KNOWN_PREFIXES,
): boolean {
  for (const prefix of prefixes) {
    if (prefix.endsWith(".")) {
      if (name.startsWith(prefix)) return true;
    } else if (name === prefix || name.startsWith(prefix + ".")) {
      return true;
    }
  }
  return false;
}

/** The message for a `{{` with no closing `}}`. */
export function unclosedTagMessage(text: string, start: number): string {
  return `cannot find end tag "}}" for the tag starting ${quote(text.slice(start, start + 40))}`;
}

/** Finds every {{...}} tag in a string; unbalanced braces are an error. */
export function scanTags(text: string): Result<Tag[]> {
  const tags: Tag[] = [];
  let start = text.indexOf("{{");
  while (start >= 0) {
    const close = text.indexOf("}}", start + 2);
    if (close < 0) return err(unclosedTagMessage(text, start), start);
    const expression = text.charCodeAt(start + 2) === 61; // '='
    const raw = text.slice(start + (expression ? 3 : 2), close);
    tags.push({
      kind: expression ? "expression" : "simple",
      inner: raw.trim(),
      start,
      end: close + 2,
    });
    start = text.indexOf("{{", close + 2);
  }
  return ok(tags);
}
