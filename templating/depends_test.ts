import { deepStrictEqual, equal, ok as assert } from "node:assert/strict";
import {
  dependenciesToDepends,
  dependsTaskNames,
  evaluateDepends,
  parseDepends,
  type TaskResultView,
} from "./mod.ts";

const TASKS: Record<string, TaskResultView> = {
  "A": { phase: "Succeeded" },
  "B": { phase: "Failed" },
  "C": { phase: "Skipped" },
  "D": { phase: "Error" },
  "E": { phase: "Omitted" },
  "daemon": { phase: "Running", daemoned: true },
  "task-a": { phase: "Succeeded" },
  "task.b": { phase: "Succeeded" },
  "loop-some": { phase: "Failed", childPhases: ["Succeeded", "Failed"] },
  "loop-none": { phase: "Failed", childPhases: ["Failed", "Failed"] },
  "loop-empty": { phase: "Succeeded", childPhases: [] },
  "may-fail": { phase: "Failed", continueOn: { failed: true } },
  "may-error": { phase: "Error", continueOn: { error: true } },
};

const lookup = (name: string) => TASKS[name];

Deno.test("depends: results and operators", () => {
  const cases: Array<[string, boolean]> = [
    ["A", true],
    ["B", false],
    ["C", true],
    ["D", false],
    ["E", false],
    ["daemon", true],
    ["A.Succeeded", true],
    ["B.Failed", true],
    ["B.Succeeded", false],
    ["C.Skipped", true],
    ["D.Errored", true],
    ["E.Omitted", true],
    ["daemon.Daemoned", true],
    ["A.Daemoned", false],
    ["loop-some.AnySucceeded", true],
    ["loop-none.AnySucceeded", false],
    ["loop-none.AllFailed", true],
    ["loop-some.AllFailed", false],
    ["loop-empty.AllFailed", false],
    ["task-a", true],
    ["task-a.Succeeded && !B.Succeeded", true],
    ["A && B", false],
    ["A || B", true],
    ["A && (B.Failed || C)", true],
    ["(A.Succeeded || A.Failed) && (B.Succeeded || B.Failed)", true],
    ["!A", false],
    ["!!A", true],
    ["not A", false],
    ["A and B.Failed", true],
    ["B or C", true],
    ["  A  &&  C  ", true],
    ["A&&C", true],
    ["may-fail", true],
    ["may-error", true],
    ["B.Failed || B.Errored", true],
  ];
  for (const [source, expected] of cases) {
    const result = evaluateDepends(source, lookup);
    assert(result.ok, `${source}: ${!result.ok && result.error.message}`);
    equal(result.value, expected, source);
  }
});

Deno.test("depends: a dependencies list means all of them", () => {
  equal(dependenciesToDepends(["A", "C"]), "A && C");
  const all = evaluateDepends(dependenciesToDepends(["A", "C"]), lookup);
  assert(all.ok && all.value === true);
  const some = evaluateDepends(dependenciesToDepends(["A", "B"]), lookup);
  assert(some.ok && some.value === false);
});

Deno.test("depends: task names", () => {
  const parsed = parseDepends(
    "task-a && (B.Failed || !C) && task-a.Succeeded && loop-some.AnySucceeded",
  );
  assert(parsed.ok);
  deepStrictEqual(dependsTaskNames(parsed.value), ["task-a", "B", "C", "loop-some"]);
});

Deno.test("depends: errors are positioned", () => {
  const cases: Array<[string, string, number]> = [
    ["", "empty depends expression", 0],
    ["A &&", "unexpected end of depends expression, expected a task name", 4],
    [
      "A.Foo",
      'unknown task result "Foo" for task "A"; expected one of Succeeded, Failed, Errored, ' +
      "Skipped, Omitted, Daemoned, AnySucceeded, AllFailed",
      2,
    ],
    [
      "A.succeeded",
      'unknown task result "succeeded" for task "A"; expected one of Succeeded, Failed, ' +
      "Errored, Skipped, Omitted, Daemoned, AnySucceeded, AllFailed",
      2,
    ],
    ["(A && B", 'unexpected end of depends expression, expected ")"', 7],
    ["A B", 'unexpected "B"', 2],
    ["A & B", 'unexpected "&"', 2],
    ["-A", 'unexpected "-", expected a task name', 0],
    ["missing", 'depends refers to task "missing", which has no result', 0],
  ];
  for (const [source, message, offset] of cases) {
    const result = evaluateDepends(source, lookup);
    assert(!result.ok, `${source} should fail`);
    equal(result.error.message, message, source);
    equal(result.error.offset, offset, source);
  }
});

Deno.test("depends: bounds", () => {
  const deep = parseDepends("(".repeat(1000) + "A" + ")".repeat(1000));
  assert(!deep.ok);
  assert(deep.error.message.includes("nested too deeply"));
  const long = parseDepends("A && ".repeat(100_000) + "A");
  assert(!long.ok);
  assert(long.error.message.includes("too long"));
});
