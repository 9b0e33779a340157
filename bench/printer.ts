/**
 * Benchmarks for the CLI printers, each against a floor taken in the same run:
 *
 * - the live view of a 10,000-node fan-out (one loop of 10,000 pods), against
 *   `JSON.stringify` of the workflow's status: any view has to at least look at every node once,
 *   and serialising the status is the cheapest such walk the platform offers;
 * - the live view of a 10,000-task DAG (nothing folds; the view is cut to the terminal height),
 *   against the same floor;
 * - `argo get` of the 10,000-node fan-out (every node becomes an aligned row), against the same
 *   floor.
 */
import { printWorkflowGet, renderLiveView } from "../cli/printer/mod.ts";
import { fanOutWorkflow, NOW, wideDagWorkflow } from "../cli/printer/testdata/fixtures.ts";
import type { BenchScenario } from "./harness.ts";

const NODES = 10_000;

const fanOut = fanOutWorkflow(NODES);
const wideDag = wideDagWorkflow(NODES);

const LIVE = { now: NOW, width: 120, height: 50, color: true, utf8: true };

export const scenarios: BenchScenario[] = [
  {
    name: "printer: live view, 10,000-node fan-out vs JSON.stringify(status)",
    run: () => void renderLiveView(fanOut, LIVE),
    floor: () => void JSON.stringify(fanOut.status),
  },
  {
    name: "printer: live view, 10,000-task DAG vs JSON.stringify(status)",
    run: () => void renderLiveView(wideDag, LIVE),
    floor: () => void JSON.stringify(wideDag.status),
  },
  {
    name: "printer: argo get, 10,000-node fan-out vs JSON.stringify(status)",
    run: () =>
      void printWorkflowGet(fanOut, { now: NOW, output: "default", color: false, utf8: true }),
    floor: () => void JSON.stringify(fanOut.status),
  },
];
