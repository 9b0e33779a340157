/**
 * Loading YAML and JSON manifests with source positions.
 *
 * Kubernetes and Argo read YAML 1.1 (go-yaml): `yes`/`on` are booleans, `0755` is octal. We read
 * values the same way, but keep map keys as written (a key is always a string in JSON). Every
 * value's position is kept by field path, so a finding can point at `file:line:col`.
 *
 * Hostile input is refused with a finding, never an exception: binary data, files past the size
 * cap, documents larger than the API server accepts, alias bombs and absurd nesting.
 */
import {
  type Document,
  isAlias,
  isMap,
  isPair,
  isScalar,
  isSeq,
  LineCounter,
  type Node as YamlNode,
  parseAllDocuments,
  type Scalar,
} from "yaml";

/** A half-open range of character offsets into the file's text. */
export interface SourceSpan {
  start: number;
  end: number;
}

/** Where one value sits in the source: its key (for map entries) and the value itself. */
export interface NodeSpans {
  key?: SourceSpan;
  value: SourceSpan;
}

/** A 1-based line and column. */
export interface SourcePosition {
  line: number;
  col: number;
}

/** One parsed document of a file. */
export interface SourceDocument {
  /** The file's path as the user gave it (or `-` for stdin). */
  file: string;
  /** The whole file's text (positions index into it). */
  text: string;
  /** 0-based index of the document within the file. */
  index: number;
  /** The document as plain JSON-compatible data. */
  value: unknown;
  /** Positions by field path (see {@link formatPath}); the root is "". */
  spans: Map<string, NodeSpans>;
  /** Turns an offset into a 1-based line and column. */
  position(offset: number): SourcePosition;
}

/** A problem found while loading: always positioned, one line of text. */
export interface LoadProblem {
  file: string;
  line: number;
  col: number;
  message: string;
}

export interface LoadResult {
  documents: SourceDocument[];
  problems: LoadProblem[];
}

/** Largest file we read at all. */
export const MAX_FILE_BYTES = 32 * 1024 * 1024;
/** Largest single document: the Kubernetes API server refuses request bodies past 3 MiB. */
export const MAX_DOCUMENT_BYTES = 3 * 1024 * 1024;
/** Deepest nesting of maps and lists we accept. */
export const MAX_DEPTH = 200;
/** Most alias dereferences per document (a billion-laughs file needs millions). */
export const MAX_ALIAS_EXPANSIONS = 10_000;
/** Most values per document, counting those reached through aliases. */
export const MAX_NODES = 2_000_000;

/** One field path segment: a map key or a list index. */
export type PathSegment = string | number;

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_-]*$/;

/** Formats a field path as users read it: `spec.templates[2].dag.tasks[0].depends`. */
export function formatPath(segments: readonly PathSegment[]): string {
  let out = "";
  for (const segment of segments) {
    if (typeof segment === "number") out += `[${segment}]`;
    else if (IDENTIFIER.test(segment)) out += out === "" ? segment : `.${segment}`;
    else out += `[${JSON.stringify(segment)}]`;
  }
  return out;
}

/** Extends a formatted path by one segment (same rules as {@link formatPath}). */
export function childPath(parent: string, segment: PathSegment): string {
  if (typeof segment === "number") return `${parent}[${segment}]`;
  if (IDENTIFIER.test(segment)) return parent === "" ? segment : `${parent}.${segment}`;
  return `${parent}[${JSON.stringify(segment)}]`;
}

/** Decodes bytes as UTF-8 text, refusing binary data. */
export function decodeText(bytes: Uint8Array): { ok: true; text: string } | {
  ok: false;
  message: string;
} {
  if (bytes.length > MAX_FILE_BYTES) {
    return {
      ok: false,
      message: `file is ${formatSize(bytes.length)}, larger than the ${
        formatSize(MAX_FILE_BYTES)
      } argo-ts reads; split it into smaller files`,
    };
  }
  if (bytes.includes(0)) {
    return { ok: false, message: "file is binary (it contains NUL bytes), not YAML or JSON" };
  }
  try {
    const text = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(bytes);
    return { ok: true, text };
  } catch {
    return { ok: false, message: "file is not UTF-8 text, so it cannot be YAML or JSON" };
  }
}

function formatSize(bytes: number): string {
  if (bytes >= 1024 * 1024) return `${(bytes / (1024 * 1024)).toFixed(1)} MiB`;
  if (bytes >= 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${bytes} bytes`;
}

/** Tags that YAML 1.1 adds but Kubernetes reads as plain strings (dates) or does not use. */
const DROPPED_TAGS = new Set(["tag:yaml.org,2002:timestamp", "tag:yaml.org,2002:binary"]);

/** Parses every document of a YAML or JSON file. Never throws on bad input. */
export function loadSource(text: string, file: string): LoadResult {
  const lineCounter = new LineCounter();
  const position = (offset: number): SourcePosition => {
    const pos = lineCounter.linePos(Math.max(0, Math.min(offset, text.length)));
    return { line: pos.line, col: pos.col };
  };
  const problems: LoadProblem[] = [];
  const problemAt = (offset: number, message: string) => {
    const pos = position(offset);
    problems.push({ file, line: pos.line, col: pos.col, message });
  };
  if (text.length > MAX_FILE_BYTES) {
    problemAt(0, `file is larger than ${formatSize(MAX_FILE_BYTES)}; split it into smaller files`);
    return { documents: [], problems };
  }
  const looksLikeJson = /^\s*[[{]/.test(text);
  let docs: Document.Parsed[];
  try {
    docs = parseAllDocuments(text, {
      lineCounter,
      version: looksLikeJson ? "1.2" : "1.1",
      merge: !looksLikeJson,
      uniqueKeys: true,
      prettyErrors: false,
      customTags: (tags) =>
        tags.filter((tag) => typeof tag === "string" || !DROPPED_TAGS.has(tag.tag)),
    }) as Document.Parsed[];
  } catch (error) {
    // The YAML parser recurses; a stack overflow here means absurd nesting.
    const message = error instanceof RangeError
      ? `nesting is too deep (more than ${MAX_DEPTH} levels of maps and lists)`
      : `cannot parse: ${error instanceof Error ? error.message : String(error)}`;
    problemAt(0, message);
    return { documents: [], problems };
  }
  if (!Array.isArray(docs)) docs = [docs];

  const documents: SourceDocument[] = [];
  docs.forEach((doc, index) => {
    const firstError = doc.errors[0];
    if (firstError) {
      problemAt(firstError.pos[0], yamlErrorMessage(firstError.message, firstError.code));
      return;
    }
    const [start, , end] = doc.range;
    if (end - start > MAX_DOCUMENT_BYTES) {
      problemAt(
        start,
        `document is ${formatSize(end - start)}, larger than the ${
          formatSize(MAX_DOCUMENT_BYTES)
        } a Kubernetes API server accepts`,
      );
      return;
    }
    if (doc.contents === null) return; // an empty document, as kubectl skips it
    const spans = new Map<string, NodeSpans>();
    const converter = new Converter(doc, spans);
    const converted = converter.convert(doc.contents, "", 0, true);
    if (converter.problem) {
      problemAt(converter.problem.offset, converter.problem.message);
      return;
    }
    // An empty document (`---` alone, or only comments) is skipped, as kubectl skips it.
    if (converted === null) return;
    documents.push({ file, text, index, value: converted, spans, position });
  });
  return { documents, problems };
}

function yamlErrorMessage(message: string, code: string): string {
  if (message.includes("Maximum call stack")) {
    return `nesting is too deep (more than ${MAX_DEPTH} levels of maps and lists)`;
  }
  // The parser's messages carry a trailing code frame after the first line; keep the first line.
  const first = message.split("\n")[0].replace(/ at line \d+, column \d+:?$/, "");
  if (code === "DUPLICATE_KEY") return `duplicate key: ${first}`;
  return first;
}

/** Converts the YAML syntax tree to plain data, recording spans and enforcing the bounds. */
class Converter {
  problem: { offset: number; message: string } | undefined;
  #aliasExpansions = 0;
  #nodes = 0;

  constructor(
    private readonly doc: Document.Parsed,
    private readonly spans: Map<string, NodeSpans>,
  ) {}

  convert(node: unknown, path: string, depth: number, record: boolean): unknown {
    if (this.problem) return null;
    if (++this.#nodes > MAX_NODES) {
      this.fail(node, `document expands to more than ${MAX_NODES} values; refusing it`);
      return null;
    }
    if (depth > MAX_DEPTH) {
      this.fail(node, `nesting is too deep (more than ${MAX_DEPTH} levels of maps and lists)`);
      return null;
    }
    if (record) this.record(path, node);
    if (isAlias(node)) {
      if (++this.#aliasExpansions > MAX_ALIAS_EXPANSIONS) {
        this.fail(node, "too many alias references (possible alias bomb); refusing the document");
        return null;
      }
      const target = node.resolve(this.doc);
      if (target === undefined) {
        this.fail(node, `unknown alias *${node.source}`);
        return null;
      }
      // Values reached through an alias keep the alias's position.
      return this.convert(target, path, depth + 1, false);
    }
    if (isScalar(node)) return this.scalar(node);
    if (isSeq(node)) {
      const out: unknown[] = [];
      node.items.forEach((item, i) => {
        out.push(this.convert(item, childPath(path, i), depth + 1, record));
      });
      return out;
    }
    if (isMap(node)) {
      const out: Record<string, unknown> = {};
      const merged: Array<unknown> = [];
      for (const pair of node.items) {
        if (!isPair(pair)) continue;
        const keyNode = pair.key as YamlNode | null;
        const key = this.keyText(keyNode);
        if (key === undefined) return null;
        if (key === "<<" && isScalar(keyNode) && keyNode.source === "<<") {
          merged.push(pair.value);
          continue;
        }
        const child = childPath(path, key);
        if (record && isScalar(keyNode) && keyNode.range) {
          const keySpan = { start: keyNode.range[0], end: keyNode.range[1] };
          this.spans.set(child, { key: keySpan, value: rangeOf(pair.value) ?? keySpan });
        }
        setOwn(out, key, this.convert(pair.value, child, depth + 1, record));
      }
      // Merge keys (`<<: *base`): explicit keys win over merged ones.
      for (const source of merged) {
        const values = isSeq(source) ? source.items : [source];
        for (const item of values) {
          const resolved = this.convert(item, path, depth + 1, false);
          if (resolved === null || typeof resolved !== "object" || Array.isArray(resolved)) {
            this.fail(item, "a merge key (<<) must refer to a map or a list of maps");
            return null;
          }
          for (const [k, v] of Object.entries(resolved)) {
            if (!Object.hasOwn(out, k)) setOwn(out, k, v);
          }
        }
      }
      return out;
    }
    if (node === null || node === undefined) return null;
    this.fail(node, "unsupported YAML node");
    return null;
  }

  private record(path: string, node: unknown): void {
    const span = rangeOf(node);
    if (span && !this.spans.has(path)) this.spans.set(path, { value: span });
  }

  private keyText(keyNode: YamlNode | null): string | undefined {
    if (keyNode === null) return "";
    if (isScalar(keyNode)) {
      // Keys stay as written: `on:` is the key "on", not true.
      if (typeof keyNode.source === "string") return keyNode.source;
      return String(keyNode.value);
    }
    this.fail(keyNode, "map keys must be plain strings, not maps or lists");
    return undefined;
  }

  private scalar(node: Scalar): unknown {
    const value = node.value;
    if (typeof value === "number" && !Number.isFinite(value)) {
      this.fail(node, `the number ${node.source} has no JSON form; quote it to make it a string`);
      return null;
    }
    if (typeof value === "bigint") return Number(value);
    if (value === undefined) return null;
    if (value instanceof Uint8Array) return node.source;
    return value;
  }

  private fail(node: unknown, message: string): void {
    if (this.problem) return;
    this.problem = { offset: rangeOf(node)?.start ?? 0, message };
  }
}

function rangeOf(node: unknown): SourceSpan | undefined {
  if (node && typeof node === "object" && "range" in node) {
    const range = (node as { range?: [number, number, number] | null }).range;
    if (range) return { start: range[0], end: range[1] };
  }
  return undefined;
}

/** Sets an own property even for keys such as `__proto__`, which stay plain data. */
function setOwn(target: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(target, key, {
    value,
    enumerable: true,
    writable: true,
    configurable: true,
  });
}
