/**
 * The node's small Kubernetes API client over `fetch`: JSON requests with a bearer token, the
 * cluster's CA, and a newline-delimited watch reader. Kept to plain fetch so the node's import
 * graph stays small (no `@kubernetes/client-node` at run time).
 */

export interface ApiConnection {
  /** `https://127.0.0.1:6443` */
  url: string;
  token: string;
  /** PEM CA for an https server with its own CA. */
  caCert?: string;
}

export interface ApiResponse {
  status: number;
  body: Record<string, unknown> | undefined;
}

export interface WatchEvent {
  type: "ADDED" | "MODIFIED" | "DELETED" | "BOOKMARK" | "ERROR";
  object: Record<string, unknown>;
}

export class ApiClient {
  readonly url: string;
  #token: string;
  #client?: Deno.HttpClient;

  constructor(connection: ApiConnection) {
    this.url = connection.url.replace(/\/$/, "");
    this.#token = connection.token;
    if (connection.caCert) this.#client = Deno.createHttpClient({ caCerts: [connection.caCert] });
  }

  #init(method: string, body?: unknown, contentType?: string, signal?: AbortSignal): RequestInit {
    const headers: Record<string, string> = {
      authorization: `Bearer ${this.#token}`,
      accept: "application/json",
    };
    if (body !== undefined) headers["content-type"] = contentType ?? "application/json";
    return {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body, kubeTime),
      signal,
      ...(this.#client ? { client: this.#client } : {}),
    } as RequestInit;
  }

  /** One JSON request; network failures come back as status 0. */
  async request(
    method: string,
    path: string,
    body?: unknown,
    contentType?: string,
  ): Promise<ApiResponse> {
    let response: Response;
    try {
      response = await fetch(`${this.url}${path}`, this.#init(method, body, contentType));
    } catch (error) {
      return {
        status: 0,
        body: { message: error instanceof Error ? error.message : String(error) },
      };
    }
    const text = await response.text();
    let parsed: Record<string, unknown> | undefined;
    try {
      parsed = text ? JSON.parse(text) as Record<string, unknown> : undefined;
    } catch {
      parsed = { message: text };
    }
    return { status: response.status, body: parsed };
  }

  /**
   * Streams watch events until the server ends the response, the signal aborts, or `onEvent`
   * returns false. Resolves with the HTTP status (0 on a network failure).
   */
  async watch(
    path: string,
    signal: AbortSignal,
    onEvent: (event: WatchEvent) => Promise<void> | void,
  ): Promise<number> {
    let response: Response;
    try {
      response = await fetch(`${this.url}${path}`, this.#init("GET", undefined, undefined, signal));
    } catch {
      return 0;
    }
    if (!response.ok || !response.body) {
      await response.body?.cancel().catch(() => {});
      return response.status;
    }
    const decoder = new TextDecoder();
    let buffer = "";
    try {
      for await (const chunk of response.body) {
        buffer += decoder.decode(chunk, { stream: true });
        let newline: number;
        while ((newline = buffer.indexOf("\n")) !== -1) {
          const line = buffer.slice(0, newline).trim();
          buffer = buffer.slice(newline + 1);
          if (!line) continue;
          let event: WatchEvent;
          try {
            event = JSON.parse(line) as WatchEvent;
          } catch {
            continue;
          }
          await onEvent(event);
        }
      }
    } catch {
      // aborted or the connection dropped: the caller relists or rewatches
    }
    return response.status;
  }

  close(): void {
    this.#client?.close();
    this.#client = undefined;
  }
}

/**
 * Kubernetes writes times as RFC 3339 to the second (metav1.Time); Date objects would otherwise
 * print milliseconds, which then show up in every copy of a container's start and finish times.
 */
function kubeTime(this: Record<string, unknown>, key: string, value: unknown): unknown {
  const raw = this[key];
  return raw instanceof Date ? raw.toISOString().replace(/\.\d{3}Z$/, "Z") : value;
}
