import assert from "node:assert/strict";
import * as k8s from "@kubernetes/client-node";
import { retryDecision, TokenBucket, useHttp1 } from "./controller.ts";

Deno.test("token bucket: a burst passes at once, then calls are spaced by 1/qps", () => {
  let now = 0;
  const bucket = new TokenBucket(10, 3, () => now);
  assert.deepEqual([bucket.reserve(), bucket.reserve(), bucket.reserve()], [0, 0, 0]);
  // Out of tokens: each further caller waits one more 100 ms slot than the one before.
  assert.equal(Math.round(bucket.reserve()), 100);
  assert.equal(Math.round(bucket.reserve()), 200);
  now = 1_000; // 10 tokens' worth of time refills the 2 owed and the burst of 3, no more.
  assert.deepEqual([bucket.reserve(), bucket.reserve(), bucket.reserve()], [0, 0, 0]);
  assert.equal(Math.round(bucket.reserve()), 100);
});

function apiError(code: number, headers: Record<string, string> = {}): k8s.ApiException<string> {
  return new k8s.ApiException(code, `HTTP ${code}`, "", headers);
}

Deno.test("retry decision: conflicts now, 429 after Retry-After, the rest back off", () => {
  const table: Array<[unknown, ReturnType<typeof retryDecision>]> = [
    [apiError(409), { kind: "now" }],
    [apiError(429, { "retry-after": "3" }), { kind: "after", ms: 3_000 }],
    [apiError(429), { kind: "backoff" }],
    [apiError(429, { "retry-after": "soon" }), { kind: "backoff" }],
    [apiError(500), { kind: "backoff" }],
    [apiError(503), { kind: "backoff" }],
    [new TypeError("fetch failed"), { kind: "backoff" }],
    [new DOMException("timed out", "TimeoutError"), { kind: "backoff" }],
  ];
  for (const [error, expected] of table) assert.deepEqual(retryDecision(error), expected);
});

const CA = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";

Deno.test("http/1.1: one pooled agent per TLS setting, with HTTP/2 off", async () => {
  const kc = new k8s.KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: "c", server: "https://127.0.0.1:1", caData: btoa(CA) }],
    users: [{ name: "u", token: "t" }],
    contexts: [{ name: "x", cluster: "c", user: "u" }],
    currentContext: "x",
  });
  const close = useHttp1(kc);
  const first = new k8s.RequestContext("https://127.0.0.1:1/api", k8s.HttpMethod.GET);
  const second = new k8s.RequestContext("https://127.0.0.1:1/api", k8s.HttpMethod.GET);
  await kc.applySecurityAuthentication(first);
  await kc.applySecurityAuthentication(second);
  const agent = first.getDispatcher();
  assert.ok(agent !== undefined);
  assert.equal(second.getDispatcher(), agent, "the same agent serves every request");
  // undici keeps its options under a symbol; HTTP/2 must be off in them.
  const options = Object.getOwnPropertySymbols(agent)
    .map((symbol) => (agent as unknown as Record<symbol, unknown>)[symbol])
    .find((value) =>
      typeof value === "object" && value !== null && "allowH2" in (value as object)
    ) as { allowH2?: boolean } | undefined;
  assert.equal(options?.allowH2, false);
  await close();
});
