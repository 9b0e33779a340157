/**
 * The argoproj.io/v1alpha1 API as data: types generated from Argo v4.1.2's JSON schema, the
 * compact schema the linter walks, hand-written types the schema lacks (WorkflowTaskResult,
 * WorkflowArtifactGCTask), phases, node types, label and annotation keys, the one
 * strategic-merge-patch implementation, and YAML/JSON loading with source positions.
 *
 * The bottom layer: it must not import anything else of ours (`templating/`, `validate/`,
 * `controller/`, `kube/`, `exec/`, `cluster/`, `cli/`).
 */
export type * from "./types.gen.ts";
export type * from "./task_result.ts";
export * from "./meta.ts";
export { definitions as schemaDefinitions, kindRoots } from "./schema.gen.ts";
export { resolveRef, type SchemaNode, type SchemaRef } from "./schema_types.ts";
export * from "./strategic_merge.ts";
export * from "./source.ts";
