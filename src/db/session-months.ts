import { sql } from 'drizzle-orm';
import { type Database, queryRows } from './client';
import { monthStart } from './utc-month';

/** What creating a range of months of `sessions` did. */
export interface SessionMonthsResult {
  /** The partitions created, oldest first (empty when every month was there). */
  created: string[];
  /** Sessions moved out of the default partition into the months created. */
  moved: number;
}

/** Whether `table` (as the search path resolves it, or schema-qualified) exists and is partitioned. */
export async function isPartitioned(db: Database, table: string): Promise<boolean> {
  const [row] = await queryRows<{ partitioned: boolean }>(
    db,
    sql`select coalesce((select relkind = 'p' from pg_class where oid = to_regclass(${table})), false) as partitioned`,
  );
  return row?.partitioned === true;
}

/** Whether `sessions` is partitioned (migration `partitioned_sessions` applied). */
export const sessionsArePartitioned = (db: Database): Promise<boolean> => isPartitioned(db, 'sessions');

/** One partition of a table partitioned by month: its name, and for a month's (`sessions_YYYY_MM`) its UTC bounds. */
export interface MonthPartition {
  name: string;
  /** The first instant of its month; null for any other partition (the default one). */
  from: Date | null;
  /** The first instant after its month; null for any other partition. */
  to: Date | null;
}

/**
 * The partitions of `parent` (`sessions` or `tqs_archive.sessions`), read from the catalog, in no order; none when
 * it has none or does not exist. The months' names are made by `tqs_session_month`: `sessions_YYYY_MM`, UTC.
 */
export async function partitionsOf(db: Database, parent: string): Promise<MonthPartition[]> {
  const rows = await queryRows<{ name: string }>(
    db,
    sql`select c.relname as "name" from pg_inherits i join pg_class c on c.oid = i.inhrelid where i.inhparent = to_regclass(${parent})`,
  );
  return rows.map(({ name }) => {
    const month = /^sessions_(\d{4})_(\d{2})$/.exec(name);
    const from = month ? new Date(Date.UTC(Number(month[1]), Number(month[2]) - 1, 1)) : null;
    return { name, from, to: from ? monthStart(from, 1) : null };
  });
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
  return new Set((await partitionsOf(db, 'sessions')).flatMap((p) => (p.from ? [p.name.slice('sessions_'.length)] : [])));
}
