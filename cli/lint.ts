/**
 * `argo-ts lint FILE|DIR|-...`: Argo's validation, offline, with positioned findings.
 *
 * Prints `file:line:col: error: message`, the field path, the source line with a caret and a
 * "did you mean" suggestion; `-o json` prints the findings as JSON. Exit 0 when clean, 1 when
 * any error (warnings alone do not fail), 2 on a usage error.
 */
import { Command, Option } from "@commander-js/extra-typings";
import { decodeText, loadSource, type SourceDocument } from "../api/source.ts";
import { type Finding, lintDocuments } from "../validate/mod.ts";
import type { CliContext } from "./io.ts";
import { EXIT_USAGE } from "./not_built.ts";

const EXTENSIONS = [".yaml", ".yml", ".json"];
const KIND_FLAGS: Record<string, string> = {
  workflows: "Workflow",
  workflowtemplates: "WorkflowTemplate",
  clusterworkflowtemplates: "ClusterWorkflowTemplate",
  cronworkflows: "CronWorkflow",
  workfloweventbindings: "WorkflowEventBinding",
};

interface InputFile {
  display: string;
  read: () => Promise<Uint8Array>;
  explicit: boolean;
}

export function lintCommand(ctx: CliContext) {
  return new Command("lint")
    .description("Validate files or directories of manifests (Workflows, WorkflowTemplates, ...)")
    .argument("<paths...>", "files, directories, or - for standard input")
    .addOption(
      new Option("-o, --output <format>", "output format").choices(["pretty", "simple", "json"])
        .default("pretty"),
    )
    .option(
      "--kinds <kinds>",
      "kinds to lint: all, or a comma list of workflows, workflowtemplates, " +
        "clusterworkflowtemplates, cronworkflows, workfloweventbindings",
      "all",
    )
    .option("--no-color", "disable colour")
    .action(async (paths, options) => {
      const kinds = parseKinds(options.kinds);
      if (kinds === "invalid") {
        ctx.io.err(
          `argo-ts lint: unknown --kinds value "${options.kinds}"; use all or a comma list of ${
            Object.keys(KIND_FLAGS).join(", ")
          }\n`,
        );
        ctx.exitCode = EXIT_USAGE;
        return;
      }
      ctx.exitCode = await runLint(ctx, paths, {
        output: options.output,
        kinds,
        color: options.color && ctx.io.isTerminal && !ctx.io.env("NO_COLOR") &&
          ctx.io.env("TERM") !== "dumb",
      });
    });
}

function parseKinds(value: string): ReadonlySet<string> | undefined | "invalid" {
  if (value === "all") return undefined;
  const kinds = new Set<string>();
  for (const word of value.split(",").map((w) => w.trim().toLowerCase()).filter((w) => w)) {
    const kind = KIND_FLAGS[word] ?? KIND_FLAGS[`${word}s`];
    if (!kind) return "invalid";
    kinds.add(kind);
  }
  return kinds;
}

interface RunOptions {
  output: string;
  kinds: ReadonlySet<string> | undefined;
  color: boolean;
}

async function runLint(ctx: CliContext, paths: string[], options: RunOptions): Promise<number> {
  const findings: Finding[] = [];
  const inputs: InputFile[] = [];
  for (const path of paths) {
    const found = await collect(ctx, path, findings);
    inputs.push(...found);
  }
  const documents: SourceDocument[] = [];
  const documentsByFile = new Map<string, number>();
  for (const input of inputs) {
    let bytes: Uint8Array;
    try {
      bytes = await input.read();
    } catch (error) {
      findings.push(fileFinding(input.display, describeIoError(error)));
      continue;
    }
    const decoded = decodeText(bytes);
    if (!decoded.ok) {
      findings.push(fileFinding(input.display, decoded.message));
      continue;
    }
    const loaded = loadSource(decoded.text, input.display);
    for (const problem of loaded.problems) {
      findings.push({
        severity: "error",
        rule: "syntax",
        path: "",
        message: problem.message,
        file: problem.file,
        line: problem.line,
        col: problem.col,
        length: 1,
        sourceLine: decoded.text.split("\n")[problem.line - 1]?.replace(/\r$/, "") ?? "",
      });
    }
    documents.push(...loaded.documents);
    documentsByFile.set(input.display, loaded.documents.length + loaded.problems.length);
  }
  const result = lintDocuments(documents, { kinds: options.kinds });
  findings.push(...result.findings);
  for (const input of inputs) {
    if (input.explicit && documentsByFile.get(input.display) === 0) {
      findings.push(fileFinding(input.display, "file is empty: it holds no Kubernetes objects"));
    }
  }
  if (result.checked === 0 && result.filtered === 0 && findings.length === 0) {
    findings.push(
      fileFinding(paths.join(" "), "no Argo objects found (Workflow, WorkflowTemplate, ...)"),
    );
  }
  const errors = findings.filter((f) => f.severity === "error").length;
  const warnings = findings.length - errors;
  if (options.output === "json") {
    ctx.io.out(JSON.stringify(findings.map(toJson), null, 2) + "\n");
  } else {
    for (const finding of findings) ctx.io.out(formatFinding(finding, options));
    const note = warnings > 0 ? ` (${warnings} warning${warnings === 1 ? "" : "s"})` : "";
    ctx.io.out(
      errors === 0
        ? `✔ no linting errors found!${note}\n`
        : `✖ ${errors} linting error${errors === 1 ? "" : "s"} found!${note}\n`,
    );
  }
  return errors === 0 ? 0 : 1;
}

async function collect(ctx: CliContext, path: string, findings: Finding[]): Promise<InputFile[]> {
  if (path === "-") {
    return [{
      display: "-",
      explicit: true,
      read: async () => new TextEncoder().encode(await ctx.io.readStdin()),
    }];
  }
  let info: Deno.FileInfo;
  try {
    info = await Deno.stat(path);
  } catch (error) {
    findings.push(fileFinding(path, describeIoError(error)));
    return [];
  }
  if (info.isFile) return [{ display: path, explicit: true, read: () => Deno.readFile(path) }];
  if (!info.isDirectory) {
    findings.push(fileFinding(path, "not a regular file or directory"));
    return [];
  }
  const files: InputFile[] = [];
  const walk = async (dir: string, depth: number): Promise<void> => {
    if (depth > 32) return;
    const entries: Deno.DirEntry[] = [];
    for await (const entry of Deno.readDir(dir)) entries.push(entry);
    entries.sort((a, b) => a.name.localeCompare(b.name));
    for (const entry of entries) {
      if (entry.name.startsWith(".") || entry.name === "node_modules") continue;
      const child = `${dir.replace(/\/+$/, "")}/${entry.name}`;
      if (entry.isDirectory) await walk(child, depth + 1);
      else if (entry.isFile && EXTENSIONS.some((ext) => entry.name.endsWith(ext))) {
        files.push({ display: child, explicit: false, read: () => Deno.readFile(child) });
      }
    }
  };
  await walk(path, 0);
  return files;
}

function describeIoError(error: unknown): string {
  if (error instanceof Deno.errors.NotFound) return "no such file or directory";
  if (error instanceof Deno.errors.PermissionDenied) return "permission denied";
  if (error instanceof Deno.errors.IsADirectory) return "is a directory";
  return error instanceof Error ? error.message : String(error);
}

function fileFinding(file: string, message: string): Finding {
  return {
    severity: "error",
    rule: "file",
    path: "",
    message,
    file,
    line: 1,
    col: 1,
    length: 1,
    sourceLine: "",
  };
}

function toJson(finding: Finding): Record<string, unknown> {
  return {
    file: finding.file,
    line: finding.line,
    col: finding.col,
    severity: finding.severity,
    rule: finding.rule,
    path: finding.path,
    object: finding.object,
    message: finding.message,
    suggestion: finding.suggestion,
  };
}

const RED = "\x1b[31m";
const YELLOW = "\x1b[33m";
const CYAN = "\x1b[36m";
const BOLD = "\x1b[1m";
const RESET = "\x1b[0m";

/** One finding, compiler style: location and message, field path, source line and caret. */
export function formatFinding(
  finding: Finding,
  options: { output: string; color: boolean },
): string {
  const paint = (code: string, text: string) => options.color ? `${code}${text}${RESET}` : text;
  const severity = finding.severity === "error"
    ? paint(BOLD + RED, "error")
    : paint(BOLD + YELLOW, "warning");
  const suggestion = finding.suggestion ? ` (did you mean "${finding.suggestion}"?)` : "";
  let out =
    `${finding.file}:${finding.line}:${finding.col}: ${severity}: ${finding.message}${suggestion}\n`;
  if (options.output === "simple") return out;
  if (finding.path || finding.object) {
    const where = [finding.path, finding.object ? `in ${finding.object}` : ""].filter((x) => x)
      .join(" ");
    out += `  ${paint(CYAN, "-->")} ${where}\n`;
  }
  if (finding.sourceLine) {
    const number = String(finding.line);
    const gutter = " ".repeat(number.length);
    const visible = finding.sourceLine.length > 200
      ? finding.sourceLine.slice(0, 200) + "..."
      : finding.sourceLine;
    const caretStart = Math.min(finding.col - 1, visible.length);
    const caretLength = Math.max(1, Math.min(finding.length, visible.length - caretStart));
    out += `  ${number} | ${visible}\n`;
    out += `  ${gutter} | ${" ".repeat(caretStart)}${
      paint(finding.severity === "error" ? RED : YELLOW, "^".repeat(caretLength))
    }\n`;
  }
  return out;
}
