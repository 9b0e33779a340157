/**
 * The cron controller's pure decision core: given a CronWorkflow, its child Workflows, the clock
 * and how far this process has already scheduled, say which Workflows to create, terminate and
 * delete and what the CronWorkflow's status, labels and annotations become. No I/O, no clock.
 *
 * It follows Argo v4's cron operator:
 * - fire times come from every schedule of `spec.schedules` (robfig semantics, see
 *   `cron_expr.ts`); the child is `<cron>-<unix seconds of the scheduled time>`, labelled
 *   `workflows.argoproj.io/cron-workflow` and annotated `workflows.argoproj.io/scheduled-time`;
 * - a fire time that passed while no controller watched (a restart) is run once, only the latest
 *   one, and only when `startingDeadlineSeconds` is set and has not elapsed since it, and not when
 *   the schedule changed since the last run (annotation `last-used-schedule`);
 * - before each run: the stop strategy (once true: phase Stopped, label
 *   `cronworkflows.argoproj.io/completed`, never runs again), `suspend`, `when`, then
 *   `concurrencyPolicy` (Forbid skips while a child is active; Replace terminates active ones);
 * - children that finish leave `status.active` and count in `succeeded`/`failed`; the oldest
 *   finished children beyond `successfulJobsHistoryLimit` (3) and `failedJobsHistoryLimit` (1)
 *   are deleted.
 */
import type {
  Condition,
  CronWorkflow,
  CronWorkflowStatus,
  ObjectReference,
  Workflow,
} from "../../api/types.gen.ts";
import {
  ANNOTATION_LAST_USED_SCHEDULE,
  ANNOTATION_SCHEDULED_TIME,
  API_GROUP_VERSION,
  isWorkflowCompleted,
  LABEL_CONTROLLER_INSTANCE_ID,
  LABEL_CREATOR,
  LABEL_CREATOR_EMAIL,
  LABEL_CREATOR_PREFERRED_USERNAME,
  LABEL_CRON_WORKFLOW,
  LABEL_CRON_WORKFLOW_COMPLETED,
} from "../../api/meta.ts";
import {
  evaluateExpression,
  evaluateWhen,
  ExprTime,
  substituteString,
} from "../../templating/mod.ts";
import { type CronSchedule, parseSchedule } from "./cron_expr.ts";

export const CONDITION_SPEC_ERROR = "SpecError";
export const CONDITION_SUBMISSION_ERROR = "SubmissionError";
const DEFAULT_SUCCESSFUL_HISTORY = 3;
const DEFAULT_FAILED_HISTORY = 1;
const LABELS_TO_PROPAGATE = [LABEL_CREATOR, LABEL_CREATOR_EMAIL, LABEL_CREATOR_PREFERRED_USERNAME];

export interface CronInput {
  cron: CronWorkflow;
  /** The Workflows labelled with this CronWorkflow's name in its namespace. */
  children: Workflow[];
  now: Date;
  /**
   * Fire times up to this instant were already handled by this process; undefined the first
   * time this process looks at the CronWorkflow (start, restart, or a changed schedule). Pass
   * back the decision's `scheduledUntil`.
   */
  scheduledUntil?: Date;
  /** When this process started scheduling the CronWorkflow (anchors `@every`); default `now`. */
  watchingSince?: Date;
  /** Zone for schedules when `spec.timezone` is empty (Argo: the controller's local zone). */
  defaultTimezone?: string;
}

export interface CronDecision {
  /** Workflows to create (names are deterministic: AlreadyExists means done). */
  create: Workflow[];
  /** Active children to terminate first (concurrencyPolicy Replace). */
  terminate: string[];
  /** Finished children to delete (history limits). */
  delete: string[];
  /** The CronWorkflow's next status. */
  status: CronWorkflowStatus;
  /** The CronWorkflow's next labels and annotations. */
  labels: Record<string, string>;
  annotations: Record<string, string>;
  /** Pass as `scheduledUntil` next time. */
  scheduledUntil: Date;
  /** The next fire time after `now`, when there is one and scheduling goes on. */
  nextRunAt?: Date;
  /** Why nothing ran this time, for logs (undefined when nothing was due). */
  skipped?: string;
}

/** Whether the CronWorkflow stopped for good (its stop strategy matched). */
export function isCronCompleted(cron: CronWorkflow): boolean {
  return cron.metadata.labels?.[LABEL_CRON_WORKFLOW_COMPLETED] === "true";
}

/** The name of the child for a scheduled time: `<cron>-<unix seconds>`. */
export function childName(cronName: string, scheduled: Date): string {
  return `${cronName}-${Math.floor(scheduled.getTime() / 1000)}`;
}

/** The schedules of a CronWorkflow (the legacy singular `schedule` too). */
export function schedulesOf(cron: CronWorkflow): string[] {
  const legacy = (cron.spec as { schedule?: string }).schedule;
  if (legacy) return [legacy];
  return cron.spec.schedules ?? [];
}

/** Argo's `last-used-schedule` value: every schedule with its `CRON_TZ=` prefix, comma-joined. */
export function scheduleString(cron: CronWorkflow): string {
  const zone = cron.spec.timezone;
  return schedulesOf(cron).map((s) => zone ? `CRON_TZ=${zone} ${s}` : s).join(",");
}

/** Parses every schedule; the first error message, or the parsed schedules. */
export function parseSchedules(
  cron: CronWorkflow,
  defaultTimezone = "UTC",
): { ok: true; value: CronSchedule[] } | { ok: false; message: string } {
  const texts = schedulesOf(cron);
  if (texts.length === 0) return { ok: false, message: "cron workflow must have a schedule" };
  const parsed: CronSchedule[] = [];
  for (const text of texts) {
    const result = parseSchedule(text, cron.spec.timezone || defaultTimezone);
    if (!result.ok) return result;
    parsed.push(result.value);
  }
  return { ok: true, value: parsed };
}

/** RFC 3339 to the second, in UTC, as Go prints `time.Time` in a UTC controller. */
export function rfc3339(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, "Z");
}

/** Decides one reconcile of a CronWorkflow. Pure: the same input gives the same decision. */
export function decide(input: CronInput): CronDecision {
  const { cron, now } = input;
  const status: CronWorkflowStatus = structuredClone(cron.status ?? {});
  const labels = { ...cron.metadata.labels };
  const annotations = { ...cron.metadata.annotations };
  const decision: CronDecision = {
    create: [],
    terminate: [],
    delete: [],
    status,
    labels,
    annotations,
    scheduledUntil: now,
  };
  const children = input.children.filter((wf) =>
    wf.metadata.labels?.[LABEL_CRON_WORKFLOW] === cron.metadata.name
  );
  const stop = () => {
    status.phase = "Stopped";
    labels[LABEL_CRON_WORKFLOW_COMPLETED] = "true";
  };

  // Children: history limits, then the active list and the counters.
  decision.delete = overHistoryLimit(cron, children);
  const deleted = new Set(decision.delete);
  const byName = new Map(children.map((wf) => [wf.metadata.name ?? "", wf]));
  const active: ObjectReference[] = [];
  for (const ref of status.active ?? []) {
    const child = byName.get(ref.name ?? "");
    const sameChild = child && (!ref.uid || !child.metadata.uid || ref.uid === child.metadata.uid);
    if (sameChild && !isWorkflowCompleted(child.status?.phase)) {
      active.push(ref);
      continue;
    }
    if (sameChild) {
      if (child.status?.phase === "Succeeded") status.succeeded = (status.succeeded ?? 0) + 1;
      else status.failed = (status.failed ?? 0) + 1;
      const stopped = stopCondition(cron, status, now);
      if (stopped.ok && stopped.value) stop();
    }
  }
  for (const child of children) {
    const name = child.metadata.name ?? "";
    if (deleted.has(name) || isWorkflowCompleted(child.status?.phase)) continue;
    if (!active.some((ref) => ref.name === name)) active.push(referenceTo(child));
  }
  status.active = active;

  if (isCronCompleted(cron) || labels[LABEL_CRON_WORKFLOW_COMPLETED] === "true") {
    status.phase = "Stopped";
    return decision;
  }

  const parsed = parseSchedules(cron, input.defaultTimezone);
  if (!parsed.ok) {
    upsertCondition(status, CONDITION_SPEC_ERROR, parsed.message);
    decision.skipped = parsed.message;
    return decision;
  }
  const schedules = parsed.value;
  const neverFires = schedules.find((s) => s.next(now) === undefined);
  if (neverFires && schedules.every((s) => s.next(now) === undefined)) {
    const message = `schedule "${neverFires.text}" never fires`;
    upsertCondition(status, CONDITION_SPEC_ERROR, message);
    decision.skipped = message;
    return decision;
  }
  removeCondition(status, CONDITION_SPEC_ERROR);

  const watchingSince = input.watchingSince ?? now;
  const lastScheduled = status.lastScheduledTime ? new Date(status.lastScheduledTime) : undefined;
  const due = input.scheduledUntil === undefined
    ? undefined
    : latestFire(schedules, input.scheduledUntil, now, anchorFor(watchingSince, lastScheduled));
  const scheduled = due ?? missedRun(cron, schedules, lastScheduled, now);
  if (scheduled) run(cron, scheduled, children, decision, stop, now);

  const next = earliest(schedules.map((s) => nextAfter(s, now, watchingSince, lastScheduled)));
  if (next && status.phase !== "Stopped") decision.nextRunAt = next;
  return decision;
}

/** `@every` counts from the last run or from when watching began; cron fields ignore it. */
function anchorFor(watchingSince: Date, lastScheduled: Date | undefined): Date {
  return lastScheduled && lastScheduled > watchingSince ? lastScheduled : watchingSince;
}

/** The first fire time strictly after `after` (`@every` counts from `anchor`). */
function firstAfter(schedule: CronSchedule, after: Date, anchor: Date): Date | undefined {
  if (!schedule.anchored || anchor >= after) return schedule.next(after);
  const delay = (schedule.next(anchor)?.getTime() ?? 0) - anchor.getTime();
  const steps = Math.floor((after.getTime() - anchor.getTime()) / delay);
  let t = schedule.next(new Date(anchor.getTime() + Math.max(0, steps - 1) * delay));
  while (t && t <= after) t = schedule.next(t);
  return t;
}

function nextAfter(
  schedule: CronSchedule,
  after: Date,
  watchingSince: Date,
  lastScheduled: Date | undefined,
): Date | undefined {
  return firstAfter(schedule, after, anchorFor(watchingSince, lastScheduled));
}

/** The latest fire time in (from, to] over all schedules. */
function latestFire(
  schedules: CronSchedule[],
  from: Date,
  to: Date,
  anchor: Date,
): Date | undefined {
  let latest: Date | undefined;
  for (const schedule of schedules) {
    let t = firstAfter(schedule, from, anchor);
    let last: Date | undefined;
    for (let i = 0; t && t <= to && i < 100_000; i++) {
      last = t;
      t = schedule.next(t);
    }
    if (last && (!latest || last > latest)) latest = last;
  }
  return latest;
}

/**
 * Argo's catch-up: the latest fire time after the last run and before now, if
 * `startingDeadlineSeconds` is set and has not yet elapsed since it, and the schedule has not
 * changed since the last run.
 */
function missedRun(
  cron: CronWorkflow,
  schedules: CronSchedule[],
  lastScheduled: Date | undefined,
  now: Date,
): Date | undefined {
  const deadline = cron.spec.startingDeadlineSeconds;
  if (!lastScheduled || deadline === undefined || deadline === null) return undefined;
  if (cron.metadata.annotations?.[ANNOTATION_LAST_USED_SCHEDULE] !== scheduleString(cron)) {
    return undefined;
  }
  for (const schedule of schedules) {
    let missed: Date | undefined;
    let t = schedule.next(lastScheduled);
    for (let i = 0; t && t < now && i < 100_000; i++) {
      missed = t;
      t = schedule.next(t);
    }
    if (missed && now.getTime() < missed.getTime() + deadline * 1000) return missed;
  }
  return undefined;
}

function run(
  cron: CronWorkflow,
  scheduled: Date,
  children: Workflow[],
  decision: CronDecision,
  stop: () => void,
  now: Date,
): void {
  const { status, annotations } = decision;
  const name = childName(cron.metadata.name ?? "", scheduled);
  const existing = children.find((wf) => wf.metadata.name === name);
  if (existing) {
    // Created by an earlier attempt whose status write was lost: record it, never twice.
    if (!status.lastScheduledTime || new Date(status.lastScheduledTime) < scheduled) {
      status.lastScheduledTime = rfc3339(scheduled);
    }
    return;
  }
  const current = scheduleString(cron);
  if (annotations[ANNOTATION_LAST_USED_SCHEDULE] !== current) {
    annotations[ANNOTATION_LAST_USED_SCHEDULE] = current;
  }
  const stopped = stopCondition(cron, status, now);
  if (!stopped.ok) {
    upsertCondition(
      status,
      CONDITION_SPEC_ERROR,
      `failed to check CronWorkflow '${cron.metadata.name}' stopping condition: ${stopped.message}`,
    );
    decision.skipped = stopped.message;
    return;
  }
  if (stopped.value) stop();
  if (cron.spec.suspend) {
    decision.skipped = "suspended";
    return;
  }
  if (status.phase === "Stopped") {
    decision.skipped = "stopped: the stop strategy matched";
    return;
  }
  const when = evaluateCronWhen(cron, status, now);
  if (!when.ok) {
    submissionError(status, `run policy error: ${when.message}`);
    decision.skipped = when.message;
    return;
  }
  if (!when.value) {
    decision.skipped = `when "${cron.spec.when}" is false`;
    return;
  }
  const active = status.active ?? [];
  switch (cron.spec.concurrencyPolicy ?? "") {
    case "":
    case "Allow":
      break;
    case "Forbid":
      if (active.length > 0) {
        decision.skipped = "concurrencyPolicy Forbid and a workflow is active";
        return;
      }
      break;
    case "Replace":
      decision.terminate = active.map((ref) => ref.name ?? "").filter((n) => n !== "");
      break;
    default:
      submissionError(
        status,
        `run policy error: invalid ConcurrencyPolicy: ${cron.spec.concurrencyPolicy}`,
      );
      decision.skipped = `invalid concurrencyPolicy ${cron.spec.concurrencyPolicy}`;
      return;
  }
  const workflow = toWorkflow(cron, name, scheduled);
  decision.create.push(workflow);
  status.active = [...active, referenceTo(workflow)];
  status.phase = "Active";
  status.lastScheduledTime = rfc3339(scheduled);
  removeCondition(status, CONDITION_SUBMISSION_ERROR);
}

/** The Workflow a CronWorkflow runs at a scheduled time (Argo's `toWorkflow`). */
export function toWorkflow(cron: CronWorkflow, name: string, scheduled: Date): Workflow {
  const labels: Record<string, string> = {};
  for (const key of LABELS_TO_PROPAGATE) {
    const value = cron.metadata.labels?.[key];
    if (value !== undefined) labels[key] = value;
  }
  const instance = cron.metadata.labels?.[LABEL_CONTROLLER_INSTANCE_ID];
  if (instance !== undefined) labels[LABEL_CONTROLLER_INSTANCE_ID] = instance;
  labels[LABEL_CRON_WORKFLOW] = cron.metadata.name ?? "";
  const annotations: Record<string, string> = { [ANNOTATION_SCHEDULED_TIME]: rfc3339(scheduled) };
  const meta = cron.spec.workflowMetadata;
  Object.assign(labels, meta?.labels);
  Object.assign(annotations, meta?.annotations);
  const workflow: Workflow = {
    apiVersion: API_GROUP_VERSION,
    kind: "Workflow",
    metadata: {
      name,
      namespace: cron.metadata.namespace,
      labels,
      annotations,
    },
    spec: structuredClone(cron.spec.workflowSpec),
  };
  if (meta?.finalizers?.length) workflow.metadata.finalizers = [...meta.finalizers];
  if (cron.metadata.uid) {
    workflow.metadata.ownerReferences = [{
      apiVersion: API_GROUP_VERSION,
      kind: "CronWorkflow",
      name: cron.metadata.name ?? "",
      uid: cron.metadata.uid,
      controller: true,
      blockOwnerDeletion: true,
    }];
  }
  return workflow;
}

function referenceTo(wf: Workflow): ObjectReference {
  const ref: ObjectReference = {
    kind: "Workflow",
    apiVersion: API_GROUP_VERSION,
    name: wf.metadata.name,
    namespace: wf.metadata.namespace,
  };
  if (wf.metadata.uid) ref.uid = wf.metadata.uid;
  if (wf.metadata.resourceVersion) ref.resourceVersion = wf.metadata.resourceVersion;
  return ref;
}

/** Names of finished children beyond the history limits, oldest finish first out. */
function overHistoryLimit(cron: CronWorkflow, children: Workflow[]): string[] {
  const finished = (wf: Workflow) => wf.status?.finishedAt ?? "";
  const newestFirst = (a: Workflow, b: Workflow) => finished(b).localeCompare(finished(a));
  const succeeded = children.filter((wf) => wf.status?.phase === "Succeeded").sort(newestFirst);
  const failed = children.filter((wf) =>
    wf.status?.phase === "Failed" || wf.status?.phase === "Error"
  ).sort(newestFirst);
  const limit = (value: number | undefined, fallback: number) =>
    value !== undefined && value !== null && value >= 0 ? value : fallback;
  return [
    ...succeeded.slice(limit(cron.spec.successfulJobsHistoryLimit, DEFAULT_SUCCESSFUL_HISTORY)),
    ...failed.slice(limit(cron.spec.failedJobsHistoryLimit, DEFAULT_FAILED_HISTORY)),
  ].map((wf) => wf.metadata.name ?? "");
}

type Evaluated = { ok: true; value: boolean } | { ok: false; message: string };

/** The `cronworkflow.*` variables (Argo's `expressionEnv`). */
function cronVariables(cron: CronWorkflow, status: CronWorkflowStatus): Record<string, unknown> {
  const last = status.lastScheduledTime;
  return {
    name: cron.metadata.name ?? "",
    namespace: cron.metadata.namespace ?? "",
    labels: { ...cron.metadata.labels, json: JSON.stringify(cron.metadata.labels ?? {}) },
    annotations: {
      ...cron.metadata.annotations,
      json: JSON.stringify(cron.metadata.annotations ?? {}),
    },
    failed: status.failed ?? 0,
    succeeded: status.succeeded ?? 0,
    lastScheduledTime: last ? new ExprTime(new Date(last).getTime()) : null,
  };
}

/** `spec.stopStrategy.expression`, an expr-lang expression over `cronworkflow.*`. */
function stopCondition(cron: CronWorkflow, status: CronWorkflowStatus, now: Date): Evaluated {
  const expression = cron.spec.stopStrategy?.expression;
  if (!expression) return { ok: true, value: false };
  const result = evaluateExpression(expression, { cronworkflow: cronVariables(cron, status) }, {
    now,
  });
  if (!result.ok) {
    return { ok: false, message: `failed to evaluate stop expression: ${result.error.message}` };
  }
  if (typeof result.value !== "boolean") {
    return { ok: false, message: `stop expression "${expression}" did not give a boolean` };
  }
  return { ok: true, value: result.value };
}

/** `spec.when`: `{{cronworkflow.*}}` and `{{= expr}}` tags replaced, then a govaluate condition. */
function evaluateCronWhen(cron: CronWorkflow, status: CronWorkflowStatus, now: Date): Evaluated {
  const when = cron.spec.when;
  if (!when) return { ok: true, value: true };
  const variables = cronVariables(cron, status);
  const flat: Record<string, string> = {};
  for (const [key, value] of Object.entries(variables)) {
    if (value === null || typeof value === "object") continue;
    flat[`cronworkflow.${key}`] = String(value);
  }
  for (const [key, value] of Object.entries(cron.metadata.labels ?? {})) {
    flat[`cronworkflow.labels.${key}`] = value;
  }
  for (const [key, value] of Object.entries(cron.metadata.annotations ?? {})) {
    flat[`cronworkflow.annotations.${key}`] = value;
  }
  flat["cronworkflow.labels.json"] = JSON.stringify(cron.metadata.labels ?? {});
  flat["cronworkflow.annotations.json"] = JSON.stringify(cron.metadata.annotations ?? {});
  if (status.lastScheduledTime) flat["cronworkflow.lastScheduledTime"] = status.lastScheduledTime;
  const replaced = substituteString(when, flat, { env: { cronworkflow: variables }, now });
  if (!replaced.ok) return { ok: false, message: replaced.error.message };
  const result = evaluateWhen(replaced.value);
  if (!result.ok) return { ok: false, message: result.error.message };
  return { ok: true, value: result.value };
}

function earliest(dates: Array<Date | undefined>): Date | undefined {
  let first: Date | undefined;
  for (const date of dates) if (date && (!first || date < first)) first = date;
  return first;
}

function submissionError(status: CronWorkflowStatus, message: string): void {
  upsertCondition(status, CONDITION_SUBMISSION_ERROR, message);
  status.failed = (status.failed ?? 0) + 1;
}

function upsertCondition(status: CronWorkflowStatus, type: string, message: string): void {
  const conditions: Condition[] = (status.conditions ?? []).filter((c) => c.type !== type);
  conditions.push({ type, status: "True", message });
  status.conditions = conditions;
}

function removeCondition(status: CronWorkflowStatus, type: string): void {
  if (!status.conditions) return;
  status.conditions = status.conditions.filter((c) => c.type !== type);
  if (status.conditions.length === 0) delete status.conditions;
}
