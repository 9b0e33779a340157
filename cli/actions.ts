/**
 * Commands that act on running or finished workflows, as Argo's CLI does them: `suspend`,
 * `resume`, `stop`, `terminate` and `node set` patch the workflow (`spec.suspend`,
 * `spec.shutdown`, suspend nodes' status); `retry` resets the failed part of a workflow's status
 * and deletes its pods so the controller runs it again; `resubmit` creates a new workflow from
 * the old one's spec.
 *
 * Patches are JSON merge patches without a resourceVersion: the controller writes status with
 * its resourceVersion, so a patch that lands in between makes its write conflict and it reads
 * the patched workflow again; nothing is lost either way.
 */
import { Command } from "@commander-js/extra-typings";
import type { NodeStatus, Parameter, Workflow } from "../api/types.gen.ts";
import { type Connection, PodClient, type WorkflowClient } from "../kube/client.ts";
import type { CliContext } from "./io.ts";
import { EXIT_USAGE, notBuiltMessage } from "./not_built.ts";
import { isActiveSuspendNode } from "./printer/style.ts";
import { type FieldRequirement, matchesNode, parseFieldSelector } from "./printer/selector.ts";
import { printWorkflowHeader } from "./printer/mod.ts";
import { isCompleted } from "./watch.ts";
import {
  applyParameters,
  collect,
  followSubmitted,
  globals,
  notFound,
  open,
  parseParameters,
  printObject,
  reportError,
  resolveName,
} from "./workflows.ts";

const LABEL_COMPLETED = "workflows.argoproj.io/completed";
const LABEL_PHASE = "workflows.argoproj.io/phase";
const LABEL_WORKFLOW = "workflows.argoproj.io/workflow";
const LABEL_RESUBMITTED_FROM = "workflows.argoproj.io/resubmitted-from-workflow";
const NODE_ID_ANNOTATION = "workflows.argoproj.io/node-id";

/** Node types that only group others: on retry they are reset, not deleted. */
const BOUNDARY_TYPES = new Set(["Steps", "DAG", "StepGroup", "TaskGroup", "Retry"]);

type Opened = { client: WorkflowClient; connection: Connection };

/** Opens the cluster and resolves the names (`@latest` too); runs `each` per workflow. */
async function forEachWorkflow(
  ctx: CliContext,
  command: Command<unknown[], Record<string, unknown>>,
  names: string[],
  each: (opened: Opened, namespace: string, wf: Workflow) => Promise<void>,
  select: { labelSelector?: string; fieldSelector?: string } = {},
): Promise<void> {
  const selecting = select.labelSelector !== undefined || select.fieldSelector !== undefined;
  if (names.length === 0 && !selecting) {
    ctx.io.err(`argo-ts ${command.name()}: name a workflow, or use @latest\n`);
    ctx.exitCode = EXIT_USAGE;
    return;
  }
  const global = globals(command);
  const opened = open(ctx, global);
  if (!opened) return;
  const namespace = global.namespace ?? opened.connection.namespace;
  const all = [...names];
  if (selecting) {
    const listed = await opened.client.list(namespace, select);
    if (!listed.ok) return reportError(ctx, listed.error);
    for (const wf of listed.value.items) {
      const name = wf.metadata.name ?? "";
      if (!all.includes(name)) all.push(name);
    }
  }
  for (const requested of all) {
    const name = await resolveName(ctx, opened.client, namespace, requested);
    if (name === undefined) return;
    const got = await opened.client.get(namespace, name);
    if (!got.ok) {
      if (got.error.code === 404) await notFound(ctx, opened.client, namespace, name);
      else reportError(ctx, got.error);
      continue;
    }
    await each(opened, namespace, got.value);
  }
}

function fail(ctx: CliContext, message: string): void {
  ctx.io.err(`argo-ts: ${message}\n`);
  ctx.exitCode = 1;
}

function selector(ctx: CliContext, text: string | undefined): FieldRequirement[] | undefined {
  if (text === undefined) return [];
  try {
    return parseFieldSelector(text);
  } catch (error) {
    ctx.io.err(`argo-ts: ${(error as Error).message}; use e.g. displayName=approve\n`);
    ctx.exitCode = EXIT_USAGE;
    return undefined;
  }
}

async function patch(
  ctx: CliContext,
  opened: Opened,
  namespace: string,
  name: string,
  body: unknown,
  done: string,
): Promise<void> {
  const patched = await opened.client.mergePatch(namespace, name, body);
  if (!patched.ok) reportError(ctx, patched.error);
  else ctx.io.out(`${done}\n`);
}

export function suspendCommand(ctx: CliContext) {
  return new Command("suspend")
    .description("Suspend zero or more workflows")
    .argument("[names...]", "workflow names, or @latest")
    .action((names, _options, command) =>
      forEachWorkflow(ctx, command, names, async (opened, namespace, wf) => {
        const name = wf.metadata.name ?? "";
        if (isCompleted(wf)) return fail(ctx, `cannot suspend completed workflow "${name}"`);
        await patch(
          ctx,
          opened,
          namespace,
          name,
          { spec: { suspend: true } },
          `workflow ${name} suspended`,
        );
      })
    );
}

/** The status patch that completes the selected active suspend nodes, as Argo's resume does. */
export function resumeNodesPatch(
  wf: Workflow,
  requirements: FieldRequirement[],
  values: { phase: "Succeeded" | "Failed"; message?: string; outputs?: Parameter[] },
  now: string,
): { nodes: Record<string, Partial<NodeStatus>>; problem?: string } {
  const nodes: Record<string, Partial<NodeStatus>> = {};
  for (const [id, node] of Object.entries(wf.status?.nodes ?? {})) {
    if (!isActiveSuspendNode(node) || !matchesNode(requirements, node)) continue;
    const parameters = (node.outputs?.parameters ?? []).map((p) => ({ ...p }));
    for (const supplied of values.outputs ?? []) {
      const existing = parameters.find((p) => p.name === supplied.name);
      if (existing) {
        existing.value = supplied.value;
        delete existing.valueFrom;
      } else parameters.push({ name: supplied.name, value: supplied.value });
    }
    // A parameter the user was to supply falls back to its default, or the resume fails.
    for (const p of parameters) {
      if (p.valueFrom?.supplied === undefined) continue;
      if (p.valueFrom.default === undefined) {
        return {
          nodes: {},
          problem: `raw output parameter '${p.name}' has not been set and does not have a ` +
            `default value; set it with \`argo-ts node set ${wf.metadata.name} ` +
            `--output-parameter ${p.name}=VALUE --node-field-selector displayName=${node.displayName}\``,
        };
      }
      p.value = p.valueFrom.default;
      delete p.valueFrom;
    }
    nodes[id] = {
      phase: values.phase,
      finishedAt: now,
      ...(values.message !== undefined ? { message: values.message } : {}),
      ...(parameters.length > 0 ? { outputs: { ...node.outputs, parameters } } : {}),
    };
  }
  return { nodes };
}

function nowString(): string {
  return new Date().toISOString().replace(/\.\d{3}Z$/, "Z");
}

export function resumeCommand(ctx: CliContext) {
  return new Command("resume")
    .description("Resume zero or more workflows")
    .argument("[names...]", "workflow names, or @latest")
    .option("--node-field-selector <selector>", "only resume suspend nodes matching this")
    .action(async (names, options, command) => {
      const requirements = selector(ctx, options.nodeFieldSelector);
      if (!requirements) return;
      await forEachWorkflow(ctx, command, names, async (opened, namespace, wf) => {
        const name = wf.metadata.name ?? "";
        const { nodes, problem } = resumeNodesPatch(wf, requirements, {
          phase: "Succeeded",
        }, nowString());
        if (problem) return fail(ctx, problem);
        const body = Object.keys(nodes).length > 0
          ? { spec: { suspend: null }, status: { nodes } }
          : { spec: { suspend: null } };
        await patch(ctx, opened, namespace, name, body, `workflow ${name} resumed`);
      });
    });
}

function shutdownCommand(ctx: CliContext, strategy: "Stop" | "Terminate") {
  const verb = strategy === "Stop" ? "stopped" : "terminated";
  const command = new Command(strategy.toLowerCase())
    .description(
      strategy === "Stop"
        ? "Stop zero or more workflows allowing all exit handlers to run"
        : "Terminate zero or more workflows immediately",
    )
    .argument("[names...]", "workflow names, or @latest")
    .option("--dry-run", "print what would be done, change nothing")
    .option("-l, --selector <selector>", "also the workflows with these labels")
    .option("--field-selector <selector>", "also the workflows matching this field selector");
  if (strategy === "Stop") {
    command
      .option("--message <message>", "message to set on the stopped suspend nodes")
      .option("--node-field-selector <selector>", "also fail the suspend nodes matching this");
  }
  return command.action(async (names, options, cmd) => {
    const values = options as {
      dryRun?: boolean;
      message?: string;
      nodeFieldSelector?: string;
      selector?: string;
      fieldSelector?: string;
    };
    const requirements = values.nodeFieldSelector === undefined
      ? undefined
      : selector(ctx, values.nodeFieldSelector);
    if (values.nodeFieldSelector !== undefined && !requirements) return;
    await forEachWorkflow(ctx, cmd, names, async (opened, namespace, wf) => {
      const name = wf.metadata.name ?? "";
      if (isCompleted(wf)) {
        return fail(ctx, `cannot shutdown a completed workflow: "${name}" is ${wf.status?.phase}`);
      }
      if (values.dryRun) {
        ctx.io.out(`workflow ${name} ${verb} (dry-run)\n`);
        return;
      }
      const body: Record<string, unknown> = { spec: { shutdown: strategy } };
      if (requirements) {
        const { nodes } = resumeNodesPatch(wf, requirements, {
          phase: "Failed",
          message: values.message,
        }, nowString());
        if (Object.keys(nodes).length > 0) body.status = { nodes };
      }
      await patch(ctx, opened, namespace, name, body, `workflow ${name} ${verb}`);
    }, selectRunning(values.selector, values.fieldSelector));
  });
}

/** Selected (not named) workflows that have completed are left out, not reported as errors. */
function selectRunning(labels: string | undefined, fields: string | undefined) {
  if (labels === undefined && fields === undefined) return {};
  return {
    labelSelector: [labels, `${LABEL_COMPLETED}!=true`].filter((s) => s).join(","),
    fieldSelector: fields,
  };
}

export const stopCommand = (ctx: CliContext) => shutdownCommand(ctx, "Stop");
export const terminateCommand = (ctx: CliContext) => shutdownCommand(ctx, "Terminate");

export function nodeCommand(ctx: CliContext) {
  const node = new Command("node").description("Perform action on a node in a workflow");
  node.command("set")
    .description("Set a suspend node's phase, message or output parameters")
    .argument("<name>", "workflow name, or @latest")
    .requiredOption(
      "--node-field-selector <selector>",
      "the nodes to set, e.g. displayName=approve",
    )
    .option(
      "-p, --output-parameter <name=value>",
      "output parameter (repeatable)",
      collect,
      [] as string[],
    )
    .option("--phase <phase>", "Succeeded or Failed")
    .option("-m, --message <message>", "message to set on the node")
    .action(async (name, options, command) => {
      const requirements = selector(ctx, options.nodeFieldSelector);
      if (!requirements) return;
      const outputs = parseParameters(options.outputParameter);
      if (!outputs.ok) {
        ctx.io.err(`argo-ts node set: ${outputs.message}\n`);
        ctx.exitCode = EXIT_USAGE;
        return;
      }
      if (options.phase !== undefined && !["Succeeded", "Failed"].includes(options.phase)) {
        ctx.io.err(`argo-ts node set: --phase takes Succeeded or Failed, not "${options.phase}"\n`);
        ctx.exitCode = EXIT_USAGE;
        return;
      }
      await forEachWorkflow(ctx, command, [name], async (opened, namespace, wf) => {
        const wfName = wf.metadata.name ?? "";
        const nodes: Record<string, Partial<NodeStatus>> = {};
        for (const [id, each] of Object.entries(wf.status?.nodes ?? {})) {
          if (each.type !== "Suspend" || !matchesNode(requirements, each)) continue;
          const parameters = (each.outputs?.parameters ?? []).map((p) => ({ ...p }));
          for (const supplied of outputs.value) {
            const existing = parameters.find((p) => p.name === supplied.name);
            if (existing) {
              existing.value = supplied.value;
              delete existing.valueFrom;
            } else parameters.push({ ...supplied });
          }
          nodes[id] = {
            ...(options.phase ? { phase: options.phase as NodeStatus["phase"] } : {}),
            ...(options.phase ? { finishedAt: nowString() } : {}),
            ...(options.message !== undefined ? { message: options.message } : {}),
            ...(parameters.length > 0 ? { outputs: { ...each.outputs, parameters } } : {}),
          };
        }
        if (Object.keys(nodes).length === 0) {
          return fail(
            ctx,
            `no suspend node of "${wfName}" matches "${options.nodeFieldSelector}"; ` +
              `run \`argo-ts get ${wfName}\` to see its nodes`,
          );
        }
        await patch(
          ctx,
          opened,
          namespace,
          wfName,
          { status: { nodes } },
          `workflow ${wfName} updated`,
        );
      });
    });
  return node;
}

/**
 * What `retry` changes in a Failed/Error workflow's status: failed leaf nodes (and the selected
 * succeeded ones, with everything under them, and the exit handler's nodes) are deleted so the
 * engine runs them again; their ancestors are reset to Running.
 */
export function retryPlan(
  wf: Workflow,
  options: { restartSuccessful: boolean; requirements: FieldRequirement[] },
): { deleted: Set<string>; reset: Set<string> } {
  const nodes = wf.status?.nodes ?? {};
  const parentOf = new Map<string, string>();
  for (const node of Object.values(nodes)) {
    for (const child of node.children ?? []) parentOf.set(child, node.id);
  }
  const deleted = new Set<string>();
  const deleteTree = (id: string) => {
    if (deleted.has(id) || !nodes[id]) return;
    deleted.add(id);
    for (const child of nodes[id].children ?? []) deleteTree(child);
  };
  const exitPrefix = `${wf.metadata.name}.onExit`;
  for (const [id, node] of Object.entries(nodes)) {
    const phase = node.phase ?? "Pending";
    const passed = phase === "Succeeded" || phase === "Skipped" || phase === "Omitted";
    if (node.name.startsWith(exitPrefix)) deleteTree(id);
    else if (
      passed && options.restartSuccessful && options.requirements.length > 0 &&
      matchesNode(options.requirements, node)
    ) deleteTree(id);
    else if (!passed && !BOUNDARY_TYPES.has(node.type)) deleteTree(id);
  }
  const reset = new Set<string>();
  for (const [id, node] of Object.entries(nodes)) {
    if (deleted.has(id)) continue;
    const phase = node.phase ?? "Pending";
    if (BOUNDARY_TYPES.has(node.type) && phase !== "Succeeded" && phase !== "Skipped") {
      reset.add(id);
    }
  }
  for (const id of deleted) {
    for (let up = parentOf.get(id); up && !deleted.has(up); up = parentOf.get(up)) reset.add(up);
  }
  return { deleted, reset };
}

interface FollowOptions {
  wait?: boolean;
  watch?: boolean;
  log?: boolean;
  output?: string;
}

function printResult(ctx: CliContext, wf: Workflow, output: string | undefined): void {
  if (output === "name") ctx.io.out(`${wf.metadata.name}\n`);
  else if (output === "json" || output === "yaml") printObject(ctx, wf, output);
  else ctx.io.out(printWorkflowHeader(wf, { now: new Date(), utf8: true, color: false }));
}

async function follow(
  ctx: CliContext,
  opened: Opened,
  namespace: string,
  wf: Workflow,
  options: FollowOptions,
): Promise<void> {
  await followSubmitted(ctx, opened.client, [{ namespace, name: wf.metadata.name ?? "" }], {
    wait: options.wait ?? false,
    watch: options.watch ?? false,
    log: options.log ?? false,
    quiet: options.output === "json" || options.output === "yaml" || options.output === "name",
  });
}

export function retryCommand(ctx: CliContext) {
  return new Command("retry")
    .description("Retry zero or more workflows")
    .argument("[names...]", "workflow names, or @latest")
    .option("--restart-successful", "also re-run succeeded nodes matching --node-field-selector")
    .option("--node-field-selector <selector>", "the succeeded nodes to re-run")
    .option(
      "-p, --parameter <name=value>",
      "override a workflow parameter (repeatable)",
      collect,
      [] as string[],
    )
    .option("-w, --wait", "wait for the workflow to complete")
    .option("--watch", "watch the workflow until it completes")
    .option("--log", "stream the pods' logs until the workflow completes")
    .option("-o, --output <format>", "output format: name, json, yaml or wide")
    .option("-l, --selector <selector>", "also the workflows with these labels")
    .option("--field-selector <selector>", "also the workflows matching this field selector")
    .action(async (names, options, cmd) => {
      const requirements = selector(ctx, options.nodeFieldSelector);
      if (!requirements) return;
      if (options.restartSuccessful && requirements.length === 0) {
        ctx.io.err("argo-ts retry: --restart-successful needs --node-field-selector\n");
        ctx.exitCode = EXIT_USAGE;
        return;
      }
      const parameters = parseParameters(options.parameter);
      if (!parameters.ok) {
        ctx.io.err(`argo-ts retry: ${parameters.message}\n`);
        ctx.exitCode = EXIT_USAGE;
        return;
      }
      await forEachWorkflow(ctx, cmd, names, async (opened, namespace, wf) => {
        const name = wf.metadata.name ?? "";
        const phase = wf.status?.phase;
        if (phase !== "Failed" && phase !== "Error") {
          return fail(
            ctx,
            `workflow must be Failed/Error to retry: "${name}" is ${phase ?? "Pending"}`,
          );
        }
        const plan = retryPlan(wf, {
          restartSuccessful: options.restartSuccessful ?? false,
          requirements,
        });
        // Pods have deterministic names: the old ones must go, or the new nodes would adopt them.
        const pods = new PodClient(opened.connection);
        const listed = await pods.list(namespace, `${LABEL_WORKFLOW}=${name}`);
        if (!listed.ok) return reportError(ctx, listed.error);
        for (const pod of listed.value) {
          const id = pod.metadata?.annotations?.[NODE_ID_ANNOTATION];
          if (id === undefined || !plan.deleted.has(id)) continue;
          const gone = await pods.delete(namespace, pod.metadata?.name ?? "");
          if (!gone.ok && gone.error.code !== 404) return reportError(ctx, gone.error);
        }
        const nodes: Record<string, unknown> = {};
        for (const id of plan.deleted) nodes[id] = null;
        for (const id of plan.reset) {
          nodes[id] = { phase: "Running", finishedAt: null, message: null };
        }
        const spec: Record<string, unknown> = { shutdown: null };
        if (parameters.value.length > 0) {
          const copy = structuredClone(wf);
          applyParameters(copy, parameters.value);
          spec.arguments = copy.spec.arguments;
        }
        const patched = await opened.client.mergePatch(namespace, name, {
          metadata: { labels: { [LABEL_COMPLETED]: "false", [LABEL_PHASE]: "Running" } },
          spec,
          status: { phase: "Running", finishedAt: null, message: null, conditions: null, nodes },
        });
        if (!patched.ok) return reportError(ctx, patched.error);
        printResult(ctx, patched.value, options.output);
        await follow(ctx, opened, namespace, patched.value, options);
      }, { labelSelector: options.selector, fieldSelector: options.fieldSelector });
    });
}

/** A new workflow from an old one's spec, labelled with where it came from. */
export function resubmitted(wf: Workflow, parameters: Parameter[]): Workflow {
  const labels = { ...wf.metadata.labels };
  delete labels[LABEL_COMPLETED];
  delete labels[LABEL_PHASE];
  labels[LABEL_RESUBMITTED_FROM] = wf.metadata.name ?? "";
  const spec = structuredClone(wf.spec);
  delete spec.shutdown;
  delete spec.suspend;
  const fresh: Workflow = {
    apiVersion: wf.apiVersion,
    kind: "Workflow",
    metadata: {
      ...(wf.metadata.generateName
        ? { generateName: wf.metadata.generateName }
        : { generateName: `${wf.metadata.name}-` }),
      namespace: wf.metadata.namespace,
      labels,
      ...(wf.metadata.annotations ? { annotations: { ...wf.metadata.annotations } } : {}),
    },
    spec,
  };
  applyParameters(fresh, parameters);
  return fresh;
}

export function resubmitCommand(ctx: CliContext) {
  return new Command("resubmit")
    .description("Resubmit one or more workflows")
    .argument("[names...]", "workflow names, or @latest")
    .option("--memoized", "reuse the outputs of the nodes that succeeded")
    .option(
      "-p, --parameter <name=value>",
      "override a workflow parameter (repeatable)",
      collect,
      [] as string[],
    )
    .option("-w, --wait", "wait for the workflow to complete")
    .option("--watch", "watch the workflow until it completes")
    .option("--log", "stream the pods' logs until the workflow completes")
    .option("-o, --output <format>", "output format: name, json, yaml or wide")
    .option("-l, --selector <selector>", "also the workflows with these labels")
    .option("--field-selector <selector>", "also the workflows matching this field selector")
    .action(async (names, options, cmd) => {
      if (options.memoized) {
        ctx.io.err(notBuiltMessage("resubmit --memoized"));
        ctx.exitCode = EXIT_USAGE;
        return;
      }
      const parameters = parseParameters(options.parameter);
      if (!parameters.ok) {
        ctx.io.err(`argo-ts resubmit: ${parameters.message}\n`);
        ctx.exitCode = EXIT_USAGE;
        return;
      }
      await forEachWorkflow(ctx, cmd, names, async (opened, namespace, wf) => {
        const created = await opened.client.create(namespace, resubmitted(wf, parameters.value));
        if (!created.ok) return reportError(ctx, created.error, "Failed to resubmit workflow");
        printResult(ctx, created.value, options.output);
        await follow(ctx, opened, namespace, created.value, options);
      }, { labelSelector: options.selector, fieldSelector: options.fieldSelector });
    });
}
