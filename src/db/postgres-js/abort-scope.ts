import { AsyncLocalStorage } from 'node:async_hooks';
import type { Sql } from 'postgres';
import { isTqsError } from '../../errors';

/*
 * Cancelling what one call runs, and only that: postgres.js can cancel a query it is running (`query.cancel()` sends
 * the protocol's CancelRequest for that backend), but Drizzle never hands its queries out. `trackQueries` wraps the
 * pool's `unsafe` (through which Drizzle sends every query), its reserved connections' and its transactions', so that
 * a query made inside {@link runAbortable} joins that call's scope; aborting the scope cancels its running queries
 * on the server and refuses any it makes afterwards.
 */

interface Scope {
  aborted: boolean;
  reason?: unknown;
  running: Set<{ cancel(): unknown }>;
  /** Whether the call has run a tracked query: a PostgreSQL call, which a frozen network can leave unanswered. */
  tracked: boolean;
  /** The caller's signal: checked directly by {@link abortPoint}, where the abort event may not have run yet. */
  signal: AbortSignal;
}

/**
 * How long an aborted call waits for its work to fail from the cancel before it rejects anyway: the server answers a
 * cancel in milliseconds; a network that stopped forwarding never answers, and the call must not wait for it. The
 * work left behind can commit nothing: every query it makes is refused, and a transaction it opened rolls back.
 */
export const ABORT_GRACE_MS = 500;

/** The error a query made in an aborted scope rejects with: PostgreSQL's own for a cancelled statement. */
const cancelledError = () => Object.assign(new Error('canceling statement due to user request'), { code: '57014' });

const scopes = new AsyncLocalStorage<Scope>();

type Fn = (...args: unknown[]) => unknown;

/** A query-like value that rejects with `error` when awaited (the scope was aborted before it started). */
function refused(error: unknown): unknown {
  const promise = Promise.reject(error);
  promise.catch(() => {});
  const query: object = new Proxy(promise, {
    get(target, key) {
      if (key === 'then' || key === 'catch' || key === 'finally') return (target[key] as Fn).bind(target);
      return () => query;
    },
  });
  return query;
}

/** Wraps `unsafe` of `handle` so that its queries join the scope they are made in. */
function trackUnsafe(handle: Record<string, unknown>): void {
  const unsafe = handle.unsafe as Fn;
  handle.unsafe = function trackedUnsafe(this: unknown, ...args: unknown[]) {
    const scope = scopes.getStore();
    if (!scope) return unsafe.apply(this, args);
    if (scope.aborted) return refused(cancelledError());
    const query = unsafe.apply(this, args) as { cancel(): unknown; finally(fn: () => void): Promise<unknown> };
    scope.running.add(query);
    scope.tracked = true;
    query.finally(() => scope.running.delete(query)).catch(() => {});
    return query;
  };
}

/**
 * Lets {@link runAbortable} cancel the queries `pool` runs for a call: its own, its reserved connections' and its
 * transactions' (`begin` hands its function a handle whose queries are tracked too).
 *
 * @example
 * const sql = postgres(url);
 * trackQueries(sql);
 */
export function trackQueries(pool: Sql): void {
  const handle = pool as unknown as Record<string, unknown>;
  trackUnsafe(handle);
  const reserve = handle.reserve as Fn;
  handle.reserve = async function trackedReserve(this: unknown, ...args: unknown[]) {
    const reserved = (await reserve.apply(this, args)) as Record<string, unknown>;
    trackUnsafe(reserved);
    return reserved;
  };
  trackTransactions(handle, 'begin');
}

/**
 * Wraps `handle[method]` (`begin`, or a transaction's `savepoint`) so that the handle its function gets has its
 * queries tracked, savepoints included, and rolls back rather than commit once the scope was aborted.
 */
function trackTransactions(handle: Record<string, unknown>, method: 'begin' | 'savepoint'): void {
  const open = handle[method] as Fn;
  handle[method] = function trackedTransaction(this: unknown, ...args: unknown[]) {
    const fn = args.pop() as Fn;
    const scope = scopes.getStore();
    return open.apply(this, [
      ...args,
      async (tx: Record<string, unknown>) => {
        trackUnsafe(tx);
        trackTransactions(tx, 'savepoint');
        const result = await fn(tx);
        // Aborted while its last statement ran: roll back rather than commit what the caller was told is undone.
        if (scope?.aborted) throw cancelledError();
        return result;
      },
    ]);
  };
}

/**
 * Runs `work` so that aborting `signal` cancels the statements it is running on the server (a lock wait included),
 * refuses any it starts afterwards, and rejects with `onAbort(reason, error)` once `work` has failed from it (its
 * transaction rolled back), or after {@link ABORT_GRACE_MS} when the server does not answer the cancel (a frozen
 * network). Work that ends well despite a late abort returns its result. Without a signal, `work` runs as it is. On
 * PGlite (no tracked queries) a running statement cannot be cancelled: the work stops at its next
 * {@link abortPoint} (between chunks, batches, migrations), which yields to the event loop so that the abort is seen.
 * An {@link AbortedError} the work throws itself (a nested call on the same signal) is passed on as it is.
 *
 * @example
 * await runAbortable(signal, () => refresh(), (reason, cause) => new AbortedError('refreshTutorScores', reason, { cause }));
 */
export async function runAbortable<T>(
  signal: AbortSignal | undefined,
  work: () => Promise<T>,
  onAbort: (reason: unknown, cause?: unknown) => Error,
): Promise<T> {
  if (signal === undefined) return work();
  if (signal.aborted) throw onAbort(signal.reason);
  const scope: Scope = { aborted: false, running: new Set(), tracked: false, signal };
  let giveUp: (error: unknown) => void = () => {};
  const gaveUp = new Promise<never>((_, reject) => (giveUp = reject));
  gaveUp.catch(() => {});
  let timer: NodeJS.Timeout | undefined;
  const abort = () => {
    scope.aborted = true;
    scope.reason = signal.reason;
    if (!scope.tracked) return; // PGlite: the call stops at its next abort point
    for (const query of scope.running) Promise.resolve(query.cancel()).catch(() => {});
    const unanswered = new Error(`the server did not answer the cancel within ${ABORT_GRACE_MS} ms (the network?); nothing is committed`);
    timer = setTimeout(() => giveUp(unanswered), ABORT_GRACE_MS);
  };
  signal.addEventListener('abort', abort, { once: true });
  // Awaited inside the scope: a lazy query (Drizzle's) starts when awaited, and must start in the scope.
  const running = scopes.run(scope, async () => await work());
  running.catch(() => {}); // abandoned after the grace period: its failure is the abort's
  try {
    // Work that finished before the abort took effect is kept and returned: it was committed.
    return await Promise.race([running, gaveUp]);
  } catch (error) {
    if (isTqsError(error) && error.code === 'ABORTED') throw error;
    if (scope.aborted || signal.aborted) throw onAbort(signal.reason, error);
    throw error;
  } finally {
    clearTimeout(timer);
    signal.removeEventListener('abort', abort);
  }
}

/**
 * Runs `fn` outside any abortable scope: for the clean-up of an aborted call (its ROLLBACK), which the scope would
 * refuse like any other query.
 *
 * @example
 * await outsideAbortScope(() => connection.unsafe('rollback'));
 */
export function outsideAbortScope<T>(fn: () => T): T {
  return scopes.exit(fn);
}

/**
 * A point where the call running in an abortable scope may stop: when its signal is aborted, throws (and the call
 * rejects with its `AbortedError`, its transaction rolled back). It yields to the event loop first, where an abort
 * (a timer, a signal handler) gets to run: PGlite never yields during its statements. Outside an abortable scope it
 * does nothing and costs nothing.
 *
 * @example
 * for (const batch of batches) { await abortPoint(); await move(batch); }
 */
export async function abortPoint(): Promise<void> {
  const scope = scopes.getStore();
  if (scope === undefined) return;
  await new Promise((resume) => setImmediate(resume));
  if (scope.aborted || scope.signal.aborted) throw cancelledError();
}
