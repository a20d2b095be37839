import { sql } from 'drizzle-orm';
import { bigint, check, pgTable, primaryKey, varchar } from 'drizzle-orm/pg-core';
import { timestamptz } from './columns';

/**
 * What {@link fleetCounts} counts, its `kind`: sessions by `status`; reschedules by `initiator`, by reason code
 * (`reason`, the empty key for none) and by lead time (`lead`: `under24h`, `1to3days`, `3daysOrMore`).
 */
export const fleetCountKinds = ['status', 'initiator', 'reason', 'lead'] as const;
/** What a `fleet_counts` row counts: one of {@link fleetCountKinds}. */
export type FleetCountKind = (typeof fleetCountKinds)[number];

/**
 * Counts of the live rows of `sessions` and `reschedules` per quarter-hour of their scheduled (original) time, kept
 * exact by the database's own statement-level triggers (migration `fleet_counts`), whoever writes: this package,
 * psql or another service. The fleet-wide read-model calls (`fleetSummary`, `rescheduleTrend`,
 * `rescheduleBreakdown` without a tutor) sum these rows instead of counting the rows themselves. A quarter-hour
 * bucket lies within one local day, hour and week of every time zone whose offsets are whole quarter-hours (every
 * zone since 1979; docs/read-model.md). Rows whose count fell back to 0 stay (they weigh nothing). Nothing else
 * should write it; `tqs_recount_fleet_counts()` rebuilds it from the rows.
 */
export const fleetCounts = pgTable(
  'fleet_counts',
  {
    kind: varchar('kind', { length: 16, enum: fleetCountKinds }).notNull(),
    /** The quarter-hour (UTC-aligned) holding the session's scheduled time. */
    bucket: timestamptz('bucket').notNull(),
    /** The status, initiator, reason code ('' for none) or lead-time group. */
    key: varchar('key', { length: 100 }).notNull(),
    count: bigint('count', { mode: 'number' }).notNull(),
  },
  // The calls read one kind over a range of buckets: kind first.
  (t) => [
    primaryKey({ name: 'fleet_counts_pkey', columns: [t.kind, t.bucket, t.key] }),
    check('fleet_counts_kind_valid', sql`${t.kind} in ('status', 'initiator', 'reason', 'lead')`),
  ],
);
