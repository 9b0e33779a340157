/**
 * `--node-field-selector`: Kubernetes field-selector syntax (`k=v`, `k==v`, `k!=v`, joined by
 * commas, all must hold) matched against the fields Argo exposes for a node: `displayName`,
 * `templateName` (`templateRef.template` when set), `phase`, `name`, `id`,
 * `templateRef.name`, `templateRef.template` and `inputs.parameters.<name>.value`.
 * A field the node lacks has the empty value, as in Kubernetes.
 *
 * @module
 */
import type { NodeStatus } from "../../api/types.gen.ts";

export interface FieldRequirement {
  field: string;
  operator: "=" | "!=";
  value: string;
}

/** Splits on `sep` outside backslash escapes. */
function splitUnescaped(text: string, sep: string): string[] {
  const parts: string[] = [];
  let current = "";
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (ch === "\\" && i + 1 < text.length) {
      current += ch + text[i + 1];
      i++;
    } else if (ch === sep) {
      parts.push(current);
      current = "";
    } else {
      current += ch;
    }
  }
  parts.push(current);
  return parts;
}

function unescape(text: string): string {
  return text.replace(/\\(.)/g, "$1");
}

/** Parses a field selector; throws `selector is invalid: …` like Argo on bad input. */
export function parseFieldSelector(selector: string): FieldRequirement[] {
  const requirements: FieldRequirement[] = [];
  for (const term of splitUnescaped(selector, ",")) {
    if (term.trim() === "") continue;
    const match = /^((?:[^\\=!]|\\.)*)(!=|==|=)(.*)$/.exec(term);
    if (!match) {
      throw new Error(
        `selector is invalid: invalid selector: '${selector}'; can't understand '${term}'`,
      );
    }
    requirements.push({
      field: unescape(match[1].trim()),
      operator: match[2] === "!=" ? "!=" : "=",
      value: unescape(match[3].trim()),
    });
  }
  return requirements;
}

/** The value of `field` on `node`, as Argo's `SelectorMatchesNode` sees it. */
export function nodeField(node: NodeStatus, field: string): string {
  switch (field) {
    case "displayName":
      return node.displayName ?? "";
    case "templateName":
      return node.templateRef?.template ?? node.templateName ?? "";
    case "phase":
      return node.phase ?? "";
    case "name":
      return node.name;
    case "id":
      return node.id;
    case "templateRef.name":
      return node.templateRef?.name ?? "";
    case "templateRef.template":
      return node.templateRef?.template ?? "";
  }
  const param = /^inputs\.parameters\.(.+)\.value$/.exec(field);
  if (param) {
    return node.inputs?.parameters?.find((p) => p.name === param[1])?.value ?? "";
  }
  return "";
}

/** Whether `node` satisfies every requirement. */
export function matchesNode(requirements: FieldRequirement[], node: NodeStatus): boolean {
  for (const { field, operator, value } of requirements) {
    const actual = nodeField(node, field);
    if ((actual === value) !== (operator === "=")) return false;
  }
  return true;
}
