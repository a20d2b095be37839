import { sql } from 'drizzle-orm';
import { bigint, boolean, check, index, numeric, pgTable, uuid, varchar } from 'drizzle-orm/pg-core';
import { timestampsInRange, timestamptz } from './columns';

/**
 * Each change of a tutor's flag (`is_high_risk`) or risk category, as a refresh (full or due) wrote it: the state
 * before (null before the tutor's first score) and after, and the rates that caused it. Written by the database's own
 * statement-level triggers on `tutor_scores` (migration `0007_read_model`), whoever wrote the sessions; only
 * `acknowledged_at` is written by callers (`acknowledgeRiskEvent`). No foreign key (TRUNCATE of `tutors` would
 * refuse): triggers on `tutors` remove a deleted tutor's events.
 */
export const tutorRiskEvents = pgTable(
  'tutor_risk_events',
  {
    id: bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
    tutorId: uuid('tutor_id').notNull(),
    /** The new score's `last_calculated_at`: when the refresh that changed it ran. */
    at: timestamptz('at').notNull(),
    asOf: timestamptz('as_of').notNull(),
    /** Null when the tutor had no score before. */
    beforeIsHighRisk: boolean('before_is_high_risk'),
    beforeRiskCategory: varchar('before_risk_category', { length: 10, enum: ['low', 'medium', 'high'] }),
    afterIsHighRisk: boolean('after_is_high_risk').notNull(),
    afterRiskCategory: varchar('after_risk_category', { length: 10, enum: ['low', 'medium', 'high'] }),
    rescheduleRate7d: numeric('reschedule_rate_7d', { precision: 5, scale: 2, mode: 'number' }),
    rescheduleRate30d: numeric('reschedule_rate_30d', { precision: 5, scale: 2, mode: 'number' }),
    rescheduleRate90d: numeric('reschedule_rate_90d', { precision: 5, scale: 2, mode: 'number' }),
    riskThreshold: numeric('risk_threshold', { precision: 5, scale: 2, mode: 'number' }).notNull(),
    acknowledgedAt: timestamptz('acknowledged_at'),
  },
  (t) => [
    // A tutor's events, newest first.
    index('tutor_risk_events_tutor_id_id_idx').on(t.tutorId, t.id),
    // The events nobody has acknowledged yet, newest first.
    index('tutor_risk_events_unacknowledged_idx').on(t.id).where(sql`${t.acknowledgedAt} is null`),
    check(
      'tutor_risk_events_risk_categories_valid',
      sql`${t.beforeRiskCategory} in ('low', 'medium', 'high') and ${t.afterRiskCategory} in ('low', 'medium', 'high')`,
    ),
    timestampsInRange('tutor_risk_events_timestamps_in_range', t.at, t.asOf, t.acknowledgedAt),
  ],
);
