/**
 * `argo-ts install [--namespace argo] [--image IMAGE] [--dry-run]`: puts argo-ts on a cluster.
 * The objects are those of `manifests/base` (CRDs, RBAC, the controller Deployment and its
 * ConfigMap), embedded in the program (`manifests/bundle.gen.ts`). `--dry-run` prints them as
 * YAML; otherwise each is created, or updated in place when it exists, through the Kubernetes
 * API, in the order `kubectl apply -k manifests/base` uses (CRDs first).
 */
import { Command } from "@commander-js/extra-typings";
import * as k8s from "@kubernetes/client-node";
import { parseAllDocuments, stringify } from "yaml";
import { INSTALL_MANIFESTS } from "../manifests/bundle.gen.ts";
import { connect, toKubeError } from "../kube/client.ts";
import type { CliContext } from "./io.ts";

/** The namespace and image the manifests are written for. */
export const DEFAULT_NAMESPACE = "argo";
export const DEFAULT_IMAGE = "argo-ts:v0.1.0";

type Manifest = k8s.KubernetesObject & Record<string, unknown>;

const CLUSTER_SCOPED = new Set([
  "Namespace",
  "CustomResourceDefinition",
  "ClusterRole",
  "ClusterRoleBinding",
]);

export interface RenderOptions {
  namespace?: string;
  image?: string;
}

/** The install objects for a namespace and image, in apply order. */
export function installManifests(options: RenderOptions = {}): Manifest[] {
  const namespace = options.namespace ?? DEFAULT_NAMESPACE;
  const image = options.image ?? DEFAULT_IMAGE;
  const objects: Manifest[] = [];
  for (const file of INSTALL_MANIFESTS) {
    for (const document of parseAllDocuments(file.text, { version: "1.1" })) {
      const value = document.toJS() as Manifest | null;
      if (value && typeof value === "object") objects.push(value);
    }
  }
  for (const object of objects) retarget(object, namespace, image);
  return objects;
}

/** Moves an object to `namespace` and points its images at `image` (as kustomize would). */
function retarget(object: Manifest, namespace: string, image: string): void {
  const meta = object.metadata ??= {};
  if (object.kind === "Namespace") meta.name = namespace;
  else if (!CLUSTER_SCOPED.has(object.kind ?? "")) meta.namespace = namespace;
  const subjects = object.subjects as Array<{ namespace?: string }> | undefined;
  for (const subject of subjects ?? []) {
    if (subject.namespace === DEFAULT_NAMESPACE) subject.namespace = namespace;
  }
  if (object.kind === "Deployment") {
    const spec = object.spec as {
      template?: { spec?: { containers?: Array<{ image?: string }> } };
    };
    for (const container of spec.template?.spec?.containers ?? []) {
      if (container.image === DEFAULT_IMAGE) container.image = image;
    }
  }
  if (object.kind === "ConfigMap") {
    const data = object.data as Record<string, string> | undefined;
    if (data?.executor) data.executor = data.executor.replace(DEFAULT_IMAGE, image);
  }
}

/** `kind.group/name`, as kubectl prints it. */
function describe(object: Manifest): string {
  const group = (object.apiVersion ?? "").includes("/") ? object.apiVersion!.split("/")[0] : "";
  const kind = (object.kind ?? "").toLowerCase();
  return `${group ? `${kind}.${group}` : kind}/${object.metadata?.name}`;
}

export function installCommand(ctx: CliContext) {
  return new Command("install")
    .description("Install argo-ts (CRDs, RBAC, controller) on the current cluster")
    .option("-n, --namespace <namespace>", "namespace of the controller", DEFAULT_NAMESPACE)
    .option("--image <image>", "controller and executor image", DEFAULT_IMAGE)
    .option("--dry-run", "print the manifests, do not apply them")
    .option("--kubeconfig <path>", "path to a kubeconfig file")
    .option("--context <name>", "the kubeconfig context to use")
    .action(async (options, command) => {
      const all = command.optsWithGlobals() as Record<string, unknown>;
      const namespace = options.namespace !== DEFAULT_NAMESPACE || typeof all.namespace !== "string"
        ? options.namespace
        : all.namespace;
      const objects = installManifests({ namespace, image: options.image });
      if (options.dryRun) {
        ctx.io.out(objects.map((o) => stringify(o, { version: "1.1" })).join("---\n"));
        return;
      }
      const connected = connect({
        kubeconfig: options.kubeconfig ??
          (typeof all.kubeconfig === "string" ? all.kubeconfig : undefined),
        context: options.context ?? (typeof all.context === "string" ? all.context : undefined),
        stateDir: typeof all.stateDir === "string" ? all.stateDir : undefined,
      });
      if (!connected.ok) {
        ctx.io.err(`argo-ts install: ${connected.error.message}\n`);
        ctx.exitCode = 1;
        return;
      }
      const api = k8s.KubernetesObjectApi.makeApiClient(connected.value.config);
      for (const object of objects) {
        try {
          ctx.io.out(`${describe(object)} ${await createOrUpdate(api, object)}\n`);
        } catch (error) {
          const failure = toKubeError(error, connected.value);
          ctx.io.err(`argo-ts install: ${describe(object)}: ${failure.message}\n`);
          ctx.exitCode = 1;
          return;
        }
      }
    });
}

/** Creates the object, or replaces it (keeping its resourceVersion) when it exists. */
async function createOrUpdate(
  api: k8s.KubernetesObjectApi,
  object: Manifest,
): Promise<"created" | "configured"> {
  const header = {
    apiVersion: object.apiVersion!,
    kind: object.kind!,
    metadata: { name: object.metadata!.name!, namespace: object.metadata?.namespace },
  };
  let existing: k8s.KubernetesObject | undefined;
  try {
    existing = await api.read(header);
  } catch (error) {
    if (!(error instanceof k8s.ApiException && error.code === 404)) throw error;
  }
  if (!existing) {
    await api.create(object);
    return "created";
  }
  const body = structuredClone(object);
  body.metadata = { ...body.metadata, resourceVersion: existing.metadata?.resourceVersion };
  // The cluster owns status and, for Services, the allocated cluster IP.
  const spec = (existing as { spec?: Record<string, unknown> }).spec;
  if (object.kind === "Service" && spec?.clusterIP) {
    (body.spec as Record<string, unknown>).clusterIP = spec.clusterIP;
  }
  await api.replace(body);
  return "configured";
}
