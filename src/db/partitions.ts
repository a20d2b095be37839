import { sql } from 'drizzle-orm';
import { InvalidOptionError, translateDatabaseError } from '../errors';
import { abortable, type AbortableOptions } from './abortable';
import { inCall } from './call';
import { type Database, queryRows } from './client';
import { ensureSessionMonths, partitionsOf, type SessionMonthsResult, sessionsArePartitioned } from './session-months';
import { monthStart } from './utc-month';

/** Months ahead of the current one that {@link ensurePartitions} creates unless `ahead` says otherwise. */
export const DEFAULT_PARTITIONS_AHEAD = 3;
/** The most months ahead one call may create (ten years): a bigger figure is a mistake, not a plan. */
export const MAX_PARTITIONS_AHEAD = 120;

/** One partition of `sessions` (migration `partitioned_sessions`). */
export interface SessionPartition {
  /** The table's name: `sessions_YYYY_MM` for a month (UTC), `sessions_default` for the rest. */
  name: string;
  /** The first instant of its month; null for the default partition. */
  from: Date | null;
  /** The first instant after its month; null for the default partition. */
  to: Date | null;
  /** Its rows (an exact count). */
  rows: number;
}

/** Options of {@link ensurePartitions}. */
export interface EnsurePartitionsOptions extends AbortableOptions {
  /** Months after the current one to create (0-120). Default {@link DEFAULT_PARTITIONS_AHEAD}. */
  ahead?: number;
  /** The instant whose month is the current one. Default: now. */
  now?: Date;
}

/** What {@link ensurePartitions} did: the partitions it created, oldest first, and the sessions it moved out of the default partition. */
export type EnsurePartitionsResult = SessionMonthsResult;

function checkAhead(ahead: unknown): number {
  if (ahead === undefined) return DEFAULT_PARTITIONS_AHEAD;
  if (typeof ahead !== 'number' || !Number.isInteger(ahead) || ahead < 0 || ahead > MAX_PARTITIONS_AHEAD) {
    throw new InvalidOptionError('ahead', `ensurePartitions: ahead must be an integer from 0 to ${MAX_PARTITIONS_AHEAD} (months after the current one), got ${String(ahead)}`);
  }
  return ahead;
}

function checkNow(now: unknown): Date {
  if (now === undefined) return new Date();
  if (!(now instanceof Date) || Number.isNaN(now.getTime())) {
    throw new InvalidOptionError('now', `ensurePartitions: now must be a valid Date, got ${String(now)}`);
  }
  return now;
}

/**
 * Creates the partitions of `sessions` for the current month and the `ahead` months after it (UTC), and for every
 * month that holds rows in the default partition, moving those rows into their month (the same rows, ids and
 * timestamps, with their reschedules; scores unchanged). Idempotent: a month already there is left alone. Safe when
 * several workers call it at once: they take turns (a `SHARE UPDATE EXCLUSIVE` lock on `sessions` to the end of
 * the transaction, which reads and writes of sessions do not wait for) and each finds what the others made. PGlite has no database job scheduler, so a service calls it, e.g. once a day; rows of a month
 * without its partition are never refused (they wait in the default partition).
 *
 * ```sql
 * select * from tqs_ensure_session_months($from, $to); -- in one transaction
 * ```
 *
 * @throws {InvalidOptionError} `ahead` or `now` is out of range.
 * @example
 * await ensurePartitions(db, { ahead: 3 }); // { created: ['sessions_2027_03'], moved: 0 }
 */
export async function ensurePartitions(db: Database, options: EnsurePartitionsOptions = {}): Promise<EnsurePartitionsResult> {
  const ahead = checkAhead(options.ahead);
  const now = checkNow(options.now);
  return inCall(db, 'ensurePartitions', () =>
    abortable('ensurePartitions', options.signal, () =>
      db.transaction(async (tx) => {
        await requirePartitioned(tx);
        const result = await ensureSessionMonths(tx, monthStart(now, 0), monthStart(now, ahead));
        // The months holding rows of the default partition: each becomes its own partition, its rows moved into it.
        const stray = await queryRows<{ month: string }>(
          tx,
          sql`select distinct date_trunc('month', scheduled_time, 'UTC') as "month" from sessions_default order by 1`,
        );
        for (const { month } of stray) {
          const moved = await ensureSessionMonths(tx, new Date(month), new Date(month));
          result.created.push(...moved.created);
          result.moved += moved.moved;
        }
        result.created.sort();
        return result;
      }),
    ),
  ).catch((error: unknown) => {
    throw translateDatabaseError(error);
  });
}

async function requirePartitioned(db: Database): Promise<void> {
  if (!(await sessionsArePartitioned(db))) {
    throw new InvalidOptionError('db', 'ensurePartitions: sessions is not partitioned on this database; apply the migrations first (migrate(db) or tqs-data migrate)');
  }
}

/**
 * The partitions of `sessions`, oldest month first and the default partition last, each with its exact row count.
 *
 * @example
 * await listPartitions(db); // [{ name: 'sessions_2026_11', from: 2026-11-01T00:00:00Z, to: 2026-12-01T00:00:00Z, rows: 10995 }, ...]
 */
export async function listPartitions(db: Database): Promise<SessionPartition[]> {
  return inCall(db, 'listPartitions', async () => {
    await requirePartitioned(db);
    const parts = await partitionsOf(db, 'sessions');
    const counts = new Map<string, number>();
    if (parts.length > 0) {
      const union = sql.join(
        parts.map((p) => sql`select ${p.name}::text as "name", count(*)::int as "rows" from ${sql.identifier(p.name)}`),
        sql` union all `,
      );
      for (const row of await queryRows<{ name: string; rows: number }>(db, union)) counts.set(row.name, Number(row.rows));
    }
    return parts
      .map((p) => ({ ...p, rows: counts.get(p.name) ?? 0 }))
      .sort((a, b) => (a.from === null ? 1 : b.from === null ? -1 : a.from.getTime() - b.from.getTime()));
  });
}
