import assert from "node:assert/strict";
import { chooseKubeconfig, type KubeconfigHost } from "./kubeconfig.ts";

function host(
  env: Record<string, string>,
  files: Record<string, string>,
  alive: number[] = [],
): KubeconfigHost {
  return {
    env: (name) => env[name],
    exists: (path) => path in files,
    readText: (path) => files[path],
    alive: (pid) => alive.includes(pid),
  };
}

const HOME = { HOME: "/home/u" };
const EMBEDDED = { "/home/u/.argo-ts/cluster.pid": "4242\n", "/home/u/.argo-ts/kubeconfig": "x" };

Deno.test("--kubeconfig wins over everything", () => {
  const choice = chooseKubeconfig(host({ ...HOME, KUBECONFIG: "/env" }, EMBEDDED, [4242]), {
    flag: "/flag",
  });
  assert.equal(choice?.source, "flag");
  assert.equal(choice?.description, "kubeconfig /flag (from --kubeconfig)");
});

Deno.test("KUBECONFIG next (first entry of a list)", () => {
  const choice = chooseKubeconfig(host({ ...HOME, KUBECONFIG: ":/a:/b" }, EMBEDDED, [4242]));
  assert.deepEqual([choice?.source, choice?.path], ["env", "/a"]);
});

Deno.test("the embedded cluster while its pid is alive", () => {
  const files = { ...EMBEDDED, "/home/u/.kube/config": "y" };
  const live = chooseKubeconfig(host(HOME, files, [4242]));
  assert.equal(live?.source, "embedded");
  assert.match(live!.description, /pid 4242/);
  const dead = chooseKubeconfig(host(HOME, files, []));
  assert.equal(dead?.source, "home");
});

Deno.test("a garbled pid file is ignored", () => {
  const files = { "/home/u/.argo-ts/cluster.pid": "not a pid", "/home/u/.argo-ts/kubeconfig": "x" };
  assert.equal(chooseKubeconfig(host(HOME, files, [4242])), undefined);
});

Deno.test("--state-dir moves where the embedded cluster is looked for", () => {
  const files = { "/s/cluster.pid": "7", "/s/kubeconfig": "x" };
  assert.equal(chooseKubeconfig(host(HOME, files, [7]), { stateDir: "/s" })?.path, "/s/kubeconfig");
});

Deno.test("in-cluster last; nothing found is undefined", () => {
  const token = { "/var/run/secrets/kubernetes.io/serviceaccount/token": "t" };
  assert.equal(
    chooseKubeconfig(host({ KUBERNETES_SERVICE_HOST: "10.0.0.1" }, token))?.source,
    "in-cluster",
  );
  assert.equal(chooseKubeconfig(host(HOME, {})), undefined);
});
