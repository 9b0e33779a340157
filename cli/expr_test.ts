import { equal, ok as assert } from "node:assert/strict";
import { memoryIo, runCli } from "./mod.ts";

async function expr(args: string[], stdin?: string) {
  const io = memoryIo({ stdin });
  const code = await runCli(["expr", ...args], io);
  return { code, out: io.stdout(), err: io.stderr() };
}

Deno.test("argo-ts expr: the examples from the issue", async () => {
  const template = await expr([
    "{{= asInt(inputs.parameters.n) + 1}}",
    "--var",
    "inputs.parameters.n=41",
  ]);
  equal(template.code, 0, template.err);
  equal(template.out, '"42"\n');
  const when = await expr(["heads == heads", "--dialect", "when"]);
  equal(when.code, 0, when.err);
  equal(when.out, "true\n");
});

Deno.test("argo-ts expr: dialects", async () => {
  const cases: Array<[string[], string]> = [
    [["1 + 2"], "3\n"],
    [["filter([1, 2, 3], {# > 1})"], "[2,3]\n"],
    [["{b: 1, a: [true, nil]}"], '{"a":[true,null],"b":1}\n'],
    [["'x' + y", "--var", "y=z"], '"xz"\n'],
    [["inputs.parameters['my-param']", "--var", "inputs.parameters.my-param=v"], '"v"\n'],
    [["n * 2", "--var", "n=21"], "42\n"],
    [["n + 'x'", "--var", 'n="21"'], '"21x"\n'],
    [["len(list)", "--var", "list=[1,2,3]"], "3\n"],
    [["date('2024-01-02')"], '"2024-01-02T00:00:00Z"\n'],
    [["hello {{workflow.name}}"], "", /failed to resolve \{\{workflow.name\}\}/] as unknown as [
      string[],
      string,
    ],
    [["hello {{workflow.name}}", "--var", "workflow.name=wf"], '"hello wf"\n'],
    [["{{user.x}} stays"], '"{{user.x}} stays"\n'],
    // Argo's flat map holds strings: a map item also gives item.a = "1".
    [["{{=toJson(item)}}", "--var", 'item={"a":1}'], '"{\\"a\\":\\"1\\"}"\n'],
    [["1 + 1", "--dialect", "template"], '"1 + 1"\n'],
    [[
      "{{steps.flip.outputs.result}} == heads",
      "--dialect",
      "when",
      "--var",
      "steps.flip.outputs.result=tails",
    ], "false\n"],
    [[
      "A && (B.Failed || C)",
      "--dialect",
      "depends",
      "--var",
      "A=Succeeded",
      "--var",
      "B=Failed",
      "--var",
      "C=Skipped",
    ], "true\n"],
    [["A", "--dialect", "depends", "--var", "A=Failed"], "false\n"],
    [
      ["A", "--dialect", "depends", "--var", 'A={"phase":"Failed","continueOn":{"failed":true}}'],
      "true\n",
    ],
    [["L.AnySucceeded", "--dialect", "depends", "--var", 'L=["Failed","Succeeded"]'], "true\n"],
    [["L.AllFailed", "--dialect", "depends", "--var", 'L=["Failed","Succeeded"]'], "false\n"],
  ];
  for (const [args, expected, errorPattern] of cases as Array<[string[], string, RegExp?]>) {
    const result = await expr(args);
    if (errorPattern) {
      equal(result.code, 1, args.join(" "));
      assert(errorPattern.test(result.err), result.err);
      continue;
    }
    equal(result.code, 0, `${args.join(" ")}: ${result.err}`);
    equal(result.out, expected, args.join(" "));
  }
});

Deno.test("argo-ts expr: --vars from a file or standard input", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const yaml = `${dir}/vars.yaml`;
    await Deno.writeTextFile(yaml, "inputs:\n  parameters:\n    n: '41'\nworkflow:\n  name: wf\n");
    const fromYaml = await expr([
      "{{= asInt(inputs.parameters.n) + 1}}-{{workflow.name}}",
      "--vars",
      yaml,
    ]);
    equal(fromYaml.code, 0, fromYaml.err);
    equal(fromYaml.out, '"42-wf"\n');
    const json = `${dir}/vars.json`;
    await Deno.writeTextFile(json, '{"a": {"b": [1, 2]}}');
    const fromJson = await expr(["a.b[1]", "--vars", json, "--var", "c=1"]);
    equal(fromJson.out, "2\n");
    const overridden = await expr(["a.b", "--vars", json, "--var", "a.b=5"]);
    equal(overridden.out, "5\n");
    const stdin = await expr(["x", "--vars", "-"], "x: from-stdin\n");
    equal(stdin.out, '"from-stdin"\n');
    const missing = await expr(["1", "--vars", `${dir}/nope.yaml`]);
    equal(missing.code, 1);
    assert(missing.err.startsWith(`argo-ts expr: cannot read ${dir}/nope.yaml:`), missing.err);
    await Deno.writeTextFile(yaml, "- a list\n");
    const notMap = await expr(["1", "--vars", yaml]);
    equal(notMap.code, 1);
    equal(notMap.err, `argo-ts expr: ${yaml} must hold a map of variables\n`);
    await Deno.writeTextFile(yaml, "a: [unclosed\n");
    const badYaml = await expr(["1", "--vars", yaml]);
    equal(badYaml.code, 1);
    assert(badYaml.err.includes("is not valid JSON or YAML"), badYaml.err);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("argo-ts expr: --explain", async () => {
  const result = await expr([
    "{{steps.flip.outputs.result}} == heads",
    "--dialect",
    "when",
    "--var",
    "steps.flip.outputs.result=heads",
    "--explain",
  ]);
  equal(result.code, 0, result.err);
  equal(result.out, "dialect: when\ntext: heads == heads\nvalue: true\n");
  const defaulted = await expr(["{{=1}}", "--explain"]);
  equal(defaulted.out, 'dialect: template\ntext: 1\nvalue: "1"\n');
});

Deno.test("argo-ts expr: errors are positioned, exit 1", async () => {
  const parse = await expr(["asInt(x) +"]);
  equal(parse.code, 1);
  equal(
    parse.err,
    'argo-ts expr: unexpected end of expression, expected an expression after "+" (at offset 10)\n' +
      "  asInt(x) +\n" +
      "            ^\n",
  );
  const runtime = await expr(["1 + 'a'"]);
  equal(runtime.code, 1);
  equal(
    runtime.err,
    "argo-ts expr: invalid operation: int + string (at offset 2)\n  1 + 'a'\n    ^\n",
  );
  const when = await expr(["foo-bar == x", "--dialect", "when"]);
  equal(when.code, 1);
  assert(
    when.err.startsWith("argo-ts expr: Failed to evaluate 'when' expression 'foo-bar == x': "),
    when.err,
  );
  const depends = await expr(["A.Nope", "--dialect", "depends", "--var", "A=Succeeded"]);
  equal(depends.code, 1);
  assert(depends.err.includes("(at offset 2)\n  A.Nope\n    ^\n"), depends.err);
  const multiline = await expr(["1 +\n  2 +\n  nope"]);
  equal(multiline.code, 1);
  assert(multiline.err.includes("(line 3, column 3)\n    nope\n    ^\n"), multiline.err);
  const long = await expr(["'" + "x".repeat(300) + "' + nope"]);
  equal(long.code, 1);
  assert(long.err.includes("unknown name nope"), long.err);
  assert(long.err.split("\n")[1].length < 120, "a long line is shown around the error");
});

Deno.test("argo-ts expr: usage errors exit 2", async () => {
  const badDialect = await expr(["1", "--dialect", "nope"]);
  equal(badDialect.code, 2);
  const badVar = await expr(["1", "--var", "novalue"]);
  equal(badVar.code, 2);
  equal(badVar.err, 'argo-ts expr: --var needs name=value, got "novalue"\n');
  const noText = await expr([]);
  equal(noText.code, 2);
  const help = await expr(["--help"]);
  equal(help.code, 0);
  assert(help.out.includes("--dialect <dialect>"), help.out);
});
