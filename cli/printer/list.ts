/**
 * `argo list`: a table (Go tabwriter, padding 3) of `NAME STATUS AGE DURATION PRIORITY MESSAGE`,
 * `-o wide` adding `P/R/C PARAMETERS`, `-A` prepending `NAMESPACE`; `-o name` prints names only.
 *
 * @module
 */
import type { Parameter, Workflow } from "../../api/types.gen.ts";
import { parseTime, relativeDurationShort, shortDuration, sinceZeroTime } from "./duration.ts";
import { workflowStatusText } from "./style.ts";
import { tabwrite } from "./tabwriter.ts";

export type ListOutput = "default" | "wide" | "name";

export interface ListOptions {
  now: Date;
  output: ListOutput;
  allNamespaces: boolean;
  noHeaders?: boolean;
}

/**
 * Argo's list order (`Workflows.Less`): unfinished workflows first, newest created first; then
 * finished ones, most recently finished first. Names break the remaining ties so output is
 * stable (Go's sort is not).
 */
export function compareForList(a: Workflow, b: Workflow): number {
  const aFinish = parseTime(a.status?.finishedAt);
  const bFinish = parseTime(b.status?.finishedAt);
  if (aFinish === undefined && bFinish !== undefined) return -1;
  if (aFinish !== undefined && bFinish === undefined) return 1;
  if (aFinish === undefined || bFinish === undefined) {
    const aCreated = parseTime(a.metadata.creationTimestamp) ?? -Infinity;
    const bCreated = parseTime(b.metadata.creationTimestamp) ?? -Infinity;
    if (aCreated !== bCreated) return bCreated - aCreated;
  } else if (aFinish !== bFinish) {
    return bFinish - aFinish;
  }
  const an = a.metadata.name ?? "";
  const bn = b.metadata.name ?? "";
  return an < bn ? -1 : an > bn ? 1 : 0;
}

/** Workflows in Argo's list order (a sorted copy). */
export function sortWorkflowsForList(wfs: Workflow[]): Workflow[] {
  return [...wfs].sort(compareForList);
}

/** Pod nodes pending, running and fulfilled (`P/R/C`). */
export function countPodNodes(wf: Workflow): [number, number, number] {
  let pending = 0;
  let running = 0;
  let completed = 0;
  for (const node of Object.values(wf.status?.nodes ?? {})) {
    if (node.type !== "Pod") continue;
    const phase = node.phase ?? "";
    const fulfilled = phase === "Succeeded" || phase === "Failed" || phase === "Error" ||
      phase === "Skipped" || phase === "Omitted" || (node.daemoned === true && phase !== "Pending");
    if (fulfilled) completed++;
    else if (phase === "Running") running++;
    else pending++;
  }
  return [pending, running, completed];
}

/**
 * `name=value,…` of the parameters that have values; values over 50 characters keep their
 * first 32 and last 15 characters around "...", as Argo cuts them.
 */
export function parameterString(params: Parameter[] | undefined): string {
  const parts: string[] = [];
  for (const param of params ?? []) {
    if (param.value === undefined) continue;
    let value = param.value;
    if (value.length > 50) value = `${value.slice(0, 32)}...${value.slice(value.length - 15)}`;
    parts.push(`${param.name}=${value}`);
  }
  return parts.join(",");
}

function isCompleted(wf: Workflow): boolean {
  const phase = wf.status?.phase;
  return phase === "Succeeded" || phase === "Failed" || phase === "Error";
}

/** Argo's reminder printed under tables of more than 100 (in)complete workflows. */
function costNudge(wfs: Workflow[]): string {
  let completed = 0;
  for (const wf of wfs) if (isCompleted(wf)) completed++;
  const incomplete = wfs.length - completed;
  if (completed <= 100 && incomplete <= 100) return "";
  let out = "\nYou have at least ";
  if (incomplete > 100) out += `${incomplete} incomplete `;
  if (incomplete > 100 && completed > 100) out += "and ";
  if (completed > 100) out += `${completed} completed `;
  out += "workflows. Reducing the total number of workflows will reduce your costs.\n";
  out += "Learn more at https://argo-workflows.readthedocs.io/en/latest/cost-optimisation/\n";
  return out;
}

/** `argo list` output; sorts the workflows the way Argo's command does before printing. */
export function printWorkflowList(wfs: Workflow[], options: ListOptions): string {
  if (wfs.length === 0) return "No workflows found\n";
  const sorted = sortWorkflowsForList(wfs);
  if (options.output === "name") return sorted.map((wf) => `${wf.metadata.name ?? ""}\n`).join("");
  const wide = options.output === "wide";
  const lines: string[] = [];
  if (!options.noHeaders) {
    const cells = ["NAME", "STATUS", "AGE", "DURATION", "PRIORITY", "MESSAGE"];
    if (options.allNamespaces) cells.unshift("NAMESPACE");
    if (wide) cells.push("P/R/C", "PARAMETERS");
    lines.push(cells.join("\t"));
  }
  for (const wf of sorted) {
    const created = parseTime(wf.metadata.creationTimestamp);
    const nowMs = options.now.getTime();
    const age = shortDuration(created === undefined ? sinceZeroTime(nowMs) : nowMs - created);
    const cells = [
      wf.metadata.name ?? "",
      workflowStatusText(wf),
      age,
      relativeDurationShort(wf.status?.startedAt, wf.status?.finishedAt, options.now),
      String(wf.spec.priority ?? 0),
      wf.status?.message ?? "",
    ];
    if (options.allNamespaces) cells.unshift(wf.metadata.namespace ?? "");
    if (wide) {
      const [p, r, c] = countPodNodes(wf);
      cells.push(`${p}/${r}/${c}`, parameterString(execParams(wf)));
    }
    lines.push(cells.join("\t"));
  }
  return tabwrite(lines, 3) + costNudge(wfs);
}

function execParams(wf: Workflow): Parameter[] | undefined {
  return wf.spec.arguments?.parameters;
}
