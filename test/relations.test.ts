import { beforeAll, expect, it } from 'vitest';
import { emailReports, reschedules, sessions, type TqsDatabase, tutorScores, tutors } from '../src';
import { describeEachBackend, useDatabase } from './support/databases';
import { uuid } from './support/ids';

const at = (iso: string) => new Date(iso);

const ids = {
  ann: uuid(1), // two sessions (one rescheduled with a reschedule and two reports), a score
  ben: uuid(2), // one session, unscored
  cat: uuid(3), // no sessions, unscored
  annCompleted: uuid(11),
  annRescheduled: uuid(12),
  benNoShow: uuid(13),
  reschedule: uuid(21),
  annScore: uuid(31),
  failedReport: uuid(41),
  sentReport: uuid(42),
};

describeEachBackend('relational queries', (backend) => {
  let db: TqsDatabase;

  useDatabase(backend, (opened) => (db = opened));
  beforeAll(async () => {
    await db.insert(tutors).values([
      { id: ids.ann, name: 'Ann Tutor', email: 'ann@example.com' },
      { id: ids.ben, name: 'Ben Tutor' },
      { id: ids.cat, name: 'Cat Tutor', isActive: false },
    ]);
    // The rescheduled session and its reschedule commit together (reschedule_status_rule).
    await db.transaction(async (tx) => {
      await tx.insert(sessions).values([
        {
          id: ids.annCompleted,
          tutorId: ids.ann,
          studentId: 'student-1',
          scheduledTime: at('2025-01-06T15:00:00Z'),
          completedTime: at('2025-01-06T16:00:00Z'),
          status: 'completed',
          durationMinutes: 60,
        },
        {
          id: ids.annRescheduled,
          tutorId: ids.ann,
          studentId: 'student-2',
          scheduledTime: at('2025-01-07T15:00:00Z'),
          status: 'rescheduled',
        },
        {
          id: ids.benNoShow,
          tutorId: ids.ben,
          studentId: 'student-1',
          scheduledTime: at('2025-01-08T15:00:00Z'),
          status: 'no_show',
        },
      ]);
      await tx.insert(reschedules).values({
        id: ids.reschedule,
        sessionId: ids.annRescheduled,
        initiator: 'tutor',
        originalTime: at('2025-01-07T15:00:00Z'),
        newTime: at('2025-01-09T15:00:00Z'),
        reasonCode: 'personal',
        cancelledAt: at('2025-01-07T09:00:00Z'),
      });
    });
    await db.insert(tutorScores).values({
      id: ids.annScore,
      tutorId: ids.ann,
      totalSessions7d: 2,
      totalSessions30d: 2,
      totalSessions90d: 2,
      tutorReschedules7d: 1,
      tutorReschedules30d: 1,
      tutorReschedules90d: 1,
    });
    await db.insert(emailReports).values([
      {
        id: ids.failedReport,
        sessionId: ids.annRescheduled,
        recipientEmail: 'ops@example.com',
        sentAt: at('2025-01-07T10:00:00Z'),
        status: 'failed',
        errorMessage: 'SMTP 451',
      },
      {
        id: ids.sentReport,
        sessionId: ids.annRescheduled,
        recipientEmail: 'ops@example.com',
        sentAt: at('2025-01-07T10:05:00Z'),
        status: 'sent',
      },
    ]);
  });

  it('tutors with their sessions (each with its reschedule and email reports) and their score', async () => {
    const result = await db.query.tutors.findMany({
      orderBy: (t, { asc }) => [asc(t.name)],
      with: {
        sessions: {
          orderBy: (s, { asc }) => [asc(s.scheduledTime)],
          with: { reschedule: true, emailReports: { orderBy: (r, { asc }) => [asc(r.sentAt)] } },
        },
        tutorScore: true,
      },
    });

    expect(result.map((t) => t.id)).toEqual([ids.ann, ids.ben, ids.cat]);
    const [ann, ben, cat] = result as [(typeof result)[number], (typeof result)[number], (typeof result)[number]];

    expect(ann).toMatchObject({ name: 'Ann Tutor', email: 'ann@example.com', isActive: true });
    expect(ann.sessions.map((s) => [s.id, s.status])).toEqual([
      [ids.annCompleted, 'completed'],
      [ids.annRescheduled, 'rescheduled'],
    ]);
    const [completed, rescheduled] = ann.sessions as [(typeof ann.sessions)[number], (typeof ann.sessions)[number]];
    expect(completed.reschedule).toBeNull();
    expect(completed.emailReports).toEqual([]);
    expect(completed.completedTime).toEqual(at('2025-01-06T16:00:00Z'));
    expect(rescheduled.reschedule).toMatchObject({
      id: ids.reschedule,
      sessionId: ids.annRescheduled,
      initiator: 'tutor',
      originalTime: at('2025-01-07T15:00:00Z'),
      newTime: at('2025-01-09T15:00:00Z'),
      hoursBeforeSession: 6,
    });
    expect(rescheduled.emailReports.map((r) => [r.id, r.status, r.errorMessage])).toEqual([
      [ids.failedReport, 'failed', 'SMTP 451'],
      [ids.sentReport, 'sent', null],
    ]);
    expect(ann.tutorScore).toMatchObject({
      id: ids.annScore,
      tutorId: ids.ann,
      rescheduleRate7d: 50,
      rescheduleRate30d: 50,
      rescheduleRate90d: 50,
      isHighRisk: true,
      riskThreshold: 15,
    });

    expect(ben.sessions.map((s) => s.id)).toEqual([ids.benNoShow]);
    expect(ben.sessions[0]!.reschedule).toBeNull();
    expect(ben.sessions[0]!.emailReports).toEqual([]);
    expect(ben.tutorScore).toBeNull();

    expect(cat).toMatchObject({ isActive: false, sessions: [], tutorScore: null });
  });

  it('a reschedule with its session and the session’s tutor', async () => {
    const found = await db.query.reschedules.findFirst({ with: { session: { with: { tutor: true } } } });
    expect(found).toBeDefined();
    expect(found!.id).toBe(ids.reschedule);
    expect(found!.session).toMatchObject({
      id: ids.annRescheduled,
      status: 'rescheduled',
      scheduledTime: found!.originalTime,
    });
    expect(found!.session.tutor).toMatchObject({ id: ids.ann, name: 'Ann Tutor' });
  });

  it('a score with its tutor, and an email report with its session', async () => {
    const score = await db.query.tutorScores.findFirst({ with: { tutor: true } });
    expect(score!.tutor.id).toBe(ids.ann);
    const report = await db.query.emailReports.findFirst({
      where: (r, { eq }) => eq(r.id, ids.sentReport),
      with: { session: { with: { tutor: true, reschedule: true } } },
    });
    expect(report!.session.id).toBe(ids.annRescheduled);
    expect(report!.session.tutor.id).toBe(ids.ann);
    expect(report!.session.reschedule!.id).toBe(ids.reschedule);
  });

  it('an unscored tutor has tutorScore null', async () => {
    const ben = await db.query.tutors.findFirst({
      where: (t, { eq }) => eq(t.id, ids.ben),
      with: { tutorScore: true },
    });
    expect(ben).toBeDefined();
    expect(ben!.tutorScore).toBeNull();
  });
});
