import { is } from 'drizzle-orm';
import { PgTransaction } from 'drizzle-orm/pg-core';
import { translateDatabaseError } from '../errors';
import { sqlStateOf } from '../util/error-chain';
import { sleep } from '../util/sleep';
import type { Database } from './client';

const RETRYABLE_SQLSTATES = new Set(['40P01', '40001']);

/**
 * Runs `attempt` again after a deadlock (40P01) or serialization failure (40001), up to `maxRetries` times with a
 * growing, jittered pause (so that the transaction that won is done first); never inside the caller's transaction,
 * where a retry could only fail again. Other errors, and the last one, are translated and thrown as coded errors.
 *
 * @example
 * await retryTransient(db, 2, () => db.transaction((tx) => queryRows(tx, statement)));
 */
export async function retryTransient<T>(db: Database, maxRetries: number, attempt: () => Promise<T>): Promise<T> {
  const retryable = !is(db, PgTransaction);
  for (let tries = 0; ; tries++) {
    try {
      return await attempt();
    } catch (error) {
      const state = sqlStateOf(error);
      if (!retryable || tries >= maxRetries || state === undefined || !RETRYABLE_SQLSTATES.has(state)) {
        throw translateDatabaseError(error);
      }
      await sleep(10 * 2 ** tries * (1 + Math.random()));
    }
  }
}
