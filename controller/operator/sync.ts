/**
 * Synchronization: the locks a workflow or template asks for (`synchronization.mutexes`,
 * `synchronization.semaphores`), named as Argo names them. The shell owns the lock table and
 * hands it in as `Snapshot.locks`; the engine asks with `acquireLock` and gives back with
 * `releaseLock`.
 *
 * @module
 */
import type { V1ConfigMap } from "@kubernetes/client-node";
import type { Synchronization } from "../../api/types.gen.ts";

/** One lock a holder needs. */
export interface LockNeed {
  key: string;
  kind: "mutex" | "semaphore";
  limit: number;
}

/**
 * The locks of a `synchronization` block, with their limits (1 for a mutex, the ConfigMap
 * value for a semaphore); a message for a semaphore whose ConfigMap or key is missing or whose
 * value is not a positive integer.
 */
export function lockNeeds(
  sync: Synchronization,
  namespace: string,
  configMaps: Map<string, V1ConfigMap>,
): LockNeed[] | string {
  const needs: LockNeed[] = [];
  for (const mutex of sync.mutexes ?? []) {
    if (!mutex.name) return "synchronization.mutexes[].name is required";
    needs.push({
      key: `${mutex.namespace ?? namespace}/Mutex/${mutex.name}`,
      kind: "mutex",
      limit: 1,
    });
  }
  for (const semaphore of sync.semaphores ?? []) {
    const ref = semaphore.configMapKeyRef;
    if (!ref?.name || !ref.key) {
      return "synchronization.semaphores[].configMapKeyRef needs a name and a key";
    }
    const ns = semaphore.namespace ?? namespace;
    const configMap = configMaps.get(ref.name);
    if (!configMap) return `semaphore ConfigMap '${ref.name}' not found in namespace '${ns}'`;
    const raw = configMap.data?.[ref.key];
    if (raw === undefined) return `semaphore ConfigMap '${ref.name}' has no key '${ref.key}'`;
    const limit = Number(raw.trim());
    if (!Number.isInteger(limit) || limit < 1) {
      return `semaphore ConfigMap '${ref.name}' key '${ref.key}': '${raw}' is not a positive integer`;
    }
    needs.push({ key: `${ns}/ConfigMap/${ref.name}/${ref.key}`, kind: "semaphore", limit });
  }
  return needs;
}

/** Argo's waiting message. */
export function waitingMessage(need: LockNeed, holders: string[]): string {
  return `Waiting for ${need.key} lock. Lock status: ${holders.length}/${need.limit}`;
}
