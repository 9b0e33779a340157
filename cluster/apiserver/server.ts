/**
 * The HTTP layer: authentication, routing of Kubernetes API paths to {@link ApiCore}, discovery,
 * watch streams, pod logs, the audit list and Status error responses.
 */
import type { Json, JsonObject, Store, WatchHub } from "../store/mod.ts";
import { ApiCore, type DeleteOptions, PATCH_TYPES, type Target } from "./core.ts";
import { apiVersionOf, type Registry, storeResource } from "./resources.ts";
import { openApiDocument, openApiIndex } from "./openapi.ts";
import { parseFieldSelector, parseLabelSelector } from "./selectors.ts";
import { type ApiError, apiError, badRequest, isApiError } from "./status.ts";
import { toTable, wantsTable } from "./table.ts";
import { encodeShared, WatchStream } from "./watch_stream.ts";

/** Options a container log is opened with. */
export interface PodLogOptions {
  follow: boolean;
  tailLines?: number;
  sinceSeconds?: number;
  timestamps: boolean;
}

/** Where `pods/log` reads from: the local node implements it. */
export interface PodLogSource {
  open(
    namespace: string,
    pod: string,
    container: string,
    options: PodLogOptions,
  ): ReadableStream<Uint8Array> | undefined;
}

/** One request, as the audit list records it. */
export interface AuditEntry {
  time: string;
  user: string;
  verb: string;
  /** Plural resource, with `.group` for non-core groups; empty for non-resource paths. */
  resource: string;
  subresource?: string;
  namespace?: string;
  name?: string;
  path: string;
  code: number;
}

/** Largest request body accepted (kube-apiserver's limit). */
export const MAX_BODY_BYTES = 3 * 1024 * 1024;
const MAX_AUDIT = 10_000;
const VERSION = {
  major: "1",
  minor: "33",
  gitVersion: "v1.33.0+argo-ts",
  gitCommit: "0000000000000000000000000000000000000000",
  gitTreeState: "clean",
  buildDate: "2026-01-01T00:00:00Z",
  goVersion: "go1.24.0",
  compiler: "gc",
  platform: "linux/amd64",
};

export interface ServerOptions {
  store: Store;
  hub: WatchHub;
  registry: Registry;
  core: ApiCore;
  logs?: PodLogSource;
  /** Token -> user name. */
  authenticate(token: string): string | undefined;
  serverAddress(): string;
  watchQueueBytes: number;
  bookmarkIntervalMs: number;
}

type Handled = { response: Response; entry: Omit<AuditEntry, "time" | "user" | "path" | "code"> };

function json(body: Json, status = 200): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json" },
  });
}

function errorResponse(error: ApiError): Response {
  return json(error.status, error.code);
}

function asObject(value: Json | undefined): JsonObject | undefined {
  return value !== null && typeof value === "object" && !Array.isArray(value) ? value : undefined;
}

/** Reads a body up to {@link MAX_BODY_BYTES}; returns an error past it. */
async function readBody(request: Request): Promise<string | ApiError> {
  const tooLarge = apiError(
    "RequestEntityTooLarge",
    `Request entity too large: limit is ${MAX_BODY_BYTES}`,
  );
  const length = Number(request.headers.get("content-length") ?? "0");
  if (length > MAX_BODY_BYTES) {
    await request.body?.cancel().catch(() => {});
    return tooLarge;
  }
  if (request.body === null) return "";
  const chunks: Uint8Array[] = [];
  let total = 0;
  const reader = request.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > MAX_BODY_BYTES) {
      await reader.cancel().catch(() => {});
      return tooLarge;
    }
    chunks.push(value);
  }
  const bytes = new Uint8Array(total);
  let offset = 0;
  for (const c of chunks) {
    bytes.set(c, offset);
    offset += c.byteLength;
  }
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    return badRequest("the request body is not valid UTF-8");
  }
}

function parseJsonObject(text: string): JsonObject | ApiError {
  let value: Json;
  try {
    value = JSON.parse(text) as Json;
  } catch (e) {
    return badRequest(
      `Object 'Kind' is missing in '${text.slice(0, 100)}': ${e instanceof Error ? e.message : ""}`,
    );
  }
  const object = asObject(value);
  if (object === undefined) return badRequest("the request body must be a JSON object");
  return object;
}

const isError = isApiError;

/** The request handler behind `Deno.serve`, plus the audit list and open watches. */
export class ApiHandler {
  readonly #o: ServerOptions;
  readonly #audit: AuditEntry[] = [];
  readonly #watches = new Set<WatchStream>();
  readonly #logStreams = new Set<AbortController>();

  constructor(options: ServerOptions) {
    this.#o = options;
  }

  audit(): AuditEntry[] {
    return [...this.#audit];
  }

  /** Number of open watch responses. */
  watchCount(): number {
    return this.#watches.size;
  }

  closeWatches(): void {
    for (const w of [...this.#watches]) w.close();
  }

  /** Ends every open log stream (a followed log never ends by itself). */
  closeLogs(): void {
    for (const abort of [...this.#logStreams]) abort.abort();
  }

  async handle(request: Request): Promise<Response> {
    const url = new URL(request.url);
    const path = url.pathname.replace(/\/+$/, "") || "/";
    let user = "system:anonymous";
    let result: Handled;
    try {
      const token = /^Bearer\s+(\S+)$/i.exec(request.headers.get("authorization") ?? "")?.[1];
      const known = token === undefined ? undefined : this.#o.authenticate(token);
      if (known !== undefined) user = known;
      const open = ["/healthz", "/livez", "/readyz", "/version"].includes(path);
      if (known === undefined && !open) {
        await request.body?.cancel().catch(() => {});
        result = {
          response: errorResponse(apiError("Unauthorized", "Unauthorized")),
          entry: { verb: request.method.toLowerCase(), resource: "" },
        };
      } else {
        result = await this.#route(request, url, path);
      }
    } catch (e) {
      const message = e instanceof Error ? e.message : String(e);
      result = {
        response: errorResponse(apiError("InternalError", `Internal error occurred: ${message}`)),
        entry: { verb: request.method.toLowerCase(), resource: "" },
      };
    }
    this.#audit.push({
      time: new Date().toISOString(),
      user,
      path,
      code: result.response.status,
      ...result.entry,
    });
    if (this.#audit.length > MAX_AUDIT) this.#audit.splice(0, this.#audit.length - MAX_AUDIT);
    return result.response;
  }

  async #route(request: Request, url: URL, path: string): Promise<Handled> {
    const method = request.method;
    const simple = (response: Response): Handled => ({
      response,
      entry: { verb: method.toLowerCase(), resource: "" },
    });
    const reg = this.#o.registry;
    switch (path) {
      case "/healthz":
      case "/livez":
      case "/readyz":
        return simple(new Response("ok", { headers: { "content-type": "text/plain" } }));
      case "/version":
        return simple(json(VERSION));
      case "/api":
        return simple(json(reg.coreVersions(this.#o.serverAddress())));
      case "/apis":
        return simple(json(reg.groupList()));
    }
    if (path === "/openapi/v3") return simple(json(openApiIndex(reg, this.#o.store.revision())));
    if (path.startsWith("/openapi/v3/")) {
      const doc = openApiDocument(reg, path.slice("/openapi/v3/".length));
      return simple(doc ? json(doc) : this.#notFoundPath());
    }
    let parts: string[];
    try {
      parts = path.split("/").filter((p) => p !== "").map(decodeURIComponent);
    } catch {
      return simple(this.#notFoundPath());
    }
    let group: string;
    let version: string;
    let rest: string[];
    if (parts[0] === "api" && parts.length >= 2) {
      group = "";
      version = parts[1];
      rest = parts.slice(2);
    } else if (parts[0] === "apis" && parts.length >= 2) {
      group = parts[1];
      if (parts.length === 2) {
        const doc = reg.group(group);
        return simple(doc ? json(doc) : this.#notFoundPath());
      }
      version = parts[2];
      rest = parts.slice(3);
    } else {
      return simple(this.#notFoundPath());
    }
    if (rest.length === 0) {
      const doc = reg.resourceList(group, version);
      return simple(doc ? json(doc) : this.#notFoundPath());
    }
    let watchPath = false;
    if (rest[0] === "watch") {
      watchPath = true;
      rest = rest.slice(1);
    }
    // namespaces/{ns}/{resource}/... except namespaces/{name}[/status|finalize]
    let namespace = "";
    if (rest[0] === "namespaces" && rest.length >= 3 && !["status", "finalize"].includes(rest[2])) {
      namespace = rest[1];
      rest = rest.slice(2);
    }
    const [plural, name, subresource, ...extra] = rest;
    const type = reg.find(group, version, plural);
    if (type === undefined || extra.length > 0) return simple(this.#notFoundPath());
    if (!type.namespaced && namespace !== "") return simple(this.#notFoundPath());
    const target: Target = { type, namespace, name, subresource };
    const resourceName = type.group === "" ? type.plural : `${type.plural}.${type.group}`;
    const q = url.searchParams;
    const watch = watchPath || q.get("watch") === "true" || q.get("watch") === "1";
    let verb = method.toLowerCase();
    if (method === "GET") verb = name === undefined ? (watch ? "watch" : "list") : "get";
    else if (method === "POST") verb = "create";
    else if (method === "PUT") verb = "update";
    else if (method === "DELETE" && name === undefined) verb = "deletecollection";
    const entry = {
      verb,
      resource: resourceName,
      subresource,
      namespace: namespace || undefined,
      name,
    };
    const done = (response: Response): Handled => ({ response, entry });
    const fromOutcome = (out: ReturnType<ApiCore["get"]>): Response =>
      out.ok ? json(out.object, out.code) : errorResponse(out.error);
    const allowedSub = subresource === undefined ||
      (subresource === "status" && type.statusSubresource) ||
      (type.group === "" && type.plural === "pods" &&
        (subresource === "log" || subresource === "binding"));
    if (!allowedSub) return done(this.#notFoundPath());
    if (name !== undefined && name === "") return done(this.#notFoundPath());
    const core = this.#o.core;

    if (subresource === "log") {
      if (method !== "GET") return done(this.#methodNotAllowed());
      return done(this.#logs(target, q));
    }
    if (subresource === "binding") {
      if (method !== "POST") return done(this.#methodNotAllowed());
      const body = await this.#jsonBody(request);
      if (isError(body)) return done(errorResponse(body));
      return done(fromOutcome(core.bind(target, body)));
    }
    switch (method) {
      case "GET": {
        const table = wantsTable(request.headers.get("accept"));
        const include = q.get("includeObject");
        if (name !== undefined) {
          const got = core.get(target);
          if (!got.ok || !table) return done(fromOutcome(got));
          const meta = asObject(got.object.metadata);
          return done(json(toTable(type, [got.object], {
            resourceVersion: String(meta?.resourceVersion ?? ""),
          }, include)));
        }
        const label = parseLabelSelector(q.get("labelSelector"));
        if (!label.ok) return done(errorResponse(badRequest(label.error)));
        const field = parseFieldSelector(q.get("fieldSelector"), storeResource(type));
        if (!field.ok) return done(errorResponse(badRequest(field.error)));
        if (watch) return done(this.#watch(target, q, label.match, field.match, table));
        const limit = q.get("limit") === null ? undefined : Number(q.get("limit"));
        const listed = core.list(target, {
          label: label.match,
          field: field.match,
          limit,
          continueToken: q.get("continue") ?? undefined,
        });
        if (!listed.ok || !table) return done(fromOutcome(listed));
        const items = listed.object.items as JsonObject[];
        const meta = asObject(listed.object.metadata) ?? {};
        return done(json(toTable(type, items, meta, include)));
      }
      case "POST": {
        if (name !== undefined) return done(this.#methodNotAllowed());
        const body = await this.#jsonBody(request);
        if (isError(body)) return done(errorResponse(body));
        if (q.get("dryRun") === "All") {
          return done(json({ ...body, apiVersion: apiVersionOf(type), kind: type.kind }, 201));
        }
        return done(fromOutcome(core.create(type, namespace, body)));
      }
      case "PUT": {
        if (name === undefined) return done(this.#methodNotAllowed());
        const body = await this.#jsonBody(request);
        if (isError(body)) return done(errorResponse(body));
        return done(fromOutcome(core.update(target, body)));
      }
      case "PATCH": {
        if (name === undefined) return done(this.#methodNotAllowed());
        const text = await readBody(request);
        if (isError(text)) return done(errorResponse(text));
        const contentType = (request.headers.get("content-type") ?? "").split(";")[0].trim();
        if (!Object.values(PATCH_TYPES).includes(contentType as typeof PATCH_TYPES.merge)) {
          return done(errorResponse(apiError(
            "UnsupportedMediaType",
            `the body of the request was in an unknown format - accepted media types include: ${
              Object.values(PATCH_TYPES).join(", ")
            }`,
          )));
        }
        return done(fromOutcome(core.patch(target, contentType, text)));
      }
      case "DELETE": {
        const text = await readBody(request);
        if (isError(text)) return done(errorResponse(text));
        const options = this.#deleteOptions(text, q);
        if (isError(options)) return done(errorResponse(options));
        if (name !== undefined) return done(fromOutcome(core.delete(target, options)));
        const label = parseLabelSelector(q.get("labelSelector"));
        if (!label.ok) return done(errorResponse(badRequest(label.error)));
        const field = parseFieldSelector(q.get("fieldSelector"), storeResource(type));
        if (!field.ok) return done(errorResponse(badRequest(field.error)));
        return done(
          fromOutcome(
            core.deleteCollection(target, { label: label.match, field: field.match }, options),
          ),
        );
      }
      default:
        return done(this.#methodNotAllowed());
    }
  }

  async #jsonBody(request: Request): Promise<JsonObject | ApiError> {
    const text = await readBody(request);
    if (isError(text)) return text;
    const contentType = request.headers.get("content-type") ?? "application/json";
    if (contentType.includes("protobuf")) {
      return apiError(
        "UnsupportedMediaType",
        `the body of the request was in an unknown format - accepted media types include: application/json`,
      );
    }
    return parseJsonObject(text);
  }

  #deleteOptions(text: string, q: URLSearchParams): DeleteOptions | ApiError {
    const options: DeleteOptions = {};
    if (text.trim() !== "") {
      const body = parseJsonObject(text);
      if (isError(body)) return body;
      if (typeof body.gracePeriodSeconds === "number") {
        options.gracePeriodSeconds = body.gracePeriodSeconds;
      }
      if (typeof body.propagationPolicy === "string") {
        options.propagationPolicy = body.propagationPolicy as DeleteOptions["propagationPolicy"];
      }
      if (body.orphanDependents === true) options.propagationPolicy = "Orphan";
      const pre = asObject(body.preconditions);
      if (pre !== undefined) {
        options.preconditions = {
          uid: typeof pre.uid === "string" ? pre.uid : undefined,
          resourceVersion: typeof pre.resourceVersion === "string"
            ? pre.resourceVersion
            : undefined,
        };
      }
    }
    const grace = q.get("gracePeriodSeconds");
    if (grace !== null) options.gracePeriodSeconds = Number(grace);
    const policy = q.get("propagationPolicy");
    if (policy !== null) options.propagationPolicy = policy as DeleteOptions["propagationPolicy"];
    if (
      options.propagationPolicy !== undefined &&
      !["Orphan", "Background", "Foreground"].includes(options.propagationPolicy)
    ) {
      return badRequest(
        `unsupported propagationPolicy ${JSON.stringify(options.propagationPolicy)}`,
      );
    }
    if (options.gracePeriodSeconds !== undefined && !(options.gracePeriodSeconds >= 0)) {
      options.gracePeriodSeconds = 0;
    }
    return options;
  }

  #notFoundPath(): Response {
    return errorResponse(apiError("NotFound", "the server could not find the requested resource"));
  }

  #methodNotAllowed(): Response {
    return errorResponse(
      apiError(
        "MethodNotAllowed",
        "the server does not allow this method on the requested resource",
      ),
    );
  }

  #watch(
    target: Target,
    q: URLSearchParams,
    label: (o: JsonObject) => boolean,
    field: (o: JsonObject) => boolean,
    table: boolean,
  ): Response {
    const { type, namespace } = target;
    const { store, hub } = this.#o;
    const rvText = q.get("resourceVersion") ?? "";
    const present = (object: JsonObject): JsonObject => ({
      ...object,
      apiVersion: apiVersionOf(type),
      kind: type.kind,
    });
    const filtered = q.get("labelSelector") || q.get("fieldSelector");
    const asTable = (object: JsonObject): JsonObject =>
      toTable(type, [object], {
        resourceVersion: String(asObject(object.metadata)?.resourceVersion ?? ""),
      }, q.get("includeObject"));
    const matches = (ns: string, object: JsonObject) =>
      (!type.namespaced || namespace === "" || ns === namespace) && label(object) && field(object);
    let from: number;
    const stream = new WatchStream({
      maxQueuedBytes: this.#o.watchQueueBytes,
      onClose: () => {
        this.#watches.delete(stream);
        timers.subscription?.cancel();
        clearInterval(timers.bookmarks);
        clearTimeout(timers.timeout);
      },
    });
    const timers: {
      subscription?: { cancel(): void };
      bookmarks?: ReturnType<typeof setInterval>;
      timeout?: ReturnType<typeof setTimeout>;
    } = {};
    const headers = { "content-type": "application/json", "transfer-encoding": "chunked" };
    if (rvText === "" || rvText === "0") {
      from = store.revision();
      for (const object of store.list(storeResource(type), { namespace: namespace || undefined })) {
        const meta = asObject(object.metadata);
        if (!matches(String(meta?.namespace ?? ""), object)) continue;
        stream.send("ADDED", table ? asTable(present(object)) : present(object));
      }
    } else {
      from = Number(rvText);
      if (!Number.isInteger(from) || from < 0) {
        return errorResponse(badRequest(`invalid resource version: ${rvText}`));
      }
    }
    const subscribed = hub.subscribe(storeResource(type), from, (event) => {
      let kind: string = event.type;
      const now = matches(event.namespace, event.object);
      if (event.type === "MODIFIED" && filtered && event.previous !== undefined) {
        // kube's cacher: an object entering the selection is ADDED, one leaving it DELETED.
        const before = matches(event.namespace, event.previous());
        if (!now && !before) return true;
        if (!before) kind = "ADDED";
        else if (!now) kind = "DELETED";
      } else if (!now) return true;
      if (table) return stream.send(kind, asTable(present(event.object)));
      return stream.sendEncoded(encodeShared(event, apiVersionOf(type), type.kind, kind));
    });
    if (!subscribed.ok) {
      const status = apiError(
        "Expired",
        subscribed.reason === "gone"
          ? `too old resource version: ${from} (${hub.oldestRevision()})`
          : "the watcher fell too far behind",
      ).status;
      stream.send("ERROR", status);
      stream.close();
      return new Response(stream.stream, { headers });
    }
    timers.subscription = subscribed.subscription;
    if (stream.closed) {
      subscribed.subscription.cancel();
      return new Response(stream.stream, { headers });
    }
    this.#watches.add(stream);
    if (q.get("allowWatchBookmarks") === "true") {
      timers.bookmarks = setInterval(() => {
        stream.send("BOOKMARK", {
          kind: type.kind,
          apiVersion: apiVersionOf(type),
          metadata: { resourceVersion: String(store.revision()) },
        });
      }, this.#o.bookmarkIntervalMs);
    }
    const seconds = Number(q.get("timeoutSeconds") ?? "1800");
    timers.timeout = setTimeout(() => stream.close(), Math.max(0, seconds) * 1000);
    return new Response(stream.stream, { headers });
  }

  #logs(target: Target, q: URLSearchParams): Response {
    const got = this.#o.core.get(target);
    if (!got.ok) return errorResponse(got.error);
    const pod = got.object;
    const spec = asObject(pod.spec);
    const names = [
      ...(Array.isArray(spec?.containers) ? spec.containers : []),
      ...(Array.isArray(spec?.initContainers) ? spec.initContainers : []),
    ].map((c) => String(asObject(c)?.name ?? ""));
    const mainNames = (Array.isArray(spec?.containers) ? spec.containers : []).map((c) =>
      String(asObject(c)?.name ?? "")
    );
    let container = q.get("container") ?? "";
    const podName = target.name ?? "";
    if (container === "") {
      if (mainNames.length !== 1) {
        return errorResponse(badRequest(
          `a container name must be specified for pod ${podName}, choose one of: [${
            mainNames.join(" ")
          }]`,
        ));
      }
      container = mainNames[0];
    }
    if (!names.includes(container)) {
      return errorResponse(
        badRequest(`container ${container} is not valid for pod ${podName}`),
      );
    }
    const num = (key: string) => {
      const v = q.get(key);
      return v === null || v === "" ? undefined : Number(v);
    };
    const stream = this.#o.logs?.open(target.namespace, podName, container, {
      follow: q.get("follow") === "true",
      tailLines: num("tailLines"),
      sinceSeconds: num("sinceSeconds"),
      timestamps: q.get("timestamps") === "true",
    });
    if (stream === undefined) {
      return errorResponse(badRequest(
        `container "${container}" in pod "${podName}" is waiting to start: ContainerCreating`,
      ));
    }
    const abort = new AbortController();
    this.#logStreams.add(abort);
    const { readable, writable } = new TransformStream<Uint8Array, Uint8Array>();
    stream.pipeTo(writable, { signal: abort.signal }).catch(() => {}).finally(() => {
      this.#logStreams.delete(abort);
    });
    return new Response(readable, { headers: { "content-type": "text/plain" } });
  }
}
