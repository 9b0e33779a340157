/**
 * The cron controller against the embedded cluster: its informers, creates, deletes and status
 * patches through a real API server.
 *
 * The second test is the one REAL-TIME test: a `* * * * *` CronWorkflow must create a Workflow
 * on its own, which takes up to 60 s (the next minute boundary). Keep it the only such test.
 */
import assert from "node:assert/strict";
import * as k8s from "@kubernetes/client-node";
import { parseAllDocuments } from "yaml";
import { ensureNamespace, startEmbeddedCluster } from "../cluster/command.ts";
import { kubeconfigFor, startApiServer } from "../cluster/apiserver/mod.ts";
import { CronController } from "../controller/cron/mod.ts";
import type { CronWorkflow, Workflow } from "../api/types.gen.ts";

const GROUP = { group: "argoproj.io", version: "v1alpha1" };

async function withCluster(
  fn: (kc: k8s.KubeConfig, api: k8s.CustomObjectsApi) => Promise<void>,
): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "argo-ts-cron-test-" });
  const cluster = await startEmbeddedCluster({ nodeDir: `${dir}/node` });
  const kc = new k8s.KubeConfig();
  kc.loadFromString(cluster.kubeconfig);
  try {
    await fn(kc, kc.makeApiClient(k8s.CustomObjectsApi));
  } finally {
    await cluster.close();
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
}

function cronWorkflow(name: string, spec: Partial<CronWorkflow["spec"]>): CronWorkflow {
  return {
    apiVersion: "argoproj.io/v1alpha1",
    kind: "CronWorkflow",
    metadata: { name, namespace: "argo" },
    spec: {
      schedules: ["* * * * *"],
      workflowSpec: {
        entrypoint: "main",
        templates: [{ name: "main", container: { image: "busybox", command: ["true"] } }],
      },
      ...spec,
    },
  };
}

async function listChildren(api: k8s.CustomObjectsApi, cron: string): Promise<Workflow[]> {
  const list = await api.listNamespacedCustomObject({
    ...GROUP,
    plural: "workflows",
    namespace: "argo",
    labelSelector: `workflows.argoproj.io/cron-workflow=${cron}`,
  }) as { items: Workflow[] };
  return list.items;
}

async function until<T>(what: string, ms: number, probe: () => Promise<T | undefined>) {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

Deno.test("cron controller: a restart runs the missed schedule once and enforces history limits", async () => {
  await withCluster(async (kc, api) => {
    // The injected clock: 00:10:30, so 00:10:00 was missed while no controller ran.
    const now = new Date("2030-01-01T00:10:30Z");
    const created = await api.createNamespacedCustomObject({
      ...GROUP,
      plural: "cronworkflows",
      namespace: "argo",
      body: {
        ...cronWorkflow("nightly", { startingDeadlineSeconds: 120, successfulJobsHistoryLimit: 1 }),
        metadata: {
          name: "nightly",
          namespace: "argo",
          annotations: { "workflows.argoproj.io/last-used-schedule": "* * * * *" },
        },
      },
    }) as CronWorkflow;
    await api.patchNamespacedCustomObject(
      {
        ...GROUP,
        plural: "cronworkflows",
        namespace: "argo",
        name: "nightly",
        body: { status: { lastScheduledTime: "2030-01-01T00:05:00Z" } },
      },
      k8s.setHeaderOptions("Content-Type", k8s.PatchStrategy.MergePatch),
    );
    // Two finished children from earlier runs: the older one is beyond the limit of 1.
    for (
      const [name, finishedAt] of [["nightly-old", "2030-01-01T00:01:00Z"], [
        "nightly-new",
        "2030-01-01T00:04:00Z",
      ]]
    ) {
      await api.createNamespacedCustomObject({
        ...GROUP,
        plural: "workflows",
        namespace: "argo",
        body: {
          apiVersion: "argoproj.io/v1alpha1",
          kind: "Workflow",
          metadata: {
            name,
            labels: { "workflows.argoproj.io/cron-workflow": "nightly" },
            ownerReferences: [{
              apiVersion: "argoproj.io/v1alpha1",
              kind: "CronWorkflow",
              name: "nightly",
              uid: created.metadata.uid!,
            }],
          },
          spec: { entrypoint: "main" },
          status: { phase: "Succeeded", finishedAt },
        },
      });
    }
    const controller = new CronController({ kubeconfig: kc, now: () => now, syncPeriodMs: 200 });
    await controller.start();
    try {
      const expected = `nightly-${Date.parse("2030-01-01T00:10:00Z") / 1000}`;
      const names = await until("the catch-up run and the history limit", 15_000, async () => {
        const names = (await listChildren(api, "nightly")).map((w) => w.metadata.name).sort();
        return names.includes(expected) && !names.includes("nightly-old") ? names : undefined;
      });
      assert.deepEqual(names, [expected, "nightly-new"].sort());
      const cron = await until("the status", 5_000, async () => {
        const cron = await api.getNamespacedCustomObject({
          ...GROUP,
          plural: "cronworkflows",
          namespace: "argo",
          name: "nightly",
        }) as CronWorkflow;
        return cron.status?.active?.[0]?.uid ? cron : undefined;
      });
      assert.equal(cron.status?.lastScheduledTime, "2030-01-01T00:10:00Z");
      assert.equal(cron.status?.phase, "Active");
      assert.deepEqual(cron.status?.active?.map((r) => r.name), [expected]);
      // Several more syncs at the same instant: never a second run.
      await new Promise((resolve) => setTimeout(resolve, 1000));
      assert.equal((await listChildren(api, "nightly")).length, 2);
    } finally {
      await controller.stop();
    }
  });
});

Deno.test({
  name: "cron controller REAL TIME (up to 60 s): a `* * * * *` CronWorkflow creates a Workflow",
  async fn() {
    await withCluster(async (kc, api) => {
      await api.createNamespacedCustomObject({
        ...GROUP,
        plural: "cronworkflows",
        namespace: "argo",
        body: cronWorkflow("every-minute", {}),
      });
      const controller = new CronController({ kubeconfig: kc });
      await controller.start();
      try {
        const [wf] = await until("a workflow from the cron", 75_000, async () => {
          const children = await listChildren(api, "every-minute");
          return children.length > 0 ? children : undefined;
        });
        const scheduled = wf.metadata.annotations?.["workflows.argoproj.io/scheduled-time"];
        assert.match(scheduled ?? "", /:00Z$/);
        assert.equal(wf.metadata.name, `every-minute-${Date.parse(scheduled!) / 1000}`);
        assert.equal(wf.spec.entrypoint, "main");
        assert.equal(wf.metadata.ownerReferences?.[0]?.kind, "CronWorkflow");
      } finally {
        await controller.stop();
      }
    });
  },
});

interface Rule {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
}

Deno.test("cron controller: every API call it makes is allowed by the controller ClusterRole", async () => {
  const server = await startApiServer({ port: 0, crdDir: "manifests/crds/minimal" });
  try {
    await ensureNamespace(server.url, server.adminToken, server.caCert, "argo");
    const admin = new k8s.KubeConfig();
    admin.loadFromString(server.kubeconfig);
    const api = admin.makeApiClient(k8s.CustomObjectsApi);
    // Replace with a running child, a finished child beyond the history limit, a missed run due.
    await api.createNamespacedCustomObject({
      ...GROUP,
      plural: "cronworkflows",
      namespace: "argo",
      body: {
        ...cronWorkflow("audited", {
          concurrencyPolicy: "Replace",
          startingDeadlineSeconds: 300,
          successfulJobsHistoryLimit: 0,
        }),
        metadata: {
          name: "audited",
          namespace: "argo",
          annotations: { "workflows.argoproj.io/last-used-schedule": "* * * * *" },
        },
        status: {
          lastScheduledTime: "2030-01-01T00:00:00Z",
          active: [{ name: "audited-running" }],
        },
      },
    });
    for (const [name, phase] of [["audited-running", "Running"], ["audited-done", "Succeeded"]]) {
      await api.createNamespacedCustomObject({
        ...GROUP,
        plural: "workflows",
        namespace: "argo",
        body: {
          apiVersion: "argoproj.io/v1alpha1",
          kind: "Workflow",
          metadata: { name, labels: { "workflows.argoproj.io/cron-workflow": "audited" } },
          spec: { entrypoint: "main" },
          status: { phase, finishedAt: phase === "Succeeded" ? "2030-01-01T00:00:30Z" : undefined },
        },
      });
    }
    const token = await server.tokenFor("argo", "argo-ts-controller");
    const kc = new k8s.KubeConfig();
    kc.loadFromString(kubeconfigFor(server.url, token, server.caCert));
    const controller = new CronController({
      kubeconfig: kc,
      now: () => new Date("2030-01-01T00:02:10Z"),
      syncPeriodMs: 200,
    });
    await controller.start();
    try {
      await until("terminate, create and delete", 15_000, async () => {
        const names = (await listChildren(api, "audited")).map((w) => w.metadata.name);
        return names.includes(`audited-${Date.parse("2030-01-01T00:02:00Z") / 1000}`) &&
            !names.includes("audited-done")
          ? names
          : undefined;
      });
    } finally {
      await controller.stop();
    }
    const running = await api.getNamespacedCustomObject({
      ...GROUP,
      plural: "workflows",
      namespace: "argo",
      name: "audited-running",
    }) as Workflow;
    assert.equal(running.spec.shutdown, "Terminate");

    const text = await Deno.readTextFile(
      new URL("../manifests/base/controller-rbac.yaml", import.meta.url),
    );
    const role = parseAllDocuments(text).map((d) => d.toJS()).find((o) =>
      o.kind === "ClusterRole"
    ) as { rules: Rule[] };
    const calls = server.audit().filter((e) =>
      e.user === "system:serviceaccount:argo:argo-ts-controller" && e.resource !== ""
    );
    const seen = new Set(calls.map((e) => `${e.verb} ${e.resource}`));
    assert.ok(seen.has("create workflows.argoproj.io"), [...seen].join(", "));
    assert.ok(seen.has("delete workflows.argoproj.io"), [...seen].join(", "));
    assert.ok(seen.has("patch cronworkflows.argoproj.io"), [...seen].join(", "));
    const denied = [...seen].filter((call) => {
      const [verb, qualified] = call.split(" ");
      const [resource, ...group] = qualified.split(".");
      return !role.rules.some((r) =>
        r.apiGroups.includes(group.join(".")) && r.resources.includes(resource) &&
        r.verbs.includes(verb)
      );
    });
    assert.deepEqual(denied, []);
  } finally {
    await server.close();
  }
});
