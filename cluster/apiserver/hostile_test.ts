import assert from "node:assert/strict";
import { podManifest, testServer } from "./testing.ts";

async function status(response: Response): Promise<{ code: number; reason: string; kind: string }> {
  const body = await response.json();
  assert.equal(response.status, body.code);
  return body;
}

Deno.test("hostile input: bad bodies, names, sizes and paths get kube Status errors", async () => {
  const t = await testServer();
  try {
    const pods = "/api/v1/namespaces/default/pods";
    const post = (path: string, body: string) => t.request(path, { method: "POST", body });
    let s = await status(await post(pods, "{not json"));
    assert.deepEqual([s.code, s.reason, s.kind], [400, "BadRequest", "Status"]);
    s = await status(await post(pods, "[1,2]"));
    assert.equal(s.reason, "BadRequest");
    s = await status(await post(pods, JSON.stringify({ ...podManifest("x"), kind: "ConfigMap" })));
    assert.equal(s.reason, "BadRequest");
    s = await status(await post(pods, JSON.stringify({ ...podManifest("x"), apiVersion: "v2" })));
    assert.equal(s.reason, "BadRequest");
    const ns = { ...podManifest("x"), metadata: { name: "x", namespace: "kube-system" } };
    s = await status(await post(pods, JSON.stringify(ns)));
    assert.equal(s.reason, "BadRequest");
    for (const name of ["Upper", "under_score", "-lead", "trail-", "a".repeat(254), "dot..dot"]) {
      s = await status(await post(pods, JSON.stringify(podManifest(name))));
      assert.deepEqual([s.code, s.reason], [422, "Invalid"], name);
    }
    s = await status(await post(pods, JSON.stringify({ metadata: {}, spec: { containers: [] } })));
    assert.equal(s.reason, "Invalid");
    s = await status(
      await post("/api/v1/namespaces", JSON.stringify({ metadata: { name: "has.dot" } })),
    );
    assert.equal(s.reason, "Invalid", "namespace names are DNS-1123 labels");
    s = await status(
      await post(
        pods,
        JSON.stringify({ ...podManifest("x"), metadata: { name: "x", labels: { a: 1 } } }),
      ),
    );
    assert.equal(s.reason, "Invalid");
    const big = JSON.stringify({
      metadata: { name: "big" },
      data: { x: "a".repeat(4 * 1024 * 1024) },
    });
    s = await status(await post("/api/v1/namespaces/default/configmaps", big));
    assert.deepEqual([s.code, s.reason], [413, "RequestEntityTooLarge"]);
    const chunked = new Blob([big]).stream();
    s = await status(
      await t.request("/api/v1/namespaces/default/configmaps", { method: "POST", body: chunked }),
    );
    assert.equal(s.code, 413, "a chunked body without content-length is cut off too");
    for (
      const path of [
        "/nope",
        "/api/v2",
        "/apis/nope.io/v1/things",
        `${pods}/x/exec`,
        "/api/v1/widgets",
      ]
    ) {
      s = await status(await t.request(path));
      assert.deepEqual([s.code, s.reason], [404, "NotFound"], path);
    }
    s = await status(await t.request(pods, { method: "PUT", body: "{}" }));
    assert.deepEqual([s.code, s.reason], [405, "MethodNotAllowed"]);
    s = await status(
      await t.request(`${pods}/x`, {
        method: "PATCH",
        headers: { "content-type": "text/plain" },
        body: "{}",
      }),
    );
    assert.equal(s.code, 415);
    s = await status(await t.request("/api/v1/namespaces/default/pods/%zz"));
    assert.equal(s.code, 404);
    s = await status(await t.request(`${pods}?labelSelector=${encodeURIComponent("a in (b")}`));
    assert.equal(s.code, 400);
    s = await status(await t.request(pods, { token: "" }));
    assert.deepEqual([s.code, s.reason], [401, "Unauthorized"]);
    s = await status(await t.request(pods, { token: "wrong" }));
    assert.equal(s.code, 401);
    assert.equal(t.server.audit().at(-1)?.user, "system:anonymous");
  } finally {
    await t.close();
  }
});

for (const tls of [false, true]) {
  Deno.test(`hostile input: a watcher that never reads is dropped (tls: ${tls})`, async () => {
    const t = await testServer({ tls, watchQueueBytes: 256 * 1024 });
    try {
      const url = new URL(t.server.url);
      const address = { hostname: url.hostname, port: Number(url.port) };
      const conn = tls
        ? await Deno.connectTls({ ...address, caCerts: [t.server.caCert!] })
        : await Deno.connect(address);
      const request = `GET /api/v1/namespaces/default/configmaps?watch=true HTTP/1.1\r\n` +
        `Host: ${url.host}\r\nAuthorization: Bearer ${t.server.adminToken}\r\n\r\n`;
      await conn.write(new TextEncoder().encode(request));
      for (let i = 0; i < 100 && t.server.watchCount() === 0; i++) {
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      assert.equal(t.server.watchCount(), 1);
      const payload = "x".repeat(512 * 1024);
      let i = 0;
      for (; i < 200 && t.server.watchCount() > 0; i++) {
        const r = await t.request("/api/v1/namespaces/default/configmaps", {
          method: "POST",
          body: JSON.stringify({ metadata: { name: `c${i}` }, data: { payload } }),
        });
        assert.equal(r.status, 201);
        await r.body?.cancel();
      }
      assert.equal(t.server.watchCount(), 0, `dropped after ${i} events of 512 KiB`);
      conn.close();
    } finally {
      await t.close();
    }
  });
}
