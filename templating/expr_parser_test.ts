import { deepStrictEqual, equal, ok as assert } from "node:assert/strict";
import { expressionVariables, type ExprNode, LIMITS, parseExpression } from "./mod.ts";

/** A compact rendering of a tree, to check its shape. */
function show(node: ExprNode): string {
  switch (node.type) {
    case "Literal":
      return typeof node.value === "string" ? JSON.stringify(node.value) : String(node.value);
    case "Identifier":
      return node.name;
    case "Env":
      return "$env";
    case "Pointer":
      return "#" + node.name;
    case "Member":
      return `${show(node.object)}${node.optional ? "?" : ""}[${show(node.property)}]`;
    case "Slice":
      return `${show(node.object)}[${node.from ? show(node.from) : ""}:${
        node.to ? show(node.to) : ""
      }]`;
    case "Call":
      return `${show(node.callee)}(${node.args.map(show).join(", ")})`;
    case "Chain":
      return `chain(${show(node.node)})`;
    case "Unary":
      return `(${node.operator} ${show(node.argument)})`;
    case "Binary":
      return `(${show(node.left)} ${node.operator} ${show(node.right)})`;
    case "ConditionalExpression":
      return `(${show(node.test)} ? ${show(node.consequent)} : ${show(node.alternate)})`;
    case "Array":
      return `[${node.elements.map(show).join(", ")}]`;
    case "Map":
      return `{${node.entries.map((e) => `${show(e.key)}: ${show(e.value)}`).join(", ")}}`;
    case "Closure":
      return `{${show(node.body)}}`;
    case "Let":
      return `let ${node.name} = ${show(node.value)}; ${show(node.body)}`;
  }
}

function tree(source: string): string {
  const result = parseExpression(source);
  if (!result.ok) throw new Error(`${source}: ${result.error.message} @${result.error.offset}`);
  return show(result.value);
}

Deno.test("parser: precedence follows expr-lang", () => {
  const cases: Array<[string, string]> = [
    ["1 + 2 * 3", "(1 + (2 * 3))"],
    ["1 * 2 + 3", "((1 * 2) + 3)"],
    ["a || b && c", "(a || (b && c))"],
    ["a or b and c", "(a or (b and c))"],
    ["a == b && c != d", "((a == b) && (c != d))"],
    ["not a == b", "((not a) == b)"],
    ["not a * b", "(not (a * b))"],
    ["!a && b", "((! a) && b)"],
    ["-a ** 2", "(- (a ** 2))"],
    ["-a * b", "((- a) * b)"],
    ["2 ** 3 ** 2", "(2 ** (3 ** 2))"],
    ["a ?? b + c", "((a ?? b) + c)"],
    ["1..3 == x", "((1 .. 3) == x)"],
    ["a + 1..5", "((a + 1) .. 5)"],
    ["a in b || c", "((a in b) || c)"],
    ["a not in b", "(not (a in b))"],
    ["a not   matches b", "(not (a matches b))"],
    ["a ? b : c", "(a ? b : c)"],
    ["a || b ? c : d", "((a || b) ? c : d)"],
    ["a ? b : c ? d : e", "(a ? b : (c ? d : e))"],
    ["x | f(1)", "f(x, 1)"],
    ["x | f() | g()", "g(f(x))"],
    ["x | filter(# > 1)", "filter(x, {(# > 1)})"],
    ["a.b.c", 'a["b"]["c"]'],
    ["a['b-c'].d", 'a["b-c"]["d"]'],
    ["a[0][-1]", "a[0][(- 1)]"],
    ["a?.b", 'chain(a?["b"])'],
    ["a?.['b']", 'chain(a?["b"])'],
    ["a[1:2]", "a[1:2]"],
    ["a[:2]", "a[:2]"],
    ["a[1:]", "a[1:]"],
    ["a[:]", "a[:]"],
    ["f(a, b)", "f(a, b)"],
    ["sprig.trim(x)", 'sprig["trim"](x)'],
    ["filter(xs, # > 1)", "filter(xs, {(# > 1)})"],
    ["filter(xs, {# > 1})", "filter(xs, {(# > 1)})"],
    ["map(xs, .Name)", 'map(xs, {#["Name"]})'],
    ["reduce(xs, #acc + #, 0)", "reduce(xs, {(#acc + #)}, 0)"],
    ["{a: 1, 'b': 2}", '{"a": 1, "b": 2}'],
    ["{(k): 1}", "{k: 1}"],
    ["[1, 2,]", "[1, 2]"],
    ["let x = 1; x", "let x = 1; x"],
    ["$env.a", '$env["a"]'],
    ["  1  ", "1"],
    ["1 // comment", "1"],
    ["/* a */ 1 /* b */ + 2", "(1 + 2)"],
  ];
  for (const [source, expected] of cases) equal(tree(source), expected, source);
});

Deno.test("parser: syntax errors are positioned", () => {
  const cases: Array<[string, string | RegExp, number]> = [
    ["", "empty expression", 0],
    ["   ", "empty expression", 0],
    ["1 +", 'unexpected end of expression, expected an expression after "+"', 3],
    ["(1 + 2", 'unexpected end of expression, expected ")"', 6],
    ["1 + 2)", 'unexpected ")"', 5],
    ["[1, 2", 'unexpected end of expression, expected "," or "]"', 5],
    ["{a: 1", 'unexpected end of expression, expected "," or "}"', 5],
    ["f(1", 'unexpected end of expression, expected "," or ")"', 3],
    ["f(1 2)", 'unexpected "2", expected "," or ")"', 4],
    ["1 2", 'unexpected "2"', 2],
    ["'abc", "literal not terminated", 0],
    ["`abc", "literal not terminated", 0],
    ["'\\q'", "invalid char escape", 1],
    ["12ab", 'invalid number "12ab"', 0],
    ["0x", 'invalid number "0x"', 0],
    ["1__0", 'invalid number "1__0"', 0],
    ["a ? b", /expected :/i, 5],
    ["# > 1", "cannot use pointer accessor outside closure", 0],
    [".Name", "cannot use pointer accessor outside closure", 0],
    ["#foo", "unknown pointer #foo", 0],
    ["a.", "unexpected end of expression, expected a field name after .", 2],
    ["a not b", /only in, matches, contains, startsWith and endsWith may follow it/, 2],
    ["and", 'unexpected "and"', 0],
    ["let = 1; 2", /expected a variable name after let/, 4],
    ["let x = 1 x", /expected ";"/, 10],
    ["let true = 1; 2", 'cannot use "true" as a variable name', 4],
    ["x = 1", 'unexpected "="', 2],
    ["/* open", "unclosed comment", 0],
    ["@", 'unexpected "@", expected an expression', 0],
    ["{a b: 1}", /expected "}"/, 3],
    ["{1 + 2: 3}", /a map key must be/, 1],
    ["x | 1", /expected a function name after \|/, 4],
  ];
  for (const [source, message, offset] of cases) {
    const result = parseExpression(source);
    assert(!result.ok, `${source} should not parse`);
    if (typeof message === "string") equal(result.error.message, message, source);
    else assert(message.test(result.error.message), `${source}: ${result.error.message}`);
    equal(result.error.offset, offset, `${source}: offset of ${result.error.message}`);
  }
});

Deno.test("parser: bounds on length and nesting", () => {
  const huge = "1 + ".repeat(300_000) + "1";
  const tooLong = parseExpression(huge);
  assert(!tooLong.ok);
  assert(tooLong.error.message.startsWith("expression is too long"), tooLong.error.message);
  equal(tooLong.error.offset, LIMITS.maxExpressionLength);

  const deepParens = parseExpression("(".repeat(1000) + "1" + ")".repeat(1000));
  assert(!deepParens.ok);
  assert(
    deepParens.error.message.startsWith("expression is nested too deeply"),
    deepParens.error.message,
  );

  const deepUnary = parseExpression("!".repeat(5000) + "true");
  assert(!deepUnary.ok);
  assert(deepUnary.error.message.includes("nested too deeply"));

  const longChain = parseExpression("1" + " + 1".repeat(5000));
  assert(!longChain.ok);
  assert(longChain.error.message.includes("nested too deeply"), longChain.error.message);

  const wide = parseExpression("[" + "1, ".repeat(20_000) + "1]");
  assert(wide.ok, "a long flat list is fine");
});

Deno.test("parser: expressionVariables lists the dotted paths read", () => {
  const cases: Array<[string, string[]]> = [
    ["inputs.parameters['my-param']", ["inputs.parameters.my-param"]],
    ["steps.a.outputs.result == 'x'", ["steps.a.outputs.result"]],
    ["asInt(inputs.parameters.n) + 1", ["inputs.parameters.n"]],
    ["sprig.trim(workflow.name)", ["workflow.name"]],
    ["filter(fromJSON(steps.gen.outputs.result), # > tasks.t.outputs.result)", [
      "steps.gen.outputs.result",
      "tasks.t.outputs.result",
    ]],
    ["map(xs, .Name)", ["xs"]],
    ["let x = inputs.parameters.a; x + y", ["inputs.parameters.a", "y"]],
    ["item.name + item.name", ["item.name"]],
    ["steps[name].outputs", ["steps", "name"]],
    ["list[0].x", ["list"]],
    ["workflow.creationTimestamp.Format('2006')", ["workflow.creationTimestamp"]],
    ["$env['a-b'].c", ["a-b.c"]],
    ["retries > 1 ? lastRetry.exitCode : nil", ["retries", "lastRetry.exitCode"]],
    ["1 + 2", []],
    ["now()", []],
  ];
  for (const [source, expected] of cases) {
    const result = expressionVariables(source);
    assert(result.ok, source);
    deepStrictEqual(result.value, expected, source);
  }
  const bad = expressionVariables("1 +");
  assert(!bad.ok);
});
