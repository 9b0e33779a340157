/**
 * Benchmarks for the templating core, each measured against a floor taken in the same run.
 *
 * - substitution over a 1 MB string with 50,000 tags, against one regular-expression replace
 *   pass over the same bytes (target: at most 2x);
 * - substitution over a 1 MB JSON template (a workflow-like value), against Argo's method done
 *   with the platform's own parts: marshal, one regular-expression replace pass, unmarshal
 *   (target: at most 2x); the bare replace pass over its JSON text is about 2.5x cheaper than
 *   any walk that rebuilds the value;
 * - 100,000 small expression evaluations (a workflow's worth of `{{= }}` tags, sources repeating
 *   as they do across loop iterations), against the same work written directly in JavaScript;
 * - 100,000 distinct small expressions, each parsed and evaluated once, against parsing a
 *   JSON document of the same size with `JSON.parse`.
 */
import { evaluateExpression, expandVars, substitute, substituteString } from "../templating/mod.ts";
import type { BenchScenario } from "./harness.ts";

const TAG_COUNT = 50_000;
const VAR_COUNT = 1_000;
const TEMPLATE_BYTES = 1024 * 1024;

function makeVars(): Record<string, string> {
  const vars: Record<string, string> = {};
  for (let i = 0; i < VAR_COUNT; i++) vars[`inputs.parameters.param-${i}`] = `value-${i}`;
  return vars;
}

/** About 1 MB of text with 50,000 tags: most resolve, some belong to other tools. */
function makeTemplate(): string {
  const parts: string[] = [];
  let length = 0;
  for (let i = 0; i < TAG_COUNT; i++) {
    const tag = i % 10 === 9 ? "{{ user.other }}" : `{{inputs.parameters.param-${i % VAR_COUNT}}}`;
    const filler = "x".repeat(Math.max(0, Math.floor(TEMPLATE_BYTES / TAG_COUNT) - tag.length));
    parts.push(filler, tag);
    length += filler.length + tag.length;
  }
  parts.push("y".repeat(Math.max(0, TEMPLATE_BYTES - length)));
  return parts.join("");
}

/** A workflow-like value of about 1 MB with 50,000 tags spread over its strings. */
function makeJsonTemplate(): unknown {
  const templates = [];
  for (let t = 0; t < TAG_COUNT / 5; t++) {
    templates.push({
      name: `step-${t}`,
      inputs: {
        parameters: [{ name: "message", value: `{{inputs.parameters.param-${t % VAR_COUNT}}}` }],
      },
      container: {
        image: "alpine:3.19",
        command: ["sh", "-c"],
        args: [
          `echo {{inputs.parameters.param-${(t + 1) % VAR_COUNT}}} and {{inputs.parameters.param-${
            (t + 2) % VAR_COUNT
          }}}`,
          "--flag={{ user.other }}",
          `{{inputs.parameters.param-${(t + 3) % VAR_COUNT}}}`,
        ],
        env: [{ name: "PLAIN", value: "no tags in this one" }],
      },
    });
  }
  return { apiVersion: "argoproj.io/v1alpha1", kind: "Workflow", spec: { templates } };
}

const TAG = /\{\{([^{}]*)\}\}/g;

function regexFloor(text: string, vars: Record<string, string>): string {
  return text.replace(TAG, (match, name: string) => vars[name.trim()] ?? match);
}

let sink: unknown;

/** Reads a character from the middle, which makes V8 flatten a string built by concatenation. */
function flat(text: string): number {
  return text.charCodeAt(text.length >> 1);
}

function lazy<T>(make: () => T): () => T {
  let value: T | undefined;
  return () => (value ??= make());
}

const vars = lazy(makeVars);
const template = lazy(makeTemplate);
const jsonTemplate = lazy(makeJsonTemplate);

const EXPRESSIONS = [
  "asInt(inputs.parameters.n) + 1",
  "inputs.parameters['my-param'] == 'x' ? 'a' : 'b'",
  "sprig.upper(workflow.name)",
  "len(filter([1, 2, 3], {# > 1}))",
  "item.k + '-' + string(retries)",
  "steps.s.outputs.result contains 'ok' && asInt(retries) < 3",
  "toJson({a: inputs.parameters.n})",
  "inputs.parameters.missing ?? 'default'",
  "workflow.name startsWith 'wf'",
  "asFloat(inputs.parameters.n) / 2",
];

const ENV_VARS: Record<string, string> = {
  "inputs.parameters.n": "41",
  "inputs.parameters.my-param": "x",
  "workflow.name": "wf-abc",
  "item.k": "v",
  "retries": "1",
  "steps.s.outputs.result": "all ok",
};

const env = lazy(() => expandVars(ENV_VARS));
const EVALUATIONS = 100_000;

export const scenarios: BenchScenario[] = [
  {
    name: "substituteString: 1 MB, 50,000 tags (floor: one regex replace pass)",
    target: 2,
    run() {
      const result = substituteString(template(), vars());
      if (!result.ok) throw new Error(result.error.message);
      sink = flat(result.value);
    },
    floor() {
      sink = flat(regexFloor(template(), vars()));
    },
  },
  {
    name: "substitute: 1 MB JSON template, 50,000 tags (floor: marshal, one regex pass, unmarshal)",
    target: 2,
    run() {
      const result = substitute(jsonTemplate(), vars());
      if (!result.ok) throw new Error(result.error.message);
      sink = result.value;
    },
    floor() {
      // Argo's method at the platform's own speed: JSON.stringify, one replace, JSON.parse.
      sink = JSON.parse(regexFloor(JSON.stringify(jsonTemplate()), vars()));
    },
  },
  {
    name: "evaluateExpression: 100,000 small expressions (floor: the same work in plain JS)",
    run() {
      const e = env();
      for (let i = 0; i < EVALUATIONS; i++) {
        const result = evaluateExpression(EXPRESSIONS[i % EXPRESSIONS.length], e);
        if (!result.ok) throw new Error(result.error.message);
        sink = result.value;
      }
    },
    floor() {
      for (let i = 0; i < EVALUATIONS; i++) {
        switch (i % 4) {
          case 0:
            sink = parseInt(ENV_VARS["inputs.parameters.n"], 10) + 1;
            break;
          case 1:
            sink = ENV_VARS["workflow.name"].toUpperCase();
            break;
          case 2:
            sink = [1, 2, 3].filter((x) => x > 1).length;
            break;
          default:
            sink = JSON.stringify({ a: ENV_VARS["inputs.parameters.n"] });
        }
      }
    },
  },
  {
    name: "evaluateExpression: 100,000 distinct expressions, parsed once each",
    run() {
      const e = env();
      for (let i = 0; i < EVALUATIONS; i++) {
        const result = evaluateExpression(
          `asInt(inputs.parameters.n) + ${i} > 10 && item.k == 'v'`,
          e,
        );
        if (!result.ok) throw new Error(result.error.message);
        sink = result.value;
      }
    },
    floor() {
      // Parsing a document of the same size with the platform's own parser.
      for (let i = 0; i < EVALUATIONS; i++) {
        sink = JSON.parse(`[["asInt", "inputs.parameters.n"], "+", ${i}, ">", 10, "&&", "item.k"]`);
      }
    },
  },
];

/** Keeps results alive so the work is not optimised away. */
export function benchSink(): unknown {
  return sink;
}
