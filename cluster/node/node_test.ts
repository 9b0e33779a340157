/** The node loop against a minimal in-test API server: the binding fallback and foreign pods. */
import assert from "node:assert/strict";
import { LocalNode } from "./node.ts";

Deno.test("node: without pods/binding it patches spec.nodeName; other nodes' pods are left alone", async () => {
  const requests: string[] = [];
  const patches: unknown[] = [];
  const watchers = new Set<ReadableStreamDefaultController<Uint8Array>>();
  const pods = [
    {
      metadata: { name: "mine", namespace: "default", uid: "u1", resourceVersion: "1" },
      spec: { containers: [] },
    },
    {
      metadata: { name: "theirs", namespace: "default", uid: "u2", resourceVersion: "2" },
      spec: { nodeName: "elsewhere", containers: [{ name: "main", command: ["true"] }] },
    },
  ];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (request) => {
    const url = new URL(request.url);
    requests.push(
      `${request.method} ${url.pathname}${url.searchParams.has("watch") ? "?watch" : ""}`,
    );
    if (url.pathname === "/api/v1/pods" && url.searchParams.has("watch")) {
      const body = new ReadableStream<Uint8Array>({
        start(controller) {
          watchers.add(controller);
        },
        cancel() {},
      });
      return new Response(body, { headers: { "content-type": "application/json" } });
    }
    if (url.pathname === "/api/v1/pods") {
      return Response.json({ kind: "PodList", metadata: { resourceVersion: "2" }, items: pods });
    }
    if (url.pathname.endsWith("/binding")) return Response.json({ code: 404 }, { status: 404 });
    if (request.method === "PATCH" && url.pathname === "/api/v1/namespaces/default/pods/mine") {
      patches.push(await request.json());
      return Response.json(pods[0]);
    }
    if (request.method === "GET" && url.pathname === "/api/v1/namespaces/default/pods/mine") {
      return Response.json(pods[0]);
    }
    return Response.json({ code: 404 }, { status: 404 });
  });
  const stateDir = await Deno.makeTempDir();
  const node = new LocalNode({ stateDir, sandbox: "none", warn: () => {} });
  try {
    await node.start({ url: `http://127.0.0.1:${server.addr.port}`, token: "t" });
    const start = Date.now();
    while (patches.length === 0 && Date.now() - start < 5000) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    assert.deepEqual(patches, [{ spec: { nodeName: "argo-ts-local" } }]);
    assert.ok(requests.includes("POST /api/v1/namespaces/default/pods/mine/binding"));
    assert.ok(!requests.some((r) => r.includes("theirs")));
    assert.deepEqual(node.runtime.pods(), []);
  } finally {
    await node.close();
    for (const controller of watchers) {
      try {
        controller.close();
      } catch {
        // already closed
      }
    }
    await server.shutdown();
    await Deno.remove(stateDir, { recursive: true });
  }
});
