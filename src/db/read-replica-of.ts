import type { Database } from './client';
import { routerOf } from './replicas';

/**
 * The database a read-only helper would read from now: with `readReplicas`, a replica fit to answer by the last lag
 * readings (in rotation, under `maxReplicaLag`, past this process's last write with `readYourWrites`), otherwise the
 * primary; without replicas, `db` itself. A transaction, and `db.$primary`, have no replicas: they read the primary,
 * and so see their own writes. (On a database you put behind drizzle's `withReplicas` yourself: one of its replicas,
 * picked at random.)
 *
 * @example
 * const db = await createDatabase({ url: primaryUrl, readReplicas: [replicaUrl] });
 * await queryRows(readReplicaOf(db), sql`select pg_is_in_recovery() as standby`); // [{ standby: true }] when fit
 * await queryRows(readReplicaOf(db.$primary), sql`select pg_is_in_recovery() as standby`); // [{ standby: false }]
 */
export function readReplicaOf(db: Database): Database {
  const router = routerOf(db);
  if (router !== undefined) return router.pickNow();
  const replicas = (db as { $replicas?: unknown }).$replicas;
  if (!Array.isArray(replicas) || replicas.length === 0) return db;
  return replicas[Math.floor(Math.random() * replicas.length)] as Database;
}
