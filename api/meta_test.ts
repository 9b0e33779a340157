/**
 * Tests of the API constants: they keep Argo's exact spellings and stay consistent with each other.
 *
 * @module
 */
import assert from "node:assert/strict";
import * as meta from "./meta.ts";
import {
  API_GROUP,
  API_GROUP_VERSION,
  API_VERSION,
  isNodeFulfilled,
  isWorkflowCompleted,
  kindForResource,
  KINDS,
  NODE_FULFILLED_PHASES,
  NODE_PHASES,
  NODE_TYPES,
  WORKFLOW_COMPLETED_PHASES,
  WORKFLOW_PHASES,
} from "./meta.ts";

Deno.test("API group and version", () => {
  assert.equal(API_GROUP_VERSION, `${API_GROUP}/${API_VERSION}`);
  assert.equal(API_GROUP_VERSION, "argoproj.io/v1alpha1");
});

Deno.test("phases and node types are Argo's", () => {
  assert.deepEqual([...WORKFLOW_PHASES], ["Pending", "Running", "Succeeded", "Failed", "Error"]);
  assert.deepEqual([...NODE_PHASES].sort(), [
    "Error",
    "Failed",
    "Omitted",
    "Pending",
    "Running",
    "Skipped",
    "Succeeded",
  ]);
  assert.deepEqual([...NODE_TYPES].sort(), [
    "Container",
    "DAG",
    "HTTP",
    "Plugin",
    "Pod",
    "Retry",
    "Skipped",
    "StepGroup",
    "Steps",
    "Suspend",
    "TaskGroup",
  ]);
  for (const p of WORKFLOW_COMPLETED_PHASES) assert.ok(WORKFLOW_PHASES.includes(p));
  for (const p of NODE_FULFILLED_PHASES) assert.ok(NODE_PHASES.includes(p));
});

Deno.test("completion predicates", () => {
  const cases: [string | undefined, boolean, boolean][] = [
    ["Succeeded", true, true],
    ["Failed", true, true],
    ["Error", true, true],
    ["Skipped", false, true],
    ["Omitted", false, true],
    ["Running", false, false],
    ["Pending", false, false],
    ["", false, false],
    [undefined, false, false],
  ];
  for (const [phase, workflowDone, nodeDone] of cases) {
    assert.equal(isWorkflowCompleted(phase), workflowDone, `workflow ${phase}`);
    assert.equal(isNodeFulfilled(phase), nodeDone, `node ${phase}`);
  }
});

Deno.test("label and annotation keys use Argo's prefixes and are well-formed", () => {
  const keys = Object.entries(meta).filter(([name, value]) =>
    /^(LABEL|ANNOTATION|FINALIZER)_/.test(name) && typeof value === "string"
  ) as [string, string][];
  assert.ok(keys.length > 40);
  // A qualified Kubernetes key: DNS-subdomain prefix, then a name of at most 63 characters.
  const qualified = /^[a-z0-9.-]+\/[A-Za-z0-9]([A-Za-z0-9._-]{0,61}[A-Za-z0-9])?$/;
  for (const [name, key] of keys) {
    if (name.endsWith("_PREFIX")) {
      assert.ok(key.endsWith("-"), name);
      continue;
    }
    assert.match(key, qualified, name);
    if (key.startsWith("kubectl.kubernetes.io/") || key.startsWith("cronworkflows.")) continue;
    assert.ok(key.startsWith(meta.KEY_PREFIX), name);
  }
  assert.equal(meta.LABEL_COMPLETED, "workflows.argoproj.io/completed");
  assert.equal(meta.LABEL_WORKFLOW, "workflows.argoproj.io/workflow");
  assert.equal(meta.ANNOTATION_NODE_NAME, "workflows.argoproj.io/node-name");
  assert.equal(
    meta.LABEL_REPORT_OUTPUTS_COMPLETED,
    "workflows.argoproj.io/report-outputs-completed",
  );
  assert.equal(meta.LABEL_CRON_WORKFLOW_COMPLETED, "cronworkflows.argoproj.io/completed");
  assert.equal(meta.ANNOTATION_DEFAULT_CONTAINER, "kubectl.kubernetes.io/default-container");
  assert.deepEqual(
    [meta.MAIN_CONTAINER_NAME, meta.WAIT_CONTAINER_NAME, meta.INIT_CONTAINER_NAME],
    ["main", "wait", "init"],
  );
});

Deno.test("kinds: resource names, short names and scope", () => {
  assert.deepEqual(Object.keys(KINDS).sort(), [
    "ClusterWorkflowTemplate",
    "CronWorkflow",
    "Workflow",
    "WorkflowArtifactGCTask",
    "WorkflowEventBinding",
    "WorkflowTaskResult",
    "WorkflowTaskSet",
    "WorkflowTemplate",
  ]);
  assert.equal(KINDS.Workflow.plural, "workflows");
  assert.equal(KINDS.WorkflowArtifactGCTask.plural, "workflowartifactgctasks");
  assert.equal(KINDS.ClusterWorkflowTemplate.namespaced, false);
  assert.equal(KINDS.Workflow.statusSubresource, false);
  assert.equal(KINDS.WorkflowTaskSet.statusSubresource, true);
  const shortNames = Object.values(KINDS).flatMap((k) => k.shortNames);
  assert.equal(new Set(shortNames).size, shortNames.length, "short names are unique");
  for (const [kind, info] of Object.entries(KINDS)) {
    assert.equal(info.kind, kind);
    assert.equal(info.listKind, `${kind}List`);
  }
  const lookups: [string, string | undefined][] = [
    ["wf", "Workflow"],
    ["workflows", "Workflow"],
    ["Workflow", "Workflow"],
    ["cronwf", "CronWorkflow"],
    ["cwf", "CronWorkflow"],
    ["cwft", "ClusterWorkflowTemplate"],
    ["cwftmpl", "ClusterWorkflowTemplate"],
    ["wftmpl", "WorkflowTemplate"],
    ["wfeb", "WorkflowEventBinding"],
    ["wfts", "WorkflowTaskSet"],
    ["wfat", "WorkflowArtifactGCTask"],
    ["workflowtaskresult", "WorkflowTaskResult"],
    ["pods", undefined],
  ];
  for (const [name, kind] of lookups) assert.equal(kindForResource(name)?.kind, kind, name);
});
