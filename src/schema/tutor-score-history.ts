import { sql } from 'drizzle-orm';
import { bigint, boolean, check, index, numeric, pgTable, uuid, varchar } from 'drizzle-orm/pg-core';
import { timestampsInRange, timestamptz } from './columns';

/**
 * The scores of each tutor as they were computed: one row each time a refresh (full or due) wrote a score whose
 * rates, flag, risk category or threshold differ from the tutor's previous one, and one for a tutor's first score.
 * Written by the database's own statement-level triggers on `tutor_scores` (migration `0007_read_model`), so the
 * history is the same whoever wrote the sessions; nothing else should write it. Kept until `pruneScoreHistory`
 * removes old rows (docs/read-model.md). No foreign key (TRUNCATE of `tutors` would refuse): triggers on `tutors`
 * remove a deleted tutor's rows.
 */
export const tutorScoreHistory = pgTable(
  'tutor_score_history',
  {
    id: bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
    tutorId: uuid('tutor_id').notNull(),
    /** The score's `last_calculated_at`: when the refresh that wrote it ran. */
    calculatedAt: timestamptz('calculated_at').notNull(),
    /** The score's `as_of`: the end of its windows. */
    asOf: timestamptz('as_of').notNull(),
    rescheduleRate7d: numeric('reschedule_rate_7d', { precision: 5, scale: 2, mode: 'number' }),
    rescheduleRate30d: numeric('reschedule_rate_30d', { precision: 5, scale: 2, mode: 'number' }),
    rescheduleRate90d: numeric('reschedule_rate_90d', { precision: 5, scale: 2, mode: 'number' }),
    isHighRisk: boolean('is_high_risk').notNull(),
    riskCategory: varchar('risk_category', { length: 10, enum: ['low', 'medium', 'high'] }),
    riskThreshold: numeric('risk_threshold', { precision: 5, scale: 2, mode: 'number' }).notNull(),
  },
  (t) => [
    // scoreHistory reads one tutor's rows in time order.
    index('tutor_score_history_tutor_id_calculated_at_idx').on(t.tutorId, t.calculatedAt),
    // No index on calculated_at alone: only pruneScoreHistory, an occasional maintenance call, reads by it (one pass
    // over the table), and every refresh that changes scores would pay for it (migration 0014).
    check('tutor_score_history_risk_category_valid', sql`${t.riskCategory} in ('low', 'medium', 'high')`),
    timestampsInRange('tutor_score_history_timestamps_in_range', t.calculatedAt, t.asOf),
  ],
);
