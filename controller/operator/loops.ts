/**
 * Loop expansion: `withItems`, `withParam` and `withSequence` turn one step or task into one
 * item per iteration, each with the variables it binds (`item`, `item.<key>`).
 *
 * @module
 */
import type { Item, Sequence } from "../../api/types.gen.ts";
import { itemDescription } from "./names.ts";

/** The most iterations one loop may expand to. */
export const MAX_LOOP_ITEMS = 100_000;

export interface LoopItem {
  index: number;
  description: string;
  vars: Record<string, string>;
}

export type LoopResult = { ok: true; items: LoopItem[] } | { ok: false; message: string };

interface Looped {
  withItems?: Item[];
  withParam?: string;
  withSequence?: Sequence;
}

export function isLooped(step: Looped): boolean {
  return step.withItems !== undefined || step.withParam !== undefined ||
    step.withSequence !== undefined;
}

/** Expands an already substituted loop into its items. */
export function expandLoop(step: Looped): LoopResult {
  let values: unknown[];
  if (step.withItems !== undefined) {
    values = step.withItems;
  } else if (step.withParam !== undefined) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(step.withParam);
    } catch (error) {
      return {
        ok: false,
        message: `withParam value could not be parsed as a JSON list: ${step.withParam}: ${
          (error as Error).message
        }`,
      };
    }
    if (!Array.isArray(parsed)) {
      return {
        ok: false,
        message: `withParam value could not be parsed as a JSON list: ${step.withParam}`,
      };
    }
    values = parsed;
  } else if (step.withSequence !== undefined) {
    const sequence = expandSequence(step.withSequence);
    if (!sequence.ok) return sequence;
    values = sequence.values;
  } else {
    return { ok: true, items: [] };
  }
  if (values.length > MAX_LOOP_ITEMS) {
    return {
      ok: false,
      message: `loop expands to ${values.length} items; the limit is ${MAX_LOOP_ITEMS}`,
    };
  }
  return { ok: true, items: values.map((value, index) => loopItem(value, index)) };
}

function loopItem(value: unknown, index: number): LoopItem {
  const vars: Record<string, string> = {};
  if (value !== null && typeof value === "object" && !Array.isArray(value)) {
    for (const [key, inner] of Object.entries(value as Record<string, unknown>)) {
      vars[`item.${key}`] = typeof inner === "string" ? inner : JSON.stringify(inner);
    }
    vars.item = JSON.stringify(value);
  } else if (typeof value === "string") {
    vars.item = value;
  } else {
    vars.item = JSON.stringify(value);
  }
  return { index, description: itemDescription(value), vars };
}

/** `withSequence`: `count` or `end`, from `start` (default 0), printed with `format`. */
function expandSequence(
  sequence: Sequence,
): { ok: true; values: string[] } | { ok: false; message: string } {
  const toInt = (value: number | string | undefined, name: string): number | string => {
    if (value === undefined || value === "") return 0;
    const n = typeof value === "number" ? value : Number(String(value).trim());
    return Number.isInteger(n) ? n : `withSequence.${name} must be an integer, got '${value}'`;
  };
  if (sequence.count !== undefined && sequence.end !== undefined) {
    return { ok: false, message: "only one of count or end can be defined in withSequence" };
  }
  const start = toInt(sequence.start, "start");
  if (typeof start === "string") return { ok: false, message: start };
  let end: number;
  if (sequence.count !== undefined) {
    const count = toInt(sequence.count, "count");
    if (typeof count === "string") return { ok: false, message: count };
    if (count === 0) return { ok: true, values: [] };
    end = start + count - 1;
  } else {
    const e = toInt(sequence.end, "end");
    if (typeof e === "string") return { ok: false, message: e };
    end = e;
  }
  if (Math.abs(end - start) + 1 > MAX_LOOP_ITEMS) {
    return { ok: false, message: `withSequence expands past the limit of ${MAX_LOOP_ITEMS}` };
  }
  const values: string[] = [];
  const step = end >= start ? 1 : -1;
  for (let i = start; step > 0 ? i <= end : i >= end; i += step) {
    values.push(sequence.format ? sprintfInt(sequence.format, i) : String(i));
  }
  return { ok: true, values };
}

/** The integer subset of Go's fmt.Sprintf a sequence format uses: `%d`, `%0Nd`, `%Nd`, `%x`. */
function sprintfInt(format: string, value: number): string {
  return format.replace(/%(0?)(\d*)([dxXo])/g, (_m, zero: string, width: string, verb: string) => {
    let text = verb === "d"
      ? String(Math.abs(value))
      : Math.abs(value).toString(verb === "o" ? 8 : 16);
    if (verb === "X") text = text.toUpperCase();
    const w = width ? Number(width) : 0;
    const sign = value < 0 ? "-" : "";
    if (zero) text = text.padStart(Math.max(0, w - sign.length), "0");
    text = sign + text;
    return text.padStart(w, " ");
  });
}
