/**
 * Lint throughput: checking a 2,000-task DAG workflow, against the floor of parsing the same
 * YAML text with the `yaml` package alone (the least any YAML linter must do).
 */
import { parseAllDocuments } from "yaml";
import { loadSource } from "../api/source.ts";
import { lintDocuments } from "../validate/mod.ts";
import type { BenchScenario } from "./harness.ts";

function bigDag(tasks: number): string {
  const lines = [
    "apiVersion: argoproj.io/v1alpha1",
    "kind: Workflow",
    "metadata: {generateName: big-}",
    "spec:",
    "  entrypoint: main",
    "  templates:",
    "    - name: main",
    "      dag:",
    "        tasks:",
  ];
  for (let i = 0; i < tasks; i++) {
    const depends = i === 0 ? "" : `, depends: t${i - 1}`;
    lines.push(
      `          - {name: t${i}, template: echo${depends}, arguments: {parameters: [{name: m, value: "{{workflow.name}}-${i}"}]}}`,
    );
  }
  lines.push(
    "    - name: echo",
    "      inputs: {parameters: [{name: m}]}",
    '      container: {image: alpine, command: [echo, "{{inputs.parameters.m}}"]}',
  );
  return lines.join("\n") + "\n";
}

const text = bigDag(2000);

export const scenarios: BenchScenario[] = [{
  name: "lint of a 2,000-task DAG vs. YAML parse alone",
  run() {
    const loaded = loadSource(text, "big.yaml");
    const result = lintDocuments(loaded.documents);
    if (result.findings.some((f) => f.severity === "error")) {
      throw new Error("bench fixture invalid");
    }
  },
  floor() {
    parseAllDocuments(text, { version: "1.1" });
  },
}];
