/**
 * argo-ts's own live view for `submit --watch` and `watch`: a short summary, then the node tree
 * with every fan-out (loop children `name(0:…)`, `name(1:…)`, …) folded into one line per loop,
 * e.g. `● process ×4000: 3912 ✔ 80 ✖ 8 ◷`, its failures listed under it. The view fits the
 * terminal: at most `height` lines (the last one saying how many were left out), each cut to
 * `width` columns. Status never depends on colour alone: there is always a symbol or a word.
 *
 * Work is O(n log n) in the number of nodes: one pass builds the tree (see tree.ts), one pass
 * per level lays it out; nothing scans all nodes per node.
 *
 * @module
 */
import type { NodeStatus, Workflow } from "../../api/types.gen.ts";
import { humanizeDuration, parseTime, relativeDurationShort } from "./duration.ts";
import { isActiveSuspendNode, phaseColor, workflowStatusText } from "./style.ts";
import { buildRenderForest, type RenderNode } from "./tree.ts";

export interface LiveViewOptions {
  now: Date;
  /** Columns available; longer lines are cut. */
  width: number;
  /** Lines available, summary included. */
  height: number;
  color: boolean;
  utf8: boolean;
}

/** A run of text, coloured as a whole when colour is on. */
interface Part {
  text: string;
  color?: number;
}
type Line = Part[];

const DIM = 2;

/** Order in which phase counts are listed: finished first, then what is still to come. */
const COUNT_ORDER = ["Succeeded", "Failed", "Error", "Running", "Suspended", "Pending", "Skipped"];

const ICONS: Record<string, string> = {
  Succeeded: "✔",
  Failed: "✖",
  Error: "⚠",
  Running: "●",
  Suspended: "ǁ",
  Pending: "◷",
  Skipped: "○",
  Omitted: "○",
};

/** The phase a node is shown with; an active suspend node shows as "Suspended". */
function shownPhase(node: NodeStatus): string {
  if (isActiveSuspendNode(node)) return "Suspended";
  return node.phase || "Pending";
}

function mark(phase: string, utf8: boolean): Part {
  const color = phase === "Suspended" ? phaseColor("Running") : phaseColor(phase);
  return { text: utf8 ? ICONS[phase] ?? "?" : phase, color };
}

/** `3912 ✔ 80 ✖ 8 ◷` (or `3912 Succeeded 80 Failed 8 Pending`) from phase counts. */
function countParts(counts: Map<string, number>, utf8: boolean): Line {
  const parts: Line = [];
  const phases = [...COUNT_ORDER, ...[...counts.keys()].filter((p) => !COUNT_ORDER.includes(p))];
  for (const phase of phases) {
    const count = counts.get(phase);
    if (!count) continue;
    if (parts.length > 0) parts.push({ text: " " });
    parts.push({ text: `${count} ` }, mark(phase, utf8));
  }
  return parts;
}

/** The phase a folded loop is shown with: running if anything runs or waits, else the worst. */
function groupPhase(counts: Map<string, number>): string {
  for (const phase of ["Running", "Suspended", "Pending", "Error", "Failed", "Succeeded"]) {
    if (counts.get(phase)) return phase;
  }
  return "Skipped";
}

function isHidden(render: RenderNode): boolean {
  const node = render.node;
  if (node.type === "StepGroup") return true;
  if (node.type === "Retry" && (node.children?.length ?? 0) === 1) return true;
  return node.type === "Skipped" && node.phase === "Omitted";
}

/** A node's visible children: hidden nodes (step groups, single retries) give up theirs. */
function visibleChildren(render: RenderNode, out: RenderNode[] = []): RenderNode[] {
  for (const child of render.children) {
    if (isHidden(child)) visibleChildren(child, out);
    else out.push(child);
  }
  return out;
}

/** An entry of a laid-out level: one node, or one folded loop. */
type Entry = { kind: "node"; render: RenderNode } | {
  kind: "loop";
  base: string;
  members: RenderNode[];
};

/** Folds siblings `base(0:…)`, `base(1:…)`… into one entry placed where the first one was. */
function foldLoops(children: RenderNode[]): Entry[] {
  const entries: Entry[] = [];
  const loops = new Map<string, RenderNode[]>();
  for (const child of children) {
    const display = child.node.displayName ?? "";
    if (child.index >= 0) {
      const base = display.slice(0, display.indexOf("("));
      const members = loops.get(base);
      if (members) {
        members.push(child);
        continue;
      }
      const created: RenderNode[] = [child];
      loops.set(base, created);
      entries.push({ kind: "loop", base, members: created });
      continue;
    }
    entries.push({ kind: "node", render: child });
  }
  // A "loop" of one is just a node.
  return entries.map((entry) =>
    entry.kind === "loop" && entry.members.length === 1
      ? { kind: "node", render: entry.members[0] }
      : entry
  );
}

const FAILED_SHOWN = 3;

interface Layout {
  options: LiveViewOptions;
  /** Lines kept: at most `capacity`; the rest are only counted in `overflow`. */
  lines: Line[];
  capacity: number;
  overflow: number;
  glyphs: { middle: string; last: string; pipe: string; blank: string; times: string };
}

/**
 * Adds a line unless the view is full, in which case it is only counted: the lines below the
 * fold of a 10,000-node tree are never built.
 */
function emit(layout: Layout, make: () => Line): void {
  if (layout.lines.length < layout.capacity) layout.lines.push(make());
  else layout.overflow++;
}

function nodeLine(layout: Layout, prefix: string, node: NodeStatus): Line {
  const { options } = layout;
  const line: Line = [{ text: prefix }, mark(shownPhase(node), options.utf8)];
  line.push({ text: ` ${node.displayName ?? node.name}` });
  if (node.type === "Pod" && node.startedAt) {
    line.push({
      text: `  ${relativeDurationShort(node.startedAt, node.finishedAt, options.now)}`,
      color: DIM,
    });
  }
  if (node.message) line.push({ text: `  ${node.message}` });
  return line;
}

function layoutLevel(layout: Layout, render: RenderNode, prefix: string): void {
  const entries = foldLoops(visibleChildren(render));
  const { glyphs } = layout;
  for (let i = 0; i < entries.length; i++) {
    const last = i === entries.length - 1;
    const head = prefix + (last ? glyphs.last : glyphs.middle);
    const next = prefix + (last ? glyphs.blank : glyphs.pipe);
    const entry = entries[i];
    if (entry.kind === "node") {
      emit(layout, () => nodeLine(layout, head, entry.render.node));
      layoutLevel(layout, entry.render, next);
      continue;
    }
    layoutLoop(layout, entry.base, entry.members, head, next);
  }
}

function layoutLoop(
  layout: Layout,
  base: string,
  members: RenderNode[],
  head: string,
  next: string,
): void {
  const { options, glyphs } = layout;
  const counts = new Map<string, number>();
  const failed: RenderNode[] = [];
  for (const member of members) {
    const phase = shownPhase(member.node);
    counts.set(phase, (counts.get(phase) ?? 0) + 1);
    if ((phase === "Failed" || phase === "Error") && failed.length < FAILED_SHOWN) {
      failed.push(member);
    }
  }
  emit(layout, () => [
    { text: head },
    mark(groupPhase(counts), options.utf8),
    { text: ` ${base} ${glyphs.times}${members.length}: ` },
    ...countParts(counts, options.utf8),
  ]);
  // Failures are what one looks for in a big fan-out: name the first few.
  const failures = (counts.get("Failed") ?? 0) + (counts.get("Error") ?? 0);
  const shown = failed;
  const more = failures - shown.length;
  for (let i = 0; i < shown.length; i++) {
    const last = i === shown.length - 1 && more === 0;
    const node = shown[i].node;
    emit(layout, () => nodeLine(layout, next + (last ? glyphs.last : glyphs.middle), node));
  }
  if (more > 0) {
    emit(layout, () => [{ text: `${next}${glyphs.last}${more} more failed`, color: DIM }]);
  }
}

function summary(wf: Workflow, options: LiveViewOptions): Line[] {
  const status = wf.status ?? {};
  const text = workflowStatusText(wf);
  const phase = text === "Running (Suspended)" ? "Suspended" : status.phase || "Pending";
  const ns = wf.metadata.namespace ? `${wf.metadata.namespace}/` : "";
  // The status is always spelled out here; the icon only adds to it (and is dropped in ASCII,
  // where it would be the same word twice).
  const head: Line = options.utf8 ? [mark(phase, true), { text: " " }] : [];
  const color = phase === "Suspended" ? phaseColor("Running") : phaseColor(phase);
  head.push({ text, color }, { text: `  ${ns}${wf.metadata.name ?? ""}` });
  const started = parseTime(status.startedAt);
  if (started !== undefined) {
    const finished = parseTime(status.finishedAt) ?? options.now.getTime();
    head.push({ text: `  ${humanizeDuration(finished - started)}` });
  }
  if (status.progress) head.push({ text: `  progress ${status.progress}` });
  const lines: Line[] = [head];
  if (status.message) lines.push([{ text: `message: ${status.message}` }]);
  const counts = new Map<string, number>();
  for (const node of Object.values(status.nodes ?? {})) {
    if (node.type !== "Pod") continue;
    const shown = shownPhase(node);
    counts.set(shown, (counts.get(shown) ?? 0) + 1);
  }
  if (counts.size > 0) lines.push([{ text: "pods: " }, ...countParts(counts, options.utf8)]);
  return lines;
}

function codePoints(text: string): string[] {
  return Array.from(text);
}

/** Renders a line, cut to `width` columns with an ellipsis, colouring parts when asked. */
function renderLine(line: Line, width: number, options: LiveViewOptions): string {
  const ellipsis = options.utf8 ? "…" : "~";
  let total = 0;
  for (const part of line) total += codePoints(part.text).length;
  let budget = total > width ? Math.max(0, width - 1) : total;
  let out = "";
  for (const part of line) {
    if (budget <= 0) break;
    let text = part.text;
    const chars = codePoints(text);
    if (chars.length > budget) text = chars.slice(0, budget).join("");
    budget -= Math.min(chars.length, budget);
    out += options.color && part.color !== undefined && text !== ""
      ? `\x1b[${part.color}m${text}\x1b[0m`
      : text;
  }
  if (total > width && width > 0) out += ellipsis;
  return out;
}

/** The live view of `wf` as at most `options.height` lines of at most `options.width` columns. */
export function renderLiveView(wf: Workflow, options: LiveViewOptions): string[] {
  const height = Math.max(1, options.height);
  const layout: Layout = {
    options,
    lines: [],
    capacity: height,
    overflow: 0,
    glyphs: options.utf8
      ? { middle: "├─ ", last: "└─ ", pipe: "│  ", blank: "   ", times: "×" }
      : { middle: "|- ", last: "`- ", pipe: "|  ", blank: "   ", times: "x" },
  };
  for (const line of summary(wf, options)) emit(layout, () => line);
  const forest = buildRenderForest(wf);
  for (const root of [forest.main, forest.onExit]) {
    if (!root) continue;
    emit(layout, () => []);
    if (!isHidden(root)) emit(layout, () => nodeLine(layout, "", root.node));
    layoutLevel(layout, root, "");
  }
  let lines = layout.lines;
  if (layout.overflow > 0) {
    // The last line that fitted makes way for the count of what did not.
    const more = layout.overflow + 1;
    lines = [
      ...lines.slice(0, height - 1),
      [{ text: `${options.utf8 ? "…" : "..."} ${more} more`, color: DIM }],
    ];
  }
  return lines.map((line) => renderLine(line, Math.max(0, options.width), options));
}
