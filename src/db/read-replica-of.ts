import type { Database } from './client';

/**
 * The database a read-only helper should read from: one of `db`'s read replicas (picked at random, as drizzle's
 * `withReplicas` does) when `db` was opened with `readReplicas`, otherwise `db` itself. A transaction, and
 * `db.$primary`, have no replicas: they read the primary, and so see their own writes.
 *
 * @example
 * const db = await createDatabase({ url: primaryUrl, readReplicas: [replicaUrl] });
 * await queryRows(readReplicaOf(db), sql`select pg_is_in_recovery() as standby`); // [{ standby: true }]
 * await queryRows(readReplicaOf(db.$primary), sql`select pg_is_in_recovery() as standby`); // [{ standby: false }]
 */
export function readReplicaOf(db: Database): Database {
  const replicas = (db as { $replicas?: unknown }).$replicas;
  if (!Array.isArray(replicas) || replicas.length === 0) return db;
  return replicas[Math.floor(Math.random() * replicas.length)] as Database;
}
