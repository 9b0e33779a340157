/**
 * The cron controller: schedules CronWorkflows (robfig/cron semantics, as Argo). `schedule.ts` is
 * the pure decision core, `cron_controller.ts` the informer shell that applies its decisions.
 *
 * It may import `api/`, `templating/`, `validate/` and `kube/` (it is part of `controller/`).
 */
export { CronController, type CronControllerOptions } from "./cron_controller.ts";
export {
  childName,
  type CronDecision,
  type CronInput,
  decide,
  isCronCompleted,
  parseSchedules,
  scheduleString,
} from "./schedule.ts";
export { type CronSchedule, parseSchedule } from "./cron_expr.ts";
