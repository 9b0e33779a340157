/** What a validation rule reports: plain data, independent of where the object came from. */

export type Severity = "error" | "warning";

/** One problem found in an object, located by field path. */
export interface Issue {
  severity: Severity;
  /** Stable rule identifier, e.g. `schema/unknown-field`. */
  rule: string;
  /** Field path in the object, e.g. `spec.templates[2].dag.tasks[0].depends`. */
  path: string;
  message: string;
  /** A near-miss name the user probably meant. */
  suggestion?: string;
  /** Point at the map key rather than the value (unknown fields). */
  onKey?: boolean;
  /** Text inside the value to point at (a `{{...}}` tag, a task name). */
  needle?: string;
}

/** Collects issues for one object. */
export class IssueList {
  readonly issues: Issue[] = [];

  error(rule: string, path: string, message: string, extra: Partial<Issue> = {}): void {
    this.issues.push({ severity: "error", rule, path, message, ...extra });
  }

  warning(rule: string, path: string, message: string, extra: Partial<Issue> = {}): void {
    this.issues.push({ severity: "warning", rule, path, message, ...extra });
  }
}

/** Levenshtein distance, bounded: returns `limit + 1` as soon as the distance exceeds `limit`. */
export function editDistance(a: string, b: string, limit: number): number {
  if (Math.abs(a.length - b.length) > limit) return limit + 1;
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    let rowMin = i;
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      const value = Math.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost);
      current.push(value);
      rowMin = Math.min(rowMin, value);
    }
    if (rowMin > limit) return limit + 1;
    previous = current;
  }
  return previous[b.length];
}

/** The candidate closest to `name`, if it is close enough to be a likely typo. */
export function closest(name: string, candidates: Iterable<string>): string | undefined {
  const limit = Math.max(2, Math.floor(name.length / 4));
  let best: string | undefined;
  let bestDistance = limit + 1;
  for (const candidate of candidates) {
    if (candidate === name) continue;
    const distance = candidate.toLowerCase() === name.toLowerCase()
      ? 0.5
      : editDistance(name, candidate, limit);
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best;
}
