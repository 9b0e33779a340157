/**
 * Lints parsed manifests: kind and apiVersion, Argo's schema (strict: unknown fields are errors)
 * and Argo's validation rules, with every finding placed at its file, line and column.
 */
import { kindRoots } from "../api/schema.gen.ts";
import type { SourceDocument } from "../api/source.ts";
import type { Obj } from "./data.ts";
import { asObject, asString } from "./data.ts";
import { closest, type Issue, IssueList } from "./issue.ts";
import { checkSchema } from "./schema_check.ts";
import {
  ARGO_API_VERSION,
  ARGO_KINDS,
  type TemplateLibrary,
  validateArgoObject,
} from "./workflow.ts";

/** A positioned finding, ready to print. */
export interface Finding extends Issue {
  file: string;
  line: number;
  col: number;
  /** How many characters to underline on that line. */
  length: number;
  /** The text of the source line, for the caret display. */
  sourceLine: string;
  /** `Kind/name` of the object it is about, when known. */
  object?: string;
}

export interface LintResult {
  findings: Finding[];
  /** Argo objects checked. */
  checked: number;
  /** Other Kubernetes objects passed over (ConfigMaps, Secrets, ...). */
  skipped: number;
  /** Argo objects left out by the `kinds` option. */
  filtered: number;
}

export interface LintOptions {
  /** Only these kinds are checked (Argo's `--kinds`); all when absent. */
  kinds?: ReadonlySet<string>;
}

function isArgoKind(kind: string): boolean {
  return (ARGO_KINDS as readonly string[]).includes(kind);
}

/** Lints every document together, so templateRef and workflowTemplateRef resolve across files. */
export function lintDocuments(documents: SourceDocument[], options: LintOptions = {}): LintResult {
  const library: TemplateLibrary = {
    workflowTemplates: new Map(),
    clusterWorkflowTemplates: new Map(),
  };
  for (const doc of documents) {
    const object = asObject(doc.value);
    const name = asString(asObject(object?.metadata)?.name);
    if (!object || !name || object.apiVersion !== ARGO_API_VERSION) continue;
    if (object.kind === "WorkflowTemplate") library.workflowTemplates.set(name, object);
    if (object.kind === "ClusterWorkflowTemplate") {
      library.clusterWorkflowTemplates.set(name, object);
    }
  }
  const findings: Finding[] = [];
  let checked = 0;
  let skipped = 0;
  let filtered = 0;
  for (const doc of documents) {
    const issues = new IssueList();
    const object = asObject(doc.value);
    const outcome = checkKind(doc.value, issues);
    if (outcome === "skip") {
      skipped++;
      continue;
    }
    if (object && options.kinds && !options.kinds.has(String(object.kind))) {
      filtered++;
      continue;
    }
    checked++;
    if (outcome === "check" && object) {
      const kind = String(object.kind);
      checkSchema(object, kindRoots[kind] ?? kind, "", issues, (path) => rawScalar(doc, path));
      validateArgoObject(object, library, issues);
    }
    const label = object ? objectLabel(object) : undefined;
    for (const issue of issues.issues) findings.push(place(doc, issue, label));
  }
  findings.sort((a, b) => a.file.localeCompare(b.file) || a.line - b.line || a.col - b.col);
  return { findings, checked, skipped, filtered };
}

function objectLabel(object: Obj): string | undefined {
  const metadata = asObject(object.metadata);
  const name = asString(metadata?.name) ?? asString(metadata?.generateName);
  const kind = asString(object.kind);
  return kind && name ? `${kind}/${name}` : kind;
}

/** Decides whether a document is an Argo object to check, another object to skip, or invalid. */
function checkKind(value: unknown, issues: IssueList): "check" | "skip" | "invalid" {
  const object = asObject(value);
  if (!object) {
    issues.error(
      "kind/object",
      "",
      "not a Kubernetes object: expected a map with apiVersion and kind",
    );
    return "invalid";
  }
  const kind = object.kind;
  const apiVersion = object.apiVersion;
  if (typeof kind !== "string" || kind === "") {
    issues.error(
      "kind/missing",
      "",
      "missing kind: set kind to Workflow, WorkflowTemplate, ClusterWorkflowTemplate, CronWorkflow or WorkflowEventBinding",
    );
    return "invalid";
  }
  if (typeof apiVersion !== "string" || apiVersion === "") {
    issues.error("kind/api-version", "", `missing apiVersion: set apiVersion: ${ARGO_API_VERSION}`);
    return "invalid";
  }
  const argoGroup = apiVersion.startsWith("argoproj.io/");
  if (isArgoKind(kind)) {
    if (apiVersion !== ARGO_API_VERSION) {
      issues.error(
        "kind/api-version",
        "apiVersion",
        `apiVersion must be ${ARGO_API_VERSION} for kind ${kind}, not "${apiVersion}"`,
      );
      return "invalid";
    }
    return "check";
  }
  if (argoGroup) {
    issues.error("kind/unknown", "kind", `unknown kind "${kind}" in ${apiVersion}`, {
      suggestion: closest(kind, ARGO_KINDS),
    });
    return "invalid";
  }
  // A near-miss of an Argo kind in another group is a typo, not a ConfigMap.
  const near = closest(kind, ARGO_KINDS);
  if (near && kind !== near && /workflow/i.test(kind)) {
    issues.error("kind/unknown", "kind", `unknown kind "${kind}"`, { suggestion: near });
    return "invalid";
  }
  return "skip";
}

function rawScalar(doc: SourceDocument, path: string): string | undefined {
  const span = doc.spans.get(path)?.value;
  return span ? doc.text.slice(span.start, span.end) : undefined;
}

/** The enclosing field path: `a.b[2].c` -> `a.b[2]` -> `a.b` -> `a` -> "". */
export function parentPath(path: string): string {
  const match = /(\.[A-Za-z_][A-Za-z0-9_-]*|\[\d+\]|\["(?:[^"\\]|\\.)*"\])$/.exec(path);
  if (!match) return "";
  return path.slice(0, path.length - match[0].length);
}

function place(doc: SourceDocument, issue: Issue, object: string | undefined): Finding {
  let path = issue.path;
  let spans = doc.spans.get(path);
  while (!spans && path !== "") {
    path = parentPath(path);
    spans = doc.spans.get(path);
  }
  let start = 0;
  let length = 1;
  if (spans) {
    const span = issue.onKey && spans.key ? spans.key : spans.value;
    start = span.start;
    length = Math.max(1, span.end - span.start);
    if (issue.needle) {
      const found = doc.text.indexOf(issue.needle, span.start);
      if (found >= 0 && found < span.end) {
        start = found;
        length = issue.needle.length;
      }
    }
  }
  const pos = doc.position(start);
  const lineStart = start - (pos.col - 1);
  let lineEnd = doc.text.indexOf("\n", lineStart);
  if (lineEnd < 0) lineEnd = doc.text.length;
  const sourceLine = doc.text.slice(lineStart, lineEnd).replace(/\r$/, "");
  length = Math.max(1, Math.min(length, sourceLine.length - (pos.col - 1)));
  return { ...issue, file: doc.file, line: pos.line, col: pos.col, length, sourceLine, object };
}
