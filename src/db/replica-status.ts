import type { Database } from './client';
import { routerOf } from './replicas';

/** One replica as {@link replicaStatus} reports it. */
export interface ReplicaStatus {
  /** The replica's URL with its password removed. */
  label: string;
  /** Whether reads may go to it (it answered its last probe); lag and read-your-writes still decide each read. */
  inRotation: boolean;
  /** Its lag at the last probe, in ms (0: caught up with the primary); undefined before the first or after a fault. */
  lagMs: number | undefined;
  /** Reads it answered. */
  answered: number;
  /** Times it failed (a read or a probe) and was taken out of rotation. */
  faults: number;
  /** What its last fault was. */
  lastError: string | undefined;
}

/** Where the reads of a database with replicas went, and the state of each replica. */
export interface ReadRoutingStatus {
  primary: { label: string; answered: number };
  replicas: ReplicaStatus[];
}

/**
 * Where the reads of `db` went and the state of each replica (in rotation or not, lag, faults), or undefined for a
 * database opened without `readReplicas`.
 *
 * @example
 * const status = replicaStatus(db);
 * console.log(status?.primary.answered, status?.replicas.map((r) => `${r.label} ${r.inRotation} ${r.lagMs}`));
 */
export function replicaStatus(db: Database): ReadRoutingStatus | undefined {
  return routerOf(db)?.status();
}
