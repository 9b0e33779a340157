/**
 * The embedded cluster's API server: a single-machine subset of kube-apiserver that the
 * controller, the executor, the CLI and a stock kubectl talk to over HTTPS with bearer tokens.
 *
 * ```ts
 * const server = await startApiServer({ stateDir: "/var/lib/argo-ts", crdDir: "manifests/crds/minimal" });
 * // server.url, server.kubeconfigPath (<stateDir>/kubeconfig, context "argo-ts"), server.adminToken
 * await server.close();
 * ```
 *
 * `startApiServer(options)`:
 * - `stateDir?: string`: SQLite state (`<stateDir>/state.db`, WAL), certificates and the
 *   kubeconfig live here; undefined keeps everything in memory (certificates in a temp dir that is
 *   removed at once).
 * - `port?: number`: 0 is any free port; undefined reuses the port of the last start in this
 *   state dir when free, else any.
 * - `host?: string`: default `127.0.0.1`.
 * - `tls?: boolean`: default true (own CA, serving certificate made with `openssl`). `false`
 *   serves plain HTTP, and the kubeconfig then says `insecure-skip-tls-verify: true`.
 * - `logs?: PodLogSource`: where `pods/{name}/log` streams come from (the local node).
 * - `crdDir?: string`: CRD YAML files created (or updated) at start, e.g. `manifests/crds/minimal`.
 * - `watchQueueBytes?`, `bookmarkIntervalMs?`, `eventWindow?`: limits for tests and tuning.
 *
 * It returns `{ url, kubeconfigPath?, kubeconfig, adminToken, caCert?, store, audit(),
 * tokenFor(namespace, serviceAccount), watchCount(), close() }`. `kubeconfig` is YAML text with
 * the CA embedded and the admin token; `tokenFor` gives (and keeps) a bearer token whose requests
 * are attributed to `system:serviceaccount:{ns}:{sa}`; `audit()` lists every request (verb,
 * resource, namespace, name, user, code). Requests without a known token get 401, except
 * `/healthz`, `/livez`, `/readyz` and `/version`. Authorization is not enforced: RBAC objects are
 * stored and served only.
 */
import { join } from "node:path";
import { parseAllDocuments, stringify as stringifyYaml } from "yaml";
import { type JsonObject, openSqliteStore, type Store, WatchHub } from "../store/mod.ts";
import { ApiCore } from "./core.ts";
import { Registry } from "./resources.ts";
import { ApiHandler, type AuditEntry, type PodLogSource } from "./server.ts";
import { ensureCertificates } from "./tls.ts";
import { startTlsProxy, type TlsProxy } from "./tls_proxy.ts";

export type { AuditEntry, PodLogOptions, PodLogSource } from "./server.ts";
export { MAX_BODY_BYTES } from "./server.ts";

export interface ApiServerOptions {
  stateDir?: string;
  port?: number;
  host?: string;
  tls?: boolean;
  logs?: PodLogSource;
  crdDir?: string;
  /** Bytes a watch may have waiting for a slow client before it is dropped (default 16 MiB). */
  watchQueueBytes?: number;
  /** How often watches with `allowWatchBookmarks=true` get a BOOKMARK (default 30 s). */
  bookmarkIntervalMs?: number;
  /** Recent events kept for watch resume (default 10,000). */
  eventWindow?: number;
}

export interface ApiServer {
  url: string;
  kubeconfigPath?: string;
  kubeconfig: string;
  adminToken: string;
  caCert?: string;
  store: Store;
  audit(): AuditEntry[];
  tokenFor(namespace: string, serviceAccount: string): Promise<string>;
  /** Open watch responses (a dropped slow watcher is no longer counted). */
  watchCount(): number;
  close(): Promise<void>;
}

function randomToken(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

function base64(text: string): string {
  return btoa(String.fromCharCode(...new TextEncoder().encode(text)));
}

/** The kubeconfig for `url`, context `argo-ts`, CA embedded (or TLS verification off). */
export function kubeconfigFor(url: string, token: string, caCert?: string): string {
  const cluster: JsonObject = { server: url };
  if (caCert !== undefined) cluster["certificate-authority-data"] = base64(caCert);
  else cluster["insecure-skip-tls-verify"] = true;
  return stringifyYaml({
    apiVersion: "v1",
    kind: "Config",
    clusters: [{ name: "argo-ts", cluster }],
    users: [{ name: "argo-ts-admin", user: { token } }],
    contexts: [{
      name: "argo-ts",
      context: { cluster: "argo-ts", user: "argo-ts-admin", namespace: "default" },
    }],
    "current-context": "argo-ts",
    preferences: {},
  }, { version: "1.1" });
}

function portFree(host: string, port: number): boolean {
  try {
    Deno.listen({ hostname: host, port }).close();
    return true;
  } catch {
    return false;
  }
}

/** Creates or updates the CRDs found in the YAML files of `dir`. */
function loadCrds(
  core: ApiCore,
  registry: Registry,
  files: { name: string; text: string }[],
): void {
  const type = registry.find("apiextensions.k8s.io", "v1", "customresourcedefinitions")!;
  for (const file of files) {
    for (const doc of parseAllDocuments(file.text, { version: "1.1" })) {
      if (doc.errors.length > 0) {
        throw new Error(`${file.name}: ${doc.errors[0].message}`);
      }
      const object = doc.toJS({ maxAliasCount: 100 }) as JsonObject | null;
      if (object === null || object.kind !== "CustomResourceDefinition") continue;
      const created = core.create(type, "", object);
      if (created.ok) continue;
      if (created.error.code !== 409) {
        throw new Error(`${file.name}: ${String(created.error.status.message)}`);
      }
      const name = String((object.metadata as JsonObject).name);
      const updated = core.update({ type, namespace: "", name }, object);
      if (!updated.ok) throw new Error(`${file.name}: ${String(updated.error.status.message)}`);
    }
  }
}

export async function startApiServer(options: ApiServerOptions = {}): Promise<ApiServer> {
  const host = options.host ?? "127.0.0.1";
  const tls = options.tls ?? true;
  const stateDir = options.stateDir;
  if (stateDir !== undefined) await Deno.mkdir(stateDir, { recursive: true, mode: 0o700 });
  const store = openSqliteStore(stateDir === undefined ? ":memory:" : join(stateDir, "state.db"));
  const registry = new Registry();
  const hub = new WatchHub(store, { windowSize: options.eventWindow });
  const core = new ApiCore(store, registry);
  const cleanup = () => {
    core.close();
    hub.close();
    store.close();
  };
  try {
    if (options.crdDir !== undefined) {
      const files: { name: string; text: string }[] = [];
      for await (const entry of Deno.readDir(options.crdDir)) {
        if (entry.isFile && /\.ya?ml$/.test(entry.name)) {
          const name = join(options.crdDir, entry.name);
          files.push({ name, text: await Deno.readTextFile(name) });
        }
      }
      files.sort((a, b) => a.name.localeCompare(b.name));
      loadCrds(core, registry, files);
    }
    let adminToken = store.getSetting("admin-token");
    if (adminToken === undefined) {
      adminToken = randomToken();
      store.setSetting("admin-token", adminToken);
    }
    const admin = adminToken;
    const tokenCache = new Map<string, string>();
    const authenticate = (token: string): string | undefined => {
      if (token === admin) return "kubernetes-admin";
      const cached = tokenCache.get(token);
      if (cached !== undefined) return cached;
      const user = store.getSetting(`token:${token}`);
      if (user !== undefined) tokenCache.set(token, user);
      return user;
    };

    let caCert: string | undefined;
    let certs: { cert: string; key: string } | undefined;
    if (tls) {
      if (stateDir !== undefined) {
        const files = await ensureCertificates(join(stateDir, "pki"), [host]);
        caCert = files.caCert;
        certs = files;
      } else {
        const dir = await Deno.makeTempDir({ prefix: "argo-ts-pki-" });
        try {
          const files = await ensureCertificates(dir, [host]);
          caCert = files.caCert;
          certs = files;
        } finally {
          await Deno.remove(dir, { recursive: true });
        }
      }
    }

    let port = options.port;
    if (port === undefined) {
      const saved = Number(store.getSetting("port") ?? "0");
      port = saved > 0 && portFree(host, saved) ? saved : 0;
    }
    let address = "";
    const handler = new ApiHandler({
      store,
      hub,
      registry,
      core,
      logs: options.logs,
      authenticate,
      serverAddress: () => address,
      watchQueueBytes: options.watchQueueBytes ?? 16 * 1024 * 1024,
      bookmarkIntervalMs: options.bookmarkIntervalMs ?? 30_000,
    });
    const handle = (request: Request) => handler.handle(request);
    let server: Deno.HttpServer;
    let proxy: TlsProxy | undefined;
    let socketDir: string | undefined;
    let actualPort: number;
    if (certs === undefined) {
      server = Deno.serve({ hostname: host, port, onListen() {} }, handle);
      actualPort = (server.addr as Deno.NetAddr).port;
    } else {
      socketDir = await Deno.makeTempDir({ prefix: "argo-ts-api-" });
      const socketPath = join(socketDir, "api.sock");
      server = Deno.serve({ transport: "unix", path: socketPath, onListen() {} }, handle);
      proxy = startTlsProxy({ hostname: host, port, cert: certs.cert, key: certs.key, socketPath });
      actualPort = proxy.port;
    }
    store.setSetting("port", String(actualPort));
    address = `${host}:${actualPort}`;
    const hostPart = host.includes(":") ? `[${host}]` : host;
    const url = `${tls ? "https" : "http"}://${hostPart}:${actualPort}`;
    const kubeconfig = kubeconfigFor(url, admin, caCert);
    let kubeconfigPath: string | undefined;
    if (stateDir !== undefined) {
      kubeconfigPath = join(stateDir, "kubeconfig");
      await Deno.writeTextFile(kubeconfigPath, kubeconfig, { mode: 0o600 });
    }
    let closed = false;
    return {
      url,
      kubeconfigPath,
      kubeconfig,
      adminToken: admin,
      caCert,
      store,
      audit: () => handler.audit(),
      tokenFor(namespace: string, serviceAccount: string): Promise<string> {
        const key = `sa-token:${namespace}/${serviceAccount}`;
        let token = store.getSetting(key);
        if (token === undefined) {
          token = randomToken();
          store.setSetting(key, token);
          store.setSetting(
            `token:${token}`,
            `system:serviceaccount:${namespace}:${serviceAccount}`,
          );
        }
        return Promise.resolve(token);
      },
      watchCount: () => handler.watchCount(),
      async close(): Promise<void> {
        if (closed) return;
        closed = true;
        handler.closeWatches();
        handler.closeLogs();
        // Let the closed watch and log responses flush their last chunk, then stop. (A graceful
        // `server.shutdown()` with idle keep-alive TLS connections crashed Deno 2.9.6.)
        proxy?.stopAccepting();
        await server.shutdown();
        await proxy?.closeConnections();
        if (socketDir !== undefined) await Deno.remove(socketDir, { recursive: true });
        cleanup();
      },
    };
  } catch (e) {
    cleanup();
    throw e;
  }
}
