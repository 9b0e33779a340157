/**
 * Server-side printing: `meta.k8s.io/v1` Table responses, which kubectl asks for
 * (`Accept: application/json;as=Table;v=v1;g=meta.k8s.io, application/json`) in `get`. Pods get
 * kube's Ready/Status/Restarts/Age (and IP/Node with `-o wide`), CRDs their
 * additionalPrinterColumns, other kinds Name and Age.
 */
import type { Json, JsonObject } from "../store/mod.ts";
import type { PrinterColumn, ResourceType } from "./resources.ts";

function asObject(value: Json | undefined): JsonObject | undefined {
  return value !== null && typeof value === "object" && !Array.isArray(value) ? value : undefined;
}

function list(value: Json | undefined): JsonObject[] {
  return Array.isArray(value) ? value.map((v) => asObject(v) ?? {}) : [];
}

/** True when the Accept header asks for a Table. */
export function wantsTable(accept: string | null): boolean {
  return accept !== null && /as=Table/.test(accept) && /g=meta\.k8s\.io/.test(accept);
}

/** kube's HumanDuration ("5s", "3m20s", "4h", "2d3h", ...). */
export function humanDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return "<unknown>";
  const s = Math.max(0, Math.floor(seconds));
  if (s < 120) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 10) return s % 60 === 0 ? `${m}m` : `${m}m${s % 60}s`;
  if (m < 180) return `${m}m`;
  const h = Math.floor(m / 60);
  if (h < 8) return m % 60 === 0 ? `${h}h` : `${h}h${m % 60}m`;
  if (h < 48) return `${h}h`;
  const d = Math.floor(h / 24);
  if (h < 192) return h % 24 === 0 ? `${d}d` : `${d}d${h % 24}h`;
  if (d < 365 * 2) return `${d}d`;
  const y = Math.floor(d / 365);
  return d % 365 === 0 || y >= 8 ? `${y}y` : `${y}y${d % 365}d`;
}

function age(timestamp: Json | undefined, now: number): string {
  if (typeof timestamp !== "string") return "<unknown>";
  return humanDuration((now - Date.parse(timestamp)) / 1000);
}

interface Column {
  name: string;
  type: string;
  format: string;
  description: string;
  priority: number;
  cell(object: JsonObject, now: number): Json;
}

const NAME: Column = {
  name: "Name",
  type: "string",
  format: "name",
  description: "Name must be unique within a namespace.",
  priority: 0,
  cell: (o) => String(asObject(o.metadata)?.name ?? ""),
};
const AGE: Column = {
  name: "Age",
  type: "string",
  format: "",
  description: "CreationTimestamp is a timestamp representing the server time when this object " +
    "was created.",
  priority: 0,
  cell: (o, now) => age(asObject(o.metadata)?.creationTimestamp, now),
};

function podStatus(pod: JsonObject): string {
  const status = asObject(pod.status) ?? {};
  let reason = String(status.reason ?? status.phase ?? "Unknown");
  for (const cs of list(status.containerStatuses)) {
    const state = asObject(cs.state);
    const waiting = asObject(state?.waiting);
    const terminated = asObject(state?.terminated);
    if (waiting?.reason) reason = String(waiting.reason);
    else if (terminated?.reason) reason = String(terminated.reason);
    else if (terminated) reason = `ExitCode:${String(terminated.exitCode ?? "")}`;
  }
  if (asObject(pod.metadata)?.deletionTimestamp !== undefined) reason = "Terminating";
  return reason;
}

function column(name: string, cell: Column["cell"], priority = 0, type = "string"): Column {
  return { name, type, format: "", description: "", priority, cell };
}

const POD_COLUMNS: Column[] = [
  NAME,
  column("Ready", (pod) => {
    const statuses = list(asObject(pod.status)?.containerStatuses);
    const total = list(asObject(pod.spec)?.containers).length;
    return `${statuses.filter((c) => c.ready === true).length}/${total}`;
  }),
  column("Status", podStatus),
  column(
    "Restarts",
    (pod) =>
      list(asObject(pod.status)?.containerStatuses).reduce(
        (sum, c) => sum + (typeof c.restartCount === "number" ? c.restartCount : 0),
        0,
      ),
    0,
    "integer",
  ),
  AGE,
  column("IP", (pod) => String(asObject(pod.status)?.podIP ?? "<none>"), 1),
  column("Node", (pod) => String(asObject(pod.spec)?.nodeName ?? "<none>"), 1),
];

/** A simple JSONPath (`.a.b[0].c`) lookup, as CRD printer columns use. */
function lookup(object: JsonObject, path: string): Json | undefined {
  let current: Json | undefined = object;
  for (const part of path.replace(/\[(\d+)\]/g, ".$1").split(".").filter((p) => p !== "")) {
    if (Array.isArray(current)) current = current[Number(part)];
    else current = asObject(current)?.[part];
    if (current === undefined) return undefined;
  }
  return current;
}

function crdColumn(c: PrinterColumn): Column {
  return {
    name: c.name,
    type: c.type === "date" ? "string" : c.type,
    format: "",
    description: c.description,
    priority: c.priority,
    cell: (o, now) => {
      const value = lookup(o, c.jsonPath);
      if (value === undefined || value === null) return null;
      if (c.type === "date") return age(value, now);
      return typeof value === "object" ? JSON.stringify(value) : value;
    },
  };
}

function columnsFor(type: ResourceType): Column[] {
  if (type.group === "" && type.plural === "pods") return POD_COLUMNS;
  if (type.printerColumns !== undefined && type.printerColumns.length > 0) {
    return [NAME, ...type.printerColumns.map(crdColumn)];
  }
  if (type.group === "" && type.plural === "namespaces") {
    return [NAME, column("Status", (o) => String(asObject(o.status)?.phase ?? "")), AGE];
  }
  if (type.group === "" && (type.plural === "configmaps" || type.plural === "secrets")) {
    const count = (o: JsonObject) =>
      Object.keys(asObject(o.data) ?? {}).length + Object.keys(asObject(o.binaryData) ?? {}).length;
    return type.plural === "secrets"
      ? [
        NAME,
        column("Type", (o) => String(o.type ?? "")),
        column("Data", count, 0, "integer"),
        AGE,
      ]
      : [NAME, column("Data", count, 0, "integer"), AGE];
  }
  return [NAME, AGE];
}

/** A Table of `objects`; `includeObject` is kube's None, Metadata (default) or Object. */
export function toTable(
  type: ResourceType,
  objects: JsonObject[],
  listMetadata: JsonObject,
  includeObject: string | null,
  withHeaders = true,
): JsonObject {
  const columns = columnsFor(type);
  const now = Date.now();
  const rows = objects.map((o) => {
    const row: JsonObject = { cells: columns.map((c) => c.cell(o, now)) };
    if (includeObject === "Object") row.object = o;
    else if (includeObject !== "None") {
      row.object = {
        kind: "PartialObjectMetadata",
        apiVersion: "meta.k8s.io/v1",
        metadata: o.metadata ?? {},
      };
    }
    return row;
  });
  const table: JsonObject = {
    kind: "Table",
    apiVersion: "meta.k8s.io/v1",
    metadata: listMetadata,
    rows,
  };
  if (withHeaders) {
    table.columnDefinitions = columns.map(({ name, type, format, description, priority }) => ({
      name,
      type,
      format,
      description,
      priority,
    }));
  }
  return table;
}
