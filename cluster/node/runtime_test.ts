import assert from "node:assert/strict";
import type { V1Container, V1Pod, V1PodStatus } from "@kubernetes/client-node";
import { DEADLINE_MESSAGE, PodRuntime, type RuntimeOptions } from "./runtime.ts";

const HAS_BWRAP = (() => {
  try {
    return new Deno.Command("bwrap", {
      args: ["--unshare-pid", "--ro-bind", "/", "/", "true"],
      stdout: "null",
      stderr: "null",
    }).outputSync().success;
  } catch {
    return false;
  }
})();

let counter = 0;

function pod(containers: V1Container[], extra: Partial<V1Pod["spec"]> = {}, name?: string): V1Pod {
  counter++;
  const podName = name ?? `p${counter}`;
  return {
    metadata: {
      name: podName,
      namespace: "ns1",
      uid: `uid-${counter}`,
      labels: { app: "demo" },
      annotations: { note: "hi" },
    },
    spec: { nodeName: "argo-ts-local", restartPolicy: "Never", containers, ...extra },
  };
}

function sh(name: string, script: string, extra: Partial<V1Container> = {}): V1Container {
  return { name, image: "busybox", command: ["sh", "-c", script], ...extra };
}

async function withRuntime(
  options: Partial<RuntimeOptions>,
  body: (runtime: PodRuntime, stateDir: string) => Promise<void>,
): Promise<void> {
  const stateDir = await Deno.makeTempDir({ prefix: "argo-ts-node-" });
  const warnings: string[] = [];
  const runtime = new PodRuntime({
    stateDir,
    warn: (message) => warnings.push(message),
    logPollMs: 20,
    ...options,
  });
  try {
    await body(runtime, stateDir);
  } finally {
    await runtime.close();
    await Deno.remove(stateDir, { recursive: true });
  }
}

async function runPod(runtime: PodRuntime, p: V1Pod): Promise<V1PodStatus> {
  runtime.run(p);
  const status = await runtime.wait(p.metadata!.namespace!, p.metadata!.name!);
  assert.ok(status);
  return status;
}

async function logOf(runtime: PodRuntime, p: V1Pod, container: string): Promise<string> {
  const stream = runtime.open(p.metadata!.namespace!, p.metadata!.name!, container, {});
  assert.ok(stream, `no log for ${container}`);
  return await new Response(stream).text();
}

function terminated(status: V1PodStatus, name: string) {
  const all = [...status.initContainerStatuses ?? [], ...status.containerStatuses ?? []];
  return all.find((container) => container.name === name)?.state?.terminated;
}

for (const sandbox of HAS_BWRAP ? ["bubblewrap", "none"] as const : ["none"] as const) {
  Deno.test(`[${sandbox}] exit codes 0 and 3, phases and conditions`, async () => {
    await withRuntime({ sandbox }, async (runtime) => {
      const ok = pod([sh("main", "echo out; echo err >&2")]);
      const status = await runPod(runtime, ok);
      assert.equal(status.phase, "Succeeded");
      const main = terminated(status, "main");
      assert.equal(main?.exitCode, 0);
      assert.equal(main?.reason, "Completed");
      assert.ok(main?.startedAt && main?.finishedAt && main.containerID?.startsWith("argo-ts://"));
      assert.equal(status.podIP, "127.0.0.1");
      assert.equal(status.hostIP, "127.0.0.1");
      assert.ok(status.startTime);
      assert.deepEqual(
        status.conditions?.map((c) => `${c.type}=${c.status}`),
        ["PodScheduled=True", "Initialized=True", "ContainersReady=False", "Ready=False"],
      );
      assert.equal(await logOf(runtime, ok, "main"), "out\nerr\n");

      const bad = pod([sh("main", "exit 3")]);
      const failed = await runPod(runtime, bad);
      assert.equal(failed.phase, "Failed");
      assert.equal(terminated(failed, "main")?.exitCode, 3);
      assert.equal(terminated(failed, "main")?.reason, "Error");
    });
  });

  Deno.test(`[${sandbox}] env: values, fieldRef, configMap and secret refs, envFrom`, async () => {
    const config = {
      getConfigMap: (_ns: string, name: string) => name === "cm" ? { color: "blue" } : undefined,
      getSecret: (_ns: string, name: string) =>
        name === "sec" ? { password: btoa("s3cret") } : undefined,
    };
    await withRuntime({ sandbox, config }, async (runtime) => {
      const p = pod([
        sh("main", 'echo "$A $NAME $NS $UID $APP $NODE $SA $IP $COLOR $PASS $CM_color $B"', {
          envFrom: [{ configMapRef: { name: "cm" }, prefix: "CM_" }],
          env: [
            { name: "A", value: "plain" },
            { name: "NAME", valueFrom: { fieldRef: { fieldPath: "metadata.name" } } },
            { name: "NS", valueFrom: { fieldRef: { fieldPath: "metadata.namespace" } } },
            { name: "UID", valueFrom: { fieldRef: { fieldPath: "metadata.uid" } } },
            { name: "APP", valueFrom: { fieldRef: { fieldPath: "metadata.labels['app']" } } },
            { name: "NODE", valueFrom: { fieldRef: { fieldPath: "spec.nodeName" } } },
            { name: "SA", valueFrom: { fieldRef: { fieldPath: "spec.serviceAccountName" } } },
            { name: "IP", valueFrom: { fieldRef: { fieldPath: "status.podIP" } } },
            { name: "COLOR", valueFrom: { configMapKeyRef: { name: "cm", key: "color" } } },
            { name: "PASS", valueFrom: { secretKeyRef: { name: "sec", key: "password" } } },
            { name: "B", value: "$(A)-x" },
          ],
        }),
      ], { serviceAccountName: "runner" });
      const status = await runPod(runtime, p);
      assert.equal(status.phase, "Succeeded");
      assert.equal(
        await logOf(runtime, p, "main"),
        `plain ${p.metadata!.name} ns1 ${
          p.metadata!.uid
        } demo argo-ts-local runner 127.0.0.1 blue s3cret blue plain-x\n`,
      );
    });
  });

  Deno.test(`[${sandbox}] init containers run in order; a failing one fails the pod`, async () => {
    await withRuntime({ sandbox }, async (runtime, stateDir) => {
      const marker = `${stateDir}/order`;
      const p = pod([sh("main", `echo main >> ${marker}`)], {
        initContainers: [sh("i1", `echo i1 >> ${marker}`), sh("i2", `echo i2 >> ${marker}`)],
        volumes: [{ name: "host", hostPath: { path: stateDir } }],
      });
      for (const c of [...p.spec!.initContainers!, ...p.spec!.containers]) {
        c.volumeMounts = [{ name: "host", mountPath: stateDir }];
      }
      const status = await runPod(runtime, p);
      assert.equal(status.phase, "Succeeded");
      assert.equal(await Deno.readTextFile(marker), "i1\ni2\nmain\n");
      assert.equal(status.initContainerStatuses?.length, 2);

      const failing = pod([sh("main", "echo never")], {
        initContainers: [sh("i1", "exit 0"), sh("i2", "exit 7"), sh("i3", "exit 0")],
      });
      const failed = await runPod(runtime, failing);
      assert.equal(failed.phase, "Failed");
      assert.equal(terminated(failed, "i2")?.exitCode, 7);
      assert.equal(
        failed.initContainerStatuses?.find((c) => c.name === "i3")?.state?.waiting?.reason,
        "PodInitializing",
      );
      assert.equal(failed.containerStatuses?.[0].state?.waiting?.reason, "PodInitializing");
      const initialized = failed.conditions?.find((c) => c.type === "Initialized");
      assert.equal(initialized?.status, "False");
      assert.match(initialized?.message ?? "", /\[i2\]/);
    });
  });

  Deno.test(`[${sandbox}] a container without command fails clearly`, async () => {
    await withRuntime({ sandbox }, async (runtime) => {
      const status = await runPod(runtime, pod([{ name: "main", image: "alpine:3" }]));
      assert.equal(status.phase, "Failed");
      const main = terminated(status, "main");
      assert.equal(main?.reason, "CommandMissing");
      assert.match(main?.message ?? "", /images are not pulled.*alpine:3.*set command/);
    });
  });

  Deno.test(`[${sandbox}] a command that cannot start is a StartError`, async () => {
    await withRuntime({ sandbox }, async (runtime) => {
      const escape = pod([sh("main", "true", {
        volumeMounts: [{ name: "v", mountPath: "/v", subPath: "../../etc" }],
      })], { volumes: [{ name: "v", emptyDir: {} }] });
      const escaped = await runPod(runtime, escape);
      assert.equal(terminated(escaped, "main")?.reason, "StartError");
      assert.match(terminated(escaped, "main")?.message ?? "", /subPath/);
      for (const command of [["no-such-program-xyz"], ["/usr/bin/no-such-program-xyz"]]) {
        const p = pod([{ name: "main", image: "x", command }]);
        const status = await runPod(runtime, p);
        assert.equal(status.phase, "Failed");
        const main = terminated(status, "main");
        assert.equal(main?.reason, "StartError");
        assert.equal(main?.exitCode, 128);
        assert.match(main?.message ?? "", /no-such-program-xyz/);
        assert.match(await logOf(runtime, p, "main"), /failed to start container "main"/);
      }
    });
  });

  Deno.test(`[${sandbox}] activeDeadlineSeconds fails the pod with DeadlineExceeded`, async () => {
    await withRuntime({ sandbox }, async (runtime) => {
      const started = Date.now();
      const status = await runPod(
        runtime,
        pod([sh("main", "sleep 30")], {
          activeDeadlineSeconds: 0.3 as number,
          terminationGracePeriodSeconds: 1,
        }),
      );
      assert.ok(Date.now() - started < 5000);
      assert.equal(status.phase, "Failed");
      assert.equal(status.reason, "DeadlineExceeded");
      assert.equal(status.message, DEADLINE_MESSAGE);
      assert.equal(terminated(status, "main")?.reason, "DeadlineExceeded");
    });
  });

  Deno.test(`[${sandbox}] kill: SIGTERM first, SIGKILL after the grace period`, async () => {
    await withRuntime({ sandbox }, async (runtime) => {
      const polite = pod([
        sh("main", "trap 'echo got TERM; exit 0' TERM; echo ready; while :; do sleep 0.05; done"),
      ]);
      runtime.run(polite);
      await waitFor(() => runtime.status("ns1", polite.metadata!.name!)?.phase === "Running");
      await waitForLog(runtime, polite, "main", "ready\n");
      const status = await runtime.kill("ns1", polite.metadata!.name!, 10);
      assert.equal(terminated(status!, "main")?.exitCode, 0);
      assert.match(await logOf(runtime, polite, "main"), /got TERM/);

      const stubborn = pod([sh("main", "trap '' TERM; echo ready; while :; do sleep 0.05; done")]);
      runtime.run(stubborn);
      await waitForLog(runtime, stubborn, "main", "ready\n");
      const started = Date.now();
      const killed = await runtime.kill("ns1", stubborn.metadata!.name!, 0.3);
      const elapsed = Date.now() - started;
      assert.ok(elapsed >= 250 && elapsed < 5000, `elapsed ${elapsed}`);
      assert.equal(terminated(killed!, "main")?.exitCode, 137);
      assert.equal(killed?.phase, "Failed");
    });
  });

  Deno.test(`[${sandbox}] logs: tailLines, timestamps, sinceSeconds, follow, 200 KiB`, async () => {
    await withRuntime({ sandbox }, async (runtime) => {
      const p = pod([sh("main", "for i in 1 2 3 4 5; do echo line$i; done; printf partial")]);
      await runPod(runtime, p);
      const read = async (options: Parameters<PodRuntime["open"]>[3]) =>
        await new Response(runtime.open("ns1", p.metadata!.name!, "main", options)).text();
      assert.equal(await read({ tailLines: 2 }), "line5\npartial\n");
      const stamped = (await read({ timestamps: true, tailLines: 1 })).trimEnd();
      assert.match(stamped, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z partial$/);
      assert.equal(await read({ sinceSeconds: 60, tailLines: 1 }), "partial\n");
      assert.equal(runtime.open("ns1", p.metadata!.name!, "nope", {}), undefined);
      assert.equal(runtime.open("ns1", "missing", "main", {}), undefined);

      const slow = pod([sh("main", "echo a; sleep 0.3; echo b")]);
      runtime.run(slow);
      await waitFor(() => runtime.status("ns1", slow.metadata!.name!)?.phase === "Running");
      const followed = runtime.open("ns1", slow.metadata!.name!, "main", { follow: true });
      assert.ok(followed);
      assert.equal(await new Response(followed).text(), "a\nb\n");

      const big = pod([
        sh("main", "i=0; while [ $i -lt 2048 ]; do printf '%0099d\\n' $i; i=$((i+1)); done"),
      ]);
      const status = await runPod(runtime, big);
      assert.equal(status.phase, "Succeeded");
      const text = await logOf(runtime, big, "main");
      const lines = text.split("\n");
      assert.equal(lines.length, 2049);
      assert.equal(lines[2047], "0".repeat(95) + "2047");
      assert.equal(text.length, 2048 * 100);
    });
  });

  Deno.test(`[${sandbox}] bounded concurrency keeps extra pods Pending`, async () => {
    await withRuntime({ sandbox, maxRunningPods: 1 }, async (runtime) => {
      const first = pod([sh("main", "sleep 0.3")]);
      const second = pod([sh("main", "exit 0")]);
      runtime.run(first);
      runtime.run(second);
      const pending = runtime.status("ns1", second.metadata!.name!);
      assert.equal(pending?.phase, "Pending");
      const initialized = pending?.conditions?.find((c) => c.type === "Initialized");
      assert.equal(initialized?.reason, "NodeAtCapacity");
      const done = await runtime.wait("ns1", second.metadata!.name!);
      assert.equal(done?.phase, "Succeeded");
      const firstDone = runtime.status("ns1", first.metadata!.name!);
      const secondStart = done?.startTime as Date;
      assert.ok(terminated(firstDone!, "main")!.finishedAt! <= secondStart);

      const third = pod([sh("main", "sleep 10")]);
      const fourth = pod([sh("main", "exit 0")]);
      runtime.run(third);
      runtime.run(fourth);
      const killed = await runtime.kill("ns1", fourth.metadata!.name!, 0);
      assert.equal(killed?.phase, "Failed");
      await runtime.kill("ns1", third.metadata!.name!, 0);
    });
  });
}

Deno.test({
  name: "[bubblewrap] volumes: configMap, secret, emptyDir shared, PVC, workingDir, token",
  ignore: !HAS_BWRAP,
  fn: async () => {
    const config = {
      getConfigMap: (_ns: string, name: string) =>
        name === "cm" ? { "app.conf": "x=1", other: "o" } : undefined,
      getSecret: (_ns: string, name: string) => name === "sec" ? { key: btoa("k3y") } : undefined,
    };
    await withRuntime({
      sandbox: "bubblewrap",
      config,
      tokenFor: (ns, sa) => `token-${ns}-${sa}`,
      caCert: "CA",
      kubernetesServiceHost: "127.0.0.1",
      kubernetesServicePort: 6443,
    }, async (runtime, stateDir) => {
      const p = pod([
        sh("writer", "echo sub > /work/sub/x; echo shared > /work/data.txt; echo kept > /claim/f", {
          volumeMounts: [{ name: "scratch", mountPath: "/work" }, {
            name: "pvc",
            mountPath: "/claim",
          }],
        }),
      ], {
        volumes: [
          { name: "scratch", emptyDir: {} },
          {
            name: "cm",
            configMap: { name: "cm", items: [{ key: "app.conf", path: "conf/app.conf" }] },
          },
          { name: "sec", secret: { secretName: "sec", defaultMode: 0o400 } },
          { name: "pvc", persistentVolumeClaim: { claimName: "data" } },
        ],
        initContainers: [],
      });
      p.spec!.containers.push(
        sh(
          "reader",
          [
            "while [ ! -f /work/data.txt ]; do sleep 0.02; done",
            "cat /work/data.txt",
            "cat /etc/app/conf/app.conf; echo",
            "ls /etc/app/conf",
            "cat /etc/sec/key; echo",
            "stat -c %a /etc/sec/key",
            "pwd",
            "cat /var/run/secrets/kubernetes.io/serviceaccount/token; echo",
            "cat /var/run/secrets/kubernetes.io/serviceaccount/namespace; echo",
            "echo $KUBERNETES_SERVICE_HOST:$KUBERNETES_SERVICE_PORT",
            "hostname",
            "cat /in/x",
            "cat /etc/myapp.conf; echo",
          ].join("; "),
          {
            workingDir: "/srv/job",
            volumeMounts: [
              { name: "scratch", mountPath: "/work" },
              { name: "cm", mountPath: "/etc/app" },
              { name: "sec", mountPath: "/etc/sec" },
              { name: "scratch", mountPath: "/in", subPath: "sub" },
              { name: "cm", mountPath: "/etc/myapp.conf", subPath: "conf/app.conf" },
            ],
          },
        ),
      );
      const status = await runPod(runtime, p);
      assert.equal(status.phase, "Succeeded", JSON.stringify(status.containerStatuses));
      assert.equal(
        await logOf(runtime, p, "reader"),
        [
          "shared",
          "x=1",
          "app.conf",
          "k3y",
          "400",
          "/srv/job",
          "token-ns1-default",
          "ns1",
          "127.0.0.1:6443",
          p.metadata!.name,
          "sub",
          "x=1",
          "",
        ].join("\n"),
      );
      assert.equal(await Deno.readTextFile(`${stateDir}/pvcs/ns1/data/f`), "kept\n");
    });
  },
});

Deno.test({
  name: "[bubblewrap] the sandbox isolates: read-only /usr, private /tmp, own PID namespace",
  ignore: !HAS_BWRAP,
  fn: async () => {
    await withRuntime({ sandbox: "bubblewrap" }, async (runtime) => {
      const marker = `argo-ts-node-marker-${crypto.randomUUID()}`;
      const p = pod([
        sh(
          "main",
          [
            "touch /usr/forbidden 2>/dev/null && echo usr-writable || echo usr-readonly",
            `touch /tmp/${marker} && echo tmp-writable`,
            "tr '\\0' ' ' < /proc/1/cmdline; echo",
            "echo pid=$$$$",
            "ls /home 2>/dev/null || echo no-home",
          ].join("; "),
        ),
      ]);
      const status = await runPod(runtime, p);
      assert.equal(status.phase, "Succeeded");
      const lines = (await logOf(runtime, p, "main")).split("\n");
      assert.equal(lines[0], "usr-readonly");
      assert.equal(lines[1], "tmp-writable");
      assert.match(lines[2], /bwrap/);
      assert.doesNotMatch(lines[2], /init|systemd/);
      assert.ok(Number(lines[3].slice(4)) < 10, lines[3]);
      assert.equal(lines[4], "no-home");
      await assert.rejects(Deno.stat(`/tmp/${marker}`));
    });
  },
});

Deno.test("a configMap that does not exist yet keeps the pod Pending until deleted", async () => {
  await withRuntime({
    sandbox: "none",
    config: { getConfigMap: () => undefined, getSecret: () => undefined },
  }, async (runtime) => {
    const p = pod([sh("main", "echo hi", {
      env: [{ name: "X", valueFrom: { configMapKeyRef: { name: "later", key: "k" } } }],
    })]);
    runtime.run(p);
    await waitFor(() =>
      runtime.status("ns1", p.metadata!.name!)?.containerStatuses?.[0].state?.waiting?.reason ===
        "CreateContainerConfigError"
    );
    assert.equal(runtime.status("ns1", p.metadata!.name!)?.phase, "Pending");
    const final = await runtime.kill("ns1", p.metadata!.name!, 0);
    assert.equal(final?.phase, "Failed");
  });
});

Deno.test("without bubblewrap: a process that left the group does not hold the pod open", async () => {
  await withRuntime({ sandbox: "none" }, async (runtime, stateDir) => {
    const pidFile = `${stateDir}/escaped.pid`;
    const p = pod([
      sh("main", `setsid sh -c 'echo $$$$ > ${pidFile}; exec sleep 5' & sleep 0.2; echo started`),
    ]);
    const started = Date.now();
    const status = await runPod(runtime, p);
    const escaped = Number(await Deno.readTextFile(pidFile));
    try {
      assert.equal(status.phase, "Succeeded");
      const took = Date.now() - started;
      assert.ok(took >= 1900 && took < 4500, `took ${took} ms`);
      assert.equal(await logOf(runtime, p, "main"), "started\n");
    } finally {
      Deno.kill(escaped, "SIGKILL");
    }
  });
});

Deno.test("workingDir without bubblewrap: cwd when it exists", async () => {
  await withRuntime({ sandbox: "none" }, async (runtime, stateDir) => {
    const p = pod([sh("main", "pwd", { workingDir: stateDir })]);
    await runPod(runtime, p);
    assert.equal(await logOf(runtime, p, "main"), `${stateDir}\n`);
  });
});

Deno.test("without bubblewrap on PATH: one warning, plain processes", async () => {
  const warnings: string[] = [];
  await withRuntime(
    { bwrapPath: "/nonexistent/bwrap", warn: (m) => warnings.push(m) },
    async (runtime) => {
      const a = await runPod(runtime, pod([sh("main", "exit 0")]));
      const b = await runPod(runtime, pod([sh("main", "exit 0")]));
      assert.equal(a.phase, "Succeeded");
      assert.equal(b.phase, "Succeeded");
    },
  );
  assert.equal(warnings.length, 1);
  assert.match(warnings[0], /does not work here|not on PATH/);
});

async function waitFor(check: () => boolean, timeoutMs = 5000): Promise<void> {
  const start = Date.now();
  while (!check()) {
    if (Date.now() - start > timeoutMs) throw new Error("timed out");
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

async function waitForLog(runtime: PodRuntime, p: V1Pod, container: string, text: string) {
  const start = Date.now();
  while (Date.now() - start < 5000) {
    const stream = runtime.open("ns1", p.metadata!.name!, container, {});
    if (stream && (await new Response(stream).text()).includes(text)) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`log of ${container} never contained ${text}`);
}
