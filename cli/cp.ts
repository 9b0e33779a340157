/**
 * `argo-ts cp WF DIR`: copies a workflow's output artifacts to a local directory, each under
 * `--path` (Argo's default `{namespace}/{workflowName}/{nodeId}/outputs/{artifactName}`).
 * Today it reads argo-ts's filesystem artifact repository (the embedded cluster's), which must
 * be visible from this machine; archived artifacts (`.tgz`) are unpacked.
 */
import { Command } from "@commander-js/extra-typings";
import type { Artifact, NodeStatus } from "../api/types.gen.ts";
import type { CliContext } from "./io.ts";
import { globals, notFound, open, reportError, resolveName } from "./workflows.ts";

const DEFAULT_PATH = "{namespace}/{workflowName}/{nodeId}/outputs/{artifactName}";

interface FilesystemLocation {
  path: string;
  key: string;
}

function filesystemOf(artifact: Artifact): FilesystemLocation | undefined {
  const fs = (artifact as { filesystem?: Partial<FilesystemLocation> }).filesystem;
  return fs?.path && fs.key ? { path: fs.path, key: fs.key } : undefined;
}

/** Copies one artifact into `target`; returns a problem to report, if any. */
async function copyArtifact(source: string, target: string): Promise<string | undefined> {
  try {
    await Deno.stat(source);
  } catch {
    return `cannot read ${source}: the artifact repository is not on this machine`;
  }
  await Deno.mkdir(target, { recursive: true });
  if (source.endsWith(".tgz") || source.endsWith(".tar.gz")) {
    const untar = await new Deno.Command("tar", { args: ["-xzf", source, "-C", target] }).output();
    if (untar.code !== 0) {
      return `cannot unpack ${source}: ${new TextDecoder().decode(untar.stderr).trim()}`;
    }
    return undefined;
  }
  await Deno.copyFile(source, `${target}/${source.slice(source.lastIndexOf("/") + 1)}`);
  return undefined;
}

export function cpCommand(ctx: CliContext) {
  return new Command("cp")
    .description("Copy artifacts from a workflow to a local directory")
    .argument("<workflow>", "workflow name, or @latest")
    .argument("<dir>", "directory to copy into")
    .option("--node-id <id>", "only this node's artifacts")
    .option("--template-name <name>", "only artifacts of nodes of this template")
    .option("--artifact-name <name>", "only artifacts with this name")
    .option("--path <pattern>", "where under DIR each artifact goes", DEFAULT_PATH)
    .action(async (requested, dir, options, command) => {
      const global = globals(command);
      const opened = open(ctx, global);
      if (!opened) return;
      const namespace = global.namespace ?? opened.connection.namespace;
      const name = await resolveName(ctx, opened.client, namespace, requested);
      if (name === undefined) return;
      const got = await opened.client.get(namespace, name);
      if (!got.ok) {
        if (got.error.code === 404) await notFound(ctx, opened.client, namespace, name);
        else reportError(ctx, got.error);
        return;
      }
      const wanted = (node: NodeStatus) =>
        (!options.nodeId || node.id === options.nodeId) &&
        (!options.templateName ||
          (node.templateRef?.template ?? node.templateName) === options.templateName);
      let copied = 0;
      for (const node of Object.values(got.value.status?.nodes ?? {}).filter(wanted)) {
        for (const artifact of node.outputs?.artifacts ?? []) {
          if (options.artifactName && artifact.name !== options.artifactName) continue;
          const location = filesystemOf(artifact);
          if (!location) {
            ctx.io.err(
              `argo-ts cp: skipped "${artifact.name}" of node ${node.id}: only the filesystem ` +
                `artifact repository can be read by cp yet\n`,
            );
            continue;
          }
          const relative = options.path.replaceAll("{namespace}", namespace)
            .replaceAll("{workflowName}", name)
            .replaceAll("{nodeId}", node.id)
            .replaceAll("{templateName}", node.templateRef?.template ?? node.templateName ?? "")
            .replaceAll("{artifactName}", artifact.name);
          const target = `${dir}/${relative}`;
          const problem = await copyArtifact(`${location.path}/${location.key}`, target);
          if (problem) {
            ctx.io.err(`argo-ts cp: ${problem}\n`);
            ctx.exitCode = 1;
            continue;
          }
          ctx.io.out(`Created "${artifact.name}" in ${target}\n`);
          copied++;
        }
      }
      if (copied === 0 && ctx.exitCode === 0) {
        ctx.io.err(`argo-ts cp: workflow "${name}" has no output artifacts to copy that match\n`);
        ctx.exitCode = 1;
      }
    });
}
