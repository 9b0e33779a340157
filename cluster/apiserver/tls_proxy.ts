/**
 * TLS termination that offers only HTTP/1.1. `Deno.serve` with a certificate always offers
 * HTTP/2 by ALPN, and undici 8 (inside @kubernetes/client-node 2.x) then speaks HTTP/2 through
 * Deno's node:http2, whose nghttp2 aborts the whole process when the server sends GOAWAY (seen
 * with Deno 2.9.6 at server shutdown). So the API server listens with `Deno.listenTls`
 * (ALPN `http/1.1`) and pipes each connection to the HTTP server on a private unix socket.
 */

export interface TlsProxy {
  port: number;
  /** Stops accepting; connections already open keep flowing until `closeConnections`. */
  stopAccepting(): void;
  /** Waits up to `graceMs` for connections whose server side ended to flush, then closes all. */
  closeConnections(graceMs?: number): Promise<void>;
}

export function startTlsProxy(options: {
  hostname: string;
  port: number;
  cert: string;
  key: string;
  socketPath: string;
}): TlsProxy {
  const listener = Deno.listenTls({
    hostname: options.hostname,
    port: options.port,
    cert: options.cert,
    key: options.key,
    alpnProtocols: ["http/1.1"],
  });
  const open = new Set<Deno.Conn>();
  const serving = new Set<Promise<void>>();
  const closeQuietly = (conn: Deno.Conn) => {
    open.delete(conn);
    try {
      conn.close();
    } catch {
      // already closed
    }
  };
  const serve = async (client: Deno.TlsConn) => {
    open.add(client);
    let upstream: Deno.UnixConn | undefined;
    try {
      upstream = await Deno.connect({ transport: "unix", path: options.socketPath });
      open.add(upstream);
      const up = upstream;
      const toServer = client.readable.pipeTo(up.writable, { preventClose: true })
        .then(() => up.closeWrite()).catch(() => {});
      const toClient = up.readable.pipeTo(client.writable, { preventClose: true })
        .then(() => client.closeWrite()).catch(() => {});
      await Promise.race([toServer, toClient]);
    } catch {
      // a peer went away; both sides are closed below
    } finally {
      closeQuietly(client);
      if (upstream !== undefined) closeQuietly(upstream);
    }
  };
  (async () => {
    try {
      for await (const conn of listener) {
        const done = serve(conn);
        serving.add(done);
        done.finally(() => serving.delete(done));
      }
    } catch {
      // the listener was closed
    }
  })();
  return {
    port: (listener.addr as Deno.NetAddr).port,
    stopAccepting() {
      try {
        listener.close();
      } catch {
        // already closed
      }
    },
    async closeConnections(graceMs = 500) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([
        Promise.allSettled([...serving]),
        new Promise((resolve) => timer = setTimeout(resolve, graceMs)),
      ]);
      clearTimeout(timer);
      for (const conn of [...open]) closeQuietly(conn);
    },
  };
}
