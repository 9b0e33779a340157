import assert from "node:assert/strict";
import { podManifest, readEvents, testServer } from "./testing.ts";

type Obj = Record<string, unknown> & { metadata: Record<string, unknown> };

async function body(response: Response): Promise<Obj> {
  return await response.json() as Obj;
}

const WF_CRD = {
  apiVersion: "apiextensions.k8s.io/v1",
  kind: "CustomResourceDefinition",
  metadata: { name: "things.example.com" },
  spec: {
    group: "example.com",
    names: {
      kind: "Thing",
      plural: "things",
      singular: "thing",
      shortNames: ["th"],
      categories: ["stuff"],
    },
    scope: "Cluster",
    versions: [{ name: "v1", served: true, storage: true, subresources: { status: {} } }],
  },
};

Deno.test("discovery: version, groups, resources, and CRDs joining discovery", async () => {
  const t = await testServer();
  try {
    const version = await body(await t.request("/version", { token: "" }));
    assert.equal(version.minor, "33");
    assert.equal(await (await t.request("/healthz", { token: "" })).text(), "ok");
    const api = await body(await t.request("/api"));
    assert.deepEqual(api.versions, ["v1"]);
    const core = await body(await t.request("/api/v1"));
    const pods = (core.resources as Obj[]).find((r) => r.name === "pods")!;
    assert.deepEqual(pods.shortNames, ["po"]);
    assert.ok((core.resources as Obj[]).some((r) => r.name === "pods/log"));
    let created = await t.request("/apis/apiextensions.k8s.io/v1/customresourcedefinitions", {
      method: "POST",
      body: JSON.stringify(WF_CRD),
    });
    assert.equal(created.status, 201);
    const crd = await body(created);
    assert.ok(JSON.stringify((crd.status as Obj).conditions).includes("Established"));
    const groups = await body(await t.request("/apis"));
    assert.ok((groups.groups as Obj[]).some((g) => g.name === "example.com"));
    const list = await body(await t.request("/apis/example.com/v1"));
    const things = (list.resources as Obj[]).find((r) => r.name === "things")!;
    assert.equal(things.namespaced, false);
    assert.deepEqual(things.shortNames, ["th"]);
    assert.deepEqual(things.categories, ["stuff"]);
    created = await t.request("/apis/example.com/v1/things", {
      method: "POST",
      body: JSON.stringify({
        apiVersion: "example.com/v1",
        kind: "Thing",
        metadata: { name: "one" },
        spec: { a: 1 },
      }),
    });
    assert.equal(created.status, 201);
    const got = await body(await t.request("/apis/example.com/v1/things/one"));
    assert.equal(got.kind, "Thing");
    assert.equal(got.metadata.namespace, undefined);
    const deleted = await t.request(
      "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/things.example.com",
      {
        method: "DELETE",
      },
    );
    assert.equal(deleted.status, 200);
    await deleted.body?.cancel();
    assert.equal((await t.request("/apis/example.com/v1/things/one")).status, 404);
  } finally {
    await t.close();
  }
});

Deno.test("create: generateName, defaulting, missing namespace, duplicates", async () => {
  const t = await testServer();
  try {
    const manifest = podManifest("");
    manifest.metadata = { generateName: "job-" } as never;
    const created = await t.request("/api/v1/namespaces/default/pods", {
      method: "POST",
      body: JSON.stringify(manifest),
    });
    assert.equal(created.status, 201);
    const pod = await body(created);
    assert.match(String(pod.metadata.name), /^job-[a-z0-9]{5}$/);
    assert.match(String(pod.metadata.uid), /^[0-9a-f-]{36}$/);
    assert.match(String(pod.metadata.creationTimestamp), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    assert.equal((pod.status as Obj).phase, "Pending");
    const missing = await t.request("/api/v1/namespaces/nope/pods", {
      method: "POST",
      body: JSON.stringify(podManifest("a")),
    });
    assert.equal(missing.status, 404);
    const status = await body(missing);
    assert.equal(status.reason, "NotFound");
    assert.equal(status.message, 'namespaces "nope" not found');
    const first = await t.request("/api/v1/namespaces/default/configmaps", {
      method: "POST",
      body: JSON.stringify({ metadata: { name: "c" }, data: { a: "1" } }),
    });
    assert.equal(first.status, 201);
    await first.body?.cancel();
    const again = await t.request("/api/v1/namespaces/default/configmaps", {
      method: "POST",
      body: JSON.stringify({ metadata: { name: "c" } }),
    });
    assert.equal(again.status, 409);
    assert.equal((await body(again)).reason, "AlreadyExists");
    const sa = await t.request("/api/v1/namespaces/default/serviceaccounts/default");
    assert.equal(sa.status, 200, "every namespace gets a default service account");
    await sa.body?.cancel();
  } finally {
    await t.close();
  }
});

Deno.test("list: label and field selectors, limit and continue", async () => {
  const t = await testServer();
  try {
    const labels = [{ app: "a", tier: "web" }, { app: "b", tier: "db" }, { app: "c" }];
    for (const [i, l] of labels.entries()) {
      const r = await t.request("/api/v1/namespaces/default/pods", {
        method: "POST",
        body: JSON.stringify(podManifest(`p${i}`, { labels: l })),
      });
      await r.body?.cancel();
    }
    const names = async (query: string) => {
      const list = await body(await t.request(`/api/v1/namespaces/default/pods?${query}`));
      return (list.items as Obj[]).map((p) => p.metadata.name);
    };
    const sel = (s: string) => `labelSelector=${encodeURIComponent(s)}`;
    assert.deepEqual(await names(sel("app=a")), ["p0"]);
    assert.deepEqual(await names(sel("app==b")), ["p1"]);
    assert.deepEqual(await names(sel("app!=a")), ["p1", "p2"]);
    assert.deepEqual(await names(sel("app in (a, c)")), ["p0", "p2"]);
    assert.deepEqual(await names(sel("app notin (a,c)")), ["p1"]);
    assert.deepEqual(await names(sel("tier")), ["p0", "p1"]);
    assert.deepEqual(await names(sel("!tier")), ["p2"]);
    assert.deepEqual(await names(sel("tier,app in (b)")), ["p1"]);
    const field = (s: string) => `fieldSelector=${encodeURIComponent(s)}`;
    assert.deepEqual(await names(field("metadata.name=p1")), ["p1"]);
    assert.deepEqual(await names(field("status.phase=Pending,metadata.name!=p1")), ["p0", "p2"]);
    assert.deepEqual(await names(field("spec.nodeName=")), ["p0", "p1", "p2"]);
    const bad = await t.request(`/api/v1/namespaces/default/pods?${field("spec.bogus=1")}`);
    assert.equal(bad.status, 400);
    await bad.body?.cancel();
    const page1 = await body(await t.request("/api/v1/pods?limit=2"));
    assert.equal((page1.items as Obj[]).length, 2);
    const token = String((page1.metadata as Obj).continue);
    const page2 = await body(
      await t.request(`/api/v1/pods?limit=2&continue=${encodeURIComponent(token)}`),
    );
    assert.deepEqual((page2.items as Obj[]).map((p) => p.metadata.name), ["p2"]);
    assert.equal((page2.metadata as Obj).continue, undefined);
  } finally {
    await t.close();
  }
});

Deno.test("update and patch: conflicts, status subresource, merge, json and strategic patch", async () => {
  const t = await testServer();
  try {
    const path = "/api/v1/namespaces/default/pods";
    const pod = await body(
      await t.request(path, { method: "POST", body: JSON.stringify(podManifest("p")) }),
    );
    const stale = structuredClone(pod);
    pod.metadata.labels = { a: "1" };
    (pod.status as Obj).phase = "Running";
    const updated = await body(
      await t.request(`${path}/p`, { method: "PUT", body: JSON.stringify(pod) }),
    );
    assert.deepEqual(updated.metadata.labels, { a: "1" });
    assert.equal((updated.status as Obj).phase, "Pending", "PUT on the pod keeps the status");
    const conflict = await t.request(`${path}/p`, { method: "PUT", body: JSON.stringify(stale) });
    assert.equal(conflict.status, 409);
    const status = await body(conflict);
    assert.equal(status.reason, "Conflict");
    assert.equal(
      status.message,
      'Operation cannot be fulfilled on pods "p": the object has been modified; please apply your ' +
        "changes to the latest version and try again",
    );
    const statusPatch = await t.request(`${path}/p/status`, {
      method: "PATCH",
      headers: { "content-type": "application/merge-patch+json" },
      body: JSON.stringify({ status: { phase: "Running" }, metadata: { labels: { b: "2" } } }),
    });
    const afterStatus = await body(statusPatch);
    assert.equal((afterStatus.status as Obj).phase, "Running");
    assert.deepEqual(afterStatus.metadata.labels, { a: "1" });
    const strategic = await body(
      await t.request(`${path}/p`, {
        method: "PATCH",
        headers: { "content-type": "application/strategic-merge-patch+json" },
        body: JSON.stringify({ spec: { containers: [{ name: "main", image: "busybox" }] } }),
      }),
    );
    const containers = (strategic.spec as Obj).containers as Obj[];
    assert.equal(containers.length, 1);
    assert.equal(containers[0].image, "busybox");
    assert.deepEqual(containers[0].command, ["true"], "merged by name, command kept");
    const jsonPatched = await body(
      await t.request(`${path}/p`, {
        method: "PATCH",
        headers: { "content-type": "application/json-patch+json" },
        body: JSON.stringify([{ op: "add", path: "/metadata/annotations", value: { x: "y" } }]),
      }),
    );
    assert.deepEqual(jsonPatched.metadata.annotations, { x: "y" });
    const failing = await t.request(`${path}/p`, {
      method: "PATCH",
      headers: { "content-type": "application/json-patch+json" },
      body: JSON.stringify([{ op: "remove", path: "/metadata/nothing" }]),
    });
    assert.equal(failing.status, 422);
    await failing.body?.cancel();
    const stalePatch = await t.request(`${path}/p`, {
      method: "PATCH",
      headers: { "content-type": "application/merge-patch+json" },
      body: JSON.stringify({ metadata: { resourceVersion: "1", labels: { c: "3" } } }),
    });
    assert.equal(stalePatch.status, 409);
    await stalePatch.body?.cancel();
    const applied = await body(
      await t.request(`/api/v1/namespaces/default/configmaps/applied?fieldManager=me`, {
        method: "PATCH",
        headers: { "content-type": "application/apply-patch+yaml" },
        body: "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: applied\ndata:\n  k: v\n",
      }),
    );
    assert.deepEqual(applied.data, { k: "v" });
  } finally {
    await t.close();
  }
});

Deno.test("delete: graceful pods, finalizers, ownerReference garbage collection", async () => {
  const t = await testServer();
  try {
    const pods = "/api/v1/namespaces/default/pods";
    const post = async (path: string, value: unknown) =>
      await body(await t.request(path, { method: "POST", body: JSON.stringify(value) }));
    await post(pods, podManifest("unbound"));
    const gone = await t.request(`${pods}/unbound`, { method: "DELETE" });
    assert.equal(gone.status, 200);
    await gone.body?.cancel();
    assert.equal((await t.request(`${pods}/unbound`)).status, 404);

    const owner = await post(pods, podManifest("bound"));
    const bind = await t.request(`${pods}/bound/binding`, {
      method: "POST",
      body: JSON.stringify({
        apiVersion: "v1",
        kind: "Binding",
        metadata: { name: "bound" },
        target: { kind: "Node", name: "local" },
      }),
    });
    assert.equal(bind.status, 201);
    await bind.body?.cancel();
    const rebind = await t.request(`${pods}/bound/binding`, {
      method: "POST",
      body: JSON.stringify({ target: { kind: "Node", name: "other" } }),
    });
    assert.equal(rebind.status, 409);
    await rebind.body?.cancel();
    const ref = { apiVersion: "v1", kind: "Pod", name: "bound", uid: owner.metadata.uid };
    await post("/api/v1/namespaces/default/configmaps", {
      metadata: { name: "dep", ownerReferences: [ref] },
    });
    await post("/api/v1/namespaces/default/configmaps", {
      metadata: { name: "orphan", ownerReferences: [ref] },
    });
    const graceful = await body(await t.request(`${pods}/bound`, { method: "DELETE" }));
    assert.ok(graceful.metadata.deletionTimestamp, "a bound pod is deleted gracefully");
    assert.equal(graceful.metadata.deletionGracePeriodSeconds, 30);
    assert.equal((await t.request(`${pods}/bound`)).status, 200);
    const forced = await t.request(`${pods}/bound?gracePeriodSeconds=0`, { method: "DELETE" });
    assert.equal(forced.status, 200);
    await forced.body?.cancel();
    assert.equal((await t.request(`${pods}/bound`)).status, 404);
    let dep = 200;
    for (let i = 0; i < 50 && dep !== 404; i++) {
      const r = await t.request("/api/v1/namespaces/default/configmaps/dep");
      await r.body?.cancel();
      dep = r.status;
      if (dep !== 404) await new Promise((resolve) => setTimeout(resolve, 10));
    }
    assert.equal(dep, 404, "dependents are collected in the background");

    const owner2 = await post(pods, podManifest("o2"));
    await post("/api/v1/namespaces/default/configmaps", {
      metadata: {
        name: "kept",
        ownerReferences: [{ apiVersion: "v1", kind: "Pod", name: "o2", uid: owner2.metadata.uid }],
      },
    });
    const orphaning = await t.request(`${pods}/o2?propagationPolicy=Orphan`, { method: "DELETE" });
    await orphaning.body?.cancel();
    await new Promise((resolve) => setTimeout(resolve, 20));
    const kept = await body(await t.request("/api/v1/namespaces/default/configmaps/kept"));
    assert.equal(kept.metadata.ownerReferences, undefined);

    await post("/api/v1/namespaces/default/configmaps", {
      metadata: { name: "fin", finalizers: ["x/y"] },
    });
    const pending = await body(
      await t.request("/api/v1/namespaces/default/configmaps/fin", { method: "DELETE" }),
    );
    assert.ok(pending.metadata.deletionTimestamp);
    assert.equal((await t.request("/api/v1/namespaces/default/configmaps/fin")).status, 200);
    const released = await t.request("/api/v1/namespaces/default/configmaps/fin", {
      method: "PATCH",
      headers: { "content-type": "application/merge-patch+json" },
      body: JSON.stringify({ metadata: { finalizers: null } }),
    });
    assert.equal(released.status, 200);
    await released.body?.cancel();
    assert.equal((await t.request("/api/v1/namespaces/default/configmaps/fin")).status, 404);

    await post("/api/v1/namespaces/default/configmaps", {
      metadata: { name: "l1", labels: { g: "x" } },
    });
    await post("/api/v1/namespaces/default/configmaps", {
      metadata: { name: "l2", labels: { g: "x" } },
    });
    const collection = await body(
      await t.request("/api/v1/namespaces/default/configmaps?labelSelector=g%3Dx", {
        method: "DELETE",
      }),
    );
    assert.equal((collection.items as Obj[]).length, 2);
  } finally {
    await t.close();
  }
});

Deno.test("watch: replay from a resourceVersion, 410 after compaction, bookmarks, timeout", async () => {
  const t = await testServer({ eventWindow: 3, bookmarkIntervalMs: 50 });
  try {
    const cms = "/api/v1/namespaces/default/configmaps";
    const list = await body(await t.request(cms));
    const rv = String((list.metadata as Obj).resourceVersion);
    for (const n of ["a", "b"]) {
      const r = await t.request(cms, {
        method: "POST",
        body: JSON.stringify({ metadata: { name: n } }),
      });
      await r.body?.cancel();
    }
    let watch = await t.request(`${cms}?watch=true&resourceVersion=${rv}&allowWatchBookmarks=true`);
    let events = await readEvents(watch.body!, 3);
    assert.deepEqual(events.slice(0, 2).map((e) => e.type), ["ADDED", "ADDED"]);
    assert.equal(events[0].object.kind, "ConfigMap");
    assert.equal(events[0].object.apiVersion, "v1");
    assert.equal(events[2].type, "BOOKMARK");
    for (const n of ["c", "d", "e"]) {
      const r = await t.request(cms, {
        method: "POST",
        body: JSON.stringify({ metadata: { name: n } }),
      });
      await r.body?.cancel();
    }
    watch = await t.request(`${cms}?watch=true&resourceVersion=${rv}`);
    events = await readEvents(watch.body!, 1);
    assert.equal(events[0].type, "ERROR");
    assert.equal(events[0].object.code, 410);
    assert.equal(events[0].object.reason, "Expired");
    watch = await t.request(`${cms}?watch=true&timeoutSeconds=1&fieldSelector=metadata.name%3Dc`);
    const started = Date.now();
    events = await readEvents(watch.body!, 10, 4000);
    assert.deepEqual(events.map((e) => `${e.type}:${(e.object.metadata as Obj).name}`), [
      "ADDED:c",
    ]);
    assert.ok(Date.now() - started < 3000, "timeoutSeconds ends the watch");
    assert.equal(t.server.watchCount(), 0);
  } finally {
    await t.close();
  }
});

Deno.test("pods/log streams from the PodLogSource; tokens and audit attribute requests", async () => {
  const t = await testServer({
    logs: {
      open(ns, pod, container, options) {
        if (container !== "main") return undefined;
        const text =
          `${ns}/${pod}/${container} follow=${options.follow} tail=${options.tailLines}\n`;
        return new Blob([text]).stream();
      },
    },
  });
  try {
    const r = await t.request("/api/v1/namespaces/default/pods", {
      method: "POST",
      body: JSON.stringify(podManifest("p")),
    });
    await r.body?.cancel();
    const log = await t.request("/api/v1/namespaces/default/pods/p/log?follow=true&tailLines=5");
    assert.equal(await log.text(), "default/p/main follow=true tail=5\n");
    const wrong = await t.request("/api/v1/namespaces/default/pods/p/log?container=nope");
    assert.equal(wrong.status, 400);
    await wrong.body?.cancel();
    const token = await t.server.tokenFor("default", "runner");
    assert.equal(await t.server.tokenFor("default", "runner"), token);
    const asSa = await t.request("/api/v1/namespaces/default/configmaps", { token });
    assert.equal(asSa.status, 200);
    await asSa.body?.cancel();
    const entry = t.server.audit().at(-1)!;
    assert.equal(entry.user, "system:serviceaccount:default:runner");
    assert.equal(entry.verb, "list");
    assert.equal(entry.resource, "configmaps");
    assert.equal(entry.namespace, "default");
    const get = t.server.audit().find((e) => e.subresource === "log")!;
    assert.equal(get.name, "p");
    assert.equal(get.user, "kubernetes-admin");
  } finally {
    await t.close();
  }
});

Deno.test("delete: Foreground removes dependents first; a namespace takes its objects along", async () => {
  const t = await testServer();
  try {
    const post = async (path: string, value: unknown) => {
      const r = await t.request(path, { method: "POST", body: JSON.stringify(value) });
      assert.equal(r.status, 201, path);
      return await body(r);
    };
    const owner = await post("/api/v1/namespaces/default/configmaps", {
      metadata: { name: "own" },
    });
    const ref = { apiVersion: "v1", kind: "ConfigMap", name: "own", uid: owner.metadata.uid };
    await post("/api/v1/namespaces/default/secrets", {
      metadata: { name: "dep", ownerReferences: [ref] },
    });
    const r = await t.request("/api/v1/namespaces/default/configmaps/own", {
      method: "DELETE",
      body: JSON.stringify({
        kind: "DeleteOptions",
        apiVersion: "v1",
        propagationPolicy: "Foreground",
      }),
    });
    assert.equal(r.status, 200);
    await r.body?.cancel();
    const dep = await t.request("/api/v1/namespaces/default/secrets/dep");
    assert.equal(dep.status, 404, "deleted within the same request");
    await dep.body?.cancel();

    await post("/api/v1/namespaces", { metadata: { name: "team" } });
    await post("/api/v1/namespaces/team/configmaps", { metadata: { name: "c" } });
    const gone = await t.request("/api/v1/namespaces/team", { method: "DELETE" });
    assert.equal(gone.status, 200);
    await gone.body?.cancel();
    const list = await body(await t.request("/api/v1/configmaps"));
    assert.deepEqual((list.items as Obj[]).map((c) => c.metadata.namespace), []);
    const missing = await t.request("/api/v1/namespaces/team/configmaps", {
      method: "POST",
      body: JSON.stringify({ metadata: { name: "late" } }),
    });
    assert.equal(missing.status, 404);
    await missing.body?.cancel();
  } finally {
    await t.close();
  }
});

Deno.test("watch with a selector: objects entering it are ADDED, leaving it DELETED", async () => {
  const t = await testServer();
  try {
    const pods = "/api/v1/namespaces/default/pods";
    const first = await t.request(pods, { method: "POST", body: JSON.stringify(podManifest("p")) });
    const rv = String((await body(first)).metadata.resourceVersion);
    const label = (value: string | null) =>
      t.request(`${pods}/p`, {
        method: "PATCH",
        headers: { "content-type": "application/merge-patch+json" },
        body: JSON.stringify({ metadata: { labels: { done: value } } }),
      }).then((r) => r.body?.cancel());
    await label("false");
    await label("true");
    await label("false");
    const watch = await t.request(
      `${pods}?watch=true&resourceVersion=${rv}&labelSelector=${encodeURIComponent("done!=true")}`,
    );
    const events = await readEvents(watch.body!, 3);
    assert.deepEqual(events.map((e) => e.type), ["MODIFIED", "DELETED", "ADDED"]);
  } finally {
    await t.close();
  }
});
