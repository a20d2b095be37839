import { eq, sql, TransactionRollbackError } from 'drizzle-orm';
import { beforeAll, describe, expect, expectTypeOf, it } from 'vitest';
import {
  calculateHoursBefore,
  ConstraintViolationError,
  type EmailReport,
  emailReports,
  getDuration,
  isCompleted,
  isLastMinute,
  isRescheduled,
  markFailed,
  markSent,
  NotFoundError,
  queryRows,
  reschedules,
  type Session,
  sessionStatuses,
  sessions,
  type TqsDatabase,
  tutors,
} from '../src';
import { describeEachBackend, useDatabase } from './support/databases';
import { uuid } from './support/ids';

const at = (iso: string) => new Date(iso);
const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const start = at('2025-01-06T15:00:00Z');
const before = (ms: number) => ({ originalTime: start, cancelledAt: new Date(start.getTime() - ms) });

describe('isRescheduled / isCompleted', () => {
  it.each(sessionStatuses.map((status) => [status] as const))('status %s', (status) => {
    expect(isRescheduled({ status })).toBe(status === 'rescheduled');
    expect(isCompleted({ status })).toBe(status === 'completed');
  });
});

describe('getDuration', () => {
  const session = (completedAfter: number | null, durationMinutes: number | null) => ({
    scheduledTime: start,
    completedTime: completedAfter === null ? null : new Date(start.getTime() + completedAfter),
    durationMinutes,
  });

  it.each([
    ['the recorded duration wins', session(90 * MINUTE, 55), 55],
    ['the recorded duration, without a completed time', session(null, 30), 30],
    ['scheduled → completed, in minutes', session(HOUR, null), 60],
    ['rounded to the nearest minute (down)', session(45 * MINUTE + 29 * SECOND, null), 45],
    ['rounded to the nearest minute (half up)', session(45 * MINUTE + 30 * SECOND, null), 46],
    ['completed at the scheduled time', session(0, null), 0],
    ['never completed: null, not 0', session(null, null), null],
  ] as const)('%s', (_title, row, expected) => {
    expect(getDuration(row)).toBe(expected);
  });

  it('takes a whole session row', () => {
    const row: Session = {
      id: uuid(1),
      tutorId: uuid(2),
      studentId: 'student-1',
      scheduledTime: start,
      completedTime: new Date(start.getTime() + 75 * MINUTE),
      status: 'completed',
      durationMinutes: null,
      createdAt: start,
      updatedAt: start,
    };
    expect(getDuration(row)).toBe(75);
    expectTypeOf(getDuration(row)).toEqualTypeOf<number | null>();
  });
});

describe('calculateHoursBefore', () => {
  it.each([
    ['29.5 hours', 29.5 * HOUR, 29.5],
    ['at the start', 0, 0],
    ['one millisecond before', 1, 0],
    ['a third of an hour', HOUR / 3, 0.33],
    ['two thirds of an hour', (2 * HOUR) / 3, 0.67],
    ['0.005 h (18 s) rounds away from zero', 18 * SECOND, 0.01],
    ['just under 0.005 h', 18 * SECOND - 1, 0],
    ['1.005 h', HOUR + 18 * SECOND, 1.01],
    ['20 minutes after the start', -20 * MINUTE, -0.33],
    ['-0.005 h rounds away from zero', -18 * SECOND, -0.01],
    ['just above -0.005 h', -(18 * SECOND - 1), 0],
    ['-2.345 h', -(2 * HOUR + 20 * MINUTE + 42 * SECOND), -2.35],
    ['a year', 365 * 24 * HOUR, 8760],
  ])('%s', (_title, ms, expected) => {
    expect(calculateHoursBefore(before(ms))).toBe(expected);
  });

  it('never returns -0', () => {
    expect(Object.is(calculateHoursBefore(before(-1)), 0)).toBe(true);
  });
});

describe('isLastMinute', () => {
  it.each([
    ['two days before', 48 * HOUR, false],
    ['exactly 24 hours before', 24 * HOUR, false],
    ['24 hours minus 1 ms before (rounds to 24.00 h, still under 24 h)', 24 * HOUR - 1, true],
    ['24 hours plus 1 ms before', 24 * HOUR + 1, false],
    ['an hour before', HOUR, true],
    ['at the start', 0, true],
    ['after the start', -HOUR, true],
  ])('%s', (_title, ms, expected) => {
    expect(isLastMinute(before(ms))).toBe(expected);
  });
});

/** A small seeded PRNG (mulberry32), so the values below are the same on every run. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** Offsets `original_time − cancelled_at` in ms: random ones of both signs, and every kind of .xx5 edge. */
function offsets(): number[] {
  const random = prng(20250106);
  const int = (max: number) => Math.floor(random() * max);
  const sign = () => (random() < 0.5 ? -1 : 1);
  const values = new Set<number>([0, 1, -1, 24 * HOUR, 24 * HOUR - 1]);
  for (const edge of [17_999, 18_000, 18_001]) values.add(edge).add(-edge);
  for (let i = 0; i < 150; i++) values.add(sign() * int(400 * HOUR)); // up to ~16 days, to the millisecond
  for (let i = 0; i < 30; i++) values.add(sign() * int(2 * MINUTE)); // around zero
  for (let i = 0; i < 40; i++) {
    const halfway = int(20_000) * 36_000 + 18_000; // exactly x.xx5 hours
    for (const delta of [-1, 0, 1]) values.add(sign() * (halfway + delta));
  }
  for (let i = 0; i < 10; i++) values.add(sign() * int(10 * 365 * 24 * HOUR)); // up to ten years
  return [...values];
}

describeEachBackend('model helpers against the database', (backend) => {
  let db: TqsDatabase;
  const tutorId = uuid(1);

  useDatabase(backend, (opened) => (db = opened));
  beforeAll(async () => {
    await db.insert(tutors).values({ id: tutorId, name: 'Ann Tutor' });
  });

  describe('calculateHoursBefore and isLastMinute agree with the generated hours_before_session', () => {
    const values = offsets();
    let rows: {
      originalTime: Date;
      cancelledAt: Date;
      hoursBeforeSession: number | null;
      underADay: boolean;
    }[];

    beforeAll(async () => {
      const base = at('2025-03-01T15:00:00Z').getTime();
      const planned = values.map((offset, i) => {
        const originalTime = new Date(base + i * HOUR);
        return { id: uuid(10_000 + i), originalTime, cancelledAt: new Date(originalTime.getTime() - offset) };
      });
      for (let i = 0; i < planned.length; i += 200) {
        const chunk = planned.slice(i, i + 200);
        // A rescheduled session and its reschedule commit together (reschedule_status_rule).
        await db.transaction(async (tx) => {
          await tx.insert(sessions).values(
            chunk.map((p) => ({
              id: p.id,
              tutorId,
              studentId: 'student-1',
              scheduledTime: p.originalTime,
              status: 'rescheduled' as const,
            })),
          );
          await tx.insert(reschedules).values(
            chunk.map((p) => ({
              sessionId: p.id,
              initiator: 'tutor' as const,
              originalTime: p.originalTime,
              cancelledAt: p.cancelledAt,
            })),
          );
        });
      }
      const stored = await db.select().from(reschedules);
      const underADay = await queryRows<{ id: string; under: boolean }>(
        db,
        sql`select id, (original_time - cancelled_at) < interval '24 hours' as under from reschedules`,
      );
      const byId = new Map(underADay.map((r) => [r.id, r.under]));
      rows = stored.map((r) => ({ ...r, underADay: byId.get(r.id)! }));
    });

    it(`on ${values.length} offsets`, () => {
      expect(values.length).toBeGreaterThanOrEqual(300);
      expect(rows).toHaveLength(values.length);
      expect(rows.some((r) => r.hoursBeforeSession! < 0)).toBe(true);
      expect(rows.some((r) => r.hoursBeforeSession! > 0)).toBe(true);
      const disagreements = rows
        .filter((r) => !Object.is(calculateHoursBefore(r), r.hoursBeforeSession))
        .map((r) => ({
          ms: r.originalTime.getTime() - r.cancelledAt.getTime(),
          database: r.hoursBeforeSession,
          ours: calculateHoursBefore(r),
        }));
      expect(disagreements).toEqual([]);
    });

    it('isLastMinute is the database’s (original_time − cancelled_at) < 24 hours', () => {
      const disagreements = rows.filter((r) => isLastMinute(r) !== r.underADay);
      expect(disagreements).toEqual([]);
      expect(rows.filter((r) => r.underADay).length).toBeGreaterThan(0);
      expect(rows.filter((r) => !r.underADay).length).toBeGreaterThan(0);
    });
  });

  describe('markSent / markFailed', () => {
    const sessionId = uuid(2);
    const reportId = uuid(3);
    const otherReportId = uuid(4);
    const createdSentAt = at('2025-01-06T16:00:00Z');

    beforeAll(async () => {
      await db.insert(sessions).values({
        id: sessionId,
        tutorId,
        studentId: 'student-1',
        scheduledTime: start,
        completedTime: new Date(start.getTime() + HOUR),
        status: 'completed',
      });
      await db.insert(emailReports).values(
        [reportId, otherReportId].map((id) => ({
          id,
          sessionId,
          recipientEmail: 'ops@example.com',
          sentAt: createdSentAt,
          status: 'pending' as const,
        })),
      );
    });

    const read = async (id: string) => (await db.select().from(emailReports).where(eq(emailReports.id, id)))[0]!;

    it('markFailed sets status failed, the error message and sent_at, and returns the row', async () => {
      const sentAt = at('2025-01-06T16:01:00Z');
      const row = await markFailed(db, reportId, 'SMTP 550: mailbox unavailable', { sentAt });
      expectTypeOf(row).toEqualTypeOf<EmailReport>();
      expect(row).toMatchObject({
        id: reportId,
        status: 'failed',
        errorMessage: 'SMTP 550: mailbox unavailable',
        sentAt,
      });
      expect(await read(reportId)).toEqual(row);
      expect((await read(otherReportId)).status).toBe('pending');
    });

    it('markSent sets status sent, clears the error message, and stamps sent_at', async () => {
      const sentAt = at('2025-01-06T16:05:00Z');
      const row = await markSent(db, reportId, { sentAt });
      expect(row).toMatchObject({ id: reportId, status: 'sent', errorMessage: null, sentAt });
      expect(await read(reportId)).toEqual(row);
    });

    it('without sentAt, both stamp the database’s current time', async () => {
      const clock = async () =>
        new Date((await queryRows<{ now: string | Date }>(db, sql`select now() as now`))[0]!.now);
      const from = await clock();
      const failed = await markFailed(db, otherReportId, 'timeout');
      const sent = await markSent(db, reportId);
      const to = await clock();
      for (const row of [failed, sent]) {
        expect(row.sentAt.getTime()).toBeGreaterThanOrEqual(from.getTime());
        expect(row.sentAt.getTime()).toBeLessThanOrEqual(to.getTime());
      }
      expect(failed).toMatchObject({ status: 'failed', errorMessage: 'timeout' });
      expect(sent).toMatchObject({ status: 'sent', errorMessage: null });
    });

    it.each([
      ['an unknown id', uuid(999)],
      ['a string that is no uuid', 'not-a-uuid'],
    ])('%s throws NotFoundError', async (_title, id) => {
      for (const attempt of [() => markSent(db, id), () => markFailed(db, id, 'x')]) {
        const error = await attempt().then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(error).toBeInstanceOf(NotFoundError);
        expect(error).toMatchObject({ code: 'NOT_FOUND', entity: 'email report', id });
      }
    });

    it('a write the database refuses becomes a ConstraintViolationError, and changes nothing', async () => {
      const beforeRow = await read(reportId);
      const error = await markFailed(db, reportId, null as unknown as string).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(ConstraintViolationError);
      expect(error).toMatchObject({
        code: 'CONSTRAINT_VIOLATION',
        constraint: 'email_reports_error_message_when_failed',
      });
      expect(await read(reportId)).toEqual(beforeRow);
    });

    it('works inside a transaction, which can roll it back', async () => {
      const beforeRow = await read(reportId);
      let inside: EmailReport | undefined;
      const outcome = await db
        .transaction(async (tx) => {
          inside = await markFailed(tx, reportId, 'rolled back');
          tx.rollback();
        })
        .catch((e: unknown) => e);
      expect(outcome).toBeInstanceOf(TransactionRollbackError);
      expect(inside).toMatchObject({ id: reportId, status: 'failed', errorMessage: 'rolled back' });
      expect(await read(reportId)).toEqual(beforeRow);
    });
  });
});
