import { eq, getTableColumns, sql } from 'drizzle-orm';
import type { PgTable } from 'drizzle-orm/pg-core';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  ConstraintViolationError,
  constraintDescriptions,
  type Database,
  emailReports,
  type NewEmailReport,
  type NewReschedule,
  type NewSession,
  type NewTutor,
  type NewTutorScore,
  queryRows,
  reschedules,
  sessions,
  type TqsDatabase,
  translateDatabaseError,
  tutorScores,
  tutors,
} from '../src';
import { namedConstraints } from './support/catalog';
import { describeEachBackend, useDatabase } from './support/databases';
import { uuid } from './support/ids';

/*
 * Every named constraint, broken on its own: each case makes one write that breaks exactly that constraint (and no
 * other), and its valid neighbour, the same write with the one value fixed. Both run in a transaction that is rolled
 * back, so the cases share one database and one fixture and never see each other's rows.
 */

const at = (iso: string) => new Date(iso);
const HOUR = 3_600_000;

/** The rows every case may lean on, inserted once per database. */
const fixture = {
  tutorWithSessions: uuid(1), // has sessions and a score
  tutorAlone: uuid(2), // no sessions, no score
  completedSession: uuid(11), // has an email report
  rescheduledSession: uuid(12), // has a reschedule
  noShowSession: uuid(13), // has neither
  reschedule: uuid(21),
  score: uuid(31),
  report: uuid(41),
  times: {
    completed: at('2025-01-06T15:00:00Z'),
    rescheduled: at('2025-01-07T15:00:00Z'),
    noShow: at('2025-01-08T15:00:00Z'),
  },
};

async function insertFixture(db: Database): Promise<void> {
  const f = fixture;
  await db.insert(tutors).values([
    { id: f.tutorWithSessions, name: 'Ann Tutor', email: 'ann@example.com' },
    { id: f.tutorAlone, name: 'Ben Tutor', email: 'ben@example.com' },
  ]);
  // The rescheduled session and its reschedule commit together (reschedule_status_rule).
  await db.transaction(async (tx) => {
    await tx.insert(sessions).values([
      {
        id: f.completedSession,
        tutorId: f.tutorWithSessions,
        studentId: 'student-1',
        scheduledTime: f.times.completed,
        completedTime: new Date(f.times.completed.getTime() + HOUR),
        status: 'completed',
        durationMinutes: 60,
      },
      {
        id: f.rescheduledSession,
        tutorId: f.tutorWithSessions,
        studentId: 'student-2',
        scheduledTime: f.times.rescheduled,
        status: 'rescheduled',
      },
      {
        id: f.noShowSession,
        tutorId: f.tutorWithSessions,
        studentId: 'student-3',
        scheduledTime: f.times.noShow,
        status: 'no_show',
      },
    ]);
    await tx.insert(reschedules).values({
      id: f.reschedule,
      sessionId: f.rescheduledSession,
      initiator: 'tutor',
      originalTime: f.times.rescheduled,
      cancelledAt: at('2025-01-06T10:00:00Z'),
    });
  });
  await db.insert(tutorScores).values({ id: f.score, tutorId: f.tutorWithSessions });
  await db.insert(emailReports).values({
    id: f.report,
    sessionId: f.completedSession,
    recipientEmail: 'ops@example.com',
    sentAt: at('2025-01-06T17:00:00Z'),
    status: 'sent',
  });
}

// Valid rows to insert next to the fixture; each case breaks one value of one of them.
const newTutor: NewTutor = { id: uuid(100), name: 'Nia Tutor', email: 'nia@example.com' };
const noShowRow: NewSession = {
  id: uuid(101),
  tutorId: fixture.tutorWithSessions,
  studentId: 'student-9',
  scheduledTime: at('2025-02-03T15:00:00Z'),
  status: 'no_show',
};
const completedRow: NewSession = {
  ...noShowRow,
  status: 'completed',
  completedTime: at('2025-02-03T16:00:00Z'),
  durationMinutes: 60,
};
const rescheduleRow: NewReschedule = {
  id: uuid(102),
  sessionId: fixture.noShowSession,
  initiator: 'student',
  originalTime: fixture.times.noShow,
  newTime: new Date(fixture.times.noShow.getTime() + 24 * HOUR),
  reasonCode: 'personal',
  cancelledAt: at('2025-01-07T09:00:00Z'),
};
const scoreRow: NewTutorScore = { id: uuid(103), tutorId: fixture.tutorAlone };
const scoreWithCounts = (
  totals: readonly [number, number, number],
  counts: readonly [number, number, number],
): NewTutorScore => ({
  ...scoreRow,
  totalSessions7d: totals[0],
  totalSessions30d: totals[1],
  totalSessions90d: totals[2],
  tutorReschedules7d: counts[0],
  tutorReschedules30d: counts[1],
  tutorReschedules90d: counts[2],
});
const reportRow: NewEmailReport = {
  id: uuid(104),
  sessionId: fixture.completedSession,
  recipientEmail: 'tutor-ops@example.com',
  sentAt: at('2025-01-06T18:00:00Z'),
  status: 'sent',
};

interface ConstraintCase {
  constraint: string;
  /** What the broken write does. */
  broken: string;
  /** The write: `broken` true breaks the constraint, false is its valid neighbour. */
  write: (tx: Database, broken: boolean) => Promise<unknown>;
}

/** An insert of `row` with `broken` merged in, next to the same row with `fixed` merged in (default: `row` itself). */
function insert<T extends Record<string, unknown>>(
  table: PgTable,
  row: T,
  broken: Partial<T>,
  fixed: Partial<T> = {},
): ConstraintCase['write'] {
  return (tx, isBroken) => tx.insert(table).values({ ...row, ...(isBroken ? broken : fixed) } as never);
}

/** A case: `constraint` refuses the write that `broken` describes, and accepts its valid neighbour. */
const refuses = (constraint: string, broken: string, write: ConstraintCase['write']): ConstraintCase => ({
  constraint,
  broken,
  write,
});

/** `write`, then the checks deferred to commit, run at once (the case's transaction is rolled back, never committed). */
function atCommit(write: ConstraintCase['write']): ConstraintCase['write'] {
  return async (tx, broken) => {
    await write(tx, broken);
    await tx.execute(sql`set constraints all immediate`);
  };
}

const cases: ConstraintCase[] = [
  // tutors
  refuses('tutors_pkey', 'an id already taken', insert(tutors, newTutor, { id: fixture.tutorWithSessions })),
  refuses('tutors_email_unique', 'an email already taken', insert(tutors, newTutor, { email: 'ann@example.com' })),
  refuses(
    'tutors_email_unique',
    'an email already taken, in other letter case',
    insert(tutors, newTutor, { email: 'Ann@Example.COM' }, { email: 'Nia@Example.COM' }),
  ),
  refuses('tutors_name_not_blank', 'an empty name', insert(tutors, newTutor, { name: '' })),
  refuses('tutors_name_not_blank', 'a name of whitespace', insert(tutors, newTutor, { name: ' \t\r\n' })),
  ...['nia.example.com', 'nia@ex@ample.com', 'nia @example.com', '@example.com', 'nia@'].map((email) =>
    refuses('tutors_email_format', `email ${JSON.stringify(email)}`, insert(tutors, newTutor, { email })),
  ),

  // sessions
  refuses('sessions_pkey', 'an id already taken', insert(sessions, noShowRow, { id: fixture.noShowSession })),
  refuses('sessions_tutor_id_fk', 'an unknown tutor', insert(sessions, noShowRow, { tutorId: uuid(999) })),
  refuses(
    'sessions_tutor_id_fk',
    'deleting a tutor that has sessions (restrict)',
    (tx, broken) =>
      tx.delete(tutors).where(eq(tutors.id, broken ? fixture.tutorWithSessions : fixture.tutorAlone)),
  ),
  // (id, scheduled_time) is unique because id is; the id key (session_ids, kept by the sessions_ids_insert trigger)
  // would refuse first, so its trigger is disabled (in the rolled-back transaction) to show that the constraint the
  // reschedules FK references holds on its own.
  refuses(
    'sessions_id_scheduled_time_unique',
    'a second (id, scheduled_time) pair, with the id key (sessions_pkey) off',
    async (tx, broken) => {
      await tx.execute(sql`alter table sessions disable trigger sessions_ids_insert`);
      await tx.insert(sessions).values({
        ...noShowRow,
        id: fixture.noShowSession,
        scheduledTime: broken ? fixture.times.noShow : noShowRow.scheduledTime,
      });
    },
  ),
  ...['cancelled', 'No_Show'].map((value) =>
    refuses(
      'sessions_status_valid',
      `status ${JSON.stringify(value)}`,
      insert(sessions, noShowRow, { status: value as never }),
    ),
  ),
  refuses('sessions_student_id_not_blank', 'an empty student_id', insert(sessions, noShowRow, { studentId: '' })),
  refuses(
    'sessions_student_id_not_blank',
    'a student_id of whitespace',
    insert(sessions, noShowRow, { studentId: '  \t' }),
  ),
  refuses(
    'sessions_completed_time_matches_status',
    'a completed session without completed_time',
    insert(sessions, completedRow, { completedTime: null }),
  ),
  refuses(
    'sessions_completed_time_matches_status',
    'a no-show with a completed_time',
    insert(sessions, noShowRow, { completedTime: at('2025-02-03T16:00:00Z') }),
  ),
  refuses(
    'sessions_completed_time_matches_status',
    'a rescheduled session with a completed_time',
    insert(sessions, { ...noShowRow, status: 'rescheduled' }, { completedTime: at('2025-02-03T16:00:00Z') }),
  ),
  refuses(
    'sessions_completed_after_scheduled',
    'completed a minute before scheduled',
    insert(
      sessions,
      completedRow,
      { completedTime: at('2025-02-03T14:59:00Z') },
      { completedTime: at('2025-02-03T15:00:00Z') },
    ),
  ),
  refuses(
    'sessions_duration_positive',
    'duration 0',
    insert(sessions, completedRow, { durationMinutes: 0 }, { durationMinutes: 1 }),
  ),
  refuses('sessions_duration_positive', 'duration -30', insert(sessions, completedRow, { durationMinutes: -30 })),
  refuses(
    'sessions_duration_only_when_completed',
    'a no-show with a duration',
    insert(sessions, noShowRow, { durationMinutes: 30 }),
  ),
  refuses(
    'sessions_duration_only_when_completed',
    'a rescheduled session with a duration',
    insert(sessions, { ...noShowRow, status: 'rescheduled' }, { durationMinutes: 30 }),
  ),
  refuses(
    'sessions_completed_time_matches_status',
    'a scheduled session with a completed_time',
    insert(sessions, { ...noShowRow, status: 'scheduled' }, { completedTime: at('2025-02-03T16:00:00Z') }),
  ),
  refuses(
    'sessions_duration_only_when_completed',
    'a scheduled session with a duration',
    insert(sessions, { ...noShowRow, status: 'scheduled' }, { durationMinutes: 30 }),
  ),
  refuses('sessions_status_transition', "a no-show set back to 'scheduled'", async (tx, broken) => {
    // The valid neighbour: a booked session gets its outcome.
    if (!broken) await tx.insert(sessions).values({ ...noShowRow, status: 'scheduled' });
    await tx
      .update(sessions)
      .set({ status: broken ? 'scheduled' : 'no_show' })
      .where(eq(sessions.id, broken ? fixture.noShowSession : noShowRow.id!));
  }),
  refuses(
    'sessions_status_transition',
    "a completed session set back to 'scheduled' (completion time and duration cleared)",
    async (tx, broken) => {
      await tx.insert(sessions).values(broken ? completedRow : { ...noShowRow, status: 'scheduled' });
      await tx
        .update(sessions)
        .set(
          broken
            ? { status: 'scheduled', completedTime: null, durationMinutes: null }
            : { status: 'completed', completedTime: completedRow.completedTime!, durationMinutes: 60 },
        )
        .where(eq(sessions.id, noShowRow.id!));
    },
  ),

  // reschedules
  refuses('reschedules_pkey', 'an id already taken', insert(reschedules, rescheduleRow, { id: fixture.reschedule })),
  refuses(
    'reschedules_session_id_unique',
    'a second reschedule of one session',
    insert(reschedules, rescheduleRow, {
      sessionId: fixture.rescheduledSession,
      originalTime: fixture.times.rescheduled,
      newTime: null,
    }),
  ),
  refuses(
    'reschedules_session_fk',
    "original_time a minute off its session's scheduled_time",
    insert(reschedules, rescheduleRow, { originalTime: new Date(fixture.times.noShow.getTime() + 60_000) }),
  ),
  refuses('reschedules_session_fk', 'an unknown session', insert(reschedules, rescheduleRow, { sessionId: uuid(999) })),
  refuses(
    'reschedules_session_fk',
    'moving a session that has a reschedule',
    (tx, broken) =>
      tx
        .update(sessions)
        .set({ scheduledTime: at('2025-03-01T15:00:00Z') })
        .where(eq(sessions.id, broken ? fixture.rescheduledSession : fixture.noShowSession)),
  ),
  ...['admin', 'Tutor'].map((value) =>
    refuses(
      'reschedules_initiator_valid',
      `initiator ${JSON.stringify(value)}`,
      insert(reschedules, rescheduleRow, { initiator: value as never }),
    ),
  ),
  refuses(
    'reschedules_new_time_after_original',
    'new_time equal to original_time',
    insert(
      reschedules,
      rescheduleRow,
      { newTime: fixture.times.noShow },
      { newTime: new Date(fixture.times.noShow.getTime() + 1) },
    ),
  ),
  refuses(
    'reschedules_new_time_after_original',
    'new_time before original_time',
    insert(reschedules, rescheduleRow, { newTime: at('2025-01-08T14:00:00Z') }, { newTime: null }),
  ),
  ...['Personal', '1st_time', 'family emergency', 'family-emergency', ''].map((reasonCode) =>
    refuses(
      'reschedules_reason_code_format',
      `reason_code ${JSON.stringify(reasonCode)}`,
      insert(reschedules, rescheduleRow, { reasonCode }, { reasonCode: 'family_emergency2' }),
    ),
  ),

  // reschedule_status_rule is checked at commit; these transactions roll back, so each asks for the check at its end.
  refuses(
    'reschedule_status_rule',
    "a session inserted as 'rescheduled' without its reschedule",
    atCommit(async (tx, broken) => {
      await tx.insert(sessions).values({ ...noShowRow, status: 'rescheduled' });
      if (!broken) {
        await tx.insert(reschedules).values({ ...rescheduleRow, sessionId: noShowRow.id!, originalTime: noShowRow.scheduledTime, newTime: null });
      }
    }),
  ),
  refuses(
    'reschedule_status_rule',
    "a reschedule of a session still 'scheduled'",
    atCommit(async (tx, broken) => {
      await tx.insert(sessions).values({ ...noShowRow, status: 'scheduled' });
      await tx.insert(reschedules).values({ ...rescheduleRow, sessionId: noShowRow.id!, originalTime: noShowRow.scheduledTime, newTime: null });
      if (!broken) await tx.update(sessions).set({ status: 'rescheduled' }).where(eq(sessions.id, noShowRow.id!));
    }),
  ),
  refuses(
    'reschedule_status_rule',
    "a reschedule of a 'no_show' session",
    atCommit(async (tx, broken) => {
      await tx.insert(reschedules).values(rescheduleRow);
      if (!broken) await tx.update(sessions).set({ status: 'rescheduled' }).where(eq(sessions.id, fixture.noShowSession));
    }),
  ),
  refuses(
    'reschedule_status_rule',
    "a session's status changed away from 'rescheduled', its reschedule kept",
    atCommit(async (tx, broken) => {
      await tx.update(sessions).set({ status: 'no_show' }).where(eq(sessions.id, fixture.rescheduledSession));
      if (!broken) await tx.delete(reschedules).where(eq(reschedules.sessionId, fixture.rescheduledSession));
    }),
  ),
  refuses(
    'reschedule_status_rule',
    "a reschedule deleted, its session left 'rescheduled'",
    atCommit(async (tx, broken) => {
      await tx.delete(reschedules).where(eq(reschedules.sessionId, fixture.rescheduledSession));
      if (!broken) await tx.delete(sessions).where(eq(sessions.id, fixture.rescheduledSession));
    }),
  ),

  // tutor_scores
  refuses('tutor_scores_pkey', 'an id already taken', insert(tutorScores, scoreRow, { id: fixture.score })),
  refuses(
    'tutor_scores_tutor_id_unique',
    'a second score for a tutor',
    insert(tutorScores, scoreRow, { tutorId: fixture.tutorWithSessions }),
  ),
  refuses('tutor_scores_tutor_id_fk', 'an unknown tutor', insert(tutorScores, scoreRow, { tutorId: uuid(999) })),
  refuses(
    'tutor_scores_risk_threshold_in_range',
    'threshold -0.01',
    insert(tutorScores, scoreRow, { riskThreshold: -0.01 }, { riskThreshold: 0 }),
  ),
  refuses(
    'tutor_scores_risk_threshold_in_range',
    'threshold 100.01',
    insert(tutorScores, scoreRow, { riskThreshold: 100.01 }, { riskThreshold: 100 }),
  ),
  // The counts of a score (7/30/90-day sessions, then reschedules), then one count broken.
  ...(
    [
      ['tutor_scores_7d_counts_valid', 'more 7d reschedules than 7d sessions', [1, 5, 10], [1, 2, 2], { tutorReschedules7d: 2 }],
      // Far more reschedules than sessions would overflow the generated numeric(5,2) rate if it were computed first.
      ['tutor_scores_7d_counts_valid', '50 times more 7d reschedules than 7d sessions', [1, 50, 50], [1, 50, 50], { tutorReschedules7d: 50 }],
      ['tutor_scores_7d_counts_valid', 'negative 7d reschedules', [0, 0, 0], [0, 0, 0], { tutorReschedules7d: -1 }],
      ['tutor_scores_30d_counts_valid', 'more 30d reschedules than 30d sessions', [0, 1, 10], [0, 1, 2], { tutorReschedules30d: 2 }],
      ['tutor_scores_90d_counts_valid', 'more 90d reschedules than 90d sessions', [0, 0, 1], [0, 0, 1], { tutorReschedules90d: 2 }],
      ['tutor_scores_windows_nested', 'fewer 30d sessions than 7d sessions', [5, 5, 10], [0, 0, 0], { totalSessions30d: 3 }],
      ['tutor_scores_windows_nested', 'fewer 30d reschedules than 7d reschedules', [10, 10, 10], [1, 1, 1], { tutorReschedules30d: 0 }],
    ] as const
  ).map(([constraint, broken, totals, counts, value]) =>
    refuses(constraint, broken, insert(tutorScores, scoreWithCounts(totals, counts), value as Partial<NewTutorScore>)),
  ),

  // email_reports
  refuses('email_reports_pkey', 'an id already taken', insert(emailReports, reportRow, { id: fixture.report })),
  refuses(
    'email_reports_session_id_fk',
    'an unknown session',
    insert(emailReports, reportRow, { sessionId: uuid(999) }),
  ),
  refuses(
    'email_reports_session_id_fk',
    'deleting a session that has email reports (restrict)',
    (tx, broken) =>
      tx.delete(sessions).where(eq(sessions.id, broken ? fixture.completedSession : fixture.noShowSession)),
  ),
  ...['bounced', 'SENT'].map((value) =>
    refuses(
      'email_reports_status_valid',
      `status ${JSON.stringify(value)}`,
      insert(emailReports, reportRow, { status: value as never }),
    ),
  ),
  ...['ops.example.com', 'ops@ex@ample.com', 'ops\t@example.com', '@example.com', 'ops@'].map((recipientEmail) =>
    refuses(
      'email_reports_recipient_email_format',
      `recipient ${JSON.stringify(recipientEmail)}`,
      insert(emailReports, reportRow, { recipientEmail }),
    ),
  ),
  refuses(
    'email_reports_error_message_when_failed',
    'a failed report without error_message',
    insert(emailReports, reportRow, { status: 'failed' }, { status: 'failed', errorMessage: 'SMTP 550' }),
  ),
  refuses(
    'email_reports_error_message_when_failed',
    'a sent report with an error_message',
    insert(emailReports, reportRow, { errorMessage: 'SMTP 550' }),
  ),
  refuses(
    'email_reports_error_message_when_failed',
    'a dead report without error_message',
    insert(emailReports, reportRow, { status: 'dead' }, { status: 'dead', errorMessage: 'gave up after 5 attempts' }),
  ),
  refuses(
    'email_reports_attempts_valid',
    'a negative attempt count',
    insert(emailReports, reportRow, { attempts: -1 }, { attempts: 0 }),
  ),
  refuses(
    'email_reports_available_only_when_pending',
    'a sent report with a retry time',
    insert(emailReports, reportRow, { availableAt: at('2025-01-06T18:05:00Z') }, { status: 'pending', availableAt: at('2025-01-06T18:05:00Z') }),
  ),
  refuses(
    'email_reports_claim_only_when_pending',
    'a sent report with a claim',
    insert(emailReports, reportRow, { claimedUntil: at('2025-01-06T18:05:00Z') }, { status: 'pending', claimedUntil: at('2025-01-06T18:05:00Z') }),
  ),
  // Timestamps in years 1–9999 (UTC). A Date outside them never reaches the database (the driver sends text PostgreSQL
  // refuses to parse), but text can: '0001-01-01 00:00:00+01' is 1 BC, '9999-12-31 23:00:00-05' is year 10000.
  ...(
    [
      ['tutors', 'created_at', sql`insert into tutors (id, name, created_at) values (${newTutor.id}, 'Nia', `],
      ['sessions', 'scheduled_time', sql`insert into sessions (id, tutor_id, student_id, status, scheduled_time) values (${noShowRow.id}, ${fixture.tutorWithSessions}, 's', 'no_show', `],
      ['reschedules', 'cancelled_at', sql`insert into reschedules (id, session_id, initiator, original_time, cancelled_at) values (${rescheduleRow.id}, ${fixture.noShowSession}, 'student', ${fixture.times.noShow.toISOString()}::timestamptz, `],
      ['tutor_scores', 'as_of', sql`insert into tutor_scores (id, tutor_id, as_of) values (${scoreRow.id}, ${fixture.tutorAlone}, `],
      ['email_reports', 'sent_at', sql`insert into email_reports (id, session_id, recipient_email, status, sent_at) values (${reportRow.id}, ${fixture.completedSession}, 'a@b', 'sent', `],
    ] as const
  ).flatMap(([table, column, head]) =>
    (['0001-01-01 00:00:00+01', '9999-12-31 23:00:00-05'] as const).map((text) => ({
      constraint: `${table}_timestamps_in_range`,
      broken: `${column} ${text}`,
      write: (tx: Database, broken: boolean) =>
        tx.execute(sql`${head}${broken ? text : '2025-01-06 00:00:00+00'}::timestamptz)`),
    })),
  ),
];

/** NOT NULL columns of each table (TypeScript keys), generated ones left out: a value cannot be given for those. */
const notNullColumns: { table: PgTable; name: string; row: Record<string, unknown>; columns: string[] }[] = [
  { table: tutors, name: 'tutors', row: newTutor, columns: ['id', 'name', 'createdAt', 'updatedAt', 'isActive'] },
  {
    table: sessions,
    name: 'sessions',
    row: noShowRow,
    columns: ['id', 'tutorId', 'studentId', 'scheduledTime', 'status', 'createdAt', 'updatedAt'],
  },
  {
    table: reschedules,
    name: 'reschedules',
    row: rescheduleRow,
    columns: ['id', 'sessionId', 'initiator', 'originalTime', 'cancelledAt', 'createdAt'],
  },
  {
    table: tutorScores,
    name: 'tutor_scores',
    row: scoreRow,
    columns: [
      'id',
      'tutorId',
      'totalSessions7d',
      'totalSessions30d',
      'totalSessions90d',
      'tutorReschedules7d',
      'tutorReschedules30d',
      'tutorReschedules90d',
      'riskThreshold',
      'asOf',
      'lastCalculatedAt',
      'createdAt',
      'updatedAt',
    ],
  },
  {
    table: emailReports,
    name: 'email_reports',
    row: reportRow,
    columns: ['id', 'sessionId', 'recipientEmail', 'sentAt', 'status', 'createdAt', 'attempts'],
  },
];

const ROLLBACK = Symbol('rollback');

/** Runs `work` in a transaction that is always rolled back; returns what it returned. */
async function rolledBack<T>(db: Database, work: (tx: Database) => Promise<T>): Promise<T> {
  let result: T | undefined;
  await db
    .transaction(async (tx) => {
      result = await work(tx);
      throw ROLLBACK;
    })
    .catch((error: unknown) => {
      if (error !== ROLLBACK) throw error;
    });
  return result as T;
}

/** The error `write` fails with, or undefined when it succeeds; either way nothing stays in the database. */
const errorOf = (db: Database, write: (tx: Database) => Promise<unknown>) =>
  rolledBack(db, (tx) => write(tx).then(
    () => undefined,
    (error: unknown) => error,
  ));

function expectViolation(error: unknown, constraint: string): ConstraintViolationError {
  expect(error, `expected ${constraint} to refuse the write`).toBeDefined();
  const translated = translateDatabaseError(error);
  expect(translated).toBeInstanceOf(ConstraintViolationError);
  const violation = translated as ConstraintViolationError;
  expect(violation.code).toBe('CONSTRAINT_VIOLATION');
  expect(violation.constraint).toBe(constraint);
  expect(violation.message).toContain(constraint);
  return violation;
}

/** The SQLSTATE of a database error, wrapped by Drizzle or not. */
function sqlStateOf(error: unknown): string | undefined {
  for (let e = error; e && typeof e === 'object'; e = (e as { cause?: unknown }).cause) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code)) return code;
  }
  return undefined;
}

describe('constraint cases', () => {
  it('cover every constraint of constraintDescriptions', () => {
    const covered = new Set(cases.map((c) => c.constraint));
    expect(Object.keys(constraintDescriptions).filter((name) => !covered.has(name))).toEqual([]);
    expect([...covered].filter((name) => !(name in constraintDescriptions))).toEqual([]);
  });
});

describeEachBackend('constraints', (backend) => {
  let db: TqsDatabase;

  useDatabase(backend, (opened) => (db = opened));
  beforeAll(async () => {
    await insertFixture(db);
  });

  it('every constraint in the catalog has a description, and every description a constraint', async () => {
    const inCatalog = await namedConstraints(db);
    expect(inCatalog).toEqual(Object.keys(constraintDescriptions).sort());
  });

  describe('each named constraint refuses its violation and accepts its valid neighbour', () => {
    it.each(cases.map((c) => [c.constraint, c.broken, c] as const))('%s: %s', async (_name, _broken, c) => {
      expectViolation(await errorOf(db, (tx) => c.write(tx, true)), c.constraint);
      expect(await errorOf(db, (tx) => c.write(tx, false))).toBeUndefined();
    });
  });

  describe('NOT NULL', () => {
    it('the NOT NULL columns are exactly those listed here', async () => {
      const rows = await queryRows<{ table: string; column: string }>(
        db,
        sql`select c.relname as "table", a.attname as "column"
            from pg_attribute a join pg_class c on c.oid = a.attrelid join pg_namespace n on n.oid = c.relnamespace
            where n.nspname = 'public' and a.attnum > 0 and not a.attisdropped and a.attnotnull and a.attgenerated = ''
              and c.relname in ('tutors', 'sessions', 'reschedules', 'tutor_scores', 'email_reports')`,
      );
      const listed = notNullColumns.flatMap(({ table, name, columns }) =>
        columns.map((key) => `${name}.${getTableColumns(table)[key]!.name}`),
      );
      expect(rows.map((r) => `${r.table}.${r.column}`).sort()).toEqual(listed.sort());
    });

    const nullCases = notNullColumns.flatMap(({ table, name, row, columns }) =>
      columns.map((key) => ({ table, row, key, label: `${name}.${getTableColumns(table)[key]!.name}` })),
    );
    it.each(nullCases.map((c) => [c.label, c] as const))('%s refuses null', async (_label, c) => {
      const error = await errorOf(db, (tx) => tx.insert(c.table).values({ ...c.row, [c.key]: null } as never));
      expect(error).toBeDefined();
      const translated = translateDatabaseError(error) as ConstraintViolationError;
      expect(translated).toBeInstanceOf(ConstraintViolationError);
      expect(translated.sqlState).toBe('23502');
      expect(translated.column).toBe(getTableColumns(c.table)[c.key]!.name);
      expect(await errorOf(db, (tx) => tx.insert(c.table).values(c.row as never))).toBeUndefined();
    });

    it('the nullable columns take null', async () => {
      const error = await errorOf(db, async (tx) => {
        await tx.insert(tutors).values({ ...newTutor, email: null });
        await tx.insert(sessions).values({ ...noShowRow, completedTime: null, durationMinutes: null });
        await tx.insert(reschedules).values({ ...rescheduleRow, newTime: null, reason: null, reasonCode: null });
        await tx.insert(emailReports).values({ ...reportRow, errorMessage: null });
      });
      expect(error).toBeUndefined();
    });
  });

  describe('defaults', () => {
    it('tutors: a new tutor is active, with an id and both timestamps set to the transaction time', async () => {
      const [row, now] = await rolledBack(db, async (tx) => {
        const [inserted] = await tx.insert(tutors).values({ name: 'Dee Fault' }).returning();
        const [clock] = await queryRows<{ now: string | Date }>(tx, sql`select now() as now`);
        return [inserted!, new Date(clock!.now)] as const;
      });
      expect(row.isActive).toBe(true);
      expect(row.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      expect(row.email).toBeNull();
      expect(row.createdAt.getTime()).toBe(now.getTime());
      expect(row.updatedAt.getTime()).toBe(now.getTime());
    });

    it('tutor_scores: threshold 15, every count 0, no rates, not high risk', async () => {
      const row = await rolledBack(db, async (tx) => (await tx.insert(tutorScores).values(scoreRow).returning())[0]!);
      expect(row).toMatchObject({
        riskThreshold: 15,
        totalSessions7d: 0,
        totalSessions30d: 0,
        totalSessions90d: 0,
        tutorReschedules7d: 0,
        tutorReschedules30d: 0,
        tutorReschedules90d: 0,
        rescheduleRate7d: null,
        rescheduleRate30d: null,
        rescheduleRate90d: null,
        isHighRisk: false,
      });
      expect(row.asOf).toBeInstanceOf(Date);
      expect(row.lastCalculatedAt).toBeInstanceOf(Date);
    });
  });

  describe('generated reschedules.hours_before_session', () => {
    it('is original_time − cancelled_at in hours, rounded to 2 decimals, and follows updates', async () => {
      const values = await rolledBack(db, async (tx) => {
        const [inserted] = await tx
          .insert(reschedules)
          .values({ ...rescheduleRow, cancelledAt: new Date(fixture.times.noShow.getTime() - 29.5 * HOUR) })
          .returning();
        const [updated] = await tx
          .update(reschedules)
          .set({ cancelledAt: new Date(fixture.times.noShow.getTime() + 20 * 60_000) }) // 20 min after the start
          .where(eq(reschedules.id, rescheduleRow.id!))
          .returning();
        const [thirds] = await tx
          .update(reschedules)
          .set({ cancelledAt: new Date(fixture.times.noShow.getTime() - HOUR / 3) })
          .where(eq(reschedules.id, rescheduleRow.id!))
          .returning();
        return [inserted!.hoursBeforeSession, updated!.hoursBeforeSession, thirds!.hoursBeforeSession];
      });
      expect(values).toEqual([29.5, -0.33, 0.33]);
    });

    it('refuses an explicit value on insert', async () => {
      const error = await errorOf(db, (tx) =>
        tx.execute(
          sql`insert into reschedules (session_id, initiator, original_time, cancelled_at, hours_before_session)
              values (${fixture.noShowSession}, 'tutor', ${fixture.times.noShow.toISOString()},
                      ${'2025-01-07T15:00:00Z'}, 24)`,
        ),
      );
      expect(sqlStateOf(error)).toBe('428C9');
    });

    it('refuses an explicit value on update', async () => {
      const error = await errorOf(db, (tx) =>
        tx.execute(sql`update reschedules set hours_before_session = 1 where id = ${fixture.reschedule}`),
      );
      expect(sqlStateOf(error)).toBe('428C9');
      const [row] = await db.select().from(reschedules).where(eq(reschedules.id, fixture.reschedule));
      expect(row!.hoursBeforeSession).toBe(29); // 2025-01-06T10:00 → 2025-01-07T15:00
    });
  });

  describe('generated tutor_scores rates and is_high_risk', () => {
    // The counts go in the 90-day window (the shorter ones hold no session, so their rates are null).
    const rateCases: {
      reschedules: number;
      sessions: number;
      threshold: number;
      rate: number | null;
      highRisk: boolean;
    }[] = [
      { reschedules: 0, sessions: 0, threshold: 15, rate: null, highRisk: false },
      { reschedules: 0, sessions: 5, threshold: 15, rate: 0, highRisk: false },
      { reschedules: 1, sessions: 8, threshold: 15, rate: 12.5, highRisk: false },
      { reschedules: 1, sessions: 7, threshold: 15, rate: 14.29, highRisk: false },
      { reschedules: 3, sessions: 20, threshold: 15, rate: 15, highRisk: false }, // exactly at the threshold
      { reschedules: 1, sessions: 6, threshold: 15, rate: 16.67, highRisk: true },
      { reschedules: 1, sessions: 6, threshold: 16.67, rate: 16.67, highRisk: false }, // the rounded rate decides
      { reschedules: 1, sessions: 6, threshold: 16.66, rate: 16.67, highRisk: true },
      { reschedules: 1, sessions: 3, threshold: 15, rate: 33.33, highRisk: true },
      { reschedules: 2, sessions: 3, threshold: 15, rate: 66.67, highRisk: true },
      { reschedules: 1, sessions: 800, threshold: 0, rate: 0.13, highRisk: true }, // 0.125 rounds half up
      { reschedules: 1, sessions: 200, threshold: 0.5, rate: 0.5, highRisk: false },
      { reschedules: 5, sessions: 5, threshold: 100, rate: 100, highRisk: false },
      { reschedules: 5, sessions: 5, threshold: 99.99, rate: 100, highRisk: true },
    ];
    it.each(rateCases)(
      '$reschedules of $sessions at threshold $threshold: rate $rate, high risk $highRisk',
      async ({ reschedules: r, sessions: s, threshold, rate, highRisk }) => {
        const row = await rolledBack(db, async (tx) =>
          (
            await tx
              .insert(tutorScores)
              .values({ ...scoreWithCounts([0, 0, s], [0, 0, r]), riskThreshold: threshold })
              .returning()
          )[0]!,
        );
        expect([row.rescheduleRate7d, row.rescheduleRate30d, row.rescheduleRate90d]).toEqual([null, null, rate]);
        expect(row.isHighRisk).toBe(highRisk);
      },
    );

    it('any window above the threshold flags the tutor', async () => {
      const rows = await rolledBack(db, async (tx) => {
        const inserted = [];
        for (const [totals, counts] of [
          [[4, 100, 100], [1, 1, 1]], // 7d: 25 %
          [[0, 10, 100], [0, 2, 2]], // 30d: 20 %
          [[0, 0, 10], [0, 0, 2]], // 90d: 20 %
          [[4, 40, 100], [0, 6, 15]], // 0 %, 15 %, 15 %
        ] as [[number, number, number], [number, number, number]][]) {
          const [row] = await tx.insert(tutorScores).values(scoreWithCounts(totals, counts)).returning();
          inserted.push(row!.isHighRisk);
          await tx.delete(tutorScores).where(eq(tutorScores.id, row!.id));
        }
        return inserted;
      });
      expect(rows).toEqual([true, true, true, false]);
    });

    it('follows updates of the counts and the threshold', async () => {
      const flags = await rolledBack(db, async (tx) => {
        await tx.insert(tutorScores).values(scoreWithCounts([0, 0, 10], [0, 0, 1]));
        const seen: [number | null, boolean][] = [];
        const read = async () => {
          const [row] = await tx.select().from(tutorScores).where(eq(tutorScores.id, scoreRow.id!));
          seen.push([row!.rescheduleRate90d, row!.isHighRisk]);
        };
        await read();
        await tx.update(tutorScores).set({ tutorReschedules90d: 2 }).where(eq(tutorScores.id, scoreRow.id!));
        await read();
        await tx.update(tutorScores).set({ riskThreshold: 25 }).where(eq(tutorScores.id, scoreRow.id!));
        await read();
        return seen;
      });
      expect(flags).toEqual([
        [10, false],
        [20, true],
        [20, false],
      ]);
    });

    it('refuses an explicit rate or flag', async () => {
      for (const column of ['reschedule_rate_7d', 'is_high_risk']) {
        const updateError = await errorOf(db, (tx) =>
          tx.execute(sql`update tutor_scores set ${sql.identifier(column)} = null where id = ${fixture.score}`),
        );
        expect(sqlStateOf(updateError), column).toBe('428C9');
        const insertError = await errorOf(db, (tx) =>
          tx.execute(
            sql`insert into tutor_scores (tutor_id, ${sql.identifier(column)}) values (${fixture.tutorAlone}, null)`,
          ),
        );
        expect(sqlStateOf(insertError), column).toBe('428C9');
      }
    });
  });

  describe('the tqs_touch_updated_at trigger', () => {
    const old = at('2020-01-01T00:00:00Z');
    const chosen = at('2021-06-01T12:00:00Z');
    const touchCases = [
      {
        table: 'tutors',
        insert: (tx: Database) => tx.insert(tutors).values({ ...newTutor, updatedAt: old }),
        update: (tx: Database, set: { updatedAt?: Date }) =>
          tx.update(tutors).set({ name: 'Renamed', ...set }).where(eq(tutors.id, newTutor.id!)).returning(),
      },
      {
        table: 'sessions',
        insert: (tx: Database) => tx.insert(sessions).values({ ...noShowRow, updatedAt: old }),
        update: (tx: Database, set: { updatedAt?: Date }) =>
          tx
            .update(sessions)
            .set({ studentId: 'student-10', ...set })
            .where(eq(sessions.id, noShowRow.id!))
            .returning(),
      },
      {
        table: 'tutor_scores',
        insert: (tx: Database) => tx.insert(tutorScores).values({ ...scoreRow, updatedAt: old }),
        update: (tx: Database, set: { updatedAt?: Date }) =>
          tx.update(tutorScores).set({ riskThreshold: 20, ...set }).where(eq(tutorScores.id, scoreRow.id!)).returning(),
      },
    ];

    it.each(touchCases)('$table: an update moves updated_at to the transaction time', async (c) => {
      const [updatedAt, now] = await rolledBack(db, async (tx) => {
        await c.insert(tx);
        const [row] = await c.update(tx, {});
        const [clock] = await queryRows<{ now: string | Date }>(tx, sql`select now() as now`);
        return [row!.updatedAt, new Date(clock!.now)] as const;
      });
      expect(updatedAt.getTime()).toBe(now.getTime());
      expect(updatedAt.getTime()).not.toBe(old.getTime());
    });

    it.each(touchCases)('$table: an update that sets updated_at keeps that value', async (c) => {
      const updatedAt = await rolledBack(db, async (tx) => {
        await c.insert(tx);
        const [row] = await c.update(tx, { updatedAt: chosen });
        return row!.updatedAt;
      });
      expect(updatedAt.getTime()).toBe(chosen.getTime());
    });
  });

  describe('foreign keys on delete', () => {
    it('deleting a tutor with sessions is refused (restrict)', async () => {
      const error = await errorOf(db, (tx) => tx.delete(tutors).where(eq(tutors.id, fixture.tutorWithSessions)));
      expectViolation(error, 'sessions_tutor_id_fk');
    });

    it("deleting a tutor deletes its tutor_scores row (cascade)", async () => {
      const left = await rolledBack(db, async (tx) => {
        await tx.insert(tutorScores).values(scoreRow); // the score of the tutor that has no sessions
        const before = await tx.select().from(tutorScores).where(eq(tutorScores.tutorId, fixture.tutorAlone));
        await tx.delete(tutors).where(eq(tutors.id, fixture.tutorAlone));
        const after = await tx.select().from(tutorScores).where(eq(tutorScores.tutorId, fixture.tutorAlone));
        return [before.length, after.length];
      });
      expect(left).toEqual([1, 0]);
    });

    it('deleting a session with email reports is refused (restrict)', async () => {
      const error = await errorOf(db, (tx) => tx.delete(sessions).where(eq(sessions.id, fixture.completedSession)));
      expectViolation(error, 'email_reports_session_id_fk');
    });

    it('deleting a session deletes its reschedule (cascade)', async () => {
      const left = await rolledBack(db, async (tx) => {
        const before = await tx.select().from(reschedules).where(eq(reschedules.sessionId, fixture.rescheduledSession));
        await tx.delete(sessions).where(eq(sessions.id, fixture.rescheduledSession));
        const after = await tx.select().from(reschedules).where(eq(reschedules.sessionId, fixture.rescheduledSession));
        return [before.length, after.length];
      });
      expect(left).toEqual([1, 0]);
    });
  });

  it('every case left the fixture as it was', async () => {
    const counts = await queryRows<{ n: number }>(
      db,
      sql`select ((select count(*) from tutors) + (select count(*) from sessions) + (select count(*) from reschedules)
               + (select count(*) from tutor_scores) + (select count(*) from email_reports))::int as n`,
    );
    expect(counts[0]!.n).toBe(2 + 3 + 1 + 1 + 1);
  });
});
