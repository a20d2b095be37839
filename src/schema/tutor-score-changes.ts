import { bigint, index, pgTable, uuid } from 'drizzle-orm/pg-core';
import { createdAtColumn } from './columns';

/**
 * The queue of tutors whose score may have changed: one row per tutor per statement that wrote `tutors` (insert),
 * `sessions` or `reschedules`, appended by the database's own statement-level triggers (migration
 * `0002_score_change_capture`), whoever writes. `refreshDueScores` refreshes the tutors it names and deletes the rows
 * it read; nothing else should write it.
 *
 * Append-only for writers, with no foreign key and no unique key on `tutor_id`: a writer only inserts, so writers
 * never wait for each other (nor for a score worker) because of the capture; duplicates are merged when read.
 */
export const tutorScoreChanges = pgTable(
  'tutor_score_changes',
  {
    id: bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
    tutorId: uuid('tutor_id').notNull(),
    /** When the writing transaction began (`now()`): how long a change has waited, for monitoring. */
    createdAt: createdAtColumn(),
  },
  // The due refresh deletes a tutor's rows by tutor id.
  (t) => [index('tutor_score_changes_tutor_id_idx').on(t.tutorId)],
);
