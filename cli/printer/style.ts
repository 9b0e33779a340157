/**
 * Icons, words and colours of Argo's CLI: phases as ◷ ● ✔ ○ ✖ ⚠ (words with `--no-utf8`), an
 * active suspend node as ǁ, each wrapped in an ANSI colour only when colour is on.
 *
 * @module
 */
import type { NodeStatus, Workflow } from "../../api/types.gen.ts";

export const FG_RED = 31;
export const FG_GREEN = 32;
export const FG_YELLOW = 33;
export const FG_CYAN = 36;
export const FG_DEFAULT = 39;

/** Wraps `text` in an ANSI colour when `color`; Argo resets with `ESC[0m`. */
export function ansi(text: string, code: number, color: boolean): string {
  return color ? `\x1b[${code}m${text}\x1b[0m` : text;
}

interface PhaseStyle {
  icon: string;
  word: string;
  code: number;
}

const PHASE_STYLES: Record<string, PhaseStyle> = {
  Pending: { icon: "◷", word: "Pending", code: FG_YELLOW },
  Running: { icon: "●", word: "Running", code: FG_CYAN },
  Succeeded: { icon: "✔", word: "Succeeded", code: FG_GREEN },
  Skipped: { icon: "○", word: "Skipped", code: FG_DEFAULT },
  Failed: { icon: "✖", word: "Failed", code: FG_RED },
  Error: { icon: "⚠", word: "Error", code: FG_RED },
};

const SUSPEND_STYLE: PhaseStyle = { icon: "ǁ", word: "Suspend", code: FG_CYAN };

/** Whether a node is a suspend node still waiting (Argo's `IsActiveSuspendNode`). */
export function isActiveSuspendNode(node: NodeStatus): boolean {
  return node.type === "Suspend" && node.phase === "Running";
}

function styleOf(phase: string | undefined): PhaseStyle | undefined {
  return phase === undefined ? undefined : PHASE_STYLES[phase];
}

/**
 * The status mark of a phase: icon or word, coloured if asked. Phases Argo has no icon for
 * (Omitted, unset) print as the empty string, as in Argo.
 */
export function phaseMark(phase: string | undefined, utf8: boolean, color: boolean): string {
  const style = styleOf(phase);
  if (!style) return "";
  return ansi(utf8 ? style.icon : style.word, style.code, color);
}

/** The mark Argo shows in front of a node's name (ǁ for an active suspend node). */
export function nodeMark(node: NodeStatus, utf8: boolean, color: boolean): string {
  if (isActiveSuspendNode(node)) {
    return ansi(utf8 ? SUSPEND_STYLE.icon : SUSPEND_STYLE.word, SUSPEND_STYLE.code, color);
  }
  return phaseMark(node.phase, utf8, color);
}

/** The colour code Argo uses for a phase, if any. */
export function phaseColor(phase: string | undefined): number | undefined {
  return styleOf(phase)?.code;
}

/** Icon and word for a condition type; Argo only marks MetricsError and SpecWarning. */
export function conditionMark(type: string | undefined, utf8: boolean, color: boolean): string {
  if (type === "MetricsError") return ansi(utf8 ? "✖" : "Error", FG_RED, color);
  if (type === "SpecWarning") return ansi(utf8 ? "⚠" : "Warning", FG_YELLOW, color);
  return "";
}

/** Whether the workflow is suspended: `spec.suspend` or an active suspend node. */
export function isWorkflowSuspended(wf: Workflow): boolean {
  if (wf.spec.suspend) return true;
  for (const node of Object.values(wf.status?.nodes ?? {})) {
    if (isActiveSuspendNode(node)) return true;
  }
  return false;
}

/**
 * Argo's status text: "Running (Suspended)", "Failed (Terminated)" when a shutdown was asked,
 * "Pending" for a created workflow without phase ("Unknown" if not even created), else the phase.
 */
export function workflowStatusText(wf: Workflow): string {
  const phase = wf.status?.phase ?? "";
  switch (phase) {
    case "Running":
      return isWorkflowSuspended(wf) ? "Running (Suspended)" : phase;
    case "Failed":
      return wf.spec.shutdown ? "Failed (Terminated)" : phase;
    case "":
    case "Pending":
      return wf.metadata.creationTimestamp ? "Pending" : "Unknown";
  }
  return phase;
}
