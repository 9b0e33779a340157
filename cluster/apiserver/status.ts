/** Kubernetes `Status` bodies for errors, with the reasons and codes kube-apiserver uses. */
import type { JsonObject } from "../store/mod.ts";

export type Reason =
  | "NotFound"
  | "AlreadyExists"
  | "Conflict"
  | "Invalid"
  | "BadRequest"
  | "Unauthorized"
  | "Forbidden"
  | "MethodNotAllowed"
  | "RequestEntityTooLarge"
  | "Gone"
  | "Expired"
  | "UnsupportedMediaType"
  | "NotAcceptable"
  | "InternalError";

const CODES: Record<Reason, number> = {
  NotFound: 404,
  AlreadyExists: 409,
  Conflict: 409,
  Invalid: 422,
  BadRequest: 400,
  Unauthorized: 401,
  Forbidden: 403,
  MethodNotAllowed: 405,
  RequestEntityTooLarge: 413,
  Gone: 410,
  Expired: 410,
  UnsupportedMediaType: 415,
  NotAcceptable: 406,
  InternalError: 500,
};

/** An API failure: what the handler returns instead of throwing. */
export interface ApiError {
  status: JsonObject;
  code: number;
  [API_ERROR]: true;
}

const API_ERROR: unique symbol = Symbol("ApiError");

export interface StatusDetails {
  name?: string;
  group?: string;
  kind?: string;
  causes?: { reason: string; message: string; field: string }[];
}

export function apiError(reason: Reason, message: string, details?: StatusDetails): ApiError {
  const code = CODES[reason];
  const status: JsonObject = {
    kind: "Status",
    apiVersion: "v1",
    metadata: {},
    status: "Failure",
    message,
    reason,
    code,
  };
  if (details !== undefined) {
    const d: JsonObject = {};
    if (details.name !== undefined) d.name = details.name;
    if (details.group !== undefined && details.group !== "") d.group = details.group;
    if (details.kind !== undefined) d.kind = details.kind;
    if (details.causes !== undefined) d.causes = details.causes;
    status.details = d;
  }
  return { status, code, [API_ERROR]: true };
}

/** `pods "x" not found` */
export function notFound(resource: string, group: string, name: string): ApiError {
  return apiError("NotFound", `${qualified(resource, group)} "${name}" not found`, {
    name,
    group,
    kind: resource,
  });
}

export function alreadyExists(resource: string, group: string, name: string): ApiError {
  return apiError("AlreadyExists", `${qualified(resource, group)} "${name}" already exists`, {
    name,
    group,
    kind: resource,
  });
}

export function conflict(resource: string, group: string, name: string): ApiError {
  return apiError(
    "Conflict",
    `Operation cannot be fulfilled on ${
      qualified(resource, group)
    } "${name}": the object has been modified; please apply your changes to the latest version ` +
      "and try again",
    { name, group, kind: resource },
  );
}

/** `Pod "x" is invalid: metadata.name: Invalid value: "X": ...` */
export function invalid(
  kind: string,
  group: string,
  name: string,
  field: string,
  value: string,
  detail: string,
): ApiError {
  const message = `Invalid value: ${JSON.stringify(value)}: ${detail}`;
  return apiError("Invalid", `${kind} "${name}" is invalid: ${field}: ${message}`, {
    name,
    group,
    kind,
    causes: [{ reason: "FieldValueInvalid", message, field }],
  });
}

export function badRequest(message: string): ApiError {
  return apiError("BadRequest", message);
}

export function isApiError(value: unknown): value is ApiError {
  return typeof value === "object" && value !== null && API_ERROR in value;
}

function qualified(resource: string, group: string): string {
  return group === "" ? resource : `${resource}.${group}`;
}

/** A `Status` of success, as DELETE on a collection or a binding returns. */
export function success(details?: JsonObject): JsonObject {
  const status: JsonObject = { kind: "Status", apiVersion: "v1", metadata: {}, status: "Success" };
  if (details !== undefined) status.details = details;
  return status;
}
