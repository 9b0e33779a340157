/**
 * CRUD of the template kinds and cron workflows: `template`, `cluster-template` and `cron`, each
 * with `create`, `get`, `list`, `delete`, `lint` and `update` (`cron` also `suspend` and
 * `resume`). Files are linted before anything is sent, as `submit` does. Running cron schedules
 * is the cron controller's work, not this module's.
 */
import { Command, Option } from "@commander-js/extra-typings";
import type { ObjectMeta } from "../api/types.gen.ts";
import {
  clusterWorkflowTemplateClient,
  type Connection,
  cronWorkflowClient,
  type CustomResourceClient,
  workflowTemplateClient,
} from "../kube/client.ts";
import { lintDocuments } from "../validate/mod.ts";
import type { CliContext } from "./io.ts";
import { formatFinding, lintCommand } from "./lint.ts";
import { EXIT_USAGE } from "./not_built.ts";
import { formatTimestamp, relativeTime } from "./printer/duration.ts";
import { tabwrite } from "./printer/tabwriter.ts";
import { globals, open, printObject, readDocuments, reportError } from "./workflows.ts";

/** What every kind here has in common. */
interface Resource {
  apiVersion?: string;
  kind?: string;
  metadata: ObjectMeta;
  spec?: unknown;
  status?: unknown;
}

interface CronSpec {
  schedule?: string;
  schedules?: string[];
  timezone?: string;
  suspend?: boolean;
  concurrencyPolicy?: string;
}

interface CronStatus {
  lastScheduledTime?: string;
}

interface KindInfo {
  command: string;
  kind: string;
  /** The noun in descriptions and messages. */
  noun: string;
  /** The `lint --kinds` word. */
  lintKind: string;
  clusterScoped: boolean;
  client: (connection: Connection) => CustomResourceClient<Resource>;
}

const KINDS: KindInfo[] = [
  {
    command: "template",
    kind: "WorkflowTemplate",
    noun: "workflow templates",
    lintKind: "workflowtemplates",
    clusterScoped: false,
    client: (c) => workflowTemplateClient(c) as unknown as CustomResourceClient<Resource>,
  },
  {
    command: "cluster-template",
    kind: "ClusterWorkflowTemplate",
    noun: "cluster workflow templates",
    lintKind: "clusterworkflowtemplates",
    clusterScoped: true,
    client: (c) => clusterWorkflowTemplateClient(c) as unknown as CustomResourceClient<Resource>,
  },
  {
    command: "cron",
    kind: "CronWorkflow",
    noun: "cron workflows",
    lintKind: "cronworkflows",
    clusterScoped: false,
    client: (c) => cronWorkflowClient(c) as unknown as CustomResourceClient<Resource>,
  },
];

type AnyCommand = Command<unknown[], Record<string, unknown>>;

function outputOption() {
  return new Option("-o, --output <format>", "output format").choices(["name", "json", "yaml"]);
}

/** Opens the cluster for one kind; the namespace is ignored for cluster-scoped kinds. */
function connectKind(ctx: CliContext, info: KindInfo, command: AnyCommand) {
  const global = globals(command);
  const opened = open(ctx, global);
  if (!opened) return undefined;
  return {
    client: info.client(opened.connection),
    namespace: global.namespace ?? opened.connection.namespace,
  };
}

/** `Name:`, `Namespace:`, `Created:` (and a cron's schedule and state), as Argo prints them. */
export function describeResource(info: KindInfo, object: Resource, now: Date): string {
  const row = (key: string, value: string) => `${key.padEnd(20)} ${value}\n`;
  let out = row("Name:", object.metadata.name ?? "");
  if (!info.clusterScoped) out += row("Namespace:", object.metadata.namespace ?? "");
  out += row("Created:", formatTimestamp(object.metadata.creationTimestamp, now));
  if (info.kind === "CronWorkflow") {
    const spec = (object.spec ?? {}) as CronSpec;
    const status = (object.status ?? {}) as CronStatus;
    out += row("Schedules:", schedules(spec));
    if (spec.timezone) out += row("Timezone:", spec.timezone);
    out += row("Suspended:", String(spec.suspend ?? false));
    if (spec.concurrencyPolicy) out += row("ConcurrencyPolicy:", spec.concurrencyPolicy);
    if (status.lastScheduledTime) {
      out += row("LastScheduledTime:", formatTimestamp(status.lastScheduledTime, now));
    }
  }
  return out;
}

function schedules(spec: CronSpec): string {
  return [...(spec.schedules ?? []), ...(spec.schedule ? [spec.schedule] : [])].join(",");
}

function printOne(ctx: CliContext, info: KindInfo, object: Resource, output?: string): void {
  if (output === "name") ctx.io.out(`${object.metadata.name}\n`);
  else if (output === "json" || output === "yaml") printObject(ctx, object, output);
  else ctx.io.out(describeResource(info, object, new Date()));
}

/** Reads and lints files; returns the objects of this kind, or undefined after reporting. */
async function readKind(
  ctx: CliContext,
  info: KindInfo,
  files: string[],
): Promise<Resource[] | undefined> {
  const documents = await readDocuments(ctx, files);
  if (!documents) return undefined;
  const errors = lintDocuments(documents).findings.filter((f) => f.severity === "error");
  if (errors.length > 0) {
    for (const finding of errors) {
      ctx.io.err(formatFinding(finding, { output: "pretty", color: false }));
    }
    ctx.io.err(`argo-ts ${info.command}: nothing sent: ${errors.length} error(s) in the files\n`);
    ctx.exitCode = 1;
    return undefined;
  }
  const objects = documents.map((d) => d.value as Resource).filter((v) => v?.kind === info.kind);
  if (objects.length === 0) {
    ctx.io.err(`argo-ts ${info.command}: no ${info.kind} found in ${files.join(", ")}\n`);
    ctx.exitCode = 1;
    return undefined;
  }
  return objects;
}

function notFoundMessage(ctx: CliContext, info: KindInfo, name: string, namespace: string) {
  const where = info.clusterScoped ? "" : ` in namespace "${namespace}"`;
  ctx.io.err(
    `argo-ts: ${info.kind} "${name}" not found${where}; ` +
      `run \`argo-ts ${info.command} list\` to see what exists\n`,
  );
  ctx.exitCode = 1;
}

function kindCommand(ctx: CliContext, info: KindInfo): Command {
  const root = new Command(info.command).description(`Manipulate ${info.noun}`);

  root.command("create")
    .description(`Create ${info.noun} from files`)
    .argument("<files...>", "files, or - for standard input")
    .addOption(outputOption())
    .action(async (files, options, command) => {
      const objects = await readKind(ctx, info, files);
      if (!objects) return;
      const kc = connectKind(ctx, info, command);
      if (!kc) return;
      for (const object of objects) {
        const namespace = globals(command).namespace ?? object.metadata.namespace ?? kc.namespace;
        const created = await kc.client.create(namespace, object);
        if (!created.ok) {
          reportError(ctx, created.error, `Failed to create ${info.kind}`);
          return;
        }
        printOne(ctx, info, created.value, options.output);
      }
    });

  root.command("update")
    .description(`Update ${info.noun} from files (they must exist)`)
    .argument("<files...>", "files, or - for standard input")
    .addOption(outputOption())
    .action(async (files, options, command) => {
      const objects = await readKind(ctx, info, files);
      if (!objects) return;
      const kc = connectKind(ctx, info, command);
      if (!kc) return;
      for (const object of objects) {
        const name = object.metadata.name ?? "";
        const namespace = globals(command).namespace ?? object.metadata.namespace ?? kc.namespace;
        const current = await kc.client.get(namespace, name);
        if (!current.ok) {
          if (current.error.code === 404) {
            ctx.io.err(
              `argo-ts: ${info.kind} "${name}" does not exist; ` +
                `create it with \`argo-ts ${info.command} create FILE\`\n`,
            );
            ctx.exitCode = 1;
          } else reportError(ctx, current.error);
          return;
        }
        const body: Resource = {
          ...object,
          metadata: {
            ...object.metadata,
            namespace: info.clusterScoped ? undefined : namespace,
            resourceVersion: current.value.metadata.resourceVersion,
          },
          // A cron's status (last run, active workflows) belongs to its controller.
          ...(current.value.status !== undefined ? { status: current.value.status } : {}),
        };
        const replaced = await kc.client.replace(namespace, name, body);
        if (!replaced.ok) {
          reportError(ctx, replaced.error, `Failed to update ${info.kind}`);
          return;
        }
        printOne(ctx, info, replaced.value, options.output);
      }
    });

  root.command("get")
    .description(`Display details about ${info.noun}`)
    .argument("<names...>", "names")
    .addOption(outputOption())
    .action(async (names, options, command) => {
      const kc = connectKind(ctx, info, command);
      if (!kc) return;
      for (const name of names) {
        const got = await kc.client.get(kc.namespace, name);
        if (!got.ok) {
          if (got.error.code === 404) notFoundMessage(ctx, info, name, kc.namespace);
          else reportError(ctx, got.error);
          return;
        }
        printOne(ctx, info, got.value, options.output);
      }
    });

  const list = root.command("list")
    .alias("ls")
    .description(`List ${info.noun}`)
    .option("-l, --selector <selector>", "label selector")
    .addOption(
      new Option("-o, --output <format>", "output format").choices([
        "name",
        "json",
        "yaml",
        "wide",
      ]),
    );
  if (!info.clusterScoped) list.option("-A, --all-namespaces", "show all namespaces");
  list.action(async (options, command) => {
    const all = (options as { allNamespaces?: boolean }).allNamespaces ?? false;
    const kc = connectKind(ctx, info, command);
    if (!kc) return;
    const listed = await kc.client.list(all ? undefined : kc.namespace, {
      labelSelector: options.selector,
    });
    if (!listed.ok) {
      reportError(ctx, listed.error);
      return;
    }
    const items = [...listed.value.items].sort((a, b) =>
      (a.metadata.namespace ?? "").localeCompare(b.metadata.namespace ?? "") ||
      (a.metadata.name ?? "").localeCompare(b.metadata.name ?? "")
    );
    if (options.output === "json" || options.output === "yaml") {
      printObject(ctx, items, options.output);
      return;
    }
    if (options.output === "name") {
      for (const item of items) ctx.io.out(`${item.metadata.name}\n`);
      return;
    }
    ctx.io.out(listTable(info, items, { allNamespaces: all, now: new Date() }));
  });

  root.command("delete")
    .description(`Delete ${info.noun}`)
    .argument("[names...]", "names")
    .option("--all", `delete all ${info.noun}${info.clusterScoped ? "" : " in the namespace"}`)
    .action(async (names, options, command) => {
      if (names.length === 0 && !options.all) {
        ctx.io.err(`argo-ts ${info.command} delete: name one, or use --all\n`);
        ctx.exitCode = EXIT_USAGE;
        return;
      }
      const kc = connectKind(ctx, info, command);
      if (!kc) return;
      const targets = [...names];
      if (options.all) {
        const listed = await kc.client.list(kc.namespace);
        if (!listed.ok) {
          reportError(ctx, listed.error);
          return;
        }
        for (const item of listed.value.items) {
          if (!targets.includes(item.metadata.name ?? "")) targets.push(item.metadata.name ?? "");
        }
      }
      for (const name of targets) {
        const deleted = await kc.client.delete(kc.namespace, name);
        if (!deleted.ok) {
          if (deleted.error.code === 404) notFoundMessage(ctx, info, name, kc.namespace);
          else reportError(ctx, deleted.error);
          continue;
        }
        ctx.io.out(`${info.kind} '${name}' deleted\n`);
      }
    });

  root.command("lint")
    .description(`Validate files of ${info.noun}`)
    .argument("<paths...>", "files, directories, or - for standard input")
    .option("-o, --output <format>", "output format: pretty, simple or json", "pretty")
    .action(async (paths, options) => {
      // The top-level lint does the work, limited to this kind.
      const lint = lintCommand(ctx).exitOverride().configureOutput({
        writeOut: (text) => ctx.io.out(text),
        writeErr: (text) => ctx.io.err(text),
      });
      await lint.parseAsync([...paths, "--kinds", info.lintKind, "-o", options.output], {
        from: "user",
      });
    });

  if (info.kind === "CronWorkflow") {
    for (const [verb, suspend] of [["suspend", true], ["resume", false]] as const) {
      root.command(verb)
        .description(`${verb === "suspend" ? "Suspend" : "Resume"} cron workflows`)
        .argument("<names...>", "names")
        .action(async (names, _options, command) => {
          const kc = connectKind(ctx, info, command);
          if (!kc) return;
          for (const name of names) {
            const patched = await kc.client.mergePatch(kc.namespace, name, { spec: { suspend } });
            if (!patched.ok) {
              if (patched.error.code === 404) notFoundMessage(ctx, info, name, kc.namespace);
              else reportError(ctx, patched.error);
              continue;
            }
            ctx.io.out(`CronWorkflow '${name}' ${verb === "suspend" ? "suspended" : "resumed"}\n`);
          }
        });
    }
  }
  return root;
}

/** The `list` table: NAME (and NAMESPACE with -A); for crons Argo's schedule columns. */
export function listTable(
  info: KindInfo,
  items: Resource[],
  options: { allNamespaces: boolean; now: Date },
): string {
  const ns = (item: Resource) => options.allNamespaces ? `${item.metadata.namespace ?? ""}\t` : "";
  const head = options.allNamespaces ? "NAMESPACE\t" : "";
  if (info.kind !== "CronWorkflow") {
    return tabwrite([`${head}NAME`, ...items.map((item) => `${ns(item)}${item.metadata.name}`)], 3);
  }
  const age = (time: string | undefined) => {
    const ms = Date.parse(time ?? "");
    return Number.isNaN(ms) ? "N/A" : relativeTime(ms, options.now).replace(/ ago$/, "");
  };
  const rows = items.map((item) => {
    const spec = (item.spec ?? {}) as CronSpec;
    const status = (item.status ?? {}) as CronStatus;
    // NEXT RUN needs the cron schedule evaluated, which is the cron controller's; not shown yet.
    return `${ns(item)}${item.metadata.name}\t${age(item.metadata.creationTimestamp)}\t${
      age(status.lastScheduledTime)
    }\tN/A\t${schedules(spec)}\t${spec.timezone ?? ""}\t${spec.suspend ?? false}`;
  });
  return tabwrite(
    [`${head}NAME\tAGE\tLAST RUN\tNEXT RUN\tSCHEDULES\tTIMEZONE\tSUSPENDED`, ...rows],
    3,
  );
}

export const templateCommand = (ctx: CliContext) => kindCommand(ctx, KINDS[0]);
export const clusterTemplateCommand = (ctx: CliContext) => kindCommand(ctx, KINDS[1]);
export const cronCommand = (ctx: CliContext) => kindCommand(ctx, KINDS[2]);
