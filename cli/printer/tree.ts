/**
 * The node tree `argo get` draws, built the way Argo builds it (cmd/argo/commands/common/get.go)
 * but in one pass plus one sort per parent instead of Argo's repeated sorted inserts:
 *
 * - Steps and DAG nodes are *boundaries*: they hold every node whose `boundaryID` names them;
 * - StepGroup and Retry nodes are *parents*: they hold their `children`, which attach to them
 *   rather than to their boundary;
 * - Pod, Skipped, Suspend, HTTP and Plugin nodes are leaves; other types (TaskGroup, Container)
 *   are not drawn at all, and their children attach through their own `boundaryID`;
 * - nodes without a boundary that are nobody's child are roots (the workflow node, `<wf>.onExit`);
 * - siblings are ordered by `startedAt` (unset first), ties by loop index when both have one,
 *   else by display name.
 *
 * @module
 */
import type { NodeStatus, Workflow } from "../../api/types.gen.ts";
import { parseTime } from "./duration.ts";
import { nodeId } from "./pod_name.ts";

export type RenderKind = "boundary" | "parent" | "leaf";

export interface RenderNode {
  node: NodeStatus;
  kind: RenderKind;
  children: RenderNode[];
  /** `startedAt` in ms, -Infinity when unset (Go's zero time sorts first). */
  start: number;
  /** The loop index of `name(3:item)` display names, else -1. */
  index: number;
}

export interface RenderForest {
  /** The workflow's root node tree, if the workflow has its root node. */
  main?: RenderNode;
  /** The workflow-level exit handler's tree. */
  onExit?: RenderNode;
}

function kindOf(type: string): RenderKind | undefined {
  switch (type) {
    case "Steps":
    case "DAG":
      return "boundary";
    case "StepGroup":
    case "Retry":
      return "parent";
    case "Pod":
    case "Skipped":
    case "Suspend":
    case "HTTP":
    case "Plugin":
      return "leaf";
  }
  return undefined;
}

/** Argo's `RecoverIndexFromNodeName`: the number between the first "(" and the first ":". */
export function loopIndex(displayName: string): number {
  const open = displayName.indexOf("(");
  if (open < 0) return -1;
  const colon = displayName.indexOf(":");
  if (colon < 0) return -1;
  // Digits scanned by hand: this runs for every node, and a regular expression over a slice
  // was the slowest step of building a 10,000-node tree.
  let i = open + 1;
  let sign = 1;
  const first = displayName.charCodeAt(i);
  if (first === 43 /* + */ || first === 45 /* - */) {
    if (first === 45) sign = -1;
    i++;
  }
  if (i >= colon) return -1;
  let value = 0;
  for (; i < colon; i++) {
    const digit = displayName.charCodeAt(i) - 48;
    if (digit < 0 || digit > 9) return -1;
    value = value * 10 + digit;
  }
  return sign * value;
}

/** Argo's sibling order; the final ID comparison only makes ties deterministic. */
export function compareSiblings(a: RenderNode, b: RenderNode): number {
  if (a.start !== b.start) return a.start < b.start ? -1 : 1;
  if (a.index >= 0 && b.index >= 0) {
    if (a.index !== b.index) return a.index - b.index;
  } else {
    const an = a.node.displayName ?? "";
    const bn = b.node.displayName ?? "";
    if (an !== bn) return an < bn ? -1 : 1;
  }
  return a.node.id < b.node.id ? -1 : a.node.id > b.node.id ? 1 : 0;
}

/** Builds the render forest of `wf` in O(n log n). */
export function buildRenderForest(wf: Workflow): RenderForest {
  const nodes = wf.status?.nodes ?? {};
  const renderById = new Map<string, RenderNode>();
  // Children of StepGroup/Retry nodes attach to them, whatever their boundary says.
  const parentOfChild = new Map<string, RenderNode>();
  for (const [id, node] of Object.entries(nodes)) {
    const kind = kindOf(node.type);
    if (!kind) continue;
    const display = node.displayName ?? "";
    const render: RenderNode = {
      node,
      kind,
      children: [],
      start: parseTime(node.startedAt) ?? -Infinity,
      index: loopIndex(display),
    };
    renderById.set(id, render);
    if (kind === "parent") {
      for (const child of node.children ?? []) parentOfChild.set(child, render);
    }
  }
  const roots = new Map<string, RenderNode>();
  for (const [id, render] of renderById) {
    const parent = parentOfChild.get(id);
    if (parent) {
      parent.children.push(render);
      continue;
    }
    const boundaryId = render.node.boundaryID ?? "";
    if (boundaryId === "") {
      roots.set(id, render);
      continue;
    }
    const boundary = renderById.get(boundaryId);
    // Argo only attaches to boundary nodes; anything else is left out of the tree.
    if (boundary?.kind === "boundary") boundary.children.push(render);
  }
  for (const render of renderById.values()) {
    if (render.children.length > 1) render.children.sort(compareSiblings);
  }
  const name = wf.metadata.name ?? "";
  const onExitName = `${name}.onExit`;
  let onExit = roots.get(nodeId(name, onExitName));
  if (!onExit) {
    for (const root of roots.values()) {
      if (root.node.name === onExitName) onExit = root;
    }
  }
  return { main: roots.get(name), onExit };
}
