/**
 * Workflow commands against a cluster: `submit`, `list`, `get`, `delete`. They talk to any
 * kubeconfig (the embedded cluster or a real one) through `kube/` and print with `cli/printer/`.
 */
import { Command, Option } from "@commander-js/extra-typings";
import { stringify as toYaml } from "yaml";
import { decodeText, loadSource, type SourceDocument } from "../api/source.ts";
import type { CronWorkflow, Parameter, Workflow } from "../api/types.gen.ts";
import {
  clusterWorkflowTemplateClient,
  connect,
  type Connection,
  cronWorkflowClient,
  type CustomResourceClient,
  type KubeError,
  PodClient,
  WorkflowClient,
  workflowTemplateClient,
} from "../kube/client.ts";
import { lintDocuments } from "../validate/mod.ts";
import type { CliContext } from "./io.ts";
import { formatFinding } from "./lint.ts";
import { EXIT_USAGE } from "./not_built.ts";
import { streamWorkflowLogs } from "./logs.ts";
import { waitForAll, watchWorkflow } from "./watch.ts";
import {
  printWorkflowGet,
  printWorkflowHeader,
  printWorkflowList,
  sortWorkflowsForList,
} from "./printer/mod.ts";

/** Options every cluster command accepts, before or after the command word. */
export interface GlobalOptions {
  namespace?: string;
  kubeconfig?: string;
  context?: string;
  stateDir?: string;
  color?: boolean;
}

/** Adds the kubectl-style global options to the program. */
export function addGlobalOptions<T extends Command>(program: T): T {
  program
    .option("-n, --namespace <namespace>", "namespace of the workflows")
    .option("--kubeconfig <path>", "path to a kubeconfig file")
    .option("--context <name>", "the kubeconfig context to use")
    .option("--state-dir <dir>", "the embedded cluster's state directory (default ~/.argo-ts)")
    .option("-v, --verbose", "more output");
  return program;
}

export function globals(command: Command<unknown[], Record<string, unknown>>): GlobalOptions {
  const all = command.optsWithGlobals() as Record<string, unknown>;
  return {
    namespace: typeof all.namespace === "string" ? all.namespace : undefined,
    kubeconfig: typeof all.kubeconfig === "string" ? all.kubeconfig : undefined,
    context: typeof all.context === "string" ? all.context : undefined,
    stateDir: typeof all.stateDir === "string" ? all.stateDir : undefined,
  };
}

export function open(
  ctx: CliContext,
  options: GlobalOptions,
): { client: WorkflowClient; connection: Connection } | undefined {
  const connected = connect(options);
  if (!connected.ok) {
    ctx.io.err(`argo-ts: ${connected.error.message}\n`);
    ctx.exitCode = 1;
    return undefined;
  }
  return { client: new WorkflowClient(connected.value), connection: connected.value };
}

export function reportError(ctx: CliContext, error: KubeError, what?: string): void {
  const prefix = what ? `${what}: ` : "";
  ctx.io.err(`argo-ts: ${prefix}${error.message}\n`);
  ctx.exitCode = 1;
}

export function printObject(ctx: CliContext, value: unknown, format: "json" | "yaml"): void {
  ctx.io.out(
    format === "json" ? JSON.stringify(value, null, 2) + "\n" : toYaml(value, { version: "1.1" }),
  );
}

export const collect = (value: string, previous: string[] = []) => [...previous, value];

/** Parses `-p name=value` pairs; a pair without `=` is a usage error. */
export function parseParameters(
  pairs: string[],
): { ok: true; value: Parameter[] } | { ok: false; message: string } {
  const parameters: Parameter[] = [];
  for (const pair of pairs) {
    const at = pair.indexOf("=");
    if (at <= 0) return { ok: false, message: `expected a parameter as name=value, got "${pair}"` };
    parameters.push({ name: pair.slice(0, at), value: pair.slice(at + 1) });
  }
  return { ok: true, value: parameters };
}

export function parseLabels(text: string | undefined): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const pair of (text ?? "").split(",").filter((p) => p.includes("="))) {
    const at = pair.indexOf("=");
    labels[pair.slice(0, at).trim()] = pair.slice(at + 1).trim();
  }
  return labels;
}

/** Sets or adds workflow arguments, as `argo submit -p` does. */
export function applyParameters(workflow: Workflow, parameters: Parameter[]): void {
  const args = workflow.spec.arguments ??= {};
  const list = args.parameters ??= [];
  for (const parameter of parameters) {
    const existing = list.find((p) => p.name === parameter.name);
    if (existing) {
      existing.value = parameter.value;
      delete existing.valueFrom;
    } else list.push({ ...parameter });
  }
}

export function submitCommand(ctx: CliContext) {
  return new Command("submit")
    .description("Submit a workflow")
    .argument("[files...]", "workflow files, or - for standard input")
    .option(
      "--from <kind/name>",
      "submit from a wftmpl, cwftmpl or cronwf, e.g. wftmpl/my-template",
    )
    .option("-p, --parameter <name=value>", "input parameter (repeatable)", collect, [] as string[])
    .option("-f, --parameter-file <file>", "a YAML or JSON file of parameter values")
    .option("--entrypoint <template>", "override the entrypoint")
    .option("--generate-name <prefix>", "override metadata.generateName")
    .option("--name <name>", "override metadata.name")
    .option("--serviceaccount <name>", "run all pods as this service account")
    .option("-l, --labels <labels>", "comma separated labels to add, e.g. a=b,c=d")
    .option("--dry-run", "print what would be submitted, do not submit")
    .option("--server-dry-run", "ask the server to validate without creating")
    .addOption(
      new Option("-o, --output <format>", "output format").choices([
        "name",
        "json",
        "yaml",
        "wide",
      ]),
    )
    .option("-w, --wait", "wait for the workflow to complete")
    .option("--watch", "watch the workflow until it completes")
    .option("--log", "stream the pods' logs until the workflow completes")
    .action(async (files, options, command) => {
      if (options.wait && options.watch) {
        ctx.io.err("argo-ts submit: use --wait or --watch, not both\n");
        ctx.exitCode = EXIT_USAGE;
        return;
      }
      const parsed = parseParameters(options.parameter);
      if (!parsed.ok) {
        ctx.io.err(`argo-ts submit: ${parsed.message}\n`);
        ctx.exitCode = EXIT_USAGE;
        return;
      }
      const parameters = parsed.value;
      if (options.parameterFile) {
        const fromFile = await readParameterFile(options.parameterFile);
        if (!fromFile.ok) {
          ctx.io.err(`argo-ts submit: ${fromFile.message}\n`);
          ctx.exitCode = 1;
          return;
        }
        parameters.unshift(
          ...fromFile.value.filter((p) => !parameters.some((q) => q.name === p.name)),
        );
      }
      if ((files.length === 0) === (options.from === undefined)) {
        ctx.io.err("argo-ts submit: give workflow files, or --from kind/name, not both\n");
        ctx.exitCode = EXIT_USAGE;
        return;
      }
      const workflows = options.from === undefined
        ? await workflowsFromFiles(ctx, files)
        : await workflowFromRef(ctx, globals(command), options.from);
      if (!workflows) return;
      const global = globals(command);
      const labels = parseLabels(options.labels);
      for (const workflow of workflows) {
        if (options.name) {
          workflow.metadata.name = options.name;
          delete workflow.metadata.generateName;
        } else if (options.generateName) {
          workflow.metadata.generateName = options.generateName;
          delete workflow.metadata.name;
        }
        if (options.entrypoint) workflow.spec.entrypoint = options.entrypoint;
        if (options.serviceaccount) workflow.spec.serviceAccountName = options.serviceaccount;
        if (Object.keys(labels).length > 0) {
          workflow.metadata.labels = { ...workflow.metadata.labels, ...labels };
        }
        applyParameters(workflow, parameters);
      }
      if (options.dryRun) {
        for (const workflow of workflows) printSubmitted(ctx, workflow, options.output);
        return;
      }
      const opened = open(ctx, global);
      if (!opened) return;
      const created: Array<{ namespace: string; name: string }> = [];
      for (const workflow of workflows) {
        const namespace = global.namespace ?? workflow.metadata.namespace ??
          opened.connection.namespace;
        const result = await opened.client.create(
          namespace,
          workflow,
          options.serverDryRun ?? false,
        );
        if (!result.ok) {
          reportError(ctx, result.error, "Failed to submit workflow");
          return;
        }
        printSubmitted(ctx, result.value, options.output);
        created.push({ namespace, name: result.value.metadata.name ?? "" });
      }
      if (options.serverDryRun) return;
      await followSubmitted(ctx, opened.client, created, {
        wait: options.wait ?? false,
        watch: options.watch ?? false,
        log: options.log ?? false,
        // Argo keeps stdout to the document alone when one was asked for.
        quiet: options.output === "json" || options.output === "yaml" ||
          options.output === "name",
      });
    });
}

/** `--log`, `--wait` and `--watch` after a submit (also used by `retry` and `resubmit`). */
export async function followSubmitted(
  ctx: CliContext,
  client: WorkflowClient,
  workflows: Array<{ namespace: string; name: string }>,
  options: { wait: boolean; watch: boolean; log: boolean; quiet: boolean },
): Promise<void> {
  if (options.log) {
    const pods = new PodClient(client.connection);
    for (const { namespace, name } of workflows) {
      await streamWorkflowLogs(ctx, client, pods, namespace, name, {
        container: "main",
        follow: true,
        timestamps: false,
        color: ctx.io.isTerminal && !ctx.io.env("NO_COLOR"),
      });
    }
  }
  if (options.watch) {
    for (const { namespace, name } of workflows) {
      const done = await watchWorkflow(ctx, client, namespace, name, {
        color: ctx.io.isTerminal && !ctx.io.env("NO_COLOR"),
        utf8: true,
      });
      if (!done.ok) reportError(ctx, done.error);
    }
  } else if (options.wait) {
    for (const namespace of new Set(workflows.map((w) => w.namespace))) {
      const names = workflows.filter((w) => w.namespace === namespace).map((w) => w.name);
      const ok = await waitForAll(ctx, client, namespace, names, { quiet: options.quiet });
      if (!ok) ctx.exitCode = 1;
    }
  }
}

/** Reads, lints and returns the Workflows of the files; undefined after reporting. */
async function workflowsFromFiles(
  ctx: CliContext,
  files: string[],
): Promise<Workflow[] | undefined> {
  const documents = await readDocuments(ctx, files);
  if (!documents) return undefined;
  const lint = lintDocuments(documents);
  const errors = lint.findings.filter((f) => f.severity === "error");
  if (errors.length > 0) {
    for (const finding of errors) {
      ctx.io.err(formatFinding(finding, { output: "pretty", color: false }));
    }
    ctx.io.err(`argo-ts submit: not submitted: ${errors.length} error(s) in the workflow\n`);
    ctx.exitCode = 1;
    return undefined;
  }
  const workflows = documents.map((d) => d.value as Workflow).filter((v) => v?.kind === "Workflow");
  if (workflows.length === 0) {
    ctx.io.err("argo-ts submit: no Workflow found in the files given\n");
    ctx.exitCode = 1;
    return undefined;
  }
  return workflows;
}

const FROM_KINDS: Record<string, "wftmpl" | "cwftmpl" | "cronwf"> = {
  wftmpl: "wftmpl",
  workflowtemplate: "wftmpl",
  cwftmpl: "cwftmpl",
  clusterworkflowtemplate: "cwftmpl",
  cronwf: "cronwf",
  cronworkflow: "cronwf",
};

/** `--from kind/name`: the Workflow Argo makes from a template or a cron workflow. */
async function workflowFromRef(
  ctx: CliContext,
  global: GlobalOptions,
  from: string,
): Promise<Workflow[] | undefined> {
  const [kindText, name, ...rest] = from.split("/");
  const kind = FROM_KINDS[kindText?.toLowerCase() ?? ""];
  if (!kind || !name || rest.length > 0) {
    ctx.io.err(
      `argo-ts submit: cannot read --from "${from}"; use wftmpl/NAME, cwftmpl/NAME or cronwf/NAME\n`,
    );
    ctx.exitCode = EXIT_USAGE;
    return undefined;
  }
  const opened = open(ctx, global);
  if (!opened) return undefined;
  const namespace = global.namespace ?? opened.connection.namespace;
  const client = kind === "wftmpl"
    ? workflowTemplateClient(opened.connection)
    : kind === "cwftmpl"
    ? clusterWorkflowTemplateClient(opened.connection)
    : cronWorkflowClient(opened.connection);
  const got = await (client as CustomResourceClient<{ spec?: unknown }>).get(namespace, name);
  if (!got.ok) {
    const noun = {
      wftmpl: "WorkflowTemplate",
      cwftmpl: "ClusterWorkflowTemplate",
      cronwf: "CronWorkflow",
    }[kind];
    if (got.error.code === 404) {
      ctx.io.err(`argo-ts submit: ${noun} "${name}" not found; create it first\n`);
      ctx.exitCode = 1;
    } else reportError(ctx, got.error);
    return undefined;
  }
  const base = { apiVersion: "argoproj.io/v1alpha1", kind: "Workflow" };
  if (kind === "cronwf") {
    const cron = got.value as CronWorkflow;
    return [{
      ...base,
      metadata: {
        generateName: `${name}-`,
        labels: {
          ...cron.spec.workflowMetadata?.labels,
          "workflows.argoproj.io/cron-workflow": name,
        },
      },
      spec: structuredClone(cron.spec.workflowSpec),
    } as Workflow];
  }
  const label = kind === "wftmpl"
    ? "workflows.argoproj.io/workflow-template"
    : "workflows.argoproj.io/cluster-workflow-template";
  return [{
    ...base,
    metadata: { generateName: `${name}-`, labels: { [label]: name } },
    spec: {
      workflowTemplateRef: kind === "wftmpl" ? { name } : { name, clusterScope: true },
    },
  } as Workflow];
}

function printSubmitted(ctx: CliContext, workflow: Workflow, output: string | undefined): void {
  if (output === "name") {
    ctx.io.out(`${workflow.metadata.name ?? workflow.metadata.generateName}\n`);
  } else if (output === "json" || output === "yaml") printObject(ctx, workflow, output);
  else ctx.io.out(printWorkflowHeader(workflow, { now: new Date(), utf8: true, color: false }));
}

async function readParameterFile(
  path: string,
): Promise<{ ok: true; value: Parameter[] } | { ok: false; message: string }> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch {
    return { ok: false, message: `cannot read parameter file "${path}"` };
  }
  const loaded = loadSource(text, path);
  const map = loaded.documents[0]?.value;
  if (loaded.problems.length > 0 || !map || typeof map !== "object" || Array.isArray(map)) {
    return {
      ok: false,
      message: `parameter file "${path}" must be a YAML or JSON map of name: value`,
    };
  }
  return {
    ok: true,
    value: Object.entries(map).map(([name, value]) => ({
      name,
      value: typeof value === "string" ? value : JSON.stringify(value),
    })),
  };
}

export async function readDocuments(
  ctx: CliContext,
  files: string[],
): Promise<SourceDocument[] | undefined> {
  const documents: SourceDocument[] = [];
  for (const file of files) {
    let bytes: Uint8Array;
    try {
      bytes = file === "-"
        ? new TextEncoder().encode(await ctx.io.readStdin())
        : await Deno.readFile(file);
    } catch {
      ctx.io.err(`argo-ts: cannot read "${file}": no such file or it is not readable\n`);
      ctx.exitCode = 1;
      return undefined;
    }
    const decoded = decodeText(bytes);
    if (!decoded.ok) {
      ctx.io.err(`${file}:1:1: error: ${decoded.message}\n`);
      ctx.exitCode = 1;
      return undefined;
    }
    const loaded = loadSource(decoded.text, file);
    if (loaded.problems.length > 0) {
      for (const p of loaded.problems) {
        ctx.io.err(`${p.file}:${p.line}:${p.col}: error: ${p.message}\n`);
      }
      ctx.exitCode = 1;
      return undefined;
    }
    documents.push(...loaded.documents);
  }
  return documents;
}

export function listCommand(ctx: CliContext) {
  return new Command("list")
    .alias("ls")
    .description("List workflows")
    .option("-A, --all-namespaces", "show workflows from all namespaces")
    .option("--status <phases>", "only workflows with these phases (comma separated)")
    .option("--running", "only running workflows")
    .option("--completed", "only completed workflows")
    .option("--prefix <prefix>", "only workflows whose name starts with this")
    .option("--since <duration>", "only workflows created within this duration, e.g. 1h")
    .option("--older <duration>", "only completed workflows finished longer ago, e.g. 1d")
    .option("--resubmitted", "only resubmitted workflows")
    .option("-l, --selector <selector>", "label selector")
    .option("--field-selector <selector>", "field selector")
    .option("--chunk-size <n>", "list in chunks of this size", (v) => Number(v), 0)
    .option("--no-headers", "omit the header row")
    .addOption(
      new Option("-o, --output <format>", "output format").choices([
        "name",
        "json",
        "yaml",
        "wide",
      ]),
    )
    .action(async (options, command) => {
      if (options.running && options.completed) {
        ctx.io.err("argo-ts list: --running and --completed cannot be used together\n");
        ctx.exitCode = EXIT_USAGE;
        return;
      }
      const sinceMs = options.since ? parseSince(options.since) : undefined;
      if (options.since && sinceMs === undefined) {
        ctx.io.err(
          `argo-ts list: cannot read --since "${options.since}"; use e.g. 30m, 2h or 1d\n`,
        );
        ctx.exitCode = EXIT_USAGE;
        return;
      }
      const olderMs = options.older === undefined ? undefined : parseSince(options.older);
      if (options.older !== undefined && olderMs === undefined) {
        ctx.io.err(
          `argo-ts list: cannot read --older "${options.older}"; use e.g. 30m, 2h or 1d\n`,
        );
        ctx.exitCode = EXIT_USAGE;
        return;
      }
      const global = globals(command);
      const opened = open(ctx, global);
      if (!opened) return;
      const selectors = [options.selector];
      if (options.running) selectors.push("workflows.argoproj.io/completed!=true");
      if (options.completed || olderMs !== undefined) {
        selectors.push("workflows.argoproj.io/completed=true");
      }
      if (options.resubmitted) selectors.push("workflows.argoproj.io/resubmitted-from-workflow");
      const labelSelector = selectors.filter((s) => s).join(",") || undefined;
      const namespace = options.allNamespaces
        ? undefined
        : (global.namespace ?? opened.connection.namespace);
      const items: Workflow[] = [];
      let continueToken: string | undefined;
      do {
        const page = await opened.client.list(namespace, {
          labelSelector,
          fieldSelector: options.fieldSelector,
          limit: options.chunkSize || undefined,
          continueToken,
        });
        if (!page.ok) {
          reportError(ctx, page.error);
          return;
        }
        items.push(...page.value.items);
        continueToken = page.value.continueToken;
      } while (continueToken);
      const now = new Date();
      const phases = options.status?.split(",").map((s) => s.trim()).filter((s) => s);
      const filtered = items.filter((wf) =>
        (!options.prefix || (wf.metadata.name ?? "").startsWith(options.prefix)) &&
        (!phases || phases.includes(wf.status?.phase || "Pending")) &&
        (sinceMs === undefined ||
          now.getTime() - Date.parse(wf.metadata.creationTimestamp ?? "") <= sinceMs) &&
        (olderMs === undefined ||
          now.getTime() - Date.parse(wf.status?.finishedAt ?? "") > olderMs)
      );
      if (options.output === "json" || options.output === "yaml") {
        printObject(ctx, sortWorkflowsForList(filtered), options.output);
        return;
      }
      ctx.io.out(printWorkflowList(filtered, {
        now,
        output: options.output === "wide" ? "wide" : options.output === "name" ? "name" : "default",
        allNamespaces: options.allNamespaces ?? false,
        noHeaders: options.headers === false,
      }));
    });
}

/** `30s`, `5m`, `2h`, `1d` to milliseconds. */
export function parseSince(text: string): number | undefined {
  const match = /^([0-9]+)(s|m|h|d)$/.exec(text.trim());
  if (!match) return undefined;
  const unit =
    { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[match[2] as "s" | "m" | "h" | "d"];
  return Number(match[1]) * unit;
}

/** Resolves `@latest` to the most recently created workflow's name. */
export async function resolveName(
  ctx: CliContext,
  client: WorkflowClient,
  namespace: string,
  name: string,
): Promise<string | undefined> {
  if (name !== "@latest") return name;
  const listed = await client.list(namespace);
  if (!listed.ok) {
    reportError(ctx, listed.error);
    return undefined;
  }
  // Creation times have second precision: between workflows created in the same second, take
  // the one written last (the higher resourceVersion, when the server's are numbers, as etcd's).
  const version = (wf: Workflow) => Number(wf.metadata.resourceVersion ?? "") || 0;
  const latest =
    [...listed.value.items].sort((a, b) =>
      (b.metadata.creationTimestamp ?? "").localeCompare(a.metadata.creationTimestamp ?? "") ||
      version(b) - version(a)
    )[0];
  if (!latest) {
    ctx.io.err(`argo-ts: no workflows in namespace "${namespace}"\n`);
    ctx.exitCode = 1;
    return undefined;
  }
  return latest.metadata.name;
}

/** A not-found message with close names, as a helpful CLI gives. */
export async function notFound(
  ctx: CliContext,
  client: WorkflowClient,
  namespace: string,
  name: string,
) {
  const listed = await client.list(namespace);
  const names = listed.ok ? listed.value.items.map((w) => w.metadata.name ?? "") : [];
  const { closest } = await import("../validate/issue.ts");
  const near = closest(name, names);
  ctx.io.err(
    `argo-ts: workflow "${name}" not found in namespace "${namespace}"${
      near ? ` (did you mean "${near}"?)` : ""
    }\n`,
  );
  ctx.exitCode = 1;
}

export function getCommand(ctx: CliContext) {
  return new Command("get")
    .description("Display details about a workflow")
    .argument("<names...>", "workflow names, or @latest")
    .addOption(
      new Option("-o, --output <format>", "output format").choices([
        "name",
        "json",
        "yaml",
        "wide",
        "short",
      ]),
    )
    .option("--node-field-selector <selector>", "only nodes matching, e.g. phase=Failed")
    .option("--status <phase>", "only nodes with this phase")
    .option("--no-utf8", "use plain ASCII for icons and the tree")
    .option("--no-color", "disable colour")
    .action(async (names, options, command) => {
      const global = globals(command);
      const opened = open(ctx, global);
      if (!opened) return;
      const namespace = global.namespace ?? opened.connection.namespace;
      for (const requested of names) {
        const name = await resolveName(ctx, opened.client, namespace, requested);
        if (name === undefined) return;
        const got = await opened.client.get(namespace, name);
        if (!got.ok) {
          if (got.error.code === 404) await notFound(ctx, opened.client, namespace, name);
          else reportError(ctx, got.error);
          return;
        }
        const wf = got.value;
        if (options.output === "json" || options.output === "yaml") {
          printObject(ctx, wf, options.output);
        } else if (options.output === "name") ctx.io.out(`${wf.metadata.name}\n`);
        else {
          ctx.io.out(printWorkflowGet(wf, {
            now: new Date(),
            output: options.output === "wide"
              ? "wide"
              : options.output === "short"
              ? "short"
              : "default",
            color: options.color && ctx.io.isTerminal && !ctx.io.env("NO_COLOR"),
            utf8: options.utf8,
            nodeFieldSelector: options.nodeFieldSelector,
            status: options.status,
          }));
        }
      }
    });
}

export function deleteCommand(ctx: CliContext) {
  return new Command("delete")
    .description("Delete workflows")
    .argument("[names...]", "workflow names")
    .option("--all", "delete all workflows in the namespace")
    .option("--completed", "delete completed workflows")
    .option("--prefix <prefix>", "delete workflows whose name starts with this")
    .option("--older <duration>", "delete completed workflows finished longer ago, e.g. 1d")
    .option("--resubmitted", "delete resubmitted workflows")
    .option("-l, --selector <selector>", "label selector")
    .option("--dry-run", "print what would be deleted")
    .action(async (names, options, command) => {
      const olderMs = options.older === undefined ? undefined : parseSince(options.older);
      if (options.older !== undefined && olderMs === undefined) {
        ctx.io.err(
          `argo-ts delete: cannot read --older "${options.older}"; use e.g. 30m, 2h or 1d\n`,
        );
        ctx.exitCode = EXIT_USAGE;
        return;
      }
      const bulk = options.all || options.completed || options.prefix || options.selector ||
        options.older || options.resubmitted;
      if (names.length === 0 && !bulk) {
        ctx.io.err("argo-ts delete: name a workflow, or use --all, --completed, --prefix or -l\n");
        ctx.exitCode = EXIT_USAGE;
        return;
      }
      const global = globals(command);
      const opened = open(ctx, global);
      if (!opened) return;
      const namespace = global.namespace ?? opened.connection.namespace;
      const targets = [...names];
      if (bulk) {
        const selectors = [
          options.selector,
          options.completed || olderMs !== undefined
            ? "workflows.argoproj.io/completed=true"
            : undefined,
          options.resubmitted ? "workflows.argoproj.io/resubmitted-from-workflow" : undefined,
        ];
        const now = Date.now();
        const listed = await opened.client.list(namespace, {
          labelSelector: selectors.filter((s) => s).join(",") || undefined,
        });
        if (!listed.ok) {
          reportError(ctx, listed.error);
          return;
        }
        for (const wf of listed.value.items) {
          const name = wf.metadata.name ?? "";
          if (options.prefix && !name.startsWith(options.prefix)) continue;
          const finished = Date.parse(wf.status?.finishedAt ?? "");
          if (olderMs !== undefined && !(now - finished > olderMs)) continue;
          if (!targets.includes(name)) targets.push(name);
        }
      }
      for (const name of targets) {
        if (options.dryRun) {
          ctx.io.out(`Workflow '${name}' deleted (dry-run)\n`);
          continue;
        }
        const deleted = await opened.client.delete(namespace, name);
        if (!deleted.ok) {
          if (deleted.error.code === 404) await notFound(ctx, opened.client, namespace, name);
          else reportError(ctx, deleted.error);
          continue;
        }
        ctx.io.out(`Workflow '${name}' deleted\n`);
      }
    });
}
