/**
 * Just enough OpenAPI v3 for kubectl's default validation: `/openapi/v3` lists one document per
 * group version, and each document declares, for every kind, a PATCH operation that accepts the
 * `fieldValidation` query parameter. kubectl then leaves validation to the server (which is
 * tolerant: unknown fields are kept) instead of downloading schemas. `/openapi/v2` is not served.
 */
import type { Json, JsonObject } from "../store/mod.ts";
import type { Registry, ResourceType } from "./resources.ts";

function gvPath(group: string, version: string): string {
  return group === "" ? `api/${version}` : `apis/${group}/${version}`;
}

/** `/openapi/v3`: the index of group-version documents. */
export function openApiIndex(registry: Registry, revision: number): JsonObject {
  const paths: JsonObject = {};
  for (const t of registry.all()) {
    const path = gvPath(t.group, t.version);
    paths[path] = { serverRelativeURL: `/openapi/v3/${path}?hash=${revision.toString(16)}` };
  }
  return { paths };
}

function operations(t: ResourceType): JsonObject {
  const gvk = { group: t.group, version: t.version, kind: t.kind };
  const parameters: Json[] = ["fieldValidation", "fieldManager", "dryRun", "force"].map((name) => ({
    name,
    in: "query",
    schema: { type: "string" },
  }));
  return {
    patch: {
      operationId: `patch${t.kind}`,
      "x-kubernetes-action": "patch",
      "x-kubernetes-group-version-kind": gvk,
      parameters,
      responses: { "200": { description: "OK" } },
    },
  };
}

/** `/openapi/v3/{api/v1 | apis/group/version}`, or undefined for an unknown group version. */
export function openApiDocument(registry: Registry, path: string): JsonObject | undefined {
  const types = registry.all().filter((t) => gvPath(t.group, t.version) === path);
  if (types.length === 0) return undefined;
  const paths: JsonObject = {};
  for (const t of types) {
    const prefix = `/${gvPath(t.group, t.version)}`;
    const item = t.namespaced
      ? `${prefix}/namespaces/{namespace}/${t.plural}/{name}`
      : `${prefix}/${t.plural}/{name}`;
    paths[item] = operations(t);
  }
  return {
    openapi: "3.0.0",
    info: { title: "Kubernetes", version: "v1.33.0" },
    paths,
    components: { schemas: {} },
  };
}
