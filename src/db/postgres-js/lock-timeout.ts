import type { Sql } from 'postgres';
import { InvalidOptionError } from '../../errors';
import type { CreateDatabaseOptions } from '../database';

/*
 * `lockTimeout` of createDatabase. On a direct connection it is the startup parameter `lock_timeout`, which holds for
 * every statement of the session. pgbouncer refuses unknown startup parameters, and in transaction pooling a session
 * setting would leak to other clients of the server connection: on a pooled URL (`prepare=false`, which the docs
 * require behind pgbouncer) every transaction of the pool starts with `set local lock_timeout`, and a statement run
 * outside a transaction runs in a short one of its own (begin, set local, the statement, commit).
 */

type Fn = (...args: unknown[]) => unknown;

const SETTING = Symbol.for('@tqs/data/transactionSetting');

/** Whether `url` (or the postgres.js options) says the pool goes through a transaction pooler: `prepare=false`. */
export function isPooled(url: string, options: CreateDatabaseOptions): boolean {
  return /[?&]prepare=false(&|$)/.test(url) || options.postgres?.prepare === false;
}

/** `lockTimeout` in milliseconds, checked; undefined when not given. */
export function lockTimeoutMs(options: CreateDatabaseOptions): number | undefined {
  const { lockTimeout } = options;
  if (lockTimeout === undefined) return undefined;
  if (!(Number.isFinite(lockTimeout) && lockTimeout > 0)) {
    throw new InvalidOptionError('lockTimeout', `createDatabase: lockTimeout must be a positive number of seconds (got ${lockTimeout})`);
  }
  return Math.round(lockTimeout * 1000);
}

/** postgres.js's `connection` startup parameters with `lock_timeout` (a direct connection). */
export function lockTimeoutParameter(ms: number, options: CreateDatabaseOptions): { connection: Record<string, string> } {
  const connection = (options.postgres?.connection ?? {}) as Record<string, string>;
  return { connection: { ...connection, lock_timeout: `${ms}ms` } };
}

/**
 * The statement every transaction of `pool` starts with (`set local lock_timeout = '…ms'`), or undefined: for
 * transactions the package opens itself on a reserved connection.
 *
 * @example
 * const setting = transactionSetting(pool);
 * if (setting) await connection.unsafe(setting);
 */
export function transactionSetting(pool: Sql): string | undefined {
  return (pool as unknown as Record<symbol, string | undefined>)[SETTING];
}

/**
 * Applies `lock_timeout` per transaction on a pooled `pool` (see above): `begin` sets it first; a statement given to
 * `unsafe` outside a transaction (Drizzle's, awaited as it is or through `.values()`) runs in a transaction of its own.
 *
 * @example
 * lockTimeoutPerTransaction(sql, 60_000);
 */
export function lockTimeoutPerTransaction(pool: Sql, ms: number): void {
  const setting = `set local lock_timeout = '${ms}ms'`;
  const handle = pool as unknown as Record<string | symbol, unknown>;
  handle[SETTING] = setting;
  const begin = handle.begin as Fn;
  handle.begin = function beginWithLockTimeout(this: unknown, ...args: unknown[]) {
    const fn = args.pop() as Fn;
    return begin.apply(this, [
      ...args,
      async (tx: { unsafe(query: string): Promise<unknown> }) => {
        await tx.unsafe(setting);
        return fn(tx);
      },
    ]);
  };
  const unsafe = handle.unsafe as Fn;
  handle.unsafe = function unsafeInTransaction(this: unknown, ...args: unknown[]) {
    // postgres.js's own: the BEGIN of `begin`, and identifier fragments (listen, notify).
    if (typeof args[0] !== 'string' || /^\s*(begin\b|")/i.test(args[0])) return unsafe.apply(this, args);
    let values = false;
    const run = () =>
      (handle.begin as Fn)((tx: { unsafe: Fn }) => {
        const query = tx.unsafe(...args) as { values(): unknown };
        return values ? query.values() : query;
      }) as Promise<unknown>;
    const lazy = {
      values() {
        values = true;
        return lazy;
      },
      then: (onValue?: (v: unknown) => unknown, onError?: (e: unknown) => unknown) => run().then(onValue, onError),
    };
    return lazy;
  };
}
