import assert from "node:assert/strict";
import { decodeText, formatPath, loadSource, MAX_DOCUMENT_BYTES } from "./source.ts";

Deno.test("formatPath renders fields, indexes and odd keys", () => {
  assert.equal(
    formatPath(["spec", "templates", 2, "dag", "tasks", 0, "depends"]),
    "spec.templates[2].dag.tasks[0].depends",
  );
  assert.equal(
    formatPath(["metadata", "annotations", "workflows.argoproj.io/x"]),
    'metadata.annotations["workflows.argoproj.io/x"]',
  );
});

Deno.test("values are read as YAML 1.1, keys stay as written", () => {
  const { documents, problems } = loadSource(
    "on: yes\nmode: 0755\nn: ~\nwhen: 2001-12-14\n",
    "a.yaml",
  );
  assert.deepEqual(problems, []);
  assert.deepEqual(documents[0].value, { on: true, mode: 493, n: null, when: "2001-12-14" });
});

Deno.test("multi-document files, empty documents skipped, positions kept", () => {
  const text = "a: 1\n---\n# just a comment\n---\nb:\n  - x\n  - y: z\n";
  const { documents } = loadSource(text, "m.yaml");
  assert.equal(documents.length, 2);
  const second = documents[1];
  assert.equal(second.index, 2);
  const span = second.spans.get("b[1].y")!;
  assert.deepEqual(second.position(span.value.start), { line: 7, col: 8 });
  assert.deepEqual(second.position(span.key!.start), { line: 7, col: 5 });
});

Deno.test("JSON is accepted", () => {
  const { documents, problems } = loadSource(
    '{"kind": "Workflow", "spec": {"a": [1, "x\\/y"]}}',
    "w.json",
  );
  assert.deepEqual(problems, []);
  assert.deepEqual(documents[0].value, { kind: "Workflow", spec: { a: [1, "x/y"] } });
});

Deno.test("merge keys merge, explicit keys win", () => {
  const { documents } = loadSource("base: &b {x: 1, y: 2}\nuse:\n  <<: *b\n  y: 3\n", "m.yaml");
  assert.deepEqual((documents[0].value as Record<string, unknown>).use, { x: 1, y: 3 });
});

Deno.test("hostile input gives one positioned problem, never a throw", async (t) => {
  await t.step("syntax error", () => {
    const { problems } = loadSource("a:\n  b: [1, 2\nc: d\n", "bad.yaml");
    assert.equal(problems.length, 1);
    assert.equal(problems[0].file, "bad.yaml");
    assert.ok(problems[0].line >= 2);
  });
  await t.step("duplicate keys", () => {
    const { problems } = loadSource("a: 1\na: 2\n", "dup.yaml");
    assert.equal(problems.length, 1);
    assert.match(problems[0].message, /duplicate key/);
    assert.equal(problems[0].line, 2);
  });
  await t.step("alias bomb", () => {
    const levels = ["a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]"];
    for (let i = 1; i < 9; i++) {
      const prev = String.fromCharCode(96 + i);
      const name = String.fromCharCode(97 + i);
      levels.push(`${name}: &${name} [${Array(9).fill(`*${prev}`).join(", ")}]`);
    }
    const started = performance.now();
    const { problems, documents } = loadSource(levels.join("\n") + "\n", "bomb.yaml");
    assert.equal(documents.length, 0);
    assert.match(problems[0].message, /alias/);
    assert.ok(performance.now() - started < 10_000);
  });
  await t.step("absurd nesting", () => {
    const { problems } = loadSource("[".repeat(20000) + "]".repeat(20000), "deep.json");
    assert.equal(problems.length, 1);
    assert.match(problems[0].message, /nesting is too deep/);
  });
  await t.step("nesting just past the limit in block style", () => {
    let text = "";
    for (let i = 0; i < 250; i++) text += `${"  ".repeat(i)}k:\n`;
    const { problems } = loadSource(text + `${"  ".repeat(250)}v: 1\n`, "deep.yaml");
    assert.match(problems[0].message, /nesting is too deep/);
  });
  await t.step("a document past the API server's size limit", () => {
    const big = "a: " + "x".repeat(MAX_DOCUMENT_BYTES + 10) + "\n";
    const { problems } = loadSource(big, "big.yaml");
    assert.match(problems[0].message, /larger than the 3\.0 MiB/);
  });
  await t.step("NaN has no JSON form", () => {
    const { problems } = loadSource("a: .nan\n", "n.yaml");
    assert.match(problems[0].message, /no JSON form/);
  });
  await t.step("__proto__ stays data", () => {
    const { documents } = loadSource("__proto__: {polluted: true}\n", "p.yaml");
    const value = documents[0].value as Record<string, unknown>;
    assert.equal(Object.getPrototypeOf(value), Object.prototype);
    assert.deepEqual(Object.keys(value), ["__proto__"]);
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
  });
});

Deno.test("decodeText refuses binary and non-UTF-8 data", () => {
  assert.equal(decodeText(new Uint8Array([0x61, 0x00, 0x62])).ok, false);
  assert.equal(decodeText(new Uint8Array([0xff, 0xfe, 0x41])).ok, false);
  const ok = decodeText(new TextEncoder().encode("a: é\n"));
  assert.ok(ok.ok && ok.text === "a: é\n");
});
