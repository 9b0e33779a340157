/**
 * Types of the argoproj.io kinds Argo's JSON schema leaves out because only the controller and
 * the executor use them: WorkflowTaskResult (how a pod's outputs reach the controller),
 * WorkflowTaskSet (HTTP and plugin tasks for the agent pod) and WorkflowArtifactGCTask (artifacts
 * for the garbage-collection pod to delete). Field names follow Argo's Go types.
 *
 * @module
 */
import type { Artifact, ArtifactLocation, ObjectMeta, Outputs, Template } from "./types.gen.ts";

/**
 * The outputs of one node, written by the executor: named after the node ID, labelled with
 * `workflows.argoproj.io/workflow` and `workflows.argoproj.io/report-outputs-completed`.
 * Unlike the other kinds its fields sit at the top level, not under `spec`.
 */
export interface WorkflowTaskResult {
  apiVersion?: "argoproj.io/v1alpha1";
  kind?: "WorkflowTaskResult";
  metadata: ObjectMeta;
  outputs?: Outputs;
  /** Node phase, when the executor knows it (agent tasks). */
  phase?: string;
  message?: string;
  /** `N/M`, the executor's progress report. */
  progress?: string;
}

/** HTTP and plugin templates for the workflow's agent pod, and what became of them. */
export interface WorkflowTaskSet {
  apiVersion?: "argoproj.io/v1alpha1";
  kind?: "WorkflowTaskSet";
  metadata: ObjectMeta;
  spec: WorkflowTaskSetSpec;
  status?: WorkflowTaskSetStatus;
}

export interface WorkflowTaskSetSpec {
  /** Node ID -> the template to run. */
  tasks?: Record<string, Template>;
}

export interface WorkflowTaskSetStatus {
  /** Node ID -> the result of its task. */
  nodes?: Record<string, NodeResult>;
}

/** The result of an agent task. */
export interface NodeResult {
  phase?: string;
  message?: string;
  outputs?: Outputs;
  progress?: string;
}

/** The artifacts one artifact-GC pod deletes, and their results. */
export interface WorkflowArtifactGCTask {
  apiVersion?: "argoproj.io/v1alpha1";
  kind?: "WorkflowArtifactGCTask";
  metadata: ObjectMeta;
  spec: ArtifactGCSpec;
  status?: ArtifactGCStatus;
}

export interface ArtifactGCSpec {
  /** Node ID -> the node's artifacts to delete. */
  artifactsByNode?: Record<string, ArtifactNodeSpec>;
}

/** The artifacts of one node to delete. */
export interface ArtifactNodeSpec {
  /** Where the artifacts were archived; the repository an artifact without a location uses. */
  archiveLocation?: ArtifactLocation;
  /** Artifact name -> artifact. */
  artifacts?: Record<string, Artifact>;
}

export interface ArtifactGCStatus {
  /** Node ID -> the results of deleting the node's artifacts. */
  artifactResultsByNode?: Record<string, ArtifactResultNodeStatus>;
}

export interface ArtifactResultNodeStatus {
  /** Artifact name -> result. */
  artifactResults?: Record<string, ArtifactResult>;
}

/** Whether one artifact was deleted. */
export interface ArtifactResult {
  name: string;
  success?: boolean;
  error?: string;
}
