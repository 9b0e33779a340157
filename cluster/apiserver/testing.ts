/** Test helpers: an in-memory server and a `fetch` that trusts its CA and sends its token. */
import { type ApiServer, type ApiServerOptions, startApiServer } from "./mod.ts";

export interface TestServer {
  server: ApiServer;
  /** fetch relative to the server URL, with the admin token unless `token` is given ("" = none). */
  request(path: string, init?: RequestInit & { token?: string }): Promise<Response>;
  close(): Promise<void>;
}

export async function testServer(options: ApiServerOptions = {}): Promise<TestServer> {
  const server = await startApiServer({ port: 0, ...options });
  const client = server.caCert === undefined
    ? undefined
    : Deno.createHttpClient({ caCerts: [server.caCert] });
  return {
    server,
    request(path, init = {}) {
      const { token = server.adminToken, ...rest } = init;
      const headers = new Headers(rest.headers);
      if (token !== "") headers.set("authorization", `Bearer ${token}`);
      if (rest.body !== undefined && !headers.has("content-type")) {
        headers.set("content-type", "application/json");
      }
      return fetch(`${server.url}${path}`, { ...rest, headers, ...(client ? { client } : {}) });
    },
    async close() {
      await server.close();
      client?.close();
    },
  };
}

/** A minimal pod manifest. */
export function podManifest(name: string, extra: Record<string, unknown> = {}) {
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name, ...extra },
    spec: { containers: [{ name: "main", image: "alpine", command: ["true"] }] },
  };
}

/** Reads newline-delimited JSON watch events until `count` arrive or `ms` pass. */
export async function readEvents(
  body: ReadableStream<Uint8Array>,
  count: number,
  ms = 3000,
): Promise<{ type: string; object: Record<string, unknown> }[]> {
  const reader = body.pipeThrough(new TextDecoderStream()).getReader();
  const events: { type: string; object: Record<string, unknown> }[] = [];
  let buffer = "";
  const deadline = Date.now() + ms;
  try {
    while (events.length < count && Date.now() < deadline) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const next = await Promise.race([
        reader.read(),
        new Promise<undefined>((resolve) => {
          timer = setTimeout(() => resolve(undefined), deadline - Date.now());
        }),
      ]);
      clearTimeout(timer);
      if (next === undefined || next.done) break;
      buffer += next.value;
      let nl: number;
      while ((nl = buffer.indexOf("\n")) >= 0) {
        const line = buffer.slice(0, nl).trim();
        buffer = buffer.slice(nl + 1);
        if (line !== "") events.push(JSON.parse(line));
      }
    }
  } finally {
    await reader.cancel().catch(() => {});
  }
  return events;
}
