import { sql } from 'drizzle-orm';
import { type Database, queryRows } from './client';

/** What creating a range of months of `sessions` did. */
export interface SessionMonthsResult {
  /** The partitions created, oldest first (empty when every month was there). */
  created: string[];
  /** Sessions moved out of the default partition into the months created. */
  moved: number;
}

/** Whether `sessions` is partitioned (migration `partitioned_sessions` applied). */
export async function sessionsArePartitioned(db: Database): Promise<boolean> {
  const [row] = await queryRows<{ partitioned: boolean }>(
    db,
    sql`select coalesce((select relkind = 'p' from pg_class where oid = to_regclass('sessions')), false) as partitioned`,
  );
  return row?.partitioned === true;
}

/**
 * Creates the partitions of `sessions` for the months (UTC) from the one holding `from` to the one holding `to`, both
 * included, each with its rows moved out of the default partition; one caller at a time (a `SHARE UPDATE EXCLUSIVE`
 * lock on `sessions` to the end of the transaction, taken only when a month is missing). The range a load or a migration needs before its rows arrive.
 */
export async function ensureSessionMonths(db: Database, from: Date, to: Date): Promise<SessionMonthsResult> {
  const rows = await queryRows<{ partition: string; created: boolean; moved: string | number }>(
    db,
    sql`select "partition", "created", "moved" from tqs_ensure_session_months(${from.toISOString()}::timestamptz, ${to.toISOString()}::timestamptz)`,
  );
  return {
    created: rows.filter((r) => r.created).map((r) => r.partition),
    moved: rows.reduce((sum, r) => sum + Number(r.moved), 0),
  };
}

/**
 * The months that have a partition of `sessions`, as `YYYY_MM` (the default partition left out); undefined when
 * `sessions` is not partitioned.
 */
export async function sessionPartitionMonths(db: Database): Promise<Set<string> | undefined> {
  if (!(await sessionsArePartitioned(db))) return undefined;
  const rows = await queryRows<{ name: string }>(
    db,
    sql`select c.relname as "name" from pg_inherits i join pg_class c on c.oid = i.inhrelid where i.inhparent = 'sessions'::regclass`,
  );
  return new Set(rows.flatMap((r) => (/^sessions_(\d{4}_\d{2})$/.exec(r.name)?.[1] ? [r.name.slice('sessions_'.length)] : [])));
}
