/**
 * The resource types the server serves: the built-in kinds and those CustomResourceDefinitions
 * add, and the discovery documents (`/api`, `/apis`, `/api/v1`, `/apis/{group}/{version}`)
 * derived from them.
 */
import type { Json, JsonObject } from "../store/mod.ts";

export interface ResourceType {
  group: string;
  version: string;
  /** Plural name, as in the URL. */
  plural: string;
  singular: string;
  kind: string;
  namespaced: boolean;
  shortNames: string[];
  categories: string[];
  /** Updates of the main resource keep the stored status; `/status` changes only the status. */
  statusSubresource: boolean;
  /** Uses strategic merge patch with the pod schema (core kinds); otherwise merge patch. */
  strategic: boolean;
  /** Name rule: a DNS-1123 label (namespaces, services) or subdomain (everything else). */
  nameRule: "label" | "subdomain";
  /** Served because a CRD named `{plural}.{group}` exists. */
  custom: boolean;
  /** A CRD's additionalPrinterColumns, for server-side tables. */
  printerColumns?: PrinterColumn[];
}

export interface PrinterColumn {
  name: string;
  type: string;
  jsonPath: string;
  description: string;
  priority: number;
}

/** The store key of a resource type: "group/plural". */
export function storeResource(type: ResourceType): string {
  return `${type.group}/${type.plural}`;
}

export function apiVersionOf(type: ResourceType): string {
  return type.group === "" ? type.version : `${type.group}/${type.version}`;
}

const VERBS = ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"];

function builtin(
  group: string,
  version: string,
  plural: string,
  kind: string,
  namespaced: boolean,
  extra: Partial<ResourceType> = {},
): ResourceType {
  return {
    group,
    version,
    plural,
    singular: kind.toLowerCase(),
    kind,
    namespaced,
    shortNames: [],
    categories: [],
    statusSubresource: false,
    strategic: group === "" || group === "apps",
    nameRule: "subdomain",
    custom: false,
    ...extra,
  };
}

/** The kinds every server serves. */
export const BUILTIN_TYPES: ResourceType[] = [
  builtin("", "v1", "pods", "Pod", true, {
    shortNames: ["po"],
    categories: ["all"],
    statusSubresource: true,
  }),
  builtin("", "v1", "configmaps", "ConfigMap", true, { shortNames: ["cm"] }),
  builtin("", "v1", "secrets", "Secret", true),
  builtin("", "v1", "serviceaccounts", "ServiceAccount", true, { shortNames: ["sa"] }),
  builtin("", "v1", "events", "Event", true, { shortNames: ["ev"] }),
  builtin("", "v1", "persistentvolumeclaims", "PersistentVolumeClaim", true, {
    shortNames: ["pvc"],
    statusSubresource: true,
  }),
  builtin("", "v1", "namespaces", "Namespace", false, {
    shortNames: ["ns"],
    statusSubresource: true,
    nameRule: "label",
  }),
  builtin("", "v1", "services", "Service", true, {
    shortNames: ["svc"],
    categories: ["all"],
    statusSubresource: true,
    nameRule: "label",
  }),
  builtin("coordination.k8s.io", "v1", "leases", "Lease", true),
  builtin(
    "apiextensions.k8s.io",
    "v1",
    "customresourcedefinitions",
    "CustomResourceDefinition",
    false,
    {
      shortNames: ["crd", "crds"],
      statusSubresource: true,
    },
  ),
  builtin("apps", "v1", "deployments", "Deployment", true, {
    shortNames: ["deploy"],
    categories: ["all"],
    statusSubresource: true,
  }),
  builtin("rbac.authorization.k8s.io", "v1", "roles", "Role", true),
  builtin("rbac.authorization.k8s.io", "v1", "clusterroles", "ClusterRole", false),
  builtin("rbac.authorization.k8s.io", "v1", "rolebindings", "RoleBinding", true),
  builtin("rbac.authorization.k8s.io", "v1", "clusterrolebindings", "ClusterRoleBinding", false),
  builtin("scheduling.k8s.io", "v1", "priorityclasses", "PriorityClass", false, {
    shortNames: ["pc"],
  }),
  builtin("policy", "v1", "poddisruptionbudgets", "PodDisruptionBudget", true, {
    shortNames: ["pdb"],
    statusSubresource: true,
  }),
];

function asObject(value: Json | undefined): JsonObject | undefined {
  return value !== null && typeof value === "object" && !Array.isArray(value) ? value : undefined;
}

function strings(value: Json | undefined): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === "string") : [];
}

function printerColumns(value: Json | undefined): PrinterColumn[] | undefined {
  if (!Array.isArray(value)) return undefined;
  const columns: PrinterColumn[] = [];
  for (const item of value) {
    const c = asObject(item);
    if (typeof c?.name !== "string" || typeof c.jsonPath !== "string") continue;
    columns.push({
      name: c.name,
      type: typeof c.type === "string" ? c.type : "string",
      jsonPath: c.jsonPath,
      description: typeof c.description === "string" ? c.description : "",
      priority: typeof c.priority === "number" ? c.priority : 0,
    });
  }
  return columns;
}

/** The resource types a CRD object defines (one per served version), or why it is invalid. */
export function typesFromCrd(crd: JsonObject): { ok: true; types: ResourceType[] } | {
  ok: false;
  field: string;
  error: string;
} {
  const spec = asObject(crd.spec);
  const names = asObject(spec?.names);
  const group = spec?.group;
  const plural = names?.plural;
  const kind = names?.kind;
  if (typeof group !== "string" || group === "") {
    return { ok: false, field: "spec.group", error: "Required value" };
  }
  if (typeof plural !== "string" || plural === "") {
    return { ok: false, field: "spec.names.plural", error: "Required value" };
  }
  if (typeof kind !== "string" || kind === "") {
    return { ok: false, field: "spec.names.kind", error: "Required value" };
  }
  const name = asObject(crd.metadata)?.name;
  if (name !== `${plural}.${group}`) {
    return { ok: false, field: "metadata.name", error: 'must be spec.names.plural+"."+spec.group' };
  }
  const versions = Array.isArray(spec?.versions) ? spec.versions : [];
  const types: ResourceType[] = [];
  for (const v of versions) {
    const version = asObject(v);
    if (typeof version?.name !== "string" || version.served === false) continue;
    types.push({
      group,
      version: version.name,
      plural,
      singular: typeof names?.singular === "string" ? names.singular : kind.toLowerCase(),
      kind,
      namespaced: spec?.scope !== "Cluster",
      shortNames: strings(names?.shortNames),
      categories: strings(names?.categories),
      statusSubresource: asObject(asObject(version.subresources)?.status) !== undefined,
      strategic: false,
      nameRule: "subdomain",
      custom: true,
      printerColumns: printerColumns(version.additionalPrinterColumns),
    });
  }
  if (types.length === 0) {
    return { ok: false, field: "spec.versions", error: "must have at least one served version" };
  }
  return { ok: true, types };
}

/** Built-in types plus the types of every established CRD. */
export class Registry {
  #custom = new Map<string, ResourceType[]>();

  all(): ResourceType[] {
    return [...BUILTIN_TYPES, ...[...this.#custom.values()].flat()];
  }

  /** Sets (or with undefined removes) the types of the CRD named `name`. */
  setCrd(name: string, types: ResourceType[] | undefined): void {
    if (types === undefined) this.#custom.delete(name);
    else this.#custom.set(name, types);
  }

  find(group: string, version: string, plural: string): ResourceType | undefined {
    return this.all().find((t) =>
      t.group === group && t.version === version && t.plural === plural
    );
  }

  /** Any served version of a store resource ("group/plural"). */
  byStoreResource(resource: string): ResourceType | undefined {
    return this.all().find((t) => storeResource(t) === resource);
  }

  /** The type for an object's apiVersion and kind. */
  byKind(apiVersion: string, kind: string): ResourceType | undefined {
    return this.all().find((t) => apiVersionOf(t) === apiVersion && t.kind === kind);
  }

  groupVersions(): Map<string, string[]> {
    const groups = new Map<string, string[]>();
    for (const t of this.all()) {
      if (t.group === "") continue;
      const versions = groups.get(t.group) ?? [];
      if (!versions.includes(t.version)) versions.push(t.version);
      groups.set(t.group, versions);
    }
    return groups;
  }

  /** `/api` */
  coreVersions(serverAddress: string): JsonObject {
    return {
      kind: "APIVersions",
      versions: ["v1"],
      serverAddressByClientCIDRs: [{ clientCIDR: "0.0.0.0/0", serverAddress }],
    };
  }

  /** `/apis` */
  groupList(): JsonObject {
    const groups: Json[] = [];
    for (const [name, versions] of this.groupVersions()) {
      const list = versions.map((version) => ({ groupVersion: `${name}/${version}`, version }));
      groups.push({ name, versions: list, preferredVersion: list[0] });
    }
    return { kind: "APIGroupList", apiVersion: "v1", groups };
  }

  /** `/apis/{group}` */
  group(name: string): JsonObject | undefined {
    const versions = this.groupVersions().get(name);
    if (versions === undefined) return undefined;
    const list = versions.map((version) => ({ groupVersion: `${name}/${version}`, version }));
    return { kind: "APIGroup", apiVersion: "v1", name, versions: list, preferredVersion: list[0] };
  }

  /** `/api/v1` or `/apis/{group}/{version}` */
  resourceList(group: string, version: string): JsonObject | undefined {
    const types = this.all().filter((t) => t.group === group && t.version === version);
    if (types.length === 0) return undefined;
    const resources: Json[] = [];
    for (const t of types) {
      const entry: JsonObject = {
        name: t.plural,
        singularName: t.singular,
        namespaced: t.namespaced,
        kind: t.kind,
        verbs: VERBS,
      };
      if (t.shortNames.length > 0) entry.shortNames = t.shortNames;
      if (t.categories.length > 0) entry.categories = t.categories;
      resources.push(entry);
      if (t.statusSubresource) {
        resources.push({
          name: `${t.plural}/status`,
          singularName: "",
          namespaced: t.namespaced,
          kind: t.kind,
          verbs: ["get", "patch", "update"],
        });
      }
      if (t.group === "" && t.plural === "pods") {
        resources.push({
          name: "pods/log",
          singularName: "",
          namespaced: true,
          kind: "Pod",
          verbs: ["get"],
        });
        resources.push({
          name: "pods/binding",
          singularName: "",
          namespaced: true,
          kind: "Binding",
          verbs: ["create"],
        });
      }
    }
    return {
      kind: "APIResourceList",
      apiVersion: "v1",
      groupVersion: group === "" ? version : `${group}/${version}`,
      resources,
    };
  }
}
