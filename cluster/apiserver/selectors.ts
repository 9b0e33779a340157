/**
 * Label selectors (`=`, `==`, `!=`, `in`, `notin`, `key`, `!key`) and field selectors (`=`, `==`,
 * `!=` on a supported field path), parsed once and matched against objects.
 */
import type { Json, JsonObject } from "../store/mod.ts";

type Requirement =
  | { key: string; op: "in" | "notin"; values: string[] }
  | { key: string; op: "exists" | "!exists" };

export type Selector = (object: JsonObject) => boolean;
export type SelectorResult = { ok: true; match: Selector } | { ok: false; error: string };

const KEY =
  /^([a-z0-9A-Z]([-a-z0-9A-Z_.]*[a-z0-9A-Z])?\/)?[a-z0-9A-Z]([-a-z0-9A-Z_.]*[a-z0-9A-Z])?$/;
const VALUE = /^([a-z0-9A-Z]([-a-z0-9A-Z_.]*[a-z0-9A-Z])?)?$/;

/** Splits on commas outside parentheses. */
function splitTerms(text: string): string[] {
  const terms: string[] = [];
  let depth = 0;
  let current = "";
  for (const ch of text) {
    if (ch === "(") depth++;
    if (ch === ")") depth--;
    if (ch === "," && depth === 0) {
      terms.push(current);
      current = "";
    } else current += ch;
  }
  terms.push(current);
  return terms.map((t) => t.trim()).filter((t) => t !== "");
}

export function parseLabelSelector(text: string | null): SelectorResult {
  if (text === null || text.trim() === "") return { ok: true, match: () => true };
  const requirements: Requirement[] = [];
  for (const term of splitTerms(text)) {
    const setMatch = /^(\S+)\s+(in|notin)\s*\((.*)\)$/.exec(term);
    let req: Requirement;
    if (setMatch) {
      const values = setMatch[3].split(",").map((v) => v.trim()).filter((v) => v !== "");
      req = { key: setMatch[1], op: setMatch[2] as "in" | "notin", values };
    } else if (term.startsWith("!")) {
      req = { key: term.slice(1).trim(), op: "!exists" };
    } else {
      const eq = /^([^=!\s]+)\s*(==|=|!=)\s*(.*)$/.exec(term);
      if (eq) {
        req = { key: eq[1], op: eq[2] === "!=" ? "notin" : "in", values: [eq[3].trim()] };
      } else if (KEY.test(term)) {
        req = { key: term, op: "exists" };
      } else {
        return { ok: false, error: `unable to parse requirement: ${JSON.stringify(term)}` };
      }
    }
    if (!KEY.test(req.key)) {
      return { ok: false, error: `invalid label key ${JSON.stringify(req.key)}` };
    }
    if ("values" in req) {
      for (const v of req.values) {
        if (!VALUE.test(v)) {
          return { ok: false, error: `invalid label value: ${JSON.stringify(v)}` };
        }
      }
    }
    requirements.push(req);
  }
  return {
    ok: true,
    match: (object) => {
      const labels = asObject(asObject(object.metadata)?.labels) ?? {};
      return requirements.every((req) => {
        const has = Object.hasOwn(labels, req.key);
        const value = has ? String(labels[req.key]) : undefined;
        switch (req.op) {
          case "exists":
            return has;
          case "!exists":
            return !has;
          case "in":
            return has && req.values.includes(value!);
          case "notin":
            return !has || !req.values.includes(value!);
        }
      });
    },
  };
}

const COMMON_FIELDS = ["metadata.name", "metadata.namespace"];
/** Field paths each resource supports beyond metadata.name and metadata.namespace. */
const FIELDS: Record<string, string[]> = {
  "/pods": [
    "spec.nodeName",
    "spec.restartPolicy",
    "spec.schedulerName",
    "spec.serviceAccountName",
    "status.phase",
    "status.podIP",
    "status.nominatedNodeName",
  ],
  "/events": [
    "involvedObject.kind",
    "involvedObject.namespace",
    "involvedObject.name",
    "involvedObject.uid",
    "involvedObject.apiVersion",
    "involvedObject.resourceVersion",
    "involvedObject.fieldPath",
    "reason",
    "reportingComponent",
    "source",
    "type",
  ],
  "/secrets": ["type"],
  "/namespaces": ["status.phase"],
};

/** Parses a field selector for `resource` ("group/plural"); unknown fields are a 400 like kube. */
export function parseFieldSelector(text: string | null, resource: string): SelectorResult {
  if (text === null || text.trim() === "") return { ok: true, match: () => true };
  const terms: { path: string; value: string; negate: boolean }[] = [];
  const allowed = [...COMMON_FIELDS, ...(FIELDS[resource] ?? [])];
  for (const term of splitTerms(text)) {
    const m = /^([^=!\s]+)\s*(==|=|!=)\s*(.*)$/.exec(term);
    if (!m) return { ok: false, error: `invalid selector: '${text}'; can't understand '${term}'` };
    if (!allowed.includes(m[1])) {
      return { ok: false, error: `field label not supported: ${m[1]}` };
    }
    terms.push({ path: m[1], value: m[3].trim(), negate: m[2] === "!=" });
  }
  return {
    ok: true,
    match: (object) =>
      terms.every((t) => {
        let value: Json | undefined = object;
        for (const part of t.path.split(".")) value = asObject(value)?.[part];
        const text = value === undefined || value === null
          ? ""
          : typeof value === "object"
          ? asObject(value)?.component ?? ""
          : String(value);
        return (String(text) === t.value) !== t.negate;
      }),
  };
}

function asObject(value: Json | undefined): JsonObject | undefined {
  return value !== null && typeof value === "object" && !Array.isArray(value) ? value : undefined;
}
