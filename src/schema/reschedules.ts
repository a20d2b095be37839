import { sql } from 'drizzle-orm';
import { check, foreignKey, index, numeric, pgTable, text, unique, uuid, varchar } from 'drizzle-orm/pg-core';
import { createdAtColumn, idColumn, timestampsInRange, timestamptz } from './columns';
import { sessions } from './sessions';

/** Who asked for a reschedule. */
export const rescheduleInitiators = ['tutor', 'student'] as const;
/** Who asked for a reschedule: one of {@link rescheduleInitiators}. */
export type RescheduleInitiator = (typeof rescheduleInitiators)[number];

/**
 * One reschedule (or cancellation, when `new_time` is null) of one session.
 *
 * `(session_id, original_time)` references `sessions (id, scheduled_time)`, so the database refuses an
 * `original_time` that differs from the session's `scheduled_time`, and refuses to move a session that has a
 * reschedule. The foreign key is `DEFERRABLE INITIALLY IMMEDIATE` (migration `reschedule_status_rule`; Drizzle has no
 * way to say so): `SET CONSTRAINTS reschedules_session_fk DEFERRED` lets a transaction write a reschedule before its
 * session. A session has a reschedule exactly when its status is `rescheduled`, checked at commit
 * (`reschedule_status_rule`, a constraint trigger written by hand in that migration). `hours_before_session` is a generated column: the database derives it from `original_time` and
 * `cancelled_at`, so it can never disagree with them.
 */
export const reschedules = pgTable(
  'reschedules',
  {
    id: idColumn(),
    sessionId: uuid('session_id').notNull(),
    initiator: varchar('initiator', { length: 50, enum: rescheduleInitiators }).notNull(),
    originalTime: timestamptz('original_time').notNull(),
    newTime: timestamptz('new_time'),
    reason: text('reason'),
    reasonCode: varchar('reason_code', { length: 100 }),
    cancelledAt: timestamptz('cancelled_at').notNull(),
    hoursBeforeSession: numeric('hours_before_session', { precision: 10, scale: 2, mode: 'number' }).generatedAlwaysAs(
      sql`round(extract(epoch from ("original_time" - "cancelled_at")) / 3600, 2)`,
    ),
    createdAt: createdAtColumn(),
  },
  (t) => [
    unique('reschedules_session_id_unique').on(t.sessionId),
    foreignKey({
      name: 'reschedules_session_fk',
      columns: [t.sessionId, t.originalTime],
      foreignColumns: [sessions.id, sessions.scheduledTime],
    }).onDelete('cascade'),
    index('reschedules_initiator_idx').on(t.initiator),
    // The tutor-initiated reschedules of the score window, as an index-only range scan however long the history.
    index('reschedules_tutor_window_idx').on(t.originalTime, t.sessionId, t.id).where(sql`${t.initiator} = 'tutor'`),
    index('reschedules_cancelled_at_idx').on(t.cancelledAt),
    index('reschedules_reason_code_idx').on(t.reasonCode),
    check('reschedules_initiator_valid', sql`${t.initiator} in ('tutor', 'student')`),
    check('reschedules_new_time_after_original', sql`${t.newTime} > ${t.originalTime}`),
    check('reschedules_reason_code_format', sql`${t.reasonCode} ~ '^[a-z][a-z0-9_]*$'`),
    timestampsInRange('reschedules_timestamps_in_range', t.originalTime, t.newTime, t.cancelledAt, t.createdAt),
  ],
);
