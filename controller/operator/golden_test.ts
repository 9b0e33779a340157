/**
 * Golden fixtures: `testdata/<case>/workflow.yaml`, optional `observed.yaml`, and
 * `expected.yaml`. `UPDATE_GOLDEN=1` rewrites the expected files (review them before keeping).
 *
 * `observed.yaml` holds `mode` (`simulate`, the default, or `once`), `script` (pod behaviour for
 * the simulator), `pods`, `taskResults`, `configMaps`, `workflowTemplates`,
 * `clusterWorkflowTemplates`, `now` and `locks` (the lock table). `simulate` runs the workflow
 * to completion and records the final status and the pods created in order; `once` records one
 * reconcile (createPod actions are summarised as the pod's name, since pod specs belong to
 * pod_spec.ts's tests).
 */
import assert from "node:assert/strict";
import { parse, stringify } from "yaml";
import type { V1ConfigMap, V1Pod } from "@kubernetes/client-node";
import type { ClusterWorkflowTemplate, Workflow, WorkflowTemplate } from "../../api/types.gen.ts";
import type { WorkflowTaskResult } from "../../api/task_result.ts";
import { type ControllerConfig, DEFAULT_CONFIG } from "./config.ts";
import { reconcile } from "./reconcile.ts";
import { type PodScript, simulate } from "./simulator.ts";

interface Observed {
  mode?: "simulate" | "once";
  script?: Record<string, PodScript>;
  pods?: V1Pod[];
  taskResults?: WorkflowTaskResult[];
  configMaps?: V1ConfigMap[];
  workflowTemplates?: WorkflowTemplate[];
  clusterWorkflowTemplates?: ClusterWorkflowTemplate[];
  now?: string;
  /** The lock table the simulation starts with (synchronization). */
  locks?: Record<string, string[]>;
}

/** The fixtures' images leave `command` out, as Argo examples do: the config names it. */
const CONFIG: ControllerConfig = {
  ...DEFAULT_CONFIG,
  images: { busybox: { cmd: ["sh", "-c"] }, python: { cmd: ["python"] } },
};

const root = new URL("./testdata/", import.meta.url);
const update = Deno.env.get("UPDATE_GOLDEN") === "1";

function read(path: URL): string | undefined {
  try {
    return Deno.readTextFileSync(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw error;
  }
}

function run(workflow: Workflow, observed: Observed): unknown {
  if (observed.mode === "once") {
    const result = reconcile({
      workflow,
      pods: observed.pods ?? [],
      taskResults: observed.taskResults ?? [],
      workflowTemplates: observed.workflowTemplates ?? [],
      clusterWorkflowTemplates: observed.clusterWorkflowTemplates ?? [],
      configMaps: observed.configMaps ?? [],
      config: CONFIG,
      now: observed.now ?? "2026-01-01T00:00:00Z",
      ...(observed.locks ? { locks: { holders: observed.locks } } : {}),
    });
    return {
      ...result,
      actions: result.actions.map((a) =>
        a.type === "createPod" ? { type: a.type, name: a.pod.metadata?.name } : a
      ),
    };
  }
  const result = simulate({
    workflow,
    script: observed.script,
    workflowTemplates: observed.workflowTemplates,
    clusterWorkflowTemplates: observed.clusterWorkflowTemplates,
    configMaps: observed.configMaps,
    config: CONFIG,
    ...(observed.locks ? { locks: observed.locks } : {}),
  });
  return {
    labels: result.last.labels,
    podsCreated: result.podsCreated,
    status: result.workflow.status,
  };
}

// Other suites keep their own data under testdata/ too (pods/): a case is a directory with a
// workflow.yaml.
const cases = [...Deno.readDirSync(root)]
  .filter((e) => e.isDirectory && read(new URL(`${e.name}/workflow.yaml`, root)) !== undefined)
  .map((e) => e.name)
  .sort();

for (const name of cases) {
  Deno.test(`golden: ${name}`, () => {
    const dir = new URL(`${name}/`, root);
    const workflow = parse(read(new URL("workflow.yaml", dir))!) as Workflow;
    const observed = (parse(read(new URL("observed.yaml", dir)) ?? "{}") ?? {}) as Observed;
    const actual = JSON.parse(JSON.stringify(run(workflow, observed)));
    const expectedPath = new URL("expected.yaml", dir);
    if (update) {
      Deno.writeTextFileSync(expectedPath, stringify(actual, { lineWidth: 0 }));
      return;
    }
    const expected = read(expectedPath);
    assert.ok(expected !== undefined, `${name}: no expected.yaml (run with UPDATE_GOLDEN=1)`);
    assert.deepEqual(actual, parse(expected));
  });
}
