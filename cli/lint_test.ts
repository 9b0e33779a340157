/** `argo-ts lint` end to end, in-process: real files, real output, exit codes. */
import assert from "node:assert/strict";
import { memoryIo, runCli } from "./mod.ts";

async function lint(args: string[], stdin?: string) {
  const io = memoryIo({ stdin });
  const code = await runCli(["lint", ...args], io);
  return { code, out: io.stdout(), err: io.stderr() };
}

async function tempFile(name: string, content: string | Uint8Array): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "argo-ts-lint-" });
  const path = `${dir}/${name}`;
  if (typeof content === "string") await Deno.writeTextFile(path, content);
  else await Deno.writeFile(path, content);
  return path;
}

const TYPO = `apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata:
  generateName: hello-
spec:
  entrypoint: main
  arguments:
    parameters: [{name: message, value: hi}]
  templates:
    - name: main
      inputs:
        parameters: [{name: message}]
      container:
        image: alpine
        command: [echo]
        args: ["hello {{inputs.paramters.message}}"]
`;

Deno.test("the project's examples lint clean", async () => {
  const { code, out } = await lint(["examples/"]);
  assert.equal(code, 0, out);
  assert.match(out, /✔ no linting errors found!/);
});

Deno.test("a typo in a variable: file:line:col, field path, caret and suggestion, exit 1", async () => {
  const path = await tempFile("typo.yaml", TYPO);
  const { code, out } = await lint([path]);
  assert.equal(code, 1);
  const lines = out.split("\n");
  assert.equal(
    lines[0],
    `${path}:16:23: error: failed to resolve {{inputs.paramters.message}} (did you mean "inputs.parameters.message"?)`,
  );
  assert.equal(lines[1], "  --> spec.templates[0].container.args[0] in Workflow/hello-");
  assert.equal(lines[2], '  16 |         args: ["hello {{inputs.paramters.message}}"]');
  assert.equal(
    lines[3],
    `     |                       ${"^".repeat("{{inputs.paramters.message}}".length)}`,
  );
  assert.match(out, /✖ 1 linting error found!/);
});

Deno.test("a misspelled template name: suggestion and exit 1", async () => {
  const path = await tempFile("name.yaml", TYPO.replace("entrypoint: main", "entrypoint: mian"));
  const { code, out } = await lint([path]);
  assert.equal(code, 1);
  assert.match(out, /:6:15: error: template name 'mian' undefined \(did you mean "main"\?\)/);
  assert.match(out, /--> spec\.entrypoint/);
});

Deno.test("-o json prints only the findings document", async () => {
  const path = await tempFile("typo.yaml", TYPO);
  const { code, out } = await lint(["-o", "json", path]);
  assert.equal(code, 1);
  const findings = JSON.parse(out);
  assert.equal(findings.length, 1);
  assert.deepEqual(
    {
      line: findings[0].line,
      col: findings[0].col,
      rule: findings[0].rule,
      suggestion: findings[0].suggestion,
    },
    { line: 16, col: 23, rule: "variables/unresolved", suggestion: "inputs.parameters.message" },
  );
});

Deno.test("stdin with -", async () => {
  const { code, out } = await lint(["-"], TYPO.replace("paramters", "parameters"));
  assert.equal(code, 0, out);
});

Deno.test("bad input: one clear line with a position, exit 1, no stack trace", async (t) => {
  const cases: Array<[string, string | Uint8Array, RegExp]> = [
    ["malformed.yaml", "a: [1, 2\nb: c\n", /malformed\.yaml:\d+:\d+: error: /],
    ["empty.yaml", "", /empty\.yaml:1:1: error: file is empty/],
    [
      "garbage.yaml",
      new Uint8Array([0x7f, 0x45, 0x4c, 0x46, 0, 1, 2, 0xff]),
      /garbage\.yaml:1:1: error: file is binary/,
    ],
    [
      "wrong-type.yaml",
      TYPO.replace("image: alpine", "image: [alpine]"),
      /expected a string, got a list/,
    ],
    [
      "unknown-kind.yaml",
      TYPO.replace("kind: Workflow", "kind: Workflo"),
      /unknown kind "Workflo" in argoproj\.io\/v1alpha1 \(did you mean "Workflow"\?\)/,
    ],
    [
      "huge.yaml",
      "a: " + "x".repeat(10 * 1024 * 1024) + "\n",
      /larger than the 3\.0 MiB a Kubernetes API server accepts/,
    ],
    [
      "bomb.yaml",
      'a: &a ["x","x","x","x","x","x","x","x","x"]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\ne: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\nf: [*e,*e,*e,*e,*e,*e,*e,*e,*e]\n',
      /alias/,
    ],
  ];
  for (const [name, content, expected] of cases) {
    await t.step(name, async () => {
      const path = await tempFile(name, content);
      const { code, out, err } = await lint([path]);
      assert.equal(code, 1, out);
      assert.match(out, expected);
      assert.doesNotMatch(out + err, /\n\s+at .*\.ts:\d+/);
    });
  }
  await t.step("a path that does not exist", async () => {
    const { code, out } = await lint(["/nonexistent/argo-ts.yaml"]);
    assert.equal(code, 1);
    assert.match(out, /\/nonexistent\/argo-ts\.yaml:1:1: error: no such file or directory/);
  });
  await t.step("missing argument is a usage error", async () => {
    const { code, err } = await lint([]);
    assert.equal(code, 2);
    assert.match(err, /missing required argument/);
  });
  await t.step("unknown flag is a usage error", async () => {
    const { code, err } = await lint(["--bogus", "examples/"]);
    assert.equal(code, 2);
    assert.match(err, /unknown option '--bogus'/);
  });
});

Deno.test("--kinds filters what is checked", async () => {
  const path = await tempFile("typo.yaml", TYPO);
  const { code, out } = await lint(["--kinds", "cronworkflows", path]);
  assert.equal(code, 0, out);
  const bad = await lint(["--kinds", "nonsense", path]);
  assert.equal(bad.code, 2);
});
