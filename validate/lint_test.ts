/**
 * Every lint rule with a passing and a failing case. The YAML here is written for these tests;
 * the expected findings follow Argo's documented validation behaviour.
 */
import assert from "node:assert/strict";
import { loadSource } from "../api/source.ts";
import { type Finding, lintDocuments } from "./mod.ts";

function lint(...files: string[]): Finding[] {
  const documents = files.flatMap((text, i) => {
    const loaded = loadSource(text, `f${i}.yaml`);
    assert.deepEqual(loaded.problems, [], `fixture ${i} must parse`);
    return loaded.documents;
  });
  return lintDocuments(documents).findings;
}

function errors(...files: string[]): Finding[] {
  return lint(...files).filter((f) => f.severity === "error");
}

/** Asserts exactly one error with this rule, returning it for more checks. */
function expectOne(findings: Finding[], rule: string, messagePart?: string): Finding {
  const matching = findings.filter((f) => f.rule === rule);
  assert.equal(
    matching.length,
    1,
    `expected one ${rule} finding, got:\n${
      findings.map((f) => `${f.rule}: ${f.message}`).join("\n")
    }`,
  );
  if (messagePart) assert.ok(matching[0].message.includes(messagePart), matching[0].message);
  return matching[0];
}

function expectClean(...files: string[]): void {
  const found = errors(...files);
  assert.deepEqual(found.map((f) => `${f.path}: ${f.message}`), []);
}

const HEAD = `apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata:
  generateName: t-
`;

/** A workflow with the given spec body (indented two spaces under `spec:`). */
function wf(spec: string): string {
  return `${HEAD}spec:\n${spec}`;
}

const HELLO = wf(`  entrypoint: main
  templates:
    - name: main
      container:
        image: alpine
        command: [echo, hi]
`);

Deno.test("a minimal workflow is clean", () => expectClean(HELLO));

Deno.test("kind and apiVersion", async (t) => {
  await t.step("wrong apiVersion for an Argo kind", () => {
    expectOne(errors(HELLO.replace("argoproj.io/v1alpha1", "argoproj.io/v1")), "kind/api-version");
  });
  await t.step("unknown Argo kind suggests the real one", () => {
    const finding = expectOne(
      errors(HELLO.replace("kind: Workflow", "kind: Workflw")),
      "kind/unknown",
    );
    assert.equal(finding.suggestion, "Workflow");
    assert.equal(finding.line, 2);
  });
  await t.step("missing kind", () => {
    expectOne(errors(HELLO.replace("kind: Workflow\n", "")), "kind/missing");
  });
  await t.step("a list is not an object", () => {
    expectOne(errors("- a\n- b\n"), "kind/object");
  });
  await t.step("other Kubernetes objects are passed over", () => {
    const config = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\ndata:\n  a: b\n";
    const result = lintDocuments(loadSource(config + "---\n" + HELLO, "x.yaml").documents);
    assert.equal(result.skipped, 1);
    assert.equal(result.checked, 1);
    assert.deepEqual(result.findings, []);
  });
  await t.step("metadata.name or generateName is required", () => {
    expectOne(errors(HELLO.replace("  generateName: t-\n", "  labels: {a: b}\n")), "metadata/name");
  });
});

Deno.test("schema", async (t) => {
  await t.step("unknown field is an error on the key, with a suggestion", () => {
    const finding = expectOne(
      errors(HELLO.replace("container:", "contianer:")),
      "schema/unknown-field",
    );
    assert.equal(finding.suggestion, "container");
    assert.equal(finding.path, "spec.templates[0].contianer");
    assert.equal(finding.line, 9);
    assert.equal(finding.col, 7);
    assert.equal(finding.length, "contianer".length);
  });
  await t.step("wrong type", () => {
    const finding = expectOne(
      errors(HELLO.replace("  entrypoint: main\n", "  entrypoint: main\n  parallelism: two\n")),
      "schema/type",
    );
    assert.equal(finding.path, "spec.parallelism");
  });
  await t.step("integers and strings both fit IntOrString", () => {
    expectClean(
      HELLO.replace("  entrypoint: main\n", "  entrypoint: main\n  activeDeadlineSeconds: 30\n"),
    );
  });
  await t.step("required field missing", () => {
    const yaml = wf(`  entrypoint: main
  arguments:
    parameters:
      - value: x
  templates:
    - name: main
      container: {image: alpine, command: [echo]}
`);
    expectOne(errors(yaml), "schema/required", `"name"`);
  });
  await t.step("a parameter value (Argo's AnyString) takes any scalar, yes included", () => {
    const yaml = wf(`  entrypoint: main
  arguments:
    parameters:
      - name: flag
        value: yes
  templates:
    - name: main
      container: {image: alpine, command: [echo]}
`);
    assert.deepEqual(lint(yaml).map((f) => f.message), []);
  });
  await t.step("a map where a string belongs", () => {
    expectOne(errors(HELLO.replace("image: alpine", "image: {name: alpine}")), "schema/type");
  });
});

Deno.test("entrypoint", async (t) => {
  await t.step("required for a Workflow", () => {
    expectOne(errors(HELLO.replace("  entrypoint: main\n", "")), "entrypoint/required");
  });
  await t.step("optional for a WorkflowTemplate", () => {
    const template = HELLO.replace("kind: Workflow", "kind: WorkflowTemplate")
      .replace("generateName: t-", "name: lib").replace("  entrypoint: main\n", "");
    expectClean(template);
  });
  await t.step("must name a template, with a suggestion", () => {
    const finding = expectOne(
      errors(HELLO.replace("entrypoint: main", "entrypoint: mian")),
      "entrypoint/undefined",
    );
    assert.equal(finding.suggestion, "main");
    assert.equal(finding.line, 6);
  });
});

Deno.test("template types", async (t) => {
  await t.step("none", () => {
    const yaml = wf(`  entrypoint: main
  templates:
    - name: main
      inputs: {}
`);
    expectOne(errors(yaml), "template/type", "template type unspecified");
  });
  await t.step("more than one", () => {
    const yaml = wf(`  entrypoint: main
  templates:
    - name: main
      container: {image: alpine, command: [echo]}
      suspend: {}
`);
    expectOne(errors(yaml), "template/type", "multiple template types specified");
  });
  await t.step("template names are unique and valid", () => {
    const yaml = wf(`  entrypoint: main
  templates:
    - name: main
      container: {image: alpine, command: [echo]}
    - name: main
      suspend: {}
    - name: bad_name
      suspend: {}
`);
    const found = errors(yaml).filter((f) => f.rule === "template/name");
    assert.equal(found.length, 2);
  });
});

const STEPS = (steps: string, extra = "") =>
  wf(`  entrypoint: main
  templates:
    - name: main
      steps:
${steps}
    - name: echo
      inputs:
        parameters:
          - name: message
      container:
        image: alpine
        command: [echo, "{{inputs.parameters.message}}"]
    - name: gen
      script:
        image: python:3.12-alpine
        command: [python3]
        source: print(1)
${extra}`);

Deno.test("steps", async (t) => {
  await t.step("valid steps referencing earlier groups", () => {
    expectClean(STEPS(`        - - name: a
            template: gen
        - - name: b
            template: echo
            arguments:
              parameters: [{name: message, value: "{{steps.a.outputs.result}}"}]`));
  });
  await t.step("undefined template, with a suggestion", () => {
    const finding = expectOne(
      errors(STEPS(`        - - name: a
            template: gne`)),
      "reference/template",
    );
    assert.equal(finding.suggestion, "gen");
    assert.equal(finding.path, "spec.templates[0].steps[0][0].template");
  });
  await t.step("step names are unique", () => {
    expectOne(
      errors(STEPS(`        - - name: a
            template: gen
          - name: a
            template: gen`)),
      "steps/name",
      "is not unique",
    );
  });
  await t.step("a step cannot use the outputs of its own group", () => {
    const finding = expectOne(
      errors(STEPS(`        - - name: a
            template: gen
          - name: b
            template: echo
            arguments:
              parameters: [{name: message, value: "{{steps.a.outputs.result}}"}]`)),
      "variables/unresolved",
    );
    assert.ok(finding.message.includes("same or a later step group"));
  });
  await t.step("required input not supplied", () => {
    expectOne(
      errors(STEPS(`        - - name: a
            template: echo`)),
      "arguments/not-supplied",
      "inputs.parameters.message was not supplied",
    );
  });
  await t.step("an argument the template does not declare is a warning", () => {
    const findings = lint(STEPS(`        - - name: a
            template: gen
            arguments:
              parameters: [{name: nope, value: x}]`));
    assert.equal(findings.filter((f) => f.severity === "error").length, 0);
    expectOne(findings, "arguments/unused");
  });
  await t.step("only one loop kind", () => {
    expectOne(
      errors(STEPS(`        - - name: a
            template: gen
            withItems: [1, 2]
            withParam: "[1]"`)),
      "loops/one",
    );
  });
  await t.step("item only inside loops", () => {
    expectOne(
      errors(STEPS(`        - - name: a
            template: echo
            arguments:
              parameters: [{name: message, value: "{{item}}"}]`)),
      "variables/unresolved",
      "item",
    );
    expectClean(STEPS(`        - - name: a
            template: echo
            arguments:
              parameters: [{name: message, value: "{{item.x}}"}]
            withItems: [{x: 1}, {x: 2}]`));
    expectClean(STEPS(`        - - name: a
            template: echo
            arguments:
              parameters: [{name: message, value: "{{item.anything}}"}]
            withParam: "[]"`));
  });
  await t.step("when must parse", () => {
    expectOne(
      errors(STEPS(`        - - name: a
            template: gen
            when: "(a == b"`)),
      "when/syntax",
    );
    expectClean(STEPS(`        - - name: a
            template: gen
        - - name: b
            template: gen
            when: "{{steps.a.outputs.result}} == heads"`));
  });
});

const DAG = (tasks: string) =>
  wf(`  entrypoint: main
  templates:
    - name: main
      dag:
        tasks:
${tasks}
    - name: gen
      script:
        image: alpine
        command: [sh]
        source: echo 1
    - name: echo
      inputs:
        parameters: [{name: m}]
      container:
        image: alpine
        command: [echo, "{{inputs.parameters.m}}"]
`);

Deno.test("dag", async (t) => {
  await t.step("a diamond with depends is clean", () => {
    expectClean(DAG(`          - {name: a, template: gen}
          - {name: b, template: gen, depends: a}
          - {name: c, template: gen, depends: "a.Succeeded"}
          - name: d
            template: echo
            depends: "b && c"
            arguments: {parameters: [{name: m, value: "{{tasks.a.outputs.result}}"}]}`));
  });
  await t.step("dependency not defined, in dependencies", () => {
    const finding = expectOne(
      errors(DAG(`          - {name: a, template: gen}
          - {name: b, template: gen, dependencies: [aa]}`)),
      "dag/dependency",
    );
    assert.equal(finding.suggestion, "a");
  });
  await t.step("dependency not defined, in depends, points at the name", () => {
    const finding = expectOne(
      errors(DAG(`          - {name: alpha, template: gen}
          - {name: b, template: gen, depends: "alpha.Succeeded || alpah"}`)),
      "dag/dependency",
    );
    assert.equal(finding.suggestion, "alpha");
    assert.equal(
      finding.sourceLine.slice(finding.col - 1, finding.col - 1 + finding.length),
      "alpah",
    );
  });
  await t.step("cycle", () => {
    expectOne(
      errors(DAG(`          - {name: a, template: gen, depends: c}
          - {name: b, template: gen, depends: a}
          - {name: c, template: gen, depends: b}`)),
      "dag/cycle",
      "dependency cycle detected",
    );
  });
  await t.step("depends and dependencies are not mixed", () => {
    const found = errors(DAG(`          - {name: a, template: gen}
          - {name: b, template: gen, depends: a}
          - {name: c, template: gen, dependencies: [a]}`));
    assert.ok(
      found.some((f) => f.message.includes("cannot use both 'depends' and 'dependencies'")),
    );
  });
  await t.step("continueOn with depends", () => {
    const found = errors(DAG(`          - {name: a, template: gen, continueOn: {failed: true}}
          - {name: b, template: gen, depends: a}`));
    assert.ok(
      found.some((f) => f.message.includes("cannot use 'continueOn' when using 'depends'")),
    );
  });
  await t.step("depends must parse", () => {
    expectOne(
      errors(DAG(`          - {name: a, template: gen}
          - {name: b, template: gen, depends: "a &&"}`)),
      "dag/depends",
    );
  });
  await t.step("a task sees only its ancestors' outputs", () => {
    const finding = expectOne(
      errors(DAG(`          - {name: a, template: gen}
          - name: b
            template: echo
            arguments: {parameters: [{name: m, value: "{{tasks.a.outputs.result}}"}]}`)),
      "variables/unresolved",
    );
    assert.ok(finding.message.includes("not a dependency"));
  });
  await t.step("target must exist", () => {
    const yaml = DAG(`          - {name: a, template: gen}`).replace(
      "      dag:\n",
      "      dag:\n        target: zz\n",
    );
    expectOne(errors(yaml), "dag/target");
  });
  await t.step("task names may not start with a digit", () => {
    expectOne(
      errors(DAG(`          - {name: 1a, template: gen}`)),
      "dag/name",
      "cannot begin with a digit",
    );
  });
  await t.step("items conditions need a loop", () => {
    expectOne(
      errors(DAG(`          - {name: a, template: gen}
          - {name: b, template: gen, depends: a.AnySucceeded}`)),
      "dag/depends",
      "items-based condition",
    );
  });
});

Deno.test("variables", async (t) => {
  const withArg = (tag: string, extra = "") =>
    wf(`  entrypoint: main${extra}
  arguments:
    parameters: [{name: who, value: world}]
  templates:
    - name: main
      inputs:
        parameters: [{name: message, value: hi}]
      container:
        image: alpine
        command: [echo, "${tag}"]
`);
  await t.step("a typo in an input name gets a position and a suggestion", () => {
    const finding = expectOne(
      errors(withArg("{{inputs.paramters.message}}")),
      "variables/unresolved",
    );
    assert.equal(finding.suggestion, "inputs.parameters.message");
    assert.equal(finding.message, "failed to resolve {{inputs.paramters.message}}");
    assert.equal(finding.line, 15);
    assert.equal(
      finding.sourceLine.slice(finding.col - 1).startsWith("{{inputs.paramters.message}}"),
      true,
    );
  });
  await t.step("global parameters and workflow fields resolve", () => {
    expectClean(
      withArg(
        "{{workflow.parameters.who}} {{workflow.name}} {{inputs.parameters.message}} {{pod.name}}",
      ),
    );
  });
  await t.step("unknown prefixes are left alone", () => {
    expectClean(withArg("{{custom.thing}} {{ something }}"));
  });
  await t.step("workflow.status only in exit handlers", () => {
    expectOne(errors(withArg("{{workflow.status}}")), "variables/unresolved", "exit handlers");
    const yaml = wf(`  entrypoint: main
  onExit: bye
  templates:
    - name: main
      container: {image: alpine, command: [echo]}
    - name: bye
      container: {image: alpine, command: [echo, "{{workflow.status}} {{workflow.failures}}"]}
`);
    expectClean(yaml);
  });
  await t.step("expression tags are checked for syntax and variables", () => {
    expectOne(errors(withArg("{{= inputs.parameters.message + }}")), "expression/syntax");
    expectOne(errors(withArg("{{= inputs.parameters.mesage }}")), "variables/unresolved");
    expectClean(withArg("{{= sprig.upper(inputs.parameters['message']) }}"));
  });
  await t.step("unbalanced braces", () => {
    expectOne(errors(withArg("{{inputs.parameters.message")), "variables/syntax");
  });
});

Deno.test("outputs, timeouts and leaf rules", async (t) => {
  const one = (template: string) =>
    wf(`  entrypoint: main
  templates:
    - name: main
${template}`);
  await t.step("output parameter needs value or valueFrom", () => {
    expectOne(
      errors(one(`      container: {image: alpine, command: [echo]}
      outputs:
        parameters: [{name: out}]`)),
      "outputs/parameter",
      "does not have valueFrom or value",
    );
    expectClean(one(`      container: {image: alpine, command: [echo]}
      outputs:
        parameters: [{name: out, valueFrom: {path: /tmp/out}}]`));
  });
  await t.step("output artifact of a container needs a path", () => {
    expectOne(
      errors(one(`      container: {image: alpine, command: [echo]}
      outputs:
        artifacts: [{name: out}]`)),
      "artifacts/path",
    );
  });
  await t.step("timeout needs a unit and a leaf template", () => {
    expectOne(
      errors(one(`      timeout: "30"
      container: {image: alpine, command: [echo]}`)),
      "template/timeout",
      "invalid duration",
    );
    expectClean(one(`      timeout: 30s
      container: {image: alpine, command: [echo]}`));
  });
  await t.step("parallelism only on steps and dag", () => {
    expectOne(
      errors(one(`      parallelism: 2
      container: {image: alpine, command: [echo]}`)),
      "template/parallelism",
    );
  });
  await t.step("image may not be empty unless templateDefaults gives one", () => {
    expectOne(errors(one(`      container: {command: [echo]}`)), "template/image");
    expectClean(wf(`  entrypoint: main
  templateDefaults:
    container: {image: alpine}
  templates:
    - name: main
      container: {command: [echo]}
`));
  });
  await t.step("retry policy and podGC strategy", () => {
    expectOne(
      errors(one(`      retryStrategy: {limit: 2, retryPolicy: OnFailur}
      container: {image: alpine, command: [echo]}`)),
      "template/retry-policy",
    );
    expectOne(
      errors(
        HELLO.replace("  entrypoint: main\n", "  entrypoint: main\n  podGC: {strategy: Never}\n"),
      ),
      "spec/pod-gc",
    );
  });
  await t.step("resource action", () => {
    expectOne(
      errors(one(`      resource: {action: crate, manifest: "a: b"}`)),
      "template/resource",
    );
    expectClean(one(`      resource: {action: create, manifest: "a: b"}`));
  });
  await t.step("metric names and help", () => {
    expectOne(
      errors(one(`      metrics:
        prometheus: [{name: "bad-name", help: h, counter: {value: "1"}}]
      container: {image: alpine, command: [echo]}`)),
      "metrics/name",
    );
  });
});

Deno.test("template references across files", async (t) => {
  const library = `apiVersion: argoproj.io/v1alpha1
kind: WorkflowTemplate
metadata:
  name: lib
spec:
  templates:
    - name: say
      inputs: {parameters: [{name: what}]}
      container: {image: alpine, command: [echo, "{{inputs.parameters.what}}"]}
`;
  const user = STEPS(`        - - name: a
            templateRef: {name: lib, template: say}
            arguments: {parameters: [{name: what, value: x}]}`);
  await t.step("resolves when the template's file is linted too", () => expectClean(user, library));
  await t.step("missing WorkflowTemplate", () => {
    expectOne(errors(user), "reference/template", "not found among the files linted");
  });
  await t.step("missing template inside it", () => {
    const finding = expectOne(
      errors(user.replace("template: say", "template: sya"), library),
      "reference/template",
    );
    assert.equal(finding.suggestion, "say");
  });
  await t.step("workflowTemplateRef", () => {
    const byRef = wf(`  workflowTemplateRef: {name: lib}
  entrypoint: say
  arguments: {parameters: [{name: what, value: x}]}
`);
    expectClean(byRef, library);
    expectOne(errors(byRef.replace("name: lib", "name: lbi"), library), "reference/template");
  });
});

Deno.test("cron workflows", async (t) => {
  const cron = (spec: string) =>
    `apiVersion: argoproj.io/v1alpha1
kind: CronWorkflow
metadata:
  name: c
spec:
${spec}  workflowSpec:
    entrypoint: main
    templates:
      - name: main
        container: {image: alpine, command: [date]}
`;
  await t.step(
    "valid",
    () =>
      expectClean(
        cron(
          `  schedules: ["*/5 * * * *", "0 9 * * MON-FRI", "@hourly"]\n  timezone: Europe/Paris\n`,
        ),
      ),
  );
  await t.step("malformed schedule", () => {
    expectOne(errors(cron(`  schedules: ["61 * * * *"]\n`)), "cron/schedule", "malformed");
    expectOne(
      errors(cron(`  schedules: ["* * *"]\n`)),
      "cron/schedule",
      "expected exactly 5 fields",
    );
  });
  await t.step("unknown time zone", () => {
    expectOne(
      errors(cron(`  schedules: ["* * * * *"]\n  timezone: Mars/Olympus\n`)),
      "cron/timezone",
    );
  });
  await t.step("concurrency policy", () => {
    expectOne(
      errors(cron(`  schedules: ["* * * * *"]\n  concurrencyPolicy: Forbidd\n`)),
      "cron/concurrency-policy",
    );
  });
});

Deno.test("lint of a 5,000-task DAG stays fast and finds the one typo", () => {
  const tasks = Array.from(
    { length: 5000 },
    (_, i) =>
      `          - {name: t${i}, template: gen${i === 4999 ? "x" : ""}${
        i > 0 ? `, depends: t${i - 1}` : ""
      }}`,
  ).join("\n");
  const started = performance.now();
  const found = errors(DAG(tasks));
  const elapsed = performance.now() - started;
  assert.equal(found.length, 1);
  assert.equal(found[0].rule, "reference/template");
  // Not a timing assertion: printed so a regression to quadratic work is visible in the log.
  console.log(`5,000-task DAG linted in ${elapsed.toFixed(0)} ms`);
});

Deno.test("more rules, each failing and passing", async (t) => {
  const one = (template: string, specExtra = "") =>
    wf(`  entrypoint: main
${specExtra}  templates:
    - name: main
${template}`);
  const ok = `      container: {image: alpine, command: [echo]}`;
  await t.step("parameter names: valid and unique", () => {
    const found = errors(one(`      inputs:
        parameters: [{name: "bad name"}, {name: a, value: "1"}, {name: a, value: "2"}]
${ok}`));
    assert.equal(found.filter((f) => f.rule === "names/invalid").length, 1);
    assert.equal(found.filter((f) => f.rule === "names/unique").length, 1);
    expectClean(one(`      inputs:
        parameters: [{name: my_param-1, value: "1"}]
${ok}`));
  });
  await t.step("argument value must be in its enum", () => {
    const spec = (value: string) =>
      one(
        ok,
        `  arguments:
    parameters: [{name: env, value: ${value}, enum: [dev, prod]}]
`,
      );
    expectOne(errors(spec("stage")), "arguments/enum", "should be present in");
    expectClean(spec("prod"));
  });
  await t.step("artifact arguments use from or fromExpression, not both", () => {
    const spec = one(
      ok,
      `  arguments:
    artifacts: [{name: a, from: "x", fromExpression: "y"}]
`,
    );
    expectOne(errors(spec), "arguments/artifact");
  });
  await t.step("script needs source", () => {
    expectOne(errors(one(`      script: {image: alpine, command: [sh]}`)), "template/script");
    expectClean(one(`      script: {image: alpine, command: [sh], source: "echo hi"}`));
  });
  await t.step("suspend duration must parse", () => {
    expectOne(errors(one(`      suspend: {duration: "5 minutes"}`)), "template/suspend");
    expectClean(one(`      suspend: {duration: "5m"}`));
    expectClean(one(`      suspend: {duration: "20"}`));
  });
  await t.step("a mount path is used once", () => {
    expectOne(
      errors(one(`      container:
        image: alpine
        command: [ls]
        volumeMounts: [{name: a, mountPath: /data}, {name: b, mountPath: /data}]`)),
      "template/mounts",
    );
  });
  await t.step("activeDeadlineSeconds only on leaves, and not negative", () => {
    expectOne(
      errors(one(`      activeDeadlineSeconds: 10
      steps: [[{name: a, template: leaf}]]
    - name: leaf
${ok}`)),
      "template/deadline",
      "only valid for leaf templates",
    );
    expectOne(errors(one(`      activeDeadlineSeconds: -1\n${ok}`)), "template/deadline");
    expectClean(one(`      activeDeadlineSeconds: 10\n${ok}`));
  });
  await t.step("retry limit is not negative", () => {
    expectOne(errors(one(`      retryStrategy: {limit: -1}\n${ok}`)), "template/retry-limit");
    expectClean(one(`      retryStrategy: {limit: 3, retryPolicy: OnTransientError}\n${ok}`));
  });
  await t.step("metrics need help", () => {
    expectOne(
      errors(one(`      metrics:
        prometheus: [{name: runs, counter: {value: "1"}}]
${ok}`)),
      "metrics/help",
    );
  });
  await t.step("hooks other than exit need an expression that parses", () => {
    const spec = (hook: string) =>
      one(
        `${ok}
    - name: notify
${ok}`,
        `  hooks:
${hook}`,
      );
    expectOne(errors(spec(`    running: {template: notify}\n`)), "hooks/expression");
    expectOne(
      errors(spec(`    running: {template: notify, expression: "workflow.status =="}\n`)),
      "expression/syntax",
    );
    expectClean(
      spec(`    running: {template: notify, expression: "workflow.status == 'Running'"}\n`),
    );
    expectClean(spec(`    exit: {template: notify}\n`));
    expectOne(errors(spec(`    exit: {template: notfiy}\n`)), "reference/template");
  });
  await t.step("withSequence takes count or end", () => {
    const steps = (sequence: string) =>
      one(`      steps:
        - - name: a
            template: leaf
            withSequence: ${sequence}
            arguments: {parameters: [{name: n, value: "{{item}}"}]}
    - name: leaf
      inputs: {parameters: [{name: n}]}
${ok}`);
    expectOne(errors(steps(`{count: "3", end: "5"}`)), "loops/sequence");
    expectClean(steps(`{start: "1", end: "5"}`));
  });
  await t.step("an empty DAG", () => {
    expectOne(errors(one(`      dag: {tasks: []}`)), "dag/tasks", "must have at least one task");
  });
  await t.step("templates beside workflowTemplateRef", () => {
    const library = `apiVersion: argoproj.io/v1alpha1
kind: WorkflowTemplate
metadata: {name: lib}
spec:
  entrypoint: main
  templates:
    - name: main
${ok}
`;
    const both = wf(`  workflowTemplateRef: {name: lib}
  templates:
    - name: extra
${ok}
`);
    expectOne(errors(both, library), "reference/workflow-template", "Templates is invalid field");
  });
  await t.step("exit handler template must exist", () => {
    expectOne(
      errors(HELLO.replace("  entrypoint: main\n", "  entrypoint: main\n  onExit: bye\n")),
      "reference/template",
    );
  });
  await t.step("a yes in a string field is flagged as a warning with the word quoted", () => {
    const findings = lint(wf(`  entrypoint: main
  templates:
    - name: main
      container: {image: alpine, command: [echo], workingDir: yes}
`));
    const warning = expectOne(findings, "schema/yaml-boolean");
    assert.equal(warning.severity, "warning");
    assert.match(warning.message, /quote it \("yes"\)/);
  });
  await t.step("cron starting deadline must not be negative", () => {
    const cron = `apiVersion: argoproj.io/v1alpha1
kind: CronWorkflow
metadata: {name: c}
spec:
  schedules: ["@daily"]
  startingDeadlineSeconds: -5
  workflowSpec:
    entrypoint: main
    templates:
      - name: main
${ok.replace("      ", "        ")}
`;
    expectOne(errors(cron), "cron/starting-deadline");
  });
  await t.step("WorkflowEventBinding refers to a known template", () => {
    const binding = `apiVersion: argoproj.io/v1alpha1
kind: WorkflowEventBinding
metadata: {name: b}
spec:
  event: {selector: "payload.a == 'x'"}
  submit:
    workflowTemplateRef: {name: missing}
`;
    expectOne(errors(binding), "reference/template");
  });
});

Deno.test("exit hooks may read their own step's or task's outputs", () => {
  expectClean(STEPS(`        - - name: a
            template: gen
            hooks:
              exit:
                template: echo
                arguments: {parameters: [{name: message, value: "{{steps.a.outputs.result}}"}]}`));
  expectClean(DAG(`          - name: a
            template: gen
            hooks:
              exit:
                template: echo
                arguments: {parameters: [{name: m, value: "{{tasks.a.outputs.result}}"}]}`));
  // Another task that is not a dependency is still out of reach.
  expectOne(
    errors(DAG(`          - {name: b, template: gen}
          - name: a
            template: gen
            hooks:
              exit:
                template: echo
                arguments: {parameters: [{name: m, value: "{{tasks.b.outputs.result}}"}]}`)),
    "variables/unresolved",
  );
});
