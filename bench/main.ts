/**
 * `deno task bench`: runs every scenario next to its floor and prints ours/floor ratios.
 * Pass a substring to run only matching scenarios: `deno task bench substitution`.
 */
import {
  type AsyncBenchScenario,
  type BenchScenario,
  formatResult,
  measure,
  measureAsync,
} from "./harness.ts";
import { scenarios as lintScenarios } from "./lint.ts";
import { scenarios as printerScenarios } from "./printer.ts";
import { scenarios as operatorScenarios } from "./operator.ts";
import { scenarios as clusterScenarios } from "./cluster.ts";
import { scenarios as templatingScenarios } from "./templating.ts";
import { scenarios as controllerScenarios } from "./controller.ts";

const all: BenchScenario[] = [
  ...templatingScenarios,
  ...lintScenarios,
  ...printerScenarios,
  ...operatorScenarios,
  ...clusterScenarios,
];
const filter = Deno.args[0];
let missed = 0;
for (const scenario of all) {
  if (filter && !scenario.name.includes(filter)) continue;
  const result = measure(scenario);
  console.log(formatResult(result));
  if (result.target !== undefined && result.ratio > result.target) missed++;
}
const asyncScenarios: AsyncBenchScenario[] = [...controllerScenarios];
for (const scenario of asyncScenarios) {
  if (filter && !scenario.name.includes(filter)) continue;
  const result = await measureAsync(scenario);
  console.log(formatResult(result));
  if (result.target !== undefined && result.ratio > result.target) missed++;
}
if (missed > 0) console.log(`${missed} scenario(s) missed their target`);
