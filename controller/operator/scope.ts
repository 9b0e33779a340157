/**
 * Variables a node's outputs put in scope for later steps and tasks (`steps.X.*`, `tasks.X.*`),
 * single nodes and loop aggregates, as Argo's buildLocalScope and processAggregateNodeOutputs do.
 *
 * @module
 */
import type { Artifact, NodeStatus } from "../../api/types.gen.ts";

/** The flat variable map for substitution, and artifacts by their `{{...}}` name. */
export interface Scope {
  vars: Record<string, string>;
  artifacts: Map<string, Artifact>;
}

export function newScope(base: Readonly<Record<string, string>>): Scope {
  return { vars: { ...base }, artifacts: new Map() };
}

/** `prefix.id`, `.status`, `.startedAt`, `.finishedAt`, `.exitCode`, `.outputs.*` of one node. */
export function addNodeToScope(scope: Scope, prefix: string, node: NodeStatus): void {
  const vars = scope.vars;
  vars[`${prefix}.id`] = node.id;
  if (node.startedAt) vars[`${prefix}.startedAt`] = node.startedAt;
  if (node.finishedAt) vars[`${prefix}.finishedAt`] = node.finishedAt;
  if (node.phase) vars[`${prefix}.status`] = node.phase;
  if (node.podIP) vars[`${prefix}.ip`] = node.podIP;
  const outputs = node.outputs;
  if (!outputs) return;
  if (outputs.result !== undefined) vars[`${prefix}.outputs.result`] = outputs.result;
  if (outputs.exitCode !== undefined) vars[`${prefix}.exitCode`] = outputs.exitCode;
  for (const parameter of outputs.parameters ?? []) {
    if (parameter.value !== undefined) {
      vars[`${prefix}.outputs.parameters.${parameter.name}`] = parameter.value;
    }
  }
  for (const artifact of outputs.artifacts ?? []) {
    scope.artifacts.set(`${prefix}.outputs.artifacts.${artifact.name}`, artifact);
  }
}

/**
 * A looped step or task: `prefix.outputs.result` is the JSON list of the iterations' results,
 * `prefix.outputs.parameters` the JSON list of their parameter maps, and
 * `prefix.outputs.parameters.P` the JSON list of P's values. Only Succeeded iterations count,
 * in loop order.
 */
export function addAggregateToScope(scope: Scope, prefix: string, nodes: NodeStatus[]): void {
  const parameterMaps: Record<string, string>[] = [];
  const valueLists = new Map<string, unknown[]>();
  const results: unknown[] = [];
  for (const node of nodes) {
    const outputs = node.outputs;
    if (!outputs || node.phase !== "Succeeded") continue;
    if (outputs.parameters && outputs.parameters.length > 0) {
      const map: Record<string, string> = {};
      for (const parameter of outputs.parameters) {
        const value = parameter.value ?? "";
        map[parameter.name] = value;
        let list = valueLists.get(parameter.name);
        if (!list) valueLists.set(parameter.name, list = []);
        list.push(jsonOrString(value));
      }
      parameterMaps.push(map);
    }
    if (outputs.result !== undefined) results.push(jsonOrString(outputs.result));
  }
  scope.vars[`${prefix}.outputs.result`] = JSON.stringify(results);
  scope.vars[`${prefix}.outputs.parameters`] = JSON.stringify(parameterMaps);
  for (const [name, list] of valueLists) {
    scope.vars[`${prefix}.outputs.parameters.${name}`] = JSON.stringify(list);
  }
}

/** A value that is JSON is aggregated as that JSON; any other text as a string. */
function jsonOrString(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
