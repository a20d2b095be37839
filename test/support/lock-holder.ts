import postgres from 'postgres';
import type { TqsDatabase } from '../../src';

/**
 * Two connections of their own to a PostgreSQL database: one holds locks in an open transaction (as `psql` would with
 * `begin; lock table tutors in access exclusive mode;`), the other looks at pg_stat_activity meanwhile.
 */
export interface LockHolder {
  /** Runs `statement` (a `lock table …`) in a transaction that stays open until the returned function is called. */
  hold(statement: string): Promise<() => Promise<void>>;
  /**
   * Resolves once a backend of the database other than the holder waits for a lock (an event seen in
   * pg_stat_activity, polled at most 500 times, 20 ms apart), or rejects when `gaveUp` settles first.
   */
  someoneWaits(gaveUp?: Promise<unknown>): Promise<void>;
  /** How many backends of the database wait for a lock now. */
  waiting(): Promise<number>;
  /** The watcher connection, for other looks. */
  watcher: postgres.Sql;
  end(): Promise<void>;
}

/**
 * Opens a {@link LockHolder} on `url`.
 *
 * @example
 * const locks = lockHolder(url);
 * const release = await locks.hold('lock table tutors in access exclusive mode');
 */
export function lockHolder(url: string): LockHolder {
  const holder = postgres(url, { max: 1, onnotice: () => {} });
  const watcher = postgres(url, { max: 1, onnotice: () => {} });
  const waiting = async () => {
    const [row] = await watcher`select count(*)::int as waiting from pg_stat_activity
      where datname = current_database() and wait_event_type = 'Lock'`;
    return row?.waiting as number;
  };
  return {
    watcher,
    waiting,
    async hold(statement) {
      let release: () => void = () => {};
      let locked: () => void = () => {};
      let failed: (error: unknown) => void = () => {};
      const isLocked = new Promise<void>((done, fail) => {
        locked = done;
        failed = fail;
      });
      const held = holder.begin(async (tx) => {
        await tx.unsafe(statement);
        locked();
        await new Promise<void>((done) => (release = done));
      });
      held.catch(failed);
      await isLocked;
      return async () => {
        release();
        await held;
      };
    },
    async someoneWaits(gaveUp) {
      let over: unknown;
      gaveUp?.then(
        (value) => (over = value ?? 'settled'),
        (error: unknown) => (over = error ?? 'failed'),
      );
      for (let polls = 0; polls < 500; polls++) {
        if (over !== undefined) throw new Error(`it ended before it waited for the lock: ${String(over)}`, { cause: over });
        if ((await waiting()) > 0) return;
        await new Promise((done) => setTimeout(done, 20));
      }
      throw new Error('no backend ever waited for the lock');
    },
    async end() {
      await holder.end();
      await watcher.end();
    },
  };
}

/** The URL of the PostgreSQL database `db` is open on (a scratch database of the suite, trust authentication). */
export function urlOf(db: TqsDatabase): string {
  const options = (db as unknown as { $client: { options: { host: string[]; port: number[]; database: string; user: string } } }).$client.options;
  return `postgres://${options.user}@${options.host[0]}:${options.port[0]}/${options.database}`;
}
