import type { Sql } from 'postgres';

/*
 * How far behind the primary a streaming replica is, measured cheaply: one statement on the primary and one on the
 * replica, each on a connection of its own, bounded in time.
 *
 * The measure: the primary's `pg_current_wal_lsn()` is read first; then the replica reports its
 * `pg_last_wal_replay_lsn()` and the commit time of the last transaction it replayed
 * (`pg_last_xact_replay_timestamp()`). When the replica has replayed at least the primary's LSN, it is caught up (lag
 * 0): it shows every transaction the primary had committed when the probe started, however long ago the last one was.
 * Otherwise the lag is the time since the last commit it replayed (`clock_timestamp() - pg_last_xact_replay_timestamp()`),
 * which is at least how stale it is.
 *
 * Why not the replica alone (`pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn()` for "caught up")? That tells
 * "replayed all it received", and a standby whose WAL receiver lost the primary (a partition, a primary restart) has
 * received nothing new and looks caught up for ever. Asking the primary costs one tiny statement per probe, needs no
 * privilege (`pg_stat_wal_receiver` hides its status from roles without `pg_read_all_stats`), and doubles as the
 * read-your-writes token: an LSN of the primary read after a write is at or past that write.
 */

/** What one probe of a replica found. */
export interface ReplicaReading {
  /** `Date.now()` when the probe started (before the primary's LSN was read). */
  startedAt: number;
  /** The primary's WAL position at the start, as a number; undefined when the primary did not answer. */
  primaryLsn: bigint | undefined;
  /** The position the replica has replayed up to. */
  replayLsn: bigint;
  /** 0 when caught up with `primaryLsn`, otherwise the milliseconds since the last commit it replayed. */
  lagMs: number;
}

/** `'16/B374D848'` as a number, to compare positions. */
export const parseLsn = (text: string): bigint => {
  const [high, low] = text.split('/');
  return (BigInt(`0x${high}`) << 32n) + BigInt(`0x${low}`);
};

/** Rejects with `error()` when `promise` has not settled after `ms`. */
export function within<T>(promise: Promise<T>, ms: number, error: () => Error): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const bound = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(error()), ms);
    timer.unref();
  });
  return Promise.race([promise, bound]).finally(() => clearTimeout(timer));
}

/** The primary's current WAL position, or undefined when it does not answer within `ms`. */
export async function primaryLsn(primary: Sql, ms: number): Promise<bigint | undefined> {
  const query = primary.unsafe('select pg_current_wal_lsn()::text as lsn');
  try {
    const [row] = await within(query, ms, () => new Error('the primary did not answer'));
    return parseLsn(String(row?.lsn));
  } catch {
    return undefined;
  }
}

/**
 * Probes `replica` (a pool of its own, one connection) against `primaryAt`, the primary's LSN read just before.
 *
 * @throws {Error} the replica did not answer within `ms`, refused, or is not a standby (promoted: it would diverge).
 */
export async function probeReplica(replica: Sql, primaryAt: bigint | undefined, startedAt: number, ms: number): Promise<ReplicaReading> {
  const query = replica.unsafe(
    `select pg_is_in_recovery() as standby, pg_last_wal_replay_lsn()::text as replay_lsn,
       coalesce(extract(epoch from clock_timestamp() - pg_last_xact_replay_timestamp()) * 1000, 'Infinity')::float8 as behind_ms`,
  );
  const [row] = await within(query, ms, () =>
    Object.assign(new Error(`the replica did not answer its lag probe within ${ms} ms (frozen?)`), { code: 'ETIMEDOUT' }),
  );
  if (row?.standby !== true || typeof row.replay_lsn !== 'string') {
    throw Object.assign(new Error('the replica is not in recovery (promoted?): it no longer follows the primary'), {
      code: 'REPLICA_PROMOTED',
    });
  }
  const replayLsn = parseLsn(row.replay_lsn);
  const caughtUp = primaryAt !== undefined && replayLsn >= primaryAt;
  return { startedAt, primaryLsn: primaryAt, replayLsn, lagMs: caughtUp ? 0 : Math.max(0, Number(row.behind_ms)) };
}
