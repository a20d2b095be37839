import { AsyncLocalStorage } from 'node:async_hooks';
import { DatabaseClosedError, translateQueryError } from '../errors';
import type { Database } from './client';

/*
 * The one seam every helper's queries pass through (queryRows, readFromReplica, withRetries, the migration calls):
 * a driver error becomes a coded TqsError there, and a database being closed refuses new calls while the calls
 * already running finish (close({ timeout }) waits for them). A call inside another (a helper's own queries) is part
 * of the outer one: never refused halfway, never counted twice.
 */

/** The calls running on one database, and whether `close()` has begun. */
export interface CallTracker {
  closing: boolean;
  readonly running: Set<Promise<unknown>>;
}

const trackers = new WeakMap<object, CallTracker>();
const inside = new AsyncLocalStorage<true>();

/**
 * Starts counting the calls run on `db` (a database `createDatabase()` opened).
 *
 * @example
 * const tracker = trackCalls(db); // then drainCalls(tracker, 5) in close()
 */
export function trackCalls(db: object): CallTracker {
  const tracker: CallTracker = { closing: false, running: new Set() };
  trackers.set(db, tracker);
  return tracker;
}

const trackerOf = (db: Database): CallTracker | undefined =>
  trackers.get(db) ?? trackers.get((db as { $primary?: object }).$primary ?? trackers);

async function translated<T>(call: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw translateQueryError(error, call);
  }
}

/**
 * Runs a helper's work on `db` as one call: refused with a {@link DatabaseClosedError} once `close()` has begun,
 * counted while it runs so that `close()` lets it finish, and its driver errors translated to coded errors
 * (`translateQueryError`).
 *
 * @throws {DatabaseClosedError} `db` is closing or closed; nothing was run.
 * @example
 * return inCall(db, 'computeTutorScore', () => queryRows(db, query));
 */
export async function inCall<T>(db: Database, call: string, work: () => Promise<T>): Promise<T> {
  // A call inside another is part of it: the outer one translates its errors, with its own name.
  if (inside.getStore()) return work();
  const tracker = trackerOf(db);
  if (tracker === undefined) return inside.run(true, () => translated(call, work));
  if (tracker.closing) {
    throw new DatabaseClosedError(`${call}: the database is closed or closing (close() was called), so nothing was run: open a new one with createDatabase()`);
  }
  const running = inside.run(true, () => translated(call, work));
  tracker.running.add(running);
  try {
    return await running;
  } finally {
    tracker.running.delete(running);
  }
}

/**
 * Refuses new calls on the tracker's database and waits for the running ones, at most `timeoutSeconds`; returns the
 * seconds left of it.
 *
 * @example
 * const left = await drainCalls(tracker, 5); // then end the pool with { timeout: left }
 */
export async function drainCalls(tracker: CallTracker, timeoutSeconds: number): Promise<number> {
  tracker.closing = true;
  const started = Date.now();
  if (tracker.running.size > 0) {
    let timer: NodeJS.Timeout | undefined;
    const expired = new Promise((resolve) => (timer = setTimeout(resolve, timeoutSeconds * 1000)));
    await Promise.race([Promise.allSettled([...tracker.running]), expired]);
    clearTimeout(timer);
  }
  return Math.max(0, timeoutSeconds - (Date.now() - started) / 1000);
}
