import { type SQL, sql } from 'drizzle-orm';
import type { PgColumn, PgTable } from 'drizzle-orm/pg-core';
import { type FleetCountKind, fleetCounts } from '../schema';
import { instantParam } from './options';

/*
 * The fleet-wide calls read `fleet_counts`, the per-quarter-hour counts the database keeps (migration fleet_counts),
 * for the part of their period those buckets cover exactly, and count the rows themselves only at the edges: from
 * `from` to the first whole quarter-hour, and from the last one to `to` (at most 15 minutes each), so the answer is
 * exact for any instants. Counts before 1980, when some zones' offsets were not whole quarter-hours (local mean
 * times), are counted from the rows as well.
 */

const QUARTER_HOUR = 15 * 60_000;

/** The first instant the kept counts serve: every zone's offsets are whole quarter-hours since (tz database). */
export const KEPT_COUNTS_SINCE = Date.UTC(1980, 0, 1);

/** A period: `[from, to)`, or `(from, to]` when `upperClosed`. */
export interface CountPeriod {
  from: Date;
  to: Date;
  upperClosed?: boolean;
}

/** Where a count comes from: the kept rows of one kind (and key), and the same rows in their own table. */
export interface CountSource {
  kind: FleetCountKind;
  /** Only this key of the kind. */
  key?: string;
  table: PgTable;
  /** The time the rows are bucketed by. */
  time: PgColumn;
  /** The row's key, as the kept counts spell it. */
  rowKey: SQL;
  /** Rows of the table that count (the key filter, said of the rows). */
  rowFilter?: SQL;
}

/**
 * SQL rows `("t", "key", "n")` that sum to the counts of `source` in `period`: one per kept bucket wholly inside it
 * (`t` the bucket's start), one per row of its edges (`t` the row's time, `n` 1). Group them by any function of `t`
 * that is constant within a quarter-hour.
 */
export function fleetCountRows(period: CountPeriod, source: CountSource): SQL {
  const { from, to, upperClosed } = period;
  const [gt, ge, lt, le] = [sql`>`, sql`>=`, sql`<`, sql`<=`];
  const [lower, upper] = upperClosed ? [gt, le] : [ge, lt];
  const first = Math.max(KEPT_COUNTS_SINCE, upperClosed ? Math.floor(from.getTime() / QUARTER_HOUR + 1) * QUARTER_HOUR : Math.ceil(from.getTime() / QUARTER_HOUR) * QUARTER_HOUR);
  const end = Math.floor(to.getTime() / QUARTER_HOUR) * QUARTER_HOUR;
  const rows = (low: SQL, lowAt: Date, high: SQL, highAt: Date) =>
    sql`select ${source.time} as "t", ${source.rowKey} as "key", 1 as "n" from ${source.table}
    where ${source.time} ${low} ${instantParam(lowAt)} and ${source.time} ${high} ${instantParam(highAt)}${source.rowFilter ? sql` and ${source.rowFilter}` : sql``}`;
  if (first >= end) return rows(lower, from, upper, to);
  const f = fleetCounts;
  const parts = [
    sql`select ${f.bucket} as "t", ${f.key} as "key", ${f.count} as "n" from ${f}
    where ${f.kind} = ${source.kind}${source.key === undefined ? sql`` : sql` and ${f.key} = ${source.key}`}
      and ${f.bucket} >= ${instantParam(new Date(first))} and ${f.bucket} < ${instantParam(new Date(end))}`,
  ];
  if (first > from.getTime() || upperClosed) parts.push(rows(lower, from, lt, new Date(first)));
  if (end < to.getTime() || upperClosed) parts.push(rows(ge, new Date(end), upper, to));
  return sql.join(parts, sql` union all `);
}
