import { AsyncLocalStorage } from 'node:async_hooks';
import type { Sql } from 'postgres';

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
}

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
    if (scope.aborted) return refused(Object.assign(new Error('canceling statement due to user request'), { code: '57014' }));
    const query = unsafe.apply(this, args) as { cancel(): unknown; finally(fn: () => void): Promise<unknown> };
    scope.running.add(query);
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
  const begin = handle.begin as Fn;
  handle.begin = function trackedBegin(this: unknown, ...args: unknown[]) {
    const fn = args.pop() as Fn;
    return begin.apply(this, [
      ...args,
      (tx: Record<string, unknown>) => {
        trackUnsafe(tx);
        return fn(tx);
      },
    ]);
  };
}

/**
 * Runs `work` so that aborting `signal` cancels the statements it is running on the server (a lock wait included),
 * refuses any it starts afterwards, and rejects with `onAbort(reason, error)` once `work` has failed from it (its
 * transaction rolled back). Work that ends well despite a late abort returns its result. Without a signal, `work`
 * runs as it is; on PGlite (no tracked queries) a running statement cannot be cancelled and only an abort before the
 * call starts, or one that makes it fail, counts.
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
  const scope: Scope = { aborted: false, running: new Set() };
  const abort = () => {
    scope.aborted = true;
    scope.reason = signal.reason;
    for (const query of scope.running) {
      Promise.resolve(query.cancel()).catch(() => {});
    }
  };
  signal.addEventListener('abort', abort, { once: true });
  try {
    // Work that finished before the abort took effect is kept and returned: it was committed.
    // Awaited inside the scope: a lazy query (Drizzle's) starts when awaited, and must start in the scope.
    return await scopes.run(scope, async () => await work());
  } catch (error) {
    if (scope.aborted) throw onAbort(scope.reason, error);
    throw error;
  } finally {
    signal.removeEventListener('abort', abort);
  }
}
