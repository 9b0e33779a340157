import assert from "node:assert/strict";
import type { CronWorkflow, Workflow } from "../../api/types.gen.ts";
import { type CronDecision, type CronInput, decide } from "./schedule.ts";

const T = (iso: string) => new Date(iso);

function cron(spec: Partial<CronWorkflow["spec"]> = {}, extra: Partial<CronWorkflow> = {}) {
  const base: CronWorkflow = {
    apiVersion: "argoproj.io/v1alpha1",
    kind: "CronWorkflow",
    metadata: { name: "hello", namespace: "argo", uid: "cron-uid" },
    spec: {
      schedules: ["*/10 * * * *"],
      workflowSpec: { entrypoint: "main", templates: [{ name: "main" }] },
      ...spec,
    },
  };
  return { ...base, ...extra, metadata: { ...base.metadata, ...extra.metadata } };
}

function child(
  name: string,
  phase: string | undefined,
  finishedAt?: string,
): Workflow {
  return {
    metadata: {
      name,
      namespace: "argo",
      uid: `uid-${name}`,
      labels: { "workflows.argoproj.io/cron-workflow": "hello" },
    },
    spec: {},
    status: { phase, finishedAt },
  } as Workflow;
}

const LAST_USED = { "workflows.argoproj.io/last-used-schedule": "*/10 * * * *" };

interface Case {
  name: string;
  input: CronInput;
  check: (d: CronDecision) => void;
}

const created = (d: CronDecision) => d.create.map((w) => w.metadata.name);

const CASES: Case[] = [
  {
    name: "a fire time inside the window creates the child with Argo's name, label, annotation",
    input: {
      cron: cron(),
      children: [],
      now: T("2024-01-01T00:10:02Z"),
      scheduledUntil: T("2024-01-01T00:09:52Z"),
    },
    check: (d) => {
      assert.deepEqual(created(d), ["hello-1704067800"]);
      const wf = d.create[0];
      assert.equal(wf.metadata.labels?.["workflows.argoproj.io/cron-workflow"], "hello");
      assert.equal(
        wf.metadata.annotations?.["workflows.argoproj.io/scheduled-time"],
        "2024-01-01T00:10:00Z",
      );
      assert.equal(wf.metadata.ownerReferences?.[0].uid, "cron-uid");
      assert.equal(wf.spec.entrypoint, "main");
      assert.equal(d.status.phase, "Active");
      assert.equal(d.status.lastScheduledTime, "2024-01-01T00:10:00Z");
      assert.deepEqual(d.status.active?.map((r) => r.name), ["hello-1704067800"]);
      assert.equal(d.annotations["workflows.argoproj.io/last-used-schedule"], "*/10 * * * *");
      assert.equal(d.nextRunAt?.toISOString(), "2024-01-01T00:20:00.000Z");
    },
  },
  {
    name: "no fire time in the window: nothing",
    input: {
      cron: cron(),
      children: [],
      now: T("2024-01-01T00:11:00Z"),
      scheduledUntil: T("2024-01-01T00:10:30Z"),
    },
    check: (d) => assert.deepEqual(created(d), []),
  },
  {
    name: "first look (start or restart) never fires a past time without a deadline",
    input: {
      cron: cron({}, {
        metadata: { annotations: LAST_USED },
        status: { lastScheduledTime: "2024-01-01T00:00:00Z" },
      }),
      children: [],
      now: T("2024-01-01T00:35:00Z"),
    },
    check: (d) => assert.deepEqual(created(d), []),
  },
  {
    name: "missed runs after a restart: only the latest, within startingDeadlineSeconds",
    input: {
      cron: cron({ startingDeadlineSeconds: 600 }, {
        metadata: { annotations: LAST_USED },
        status: { lastScheduledTime: "2024-01-01T00:00:00Z" },
      }),
      children: [],
      now: T("2024-01-01T00:35:00Z"),
    },
    check: (d) =>
      assert.deepEqual(created(d), [`hello-${Date.parse("2024-01-01T00:30:00Z") / 1000}`]),
  },
  {
    name: "missed run past its deadline is not run",
    input: {
      cron: cron({ startingDeadlineSeconds: 60 }, {
        metadata: { annotations: LAST_USED },
        status: { lastScheduledTime: "2024-01-01T00:00:00Z" },
      }),
      children: [],
      now: T("2024-01-01T00:35:00Z"),
    },
    check: (d) => assert.deepEqual(created(d), []),
  },
  {
    name: "missed run after a schedule change is not run",
    input: {
      cron: cron({ startingDeadlineSeconds: 600 }, {
        metadata: { annotations: { "workflows.argoproj.io/last-used-schedule": "0 * * * *" } },
        status: { lastScheduledTime: "2024-01-01T00:00:00Z" },
      }),
      children: [],
      now: T("2024-01-01T00:35:00Z"),
    },
    check: (d) => assert.deepEqual(created(d), []),
  },
  {
    name: "suspend: nothing runs",
    input: {
      cron: cron({ suspend: true }),
      children: [],
      now: T("2024-01-01T00:10:00Z"),
      scheduledUntil: T("2024-01-01T00:09:50Z"),
    },
    check: (d) => {
      assert.deepEqual(created(d), []);
      assert.equal(d.skipped, "suspended");
    },
  },
  {
    name: "Forbid with an active child: skipped",
    input: {
      cron: cron({ concurrencyPolicy: "Forbid" }, {
        status: { active: [{ name: "hello-1", uid: "uid-hello-1" }] },
      }),
      children: [child("hello-1", "Running")],
      now: T("2024-01-01T00:10:00Z"),
      scheduledUntil: T("2024-01-01T00:09:50Z"),
    },
    check: (d) => {
      assert.deepEqual(created(d), []);
      assert.match(d.skipped ?? "", /Forbid/);
    },
  },
  {
    name: "Replace with an active child: terminate it and create the new one",
    input: {
      cron: cron({ concurrencyPolicy: "Replace" }, {
        status: { active: [{ name: "hello-1", uid: "uid-hello-1" }] },
      }),
      children: [child("hello-1", "Running")],
      now: T("2024-01-01T00:10:00Z"),
      scheduledUntil: T("2024-01-01T00:09:50Z"),
    },
    check: (d) => {
      assert.deepEqual(d.terminate, ["hello-1"]);
      assert.deepEqual(created(d), ["hello-1704067800"]);
    },
  },
  {
    name: "Allow with an active child: both run",
    input: {
      cron: cron({}, { status: { active: [{ name: "hello-1", uid: "uid-hello-1" }] } }),
      children: [child("hello-1", "Running")],
      now: T("2024-01-01T00:10:00Z"),
      scheduledUntil: T("2024-01-01T00:09:50Z"),
    },
    check: (d) =>
      assert.deepEqual(d.status.active?.map((r) => r.name), ["hello-1", "hello-1704067800"]),
  },
  {
    name: "finished children leave active and count; history limits delete the oldest",
    input: {
      cron: cron({}, {
        status: {
          active: [{ name: "hello-4", uid: "uid-hello-4" }, {
            name: "hello-6",
            uid: "uid-hello-6",
          }],
          succeeded: 3,
          failed: 1,
        },
      }),
      children: [
        child("hello-1", "Succeeded", "2024-01-01T00:01:00Z"),
        child("hello-2", "Succeeded", "2024-01-01T00:02:00Z"),
        child("hello-3", "Succeeded", "2024-01-01T00:03:00Z"),
        child("hello-4", "Succeeded", "2024-01-01T00:04:00Z"),
        child("hello-5", "Failed", "2024-01-01T00:05:00Z"),
        child("hello-6", "Error", "2024-01-01T00:06:00Z"),
        child("hello-7", "Running"),
      ],
      now: T("2024-01-01T00:07:00Z"),
      scheduledUntil: T("2024-01-01T00:06:50Z"),
    },
    check: (d) => {
      assert.deepEqual(d.delete.sort(), ["hello-1", "hello-5"]);
      assert.equal(d.status.succeeded, 4);
      assert.equal(d.status.failed, 2);
      assert.deepEqual(d.status.active?.map((r) => r.name), ["hello-7"]);
    },
  },
  {
    name: "history limits of zero keep nothing finished",
    input: {
      cron: cron({ successfulJobsHistoryLimit: 0, failedJobsHistoryLimit: 0 }),
      children: [
        child("hello-1", "Succeeded", "2024-01-01T00:01:00Z"),
        child("hello-2", "Failed", "x"),
      ],
      now: T("2024-01-01T00:07:00Z"),
    },
    check: (d) => assert.deepEqual(d.delete.sort(), ["hello-1", "hello-2"]),
  },
  {
    name: "when false: skipped; cronworkflow.* variables are visible",
    input: {
      cron: cron({ when: "{{= cronworkflow.name == 'other' }}" }),
      children: [],
      now: T("2024-01-01T00:10:00Z"),
      scheduledUntil: T("2024-01-01T00:09:50Z"),
    },
    check: (d) => {
      assert.deepEqual(created(d), []);
      assert.match(d.skipped ?? "", /when/);
    },
  },
  {
    name: "when with lastScheduledTime and now(): runs when long enough ago",
    input: {
      cron: cron({
        when:
          "{{= cronworkflow.lastScheduledTime == nil || (now() - cronworkflow.lastScheduledTime).Seconds() > 360 }}",
      }, { status: { lastScheduledTime: "2024-01-01T00:00:00Z" } }),
      children: [],
      now: T("2024-01-01T00:10:00Z"),
      scheduledUntil: T("2024-01-01T00:09:50Z"),
    },
    check: (d) => assert.deepEqual(created(d), ["hello-1704067800"]),
  },
  {
    name: "stop strategy: a finished child makes it true -> Stopped and labelled, no more runs",
    input: {
      cron: cron({ stopStrategy: { expression: "cronworkflow.failed >= 1" } }, {
        status: { active: [{ name: "hello-1", uid: "uid-hello-1" }] },
      }),
      children: [child("hello-1", "Failed", "2024-01-01T00:05:00Z")],
      now: T("2024-01-01T00:10:00Z"),
      scheduledUntil: T("2024-01-01T00:09:50Z"),
    },
    check: (d) => {
      assert.equal(d.status.phase, "Stopped");
      assert.equal(d.labels["cronworkflows.argoproj.io/completed"], "true");
      assert.deepEqual(created(d), []);
      assert.equal(d.nextRunAt, undefined);
    },
  },
  {
    name: "several schedules: the latest due one runs",
    input: {
      cron: cron({ schedules: ["0 * * * *", "30 * * * *"] }),
      children: [],
      now: T("2024-01-01T00:30:01Z"),
      scheduledUntil: T("2024-01-01T00:29:51Z"),
    },
    check: (d) => {
      assert.deepEqual(created(d), [`hello-${Date.parse("2024-01-01T00:30:00Z") / 1000}`]);
      assert.equal(d.nextRunAt?.toISOString(), "2024-01-01T01:00:00.000Z");
    },
  },
  {
    name: "timezone: 09:00 in Tokyo is 00:00 UTC",
    input: {
      cron: cron({ schedules: ["0 9 * * *"], timezone: "Asia/Tokyo" }),
      children: [],
      now: T("2024-01-02T00:00:05Z"),
      scheduledUntil: T("2024-01-01T23:59:55Z"),
    },
    check: (d) =>
      assert.deepEqual(created(d), [`hello-${Date.parse("2024-01-02T00:00:00Z") / 1000}`]),
  },
  {
    name: "a child already created (status write lost) is not created twice",
    input: {
      cron: cron(),
      children: [child("hello-1704067800", "Running")],
      now: T("2024-01-01T00:10:02Z"),
      scheduledUntil: T("2024-01-01T00:09:52Z"),
    },
    check: (d) => {
      assert.deepEqual(created(d), []);
      assert.equal(d.status.lastScheduledTime, "2024-01-01T00:10:00Z");
      assert.deepEqual(d.status.active?.map((r) => r.name), ["hello-1704067800"]);
    },
  },
  {
    name: "an unknown timezone: one SpecError condition, nothing runs",
    input: {
      cron: cron({ timezone: "Mars/Olympus" }),
      children: [],
      now: T("2024-01-01T00:10:00Z"),
      scheduledUntil: T("2024-01-01T00:09:50Z"),
    },
    check: (d) => {
      assert.deepEqual(created(d), []);
      assert.deepEqual(d.status.conditions?.map((c) => [c.type, c.message]), [
        ["SpecError", 'invalid cron schedule "*/10 * * * *": unknown time zone Mars/Olympus'],
      ]);
    },
  },
  {
    name: "a schedule that never fires: SpecError",
    input: {
      cron: cron({ schedules: ["0 0 30 2 *"] }),
      children: [],
      now: T("2024-01-01T00:10:00Z"),
    },
    check: (d) => assert.match(d.status.conditions?.[0].message ?? "", /never fires/),
  },
  {
    name: "@every counts from when watching began",
    input: {
      cron: cron({ schedules: ["@every 90s"] }),
      children: [],
      now: T("2024-01-01T00:03:05Z"),
      scheduledUntil: T("2024-01-01T00:02:55Z"),
      watchingSince: T("2024-01-01T00:00:00Z"),
    },
    check: (d) =>
      assert.deepEqual(created(d), [`hello-${Date.parse("2024-01-01T00:03:00Z") / 1000}`]),
  },
];

for (const c of CASES) {
  Deno.test(`cron decision: ${c.name}`, () => c.check(decide(c.input)));
}

Deno.test("cron decision: the same input gives the same decision", () => {
  const input = CASES[0].input;
  assert.deepEqual(decide(input), decide(input));
});
