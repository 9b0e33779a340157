/**
 * The evaluator for parsed expr-lang expressions, with expr's semantics: `&&`/`||` take
 * booleans, `==` compares by value, `in` tests membership, `/` divides as floats, a missing map
 * key is `nil` and an unknown name is an error.
 *
 * Safety: a name resolves only to a `let` binding, an own property of the environment, or an
 * entry of the allow-listed function table; member access reads own properties of data only;
 * calls reach only {@link ExprFunction}s from the table and the fixed methods of times and
 * durations. Every evaluation has a step budget and a recursion bound.
 *
 * @module
 */
import { type ExprNode, nodePos } from "./expr_parser.ts";
import {
  type CallSite,
  ExprDuration,
  ExprFunction,
  type ExprMap,
  ExprTime,
  goString,
  goTypeName,
  isMap,
  mapSet,
  newMap,
  valuesEqual,
} from "./values.ts";
import { err, fail, LIMITS, ok, quote, type Result, TemplatingFailure } from "./result.ts";
import {
  addNanos,
  checkCollectionSize,
  checkStringSize,
  DURATION_METHODS,
  FUNCTIONS,
  sortValues,
  subtractTimes,
  TIME_METHODS,
} from "./functions.ts";
import { SPRIG } from "./sprig.ts";
import { compileRegex } from "./regex.ts";

/** Options for one evaluation. */
export interface EvalOptions {
  /** The clock `now()` reads; a pure caller (the operator) passes its snapshot's time. */
  now?: Date | number;
  /** Steps allowed (nodes visited plus loop iterations); default {@link LIMITS.stepBudget}. */
  budget?: number;
}

/** Names that evaluate to functions or namespaces rather than environment values. */
export function isFunctionName(name: string): boolean {
  return name === "sprig" || FUNCTIONS.has(name) || PREDICATES.has(name);
}

const NIL_CHAIN: unique symbol = Symbol("nil chain");

interface Frame {
  value: unknown;
  index: number;
  acc: unknown;
}

interface Binding {
  name: string;
  value: unknown;
  next: Binding | undefined;
}

type Predicate = (ev: Evaluator, args: ExprNode[], pos: number) => unknown;

class Evaluator implements CallSite {
  steps = 0;
  depth = 0;
  offset = 0;
  frames: Frame[] = [];
  bindings: Binding | undefined = undefined;
  private clock: ExprTime | undefined;

  constructor(
    readonly env: Record<string, unknown>,
    readonly budget: number,
    readonly nowOption: Date | number | undefined,
  ) {}

  charge(steps: number): void {
    this.steps += steps;
    if (this.steps > this.budget) {
      fail(`expression evaluation exceeded its budget of ${this.budget} steps`, this.offset);
    }
  }

  now(): ExprTime {
    if (!this.clock) {
      const ms = this.nowOption === undefined
        ? Date.now()
        : typeof this.nowOption === "number"
        ? this.nowOption
        : this.nowOption.getTime();
      this.clock = new ExprTime(ms);
    }
    return this.clock;
  }

  eval(node: ExprNode): unknown {
    if (++this.steps > this.budget) {
      fail(`expression evaluation exceeded its budget of ${this.budget} steps`, nodePos(node));
    }
    if (++this.depth > LIMITS.maxDepth * 4) {
      fail("expression is nested too deeply", nodePos(node));
    }
    const value = this.evalNode(node);
    this.depth--;
    return value;
  }

  /** Evaluates and turns a short-circuited optional chain into a failure for callers. */
  value(node: ExprNode): unknown {
    const v = this.eval(node);
    return v === NIL_CHAIN ? null : v;
  }

  private evalNode(node: ExprNode): unknown {
    switch (node.type) {
      case "Literal":
        return node.value;
      case "Identifier":
        return this.lookup(node.name, node.pos);
      case "Env":
        return this.env;
      case "Pointer": {
        const frame = this.frames[this.frames.length - 1];
        if (!frame) fail("cannot use pointer accessor outside closure", node.pos);
        if (node.name === "index") return frame.index;
        if (node.name === "acc") return frame.acc;
        return frame.value;
      }
      case "Member": {
        const object = this.eval(node.object);
        if (object === NIL_CHAIN) return NIL_CHAIN;
        if (node.optional && (object === null || object === undefined)) return NIL_CHAIN;
        const key = node.computed
          ? this.value(node.property)
          : (node.property as { value: string }).value;
        return fetch(object, key, node.pos);
      }
      case "Slice": {
        const object = this.eval(node.object);
        if (object === NIL_CHAIN) return NIL_CHAIN;
        if (node.optional && (object === null || object === undefined)) return NIL_CHAIN;
        return this.slice(object, node);
      }
      case "Chain": {
        const v = this.eval(node.node);
        return v === NIL_CHAIN ? null : v;
      }
      case "Call":
        return this.call(node);
      case "Unary":
        return this.unary(node.operator, this.value(node.argument), node.pos);
      case "Binary":
        return this.binary(node);
      case "ConditionalExpression": {
        const test = this.value(node.test);
        if (typeof test !== "boolean") {
          fail(`non-bool expression (type ${goTypeName(test)}) used as condition`, nodePos(node));
        }
        return this.value(test ? node.consequent : node.alternate);
      }
      case "Array": {
        checkCollectionSize(node.elements.length, this);
        return node.elements.map((e) => this.value(e));
      }
      case "Map": {
        const out = newMap();
        for (const entry of node.entries) {
          const key = this.value(entry.key);
          if (typeof key !== "string" && typeof key !== "number") {
            fail(`cannot use ${goTypeName(key)} as a map key`, nodePos(entry.key));
          }
          mapSet(out, String(key), this.value(entry.value));
        }
        return out;
      }
      case "Closure":
        fail("a closure can only be an argument of a predicate function", node.pos);
        break;
      case "Let": {
        const value = this.value(node.value);
        const saved = this.bindings;
        this.bindings = { name: node.name, value, next: saved };
        const result = this.eval(node.body);
        this.bindings = saved;
        return result;
      }
    }
  }

  private lookup(name: string, pos: number): unknown {
    for (let b = this.bindings; b; b = b.next) if (b.name === name) return b.value;
    if (Object.hasOwn(this.env, name)) {
      const value = this.env[name];
      return value === undefined ? null : value;
    }
    if (name === "sprig") return SPRIG;
    const fn = FUNCTIONS.get(name);
    if (fn) return fn;
    fail(`unknown name ${name}`, pos);
  }

  private slice(object: unknown, node: Extract<ExprNode, { type: "Slice" }>): unknown {
    const length = typeof object === "string"
      ? object.length
      : Array.isArray(object)
      ? object.length
      : -1;
    if (length < 0) fail(`cannot slice ${goTypeName(object)}`, node.pos);
    const bound = (n: ExprNode | null, fallback: number): number => {
      if (!n) return fallback;
      const v = this.value(n);
      if (typeof v !== "number" || !Number.isInteger(v)) {
        fail(`non-integer slice index (type ${goTypeName(v)})`, nodePos(n));
      }
      const i = v < 0 ? length + v : v;
      return Math.min(Math.max(i, 0), length);
    };
    const from = bound(node.from, 0);
    const to = bound(node.to, length);
    if (from > to) return typeof object === "string" ? "" : [];
    return (object as string | unknown[]).slice(from, to);
  }

  private call(node: Extract<ExprNode, { type: "Call" }>): unknown {
    const callee = node.callee;
    if (callee.type === "Identifier" && !this.isBound(callee.name)) {
      const predicate = PREDICATES.get(callee.name);
      if (predicate) {
        this.offset = node.pos;
        return predicate(this, node.args, node.pos);
      }
      const fn = FUNCTIONS.get(callee.name);
      if (fn) return this.invoke(fn, node.args, node.pos);
      if (!Object.hasOwn(this.env, callee.name)) fail(`unknown func ${callee.name}`, callee.pos);
    }
    if (callee.type === "Member" && !callee.computed) {
      const receiver = this.value(callee.object);
      const name = (callee.property as { value: string }).value;
      if (receiver instanceof ExprTime || receiver instanceof ExprDuration) {
        const table = receiver instanceof ExprTime ? TIME_METHODS : DURATION_METHODS;
        const method = Object.hasOwn(table, name) ? table[name] : undefined;
        if (!method) fail(`type ${goTypeName(receiver)} has no method ${name}`, callee.pos);
        const args = node.args.map((a) => this.value(a));
        this.checkArity(name, args.length, method.min, method.max, node.pos);
        this.offset = node.pos;
        return (method.call as (r: unknown, a: unknown[], s: CallSite) => unknown)(
          receiver,
          args,
          this,
        );
      }
      const fn = fetch(receiver, name, callee.pos);
      if (fn instanceof ExprFunction) return this.invoke(fn, node.args, node.pos);
      if (receiver === SPRIG) {
        const hint = name === "env" || name === "expandenv"
          ? " (environment access is not available)"
          : "";
        fail(`unknown function sprig.${name}${hint}`, callee.pos);
      }
      fail(`${name} is not a function (type ${goTypeName(fn)})`, callee.pos);
    }
    const fn = this.value(callee);
    if (fn instanceof ExprFunction) return this.invoke(fn, node.args, node.pos);
    if (callee.type === "Identifier") {
      fail(`${callee.name} is not a function (type ${goTypeName(fn)})`, callee.pos);
    }
    fail(`cannot call ${goTypeName(fn)}`, node.pos);
  }

  private isBound(name: string): boolean {
    for (let b = this.bindings; b; b = b.next) if (b.name === name) return true;
    return false;
  }

  private checkArity(name: string, count: number, min: number, max: number, pos: number): void {
    if (count < min) fail(`not enough arguments to call ${name}`, pos);
    if (count > max) fail(`too many arguments to call ${name}`, pos);
  }

  invoke(fn: ExprFunction, argNodes: ExprNode[], pos: number): unknown {
    this.checkArity(fn.name, argNodes.length, fn.minArgs, fn.maxArgs, pos);
    const args = argNodes.map((a) => {
      if (a.type === "Closure") fail(`${fn.name} does not take a closure`, nodePos(a));
      return this.value(a);
    });
    this.offset = pos;
    try {
      return fn.impl(args, this);
    } catch (error) {
      if (error instanceof TemplatingFailure && error.offset < 0) {
        throw new TemplatingFailure(`${fn.name}: ${error.message}`, pos);
      }
      throw error;
    }
  }

  private unary(op: string, value: unknown, pos: number): unknown {
    switch (op) {
      case "!":
      case "not":
        if (typeof value !== "boolean") fail(`invalid operation: ${op} ${goTypeName(value)}`, pos);
        return !value;
      case "-":
        if (value instanceof ExprDuration) return new ExprDuration(-value.nanos);
        if (typeof value !== "number") fail(`invalid operation: - ${goTypeName(value)}`, pos);
        return -value;
      default:
        if (typeof value !== "number") fail(`invalid operation: + ${goTypeName(value)}`, pos);
        return value;
    }
  }

  private binary(node: Extract<ExprNode, { type: "Binary" }>): unknown {
    const op = node.operator;
    const pos = node.pos;
    switch (op) {
      case "&&":
      case "and":
      case "||":
      case "or": {
        const isAnd = op === "&&" || op === "and";
        const left = this.value(node.left);
        if (typeof left !== "boolean") {
          fail(`invalid operation: ${op} on ${goTypeName(left)} (bool expected)`, pos);
        }
        if (isAnd ? !left : left) return left;
        const right = this.value(node.right);
        if (typeof right !== "boolean") {
          fail(`invalid operation: ${op} on ${goTypeName(right)} (bool expected)`, pos);
        }
        return right;
      }
      case "??": {
        const left = this.value(node.left);
        return left === null || left === undefined ? this.value(node.right) : left;
      }
    }
    const left = this.value(node.left);
    const right = this.value(node.right);
    const mismatch = (): never =>
      fail(`invalid operation: ${goTypeName(left)} ${op} ${goTypeName(right)}`, pos);
    switch (op) {
      case "==":
        return valuesEqual(left, right);
      case "!=":
        return !valuesEqual(left, right);
      case "<":
      case ">":
      case "<=":
      case ">=": {
        const c = compare(left, right);
        if (c === undefined) mismatch();
        return op === "<" ? c! < 0 : op === ">" ? c! > 0 : op === "<=" ? c! <= 0 : c! >= 0;
      }
      case "+":
        if (typeof left === "number" && typeof right === "number") return left + right;
        if (typeof left === "string" && typeof right === "string") {
          checkStringSize(left.length + right.length, this);
          return left + right;
        }
        if (left instanceof ExprTime && right instanceof ExprDuration) {
          return addNanos(left, right.nanos);
        }
        if (left instanceof ExprDuration && right instanceof ExprTime) {
          return addNanos(right, left.nanos);
        }
        if (left instanceof ExprDuration && right instanceof ExprDuration) {
          return new ExprDuration(left.nanos + right.nanos);
        }
        if (Array.isArray(left) && Array.isArray(right)) {
          checkCollectionSize(left.length + right.length, this);
          return [...left, ...right];
        }
        return mismatch();
      case "-":
        if (typeof left === "number" && typeof right === "number") return left - right;
        if (left instanceof ExprTime && right instanceof ExprTime) {
          return new ExprDuration(subtractTimes(left, right));
        }
        if (left instanceof ExprTime && right instanceof ExprDuration) {
          return addNanos(left, -right.nanos);
        }
        if (left instanceof ExprDuration && right instanceof ExprDuration) {
          return new ExprDuration(left.nanos - right.nanos);
        }
        return mismatch();
      case "*":
        if (typeof left === "number" && typeof right === "number") return left * right;
        if (left instanceof ExprDuration && typeof right === "number") {
          return new ExprDuration(left.nanos * right);
        }
        if (typeof left === "number" && right instanceof ExprDuration) {
          return new ExprDuration(left * right.nanos);
        }
        return mismatch();
      case "/":
        if (typeof left !== "number" || typeof right !== "number") return mismatch();
        if (right === 0) fail("division by zero", pos);
        return left / right;
      case "%":
        if (typeof left !== "number" || typeof right !== "number") return mismatch();
        if (!Number.isInteger(left) || !Number.isInteger(right)) return mismatch();
        if (right === 0) fail("integer divide by zero", pos);
        return left % right;
      case "**":
      case "^":
        if (typeof left !== "number" || typeof right !== "number") return mismatch();
        return Math.pow(left, right);
      case "..": {
        if (
          typeof left !== "number" || typeof right !== "number" || !Number.isInteger(left) ||
          !Number.isInteger(right)
        ) {
          return mismatch();
        }
        if (right < left) return [];
        checkCollectionSize(right - left + 1, this);
        const out: number[] = [];
        for (let i = left; i <= right; i++) out.push(i);
        return out;
      }
      case "in":
        if (Array.isArray(right)) {
          this.charge(right.length);
          return right.some((item) => valuesEqual(item, left));
        }
        if (isMap(right)) {
          if (typeof left !== "string") mismatch();
          return Object.hasOwn(right, left as string);
        }
        if (right === null) return false;
        return mismatch();
      case "matches": {
        if (typeof left !== "string" || typeof right !== "string") return mismatch();
        const re = compileRegex(right);
        if (!re.ok) fail(re.message, pos);
        this.charge(Math.floor(left.length / 64));
        try {
          return re.regex.test(left);
        } catch (error) {
          if (error instanceof TemplatingFailure) throw new TemplatingFailure(error.message, pos);
          throw error;
        }
      }
      case "contains":
        if (typeof left !== "string" || typeof right !== "string") return mismatch();
        return left.includes(right);
      case "startsWith":
        if (typeof left !== "string" || typeof right !== "string") return mismatch();
        return left.startsWith(right);
      case "endsWith":
        if (typeof left !== "string" || typeof right !== "string") return mismatch();
        return left.endsWith(right);
    }
    return fail(`unknown operator ${quote(op)}`, pos);
  }

  /** Runs a closure for each element; `#` is the element, `#index` its index. */
  each(
    list: unknown[],
    closure: ExprNode,
    visit: (result: unknown, item: unknown, index: number) => boolean | void,
    acc?: () => unknown,
  ): void {
    const body = closure.type === "Closure" ? closure.body : closure;
    const frame: Frame = { value: null, index: 0, acc: undefined };
    this.frames.push(frame);
    for (let i = 0; i < list.length; i++) {
      this.charge(1);
      frame.value = list[i];
      frame.index = i;
      if (acc) frame.acc = acc();
      if (visit(this.value(body), list[i], i) === false) break;
    }
    this.frames.pop();
  }
}

/** Reads `object[key]` as expr does. */
function fetch(object: unknown, key: unknown, pos: number): unknown {
  if (object === null || object === undefined) {
    fail(`cannot fetch ${goString(key)} from <nil>`, pos);
  }
  if (Array.isArray(object)) {
    if (typeof key !== "number" || !Number.isInteger(key)) {
      fail(`cannot fetch ${goString(key)} from ${goTypeName(object)}`, pos);
    }
    const index = key < 0 ? object.length + key : key;
    if (index < 0 || index >= object.length) {
      fail(`index out of range: ${key} (array length is ${object.length})`, pos);
    }
    return object[index];
  }
  if (typeof object === "string") {
    if (typeof key !== "number" || !Number.isInteger(key)) {
      fail(`cannot fetch ${goString(key)} from string`, pos);
    }
    const chars = Array.from(object);
    const index = key < 0 ? chars.length + key : key;
    if (index < 0 || index >= chars.length) {
      fail(`index out of range: ${key} (string length is ${chars.length})`, pos);
    }
    return chars[index];
  }
  if (isMap(object)) {
    if (typeof key !== "string") fail(`cannot use ${goTypeName(key)} as a map key`, pos);
    if (!Object.hasOwn(object, key)) return null;
    const value = object[key];
    return value === undefined ? null : value;
  }
  if (object instanceof ExprTime || object instanceof ExprDuration) {
    fail(`${goTypeName(object)}.${goString(key)} is a method; call it with ()`, pos);
  }
  fail(`cannot fetch ${goString(key)} from ${goTypeName(object)}`, pos);
}

/** Orders two values for `<`; undefined if they cannot be compared. */
function compare(a: unknown, b: unknown): number | undefined {
  if (typeof a === "number" && typeof b === "number") return a < b ? -1 : a > b ? 1 : 0;
  if (typeof a === "string" && typeof b === "string") return a < b ? -1 : a > b ? 1 : 0;
  if (a instanceof ExprTime && b instanceof ExprTime) return Math.sign(subtractTimes(a, b));
  if (a instanceof ExprDuration && b instanceof ExprDuration) return Math.sign(a.nanos - b.nanos);
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Predicate built-ins: their second argument is a closure run per element.

function listArg(ev: Evaluator, name: string, node: ExprNode | undefined, pos: number): unknown[] {
  if (!node) fail(`not enough arguments to call ${name}`, pos);
  const value = ev.value(node);
  if (Array.isArray(value)) return value;
  if (value === null) return [];
  fail(`cannot iterate over ${goTypeName(value)} in ${name}`, nodePos(node));
}

function closureArg(name: string, args: ExprNode[], index: number, pos: number): ExprNode {
  const node = args[index];
  if (!node) fail(`not enough arguments to call ${name}`, pos);
  return node;
}

function maxArgs(name: string, args: ExprNode[], max: number, pos: number): void {
  if (args.length > max) fail(`too many arguments to call ${name}`, pos);
}

function boolResult(name: string, value: unknown, pos: number): boolean {
  if (typeof value !== "boolean") {
    fail(`predicate of ${name} must return a bool, not ${goTypeName(value)}`, pos);
  }
  return value;
}

const PREDICATES = new Map<string, Predicate>();

PREDICATES.set("all", (ev, args, pos) => {
  maxArgs("all", args, 2, pos);
  const list = listArg(ev, "all", args[0], pos);
  let result = true;
  ev.each(list, closureArg("all", args, 1, pos), (r) => (result = boolResult("all", r, pos)));
  return result;
});
PREDICATES.set("none", (ev, args, pos) => {
  maxArgs("none", args, 2, pos);
  const list = listArg(ev, "none", args[0], pos);
  let result = true;
  ev.each(list, closureArg("none", args, 1, pos), (r) => (result = !boolResult("none", r, pos)));
  return result;
});
PREDICATES.set("any", (ev, args, pos) => {
  maxArgs("any", args, 2, pos);
  const list = listArg(ev, "any", args[0], pos);
  let result = false;
  ev.each(list, closureArg("any", args, 1, pos), (r) => !(result = boolResult("any", r, pos)));
  return result;
});
PREDICATES.set("one", (ev, args, pos) => {
  maxArgs("one", args, 2, pos);
  const list = listArg(ev, "one", args[0], pos);
  let count = 0;
  ev.each(list, closureArg("one", args, 1, pos), (r) => {
    if (boolResult("one", r, pos)) count++;
    return count <= 1;
  });
  return count === 1;
});
PREDICATES.set("filter", (ev, args, pos) => {
  maxArgs("filter", args, 2, pos);
  const list = listArg(ev, "filter", args[0], pos);
  const out: unknown[] = [];
  ev.each(list, closureArg("filter", args, 1, pos), (r, item) => {
    if (boolResult("filter", r, pos)) out.push(item);
  });
  return out;
});
PREDICATES.set("map", (ev, args, pos) => {
  maxArgs("map", args, 2, pos);
  const list = listArg(ev, "map", args[0], pos);
  const out: unknown[] = [];
  ev.each(list, closureArg("map", args, 1, pos), (r) => void out.push(r));
  return out;
});
PREDICATES.set("count", (ev, args, pos) => {
  maxArgs("count", args, 2, pos);
  const list = listArg(ev, "count", args[0], pos);
  let count = 0;
  if (args.length < 2) {
    for (const item of list) if (boolResult("count", item, pos)) count++;
    return count;
  }
  ev.each(list, closureArg("count", args, 1, pos), (r) => {
    if (boolResult("count", r, pos)) count++;
  });
  return count;
});
PREDICATES.set("sum", (ev, args, pos) => {
  maxArgs("sum", args, 2, pos);
  const list = listArg(ev, "sum", args[0], pos);
  let total = 0;
  const add = (v: unknown) => {
    if (typeof v !== "number") fail(`sum: cannot add ${goTypeName(v)}`, pos);
    total += v;
  };
  if (args.length < 2) list.forEach(add);
  else ev.each(list, closureArg("sum", args, 1, pos), (r) => add(r));
  return total;
});
function finder(name: string, fromEnd: boolean, wantIndex: boolean): Predicate {
  return (ev, args, pos) => {
    maxArgs(name, args, 2, pos);
    const list = listArg(ev, name, args[0], pos);
    const ordered = fromEnd ? [...list].reverse() : list;
    let found: unknown = wantIndex ? -1 : null;
    ev.each(ordered, closureArg(name, args, 1, pos), (r, item, i) => {
      if (!boolResult(name, r, pos)) return true;
      found = wantIndex ? (fromEnd ? list.length - 1 - i : i) : item;
      return false;
    });
    return found;
  };
}
PREDICATES.set("find", finder("find", false, false));
PREDICATES.set("findIndex", finder("findIndex", false, true));
PREDICATES.set("findLast", finder("findLast", true, false));
PREDICATES.set("findLastIndex", finder("findLastIndex", true, true));
PREDICATES.set("groupBy", (ev, args, pos) => {
  maxArgs("groupBy", args, 2, pos);
  const list = listArg(ev, "groupBy", args[0], pos);
  const out: ExprMap = newMap();
  ev.each(list, closureArg("groupBy", args, 1, pos), (r, item) => {
    const key = typeof r === "string" ? r : goString(r);
    const group = Object.hasOwn(out, key) ? out[key] as unknown[] : [];
    if (group.length === 0) mapSet(out, key, group);
    group.push(item);
  });
  return out;
});
PREDICATES.set("sortBy", (ev, args, pos) => {
  maxArgs("sortBy", args, 3, pos);
  const list = listArg(ev, "sortBy", args[0], pos);
  const keys: unknown[] = [];
  ev.each(list, closureArg("sortBy", args, 1, pos), (r) => void keys.push(r));
  const order = args[2] === undefined ? "asc" : ev.value(args[2]);
  if (order !== "asc" && order !== "desc") {
    fail(`unknown order ${goString(order)}, use asc or desc`, pos);
  }
  const pairs = list.map((item, i) => ({ item, key: keys[i] }));
  sortValues(pairs, (p) => p.key, "sortBy", ev);
  const sorted = pairs.map((p) => p.item);
  return order === "desc" ? sorted.reverse() : sorted;
});
PREDICATES.set("reduce", (ev, args, pos) => {
  maxArgs("reduce", args, 3, pos);
  const list = listArg(ev, "reduce", args[0], pos);
  const closure = closureArg("reduce", args, 1, pos);
  let acc: unknown;
  let items = list;
  if (args[2] !== undefined) acc = ev.value(args[2]);
  else {
    if (list.length === 0) fail("reduce of empty array with no initial value", pos);
    acc = list[0];
    items = list.slice(1);
  }
  ev.each(items, closure, (r) => void (acc = r), () => acc);
  return acc;
});

/** Evaluates a parsed expression against an environment. */
export function evaluateNode(
  node: ExprNode,
  env: Record<string, unknown>,
  options: EvalOptions = {},
): Result<unknown> {
  const ev = new Evaluator(env, options.budget ?? LIMITS.stepBudget, options.now);
  try {
    const value = ev.value(node);
    return ok(value === undefined ? null : value);
  } catch (error) {
    if (error instanceof TemplatingFailure) return err(error.message, Math.max(0, error.offset));
    if (error instanceof RangeError) return err("expression is nested too deeply", ev.offset);
    throw error;
  }
}
