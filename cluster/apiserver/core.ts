/**
 * The API semantics, independent of HTTP: create, get, list, update, patch, delete and
 * deletecollection over the store, with metadata defaulting, name validation, optimistic
 * concurrency, status subresources, graceful pod deletion, finalizers, ownerReference garbage
 * collection and CRD registration. Every operation is synchronous and returns either an object
 * or an {@link ApiError}.
 */
import { parse as parseYaml } from "yaml";
import { PLAIN_PATCH_SCHEMA, POD_PATCH_SCHEMA, strategicMerge } from "../../api/strategic_merge.ts";
import type { Json, JsonObject, ObjectKey, Store } from "../store/mod.ts";
import { labelProblem, randomSuffix, subdomainProblem } from "./names.ts";
import { jsonPatch, mergePatch } from "./patch.ts";
import {
  apiVersionOf,
  type Registry,
  type ResourceType,
  storeResource,
  typesFromCrd,
} from "./resources.ts";
import type { Selector } from "./selectors.ts";
import {
  alreadyExists,
  type ApiError,
  apiError,
  badRequest,
  conflict,
  invalid,
  isApiError,
  notFound,
  success,
} from "./status.ts";

/** What a request addresses: a type, a namespace ("" for cluster scope), maybe a name. */
export interface Target {
  type: ResourceType;
  namespace: string;
  name?: string;
  subresource?: string;
}

export type Outcome = { ok: true; object: JsonObject; code: number } | {
  ok: false;
  error: ApiError;
};

export interface DeleteOptions {
  gracePeriodSeconds?: number;
  propagationPolicy?: "Orphan" | "Background" | "Foreground";
  preconditions?: { uid?: string; resourceVersion?: string };
}

export interface ListQuery {
  label: Selector;
  field: Selector;
  limit?: number;
  continueToken?: string;
}

export const PATCH_TYPES = {
  merge: "application/merge-patch+json",
  json: "application/json-patch+json",
  strategic: "application/strategic-merge-patch+json",
  apply: "application/apply-patch+yaml",
} as const;

const SYSTEM_NAMESPACES = ["default", "kube-system", "kube-public", "kube-node-lease"];

function asObject(value: Json | undefined): JsonObject | undefined {
  return value !== null && typeof value === "object" && !Array.isArray(value) ? value : undefined;
}

function metadataOf(object: JsonObject): JsonObject {
  let metadata = asObject(object.metadata);
  if (metadata === undefined) {
    metadata = {};
    object.metadata = metadata;
  }
  return metadata;
}

function fail(error: ApiError): Outcome {
  return { ok: false, error };
}

function done(object: JsonObject, code = 200): Outcome {
  return { ok: true, object, code };
}

/** RFC 3339 seconds, as kube writes timestamps. */
export function timestamp(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, "Z");
}

export class ApiCore {
  readonly #gcQueue: string[] = [];
  #gcTimer: ReturnType<typeof setTimeout> | undefined;
  #closed = false;

  constructor(readonly store: Store, readonly registry: Registry) {
    for (const crd of store.list("apiextensions.k8s.io/customresourcedefinitions")) {
      const types = typesFromCrd(crd);
      const name = asObject(crd.metadata)?.name;
      if (types.ok && typeof name === "string") registry.setCrd(name, types.types);
    }
    for (const ns of SYSTEM_NAMESPACES) {
      if (store.get({ resource: "/namespaces", namespace: "", name: ns }) === undefined) {
        this.create(this.#type("", "namespaces"), "", {
          apiVersion: "v1",
          kind: "Namespace",
          metadata: { name: ns },
        });
      }
    }
  }

  close(): void {
    this.#closed = true;
    if (this.#gcTimer !== undefined) clearTimeout(this.#gcTimer);
  }

  #type(group: string, plural: string): ResourceType {
    const type = this.registry.all().find((t) => t.group === group && t.plural === plural);
    if (type === undefined) throw new Error(`no built-in type ${group}/${plural}`);
    return type;
  }

  #key(type: ResourceType, namespace: string, name: string): ObjectKey {
    return { resource: storeResource(type), namespace: type.namespaced ? namespace : "", name };
  }

  get(target: Target): Outcome {
    const { type, namespace, name } = target;
    const object = this.store.get(this.#key(type, namespace, name ?? ""));
    if (object === undefined) return fail(notFound(type.plural, type.group, name ?? ""));
    return done(this.#present(type, object));
  }

  /** Sets kind and apiVersion for the served version. */
  #present(type: ResourceType, object: JsonObject): JsonObject {
    const { apiVersion: _a, kind: _k, ...rest } = object;
    return { apiVersion: apiVersionOf(type), kind: type.kind, ...rest };
  }

  list(target: Target, query: ListQuery): Outcome {
    const { type, namespace } = target;
    const revision = this.store.revision();
    let after: { namespace: string; name: string } | undefined;
    let listRevision = revision;
    if (query.continueToken) {
      try {
        const token = JSON.parse(atob(query.continueToken)) as {
          rv: number;
          ns: string;
          n: string;
        };
        after = { namespace: token.ns, name: token.n };
        listRevision = token.rv;
      } catch {
        return fail(badRequest(`invalid continue token`));
      }
    }
    const items: JsonObject[] = [];
    let more = false;
    const limit = query.limit !== undefined && query.limit > 0 ? query.limit : Infinity;
    for (
      const object of this.store.list(storeResource(type), {
        namespace: type.namespaced ? namespace : undefined,
        after,
      })
    ) {
      if (!query.label(object) || !query.field(object)) continue;
      if (items.length >= limit) {
        more = true;
        break;
      }
      items.push(this.#present(type, object));
    }
    const metadata: JsonObject = { resourceVersion: String(listRevision) };
    if (more) {
      const last = metadataOf(items[items.length - 1]);
      metadata.continue = btoa(
        JSON.stringify({ rv: listRevision, ns: last.namespace ?? "", n: last.name }),
      );
    }
    return done({
      kind: `${type.kind}List`,
      apiVersion: apiVersionOf(type),
      metadata,
      items,
    });
  }

  /** Checks the body's apiVersion/kind/namespace against the URL; fills them in when absent. */
  #checkBody(target: Target, body: JsonObject): ApiError | undefined {
    const { type } = target;
    if (body.kind !== undefined && body.kind !== type.kind) {
      return badRequest(
        `the kind in the data (${JSON.stringify(body.kind)}) does not match the expected kind ` +
          `(${type.kind}) for ${type.plural}`,
      );
    }
    if (body.apiVersion !== undefined && body.apiVersion !== apiVersionOf(type)) {
      return badRequest(
        `the API version in the data (${String(body.apiVersion)}) does not match the expected ` +
          `API version (${apiVersionOf(type)})`,
      );
    }
    const metadata = asObject(body.metadata);
    if (body.metadata !== undefined && metadata === undefined) {
      return badRequest("metadata must be an object");
    }
    if (
      type.namespaced && metadata?.namespace !== undefined && metadata.namespace !== "" &&
      metadata.namespace !== target.namespace
    ) {
      return badRequest(
        "the namespace of the provided object does not match the namespace sent on the request",
      );
    }
    for (const field of ["labels", "annotations"]) {
      const map = metadata?.[field];
      if (map === undefined || map === null) continue;
      const entries = asObject(map);
      if (entries === undefined || Object.values(entries).some((v) => typeof v !== "string")) {
        return invalid(
          type.kind,
          type.group,
          String(metadata?.name ?? ""),
          `metadata.${field}`,
          "",
          "must be a map of strings",
        );
      }
    }
    return undefined;
  }

  create(type: ResourceType, namespace: string, body: JsonObject): Outcome {
    const target: Target = { type, namespace };
    const problem = this.#checkBody(target, body);
    if (problem) return fail(problem);
    if (type.namespaced) {
      if (namespace === "") {
        return fail(badRequest("a namespace is required for namespaced resources"));
      }
      if (
        this.store.get({ resource: "/namespaces", namespace: "", name: namespace }) === undefined
      ) {
        return fail(notFound("namespaces", "", namespace));
      }
    }
    const object = this.#present(type, structuredClone(body));
    const metadata = metadataOf(object);
    const generateName = metadata.generateName;
    let name = metadata.name;
    const generated = (name === undefined || name === "") && typeof generateName === "string" &&
      generateName !== "";
    if (generated) name = `${generateName}${randomSuffix()}`;
    if (typeof name !== "string" || name === "") {
      return fail(
        invalid(type.kind, type.group, "", "metadata.name", "", "name or generateName is required"),
      );
    }
    const nameProblem = type.nameRule === "label" ? labelProblem(name) : subdomainProblem(name);
    if (nameProblem) {
      return fail(invalid(type.kind, type.group, name, "metadata.name", name, nameProblem));
    }
    metadata.name = name;
    if (type.namespaced) metadata.namespace = namespace;
    else delete metadata.namespace;
    metadata.uid = crypto.randomUUID();
    metadata.creationTimestamp = timestamp(new Date());
    metadata.generation = 1;
    for (
      const field of [
        "resourceVersion",
        "deletionTimestamp",
        "deletionGracePeriodSeconds",
        "managedFields",
        "selfLink",
      ]
    ) {
      delete metadata[field];
    }
    const defaulted = this.#defaults(type, object, undefined);
    if (isApiError(defaulted)) return fail(defaulted);
    let key = this.#key(type, namespace, name);
    let result = this.store.create(key, object);
    for (let i = 0; !result.ok && generated && i < 5; i++) {
      metadata.name = `${generateName}${randomSuffix()}`;
      key = this.#key(type, namespace, metadata.name);
      result = this.store.create(key, object);
    }
    if (!result.ok) return fail(alreadyExists(type.plural, type.group, String(metadata.name)));
    this.#afterWrite(type, undefined, result.object);
    return done(result.object, 201);
  }

  /** Kind-specific defaulting and validation; returns an error or undefined. */
  #defaults(
    type: ResourceType,
    object: JsonObject,
    old: JsonObject | undefined,
  ): ApiError | undefined {
    const name = String(metadataOf(object).name ?? "");
    if (type.group === "" && type.plural === "pods") {
      const spec = asObject(object.spec);
      if (spec === undefined || !Array.isArray(spec.containers) || spec.containers.length === 0) {
        return invalid("Pod", "", name, "spec.containers", "", "Required value");
      }
      spec.restartPolicy ??= "Always";
      spec.terminationGracePeriodSeconds ??= 30;
      spec.dnsPolicy ??= "ClusterFirst";
      spec.schedulerName ??= "default-scheduler";
      spec.serviceAccountName ??= "default";
      spec.securityContext ??= {};
      if (old === undefined) {
        const status = asObject(object.status) ?? {};
        status.phase ??= "Pending";
        status.qosClass ??= "BestEffort";
        object.status = status;
      }
    }
    if (type.group === "" && type.plural === "namespaces") {
      object.spec ??= { finalizers: ["kubernetes"] };
      const status = asObject(object.status) ?? {};
      status.phase ??= "Active";
      object.status = status;
    }
    if (type.group === "" && type.plural === "secrets") {
      object.type ??= "Opaque";
      const stringData = asObject(object.stringData);
      if (stringData !== undefined) {
        const data = asObject(object.data) ?? {};
        for (const [k, v] of Object.entries(stringData)) {
          data[k] = btoa(String.fromCharCode(...new TextEncoder().encode(String(v))));
        }
        object.data = data;
        delete object.stringData;
      }
    }
    if (type.group === "apiextensions.k8s.io") {
      const types = typesFromCrd(object);
      if (!types.ok) return invalid(type.kind, type.group, name, types.field, "", types.error);
      const spec = asObject(object.spec)!;
      object.status = {
        conditions: [
          {
            type: "NamesAccepted",
            status: "True",
            reason: "NoConflicts",
            message: "no conflicts found",
            lastTransitionTime: timestamp(new Date()),
          },
          {
            type: "Established",
            status: "True",
            reason: "InitialNamesAccepted",
            message: "the initial names have been accepted",
            lastTransitionTime: timestamp(new Date()),
          },
        ],
        acceptedNames: spec.names ?? {},
        storedVersions: types.types.map((t) => t.version),
      };
    }
    return undefined;
  }

  /** Side effects of a committed write. */
  #afterWrite(
    type: ResourceType,
    _old: JsonObject | undefined,
    object: JsonObject | undefined,
  ): void {
    if (type.group === "apiextensions.k8s.io") {
      const name = String(metadataOf(object ?? {}).name ?? "");
      if (object === undefined) return;
      const types = typesFromCrd(object);
      if (types.ok) this.registry.setCrd(name, types.types);
    }
    if (
      type.group === "" && type.plural === "namespaces" && object !== undefined &&
      _old === undefined
    ) {
      const ns = String(metadataOf(object).name);
      const sa = this.#type("", "serviceaccounts");
      if (this.store.get(this.#key(sa, ns, "default")) === undefined) {
        this.create(sa, ns, { metadata: { name: "default" } });
      }
    }
  }

  update(target: Target, body: JsonObject): Outcome {
    const { type, namespace, name = "", subresource } = target;
    const problem = this.#checkBody(target, body);
    if (problem) return fail(problem);
    const bodyName = asObject(body.metadata)?.name;
    if (bodyName !== undefined && bodyName !== name) {
      return fail(
        badRequest(
          `the name of the object (${
            String(bodyName)
          }) does not match the name on the URL (${name})`,
        ),
      );
    }
    const key = this.#key(type, namespace, name);
    const old = this.store.get(key);
    if (old === undefined) return fail(notFound(type.plural, type.group, name));
    const rv = asObject(body.metadata)?.resourceVersion;
    if (rv !== undefined && rv !== "" && rv !== metadataOf(old).resourceVersion) {
      return fail(conflict(type.plural, type.group, name));
    }
    return this.#replace(type, key, old, structuredClone(body), subresource);
  }

  /** Writes `next` over `old`, keeping what the client may not change. */
  #replace(
    type: ResourceType,
    key: ObjectKey,
    old: JsonObject,
    given: JsonObject,
    subresource?: string,
  ): Outcome {
    const next = this.#present(type, given);
    let object: JsonObject;
    if (subresource === "status") {
      object = structuredClone(old);
      if (next.status === undefined) delete object.status;
      else object.status = next.status;
    } else {
      object = next;
      if (type.statusSubresource) {
        if (old.status === undefined) delete object.status;
        else object.status = structuredClone(old.status);
      }
    }
    const oldMeta = metadataOf(old);
    const meta = metadataOf(object);
    for (
      const field of [
        "name",
        "namespace",
        "uid",
        "creationTimestamp",
        "deletionTimestamp",
        "deletionGracePeriodSeconds",
        "generation",
      ]
    ) {
      if (oldMeta[field] === undefined) delete meta[field];
      else meta[field] = oldMeta[field];
    }
    const specChanged = JSON.stringify(stripMeta(old)) !== JSON.stringify(stripMeta(object));
    if (specChanged && subresource !== "status") {
      meta.generation = Number(oldMeta.generation ?? 1) + 1;
    }
    if (type.group === "" && type.plural === "pods" && subresource !== "status") {
      const oldSpec = asObject(old.spec);
      const spec = asObject(object.spec);
      if (
        spec !== undefined && oldSpec?.nodeName !== undefined && spec.nodeName !== oldSpec.nodeName
      ) {
        return fail(
          invalid(
            "Pod",
            "",
            key.name,
            "spec.nodeName",
            String(spec.nodeName ?? ""),
            "field is immutable",
          ),
        );
      }
    }
    const problem = this.#defaults(type, object, old);
    if (problem) return fail(problem);
    const result = this.store.update(key, object, Number(oldMeta.resourceVersion));
    if (!result.ok) return fail(conflict(type.plural, type.group, key.name));
    this.#afterWrite(type, old, result.object);
    return this.#finishIfDeleted(type, key, result.object);
  }

  /** An object with a deletionTimestamp, no grace left and no finalizers goes away. */
  #finishIfDeleted(type: ResourceType, key: ObjectKey, object: JsonObject): Outcome {
    const meta = metadataOf(object);
    const finalizers = Array.isArray(meta.finalizers) ? meta.finalizers : [];
    if (
      meta.deletionTimestamp !== undefined && Number(meta.deletionGracePeriodSeconds ?? 0) === 0 &&
      finalizers.length === 0
    ) {
      const removed = this.store.remove(key);
      if (removed.ok) {
        this.#removed(type, removed.object, "Background");
        return done(removed.object);
      }
    }
    return done(object);
  }

  patch(target: Target, contentType: string, text: string): Outcome {
    const { type, namespace, name = "", subresource } = target;
    let patch: Json;
    try {
      patch = contentType === PATCH_TYPES.apply
        ? parseYaml(text, { maxAliasCount: 100 }) as Json
        : JSON.parse(text) as Json;
    } catch (e) {
      return fail(
        badRequest(`error decoding patch: ${e instanceof Error ? e.message : String(e)}`),
      );
    }
    const key = this.#key(type, namespace, name);
    const old = this.store.get(key);
    if (old === undefined) {
      if (contentType === PATCH_TYPES.apply && asObject(patch) !== undefined) {
        return this.create(type, namespace, asObject(patch)!);
      }
      return fail(notFound(type.plural, type.group, name));
    }
    let next: Json;
    switch (contentType) {
      case PATCH_TYPES.merge:
      case PATCH_TYPES.apply:
        if (asObject(patch) === undefined) {
          return fail(badRequest("a merge patch must be a JSON object"));
        }
        try {
          next = mergePatch(old, patch);
        } catch (e) {
          return fail(badRequest(e instanceof Error ? e.message : String(e)));
        }
        break;
      case PATCH_TYPES.json: {
        const result = jsonPatch(old, patch);
        if (!result.ok) {
          return fail(
            apiError(
              "Invalid",
              `the server rejected our request due to an error in our request: ${result.error}`,
            ),
          );
        }
        next = result.value;
        break;
      }
      case PATCH_TYPES.strategic: {
        if (!type.strategic) {
          return fail(
            apiError(
              "UnsupportedMediaType",
              "the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml",
            ),
          );
        }
        const schema = type.plural === "pods" ? POD_PATCH_SCHEMA : PLAIN_PATCH_SCHEMA;
        const result = strategicMerge(old, patch, schema);
        if (!result.ok) return fail(badRequest(result.error));
        next = result.value as Json;
        break;
      }
      default:
        return fail(
          apiError(
            "UnsupportedMediaType",
            `the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml`,
          ),
        );
    }
    const object = asObject(next);
    if (object === undefined) return fail(badRequest("the patched object is not a JSON object"));
    const problem = this.#checkBody(target, object);
    if (problem) return fail(problem);
    const rv = metadataOf(object).resourceVersion;
    if (rv !== undefined && rv !== metadataOf(old).resourceVersion) {
      return fail(conflict(type.plural, type.group, name));
    }
    return this.#replace(type, key, old, object, subresource);
  }

  delete(target: Target, options: DeleteOptions = {}): Outcome {
    const { type, namespace, name = "" } = target;
    const key = this.#key(type, namespace, name);
    const old = this.store.get(key);
    if (old === undefined) return fail(notFound(type.plural, type.group, name));
    const meta = metadataOf(old);
    const pre = options.preconditions;
    if (pre?.uid !== undefined && pre.uid !== meta.uid) {
      return fail(
        apiError(
          "Conflict",
          `Precondition failed: UID in precondition: ${pre.uid}, UID in object meta: ${
            String(meta.uid)
          }`,
        ),
      );
    }
    if (pre?.resourceVersion !== undefined && pre.resourceVersion !== meta.resourceVersion) {
      return fail(
        apiError(
          "Conflict",
          `Precondition failed: ResourceVersion in precondition: ${pre.resourceVersion}, ResourceVersion in object meta: ${
            String(meta.resourceVersion)
          }`,
        ),
      );
    }
    const policy = options.propagationPolicy ?? "Background";
    if (type.group === "" && type.plural === "namespaces") this.#emptyNamespace(name);
    if (policy === "Foreground") this.#deleteDependents(String(meta.uid));
    let grace = 0;
    if (type.group === "" && type.plural === "pods") {
      const spec = asObject(old.spec);
      const phase = asObject(old.status)?.phase;
      const bound = typeof spec?.nodeName === "string" && spec.nodeName !== "";
      grace = options.gracePeriodSeconds ?? Number(spec?.terminationGracePeriodSeconds ?? 30);
      if (!bound || phase === "Succeeded" || phase === "Failed") grace = 0;
    }
    const finalizers = Array.isArray(meta.finalizers) ? meta.finalizers : [];
    if (grace > 0 || finalizers.length > 0) {
      const object = structuredClone(old);
      const m = metadataOf(object);
      const current = m.deletionGracePeriodSeconds;
      if (m.deletionTimestamp === undefined || typeof current !== "number" || grace < current) {
        m.deletionTimestamp = timestamp(new Date(Date.now() + grace * 1000));
        m.deletionGracePeriodSeconds = grace;
      }
      if (policy === "Orphan") this.#orphan(String(meta.uid));
      const result = this.store.update(key, object, Number(meta.resourceVersion));
      if (!result.ok) return fail(conflict(type.plural, type.group, name));
      return this.#finishIfDeleted(type, key, result.object);
    }
    const removed = this.store.remove(key);
    if (!removed.ok) return fail(notFound(type.plural, type.group, name));
    this.#removed(type, removed.object, policy);
    return done(this.#present(type, removed.object));
  }

  deleteCollection(target: Target, query: ListQuery, options: DeleteOptions): Outcome {
    const listed = this.list(target, { label: query.label, field: query.field });
    if (!listed.ok) return listed;
    const items: Json[] = [];
    for (const item of listed.object.items as JsonObject[]) {
      const meta = metadataOf(item);
      const out = this.delete(
        { type: target.type, namespace: String(meta.namespace ?? ""), name: String(meta.name) },
        options,
      );
      if (out.ok) items.push(out.object);
    }
    return done({ ...listed.object, items });
  }

  /** pods/binding: sets spec.nodeName once. */
  bind(target: Target, body: JsonObject): Outcome {
    const { namespace, name = "" } = target;
    const pods = this.#type("", "pods");
    const key = this.#key(pods, namespace, name);
    const old = this.store.get(key);
    if (old === undefined) return fail(notFound("pods", "", name));
    const node = asObject(body.target)?.name;
    if (typeof node !== "string" || node === "") {
      return fail(invalid("Binding", "", name, "target.name", "", "Required value"));
    }
    const spec = asObject(old.spec) ?? {};
    if (spec.nodeName !== undefined && spec.nodeName !== "") {
      return fail(
        apiError(
          "Conflict",
          `Operation cannot be fulfilled on pods/binding "${name}": pod ${name} is already assigned to node "${
            String(spec.nodeName)
          }"`,
          { name, kind: "pods/binding" },
        ),
      );
    }
    if (metadataOf(old).deletionTimestamp !== undefined) {
      return fail(
        apiError(
          "Conflict",
          `Operation cannot be fulfilled on pods/binding "${name}": pod ${name} is being deleted, cannot be assigned to a host`,
        ),
      );
    }
    const object = structuredClone(old);
    asObject(object.spec)!.nodeName = node;
    const status = asObject(object.status) ?? {};
    const conditions = (Array.isArray(status.conditions) ? status.conditions : []).filter((c) =>
      asObject(c)?.type !== "PodScheduled"
    );
    conditions.push({
      type: "PodScheduled",
      status: "True",
      lastProbeTime: null,
      lastTransitionTime: timestamp(new Date()),
    });
    status.conditions = conditions;
    object.status = status;
    const result = this.store.update(key, object, Number(metadataOf(old).resourceVersion));
    if (!result.ok) return fail(conflict("pods", "", name));
    return done(success(), 201);
  }

  /** After an object is gone: CRD unregistration and garbage collection of dependents. */
  #removed(type: ResourceType, object: JsonObject, policy: string): void {
    const meta = metadataOf(object);
    if (type.group === "apiextensions.k8s.io") {
      const name = String(meta.name);
      const types = this.registry.all().filter((t) =>
        t.custom && `${t.plural}.${t.group}` === name
      );
      if (types.length > 0) {
        for (const item of [...this.store.list(storeResource(types[0]))]) {
          const m = metadataOf(item);
          this.store.remove({
            resource: storeResource(types[0]),
            namespace: String(m.namespace ?? ""),
            name: String(m.name),
          });
        }
      }
      this.registry.setCrd(name, undefined);
    }
    if (policy === "Orphan") this.#orphan(String(meta.uid));
    else this.#scheduleGc(String(meta.uid));
  }

  #emptyNamespace(namespace: string): void {
    for (const type of this.registry.all()) {
      if (!type.namespaced) continue;
      for (const item of [...this.store.list(storeResource(type), { namespace })]) {
        const key = {
          resource: storeResource(type),
          namespace,
          name: String(metadataOf(item).name),
        };
        const removed = this.store.remove(key);
        if (removed.ok) this.#removed(type, removed.object, "Background");
      }
    }
  }

  /** Objects naming `uid` among their ownerReferences. */
  #dependents(uid: string): { type: ResourceType; object: JsonObject }[] {
    const out: { type: ResourceType; object: JsonObject }[] = [];
    for (const { resource, object } of this.store.scan(`"uid":"${uid}"`)) {
      const refs = metadataOf(object).ownerReferences;
      if (!Array.isArray(refs) || !refs.some((r) => asObject(r)?.uid === uid)) continue;
      const type = this.registry.byStoreResource(resource);
      if (type !== undefined) out.push({ type, object });
    }
    return out;
  }

  #orphan(uid: string): void {
    for (const { type, object } of this.#dependents(uid)) {
      const meta = metadataOf(object);
      meta.ownerReferences = (meta.ownerReferences as Json[]).filter((r) =>
        asObject(r)?.uid !== uid
      );
      if ((meta.ownerReferences as Json[]).length === 0) delete meta.ownerReferences;
      this.store.update(this.#key(type, String(meta.namespace ?? ""), String(meta.name)), object);
    }
  }

  #deleteDependents(uid: string): void {
    for (const { type, object } of this.#dependents(uid)) {
      const meta = metadataOf(object);
      this.delete({ type, namespace: String(meta.namespace ?? ""), name: String(meta.name) }, {
        propagationPolicy: "Foreground",
        gracePeriodSeconds: 0,
      });
    }
  }

  #scheduleGc(uid: string): void {
    if (this.#closed) return;
    this.#gcQueue.push(uid);
    this.#gcTimer ??= setTimeout(() => {
      this.#gcTimer = undefined;
      this.collectGarbage();
    }, 0);
  }

  /** Deletes (in the background) dependents whose owners are all gone. */
  collectGarbage(): void {
    while (this.#gcQueue.length > 0 && !this.#closed) {
      const uid = this.#gcQueue.shift()!;
      for (const { type, object } of this.#dependents(uid)) {
        const meta = metadataOf(object);
        const namespace = String(meta.namespace ?? "");
        const refs = (meta.ownerReferences as Json[]).map((r) => asObject(r) ?? {});
        const alive = refs.some((ref) => {
          if (ref.uid === uid) return false;
          const ownerType = this.registry.byKind(String(ref.apiVersion), String(ref.kind));
          if (ownerType === undefined) return false;
          const owner = this.store.get(this.#key(ownerType, namespace, String(ref.name)));
          return owner !== undefined && metadataOf(owner).uid === ref.uid;
        });
        if (!alive) {
          this.delete({ type, namespace, name: String(meta.name) }, {
            propagationPolicy: "Background",
          });
        }
      }
    }
  }
}

function stripMeta(object: JsonObject): JsonObject {
  const { metadata: _m, status: _s, ...rest } = object;
  return rest;
}
