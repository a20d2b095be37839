import { drizzle } from 'drizzle-orm/postgres-js';
import type { ReservedSql, Sql } from 'postgres';
import { schema } from '../../schema';
import type { Database } from '../client';
import { connectionLost } from '../../util/error-chain';
import { transactionSetting } from './lock-timeout';
import { outsideAbortScope } from './abort-scope';

/**
 * Runs `work` in a transaction of its own on one connection reserved from `pool`: BEGIN, then `work` with that
 * connection and a Drizzle database over it (so Drizzle's queries are in the same transaction), then COMMIT, or
 * ROLLBACK when `work` throws. The connection goes back to the pool afterwards, unless it was lost.
 *
 * Not `sql.begin`: when the connection drops inside it, postgres.js 3.4 still sends ROLLBACK down the dead connection,
 * which throws an uncaught TypeError from a timer and leaves the ROLLBACK's bytes queued in front of the reconnect's
 * startup message, so that pool slot hangs every later query. Here nothing more is sent on a connection that was
 * lost (the server has rolled the transaction back already), and it is not released into the pool either:
 * postgres.js has already marked it closed and reconnects it when it is next needed.
 *
 * @example
 * await inReservedTransaction(pool, async (connection, db) => {
 *   await connection.unsafe('copy "tutors" ("id", "name") from stdin').writable(); // ...
 *   await refreshTutorScores(db);
 * });
 */
export async function inReservedTransaction<T>(
  pool: Sql,
  work: (connection: ReservedSql, db: Database) => Promise<T>,
): Promise<T> {
  const connection = await pool.reserve();
  let reusable = true;
  try {
    await connection.unsafe('begin');
    const setting = transactionSetting(pool);
    if (setting) await connection.unsafe(setting);
    // A reserved handle lacks the pool's `options`, which Drizzle reads (to install its parsers) and postgres.js
    // shares between the two anyway; lent to it, Drizzle runs every query on this connection.
    const client = Object.assign(connection, { options: pool.options }) as unknown as Sql;
    const result = await work(connection, drizzle({ client, schema }) as unknown as Database);
    await connection.unsafe('commit');
    return result;
  } catch (error) {
    if (connectionLost(error)) reusable = false;
    // Outside the abort scope: an aborted call refuses its own queries, but its transaction must still end here.
    else await outsideAbortScope(() => connection.unsafe('rollback')).catch(() => {});
    throw error;
  } finally {
    if (reusable) connection.release();
  }
}
