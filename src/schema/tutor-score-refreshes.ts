import { sql } from 'drizzle-orm';
import { bigint, check, integer, numeric, pgTable } from 'drizzle-orm/pg-core';
import { timestampsInRange, timestamptz } from './columns';

/**
 * One row per refresh of every tutor (`refreshTutorScores` without `tutorIds` or `staleOnly`), written by that refresh's
 * own statement: when it ran, for which `asOf` and threshold, how many tutors it scored and how many score rows it
 * wrote. Such a refresh leaves a `tutor_scores` row as it is when it finds the same counts, threshold and
 * `next_change_at` there (migration `0012_refresh_skip_unchanged`), so `last_calculated_at` is the time a row's values
 * were last written, and this table holds the time they were last verified: `operationsStatus().lastRefreshAt` and
 * the deprecated `staleOnly` read both.
 */
export const tutorScoreRefreshes = pgTable(
  'tutor_score_refreshes',
  {
    id: bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
    /** The refresh statement's `now()`: the `last_calculated_at` it wrote into the rows it changed. */
    refreshedAt: timestamptz('refreshed_at').notNull(),
    /** The end of the windows of that refresh. */
    asOf: timestamptz('as_of').notNull(),
    riskThreshold: numeric('risk_threshold', { precision: 5, scale: 2, mode: 'number' }).notNull(),
    /** Tutors scored: every tutor at the time. */
    scored: integer('scored').notNull(),
    /** Score rows inserted or updated; the others already held the same values. */
    written: integer('written').notNull(),
  },
  (t) => [
    check('tutor_score_refreshes_counts_valid', sql`${t.written} >= 0 and ${t.written} <= ${t.scored}`),
    timestampsInRange('tutor_score_refreshes_timestamps_in_range', t.refreshedAt, t.asOf),
  ],
);
