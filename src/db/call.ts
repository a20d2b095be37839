import { AsyncLocalStorage } from 'node:async_hooks';
import { DatabaseClosedError, translateQueryError } from '../errors';
import type { Database } from './client';

/*
 * The one seam every helper's queries pass through (queryRows, readFromReplica, withRetries, the migration calls,
 * and each public helper that runs Drizzle builders or transactions itself: ingest, loads, archive, the email queue):
 * a driver error becomes a coded TqsError there, and a database being closed refuses new calls while the calls
 * already running finish (close({ timeout }) waits for them). A call inside another (a helper's own queries) is part
 * of the outer one: never refused halfway, never counted twice.
 */

/** The calls running on one database, whether `close()` has begun, and the waits to wake when it does. */
export interface CallTracker {
  closing: boolean;
  readonly running: Set<Promise<unknown>>;
  readonly onClosing: Set<() => void>;
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
  const tracker: CallTracker = { closing: false, running: new Set(), onClosing: new Set() };
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
 * Calls `wake` once when `close()` begins on `db` (at once when it has begun already): for a wait that is not a call
 * (it would hold `close()` open for nothing), such as a mail worker waiting for reports. Returns the unsubscribe; a
 * database no tracker counts (a transaction, a client of your own) never wakes it.
 *
 * @example
 * const stop = whenClosing(db, () => wake(new DatabaseClosedError('...'))); // then stop() in finally
 */
export function whenClosing(db: Database, wake: () => void): () => void {
  const tracker = trackerOf(db);
  if (tracker === undefined) return () => {};
  if (tracker.closing) {
    wake();
    return () => {};
  }
  tracker.onClosing.add(wake);
  return () => tracker.onClosing.delete(wake);
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
  for (const wake of [...tracker.onClosing]) wake();
  tracker.onClosing.clear();
  const started = Date.now();
  if (tracker.running.size > 0) {
    let timer: NodeJS.Timeout | undefined;
    const expired = new Promise((resolve) => (timer = setTimeout(resolve, timeoutSeconds * 1000)));
    await Promise.race([Promise.allSettled([...tracker.running]), expired]);
    clearTimeout(timer);
  }
  return Math.max(0, timeoutSeconds - (Date.now() - started) / 1000);
}
