/**
 * A test harness for the CLI: an embedded cluster and the workflow controller in-process, and
 * `runCli` pointed at them with `--kubeconfig`.
 */
import * as k8s from "@kubernetes/client-node";
import { localExecutorCommand, startEmbeddedCluster } from "../cluster/command.ts";
import { WorkflowController } from "../controller/controller.ts";
import { memoryIo, runCli } from "../cli/mod.ts";

export interface TestCluster {
  kubeconfigPath: string;
  dir: string;
  /** Runs the CLI against the cluster; namespace `argo` unless the args say otherwise. */
  cli(
    args: string[],
    io?: ReturnType<typeof memoryIo>,
  ): Promise<{ code: number; stdout: string; stderr: string }>;
  close(): Promise<void>;
}

/** Starts a cluster and a controller whose pods run this installation's executor. */
export async function startTestCluster(): Promise<TestCluster> {
  const dir = await Deno.makeTempDir({ prefix: "argo-ts-cli-test-" });
  await Deno.mkdir(`${dir}/artifacts`, { recursive: true });
  const cluster = await startEmbeddedCluster({ nodeDir: `${dir}/node` });
  const kubeconfigPath = `${dir}/kubeconfig`;
  await Deno.writeTextFile(kubeconfigPath, cluster.kubeconfig);
  const kc = new k8s.KubeConfig();
  kc.loadFromString(cluster.kubeconfig);
  const controller = new WorkflowController({
    kubeconfig: kc,
    config: {
      executor: {
        image: "argo-ts",
        command: localExecutorCommand(),
        env: [{ name: "RUST_BACKTRACE", value: "0" }, { name: "NO_COLOR", value: "1" }],
      },
      artifactRepository: { filesystem: { path: `${dir}/artifacts` } },
    },
  });
  await controller.start();
  return {
    kubeconfigPath,
    dir,
    async cli(args, io = memoryIo()) {
      const code = await runCli([...args, "--kubeconfig", kubeconfigPath, "-n", "argo"], io);
      return { code, stdout: io.stdout(), stderr: io.stderr() };
    },
    async close() {
      await controller.stop();
      await cluster.close();
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    },
  };
}
