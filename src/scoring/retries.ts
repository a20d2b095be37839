import { is } from 'drizzle-orm';
import { PgTransaction } from 'drizzle-orm/pg-core';
import { type Database, inCall } from '../db';
import { translateDatabaseError, InvalidOptionError } from '../errors';
import { sleep, sqlStateOf } from '../util';

/** How many times a refresh reruns after a deadlock or serialization failure, unless told otherwise. */
export const DEFAULT_MAX_RETRIES = 3;
const RETRYABLE_SQLSTATES = new Set(['40P01', '40001']);

/**
 * Runs `attempt` again after a deadlock (40P01) or serialization failure (40001), up to `maxRetries` times with a
 * growing, jittered pause; never inside the caller's transaction, where a retry could only fail again. Other errors
 * are translated and thrown (as coded errors: the whole is one call of `db`, which `close()` lets finish).
 *
 * @example
 * await withRetries(db, 3, () => queryRows(db, refreshStatement({ asOf })));
 */
export async function withRetries<T>(db: Database, maxRetries: number, attempt: () => Promise<T>, call = 'refresh'): Promise<T> {
  return inCall(db, call, () => retried(db, maxRetries, attempt));
}

async function retried<T>(db: Database, maxRetries: number, attempt: () => Promise<T>): Promise<T> {
  const retryable = !is(db, PgTransaction);
  for (let tries = 0; ; tries++) {
    try {
      return await attempt();
    } catch (error) {
      const state = sqlStateOf(error);
      if (!retryable || tries >= maxRetries || state === undefined || !RETRYABLE_SQLSTATES.has(state)) {
        throw translateDatabaseError(error);
      }
      // So that the transaction that won is done before this one tries again.
      await sleep(10 * 2 ** tries * (1 + Math.random()));
    }
  }
}

/**
 * `maxRetries` if it is a whole number of at least 0, else an InvalidOptionError naming `fn`.
 *
 * @example
 * checkMaxRetries('refreshDueScores', -1); // throws InvalidOptionError: refreshDueScores: maxRetries must be ...
 */
export function checkMaxRetries(fn: string, maxRetries: number): number {
  if (!Number.isInteger(maxRetries) || maxRetries < 0) {
    throw new InvalidOptionError('maxRetries', `${fn}: maxRetries must be a whole number of at least 0 (got ${maxRetries})`);
  }
  return maxRetries;
}
