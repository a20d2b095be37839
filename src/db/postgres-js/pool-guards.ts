import type { Sql } from 'postgres';
import { ConnectionError } from '../../errors';
import { connectionLost } from '../../util/error-chain';

/*
 * postgres.js 3.4's `sql.begin` (which Drizzle's `db.transaction` calls) keeps sending on its connection after the
 * connection dropped: the ROLLBACK when the transaction's function fails, the COMMIT when it ends, and any query the
 * function still runs. The socket is gone by then, and postgres.js writes those bytes from a `setImmediate` to
 * `null`: a `TypeError: Cannot read properties of null (reading 'write')` thrown from a timer, which no caller can
 * catch and which ends the process (a server shutdown, a failover, a pgbouncer restart).
 *
 * `guardTransactions` wraps the pool's `begin`. postgres.js's own `begin` rejects as soon as its connection closes;
 * from then on the wrapper sends nothing more: every later query of the transaction rejects with a `ConnectionError`
 * (the server rolled the transaction back), and the transaction's function is never reported back to postgres.js as
 * settled, so that it sends neither COMMIT nor ROLLBACK on the dead connection. `begin` itself rejects with the same
 * `ConnectionError`.
 */

type Fn = (...args: unknown[]) => unknown;
type Handle = Fn & Record<string | symbol, unknown>;

/** A value that looks like a postgres.js query (chainable, awaitable) and rejects with `error`. */
function rejectedQuery(error: Error): unknown {
  const promise = Promise.reject(error);
  promise.catch(() => {}); // rejected only for whoever awaits it, like a query nobody awaits
  const query: object = new Proxy(promise, {
    get(target, key) {
      if (key === 'then' || key === 'catch' || key === 'finally') return (target[key] as Fn).bind(target);
      return () => (key === 'readable' || key === 'writable' ? promise : query);
    },
  });
  return query;
}

const lostError = (cause: unknown) =>
  new ConnectionError('the connection to the database was lost during a transaction; the server rolled it back', {
    cause,
  });

/**
 * Wraps the `begin` of `pool` so that a transaction whose connection is lost never writes to it again (see above).
 * Savepoints (Drizzle's nested transactions) are guarded the same way.
 *
 * @example
 * const sql = postgres(url);
 * guardTransactions(sql);
 * await sql.begin(async (tx) => tx`insert into t values (1)`); // a lost connection rejects; the process lives on
 */
export function guardTransactions(pool: Sql): void {
  const begin = pool.begin.bind(pool) as unknown as (mode: string, fn: Fn) => Promise<unknown>;
  async function guardedBegin(modeOrFn: string | Fn, maybeFn?: Fn): Promise<unknown> {
    const [mode, fn] = typeof modeOrFn === 'function' ? ['', modeOrFn] : [modeOrFn, maybeFn as Fn];
    let lost: Error | undefined;
    /** Runs `body` with a guarded handle; once the connection is lost, the returned promise never settles. */
    const guardedBody = (body: Fn) => (tx: Handle) =>
      new Promise((resolve, reject) => {
        Promise.resolve()
          .then(() => body(guard(tx)))
          .then(
            (value) => (lost ? undefined : resolve(value)),
            (error: unknown) => {
              if (lost) return;
              if (!connectionLost(error)) return reject(error);
              // The close that failed this query rejects postgres.js's `begin` in the same event: look once it ran.
              setImmediate(() => (lost ? undefined : reject(error)));
            },
          );
      });
    const guard = (tx: Handle): Handle =>
      new Proxy(tx, {
        apply: (target, self, args) => (lost ? rejectedQuery(lost) : Reflect.apply(target, self, args)),
        get(target, key) {
          const value = Reflect.get(target, key);
          if (typeof value !== 'function') return value;
          if (key === 'savepoint') {
            return (nameOrBody: string | Fn, maybeBody?: Fn) =>
              lost
                ? rejectedQuery(lost)
                : typeof nameOrBody === 'function'
                  ? (value as Fn).call(target, guardedBody(nameOrBody))
                  : (value as Fn).call(target, nameOrBody, guardedBody(maybeBody as Fn));
          }
          if (key === 'unsafe' || key === 'file') {
            return (...args: unknown[]) => (lost ? rejectedQuery(lost) : (value as Fn).apply(target, args));
          }
          return value;
        },
      }) as Handle;
    try {
      return await begin(mode, guardedBody(fn) as Fn);
    } catch (error) {
      if (!connectionLost(error)) throw error;
      lost ??= lostError(error);
      throw lost;
    }
  }
  Object.assign(pool, { begin: guardedBegin });
}

/**
 * Stops postgres.js from fetching the array types again on each new connection of `pool`, once its first connection
 * has fetched them into the options all its connections share. postgres.js 3.4 runs that fetch from an async function
 * nobody awaits: a connection that drops during it (a server shutting down as the pool reconnects) rejects it
 * unhandled, which ends the process. Only for a pool on `socket`, the factory of `socket.ts` without TLS: its fatal
 * guard signals the end of each handshake, which a `reserve()` on a new connection otherwise waits for in vain when
 * the types are not fetched. Call it after a first query has succeeded.
 *
 * @example
 * await sql`select 1`;
 * keepArrayTypes(sql, noDelaySocket);
 */
export function keepArrayTypes(pool: Sql, socket: unknown): void {
  const options = pool.options as { fetch_types?: boolean; socket?: unknown; ssl?: unknown };
  if (options.socket === socket && !options.ssl) options.fetch_types = false;
}
