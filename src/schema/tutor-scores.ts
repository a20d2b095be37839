import { sql } from 'drizzle-orm';
import { boolean, check, foreignKey, index, integer, numeric, pgTable, unique, uuid, varchar } from 'drizzle-orm/pg-core';
import { riskCategoryBounds } from '../domain/risk-tiers';
import { createdAtColumn, idColumn, timestampsInRange, timestamptz, updatedAtColumn } from './columns';
import { tutors } from './tutors';

/** The threshold, in percent, above which a reschedule rate flags a tutor. */
export const DEFAULT_RISK_THRESHOLD = 15;

/** The scoring windows, in days, each with its own rate and counts in `tutor_scores`. */
export const scoreWindows = [7, 30, 90] as const;
/** A scoring window, in days: one of {@link scoreWindows}. */
export type ScoreWindow = (typeof scoreWindows)[number];

/*
 * The rates and the flag are generated columns, so PostgreSQL derives them from the counts and the threshold and no
 * writer can store a flag that disagrees with its rates. A rate is 100 × reschedules ÷ sessions rounded to 2
 * decimals, and null when the window holds no session (docs/design.md, "The reschedule rate"). A generated column may not read
 * another, so the flag spells the three rates out again.
 */
// The rate is only computed for counts its check constraint allows: otherwise a count far above the sessions would
// overflow numeric(5,2) before the check runs, and the error would name no constraint.
const rate = (days: ScoreWindow) =>
  `case when "total_sessions_${days}d" > 0 and "tutor_reschedules_${days}d" between 0 and "total_sessions_${days}d" then round(100.0 * "tutor_reschedules_${days}d" / "total_sessions_${days}d", 2) end`;
const highestRate = `greatest(${scoreWindows.map(rate).join(', ')})`;
const category = `case when ${highestRate} <= ${riskCategoryBounds.low} then 'low' when ${highestRate} <= ${riskCategoryBounds.medium} then 'medium' when ${highestRate} > ${riskCategoryBounds.medium} then 'high' end`;
const exceeds = (days: ScoreWindow) =>
  `("total_sessions_${days}d" > 0 and round(100.0 * "tutor_reschedules_${days}d" / "total_sessions_${days}d", 2) > "risk_threshold")`;

/**
 * The expression of the generated `is_high_risk` column, over the unqualified column names `total_sessions_7d`, …,
 * `tutor_reschedules_90d` and `risk_threshold`: for a query over rows with those columns that must flag exactly as the
 * table does (the refresh of every tutor counts the flagged ones among the scores it computed).
 *
 * @example
 * sql`select count(*) filter (where ${sql.raw(highRiskExpression)}) from computed`;
 */
export const highRiskExpression = scoreWindows.map(exceeds).join(' or ');

/**
 * The latest score of each tutor: one row per tutor, written by `refreshTutorScores`.
 *
 * Only the counts, the threshold and the window end (`as_of`) are written; the three rates, `is_high_risk` and
 * `risk_category` (`low` / `medium` / `high` from the highest rate: up to 10 %, up to 20 %, above; null with no
 * sessions) are generated from them by the database.
 */
export const tutorScores = pgTable(
  'tutor_scores',
  {
    id: idColumn(),
    tutorId: uuid('tutor_id').notNull(),
    rescheduleRate7d: numeric('reschedule_rate_7d', { precision: 5, scale: 2, mode: 'number' }).generatedAlwaysAs(
      sql.raw(rate(7)),
    ),
    rescheduleRate30d: numeric('reschedule_rate_30d', { precision: 5, scale: 2, mode: 'number' }).generatedAlwaysAs(
      sql.raw(rate(30)),
    ),
    rescheduleRate90d: numeric('reschedule_rate_90d', { precision: 5, scale: 2, mode: 'number' }).generatedAlwaysAs(
      sql.raw(rate(90)),
    ),
    totalSessions7d: integer('total_sessions_7d').notNull().default(0),
    totalSessions30d: integer('total_sessions_30d').notNull().default(0),
    totalSessions90d: integer('total_sessions_90d').notNull().default(0),
    tutorReschedules7d: integer('tutor_reschedules_7d').notNull().default(0),
    tutorReschedules30d: integer('tutor_reschedules_30d').notNull().default(0),
    tutorReschedules90d: integer('tutor_reschedules_90d').notNull().default(0),
    isHighRisk: boolean('is_high_risk')
      .notNull()
      .generatedAlwaysAs(sql.raw(highRiskExpression)),
    riskCategory: varchar('risk_category', { length: 10, enum: ['low', 'medium', 'high'] }).generatedAlwaysAs(
      sql.raw(category),
    ),
    riskThreshold: numeric('risk_threshold', { precision: 5, scale: 2, mode: 'number' })
      .notNull()
      .default(DEFAULT_RISK_THRESHOLD),
    asOf: timestamptz('as_of').notNull().defaultNow(),
    lastCalculatedAt: timestamptz('last_calculated_at').notNull().defaultNow(),
    /**
     * The next instant after `as_of` at which the counts change by time alone: a session entering the windows at its
     * `scheduled_time`, or leaving the 7-, 30- or 90-day window at `scheduled_time` + 7, 30 or 90 days. Null: no
     * such instant (no session after `as_of − 90 days`). The score stays exact for any `asOf` in
     * `[as_of, next_change_at)` until a session or reschedule of the tutor is written.
     */
    nextChangeAt: timestamptz('next_change_at'),
    createdAt: createdAtColumn(),
    updatedAt: updatedAtColumn(),
  },
  (t) => [
    unique('tutor_scores_tutor_id_unique').on(t.tutorId),
    foreignKey({ name: 'tutor_scores_tutor_id_fk', columns: [t.tutorId], foreignColumns: [tutors.id] }).onDelete(
      'cascade',
    ),
    // The only index besides the keys: a refresh rewrites the rows whose values changed, and an update that changes no indexed column
    // is HOT (no index entry written; the table's fillfactor of 50 leaves room on the page, migration
    // 0009_refresh_speed). `last_calculated_at` and `as_of` change on every write; the flag and the category are
    // read by seq scans of the table (one row per tutor), never by an index.
    index('tutor_scores_next_change_at_idx').on(t.nextChangeAt),
    check('tutor_scores_risk_threshold_in_range', sql`${t.riskThreshold} >= 0 and ${t.riskThreshold} <= 100`),
    check(
      'tutor_scores_7d_counts_valid',
      sql`${t.tutorReschedules7d} >= 0 and ${t.tutorReschedules7d} <= ${t.totalSessions7d}`,
    ),
    check(
      'tutor_scores_30d_counts_valid',
      sql`${t.tutorReschedules30d} >= 0 and ${t.tutorReschedules30d} <= ${t.totalSessions30d}`,
    ),
    check(
      'tutor_scores_90d_counts_valid',
      sql`${t.tutorReschedules90d} >= 0 and ${t.tutorReschedules90d} <= ${t.totalSessions90d}`,
    ),
    check(
      'tutor_scores_windows_nested',
      sql`${t.totalSessions7d} <= ${t.totalSessions30d} and ${t.totalSessions30d} <= ${t.totalSessions90d} and ${t.tutorReschedules7d} <= ${t.tutorReschedules30d} and ${t.tutorReschedules30d} <= ${t.tutorReschedules90d}`,
    ),
    timestampsInRange('tutor_scores_timestamps_in_range', t.asOf, t.lastCalculatedAt, t.createdAt, t.updatedAt),
  ],
);
