import assert from "node:assert/strict";
import * as contract from "./contract.ts";

// The engine's side of the contract. Imported through a URL: exec/ code must not import
// controller/, but this test compares the two sides.
const podSpecUrl = new URL("../controller/operator/pod_spec.ts", import.meta.url).href;

Deno.test("exec/contract.ts agrees with controller/operator/pod_spec.ts", async () => {
  const podSpec = await import(podSpecUrl);
  for (
    const name of [
      "VAR_RUN_ARGO",
      "KUBERNETES_EXECUTOR_PATH",
      "PROGRESS_FILE",
      "STAGING_DIR",
      "SCRIPT_SOURCE_PATH",
      "INPUT_ARTIFACTS_DIR",
      "MAIN_FILESYSTEM_DIR",
      "SECRET_DIR",
      "NO_DEADLINE",
      "ENV",
    ] as const
  ) {
    assert.deepEqual(contract[name], podSpec[name], name);
  }
});

Deno.test("ARGO_TS_EXEC_ROOT moves every contract path", () => {
  const paths = contract.pathsFromEnv((n) => (n === "ARGO_TS_EXEC_ROOT" ? "/r/" : undefined));
  assert.equal(paths.varRunArgo, "/r/var/run/argo");
  assert.equal(paths.template, "/r/var/run/argo/template");
  assert.equal(paths.scriptSource, "/r/argo/staging/script");
  assert.equal(paths.inputArtifacts, "/r/argo/inputs/artifacts");
  assert.equal(paths.mainFs, "/r/mainctrfs");
  assert.equal(paths.secrets, "/r/argo/secret");
  assert.equal(paths.serviceAccount, "/var/run/secrets/kubernetes.io/serviceaccount");
  const plain = contract.pathsFromEnv(() => undefined);
  assert.equal(plain.varRunArgo, "/var/run/argo");
});

Deno.test("runExec: modes not built yet exit 2", async () => {
  const { runExec } = await import("./mod.ts");
  assert.equal(await runExec(["resource"]), 2);
  assert.equal(await runExec(["nonsense"]), 2);
});
