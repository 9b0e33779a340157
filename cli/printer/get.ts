/**
 * `argo get`: the header block and the node tree, byte for byte as Argo prints them
 * (cmd/argo/commands/common/get.go), except that times are shown in UTC and relative to the
 * `now` the caller passes.
 *
 * @module
 */
import type { Artifact, NodeStatus, Workflow, WorkflowSpec } from "../../api/types.gen.ts";
import { formatTimestamp, humanizeDuration, parseTime, relativeDurationShort } from "./duration.ts";
import { podName, type PodNameVersion, podNameVersionOf } from "./pod_name.ts";
import { type FieldRequirement, matchesNode, parseFieldSelector } from "./selector.ts";
import { ansi, conditionMark, FG_DEFAULT, nodeMark, workflowStatusText } from "./style.ts";
import { tabwrite } from "./tabwriter.ts";
import { buildRenderForest, type RenderNode } from "./tree.ts";

export type GetOutput = "default" | "wide" | "short";

export interface GetOptions {
  /** The time relative times and running durations are measured against. */
  now: Date;
  output: GetOutput;
  color: boolean;
  utf8: boolean;
  /** Only rows of nodes matching this field selector (e.g. `phase=Failed`). */
  nodeFieldSelector?: string;
  /** `--status X`, the older spelling of `--node-field-selector phase=X`. */
  status?: string;
}

/** One header row: Go's `%-20s %v` (the label padded to 20 code points). */
function row(label: string, value: string | number): string {
  const width = Array.from(label).length;
  return `${label}${" ".repeat(Math.max(0, 20 - width))} ${value}\n`;
}

/** The spec the workflow runs: the stored copy of its WorkflowTemplate's spec when it has one. */
function execSpec(wf: Workflow): WorkflowSpec {
  return wf.status?.storedWorkflowTemplateSpec ?? wf.spec;
}

/** Argo's `ResourcesDuration` string: `5s*(1 cpu),3s*(100Mi memory)`, resources sorted. */
export function resourcesDurationString(rd: Record<string, number> | undefined): string {
  if (!rd) return "";
  return Object.keys(rd).sort().map((name) =>
    `${goDuration(rd[name])}*(${resourceDenominator(name)} ${name})`
  ).join(",");
}

function resourceDenominator(name: string): string {
  if (name === "memory") return "100Mi";
  if (name === "storage" || name === "ephemeral-storage") return "10Gi";
  return "1";
}

/** Go's `time.Duration.String()` for whole seconds: `0s`, `45s`, `1m5s`, `2h0m3s`. */
export function goDuration(seconds: number): string {
  const s = Math.trunc(seconds);
  if (s === 0) return "0s";
  const sign = s < 0 ? "-" : "";
  const abs = Math.abs(s);
  const h = Math.trunc(abs / 3600);
  const m = Math.trunc((abs % 3600) / 60);
  const sec = abs % 60;
  if (h > 0) return `${sign}${h}h${m}m${sec}s`;
  if (m > 0) return `${sign}${m}m${sec}s`;
  return `${sign}${sec}s`;
}

/** A location string for a workflow output artifact (Argo prints each kind's `String()`). */
function artifactLocation(art: Artifact): string | undefined {
  if (art.s3) {
    const protocol = art.s3.insecure ? "http" : "https";
    return `${protocol}://${art.s3.endpoint ?? ""}/${art.s3.bucket ?? ""}/${art.s3.key ?? ""}`;
  }
  if (art.git) return art.git.repo;
  if (art.http) return art.http.url;
  if (art.artifactory) return art.artifactory.url;
  if (art.hdfs) return `hdfs://${art.hdfs.path}`;
  if (art.raw) return art.raw.data;
  if (art.oss) return `oss://${art.oss.bucket ?? ""}/${art.oss.key}`;
  if (art.gcs) return `gs://${art.gcs.bucket ?? ""}/${art.gcs.key}`;
  if (art.azure) return `azblob://${art.azure.container ?? ""}/${art.azure.blob}`;
  return undefined;
}

/** The header block (everything above the blank line and the tree). */
export function printWorkflowHeader(
  wf: Workflow,
  options: Pick<GetOptions, "now" | "utf8" | "color">,
): string {
  const { now } = options;
  const status = wf.status ?? {};
  const spec = execSpec(wf);
  let out = "";
  out += row("Name:", wf.metadata.name ?? "");
  out += row("Namespace:", wf.metadata.namespace ?? "");
  let serviceAccount = spec.serviceAccountName ?? "";
  if (serviceAccount === "") {
    // Without a name the pods run as the namespace's "default" account; a workflow built from a
    // WorkflowTemplate may still get one from the template, so Argo only says "unset" there.
    serviceAccount = wf.spec.workflowTemplateRef
      ? "unset"
      : "unset (will run with the default ServiceAccount)";
  }
  out += row("ServiceAccount:", serviceAccount);
  out += row("Status:", workflowStatusText(wf));
  if (status.message) out += row("Message:", status.message);
  if (status.conditions && status.conditions.length > 0) {
    out += row("Conditions:", "");
    for (const condition of status.conditions) {
      const mark = conditionMark(condition.type, options.utf8, options.color);
      out += row(`${mark} ${condition.type ?? ""}`, condition.message || condition.status || "");
    }
  }
  out += row("Created:", formatTimestamp(wf.metadata.creationTimestamp, now));
  const started = parseTime(status.startedAt);
  const finished = parseTime(status.finishedAt);
  if (started !== undefined) out += row("Started:", formatTimestamp(status.startedAt, now));
  if (finished !== undefined) out += row("Finished:", formatTimestamp(status.finishedAt, now));
  if (started !== undefined) {
    out += row("Duration:", humanizeDuration((finished ?? now.getTime()) - started));
  }
  if (status.phase === "Running" && (status.estimatedDuration ?? 0) > 0) {
    out += row("EstimatedDuration:", humanizeDuration((status.estimatedDuration ?? 0) * 1000));
  }
  out += row("Progress:", status.progress ?? "");
  if (status.resourcesDuration && Object.keys(status.resourcesDuration).length > 0) {
    out += row("ResourcesDuration:", resourcesDurationString(status.resourcesDuration));
  }
  const params = spec.arguments?.parameters ?? [];
  if (params.length > 0) {
    out += row("Parameters:", "");
    for (const param of params) {
      if (param.value === undefined) continue;
      out += row(`  ${param.name}:`, param.value);
    }
  }
  const outputs = status.outputs;
  if (outputs) {
    if (outputs.parameters && outputs.parameters.length > 0) {
      out += row("Output Parameters:", "");
      for (const param of outputs.parameters) {
        const value = param.value ?? param.default;
        if (value !== undefined) out += row(`  ${param.name}:`, value);
      }
    }
    if (outputs.artifacts && outputs.artifacts.length > 0) {
      out += row("Output Artifacts:", "");
      for (const art of outputs.artifacts) {
        const location = artifactLocation(art);
        if (location !== undefined) out += row(`  ${art.name}:`, location);
      }
    }
  }
  return out;
}

interface TreeContext {
  wf: Workflow;
  wfName: string;
  options: GetOptions;
  selector?: FieldRequirement[];
  podNameVersion: PodNameVersion;
  lines: string[];
}

/** Argo's `filterNode`: [hide the row, draw the children as a group]. */
function filterNode(node: NodeStatus, ctx: TreeContext): [boolean, boolean] {
  if (node.type === "Retry" && (node.children?.length ?? 0) === 1) return [true, false];
  if (node.type === "StepGroup") return [true, true];
  if (node.type === "Skipped" && node.phase === "Omitted") return [true, false];
  if (ctx.selector && !matchesNode(ctx.selector, node)) return [true, false];
  return [false, false];
}

function artifactNames(node: NodeStatus): string {
  return (node.outputs?.artifacts ?? []).map((a) => a.name).join(",");
}

function printNode(ctx: TreeContext, node: NodeStatus, prefix: string): void {
  const { options } = ctx;
  const label = `${nodeMark(node, options.utf8, options.color)} ${node.displayName ?? ""}`;
  const template = node.templateRef
    ? `${node.templateRef.name ?? ""}/${node.templateRef.template ?? ""}`
    : node.templateName ?? "";
  const isPod = node.type === "Pod";
  let pod = "";
  let duration = "";
  if (isPod) {
    const podTemplate = node.templateRef?.template ?? node.templateName ?? "";
    pod = podName(ctx.wfName, node.name, podTemplate, node.id, ctx.podNameVersion);
    duration = relativeDurationShort(node.startedAt, node.finishedAt, options.now);
  }
  const message = node.message ?? "";
  const hostNode = isPod ? node.hostNodeName ?? "" : "";
  let cells: string[];
  if (options.output === "wide") {
    cells = [
      prefix + label,
      template,
      pod,
      duration,
      artifactNames(node),
      message,
      resourcesDurationString(node.resourcesDuration),
      hostNode,
    ];
  } else if (options.output === "short") {
    cells = [prefix + label, template, pod, duration, message, hostNode];
  } else {
    // Argo prints an empty cell after MESSAGE here too, so the column is padded.
    cells = [prefix + label, template, pod, duration, message, ""];
  }
  ctx.lines.push(cells.join("\t"));
}

// Connectors: [part, sub-prefix] for group members (first, middle, last, only) and for plain
// children (middle, last), in UTF-8 and ASCII.
const UTF8 = {
  only: ["──", "  "],
  first: ["┬─", "│ "],
  last: ["└─", "  "],
  middle: ["├─", "│ "],
} as const;
const ASCII = {
  only: ["--", "  "],
  first: ["+-", "| "],
  last: ["`-", "  "],
  middle: ["|-", "| "],
} as const;

function renderNodes(
  ctx: TreeContext,
  render: RenderNode,
  nodePrefix: string,
  childPrefix: string,
): void {
  const [filtered, childIndent] = filterNode(render.node, ctx);
  if (!filtered) printNode(ctx, render.node, nodePrefix);
  const glyphs = ctx.options.utf8 ? UTF8 : ASCII;
  const children = render.children;
  const maxIndex = children.length - 1;
  for (let i = 0; i <= maxIndex; i++) {
    let part = "";
    let sub = "";
    if (filtered && childIndent) {
      [part, sub] = maxIndex === 0
        ? glyphs.only
        : i === 0
        ? glyphs.first
        : i === maxIndex
        ? glyphs.last
        : glyphs.middle;
    } else if (!filtered) {
      [part, sub] = i === maxIndex ? glyphs.last : glyphs.middle;
    }
    // A hidden node's first child takes the hidden node's own place on its line.
    const childNodePrefix = filtered && i === 0 ? nodePrefix + part : childPrefix + part;
    renderNodes(ctx, children[i], childNodePrefix, childPrefix + sub);
  }
}

function treeHeader(options: GetOptions): string {
  const step = ansi("STEP", FG_DEFAULT, options.color);
  if (options.output === "wide") {
    return `${step}\tTEMPLATE\tPODNAME\tDURATION\tARTIFACTS\tMESSAGE\tRESOURCESDURATION\tNODENAME`;
  }
  if (options.output === "short") return `${step}\tTEMPLATE\tPODNAME\tDURATION\tMESSAGE\tNODENAME`;
  return `${step}\tTEMPLATE\tPODNAME\tDURATION\tMESSAGE`;
}

/** The node tree alone (header row included), or undefined when the workflow has no root node. */
export function printWorkflowTree(wf: Workflow, options: GetOptions): string | undefined {
  let selectorText = options.nodeFieldSelector ?? "";
  if (options.status) {
    if (selectorText !== "") throw new Error("cannot use both --status and --node-field-selector");
    selectorText = `phase=${options.status}`;
  }
  const forest = buildRenderForest(wf);
  if (!forest.main) return undefined;
  const ctx: TreeContext = {
    wf,
    wfName: wf.metadata.name ?? "",
    options,
    selector: selectorText === "" ? undefined : parseFieldSelector(selectorText),
    podNameVersion: podNameVersionOf(wf.metadata.annotations),
    lines: [treeHeader(options)],
  };
  renderNodes(ctx, forest.main, " ", " ");
  if (forest.onExit) {
    // Argo's separator row has five empty cells: in wide output the columns after it are
    // aligned apart from the main tree's.
    ctx.lines.push("\t\t\t\t\t");
    renderNodes(ctx, forest.onExit, " ", " ");
  }
  return tabwrite(ctx.lines, 2);
}

/** `argo get` output for one workflow. */
export function printWorkflowGet(wf: Workflow, options: GetOptions): string {
  const header = printWorkflowHeader(wf, options);
  const tree = printWorkflowTree(wf, options);
  if (tree === undefined) return header;
  // `-o short` prints the tree alone.
  return options.output === "short" ? tree : `${header}\n${tree}`;
}
