/**
 * Argo's validation rules for Workflow, WorkflowTemplate, ClusterWorkflowTemplate, CronWorkflow
 * and WorkflowEventBinding objects, reporting every problem (Argo stops at the first) with its
 * field path. Messages use Argo's wording where Argo has one.
 */
import {
  dependsTaskNames,
  expressionVariables,
  parseDepends,
  parseExpression,
  parseWhen,
  scanTags,
} from "../templating/mod.ts";
import { childPath } from "../api/source.ts";
import { cronScheduleError, timeZoneError } from "./cron.ts";
import { asArray, asObject, asString, forEachString, type Obj, scalarText } from "./data.ts";
import { closest, type IssueList } from "./issue.ts";
import { isCheckedExpressionVariable, isCheckedTag, Scope } from "./scope.ts";

/** The (Cluster)WorkflowTemplates known to the validation, by name. */
export interface TemplateLibrary {
  workflowTemplates: Map<string, Obj>;
  clusterWorkflowTemplates: Map<string, Obj>;
}

export const ARGO_API_VERSION = "argoproj.io/v1alpha1";
export const ARGO_KINDS = [
  "Workflow",
  "WorkflowTemplate",
  "ClusterWorkflowTemplate",
  "CronWorkflow",
  "WorkflowEventBinding",
] as const;

const TEMPLATE_TYPES = [
  "container",
  "containerSet",
  "steps",
  "script",
  "resource",
  "dag",
  "suspend",
  "data",
  "http",
  "plugin",
] as const;
const LEAF_TYPES = new Set([
  "container",
  "containerSet",
  "script",
  "resource",
  "suspend",
  "data",
  "http",
  "plugin",
]);
const POD_TYPES = new Set(["container", "containerSet", "script", "resource", "data"]);
const RESULT_TYPES = new Set(["container", "containerSet", "script", "http", "data", "plugin"]);

const FIELD_NAME = /^[a-zA-Z0-9][-a-zA-Z0-9]*$/;
const FIELD_NAME_MESSAGE =
  "name must consist of alpha-numeric characters or '-', and must start with an alpha-numeric character (e.g. My-name1-2, 123-NAME)";
const PARAM_NAME = /^[-a-zA-Z0-9_]+$/;
const PARAM_NAME_MESSAGE =
  "Parameter/Artifact name must consist of alpha-numeric characters, '_' or '-' e.g. my_param_1, MY-PARAM-1";
const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
/** Matches a value that is entirely one `{{...}}` tag: checked at run time, not here. */
const WHOLE_TAG = /^\{\{[^{}]*\}\}$/;

const RETRY_POLICIES = ["Always", "OnFailure", "OnError", "OnTransientError"];
const POD_GC_STRATEGIES = [
  "OnPodCompletion",
  "OnPodSuccess",
  "OnWorkflowCompletion",
  "OnWorkflowSuccess",
];
const RESOURCE_ACTIONS = ["get", "create", "apply", "delete", "replace", "patch"];
const CONCURRENCY_POLICIES = ["Allow", "Forbid", "Replace"];

/** Validates one Argo object (already schema-checked or not; shapes are never trusted). */
export function validateArgoObject(object: Obj, library: TemplateLibrary, issues: IssueList): void {
  const kind = asString(object.kind);
  const metadata = asObject(object.metadata) ?? {};
  const name = asString(metadata.name);
  if (!name && !(kind === "Workflow" && asString(metadata.generateName))) {
    issues.error(
      "metadata/name",
      "metadata",
      kind === "Workflow"
        ? "metadata.name or metadata.generateName is required"
        : "metadata.name is required",
    );
  }
  const spec = asObject(object.spec);
  if (!spec) return; // the schema check reports a missing or malformed spec
  switch (kind) {
    case "Workflow":
      new SpecValidator(spec, "spec", metadata, library, issues, {
        entrypointRequired: true,
        args: true,
      })
        .run();
      return;
    case "WorkflowTemplate":
    case "ClusterWorkflowTemplate":
      new SpecValidator(spec, "spec", metadata, library, issues, {
        entrypointRequired: false,
        args: false,
      })
        .run();
      return;
    case "CronWorkflow":
      validateCron(spec, issues);
      {
        const workflowSpec = asObject(spec.workflowSpec);
        if (workflowSpec) {
          new SpecValidator(workflowSpec, "spec.workflowSpec", metadata, library, issues, {
            entrypointRequired: true,
            args: true,
            cron: true,
          }).run();
        }
      }
      return;
    case "WorkflowEventBinding": {
      const submit = asObject(spec.submit);
      const ref = asObject(submit?.workflowTemplateRef);
      if (ref) lookupWorkflowTemplate(ref, "spec.submit.workflowTemplateRef", library, issues);
      return;
    }
  }
}

function validateCron(spec: Obj, issues: IssueList): void {
  const schedules: Array<[string, string]> = [];
  asArray(spec.schedules).forEach((s, i) => {
    if (typeof s === "string") schedules.push([s, `spec.schedules[${i}]`]);
  });
  const single = asString(spec.schedule);
  if (single !== undefined) schedules.push([single, "spec.schedule"]);
  if (schedules.length === 0) {
    issues.error("cron/schedule", "spec", "spec.schedules is required (a list of cron schedules)");
  }
  for (const [schedule, path] of schedules) {
    const error = cronScheduleError(schedule);
    if (error) {
      issues.error("cron/schedule", path, `cron schedule ${schedule} is malformed: ${error}`);
    }
  }
  const timezone = asString(spec.timezone);
  if (timezone) {
    const error = timeZoneError(timezone);
    if (error) issues.error("cron/timezone", "spec.timezone", error);
  }
  const policy = asString(spec.concurrencyPolicy);
  if (policy && !CONCURRENCY_POLICIES.includes(policy)) {
    issues.error(
      "cron/concurrency-policy",
      "spec.concurrencyPolicy",
      `'${policy}' is not a valid concurrencyPolicy`,
      {
        suggestion: closest(policy, CONCURRENCY_POLICIES),
      },
    );
  }
  if (typeof spec.startingDeadlineSeconds === "number" && spec.startingDeadlineSeconds < 0) {
    issues.error(
      "cron/starting-deadline",
      "spec.startingDeadlineSeconds",
      "startingDeadlineSeconds must be positive",
    );
  }
}

/** Finds a (Cluster)WorkflowTemplate by reference; reports when it is not among the files. */
function lookupWorkflowTemplate(
  ref: Obj,
  path: string,
  library: TemplateLibrary,
  issues: IssueList,
): Obj | undefined {
  const name = asString(ref.name);
  if (!name) {
    issues.error("reference/template", path, "resource name is required");
    return undefined;
  }
  if (WHOLE_TAG.test(name)) return undefined;
  const cluster = ref.clusterScope === true;
  const table = cluster ? library.clusterWorkflowTemplates : library.workflowTemplates;
  const found = table.get(name);
  if (!found) {
    const kind = cluster ? "ClusterWorkflowTemplate" : "WorkflowTemplate";
    issues.error(
      "reference/template",
      childPath(path, "name"),
      `${kind} "${name}" not found among the files linted; lint the file that defines it together with this one`,
      { suggestion: closest(name, table.keys()) },
    );
  }
  return found;
}

interface SpecOptions {
  entrypointRequired: boolean;
  /** Check that the entrypoint's inputs are supplied by spec.arguments. */
  args: boolean;
  cron?: boolean;
}

interface TemplateEntry {
  template: Obj;
  path: string;
}

/** A template a step or task calls, once resolved. */
interface Callee {
  template: Obj;
  /** Where it is defined (for messages). */
  name: string;
}

class SpecValidator {
  readonly #templates = new Map<string, TemplateEntry>();
  readonly #globals = new Scope();
  /** Templates that run outside the exit handler (reachable from the entrypoint). */
  readonly #mainPath = new Set<Obj>();
  readonly #validated = new Set<Obj>();
  /** Templates of the spec referenced by workflowTemplateRef, when there is one. */
  #referencedSpec: Obj | undefined;

  constructor(
    private readonly spec: Obj,
    private readonly at: string,
    private readonly metadata: Obj,
    private readonly library: TemplateLibrary,
    private readonly issues: IssueList,
    private readonly options: SpecOptions,
  ) {}

  run(): void {
    const { spec, at, issues } = this;
    this.collectTemplates(spec, at);
    const ref = asObject(spec.workflowTemplateRef);
    if (ref) {
      if (asArray(spec.templates).length > 0) {
        issues.error(
          "reference/workflow-template",
          childPath(at, "templates"),
          "Templates is invalid field in spec if workflow referred WorkflowTemplate reference",
        );
      }
      this.#referencedSpec = asObject(
        lookupWorkflowTemplate(ref, childPath(at, "workflowTemplateRef"), this.library, issues)
          ?.spec,
      );
      if (this.#referencedSpec) this.collectTemplates(this.#referencedSpec, undefined);
    }
    this.checkArguments(asObject(spec.arguments), childPath(at, "arguments"), true);
    this.buildGlobals();

    const entrypoint = asString(spec.entrypoint) ?? asString(this.#referencedSpec?.entrypoint);
    if (!entrypoint) {
      if (this.options.entrypointRequired) {
        issues.error("entrypoint/required", at, "spec.entrypoint is required");
      }
    } else if (!WHOLE_TAG.test(entrypoint)) {
      const entry = this.#templates.get(entrypoint);
      if (!entry) {
        issues.error(
          "entrypoint/undefined",
          childPath(at, "entrypoint"),
          `template name '${entrypoint}' undefined`,
          {
            suggestion: closest(entrypoint, this.#templates.keys()),
          },
        );
      } else {
        this.markMainPath(entry.template);
        if (this.options.args) this.checkEntrypointInputs(entry.template, entrypoint);
      }
    }

    const onExit = asString(spec.onExit);
    if (onExit !== undefined) this.checkTemplateName(onExit, childPath(at, "onExit"));
    this.checkHooks(asObject(spec.hooks), childPath(at, "hooks"));

    const podGC = asObject(spec.podGC);
    const strategy = asString(podGC?.strategy);
    if (strategy && !POD_GC_STRATEGIES.includes(strategy)) {
      issues.error(
        "spec/pod-gc",
        childPath(at, "podGC.strategy"),
        `podGC.strategy unknown strategy '${strategy}'`,
        {
          suggestion: closest(strategy, POD_GC_STRATEGIES),
        },
      );
    }
    const retry = asObject(spec.retryStrategy);
    if (retry) this.checkRetryStrategy(retry, childPath(at, "retryStrategy"));

    asArray(spec.templates).forEach((t, i) => {
      const template = asObject(t);
      if (template) this.validateTemplate(template, childPath(childPath(at, "templates"), i));
    });
  }

  private collectTemplates(spec: Obj, at: string | undefined): void {
    const seen = new Set<string>();
    asArray(spec.templates).forEach((t, i) => {
      const template = asObject(t);
      if (!template) return;
      const path = at === undefined ? "" : childPath(childPath(at, "templates"), i);
      const name = asString(template.name);
      if (at !== undefined) {
        if (!name) {
          this.issues.error("template/name", path, `spec.templates[${i}].name is required`);
          return;
        }
        if (!FIELD_NAME.test(name) || name.length > 128) {
          this.issues.error(
            "template/name",
            childPath(path, "name"),
            `templates[${i}].name: '${name}' is invalid: ${
              name.length > 128 ? "must be no more than 128 characters" : FIELD_NAME_MESSAGE
            }`,
          );
        }
        if (seen.has(name)) {
          this.issues.error(
            "template/name",
            childPath(path, "name"),
            `templates[${i}].name '${name}' is not unique`,
          );
        }
      }
      if (!name) return;
      seen.add(name);
      if (!this.#templates.has(name)) this.#templates.set(name, { template, path });
    });
  }

  private buildGlobals(): void {
    const g = this.#globals;
    for (
      const name of [
        "workflow.name",
        "workflow.namespace",
        "workflow.uid",
        "workflow.serviceAccountName",
        "workflow.mainEntrypoint",
        "workflow.priority",
        "workflow.creationTimestamp",
      ]
    ) g.add(name);
    if (this.options.cron) g.add("workflow.scheduledTime");
    const params = [
      ...asArray(asObject(this.spec.arguments)?.parameters),
      ...asArray(asObject(this.#referencedSpec?.arguments)?.parameters),
    ];
    if (params.length > 0) {
      g.add("workflow.parameters");
      g.add("workflow.parameters.json");
    }
    for (const p of params) {
      const name = asString(asObject(p)?.name);
      if (name) g.add(`workflow.parameters.${name}`);
    }
    for (const field of ["labels", "annotations"] as const) {
      const keys = [
        ...Object.keys(asObject(this.metadata[field]) ?? {}),
        ...Object.keys(asObject(asObject(this.spec.workflowMetadata)?.[field]) ?? {}),
      ];
      g.add(`workflow.${field}.json`);
      for (const key of keys) g.add(`workflow.${field}.${key}`);
    }
    // Global outputs: declared anywhere in the spec, available once produced.
    const visitOutputs = (template: Obj) => {
      const outputs = asObject(template.outputs);
      for (const p of asArray(outputs?.parameters)) {
        const global = asString(asObject(p)?.globalName);
        if (!global) continue;
        if (global.includes("{{")) g.addPrefix("workflow.outputs.parameters.");
        else g.add(`workflow.outputs.parameters.${global}`);
      }
      for (const a of asArray(outputs?.artifacts)) {
        const global = asString(asObject(a)?.globalName);
        if (!global) continue;
        if (global.includes("{{")) g.addPrefix("workflow.outputs.artifacts.");
        else g.add(`workflow.outputs.artifacts.${global}`);
      }
    };
    for (const { template } of this.#templates.values()) visitOutputs(template);
  }

  /** Marks templates reachable from the entrypoint through steps and tasks. */
  private markMainPath(root: Obj): void {
    const stack = [root];
    while (stack.length > 0) {
      const template = stack.pop()!;
      if (this.#mainPath.has(template)) continue;
      this.#mainPath.add(template);
      for (const holder of callHolders(template)) {
        const inline = asObject(holder.inline);
        if (inline) stack.push(inline);
        const name = asString(holder.template);
        const entry = name ? this.#templates.get(name) : undefined;
        if (entry) stack.push(entry.template);
      }
    }
  }

  private checkTemplateName(name: string, path: string): boolean {
    if (WHOLE_TAG.test(name) || name.includes("{{")) return true;
    if (this.#templates.has(name)) return true;
    this.issues.error("reference/template", path, `template name '${name}' undefined`, {
      suggestion: closest(name, this.#templates.keys()),
    });
    return false;
  }

  private checkHooks(hooks: Obj | undefined, path: string): void {
    if (!hooks) return;
    for (const [hookName, hookValue] of Object.entries(hooks)) {
      const hook = asObject(hookValue);
      if (!hook) continue;
      const hookPath = childPath(path, hookName);
      this.resolveCallee(hook, hookPath);
      const expression = asString(hook.expression);
      if (hookName !== "exit" && !expression) {
        this.issues.error(
          "hooks/expression",
          hookPath,
          `hook "${hookName}" needs an expression (only the "exit" hook runs without one)`,
        );
      }
      if (expression) this.checkExpressionSyntax(expression, childPath(hookPath, "expression"));
    }
  }

  /** spec.arguments or a step's arguments: parameter and artifact names valid and unique. */
  private checkArguments(args: Obj | undefined, path: string, workflowLevel: boolean): void {
    if (!args) return;
    this.checkNamedList(
      args.parameters,
      childPath(path, "parameters"),
      PARAM_NAME,
      PARAM_NAME_MESSAGE,
    );
    this.checkNamedList(
      args.artifacts,
      childPath(path, "artifacts"),
      PARAM_NAME,
      PARAM_NAME_MESSAGE,
    );
    asArray(args.artifacts).forEach((a, i) => {
      const artifact = asObject(a);
      if (!artifact) return;
      if (asString(artifact.from) && asString(artifact.fromExpression)) {
        this.issues.error(
          "arguments/artifact",
          childPath(childPath(path, "artifacts"), i),
          `${asString(artifact.name) ?? ""} should have either \`from\` or \`fromExpression\``,
        );
      }
    });
    if (workflowLevel) {
      asArray(args.parameters).forEach((p, i) => {
        const param = asObject(p);
        const value = scalarText(param?.value);
        const enumValues = asArray(param?.enum).map(scalarText);
        if (param && value !== undefined && param.enum !== undefined && !value.includes("{{")) {
          const paramPath = childPath(childPath(path, "parameters"), i);
          if (enumValues.length === 0) {
            this.issues.error(
              "arguments/enum",
              childPath(paramPath, "enum"),
              `${param.name}.enum should contain at least one value`,
            );
          } else if (!enumValues.includes(value)) {
            this.issues.error(
              "arguments/enum",
              childPath(paramPath, "value"),
              `spec.arguments.${param.name}.value should be present in spec.arguments.${param.name}.enum list`,
              {
                suggestion: closest(value, enumValues.filter((e): e is string => e !== undefined)),
              },
            );
          }
        }
      });
    }
  }

  private checkNamedList(
    list: unknown,
    path: string,
    pattern: RegExp,
    patternMessage: string,
  ): Set<string> {
    const names = new Set<string>();
    asArray(list).forEach((item, i) => {
      const name = scalarText(asObject(item)?.name);
      const itemPath = childPath(path, i);
      if (!name) {
        this.issues.error(
          "names/required",
          itemPath,
          `${path.split(".").pop()}[${i}].name is required`,
        );
        return;
      }
      if (!pattern.test(name)) {
        this.issues.error(
          "names/invalid",
          childPath(itemPath, "name"),
          `'${name}' is invalid: ${patternMessage}`,
        );
      }
      if (names.has(name)) {
        this.issues.error("names/unique", childPath(itemPath, "name"), `'${name}' is not unique`);
      }
      names.add(name);
    });
    return names;
  }

  private checkEntrypointInputs(template: Obj, name: string): void {
    const supplied = new Set(
      asArray(asObject(this.spec.arguments)?.parameters).map((p) => asString(asObject(p)?.name)),
    );
    for (const p of asArray(asObject(this.#referencedSpec?.arguments)?.parameters)) {
      supplied.add(asString(asObject(p)?.name));
    }
    for (const required of requiredInputs(template)) {
      if (!supplied.has(required)) {
        this.issues.error(
          "arguments/not-supplied",
          childPath(this.at, "entrypoint"),
          `inputs.parameters.${required} was not supplied (the entrypoint '${name}' needs it in spec.arguments.parameters)`,
        );
      }
    }
  }

  private checkRetryStrategy(retry: Obj, path: string): void {
    const policy = asString(retry.retryPolicy);
    if (policy && !RETRY_POLICIES.includes(policy)) {
      this.issues.error(
        "template/retry-policy",
        childPath(path, "retryPolicy"),
        `${policy} is not a valid RetryPolicy`,
        {
          suggestion: closest(policy, RETRY_POLICIES),
        },
      );
    }
    const expression = asString(retry.expression);
    if (expression) this.checkExpressionSyntax(expression, childPath(path, "expression"));
    const limit = retry.limit;
    if (typeof limit === "number" && limit < 0) {
      this.issues.error(
        "template/retry-limit",
        childPath(path, "limit"),
        "retryStrategy.limit must not be negative",
      );
    }
  }

  private checkExpressionSyntax(expression: string, path: string): void {
    const parsed = parseExpression(expression);
    if (!parsed.ok) {
      this.issues.error("expression/syntax", path, `invalid expression: ${parsed.error.message}`);
    }
  }

  /** Resolves what a step, task or hook calls, reporting bad references. */
  private resolveCallee(holder: Obj, path: string): Callee | undefined {
    const name = asString(holder.template);
    const ref = asObject(holder.templateRef);
    const inline = asObject(holder.inline);
    if (name !== undefined && ref) {
      this.issues.error(
        "reference/template",
        path,
        "template name cannot be specified with templateRef.",
      );
      return undefined;
    }
    if (inline) {
      this.validateTemplate(inline, childPath(path, "inline"));
      return { template: inline, name: "inline" };
    }
    if (ref) {
      const refPath = childPath(path, "templateRef");
      const refName = asString(ref.name);
      const templateName = asString(ref.template);
      if (!refName) {
        this.issues.error("reference/template", refPath, "resource name is required");
        return undefined;
      }
      if (!templateName) {
        this.issues.error("reference/template", refPath, "template name is required");
        return undefined;
      }
      const found = lookupWorkflowTemplate(ref, refPath, this.library, this.issues);
      if (!found) return undefined;
      const templates = asArray(asObject(found.spec)?.templates).map(asObject).filter((
        t,
      ): t is Obj => !!t);
      const template = templates.find((t) => t.name === templateName);
      if (!template) {
        this.issues.error(
          "reference/template",
          childPath(refPath, "template"),
          `template reference ${refName}.${templateName} not found`,
          { suggestion: closest(templateName, templates.map((t) => asString(t.name) ?? "")) },
        );
        return undefined;
      }
      return { template, name: `${refName}/${templateName}` };
    }
    if (name === undefined) {
      this.issues.error("reference/template", path, "template, templateRef or inline is required");
      return undefined;
    }
    if (!this.checkTemplateName(name, childPath(path, "template"))) return undefined;
    const entry = this.#templates.get(name);
    return entry ? { template: entry.template, name } : undefined;
  }

  /** Required inputs of the callee must be supplied by the caller's arguments. */
  private checkCallArguments(holder: Obj, callee: Callee, path: string): void {
    const args = asObject(holder.arguments);
    const supplied = new Set(asArray(args?.parameters).map((p) => scalarText(asObject(p)?.name)));
    for (const required of requiredInputs(callee.template)) {
      if (!supplied.has(required)) {
        this.issues.error(
          "arguments/not-supplied",
          path,
          `inputs.parameters.${required} was not supplied`,
          { suggestion: undefined },
        );
      }
    }
    const declared = new Set(
      asArray(asObject(callee.template.inputs)?.parameters).map((p) =>
        scalarText(asObject(p)?.name)
      ),
    );
    asArray(args?.parameters).forEach((p, i) => {
      const name = scalarText(asObject(p)?.name);
      if (name && !declared.has(name)) {
        this.issues.warning(
          "arguments/unused",
          childPath(childPath(childPath(path, "arguments"), "parameters"), i),
          `argument "${name}" is not an input parameter of template '${callee.name}', so it is ignored`,
          { suggestion: closest(name, [...declared].filter((d): d is string => !!d)) },
        );
      }
    });
  }

  private validateTemplate(template: Obj, path: string): void {
    if (this.#validated.has(template)) return;
    this.#validated.add(template);
    const issues = this.issues;
    const name = asString(template.name) ?? "(inline)";
    const types = TEMPLATE_TYPES.filter((t) => template[t] !== undefined && template[t] !== null);
    const choices = TEMPLATE_TYPES.join(", ");
    if (types.length === 0) {
      issues.error(
        "template/type",
        path,
        `templates.${name} template type unspecified. choose one of: ${choices}`,
      );
      return;
    }
    if (types.length > 1) {
      issues.error(
        "template/type",
        path,
        `templates.${name} multiple template types specified. choose one of: ${choices}`,
      );
      return;
    }
    const type = types[0];
    const leaf = LEAF_TYPES.has(type);
    if (!leaf && template.activeDeadlineSeconds !== undefined) {
      issues.error(
        "template/deadline",
        childPath(path, "activeDeadlineSeconds"),
        `templates.${name}.activeDeadlineSeconds is only valid for leaf templates`,
      );
    }
    if (leaf && template.parallelism !== undefined) {
      issues.error(
        "template/parallelism",
        childPath(path, "parallelism"),
        `templates.${name}.parallelism is only valid for steps and dag templates`,
      );
    }
    const timeout = scalarText(template.timeout);
    if (timeout !== undefined) {
      if (!leaf) {
        issues.error(
          "template/timeout",
          childPath(path, "timeout"),
          `${type} template doesn't support timeout field.`,
        );
      } else if (/^-?[0-9]+$/.test(timeout)) {
        issues.error(
          "template/timeout",
          childPath(path, "timeout"),
          `${name} has invalid duration format in timeout. Use a unit, for example "${timeout}s"`,
        );
      }
    }
    const retry = asObject(template.retryStrategy);
    if (retry) this.checkRetryStrategy(retry, childPath(path, "retryStrategy"));
    this.checkMetrics(asObject(template.metrics), childPath(path, "metrics"), name);

    const inputs = asObject(template.inputs);
    this.checkNamedList(
      inputs?.parameters,
      childPath(path, "inputs.parameters"),
      PARAM_NAME,
      PARAM_NAME_MESSAGE,
    );
    this.checkNamedList(
      inputs?.artifacts,
      childPath(path, "inputs.artifacts"),
      PARAM_NAME,
      PARAM_NAME_MESSAGE,
    );
    const scope = new Scope(this.#globals);
    if (!this.#mainPath.has(template)) {
      // Exit handlers and hooks also see the workflow's outcome.
      for (const v of ["workflow.status", "workflow.failures", "workflow.duration"]) scope.add(v);
    }
    const inputParams = asArray(inputs?.parameters);
    if (inputParams.length > 0) scope.add("inputs.parameters");
    for (const p of inputParams) {
      const pname = scalarText(asObject(p)?.name);
      if (pname) scope.add(`inputs.parameters.${pname}`);
    }
    asArray(inputs?.artifacts).forEach((a, i) => {
      const artifact = asObject(a);
      const aname = scalarText(artifact?.name);
      if (!artifact || !aname) return;
      const artifactPath = childPath(childPath(path, "inputs.artifacts"), i);
      scope.add(`inputs.artifacts.${aname}`);
      if (leaf && type !== "suspend") {
        if (!artifact.path) {
          issues.error(
            "artifacts/path",
            artifactPath,
            `templates.${name}.inputs.artifacts.${aname}.path not specified`,
          );
        }
        scope.add(`inputs.artifacts.${aname}.path`);
      } else if (artifact.path) {
        issues.error(
          "artifacts/path",
          childPath(artifactPath, "path"),
          `templates.${name}.inputs.artifacts.${aname}.path only valid in container/script templates`,
        );
      }
      if (artifact.from || artifact.fromExpression) {
        issues.error(
          "artifacts/from",
          artifactPath,
          `templates.${name}.inputs.artifacts.${aname}.from not valid in inputs`,
        );
      }
    });
    if (POD_TYPES.has(type)) scope.add("pod.name");
    if (retry || this.spec.retryStrategy) {
      scope.add("retries");
    }
    this.checkOutputs(template, type, path, name);

    switch (type) {
      case "steps":
        this.validateSteps(template, path, scope);
        break;
      case "dag":
        this.validateDag(template, path, scope);
        break;
      default:
        this.validateLeaf(template, type, path, name);
        this.checkTags(template, path, scope, () => false);
    }
  }

  private checkMetrics(metrics: Obj | undefined, path: string, templateName: string): void {
    asArray(metrics?.prometheus).forEach((m, i) => {
      const metric = asObject(m);
      if (!metric) return;
      const metricPath = childPath(childPath(path, "prometheus"), i);
      const name = asString(metric.name) ?? "";
      if (!METRIC_NAME.test(name)) {
        this.issues.error(
          "metrics/name",
          childPath(metricPath, "name"),
          `templates.${templateName} metric name '${name}' is invalid. Metric names must contain alphanumeric characters, '_', or ':'`,
        );
      }
      if (!asString(metric.help)) {
        this.issues.error(
          "metrics/help",
          metricPath,
          `templates.${templateName} metric '${name}' must contain a help string under 'help: ' field`,
        );
      }
    });
  }

  private checkOutputs(template: Obj, type: string, path: string, name: string): void {
    const outputs = asObject(template.outputs);
    if (!outputs) return;
    const outPath = childPath(path, "outputs");
    this.checkNamedList(
      outputs.parameters,
      childPath(outPath, "parameters"),
      PARAM_NAME,
      PARAM_NAME_MESSAGE,
    );
    this.checkNamedList(
      outputs.artifacts,
      childPath(outPath, "artifacts"),
      PARAM_NAME,
      PARAM_NAME_MESSAGE,
    );
    asArray(outputs.parameters).forEach((p, i) => {
      const param = asObject(p);
      if (!param) return;
      const pPath = childPath(childPath(outPath, "parameters"), i);
      const ref = `templates.${name}.outputs.parameters.${scalarText(param.name) ?? i}`;
      const valueFrom = asObject(param.valueFrom);
      if (valueFrom && param.value !== undefined) {
        this.issues.error(
          "outputs/parameter",
          pPath,
          `${ref} has both valueFrom and value specified. Choose one.`,
        );
        return;
      }
      if (param.value !== undefined) return;
      if (!valueFrom) {
        this.issues.error(
          "outputs/parameter",
          pPath,
          `${ref} does not have valueFrom or value specified`,
        );
        return;
      }
      const kinds = [
        "path",
        "jqFilter",
        "jsonPath",
        "parameter",
        "expression",
        "supplied",
        "configMapKeyRef",
        "event",
      ]
        .filter((k) => valueFrom[k] !== undefined && valueFrom[k] !== null);
      if (kinds.length === 0) {
        this.issues.error(
          "outputs/parameter",
          childPath(pPath, "valueFrom"),
          "valueFrom type unspecified. choose one of: path, jqFilter, jsonPath, parameter, raw, expression",
        );
        return;
      }
      if (kinds.length > 1) {
        this.issues.error(
          "outputs/parameter",
          childPath(pPath, "valueFrom"),
          "multiple valueFrom types specified. choose one of: path, jqFilter, jsonPath, parameter, raw, expression",
        );
        return;
      }
      if (
        (type === "container" || type === "script") && !valueFrom.path && !valueFrom.expression &&
        !valueFrom.supplied
      ) {
        this.issues.error(
          "outputs/parameter",
          childPath(pPath, "valueFrom"),
          `${ref}.path must be specified for ${type} templates`,
        );
      } else if (
        type === "resource" && !valueFrom.jqFilter && !valueFrom.jsonPath && !valueFrom.expression
      ) {
        this.issues.error(
          "outputs/parameter",
          childPath(pPath, "valueFrom"),
          `${ref} .jqFilter or jsonPath must be specified for ${type} templates`,
        );
      } else if (
        (type === "steps" || type === "dag") && !valueFrom.parameter && !valueFrom.expression &&
        !valueFrom.supplied
      ) {
        this.issues.error(
          "outputs/parameter",
          childPath(pPath, "valueFrom"),
          `${ref}.parameter or expression must be specified for ${type} templates`,
        );
      }
    });
    const leaf = LEAF_TYPES.has(type);
    asArray(outputs.artifacts).forEach((a, i) => {
      const artifact = asObject(a);
      if (!artifact) return;
      const aPath = childPath(childPath(outPath, "artifacts"), i);
      const aname = scalarText(artifact.name) ?? String(i);
      if (leaf && type !== "suspend" && !artifact.path) {
        this.issues.error(
          "artifacts/path",
          aPath,
          `templates.${name}.outputs.artifacts.${aname}.path not specified`,
        );
      } else if (!leaf && artifact.path) {
        this.issues.error(
          "artifacts/path",
          childPath(aPath, "path"),
          `templates.${name}.outputs.artifacts.${aname}.path only valid in container/script templates`,
        );
      }
    });
  }

  private validateLeaf(template: Obj, type: string, path: string, name: string): void {
    const defaults = asObject(this.spec.templateDefaults);
    if (type === "container" || type === "script") {
      const body = asObject(template[type]);
      const defaultImage = asString(asObject(defaults?.[type])?.image);
      if (body && !asString(body.image) && !defaultImage) {
        this.issues.error(
          "template/image",
          childPath(path, type),
          `templates.${name}.${type}.image may not be empty`,
        );
      }
      const mounts = new Map<string, string>();
      asArray(body?.volumeMounts).forEach((m, i) => {
        const mountPath = asString(asObject(m)?.mountPath);
        if (!mountPath) return;
        const previous = mounts.get(mountPath);
        if (previous) {
          this.issues.error(
            "template/mounts",
            childPath(childPath(childPath(path, type), "volumeMounts"), i),
            `templates.${name}.${type}.volumeMounts[${i}].mountPath '${mountPath}' already mounted in ${previous}`,
          );
        }
        mounts.set(mountPath, `${type}.volumeMounts.${asString(asObject(m)?.name) ?? i}`);
      });
    }
    if (type === "script") {
      const source = asObject(template.script)?.source;
      if (typeof source !== "string") {
        this.issues.error(
          "template/script",
          childPath(path, "script"),
          `templates.${name}.script.source is required`,
        );
      }
    }
    if (type === "resource") {
      const resource = asObject(template.resource) ?? {};
      const action = asString(resource.action);
      if (action === undefined) {
        this.issues.error(
          "template/resource",
          childPath(path, "resource"),
          `templates.${name}.resource.action must be one of: ${RESOURCE_ACTIONS.join(", ")}`,
        );
      } else if (!action.includes("{{") && !RESOURCE_ACTIONS.includes(action)) {
        this.issues.error(
          "template/resource",
          childPath(path, "resource.action"),
          `templates.${name}.resource.action must be one of: ${RESOURCE_ACTIONS.join(", ")}`,
          {
            suggestion: closest(action, RESOURCE_ACTIONS),
          },
        );
      }
      if (resource.manifest === undefined && resource.manifestFrom === undefined) {
        this.issues.error(
          "template/resource",
          childPath(path, "resource"),
          `templates.${name}.resource must have either manifest or manifestFrom`,
        );
      }
    }
    if (type === "suspend") {
      const duration = scalarText(asObject(template.suspend)?.duration);
      if (duration !== undefined && !duration.includes("{{") && !isDuration(duration)) {
        this.issues.error(
          "template/suspend",
          childPath(path, "suspend.duration"),
          `templates.${name}.suspend.duration '${duration}' is not a number of seconds or a duration such as "30s" or "1h"`,
        );
      }
    }
    const deadline = template.activeDeadlineSeconds;
    if (typeof deadline === "number" && deadline < 0) {
      this.issues.error(
        "template/deadline",
        childPath(path, "activeDeadlineSeconds"),
        `templates.${name}.activeDeadlineSeconds must be a positive integer > 0 or an argo variable`,
      );
    } else if (
      typeof deadline === "string" && !deadline.includes("{{") && !/^[0-9]+$/.test(deadline)
    ) {
      this.issues.error(
        "template/deadline",
        childPath(path, "activeDeadlineSeconds"),
        `templates.${name}.activeDeadlineSeconds must be a positive integer > 0 or an argo variable`,
      );
    }
  }

  /** Adds what a step or task exposes to later steps or dependent tasks. */
  private addCallOutputs(
    scope: Scope,
    prefix: string,
    callee: Callee | undefined,
    holder: Obj,
  ): void {
    for (const field of ["status", "id", "startedAt", "finishedAt", "hostNodeName"]) {
      scope.add(`${prefix}.${field}`);
    }
    if (!callee) {
      // Unresolvable callee: its problem is reported once; do not cascade.
      scope.addPrefix(`${prefix}.`);
      return;
    }
    const template = callee.template;
    const type = TEMPLATE_TYPES.find((t) => template[t] !== undefined && template[t] !== null);
    if (type && RESULT_TYPES.has(type)) {
      scope.add(`${prefix}.outputs.result`);
      scope.add(`${prefix}.exitCode`);
    }
    if (template.daemon === true) scope.add(`${prefix}.ip`);
    const outputs = asObject(template.outputs);
    for (const p of asArray(outputs?.parameters)) {
      const name = scalarText(asObject(p)?.name);
      if (name) scope.add(`${prefix}.outputs.parameters.${name}`);
    }
    for (const a of asArray(outputs?.artifacts)) {
      const name = scalarText(asObject(a)?.name);
      if (name) scope.add(`${prefix}.outputs.artifacts.${name}`);
    }
    const looped = holder.withItems !== undefined || holder.withParam !== undefined ||
      holder.withSequence !== undefined;
    if (looped) {
      scope.add(`${prefix}.outputs.parameters`);
      scope.add(`${prefix}.outputs.result`);
    }
  }

  /** Checks loop fields and returns the scope a looped step or task body sees. */
  private loopScope(holder: Obj, path: string, scope: Scope): Scope {
    const kinds = ["withItems", "withParam", "withSequence"].filter((k) =>
      holder[k] !== undefined && holder[k] !== null
    );
    if (kinds.length > 1) {
      this.issues.error(
        "loops/one",
        path,
        "only one of withItems, withParam, withSequence can be specified",
      );
    }
    if (kinds.length === 0) return scope;
    const inner = new Scope(scope);
    if (Array.isArray(holder.withItems)) {
      for (const item of holder.withItems) {
        if (item !== null && typeof item === "object" && !Array.isArray(item)) {
          for (const key of Object.keys(item)) inner.add(`item.${key}`);
        } else if (Array.isArray(item)) {
          item.forEach((_, i) => inner.add(`item.[${i}]`));
        } else inner.add("item");
      }
      inner.add("item");
    } else if (holder.withParam !== undefined) {
      inner.add("item");
      inner.allowAnyItem();
    } else {
      const sequence = asObject(holder.withSequence);
      if (sequence && sequence.count !== undefined && sequence.end !== undefined) {
        this.issues.error(
          "loops/sequence",
          childPath(path, "withSequence"),
          "only one of count or end can be defined in withSequence",
        );
      }
      inner.add("item");
    }
    return inner;
  }

  private checkWhen(holder: Obj, path: string): void {
    const when = asString(holder.when);
    if (when === undefined) return;
    // `when` is evaluated after substitution: stand in a plain word for every tag.
    const scanned = scanTags(when);
    if (!scanned.ok) return; // reported by the tag check
    let text = "";
    let last = 0;
    for (const tag of scanned.value) {
      text += when.slice(last, tag.start) + "placeholder";
      last = tag.end;
    }
    text += when.slice(last);
    const parsed = parseWhen(text);
    if (!parsed.ok) {
      this.issues.error(
        "when/syntax",
        childPath(path, "when"),
        `invalid 'when' expression '${when}': ${parsed.error.message}`,
      );
    }
  }

  private validateSteps(template: Obj, path: string, templateScope: Scope): void {
    const scope = new Scope(templateScope);
    const names = new Set<string>();
    const stepsPath = childPath(path, "steps");
    const groups = asArray(template.steps);
    groups.forEach((g, i) => {
      const groupPath = childPath(stepsPath, i);
      const group = Array.isArray(g) ? g : asArray(asObject(g)?.steps);
      const resolved: Array<[Obj, Callee | undefined]> = [];
      group.forEach((s, j) => {
        const step = asObject(s);
        if (!step) return;
        const stepPath = childPath(groupPath, j);
        const name = scalarText(step.name);
        if (!name) {
          this.issues.error(
            "steps/name",
            stepPath,
            `templates.${template.name}.steps[${i}].name is required`,
          );
        } else {
          if (names.has(name)) {
            this.issues.error(
              "steps/name",
              childPath(stepPath, "name"),
              `templates.${template.name}.steps[${i}].name '${name}' is not unique`,
            );
          }
          if (!FIELD_NAME.test(name) || name.length > 128) {
            this.issues.error(
              "steps/name",
              childPath(stepPath, "name"),
              `templates.${template.name}.steps[${i}].name '${name}' is invalid: ${FIELD_NAME_MESSAGE}`,
            );
          }
          names.add(name);
          scope.add(`steps.${name}.status`);
        }
        const callee = this.resolveCallee(step, stepPath);
        if (callee) this.checkCallArguments(step, callee, stepPath);
        this.checkArguments(asObject(step.arguments), childPath(stepPath, "arguments"), false);
        this.checkWhen(step, stepPath);
        const onExit = asString(step.onExit);
        if (onExit !== undefined) this.checkTemplateName(onExit, childPath(stepPath, "onExit"));
        this.checkHooks(asObject(step.hooks), childPath(stepPath, "hooks"));
        resolved.push([step, callee]);
      });
      // Tags in this group see earlier groups only (and the status of this group's steps).
      for (const [step, callee] of resolved) {
        const index = group.indexOf(step);
        const stepPath = childPath(groupPath, index);
        const stepScope = this.loopScope(step, stepPath, scope);
        stepScope.add("steps.name");
        const hooksPath = childPath(stepPath, "hooks");
        this.checkTags(
          step,
          stepPath,
          stepScope,
          (p) => p === childPath(stepPath, "inline") || p === hooksPath,
          { laterSteps: names },
        );
        // A step's hooks run after it: they may read its own outputs, as Argo allows.
        const hookScope = new Scope(stepScope);
        const name = scalarText(step.name);
        if (name) this.addCallOutputs(hookScope, `steps.${name}`, callee, step);
        this.checkTags(step.hooks, hooksPath, hookScope, () => false, { laterSteps: names });
      }
      for (const [step, callee] of resolved) {
        const name = scalarText(step.name);
        if (name) this.addCallOutputs(scope, `steps.${name}`, callee, step);
      }
    });
    // The template's own outputs may aggregate any step.
    this.checkTags(template, path, scope, (p) => p === stepsPath);
  }

  private validateDag(template: Obj, path: string, templateScope: Scope): void {
    const dag = asObject(template.dag) ?? {};
    const dagPath = childPath(path, "dag");
    const tasksPath = childPath(dagPath, "tasks");
    const tasks = asArray(dag.tasks).map(asObject);
    const name = asString(template.name) ?? "(inline)";
    if (tasks.length === 0) {
      this.issues.error("dag/tasks", dagPath, `templates.${name} must have at least one task`);
      return;
    }
    const byName = new Map<string, { task: Obj; index: number }>();
    tasks.forEach((task, i) => {
      if (!task) return;
      const taskName = scalarText(task.name);
      const taskPath = childPath(tasksPath, i);
      if (!taskName) {
        this.issues.error("dag/name", taskPath, `templates.${name}.tasks[${i}].name is required`);
        return;
      }
      if (byName.has(taskName)) {
        this.issues.error(
          "dag/name",
          childPath(taskPath, "name"),
          `templates.${name}.tasks[${i}].name '${taskName}' is not unique`,
        );
      } else byName.set(taskName, { task, index: i });
      if (!FIELD_NAME.test(taskName) || taskName.length > 128) {
        this.issues.error(
          "dag/name",
          childPath(taskPath, "name"),
          `templates.${name}.tasks[${i}].name '${taskName}' is invalid: ${FIELD_NAME_MESSAGE}`,
        );
      } else if (/^[0-9]/.test(taskName)) {
        this.issues.error(
          "dag/name",
          childPath(taskPath, "name"),
          `templates.${name}.tasks.${taskName} name cannot begin with a digit when using either 'depends' or 'dependencies'`,
        );
      }
    });
    const usingDepends = tasks.some((t) => t && asString(t.depends));
    const dependencies = new Map<string, string[]>();
    const callees = new Map<string, Callee | undefined>();
    tasks.forEach((task, i) => {
      if (!task) return;
      const taskName = scalarText(task.name) ?? "";
      const taskPath = childPath(tasksPath, i);
      if (usingDepends && task.dependencies !== undefined) {
        this.issues.error(
          "dag/depends",
          childPath(taskPath, "dependencies"),
          `templates.${name} cannot use both 'depends' and 'dependencies' in the same DAG template`,
        );
      }
      if (usingDepends && task.continueOn !== undefined) {
        this.issues.error(
          "dag/depends",
          childPath(taskPath, "continueOn"),
          `templates.${name} cannot use 'continueOn' when using 'depends'. Instead use 'dep-task.Failed'/'dep-task.Errored'`,
        );
      }
      const deps: string[] = [];
      asArray(task.dependencies).forEach((d, j) => {
        const dep = scalarText(d);
        if (!dep) return;
        deps.push(dep);
        if (!byName.has(dep)) {
          this.issues.error(
            "dag/dependency",
            childPath(childPath(taskPath, "dependencies"), j),
            `templates.${name}.tasks.${taskName} dependency '${dep}' not defined`,
            {
              suggestion: closest(dep, byName.keys()),
            },
          );
        }
      });
      const depends = asString(task.depends);
      if (depends !== undefined) {
        const parsed = parseDepends(depends);
        if (!parsed.ok) {
          this.issues.error(
            "dag/depends",
            childPath(taskPath, "depends"),
            `invalid depends '${depends}': ${parsed.error.message}`,
          );
        } else {
          for (const dep of dependsTaskNames(parsed.value)) {
            deps.push(dep);
            if (!byName.has(dep)) {
              this.issues.error(
                "dag/dependency",
                childPath(taskPath, "depends"),
                `templates.${name}.tasks.${taskName} dependency '${dep}' not defined`,
                {
                  suggestion: closest(dep, byName.keys()),
                  needle: dep,
                },
              );
            }
          }
          for (const match of depends.matchAll(/([A-Za-z0-9_-]+)\.(AnySucceeded|AllFailed)\b/g)) {
            const dep = byName.get(match[1])?.task;
            if (
              dep && dep.withItems === undefined && dep.withParam === undefined &&
              dep.withSequence === undefined
            ) {
              this.issues.error(
                "dag/depends",
                childPath(taskPath, "depends"),
                `templates.${name}.tasks.${taskName} dependency '${
                  match[1]
                }' uses an items-based condition such as .AnySucceeded or .AllFailed but does not contain any items`,
                {
                  needle: match[0],
                },
              );
            }
          }
        }
      }
      dependencies.set(taskName, deps);
      const callee = this.resolveCallee(task, taskPath);
      callees.set(taskName, callee);
      if (callee) this.checkCallArguments(task, callee, taskPath);
      this.checkArguments(asObject(task.arguments), childPath(taskPath, "arguments"), false);
      this.checkWhen(task, taskPath);
      const onExit = asString(task.onExit);
      if (onExit !== undefined) this.checkTemplateName(onExit, childPath(taskPath, "onExit"));
      this.checkHooks(asObject(task.hooks), childPath(taskPath, "hooks"));
    });
    const cycle = findCycle(dependencies);
    if (cycle) {
      this.issues.error(
        "dag/cycle",
        tasksPath,
        `templates.${name}.tasks dependency cycle detected: ${cycle.join("->")}`,
      );
    }
    const target = asString(dag.target);
    if (target && !target.includes("{{")) {
      for (const t of target.split(" ").filter((x) => x !== "")) {
        if (!byName.has(t)) {
          this.issues.error(
            "dag/target",
            childPath(dagPath, "target"),
            `templates.${name}.targets: target '${t}' is not defined`,
            {
              suggestion: closest(t, byName.keys()),
              needle: t,
            },
          );
        }
      }
    }
    // A task may use the outputs of its ancestors only: those are the tasks sure to have run.
    const allTasks = new Scope(templateScope);
    allTasks.add("tasks.name");
    for (const [taskName, entry] of byName) {
      this.addCallOutputs(allTasks, `tasks.${taskName}`, callees.get(taskName), entry.task);
    }
    const ancestry = new Ancestry(dependencies);
    tasks.forEach((task, i) => {
      if (!task) return;
      const taskName = scalarText(task.name) ?? "";
      const taskPath = childPath(tasksPath, i);
      const bodyScope = this.loopScope(task, taskPath, allTasks);
      const hooksPath = childPath(taskPath, "hooks");
      const hints = {
        siblingTasks: byName,
        taskName,
        isAncestor: (other: string) => other === taskName || ancestry.isAncestor(other, taskName),
      };
      this.checkTags(
        task,
        taskPath,
        bodyScope,
        (p) => p === childPath(taskPath, "inline") || p === hooksPath,
        { ...hints, isAncestor: (other) => ancestry.isAncestor(other, taskName) },
      );
      // A task's hooks run after it: they may read its own outputs, as Argo allows.
      this.checkTags(task.hooks, hooksPath, bodyScope, () => false, hints);
    });
    this.checkTags(template, path, allTasks, (p) => p === dagPath);
  }

  /** Checks every `{{...}}` in a value against a scope. */
  private checkTags(
    value: unknown,
    path: string,
    scope: Scope,
    skip: (path: string) => boolean,
    hints: UnresolvedHints = {},
  ): void {
    forEachString(
      value,
      path,
      (text, at) => {
        if (!text.includes("{{")) return;
        const scanned = scanTags(text);
        if (!scanned.ok) {
          this.issues.error("variables/syntax", at, scanned.error.message);
          return;
        }
        for (const tag of scanned.value) {
          const raw = text.slice(tag.start, tag.end);
          if (tag.kind === "expression") {
            const variables = expressionVariables(tag.inner);
            if (!variables.ok) {
              this.issues.error(
                "expression/syntax",
                at,
                `invalid expression ${raw}: ${variables.error.message}`,
                { needle: raw },
              );
              continue;
            }
            for (const variable of variables.value) {
              if (
                isCheckedExpressionVariable(variable) &&
                (!scope.hasPrefixOf(variable) || !this.isReachableTask(variable, hints))
              ) {
                this.reportUnresolved(variable, raw, at, scope, hints);
              }
            }
            continue;
          }
          const name = tag.inner;
          if (!isCheckedTag(name)) continue;
          if (!scope.has(name) || !this.isReachableTask(name, hints)) {
            this.reportUnresolved(name, raw, at, scope, hints);
          }
        }
      },
      childPath,
      skip,
    );
  }

  /** `tasks.X...` resolves only when X is an ancestor of the task that refers to it. */
  private isReachableTask(name: string, hints: UnresolvedHints): boolean {
    if (!hints.isAncestor || !name.startsWith("tasks.")) return true;
    const task = name.split(".")[1];
    if (task === "name" || !hints.siblingTasks?.has(task)) return true;
    return hints.isAncestor(task);
  }

  private reportUnresolved(
    name: string,
    raw: string,
    path: string,
    scope: Scope,
    hints: UnresolvedHints,
  ): void {
    let message = `failed to resolve {{${name}}}`;
    const parts = name.split(".");
    if (["workflow.status", "workflow.failures", "workflow.duration"].includes(name)) {
      message += ": it is only available in exit handlers and hooks";
    } else if (parts[0] === "tasks" && parts.length > 1 && hints.siblingTasks?.has(parts[1])) {
      message += `: task '${
        parts[1]
      }' is not a dependency of '${hints.taskName}'; add it to depends or dependencies`;
    } else if (parts[0] === "steps" && parts.length > 1 && hints.laterSteps?.has(parts[1])) {
      message += `: step '${
        parts[1]
      }' is in the same or a later step group; a step sees only earlier groups`;
    } else if (parts[0] === "item") {
      message +=
        ": item is only defined in a step or task with withItems, withParam or withSequence";
    } else if (parts[0] === "inputs" && parts[1] === "parameters" && parts.length > 2) {
      message += `: declare it under inputs.parameters`;
    }
    this.issues.error("variables/unresolved", path, message, {
      suggestion: closest(name, scope.names()),
      needle: raw,
    });
  }
}

interface UnresolvedHints {
  laterSteps?: Set<string>;
  siblingTasks?: Map<string, unknown>;
  taskName?: string;
  isAncestor?: (task: string) => boolean;
}

/** Steps and tasks (and hooks) of a template: everything that calls another template. */
function callHolders(template: Obj): Obj[] {
  const holders: Obj[] = [];
  for (const group of asArray(template.steps)) {
    for (const step of Array.isArray(group) ? group : asArray(asObject(group)?.steps)) {
      const s = asObject(step);
      if (s) holders.push(s);
    }
  }
  for (const task of asArray(asObject(template.dag)?.tasks)) {
    const t = asObject(task);
    if (t) holders.push(t);
  }
  return holders;
}

/** Input parameters a caller must supply: no value, no default, no valueFrom. */
function requiredInputs(template: Obj): string[] {
  const required: string[] = [];
  for (const p of asArray(asObject(template.inputs)?.parameters)) {
    const param = asObject(p);
    const name = scalarText(param?.name);
    if (!param || !name) continue;
    const hasValue = (param.value !== undefined && param.value !== null) ||
      (param.default !== undefined && param.default !== null) ||
      (param.valueFrom !== undefined && param.valueFrom !== null);
    if (!hasValue) required.push(name);
  }
  return required;
}

function isDuration(text: string): boolean {
  return /^[0-9]+$/.test(text) || /^([0-9]+(\.[0-9]+)?(ns|us|µs|ms|s|m|h))+$/.test(text);
}

/** The first dependency cycle, as a list of task names ending where it started. */
export function findCycle(graph: Map<string, string[]>): string[] | undefined {
  const state = new Map<string, "visiting" | "done">();
  for (const start of graph.keys()) {
    if (state.has(start)) continue;
    // Iterative depth-first search: a 10,000-task chain must not overflow the stack.
    const stack: Array<{ node: string; next: number }> = [{ node: start, next: 0 }];
    const trail: string[] = [start];
    state.set(start, "visiting");
    while (stack.length > 0) {
      const frame = stack[stack.length - 1];
      const deps = graph.get(frame.node) ?? [];
      if (frame.next >= deps.length) {
        state.set(frame.node, "done");
        stack.pop();
        trail.pop();
        continue;
      }
      const dep = deps[frame.next++];
      if (!graph.has(dep)) continue;
      const seen = state.get(dep);
      if (seen === "visiting") return [...trail.slice(trail.indexOf(dep)), dep];
      if (seen === "done") continue;
      state.set(dep, "visiting");
      stack.push({ node: dep, next: 0 });
      trail.push(dep);
    }
  }
  return undefined;
}

/** Answers "is A an ancestor of B" lazily, computing a task's ancestors only when asked. */
class Ancestry {
  readonly #cache = new Map<string, Set<string>>();

  constructor(private readonly graph: Map<string, string[]>) {}

  isAncestor(ancestor: string, task: string): boolean {
    let seen = this.#cache.get(task);
    if (!seen) {
      seen = new Set<string>();
      const stack = [...(this.graph.get(task) ?? [])];
      while (stack.length > 0) {
        const dep = stack.pop()!;
        if (seen.has(dep) || dep === task) continue;
        seen.add(dep);
        stack.push(...(this.graph.get(dep) ?? []));
      }
      this.#cache.set(task, seen);
    }
    return seen.has(ancestor);
  }
}
