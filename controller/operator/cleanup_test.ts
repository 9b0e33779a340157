import assert from "node:assert/strict";
import type { Template, Workflow } from "../../api/types.gen.ts";
import { type ControllerConfig, DEFAULT_CONFIG } from "./config.ts";
import { selects } from "./cleanup.ts";
import { type PodScript, simulate } from "./simulator.ts";
import { podName } from "./names.ts";

const CONFIG: ControllerConfig = { ...DEFAULT_CONFIG, images: { busybox: { cmd: ["sh"] } } };

function run(
  extra: Partial<Workflow["spec"]>,
  script: Record<string, PodScript> = {},
  config: ControllerConfig = CONFIG,
) {
  const templates: Template[] = [
    {
      name: "main",
      steps: [[{ name: "a", template: "echo", continueOn: { failed: true } }], [{
        name: "b",
        template: "tagged",
      }]],
    },
    { name: "echo", container: { image: "busybox" } },
    { name: "tagged", metadata: { labels: { keep: "yes" } }, container: { image: "busybox" } },
  ];
  return simulate({
    workflow: {
      apiVersion: "argoproj.io/v1alpha1",
      kind: "Workflow",
      metadata: { name: "wf", namespace: "argo" },
      spec: { entrypoint: "main", templates, ...extra },
    },
    script,
    config,
  });
}

const podA = podName("wf", "wf[0].a", "echo");
const podB = podName("wf", "wf[1].b", "tagged");

Deno.test("podGC OnPodCompletion deletes each pod as its node completes", () => {
  const result = run({ podGC: { strategy: "OnPodCompletion" } }, { a: { exitCode: 1 } });
  assert.deepEqual(result.podsDeleted, [podA, podB]);
  assert.equal(result.workflow.status?.phase, "Succeeded");
});

Deno.test("podGC OnPodSuccess keeps failed pods", () => {
  const result = run({ podGC: { strategy: "OnPodSuccess" } }, { a: { exitCode: 1 } });
  assert.deepEqual(result.podsDeleted, [podB]);
});

Deno.test("podGC OnWorkflowCompletion: every pod, after deleteDelayDuration", () => {
  const result = run({ podGC: { strategy: "OnWorkflowCompletion", deleteDelayDuration: "30s" } });
  const deletes = result.last.actions.filter((a) => a.type === "deletePod");
  assert.deepEqual(deletes.map((a) => a.type === "deletePod" && [a.name, a.afterSeconds]), [
    [podA, 30],
    [podB, 30],
  ]);
});

Deno.test("podGC OnWorkflowSuccess keeps the pods of a failed workflow", () => {
  const failed = run({ podGC: { strategy: "OnWorkflowSuccess" } }, { b: { exitCode: 1 } });
  assert.equal(failed.workflow.status?.phase, "Failed");
  assert.deepEqual(failed.podsDeleted, []);
  assert.equal(failed.last.actions.filter((a) => a.type === "deletePod").length, 0);
  const succeeded = run({ podGC: { strategy: "OnWorkflowSuccess" } });
  assert.equal(succeeded.last.actions.filter((a) => a.type === "deletePod").length, 2);
});

Deno.test("podGC labelSelector and the controller's default delay", () => {
  const result = run(
    {
      podGC: {
        strategy: "OnWorkflowCompletion",
        labelSelector: { matchLabels: { keep: "yes" } },
      },
    },
    {},
    { ...CONFIG, podGCDeleteDelayDuration: "5s" },
  );
  const deletes = result.last.actions.filter((a) => a.type === "deletePod");
  assert.deepEqual(deletes.map((a) => a.type === "deletePod" && [a.name, a.afterSeconds]), [
    [podB, 5],
  ]);
});

Deno.test("podGC with a bad strategy or delay fails the workflow with one message", () => {
  const bad = run({ podGC: { strategy: "Sometimes" } });
  assert.equal(bad.workflow.status?.phase, "Failed");
  assert.match(
    bad.workflow.status?.message ?? "",
    /^invalid spec: .*'Sometimes'/,
  );
  assert.deepEqual(bad.podsCreated, []);
  const delay = run({ podGC: { strategy: "OnPodCompletion", deleteDelayDuration: "later" } });
  assert.equal(
    delay.workflow.status?.message,
    "invalid spec: invalid podGC.deleteDelayDuration 'later': not a duration",
  );
});

Deno.test("ttlStrategy: deleteWorkflow after the matching number of seconds", () => {
  const ttl = { secondsAfterCompletion: 100, secondsAfterSuccess: 10, secondsAfterFailure: 50 };
  const ok = run({ ttlStrategy: ttl });
  assert.deepEqual(ok.last.actions.filter((a) => a.type === "deleteWorkflow"), [
    { type: "deleteWorkflow", namespace: "argo", name: "wf", afterSeconds: 10 },
  ]);
  const failed = run({ ttlStrategy: ttl }, { b: { exitCode: 1 } });
  assert.deepEqual(failed.last.actions.filter((a) => a.type === "deleteWorkflow"), [
    { type: "deleteWorkflow", namespace: "argo", name: "wf", afterSeconds: 50 },
  ]);
  const completion = run({ ttlStrategy: { secondsAfterCompletion: 7 } }, { b: { exitCode: 1 } });
  assert.equal(
    completion.last.actions.find((a) => a.type === "deleteWorkflow")?.type === "deleteWorkflow",
    true,
  );
  const none = run({});
  assert.equal(none.last.actions.some((a) => a.type === "deleteWorkflow"), false);
});

Deno.test("label selectors: matchLabels and matchExpressions", () => {
  const labels = { app: "x", tier: "web" };
  assert.equal(selects(undefined, labels), true);
  assert.equal(selects({ matchLabels: { app: "x" } }, labels), true);
  assert.equal(selects({ matchLabels: { app: "y" } }, labels), false);
  assert.equal(
    selects({ matchExpressions: [{ key: "tier", operator: "In", values: ["web", "db"] }] }, labels),
    true,
  );
  assert.equal(
    selects({ matchExpressions: [{ key: "tier", operator: "NotIn", values: ["web"] }] }, labels),
    false,
  );
  assert.equal(
    selects({ matchExpressions: [{ key: "gone", operator: "DoesNotExist" }] }, labels),
    true,
  );
  assert.equal(selects({ matchExpressions: [{ key: "gone", operator: "Exists" }] }, labels), false);
  assert.equal(selects({ matchExpressions: [{ key: "app", operator: "Bogus" }] }, labels), false);
});
