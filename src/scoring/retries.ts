import { type Database, inCall, retryTransient } from '../db';
import { InvalidOptionError } from '../errors';

/** How many times a refresh reruns after a deadlock or serialization failure, unless told otherwise. */
export const DEFAULT_MAX_RETRIES = 3;

/**
 * {@link retryTransient} as one call of `db` (which `close()` lets finish): `attempt` runs again after a deadlock or
 * serialization failure, up to `maxRetries` times, never inside the caller's transaction; other errors are thrown
 * as coded errors.
 *
 * @example
 * await withRetries(db, 3, () => queryRows(db, refreshStatement({ asOf })));
 */
export async function withRetries<T>(db: Database, maxRetries: number, attempt: () => Promise<T>, call = 'refresh'): Promise<T> {
  return inCall(db, call, () => retryTransient(db, maxRetries, attempt));
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
