/**
 * The controller configuration the engine reads: the `data` of Argo's
 * `workflow-controller-configmap`, parsed. Field names follow Argo's ConfigMap keys.
 *
 * Pure data, no I/O: the shell reads the ConfigMap and hands the parsed value to the engine.
 */
import type {
  V1Container,
  V1ResourceRequirements,
  V1SecurityContext,
} from "@kubernetes/client-node";
import type { ArtifactRepository, Workflow } from "../../api/types.gen.ts";

/** `images`: the command of an image whose template leaves `command` out. */
export interface ImageCommand {
  cmd?: string[];
  args?: string[];
}

/** An argo-ts extension: artifacts stored in a directory (the embedded cluster's default). */
export interface FilesystemArtifactRepository {
  /** Absolute path of the repository's root directory on the node. */
  path: string;
}

/** `artifactRepository`, with argo-ts's `filesystem` extension. */
export type ArtifactRepositoryConfig = ArtifactRepository & {
  filesystem?: FilesystemArtifactRepository;
};

/** How pods run the executor (`argo-ts exec ...`). */
export interface ExecutorConfig {
  /** Image of the init and wait containers (and the source of the executor binary on Kubernetes). */
  image: string;
  imagePullPolicy?: string;
  resources?: V1ResourceRequirements;
  securityContext?: V1SecurityContext;
  env?: V1Container["env"];
  /**
   * The command that starts the executor inside a container, before the mode words
   * (`init`, `wait`, `emissary`): e.g. `["argo-ts", "exec"]` in the executor image, or, on the
   * embedded cluster, the host's Deno running this installation's bundle.
   */
  command: string[];
}

export interface ControllerConfig {
  /** Max workflows Running at once (0 or absent: no limit). */
  parallelism?: number;
  namespaceParallelism?: number;
  artifactRepository?: ArtifactRepositoryConfig;
  executor: ExecutorConfig;
  /** Defaults merged into every `main` container. */
  mainContainer?: Partial<V1Container>;
  /** image -> its command, for templates without `command`. */
  images?: Record<string, ImageCommand>;
  /** A partial Workflow merged under every workflow. */
  workflowDefaults?: Partial<Workflow>;
  podGCGracePeriodSeconds?: number;
  podGCDeleteDelayDuration?: string;
  /** `instanceID`: only workflows labelled with it are ours. */
  instanceID?: string;
  /** Namespace the controller runs in (where its ConfigMaps live). */
  namespace?: string;
  /** Kubernetes Events for nodes and workflows. */
  nodeEvents?: { enabled?: boolean };
  workflowEvents?: { enabled?: boolean };
  /**
   * Seconds a succeeded pod's task result may take to arrive before the node succeeds without
   * its reported outputs (Argo's `TASK_RESULT_TIMEOUT_DURATION`, default 600).
   */
  taskResultTimeoutSeconds?: number;
  /** The same once the pod is gone (Argo's `RECENTLY_DELETED_POD_DURATION`, default 120). */
  recentlyDeletedPodSeconds?: number;
}

/** The defaults Argo uses when the ConfigMap says nothing. */
export const DEFAULT_CONFIG: ControllerConfig = {
  executor: {
    image: "argo-ts:latest",
    command: ["argo-ts", "exec"],
  },
};
