import { sql } from 'drizzle-orm';
import { pgTable, timestamp, uuid, varchar } from 'drizzle-orm/pg-core';
import { seed } from 'drizzle-seed';
import { type Dataset, queryRows, reschedules, sessions, type TqsDatabase, tutors } from '../src';
import { timed } from './measure';

/*
 * drizzle-seed writing the same volume to the same schema: as many tutors, sessions, reschedules and email reports
 * as the dataset, every column filled, into the same freshly migrated tables (all constraints, indexes and foreign
 * keys on). drizzle-seed draws every column on its own, so rows that satisfy the CHECKs and the cross-table keys are
 * asked for as follows (what is compared, exactly):
 *
 * - tutors: name `fullName()`, email `email()` (unique by construction), is_active `boolean()`, created_at/updated_at
 *   drizzle-seed's own timestamps. As the dataset: every tutor has an email.
 * - sessions: tutor_id picked by drizzle-seed from the tutors it wrote (its foreign-key handling); student_id drawn
 *   from the dataset's student ids; status always 'completed', with completed_time drawn from a range after every
 *   scheduled_time and duration_minutes 30–120, so `sessions_completed_time_matches_status`,
 *   `sessions_completed_after_scheduled` and `sessions_duration_*` hold. (The dataset mixes completed, rescheduled
 *   and no-show sessions; all-completed rows carry every column, so they are the heavier case.)
 * - email_reports: session_id picked by drizzle-seed from the sessions it wrote; recipient_email drawn from the
 *   dataset's; status always 'sent', so error_message stays null (`email_reports_error_message_when_failed`).
 *   drizzle-seed 0.3.1 sizes its batches to at most 65,535 parameters while postgres.js refuses 65,534 or more, so a
 *   7-column table of more than 9,361 rows fails with MAX_PARAMETERS_EXCEEDED; it is therefore handed a Drizzle
 *   table over the same SQL table that declares every column but error_message (6 columns, batches of 10,000 rows,
 *   the size it uses for tutors too). The rows written are the same: error_message is null in every one of them.
 * - reschedules, a second seed() call: UNIQUE(session_id) and the composite key (session_id, original_time) →
 *   sessions (id, scheduled_time) rule out drizzle-seed's random foreign-key picks, so it gets the (id,
 *   scheduled_time) pairs of as many distinct sessions as the dataset has reschedules, read back from the database
 *   after the first call (untimed), as `valuesFromArray({ values, isUnique: true })` for both columns. drizzle-seed
 *   draws the two columns of a composite foreign key with the same PRNG seed, and a unique draw over arrays of the
 *   same length then picks the same index for both, so each row gets a matching pair (the foreign key would refuse
 *   it otherwise). new_time after every original_time, cancelled_at before, reason/reason_code from the dataset's.
 * - tutor_scores is not seeded (insertDataset's figure for this comparison has refreshScores: false).
 *
 * Timed: both seed() calls, which include drizzle-seed generating its values (its generation and inserts are one
 * loop and cannot be timed apart); the read-back between them is not.
 */

const DAY = 86_400_000;

/** `email_reports` without `error_message` (see above): the same SQL table, its other columns, its foreign key. */
const emailReportsForSeed = pgTable('email_reports', {
  id: uuid('id').primaryKey(),
  sessionId: uuid('session_id')
    .notNull()
    .references(() => sessions.id),
  recipientEmail: varchar('recipient_email', { length: 255 }).notNull(),
  sentAt: timestamp('sent_at', { withTimezone: true, mode: 'date' }).notNull(),
  status: varchar('status', { length: 50 }).notNull(),
  createdAt: timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull(),
});

const distinct = <T>(values: Iterable<T>): T[] => [...new Set(values)];

/** Runs drizzle-seed over `db` (freshly migrated) with the dataset's row counts; returns the timed milliseconds. */
export async function drizzleSeedLoad(db: TqsDatabase, dataset: Dataset, seedNumber = 1): Promise<number> {
  const now = dataset.options.now.getTime();
  const days = dataset.options.days;
  const studentIds = distinct(dataset.sessions.map((s) => s.studentId));
  const recipients = distinct(dataset.emailReports.map((e) => e.recipientEmail));
  const reasons = distinct(dataset.reschedules.map((r) => r.reason).filter((r): r is string => r !== null));
  const reasonCodes = distinct(dataset.reschedules.map((r) => r.reasonCode).filter((r): r is string => r !== null));
  const counts = {
    tutors: dataset.tutors.length,
    sessions: dataset.sessions.length,
    reschedules: dataset.reschedules.length,
    emailReports: dataset.emailReports.length,
  };

  const first = await timed(() =>
    seed(db, { tutors, sessions, emailReports: emailReportsForSeed }, { seed: seedNumber }).refine((f) => ({
      tutors: {
        count: counts.tutors,
        columns: { name: f.fullName(), email: f.email(), isActive: f.boolean() },
      },
      sessions: {
        count: counts.sessions,
        columns: {
          studentId: f.valuesFromArray({ values: studentIds }),
          scheduledTime: f.date({ minDate: new Date(now - days * DAY), maxDate: new Date(now - DAY) }),
          completedTime: f.date({ minDate: new Date(now), maxDate: new Date(now + DAY) }),
          status: f.default({ defaultValue: 'completed' }),
          durationMinutes: f.int({ minValue: 30, maxValue: 120 }),
        },
      },
      emailReports: {
        count: counts.emailReports,
        columns: {
          recipientEmail: f.valuesFromArray({ values: recipients }),
          sentAt: f.date({ minDate: new Date(now - days * DAY), maxDate: new Date(now) }),
          status: f.default({ defaultValue: 'sent' }),
        },
      },
    })),
  );
  if (counts.reschedules === 0) return first.ms;

  const pairs = await queryRows<{ id: string; scheduled_time: string | Date }>(
    db,
    sql`select id, scheduled_time from sessions order by id limit ${counts.reschedules}`,
  );
  const ids = pairs.map((p) => p.id);
  // drizzle-seed hands values to Drizzle as they are; the timestamp column wants Dates (its type says primitives).
  const times = pairs.map((p) => new Date(p.scheduled_time)) as unknown as string[];

  const second = await timed(() =>
    seed(db, { reschedules }, { seed: seedNumber }).refine((f) => ({
      reschedules: {
        count: counts.reschedules,
        columns: {
          sessionId: f.valuesFromArray({ values: ids, isUnique: true }),
          originalTime: f.valuesFromArray({ values: times, isUnique: true }),
          initiator: f.valuesFromArray({ values: ['tutor', 'student'] }),
          newTime: f.date({ minDate: new Date(now + DAY), maxDate: new Date(now + 30 * DAY) }),
          reason: f.valuesFromArray({ values: reasons.length > 0 ? reasons : ['Scheduling conflict'] }),
          reasonCode: f.valuesFromArray({ values: reasonCodes.length > 0 ? reasonCodes : ['scheduling_conflict'] }),
          cancelledAt: f.date({ minDate: new Date(now - (days + 10) * DAY), maxDate: new Date(now - (days + 1) * DAY) }),
        },
      },
    })),
  );
  return first.ms + second.ms;
}

/** Row counts of the four tables, to check that drizzle-seed wrote the volume asked for. */
export async function tableCounts(db: TqsDatabase): Promise<Record<string, number>> {
  const [row] = await queryRows<Record<string, number>>(
    db,
    sql`select (select count(*) from tutors)::int as tutors, (select count(*) from sessions)::int as sessions,
               (select count(*) from reschedules)::int as reschedules,
               (select count(*) from email_reports)::int as "emailReports"`,
  );
  return Object.fromEntries(Object.entries(row ?? {}).map(([k, v]) => [k, Number(v)]));
}
