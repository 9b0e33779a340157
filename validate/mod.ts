/**
 * Validation of Argo objects: the schema (unknown fields, types, enums) and Argo's rules
 * (templates, references, DAG dependencies, variables in scope, expressions). Used by
 * `argo-ts lint` and, later, by the controller when it accepts a workflow.
 *
 * Sits between `templating/` (which it uses to read `{{...}}` tags and expressions) and the
 * shells. It may import `api/` and `templating/`; it must not import `controller/`, `kube/`,
 * `exec/`, `cluster/` or `cli/`, and it does no I/O.
 */
export { type Finding, lintDocuments, type LintOptions, type LintResult } from "./lint.ts";
export { type Issue, IssueList, type Severity } from "./issue.ts";
export { checkSchema } from "./schema_check.ts";
export {
  ARGO_API_VERSION,
  ARGO_KINDS,
  type TemplateLibrary,
  validateArgoObject,
} from "./workflow.ts";
export { cronScheduleError, timeZoneError } from "./cron.ts";
