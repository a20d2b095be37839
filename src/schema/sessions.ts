import { sql } from 'drizzle-orm';
import { check, foreignKey, index, integer, pgTable, unique, uuid, varchar } from 'drizzle-orm/pg-core';
import { createdAtColumn, idColumn, timestampsInRange, timestamptz, updatedAtColumn } from './columns';
import { tutors } from './tutors';

/**
 * The values `sessions.status` may take. A session booked ahead is `scheduled`, then gets its outcome; once it has one
 * it never goes back to `scheduled` (docs/ingest.md).
 */
export const sessionStatuses = ['scheduled', 'completed', 'rescheduled', 'no_show'] as const;
/** The status of a session: one of {@link sessionStatuses}. */
export type SessionStatus = (typeof sessionStatuses)[number];

/**
 * A booked session between a tutor and a student.
 *
 * The spec's separate index on `tutor_id` is left out on purpose: the composite `(tutor_id, scheduled_time)` index
 * starts with `tutor_id`, so it serves the foreign key and every tutor look-up, and a second index would only slow
 * every insert. `(scheduled_time, tutor_id, id, status)` serves every range on `scheduled_time` and lets the scores
 * read their window from the index alone, however long the history (they leave out sessions still `scheduled`).
 * `sessions_scheduled_idx` holds the booked sessions alone, in the order the upcoming sessions are paged. `(id, scheduled_time)` is unique so that `reschedules` can reference both columns at once: that is how
 * the database keeps `reschedules.original_time` equal to its session's `scheduled_time`.
 */
export const sessions = pgTable(
  'sessions',
  {
    id: idColumn(),
    tutorId: uuid('tutor_id').notNull(),
    studentId: varchar('student_id', { length: 255 }).notNull(),
    scheduledTime: timestamptz('scheduled_time').notNull(),
    completedTime: timestamptz('completed_time'),
    status: varchar('status', { length: 50, enum: sessionStatuses }).notNull(),
    durationMinutes: integer('duration_minutes'),
    createdAt: createdAtColumn(),
    updatedAt: updatedAtColumn(),
  },
  (t) => [
    foreignKey({ name: 'sessions_tutor_id_fk', columns: [t.tutorId], foreignColumns: [tutors.id] }).onDelete('restrict'),
    unique('sessions_id_scheduled_time_unique').on(t.id, t.scheduledTime),
    index('sessions_tutor_id_scheduled_time_idx').on(t.tutorId, t.scheduledTime),
    // The score window as an index-only range scan: `tutor_id`, `id` and whether it is still `scheduled` are all the
    // refresh reads of a session.
    index('sessions_window_idx').on(t.scheduledTime, t.tutorId, t.id, t.status),
    index('sessions_status_idx').on(t.status),
    index('sessions_scheduled_idx').on(t.scheduledTime, t.id).where(sql`${t.status} = 'scheduled'`),
    check('sessions_status_valid', sql`${t.status} in ('scheduled', 'completed', 'rescheduled', 'no_show')`),
    check('sessions_student_id_not_blank', sql`${t.studentId} ~ '[^ \\t\\r\\n]'`),
    check('sessions_completed_time_matches_status', sql`(${t.status} = 'completed') = (${t.completedTime} is not null)`),
    check('sessions_completed_after_scheduled', sql`${t.completedTime} >= ${t.scheduledTime}`),
    check('sessions_duration_positive', sql`${t.durationMinutes} > 0`),
    check('sessions_duration_only_when_completed', sql`${t.durationMinutes} is null or ${t.status} = 'completed'`),
    timestampsInRange('sessions_timestamps_in_range', t.scheduledTime, t.completedTime, t.createdAt, t.updatedAt),
  ],
);
