import assert from "node:assert/strict";
import type { V1Container, V1Pod } from "@kubernetes/client-node";
import { parse as parseYaml, stringify as stringifyYaml } from "yaml";
import type { Template, Workflow } from "../../api/types.gen.ts";
import type { ControllerConfig } from "./config.ts";
import {
  buildPod,
  ENV,
  executorCommandInMain,
  KUBERNETES_EXECUTOR_PATH,
  NO_DEADLINE,
  type PodBuildInput,
  SCRIPT_SOURCE_PATH,
} from "./pod_spec.ts";

const GOLDEN_DIR = new URL("./testdata/pods/", import.meta.url);

const CONFIG: ControllerConfig = {
  executor: { image: "argo-ts:v1", command: ["argo-ts", "exec"] },
  images: { "docker/whalesay:latest": { cmd: ["cowsay"] }, "python:3.12": { cmd: ["python3"] } },
};

function workflow(spec: Partial<Workflow["spec"]> = {}): Workflow {
  return {
    apiVersion: "argoproj.io/v1alpha1",
    kind: "Workflow",
    metadata: {
      name: "hello-world-abcde",
      namespace: "argo",
      uid: "0b5e7f4c-1111-2222-3333-444455556666",
      creationTimestamp: "2026-11-26T10:20:30Z",
    },
    spec: { entrypoint: "main", ...spec },
  };
}

const HELLO: Template = {
  name: "main",
  container: { image: "docker/whalesay:latest", command: ["cowsay"], args: ["hello world"] },
};

function input(over: Partial<PodBuildInput> = {}): PodBuildInput {
  return {
    workflow: workflow(),
    node: {
      id: "hello-world-abcde",
      name: "hello-world-abcde",
      displayName: "hello-world-abcde",
      templateName: "main",
    },
    podName: "hello-world-abcde",
    template: HELLO,
    config: CONFIG,
    onExit: false,
    ...over,
  };
}

function pod(over: Partial<PodBuildInput> = {}): V1Pod {
  const result = buildPod(input(over));
  if (!result.ok) throw new Error(`unexpected error: ${result.message}`);
  return result.pod;
}

function failure(over: Partial<PodBuildInput>): string {
  const result = buildPod(input(over));
  assert.equal(result.ok, false, "expected an error");
  return result.ok ? "" : result.message;
}

function container(p: V1Pod, name: string): V1Container {
  const all = [...(p.spec?.initContainers ?? []), ...(p.spec?.containers ?? [])];
  const found = all.find((c) => c.name === name);
  assert.ok(found, `container ${name} missing`);
  return found;
}

function env(c: V1Container, name: string): string | undefined {
  return c.env?.find((e) => e.name === name)?.value;
}

async function golden(name: string, value: unknown): Promise<void> {
  const file = new URL(`${name}.yaml`, GOLDEN_DIR);
  const text = stringifyYaml(JSON.parse(JSON.stringify(value)), { version: "1.1" });
  if (Deno.env.get("UPDATE_GOLDEN") === "1") {
    await Deno.mkdir(GOLDEN_DIR, { recursive: true });
    await Deno.writeTextFile(file, text);
  }
  const want = parseYaml(await Deno.readTextFile(file), { version: "1.1" });
  assert.deepEqual(JSON.parse(JSON.stringify(value)), want);
}

Deno.test("hello-world container pod matches the golden pod", async () => {
  await golden("hello-world", pod());
});

Deno.test("script pod matches the golden pod: source staged, path is the last argument", async () => {
  const script: Template = {
    name: "gen",
    script: { image: "python:3.12", command: ["python"], source: "print(42)\n" },
  };
  const p = pod({ template: script, podName: "wf-gen-123" });
  await golden("script", p);
  const main = container(p, "main");
  assert.deepEqual(main.args, [SCRIPT_SOURCE_PATH]);
  assert.deepEqual(main.command, [KUBERNETES_EXECUTOR_PATH, "exec", "emissary", "--", "python"]);
  assert.ok(
    main.volumeMounts?.some((m) => m.name === "argo-staging" && m.mountPath === "/argo/staging"),
  );
  assert.ok(container(p, "init").volumeMounts?.some((m) => m.name === "argo-staging"));
  assert.ok(p.spec?.volumes?.some((v) => v.name === "argo-staging" && v.emptyDir));
  const tmpl = JSON.parse(env(main, ENV.template) ?? "{}");
  assert.equal(tmpl.script.source, "print(42)\n", "init stages the source from ARGO_TEMPLATE");
  assert.equal(env(main, ENV.includeScriptOutput), "true");
});

Deno.test("pod layout: init, then wait, main and sidecars", () => {
  const p = pod({
    template: {
      ...HELLO,
      initContainers: [{ name: "prep", image: "alpine", command: ["true"] }],
      sidecars: [{ name: "db", image: "redis", command: ["redis-server"] }],
    },
  });
  assert.deepEqual(p.spec?.initContainers?.map((c) => c.name), ["init", "prep"]);
  assert.deepEqual(p.spec?.containers.map((c) => c.name), ["wait", "main", "db"]);
  assert.deepEqual(container(p, "init").command, ["argo-ts", "exec", "init"]);
  assert.deepEqual(container(p, "wait").command, ["argo-ts", "exec", "wait"]);
  assert.equal(container(p, "init").image, "argo-ts:v1");
  // sidecars run under emissary too, so wait can signal them
  assert.deepEqual(container(p, "db").command, [
    KUBERNETES_EXECUTOR_PATH,
    "exec",
    "emissary",
    "--",
    "redis-server",
  ]);
  // user init containers are not wrapped
  assert.deepEqual(container(p, "prep").command, ["true"]);
  for (const c of [...p.spec!.initContainers!, ...p.spec!.containers]) {
    assert.ok(
      c.volumeMounts?.some((m) => m.name === "var-run-argo" && m.mountPath === "/var/run/argo"),
      `${c.name} mounts /var/run/argo`,
    );
  }
});

Deno.test("executor command: absolute paths are used verbatim in main", () => {
  const host: ControllerConfig = {
    ...CONFIG,
    executor: { image: "host", command: ["/usr/bin/deno", "run", "-A", "/opt/argo-ts.js", "exec"] },
  };
  assert.deepEqual(executorCommandInMain(host), host.executor.command);
  assert.deepEqual(executorCommandInMain(CONFIG), [KUBERNETES_EXECUTOR_PATH, "exec"]);
  const p = pod({ config: host });
  assert.deepEqual(container(p, "main").command, [
    ...host.executor.command,
    "emissary",
    "--",
    "cowsay",
  ]);
  assert.deepEqual(container(p, "init").command, [...host.executor.command, "init"]);
});

Deno.test("command from the images table; args kept when given, taken when absent", () => {
  const noCmd: Template = {
    name: "m",
    container: { image: "docker/whalesay:latest", args: ["hi"] },
  };
  const main = container(pod({ template: noCmd }), "main");
  assert.deepEqual(main.command, [KUBERNETES_EXECUTOR_PATH, "exec", "emissary", "--", "cowsay"]);
  assert.deepEqual(main.args, ["hi"]);
  const config = { ...CONFIG, images: { "img:1": { cmd: ["/entry"], args: ["--default"] } } };
  const bare = container(
    pod({ config, template: { name: "m", container: { image: "img:1" } } }),
    "main",
  );
  assert.deepEqual(bare.args, ["--default"]);
});

Deno.test("missing command is an error naming the image and the images key", () => {
  const message = failure({ template: { name: "m", container: { image: "alpine:3.19" } } });
  assert.match(message, /alpine:3\.19/);
  assert.match(message, /"images"/);
  assert.match(message, /workflow-controller-configmap/);
  const sidecar = failure({
    template: { ...HELLO, sidecars: [{ name: "side", image: "nginx" }] },
  });
  assert.match(sidecar, /container "side".*nginx/);
});

Deno.test("mainContainer defaults merge under the template's container", () => {
  const config: ControllerConfig = {
    ...CONFIG,
    mainContainer: {
      imagePullPolicy: "IfNotPresent",
      resources: { requests: { cpu: "100m" }, limits: { memory: "1Gi" } },
      env: [{ name: "A", value: "default" }, { name: "B", value: "default" }],
    },
  };
  const template: Template = {
    name: "m",
    container: {
      image: "docker/whalesay:latest",
      command: ["cowsay"],
      resources: { limits: { memory: "2Gi" } },
      env: [{ name: "A", value: "mine" }],
    },
  };
  const main = container(pod({ config, template }), "main");
  assert.equal(main.imagePullPolicy, "IfNotPresent");
  assert.deepEqual(main.resources, { requests: { cpu: "100m" }, limits: { memory: "2Gi" } });
  assert.equal(env(main, "A"), "mine");
  assert.equal(env(main, "B"), "default");
});

Deno.test("sidecars and init containers mirror main's volume mounts on request", () => {
  const p = pod({
    workflow: workflow({ volumes: [{ name: "work", emptyDir: {} }] }),
    template: {
      ...HELLO,
      container: { ...HELLO.container!, volumeMounts: [{ name: "work", mountPath: "/work" }] },
      sidecars: [{ name: "s", image: "x", command: ["x"], mirrorVolumeMounts: true }],
      initContainers: [{ name: "i", image: "x", command: ["x"], mirrorVolumeMounts: true }],
    },
  });
  for (const name of ["s", "i"]) {
    const c = container(p, name);
    assert.ok(c.volumeMounts?.some((m) => m.name === "work" && m.mountPath === "/work"), name);
    assert.equal("mirrorVolumeMounts" in c, false);
  }
  assert.ok(
    container(p, "wait").volumeMounts?.some((m) =>
      m.name === "work" && m.mountPath === "/mainctrfs/work"
    ),
  );
});

Deno.test("volumes: only referenced workflow volumes, template volumes, claims from templates", () => {
  const p = pod({
    workflow: workflow({
      volumes: [{ name: "used", configMap: { name: "cm" } }, { name: "unused", emptyDir: {} }],
      volumeClaimTemplates: [{
        metadata: { name: "workdir" },
        spec: { accessModes: ["ReadWriteOnce"] },
      }],
    }),
    template: {
      ...HELLO,
      volumes: [{ name: "local", emptyDir: {} }],
      container: {
        ...HELLO.container!,
        volumeMounts: [
          { name: "used", mountPath: "/cfg" },
          { name: "workdir", mountPath: "/work" },
        ],
      },
    },
  });
  assert.deepEqual(p.spec?.volumes?.map((v) => v.name), [
    "var-run-argo",
    "local",
    "used",
    "workdir",
  ]);
  const claim = p.spec?.volumes?.find((v) => v.name === "workdir");
  assert.deepEqual(claim?.persistentVolumeClaim, { claimName: "hello-world-abcde-workdir" });
  // status.persistentVolumeClaims wins once the controller recorded the claims
  const wf = workflow({
    volumeClaimTemplates: [{ metadata: { name: "workdir" } }],
  });
  wf.status = {
    persistentVolumeClaims: [{ name: "workdir", persistentVolumeClaim: { claimName: "recorded" } }],
  };
  const p2 = pod({
    workflow: wf,
    template: {
      ...HELLO,
      container: { ...HELLO.container!, volumeMounts: [{ name: "workdir", mountPath: "/w" }] },
    },
  });
  assert.equal(
    p2.spec?.volumes?.find((v) => v.name === "workdir")?.persistentVolumeClaim?.claimName,
    "recorded",
  );
  const missing = failure({
    template: {
      ...HELLO,
      container: { ...HELLO.container!, volumeMounts: [{ name: "nope", mountPath: "/x" }] },
    },
  });
  assert.equal(missing, "volume 'nope' not found in workflow spec");
});

Deno.test("input artifacts: emptyDir mounted at each path; overlap and optional skipped", () => {
  const p = pod({
    workflow: workflow({ volumes: [{ name: "data", emptyDir: {} }] }),
    template: {
      ...HELLO,
      inputs: {
        artifacts: [
          { name: "code", path: "/src", s3: { key: "code.tgz" } },
          { name: "inside", path: "/data/x", s3: { key: "x" } },
          { name: "absent", path: "/opt", optional: true },
        ],
      },
      container: { ...HELLO.container!, volumeMounts: [{ name: "data", mountPath: "/data" }] },
    },
    config: { ...CONFIG, artifactRepository: { s3: { bucket: "b", endpoint: "minio:9000" } } },
  });
  const main = container(p, "main");
  assert.deepEqual(
    main.volumeMounts?.filter((m) => m.name === "input-artifacts"),
    [{ name: "input-artifacts", mountPath: "/src", subPath: "code" }],
  );
  const init = container(p, "init");
  assert.ok(
    init.volumeMounts?.some((m) =>
      m.name === "input-artifacts" && m.mountPath === "/argo/inputs/artifacts"
    ),
  );
  assert.ok(init.volumeMounts?.some((m) => m.name === "data" && m.mountPath === "/mainctrfs/data"));
  assert.match(
    failure({ template: { ...HELLO, inputs: { artifacts: [{ name: "a", s3: { key: "k" } }] } } }),
    /inputs\.artifacts\.a did not specify a path/,
  );
});

Deno.test("archive location comes from the repository; credentials stay Secret references", () => {
  const config: ControllerConfig = {
    ...CONFIG,
    artifactRepository: {
      s3: {
        bucket: "my-bucket",
        endpoint: "minio:9000",
        keyFormat: "{{workflow.creationTimestamp.Y}}/{{workflow.name}}/{{pod.name}}",
        accessKeySecret: { name: "my-s3", key: "accesskey" },
        secretKeySecret: { name: "my-s3", key: "secretkey" },
      },
    },
  };
  const template: Template = {
    ...HELLO,
    outputs: { artifacts: [{ name: "out", path: "/tmp/out" }] },
  };
  const p = pod({ config, template });
  const main = container(p, "main");
  const tmpl = JSON.parse(env(main, ENV.template) ?? "{}");
  assert.deepEqual(tmpl.archiveLocation, {
    s3: {
      bucket: "my-bucket",
      endpoint: "minio:9000",
      accessKeySecret: { name: "my-s3", key: "accesskey" },
      secretKeySecret: { name: "my-s3", key: "secretkey" },
      key: "2026/hello-world-abcde/hello-world-abcde",
    },
    archiveLogs: false,
  });
  const secretVolume = p.spec?.volumes?.find((v) => v.name === "my-s3");
  assert.deepEqual(secretVolume?.secret, {
    secretName: "my-s3",
    items: [{ key: "accesskey", path: "accesskey" }, { key: "secretkey", path: "secretkey" }],
  });
  for (const name of ["init", "wait"]) {
    assert.ok(
      container(p, name).volumeMounts?.some((m) =>
        m.mountPath === "/argo/secret/my-s3" && m.readOnly
      ),
    );
  }
  // filesystem repository (argo-ts extension)
  const fs = pod({
    config: { ...CONFIG, artifactRepository: { filesystem: { path: "/srv/artifacts" } } },
    template,
  });
  const fsTmpl = JSON.parse(env(container(fs, "wait"), ENV.template) ?? "{}");
  assert.deepEqual(fsTmpl.archiveLocation, {
    filesystem: { path: "/srv/artifacts", key: "hello-world-abcde/hello-world-abcde" },
    archiveLogs: false,
  });
  // nothing to archive: no archive location invented
  const plain = JSON.parse(env(container(pod({ config }), "main"), ENV.template) ?? "{}");
  assert.equal(plain.archiveLocation, undefined);
  // unknown variables in the key format are refused, as Argo's verifyResolvedVariables
  const bad: ControllerConfig = {
    ...CONFIG,
    artifactRepository: { s3: { bucket: "b", keyFormat: "{{oops}}" } },
  };
  assert.match(failure({ config: bad, template }), /failed to resolve \{\{oops\}\}/);
});

Deno.test("no secret value is copied into the pod: secretKeyRef stays a reference", () => {
  const template: Template = {
    ...HELLO,
    container: {
      ...HELLO.container!,
      env: [{ name: "TOKEN", valueFrom: { secretKeyRef: { name: "creds", key: "token" } } }],
    },
  };
  const p = pod({ template });
  const main = container(p, "main");
  assert.deepEqual(main.env?.find((e) => e.name === "TOKEN"), {
    name: "TOKEN",
    valueFrom: { secretKeyRef: { name: "creds", key: "token" } },
  });
  for (const c of [...p.spec!.initContainers!, ...p.spec!.containers]) {
    for (const e of c.env ?? []) {
      if (e.name === "TOKEN") assert.equal(e.value, undefined);
    }
  }
});

Deno.test("podSpecPatch: JSON and YAML, workflow then template", () => {
  const p = pod({
    workflow: workflow({
      podSpecPatch:
        '{"terminationGracePeriodSeconds": 10, "containers": [{"name": "main", "env": [{"name": "W", "value": "1"}]}]}',
    }),
    template: {
      ...HELLO,
      podSpecPatch:
        "containers:\n  - name: main\n    resources:\n      limits:\n        cpu: 500m\n",
    },
  });
  assert.equal(p.spec?.terminationGracePeriodSeconds, 10);
  const main = container(p, "main");
  assert.deepEqual(main.resources, { limits: { cpu: "500m" } });
  assert.equal(env(main, "W"), "1");
  assert.equal(env(main, ENV.terminationGracePeriodSeconds), "10");
  // a patch may set main's command before it is wrapped
  const cmd = pod({
    template: { ...HELLO, podSpecPatch: '{"containers":[{"name":"main","command":["echo"]}]}' },
  });
  assert.deepEqual(container(cmd, "main").command, [
    KUBERNETES_EXECUTOR_PATH,
    "exec",
    "emissary",
    "--",
    "echo",
  ]);
});

Deno.test("podSpecPatch that does not parse, or is not an object, is an error", () => {
  assert.match(
    failure({ template: { ...HELLO, podSpecPatch: "{not: [valid" } }),
    /invalid podSpecPatch/,
  );
  assert.match(failure({ template: { ...HELLO, podSpecPatch: "[1, 2]" } }), /invalid podSpecPatch/);
  assert.match(failure({ workflow: workflow({ podSpecPatch: "- a" }) }), /invalid podSpecPatch/);
});

Deno.test("hostile podSpecPatch: deep nesting is refused with an error, not a crash", () => {
  for (const depth of [150, 5000]) {
    const deep = "[".repeat(depth) + "]".repeat(depth);
    const message = failure({ template: { ...HELLO, podSpecPatch: `{"containers": ${deep}}` } });
    assert.match(message, /invalid podSpecPatch: .*nested .*deep/);
  }
  const objDeep = '{"a":'.repeat(3000) + "1" + "}".repeat(3000);
  assert.match(
    failure({ template: { ...HELLO, podSpecPatch: objDeep } }),
    /invalid podSpecPatch: .*nested .*deep/,
  );
});

Deno.test("exit handler pods are labelled and ignore the workflow deadline", () => {
  const deadline = "2026-11-26T11:00:00Z";
  const wf = workflow({ activeDeadlineSeconds: 300 });
  const exit = pod({ onExit: true, deadline, workflow: wf });
  assert.equal(exit.metadata?.labels?.["workflows.argoproj.io/on-exit"], "true");
  assert.equal(exit.spec?.activeDeadlineSeconds, undefined);
  assert.equal(env(container(exit, "main"), ENV.deadline), NO_DEADLINE);
  const normal = pod({ deadline, workflow: wf });
  assert.equal(normal.metadata?.labels?.["workflows.argoproj.io/on-exit"], undefined);
  assert.equal(env(container(normal, "wait"), ENV.deadline), deadline);
});

Deno.test("activeDeadlineSeconds: the template's, bounded by the workflow's", () => {
  const cases: [number | string | undefined, number | undefined, number | undefined][] = [
    [undefined, undefined, undefined],
    [60, undefined, 60],
    ["60", undefined, 60],
    [undefined, 300, 300],
    [60, 300, 60],
    [600, 300, 300],
  ];
  for (const [own, wf, want] of cases) {
    const p = pod({
      workflow: workflow(wf === undefined ? {} : { activeDeadlineSeconds: wf }),
      template: { ...HELLO, ...(own === undefined ? {} : { activeDeadlineSeconds: own }) },
    });
    assert.equal(p.spec?.activeDeadlineSeconds, want, `template ${own}, workflow ${wf}`);
  }
  assert.match(
    failure({ template: { ...HELLO, activeDeadlineSeconds: "soon" } }),
    /activeDeadlineSeconds/,
  );
});

Deno.test("serviceAccountName: template over workflow; automount false needs an executor account", () => {
  assert.equal(pod().spec?.serviceAccountName, undefined);
  assert.equal(
    pod({ workflow: workflow({ serviceAccountName: "wf-sa" }) }).spec?.serviceAccountName,
    "wf-sa",
  );
  assert.equal(
    pod({
      workflow: workflow({ serviceAccountName: "wf-sa" }),
      template: { ...HELLO, serviceAccountName: "t-sa" },
    })
      .spec?.serviceAccountName,
    "t-sa",
  );
  assert.match(
    failure({ workflow: workflow({ automountServiceAccountToken: false }) }),
    /executor\.serviceAccountName must not be empty/,
  );
});

Deno.test("scheduling fields: template over workflow, host aliases add up", () => {
  const p = pod({
    workflow: workflow({
      nodeSelector: { disk: "ssd" },
      tolerations: [{ key: "wf" }],
      schedulerName: "wf-sched",
      podPriorityClassName: "low",
      hostAliases: [{ ip: "10.0.0.1", hostnames: ["a"] }],
      securityContext: { runAsUser: 1000 },
      imagePullSecrets: [{ name: "pull" }],
      hostNetwork: true,
      dnsPolicy: "None",
      dnsConfig: { nameservers: ["1.1.1.1"] },
    }),
    template: {
      ...HELLO,
      nodeSelector: { zone: "a" },
      priorityClassName: "high",
      hostAliases: [{ ip: "10.0.0.2", hostnames: ["b"] }],
    },
  });
  const s = p.spec!;
  assert.deepEqual(s.nodeSelector, { zone: "a" });
  assert.deepEqual(s.tolerations, [{ key: "wf" }]);
  assert.equal(s.schedulerName, "wf-sched");
  assert.equal(s.priorityClassName, "high");
  assert.deepEqual(s.hostAliases?.map((h) => h.ip), ["10.0.0.1", "10.0.0.2"]);
  assert.deepEqual(s.securityContext, { runAsUser: 1000 });
  assert.deepEqual(s.imagePullSecrets, [{ name: "pull" }]);
  assert.equal(s.hostNetwork, true);
  assert.equal(s.dnsPolicy, "None");
  assert.deepEqual(s.dnsConfig, { nameservers: ["1.1.1.1"] });
});

Deno.test("labels and annotations: workflow podMetadata, then template metadata, then ours", () => {
  const p = pod({
    workflow: workflow({
      podMetadata: {
        labels: { team: "wf", tier: "wf", "workflows.argoproj.io/workflow": "hijack" },
        annotations: { note: "wf" },
      },
    }),
    template: {
      ...HELLO,
      metadata: { labels: { tier: "tmpl" }, annotations: { note: "tmpl", extra: "x" } },
    },
    config: { ...CONFIG, instanceID: "i1" },
  });
  assert.deepEqual(p.metadata?.labels, {
    team: "wf",
    tier: "tmpl",
    "workflows.argoproj.io/workflow": "hello-world-abcde",
    "workflows.argoproj.io/completed": "false",
    "workflows.argoproj.io/controller-instanceid": "i1",
  });
  assert.equal(p.metadata?.annotations?.note, "tmpl");
  assert.equal(p.metadata?.annotations?.extra, "x");
  assert.equal(p.metadata?.annotations?.["workflows.argoproj.io/node-id"], "hello-world-abcde");
  assert.equal(p.metadata?.annotations?.["kubectl.kubernetes.io/default-container"], "main");
  assert.equal(env(container(p, "wait"), ENV.instanceId), "i1");
});

Deno.test("environment handed to init, wait, main and sidecars", () => {
  const p = pod({
    template: {
      ...HELLO,
      inputs: { parameters: [{ name: "msg", value: "hi" }] },
      sidecars: [{ name: "s", image: "x", command: ["x"] }],
    },
    config: { ...CONFIG, executor: { ...CONFIG.executor, env: [{ name: "EXTRA", value: "1" }] } },
  });
  for (const name of ["init", "wait", "main"]) {
    const c = container(p, name);
    assert.equal(env(c, ENV.containerName), name);
    assert.equal(env(c, ENV.nodeId), "hello-world-abcde");
    assert.equal(env(c, ENV.workflowName), "hello-world-abcde");
    assert.equal(env(c, ENV.workflowUid), "0b5e7f4c-1111-2222-3333-444455556666");
    assert.equal(env(c, ENV.progressFile), "/var/run/argo/progress");
    assert.equal(env(c, ENV.deadline), NO_DEADLINE);
    assert.equal(env(c, ENV.includeScriptOutput), "true");
    const tmpl = JSON.parse(env(c, ENV.template) ?? "null");
    assert.equal(tmpl.name, "main");
    assert.equal(tmpl.inputs.parameters, undefined, "input parameters are already substituted");
    const uid = c.env?.find((e) => e.name === ENV.podUid);
    assert.deepEqual(uid?.valueFrom, { fieldRef: { apiVersion: "v1", fieldPath: "metadata.uid" } });
    const podName = c.env?.find((e) => e.name === ENV.podName);
    assert.deepEqual(podName?.valueFrom, {
      fieldRef: { apiVersion: "v1", fieldPath: "metadata.name" },
    });
  }
  assert.equal(env(container(p, "wait"), "EXTRA"), "1");
  assert.equal(env(container(p, "main"), "EXTRA"), undefined);
  const side = container(p, "s");
  assert.equal(env(side, ENV.containerName), "s");
  assert.equal(env(side, ENV.template), undefined);
  assert.equal(env(side, ENV.includeScriptOutput), "false");
});

Deno.test("owner reference and metadata", () => {
  const p = pod();
  assert.equal(p.metadata?.name, "hello-world-abcde");
  assert.equal(p.metadata?.namespace, "argo");
  assert.deepEqual(p.metadata?.ownerReferences, [{
    apiVersion: "argoproj.io/v1alpha1",
    kind: "Workflow",
    name: "hello-world-abcde",
    uid: "0b5e7f4c-1111-2222-3333-444455556666",
    controller: true,
    blockOwnerDeletion: true,
  }]);
  assert.equal(p.spec?.restartPolicy, "Never");
});

Deno.test("pure: deterministic and the input is not modified", () => {
  const i = input({
    template: {
      ...HELLO,
      sidecars: [{ name: "s", image: "x", command: ["x"], mirrorVolumeMounts: true }],
    },
  });
  const before = structuredClone(i);
  const a = buildPod(i);
  const b = buildPod(i);
  assert.deepEqual(a, b);
  assert.deepEqual(i, before);
});

Deno.test("templates that are not container or script are refused", () => {
  assert.match(
    failure({ template: { name: "s", suspend: {} } }),
    /not a container or script template/,
  );
});

Deno.test("key-only artifacts get the repository as archive location; complete ones do not", () => {
  const config: ControllerConfig = {
    ...CONFIG,
    artifactRepository: { s3: { bucket: "b", endpoint: "minio:9000" } },
  };
  const keyOnly: Template = {
    ...HELLO,
    inputs: { artifacts: [{ name: "in", path: "/in", s3: { key: "some/key" } }] },
  };
  const tmpl = JSON.parse(
    env(container(pod({ config, template: keyOnly }), "init"), ENV.template)!,
  );
  assert.equal(tmpl.archiveLocation.s3.bucket, "b");
  assert.deepEqual(tmpl.inputs.artifacts[0].s3, { key: "some/key" });
  const complete: Template = {
    ...HELLO,
    inputs: {
      artifacts: [{
        name: "in",
        path: "/in",
        s3: { endpoint: "e:9000", bucket: "other", key: "k" },
      }, { name: "r", path: "/r", raw: { data: "" } }],
    },
  };
  const t2 = JSON.parse(env(container(pod({ config, template: complete }), "init"), ENV.template)!);
  assert.equal(t2.archiveLocation, undefined);
  // archive logs need a location even without artifacts
  const logs = pod({
    config: { ...CONFIG, artifactRepository: { archiveLogs: true, s3: { bucket: "b" } } },
  });
  const t3 = JSON.parse(env(container(logs, "wait"), ENV.template)!);
  assert.deepEqual(t3.archiveLocation, {
    s3: { bucket: "b", key: "hello-world-abcde/hello-world-abcde" },
    archiveLogs: true,
  });
});

Deno.test("a pod with sidecars, volumes, claims and artifacts matches the golden pod", async () => {
  const wf = workflow({
    serviceAccountName: "runner",
    volumes: [{ name: "cfg", configMap: { name: "settings" } }],
    volumeClaimTemplates: [{
      metadata: { name: "workdir" },
      spec: { accessModes: ["ReadWriteOnce"] },
    }],
    podMetadata: { labels: { team: "data" } },
  });
  const template: Template = {
    name: "process",
    metadata: { annotations: { purpose: "golden" } },
    inputs: { artifacts: [{ name: "data", path: "/in/data", s3: { key: "wf/data.tgz" } }] },
    outputs: { artifacts: [{ name: "report", path: "/work/report.txt" }] },
    container: {
      image: "python:3.12",
      args: ["-c", "print(1)"],
      volumeMounts: [{ name: "workdir", mountPath: "/work" }, {
        name: "cfg",
        mountPath: "/etc/cfg",
      }],
    },
    sidecars: [{
      name: "cache",
      image: "redis",
      command: ["redis-server"],
      mirrorVolumeMounts: true,
    }],
    activeDeadlineSeconds: 120,
  };
  const config: ControllerConfig = {
    ...CONFIG,
    artifactRepository: {
      s3: {
        bucket: "artifacts",
        endpoint: "minio:9000",
        insecure: true,
        accessKeySecret: { name: "minio-creds", key: "accesskey" },
        secretKeySecret: { name: "minio-creds", key: "secretkey" },
      },
    },
  };
  await golden(
    "sidecars-volumes-artifacts",
    pod({
      workflow: wf,
      template,
      config,
      podName: "hello-world-abcde-process-1234567890",
      node: {
        id: "hello-world-abcde-1234567890",
        name: "hello-world-abcde.process",
        displayName: "process",
        templateName: "process",
      },
      deadline: "2026-11-26T11:20:30Z",
    }),
  );
});

Deno.test("the filesystem artifact repository is mounted into init and wait at its path", async () => {
  const { buildPod: build, ARTIFACT_REPOSITORY_VOLUME } = await import("./pod_spec.ts");
  const result = build({
    workflow: {
      apiVersion: "argoproj.io/v1alpha1",
      kind: "Workflow",
      metadata: { name: "wf", namespace: "argo", uid: "u1" },
      spec: { entrypoint: "main", templates: [] },
    },
    node: { id: "wf", name: "wf", displayName: "wf", templateName: "main" },
    podName: "wf",
    template: { name: "main", container: { image: "alpine", command: ["true"] } },
    config: {
      executor: { image: "argo-ts", command: ["/usr/bin/argo-ts", "exec"] },
      artifactRepository: { filesystem: { path: "/var/lib/argo-ts/artifacts" } },
    },
    onExit: false,
  });
  if (!result.ok) throw new Error(result.message);
  const spec = result.pod.spec!;
  const volume = spec.volumes!.find((v) => v.name === ARTIFACT_REPOSITORY_VOLUME);
  if (volume?.hostPath?.path !== "/var/lib/argo-ts/artifacts") {
    throw new Error("no repository volume");
  }
  for (
    const container of [
      spec.initContainers![0],
      spec.containers.find((c) => c.name === "wait")!,
    ]
  ) {
    const mount = container.volumeMounts!.find((m) => m.name === ARTIFACT_REPOSITORY_VOLUME);
    if (mount?.mountPath !== "/var/lib/argo-ts/artifacts") {
      throw new Error(`${container.name} lacks it`);
    }
  }
  const main = spec.containers.find((c) => c.name === "main")!;
  if (main.volumeMounts?.some((m) => m.name === ARTIFACT_REPOSITORY_VOLUME)) {
    throw new Error("main must not see the repository");
  }
});
