/**
 * `argo-ts run FILE`: runs Argo workflows on this machine with no Kubernetes. Starts the
 * embedded cluster in-process (API objects in memory, pods' files, logs and artifacts in a
 * temporary state directory), the workflow controller against it, applies the other objects of
 * the files, submits the Workflows, shows their progress, and exits 0 when every workflow
 * Succeeded, 1 when any failed, 2 on a usage error.
 *
 * This is the command layer: it wires `cluster/` and `controller/` together (neither imports
 * the other) and reuses the CLI's printers.
 */
import * as k8s from "@kubernetes/client-node";
import { parseArgs } from "node:util";
import { stringify as toYaml } from "yaml";
import { decodeText, loadSource, type SourceDocument } from "../api/source.ts";
import type { Workflow } from "../api/types.gen.ts";
import { API_GROUP, API_VERSION } from "../api/meta.ts";
import { localExecutorCommand, startEmbeddedCluster } from "../cluster/command.ts";
import { WorkflowController } from "../controller/controller.ts";
import { CronController } from "../controller/cron/cron_controller.ts";
import type { ControllerConfig } from "../controller/operator/config.ts";
import { lintDocuments } from "../validate/mod.ts";
import { formatFinding } from "../cli/lint.ts";
import { applyParameters } from "../cli/workflows.ts";
import { printWorkflowGet } from "../cli/printer/mod.ts";

const USAGE = "usage: argo-ts run FILE [-p name=value]... [-f PARAMS] [--with FILE]... [--log] " +
  "[--entrypoint E] [-n NS] [--serviceaccount SA] [--config F] [-o json|yaml] [--state-dir D] [--keep]";

function usage(message: string): number {
  console.error(`argo-ts run: ${message}`);
  console.error(USAGE);
  return 2;
}

const COMPLETED = new Set(["Succeeded", "Failed", "Error"]);

export async function runWorkflows(args: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      allowPositionals: true,
      options: {
        parameter: { type: "string", short: "p", multiple: true },
        "parameter-file": { type: "string", short: "f" },
        with: { type: "string", multiple: true },
        log: { type: "boolean" },
        entrypoint: { type: "string" },
        namespace: { type: "string", short: "n" },
        serviceaccount: { type: "string" },
        config: { type: "string" },
        output: { type: "string", short: "o" },
        "state-dir": { type: "string" },
        keep: { type: "boolean" },
        help: { type: "boolean", short: "h" },
      },
    });
  } catch (error) {
    return usage((error as Error).message);
  }
  const { values, positionals } = parsed;
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  if (positionals.length === 0) return usage("name the workflow file to run");
  if (values.output && values.output !== "json" && values.output !== "yaml") {
    return usage(`-o takes json or yaml, not "${values.output}"`);
  }
  const parameters = [];
  for (const pair of values.parameter ?? []) {
    const at = pair.indexOf("=");
    if (at <= 0) return usage(`expected a parameter as name=value, got "${pair}"`);
    parameters.push({ name: pair.slice(0, at), value: pair.slice(at + 1) });
  }

  const documents: SourceDocument[] = [];
  for (const file of [...positionals, ...(values.with ?? [])]) {
    const loaded = await readFile(file);
    if (!loaded) return 1;
    documents.push(...loaded);
  }
  const lint = lintDocuments(documents);
  const errors = lint.findings.filter((f) => f.severity === "error");
  if (errors.length > 0) {
    for (const finding of errors) {
      console.error(formatFinding(finding, { output: "pretty", color: false }).trimEnd());
    }
    console.error(`argo-ts run: not run: ${errors.length} error(s)`);
    return 1;
  }
  const mainFiles = new Set(positionals);
  const workflows = documents.filter((d) =>
    mainFiles.has(d.file) && (d.value as Workflow)?.kind === "Workflow"
  )
    .map((d) => d.value as Workflow);
  if (workflows.length === 0) {
    console.error(`argo-ts run: no Workflow in ${positionals.join(", ")}`);
    return 1;
  }
  const others = documents.filter((d) =>
    !(mainFiles.has(d.file) && (d.value as Workflow)?.kind === "Workflow")
  )
    .map((d) => d.value as k8s.KubernetesObject);

  const stateDir = values["state-dir"] ?? await Deno.makeTempDir({ prefix: "argo-ts-run-" });
  await Deno.mkdir(`${stateDir}/artifacts`, { recursive: true });
  const quiet = values.output !== undefined;
  const say = (text: string) => (quiet ? console.error : console.log)(text);

  const userConfig = values.config ? await readConfig(values.config) : {};
  if (userConfig === undefined) return 1;
  const config = embeddedControllerConfig(stateDir, userConfig);

  const cluster = await startEmbeddedCluster({ nodeDir: `${stateDir}/node` });
  const kubeconfigPath = `${stateDir}/kubeconfig`;
  await Deno.writeTextFile(kubeconfigPath, cluster.kubeconfig);
  const kc = new k8s.KubeConfig();
  kc.loadFromString(cluster.kubeconfig);
  const controller = new WorkflowController({
    kubeconfig: kc,
    config,
    log: (message) => console.error(`controller: ${message}`),
  });
  let code = 1;
  try {
    await controller.start();
    say(`argo-ts run: embedded cluster at ${cluster.url}; kubeconfig ${kubeconfigPath}`);
    const objects = k8s.KubernetesObjectApi.makeApiClient(kc);
    for (const object of others) {
      await objects.create({
        ...object,
        metadata: {
          namespace: object.metadata?.namespace ?? (values.namespace ?? "argo"),
          ...object.metadata,
        },
      })
        .catch((error) =>
          console.error(
            `argo-ts run: could not apply ${object.kind}/${object.metadata?.name}: ${error}`,
          )
        );
    }
    const custom = kc.makeApiClient(k8s.CustomObjectsApi);
    const submitted: Array<{ namespace: string; name: string }> = [];
    for (const workflow of workflows) {
      if (values.entrypoint) workflow.spec.entrypoint = values.entrypoint;
      if (values.serviceaccount) workflow.spec.serviceAccountName = values.serviceaccount;
      applyParameters(workflow, parameters);
      const namespace = values.namespace ?? workflow.metadata.namespace ?? "argo";
      const created = await custom.createNamespacedCustomObject({
        group: API_GROUP,
        version: API_VERSION,
        plural: "workflows",
        namespace,
        body: workflow,
      }) as Workflow;
      submitted.push({ namespace, name: created.metadata.name! });
      say(`submitted workflow ${namespace}/${created.metadata.name}`);
    }
    const interrupts = watchInterrupts(custom, submitted);
    const finals: Workflow[] = [];
    for (const { namespace, name } of submitted) {
      finals.push(await waitFor(custom, namespace, name, say));
    }
    interrupts.dispose();
    for (const wf of finals) {
      const tree = printWorkflowGet(wf, {
        now: new Date(),
        output: "default",
        color: false,
        utf8: true,
      });
      (quiet ? console.error : console.log)(tree);
    }
    if (values.output) {
      const out = finals.length === 1
        ? finals[0]
        : { apiVersion: "v1", kind: "List", items: finals };
      console.log(
        values.output === "json"
          ? JSON.stringify(out, null, 2)
          : toYaml(out, { version: "1.1" }).trimEnd(),
      );
    }
    code = finals.every((wf) => wf.status?.phase === "Succeeded") ? 0 : 1;
  } finally {
    await controller.stop();
    await cluster.close();
    if (values.keep || values["state-dir"]) say(`argo-ts run: state kept in ${stateDir}`);
    else await Deno.remove(stateDir, { recursive: true }).catch(() => {});
  }
  return code;
}

/**
 * The controller configuration on the embedded cluster: pods run this installation's executor,
 * and artifacts go to a filesystem repository under the state directory unless the user's
 * configuration names another.
 */
export function embeddedControllerConfig(
  stateDir: string,
  user: Partial<ControllerConfig> = {},
): ControllerConfig {
  return {
    ...user,
    executor: {
      image: "argo-ts",
      command: localExecutorCommand(),
      env: [{ name: "RUST_BACKTRACE", value: "0" }, { name: "NO_COLOR", value: "1" }],
    },
    artifactRepository: user.artifactRepository ??
      { filesystem: { path: `${stateDir}/artifacts` } },
  };
}

/** Starts the workflow controller for `argo-ts cluster up` (its hook); returns how to stop it. */
export async function startEmbeddedController(
  kubeconfigPath: string,
  stateDir: string,
): Promise<() => Promise<void>> {
  await Deno.mkdir(`${stateDir}/artifacts`, { recursive: true });
  const kc = new k8s.KubeConfig();
  kc.loadFromFile(kubeconfigPath);
  const controller = new WorkflowController({
    kubeconfig: kc,
    config: embeddedControllerConfig(stateDir),
    log: (message) => console.error(`controller: ${message}`),
  });
  await controller.start();
  const cron = new CronController({
    kubeconfig: kc,
    log: (message) => console.error(`cron: ${message}`),
  });
  await cron.start();
  return async () => {
    await cron.stop();
    await controller.stop();
  };
}

async function readFile(file: string): Promise<SourceDocument[] | undefined> {
  let bytes: Uint8Array;
  try {
    bytes = file === "-"
      ? new Uint8Array(await new Response(Deno.stdin.readable).arrayBuffer())
      : await Deno.readFile(file);
  } catch {
    console.error(`argo-ts run: cannot read "${file}"`);
    return undefined;
  }
  const decoded = decodeText(bytes);
  if (!decoded.ok) {
    console.error(`${file}:1:1: error: ${decoded.message}`);
    return undefined;
  }
  const loaded = loadSource(decoded.text, file);
  for (const p of loaded.problems) {
    console.error(`${p.file}:${p.line}:${p.col}: error: ${p.message}`);
  }
  return loaded.problems.length > 0 ? undefined : loaded.documents;
}

/** `--config`: a workflow-controller-configmap (or just its data), keys holding YAML. */
async function readConfig(path: string): Promise<Partial<ControllerConfig> | undefined> {
  const docs = await readFile(path);
  const value = docs?.[0]?.value as Record<string, unknown> | undefined;
  if (!value || typeof value !== "object") {
    console.error(`argo-ts run: --config ${path} must be a ConfigMap or a map of its data`);
    return undefined;
  }
  const data = (value.kind === "ConfigMap" ? value.data : value) as Record<string, unknown> ?? {};
  const config: Record<string, unknown> = {};
  for (const [key, raw] of Object.entries(data)) {
    if (typeof raw !== "string") {
      config[key] = raw;
      continue;
    }
    const parsed = loadSource(raw, `${path}#${key}`);
    config[key] = parsed.problems.length === 0 && parsed.documents[0]
      ? parsed.documents[0].value
      : raw;
  }
  return config as Partial<ControllerConfig>;
}

/** Ctrl-C stops the workflows (exit handlers run); a second Ctrl-C terminates them. */
function watchInterrupts(
  custom: k8s.CustomObjectsApi,
  workflows: Array<{ namespace: string; name: string }>,
) {
  let count = 0;
  const handler = () => {
    count++;
    const strategy = count === 1 ? "Stop" : "Terminate";
    console.error(
      `argo-ts run: ${
        strategy === "Stop" ? "stopping (Ctrl-C again to terminate)" : "terminating"
      }`,
    );
    for (const { namespace, name } of workflows) {
      custom.patchNamespacedCustomObject(
        {
          group: API_GROUP,
          version: API_VERSION,
          plural: "workflows",
          namespace,
          name,
          body: { spec: { shutdown: strategy } },
        },
        k8s.setHeaderOptions("Content-Type", k8s.PatchStrategy.MergePatch),
      ).catch(() => {});
    }
  };
  Deno.addSignalListener("SIGINT", handler);
  return { dispose: () => Deno.removeSignalListener("SIGINT", handler) };
}

/** Polls a workflow until it completes, reporting node changes as they happen. */
async function waitFor(
  custom: k8s.CustomObjectsApi,
  namespace: string,
  name: string,
  say: (text: string) => void,
): Promise<Workflow> {
  const seen = new Map<string, string>();
  for (;;) {
    const wf = await custom.getNamespacedCustomObject({
      group: API_GROUP,
      version: API_VERSION,
      plural: "workflows",
      namespace,
      name,
    }) as Workflow;
    for (const node of Object.values(wf.status?.nodes ?? {})) {
      if (node.type !== "Pod" && node.type !== "Suspend") continue;
      const phase = node.phase ?? "Pending";
      if (seen.get(node.id) === phase) continue;
      seen.set(node.id, phase);
      if (phase !== "Pending") {
        say(
          `  ${phase.padEnd(9)} ${node.displayName ?? node.name}${
            node.message ? `: ${node.message}` : ""
          }`,
        );
      }
    }
    if (COMPLETED.has(wf.status?.phase ?? "")) return wf;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
