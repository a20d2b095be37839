import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  type ComputedTutorScore,
  computeTutorScore,
  createDatabase,
  DEFAULT_RISK_THRESHOLD,
  findStaleTutorIds,
  isHighRisk,
  listHighRiskTutors,
  NotFoundError,
  operationsStatus,
  queryRows,
  type RescheduleInitiator,
  refreshTutorScores,
  reschedules,
  rescheduleRate,
  sessions,
  type TqsDatabase,
  type TutorScore,
  tutorScores,
  tutors,
  InvalidOptionError,
} from '../src';
import { runCli } from '../src/cli/run';
import { describeEachBackend, useDatabase } from './support/databases';

const AS_OF = new Date('2026-03-15T12:00:00.000Z');
const DAY = 86_400_000;
/** The instant `ms` milliseconds after AS_OF (negative: before). */
const at = (ms: number) => new Date(AS_OF.getTime() + ms);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
/** A fixed UUID per number, so that tests can rely on the order of ids. */
const uuid = (n: number) => `00000000-0000-4000-8000-${n.toString(16).padStart(12, '0')}`;

/** A stored score row without what only the table has (id, timestamps of the write): what computeTutorScore returns. */
const scoreValues = ({ id: _id, lastCalculatedAt: _calculated, createdAt: _created, updatedAt: _updated, ...score }: TutorScore) =>
  score;

describe('rescheduleRate', () => {
  it('is null without sessions and rounds to 2 decimals, half away from zero', () => {
    expect(rescheduleRate(0, 0)).toBeNull();
    expect(rescheduleRate(0, 5)).toBe(0);
    expect(rescheduleRate(5, 5)).toBe(100);
    expect(rescheduleRate(1, 3)).toBe(33.33);
    expect(rescheduleRate(2, 3)).toBe(66.67);
    expect(rescheduleRate(1, 8)).toBe(12.5);
    expect(rescheduleRate(3, 20)).toBe(15);
    // 100 / 800 = 0.125 → 0.13 (half away from zero, not to even); 100 / 1600 = 0.0625 → 0.06
    expect(rescheduleRate(1, 800)).toBe(0.13);
    expect(rescheduleRate(1, 1600)).toBe(0.06);
    // Counts too large for exact arithmetic in doubles take the BigInt path.
    expect(rescheduleRate(1, 2 ** 52)).toBe(0);
    expect(rescheduleRate(2 ** 51, 2 ** 52)).toBe(50);
    expect(rescheduleRate(2 ** 52 - 1, 2 ** 52)).toBe(100);
  });

  it('refuses counts that are not whole numbers, negative, or reschedules above sessions, naming the argument', () => {
    expect(() => rescheduleRate(1.5, 3)).toThrow(
      'rescheduleRate: tutorReschedules must be a whole number (got 1.5)',
    );
    expect(() => rescheduleRate(1, Number.NaN)).toThrow(InvalidOptionError);
    expect(() => rescheduleRate(1, Number.NaN)).toThrow(/totalSessions/);
    expect(() => rescheduleRate('1' as unknown as number, 3)).toThrow(/tutorReschedules must be a whole number \(got '1'\)/);
    expect(() => rescheduleRate(-1, 3)).toThrow('rescheduleRate: tutorReschedules must not be negative (got -1)');
    expect(() => rescheduleRate(0, -3)).toThrow(InvalidOptionError);
    expect(() => rescheduleRate(4, 3)).toThrow(
      'rescheduleRate: tutorReschedules must not exceed totalSessions (got 4 > 3)',
    );
  });
});

describe('isHighRisk', () => {
  const rates = (r7: number | null, r30: number | null, r90: number | null) => ({
    rescheduleRate7d: r7,
    rescheduleRate30d: r30,
    rescheduleRate90d: r90,
  });

  it('flags any non-null rate strictly above the threshold (default 15)', () => {
    expect(DEFAULT_RISK_THRESHOLD).toBe(15);
    expect(isHighRisk(rates(null, null, null))).toBe(false);
    expect(isHighRisk(rates(15, 15, 15))).toBe(false);
    expect(isHighRisk(rates(null, 15.01, 0))).toBe(true);
    expect(isHighRisk(rates(0, 0, 15.01))).toBe(true);
    expect(isHighRisk(rates(100, null, null), 100)).toBe(false);
    expect(isHighRisk(rates(0.01, null, null), 0)).toBe(true);
    expect(isHighRisk(rates(0, 0, 0), 0)).toBe(false);
    expect(isHighRisk(rates(33.33, null, null), 33.33)).toBe(false);
    expect(isHighRisk(rates(33.33, null, null), 33.32)).toBe(true);
  });

  it('refuses a bad threshold or rate, naming it', () => {
    for (const threshold of [-0.01, 100.01, 15.555, 1e9]) {
      expect(() => isHighRisk(rates(1, 1, 1), threshold)).toThrow(InvalidOptionError);
      expect(() => isHighRisk(rates(1, 1, 1), threshold)).toThrow(/isHighRisk: threshold must be from 0 to 100/);
    }
    for (const threshold of [Number.NaN, Number.POSITIVE_INFINITY, '15' as unknown as number]) {
      expect(() => isHighRisk(rates(1, 1, 1), threshold)).toThrow(InvalidOptionError);
      expect(() => isHighRisk(rates(1, 1, 1), threshold)).toThrow(/threshold must be a number/);
    }
    expect(() => isHighRisk(rates(1, Number.NaN, 1))).toThrow(/rates\.rescheduleRate30d must be a number or null/);
    expect(() => isHighRisk({ rescheduleRate7d: 1 } as never)).toThrow(/rates\.rescheduleRate30d/);
  });
});

describe('refreshTutorScores retries', () => {
  /** A stand-in database whose statement fails with the given SQLSTATEs first, then succeeds. */
  function flakyDatabase(failures: string[]) {
    const calls: number[] = [];
    const db = {
      execute: async () => {
        calls.push(calls.length);
        const code = failures[calls.length - 1];
        if (code !== undefined) throw new Error('query failed', { cause: Object.assign(new Error(code), { code }) });
        return [{ scored: 3, flagged: 1, written: 2 }];
      },
    };
    return { db: db as unknown as Parameters<typeof refreshTutorScores>[0], calls };
  }

  it('runs the statement again after a deadlock or a serialization failure, up to maxRetries times', async () => {
    const flaky = flakyDatabase(['40P01', '40001', '40P01']);
    expect(await refreshTutorScores(flaky.db, { asOf: AS_OF })).toEqual({ scored: 3, flagged: 1, written: 2, asOf: AS_OF, threshold: 15 });
    expect(flaky.calls).toHaveLength(4);

    const tooFlaky = flakyDatabase(['40P01', '40P01']);
    // The driver's error comes back translated, with its SQLSTATE, and stays as `cause`.
    await expect(refreshTutorScores(tooFlaky.db, { asOf: AS_OF, maxRetries: 1 })).rejects.toMatchObject({ code: 'DATABASE_ERROR', sqlState: '40P01' });
    expect(tooFlaky.calls).toHaveLength(2);
  });

  it('does not retry other errors', async () => {
    const broken = flakyDatabase(['42P01']);
    await expect(refreshTutorScores(broken.db, { asOf: AS_OF })).rejects.toMatchObject({ code: 'DATABASE_ERROR', sqlState: '42P01' });
    expect(broken.calls).toHaveLength(1);
  });
});

interface SessionSpec {
  /** scheduled_time. */
  at: Date;
  /** A reschedule of the session: by whom, and its new time (null: cancelled). */
  reschedule?: { initiator: RescheduleInitiator; newTime?: Date | null };
  status?: 'completed' | 'no_show';
}

describeEachBackend('scoring', (backend) => {
  let db: TqsDatabase;

  useDatabase(backend, (opened) => (db = opened));
  beforeEach(async () => {
    await db.execute(sql`truncate ${tutors}, ${sessions}, ${reschedules}, ${tutorScores} cascade`);
  });

  let tutorCount = 0;
  async function addTutor(fields: { id?: string; isActive?: boolean; name?: string } = {}): Promise<string> {
    tutorCount += 1;
    const [row] = await db
      .insert(tutors)
      .values({ name: fields.name ?? `Tutor ${tutorCount}`, email: `tutor${tutorCount}@example.com`, ...fields })
      .returning({ id: tutors.id });
    return row!.id;
  }

  async function addSessions(tutorId: string, specs: SessionSpec[]): Promise<string[]> {
    if (specs.length === 0) return [];
    // The rescheduled sessions and their reschedules commit together (reschedule_status_rule).
    return db.transaction(async (tx) => {
      const rows = await tx
        .insert(sessions)
        .values(
          specs.map((spec, i) => {
            const status = spec.reschedule ? 'rescheduled' : (spec.status ?? (i % 2 === 0 ? 'completed' : 'no_show'));
            return {
              tutorId,
              studentId: `student-${i % 3}`,
              scheduledTime: spec.at,
              status,
              completedTime: status === 'completed' ? new Date(spec.at.getTime() + 3_600_000) : null,
              durationMinutes: status === 'completed' ? 60 : null,
            } as const;
          }),
        )
        .returning({ id: sessions.id, scheduledTime: sessions.scheduledTime });
      const withReschedule = specs.flatMap((spec, i) => (spec.reschedule ? [{ reschedule: spec.reschedule, row: rows[i]! }] : []));
      if (withReschedule.length > 0) {
        await tx.insert(reschedules).values(
          withReschedule.map(({ reschedule, row }) => ({
            sessionId: row.id,
            initiator: reschedule.initiator,
            originalTime: row.scheduledTime,
            newTime: reschedule.newTime === undefined ? new Date(row.scheduledTime.getTime() + 2 * DAY) : reschedule.newTime,
            cancelledAt: new Date(row.scheduledTime.getTime() - 5 * 3_600_000),
            reasonCode: 'scheduling_conflict',
          })),
        );
      }
      return rows.map((row) => row.id);
    });
  }

  /** `count` sessions from `ago` ms before AS_OF backwards, a minute apart, the first `rescheduled` of them rescheduled by the tutor. */
  const block = (count: number, rescheduled: number, ago: number): SessionSpec[] =>
    Array.from({ length: count }, (_, i) => ({
      at: at(-ago - i * 60_000),
      ...(i < rescheduled ? { reschedule: { initiator: 'tutor' as const } } : {}),
    }));

  async function storedScore(tutorId: string): Promise<TutorScore | undefined> {
    const [row] = await db.select().from(tutorScores).where(eq(tutorScores.tutorId, tutorId));
    return row;
  }

  it('counts sessions in (asOf − N days, asOf]: open at the start, closed at the end, nothing after asOf', async () => {
    const tutorId = await addTutor();
    await addSessions(tutorId, [
      { at: at(-7 * DAY) }, // 30d, 90d only: exactly 7 days before is outside the 7-day window
      { at: at(-7 * DAY + 1), reschedule: { initiator: 'tutor' } }, // 7d, 30d, 90d
      { at: at(0) }, // exactly asOf: 7d, 30d, 90d
      { at: at(1), reschedule: { initiator: 'tutor' } }, // after asOf: never
      { at: at(DAY), status: 'completed' }, // after asOf: never
      { at: at(-30 * DAY), reschedule: { initiator: 'student' } }, // 90d only; a student's reschedule never counts
      { at: at(-30 * DAY + 1) }, // 30d, 90d
      { at: at(-90 * DAY), reschedule: { initiator: 'tutor' } }, // outside every window
      { at: at(-90 * DAY + 1), reschedule: { initiator: 'tutor', newTime: null } }, // 90d; a cancellation counts
    ]);
    const expected: ComputedTutorScore = {
      tutorId,
      totalSessions7d: 2,
      totalSessions30d: 4,
      totalSessions90d: 6,
      tutorReschedules7d: 1,
      tutorReschedules30d: 1,
      tutorReschedules90d: 2,
      rescheduleRate7d: 50,
      rescheduleRate30d: 25,
      rescheduleRate90d: 33.33,
      isHighRisk: true,
      riskCategory: 'high',
      riskThreshold: 15,
      asOf: AS_OF,
      // The next instant a count changes by time alone: the session 1 ms after asOf enters, and the one 7 days
      // minus 1 ms before asOf leaves the 7-day window, both at asOf + 1 ms.
      nextChangeAt: at(1),
    };
    expect(await computeTutorScore(db, tutorId, { asOf: AS_OF })).toEqual(expected);
    expect(await refreshTutorScores(db, { asOf: AS_OF })).toEqual({ scored: 1, flagged: 1, written: 1, asOf: AS_OF, threshold: 15 });
    expect(scoreValues((await storedScore(tutorId))!)).toEqual(expected);
  });

  it('counts every status as a session, and only tutor-initiated reschedules', async () => {
    const tutorId = await addTutor();
    await addSessions(tutorId, [
      { at: at(-DAY), status: 'completed' },
      { at: at(-DAY - 1), status: 'no_show' },
      { at: at(-DAY - 2), reschedule: { initiator: 'student' } },
      { at: at(-DAY - 3), reschedule: { initiator: 'student', newTime: null } },
      { at: at(-DAY - 4), reschedule: { initiator: 'tutor', newTime: null } },
    ]);
    const score = await computeTutorScore(db, tutorId, { asOf: AS_OF });
    expect([score.totalSessions7d, score.tutorReschedules7d, score.rescheduleRate7d]).toEqual([5, 1, 20]);
  });

  it('gives every tutor a row: without sessions zero counts, null rates, not flagged; inactive tutors too', async () => {
    const idle = await addTutor();
    const inactive = await addTutor({ isActive: false });
    await addSessions(inactive, block(4, 2, DAY));
    const onlyOld = await addTutor();
    await addSessions(onlyOld, block(3, 3, 120 * DAY));
    expect(await refreshTutorScores(db, { asOf: AS_OF })).toMatchObject({ scored: 3, flagged: 1 });
    for (const id of [idle, onlyOld]) {
      const row = (await storedScore(id))!;
      const counts = [row.totalSessions7d, row.totalSessions30d, row.totalSessions90d];
      counts.push(row.tutorReschedules7d, row.tutorReschedules30d, row.tutorReschedules90d);
      expect(counts).toEqual([0, 0, 0, 0, 0, 0]);
      expect([row.rescheduleRate7d, row.rescheduleRate30d, row.rescheduleRate90d, row.isHighRisk]).toEqual([null, null, null, false]);
    }
    expect(await storedScore(inactive)).toMatchObject({ totalSessions7d: 4, rescheduleRate7d: 50, isHighRisk: true });
  });

  it('flags a rate strictly above the threshold only, comparing the rounded rate', async () => {
    const atThreshold = await addTutor(); // 3 / 20 = 15.00
    await addSessions(atThreshold, block(20, 3, DAY));
    const justAbove = await addTutor(); // 3 / 19 = 15.79
    await addSessions(justAbove, block(19, 3, DAY));
    const third = await addTutor(); // 1 / 3 = 33.333… stored as 33.33
    await addSessions(third, block(3, 1, DAY));

    await refreshTutorScores(db, { asOf: AS_OF });
    expect(await storedScore(atThreshold)).toMatchObject({ rescheduleRate90d: 15, isHighRisk: false, riskThreshold: 15 });
    expect(await storedScore(justAbove)).toMatchObject({ rescheduleRate90d: 15.79, isHighRisk: true });
    expect((await computeTutorScore(db, atThreshold, { asOf: AS_OF })).isHighRisk).toBe(false);

    expect(await refreshTutorScores(db, { asOf: AS_OF, threshold: 33.33 })).toMatchObject({ scored: 3, flagged: 0 });
    expect(await storedScore(third)).toMatchObject({ rescheduleRate7d: 33.33, isHighRisk: false, riskThreshold: 33.33 });
    expect((await computeTutorScore(db, third, { asOf: AS_OF, threshold: 33.33 })).isHighRisk).toBe(false);

    expect(await refreshTutorScores(db, { asOf: AS_OF, threshold: 33.32 })).toMatchObject({ flagged: 1 });
    expect(await storedScore(third)).toMatchObject({ isHighRisk: true, riskThreshold: 33.32 });
    expect((await computeTutorScore(db, third, { asOf: AS_OF, threshold: 33.32 })).isHighRisk).toBe(true);
  });

  it('records a custom threshold and asOf, and updates the one row in place on the next refresh', async () => {
    const tutorId = await addTutor();
    await addSessions(tutorId, block(10, 3, DAY)); // 30%
    expect(await refreshTutorScores(db, { asOf: AS_OF, threshold: 40 })).toMatchObject({
      scored: 1,
      flagged: 0,
      threshold: 40,
    });
    const first = (await storedScore(tutorId))!;
    expect(first).toMatchObject({ riskThreshold: 40, asOf: AS_OF, isHighRisk: false, rescheduleRate7d: 30 });

    await sleep(5);
    const later = at(2 * DAY);
    await refreshTutorScores(db, { asOf: later, threshold: 12.5 });
    const second = (await storedScore(tutorId))!;
    expect(second).toMatchObject({
      id: first.id,
      createdAt: first.createdAt,
      riskThreshold: 12.5,
      asOf: later,
      isHighRisk: true,
    });
    expect(second.lastCalculatedAt.getTime()).toBeGreaterThan(first.lastCalculatedAt.getTime());
    expect(second.updatedAt.getTime()).toBeGreaterThan(first.updatedAt.getTime());
    expect(await db.$count(tutorScores)).toBe(1);
  });

  it('a refresh of every tutor leaves rows with unchanged values as they were, logs itself, and writes what changed', async () => {
    const [a, b] = [await addTutor(), await addTutor()];
    await addSessions(a, block(10, 3, DAY)); // 30%, leaves the 7-day window 6 days after AS_OF
    await addSessions(b, block(4, 1, 20 * DAY));
    expect(await refreshTutorScores(db, { asOf: AS_OF })).toMatchObject({ scored: 2, flagged: 2, written: 2 });
    const first = { a: (await storedScore(a))!, b: (await storedScore(b))! };
    const history = async () => Number((await queryRows<{ n: number }>(db, sql`select count(*)::int as n from tutor_score_history`))[0]!.n);
    const historyBefore = await history();

    // An hour later nothing has entered or left a window: same counts, same next_change_at, nothing written.
    await sleep(5);
    expect(await refreshTutorScores(db, { asOf: at(3_600_000) })).toMatchObject({ scored: 2, flagged: 2, written: 0 });
    expect(await storedScore(a)).toEqual(first.a);
    expect(await storedScore(b)).toEqual(first.b);
    expect(await history()).toBe(historyBefore);
    const log = await queryRows<{ as_of: string; scored: number; written: number; refreshed_at: string }>(
      db,
      sql`select as_of::text, scored, written, refreshed_at::text from tutor_score_refreshes order by id`,
    );
    expect(log.slice(-2).map(({ scored, written }) => ({ scored, written }))).toEqual([
      { scored: 2, written: 2 },
      { scored: 2, written: 0 },
    ]);
    // The refresh time is the later refresh's, though no row's last_calculated_at moved.
    const status = await operationsStatus(db);
    expect(Date.parse(status.lastRefreshAt!)).toBeGreaterThan(first.a.lastCalculatedAt.getTime());
    expect(await findStaleTutorIds(db)).toEqual([]);

    // A session of b changes its counts: only b's row is written; a stays as it was.
    await addSessions(b, block(1, 1, 2 * DAY));
    expect(await refreshTutorScores(db, { asOf: at(3_600_000) })).toMatchObject({ scored: 2, written: 1 });
    expect(await storedScore(a)).toEqual(first.a);
    const second = (await storedScore(b))!;
    expect(second).toMatchObject({ totalSessions90d: 5, tutorReschedules90d: 2, asOf: at(3_600_000) });
    expect(second.lastCalculatedAt.getTime()).toBeGreaterThan(first.b.lastCalculatedAt.getTime());

    // An earlier asOf than a row's as_of is written even with the same values; a new threshold writes every row.
    expect(await refreshTutorScores(db, { asOf: AS_OF })).toMatchObject({ scored: 2, written: 1 });
    expect(await storedScore(b)).toMatchObject({ asOf: AS_OF });
    expect(await refreshTutorScores(db, { asOf: AS_OF, threshold: 40 })).toMatchObject({ scored: 2, flagged: 1, written: 2 }); // b: 1 of 1 in 7 days
    // After a week the 7-day window of a has emptied: its next_change_at came, so its row is written again.
    const week = at(7 * DAY);
    expect(await refreshTutorScores(db, { asOf: week, threshold: 40 })).toMatchObject({ scored: 2 });
    expect(await storedScore(a)).toMatchObject({ asOf: week, totalSessions7d: 0 });
    for (const id of [a, b]) {
      const { asOf: _asOf, ...stored } = scoreValues((await storedScore(id))!);
      const { asOf: _computed, ...computed } = await computeTutorScore(db, id, { asOf: week, threshold: 40 });
      expect(stored).toEqual(computed);
    }
  });

  it('refreshes only tutorIds when given, sent as one parameter however many', async () => {
    const [a, b, c] = [await addTutor(), await addTutor(), await addTutor()];
    await addSessions(b, block(2, 2, DAY));
    expect(await refreshTutorScores(db, { asOf: AS_OF, tutorIds: [] })).toMatchObject({ scored: 0, flagged: 0 });
    expect(await refreshTutorScores(db, { asOf: AS_OF, tutorIds: [b, c, uuid(1)] })).toMatchObject({
      scored: 2,
      flagged: 1,
    });
    const stored = await db.select({ tutorId: tutorScores.tutorId }).from(tutorScores);
    expect(stored.map((row) => row.tutorId).sort()).toEqual([b, c].sort());
    // Far more ids than PGlite's 32,767 bind parameters: one uuid[] parameter holds them all.
    const many = [...Array.from({ length: 40_000 }, (_, i) => uuid(i + 100)), a];
    expect(await refreshTutorScores(db, { asOf: AS_OF, tutorIds: many })).toMatchObject({ scored: 1 });
    expect(await db.$count(tutorScores)).toBe(3);
  });

  it('refreshes only stale tutors with staleOnly: missing rows, touched sessions, new reschedules', async () => {
    const [a, b, c] = [await addTutor(), await addTutor(), await addTutor()];
    const [aSession] = await addSessions(a, block(4, 1, DAY));
    const [bSession] = await addSessions(b, block(4, 0, DAY));
    expect(await findStaleTutorIds(db)).toEqual([a, b, c].sort());
    // Clocks may tick in milliseconds (PGlite's do), and a tie counts as stale: keep writes and refreshes apart.
    await sleep(5);
    expect(await refreshTutorScores(db, { asOf: AS_OF })).toMatchObject({ scored: 3 });
    expect(await findStaleTutorIds(db)).toEqual([]);
    expect(await refreshTutorScores(db, { asOf: AS_OF, staleOnly: true })).toMatchObject({ scored: 0 });

    await sleep(5);
    await db.update(sessions).set({ studentId: 'someone-else' }).where(eq(sessions.id, aSession!));
    expect(await findStaleTutorIds(db)).toEqual([a]);

    // A reschedule added to b's session, and a new tutor. The session's status follows in the same transaction
    // (reschedule_status_rule) with its updated_at kept as it was: only the new reschedule can make b stale.
    const [bRow] = await db.select().from(sessions).where(eq(sessions.id, bSession!));
    await db.transaction(async (tx) => {
      await tx.insert(reschedules).values({
        sessionId: bRow!.id,
        initiator: 'tutor',
        originalTime: bRow!.scheduledTime,
        cancelledAt: new Date(bRow!.scheduledTime.getTime() - DAY),
      });
      await tx
        .update(sessions)
        .set({ status: 'rescheduled', completedTime: null, durationMinutes: null, updatedAt: bRow!.updatedAt })
        .where(eq(sessions.id, bRow!.id));
    });
    const d = await addTutor();
    expect(await findStaleTutorIds(db)).toEqual([a, b, d].sort());
    const before = await storedScore(c);

    // Both filters: the stale ones among tutorIds.
    await sleep(5);
    expect(await refreshTutorScores(db, { asOf: AS_OF, staleOnly: true, tutorIds: [b, c] })).toMatchObject({
      scored: 1,
      flagged: 1,
    });
    expect(await findStaleTutorIds(db)).toEqual([a, d].sort());

    await sleep(5);
    expect(await refreshTutorScores(db, { asOf: AS_OF, staleOnly: true })).toMatchObject({ scored: 2 });
    expect(await findStaleTutorIds(db)).toEqual([]);
    expect(await storedScore(b)).toMatchObject({ tutorReschedules7d: 1, rescheduleRate7d: 25, isHighRisk: true });
    expect(await storedScore(c)).toEqual(before); // never rewritten
    expect(await db.$count(tutorScores)).toBe(4);
  });

  it('lists flagged tutors worst first (highest rate, then 90-day rate, then id), paginated, with the total', async () => {
    // Sessions a day before asOf, so all three rates are equal, unless a block 40 days back says otherwise.
    const t4 = await addTutor({ id: uuid(4), name: 'Four' });
    await addSessions(t4, [...block(1, 1, DAY), ...block(9, 0, 40 * DAY)]); // 7d 100, 90d 10
    const t2 = await addTutor({ id: uuid(2), name: 'Two' });
    await addSessions(t2, block(3, 2, DAY)); // 66.67 everywhere
    const t5 = await addTutor({ id: uuid(5), name: 'Five' });
    await addSessions(t5, [...block(2, 1, DAY), ...block(1, 1, 40 * DAY)]); // 7d 50, 90d 66.67: ties Two, larger id
    const t6 = await addTutor({ id: uuid(6), name: 'Six' });
    await addSessions(t6, [...block(3, 2, DAY), ...block(7, 0, 40 * DAY)]); // 7d 66.67, 90d 20
    const t1 = await addTutor({ id: uuid(1), name: 'One' });
    await addSessions(t1, block(2, 1, DAY)); // 50
    const t3 = await addTutor({ id: uuid(3), name: 'Three' });
    await addSessions(t3, block(2, 1, DAY)); // 50, the same as One: the id breaks the tie
    const t7 = await addTutor({ id: uuid(7), name: 'Seven' });
    await addSessions(t7, block(10, 1, DAY)); // 10: not flagged
    expect(await listHighRiskTutors(db)).toEqual({ tutors: [], total: 0, limit: 20, offset: 0 });

    expect(await refreshTutorScores(db, { asOf: AS_OF })).toMatchObject({ scored: 7, flagged: 6 });
    const all = await listHighRiskTutors(db);
    expect(all.total).toBe(6);
    expect(all.tutors.map((row) => row.name)).toEqual(['Four', 'Two', 'Five', 'Six', 'One', 'Three']);
    expect(all.tutors.map((row) => row.tutorId)).toEqual([t4, t2, t5, t6, t1, t3]);
    const { id: _id, isHighRisk: _flag, createdAt: _created, updatedAt: _updated, ...score } = (await storedScore(t4))!;
    expect(all.tutors[0]).toEqual({ ...score, name: 'Four', email: expect.stringMatching(/@example\.com$/), isActive: true });
    expect(all.tutors[0]).toMatchObject({ rescheduleRate7d: 100, rescheduleRate90d: 10, totalSessions90d: 10, riskThreshold: 15 });

    const pages = [];
    for (let offset = 0; offset < 8; offset += 4) pages.push(await listHighRiskTutors(db, { limit: 4, offset }));
    expect(pages.map((page) => page.tutors.length)).toEqual([4, 2]);
    expect(pages.flatMap((page) => page.tutors)).toEqual(all.tutors);
    expect(pages.map((page) => page.total)).toEqual([6, 6]);
    expect(await listHighRiskTutors(db, { limit: 2, offset: 10 })).toEqual({ tutors: [], total: 6, limit: 2, offset: 10 });
    expect(await listHighRiskTutors(db, { limit: 0 })).toMatchObject({ tutors: [], total: 6 });
    await expect(listHighRiskTutors(db, { limit: -1 })).rejects.toThrow(/limit must be a whole number/);
    await expect(listHighRiskTutors(db, { offset: 1.5 })).rejects.toThrow(InvalidOptionError);
  });

  it('computeTutorScore writes nothing, and both refuse unknown tutors and bad options', async () => {
    const tutorId = await addTutor();
    await addSessions(tutorId, block(2, 1, DAY));
    const score = await computeTutorScore(db, tutorId, { asOf: AS_OF });
    expect(score.rescheduleRate7d).toBe(50);
    expect(await db.$count(tutorScores)).toBe(0);

    await expect(computeTutorScore(db, uuid(999), { asOf: AS_OF })).rejects.toBeInstanceOf(NotFoundError);
    await expect(computeTutorScore(db, uuid(999))).rejects.toMatchObject({
      code: 'NOT_FOUND',
      entity: 'tutor',
      id: uuid(999),
    });
    await expect(computeTutorScore(db, 'not-a-uuid')).rejects.toBeInstanceOf(NotFoundError);

    for (const threshold of [-1, 100.5, 15.555]) {
      await expect(computeTutorScore(db, tutorId, { threshold })).rejects.toThrow(InvalidOptionError);
      await expect(refreshTutorScores(db, { threshold })).rejects.toThrow(
        /refreshTutorScores: threshold must be from 0 to 100/,
      );
    }
    await expect(refreshTutorScores(db, { threshold: Number.NaN })).rejects.toThrow(InvalidOptionError);
    await expect(refreshTutorScores(db, { asOf: new Date(Number.NaN) })).rejects.toThrow(/asOf must be a valid Date/);
    await expect(refreshTutorScores(db, { tutorIds: ['x'] })).rejects.toThrow(/tutorIds must hold UUIDs only/);
    await expect(refreshTutorScores(db, { maxRetries: -1 })).rejects.toThrow(/maxRetries/);
    expect(await db.$count(tutorScores)).toBe(0);
  });

  it('defaults asOf to now: a session an hour ago counts, one tomorrow does not', async () => {
    const tutorId = await addTutor();
    const now = Date.now();
    await addSessions(tutorId, [
      { at: new Date(now - 3_600_000), reschedule: { initiator: 'tutor' } },
      { at: new Date(now + DAY) },
    ]);
    const result = await refreshTutorScores(db);
    expect(Math.abs(result.asOf.getTime() - Date.now())).toBeLessThan(60_000);
    expect(await storedScore(tutorId)).toMatchObject({ totalSessions7d: 1, rescheduleRate7d: 100, asOf: result.asOf });
    expect((await computeTutorScore(db, tutorId)).totalSessions7d).toBe(1);
  });

  it('runs inside a transaction, whose rollback undoes it', async () => {
    await addTutor();
    await expect(
      db.transaction(async (tx) => {
        expect(await refreshTutorScores(tx, { asOf: AS_OF })).toMatchObject({ scored: 1 });
        expect(await tx.$count(tutorScores)).toBe(1);
        tx.rollback();
      }),
    ).rejects.toThrow();
    expect(await db.$count(tutorScores)).toBe(0);
  });

  it('rescheduleRate agrees with round(100.0 * r / s, 2) for every r <= s <= 300, and for large counts', async () => {
    const rows = await queryRows<{ r: number; s: number; rate: string }>(
      db,
      sql`select r, s, round(100.0 * r / s, 2)::text as rate
          from generate_series(1, 300) s, generate_series(0, s) r
          union all
          select r, s, round(100.0 * r / s, 2)::text
          from (values (1, 2147483647), (1073741823, 2147483647), (1073741824, 2147483647), (2147483646, 2147483647),
                       (12345, 99999989), (5, 80000), (15, 80000), (25, 80000), (1, 800), (1, 1600), (3, 1600)) v(r, s)`,
    );
    expect(rows.length).toBeGreaterThan(45_000);
    const mismatches = rows.filter(({ r, s, rate }) => rescheduleRate(Number(r), Number(s))!.toFixed(2) !== rate);
    expect(mismatches).toEqual([]);
    expect(rows.every(({ r, s, rate }) => rescheduleRate(Number(r), Number(s)) === Number(rate))).toBe(true);
  });

  it('computeTutorScore agrees with refreshTutorScores and with a count in JavaScript, for 300 generated tutors', async () => {
    const asOf = AS_OF.toISOString();
    // Deterministic "random" sessions: 0 to 36 per tutor, spread from 2 days after asOf to 98 days before, some
    // exactly on asOf, just after it, and on each window's start and 1 ms inside it; a tutor-dependent share
    // rescheduled, 1 in 10 of those by the student, 1 in 4 cancelled.
    await db.execute(sql`
      insert into tutors (id, name, email, is_active)
      select md5('tutor' || i)::uuid, 'Tutor ' || i, 'tutor' || i || '@example.com', i % 10 <> 0
      from generate_series(1, 300) i`);
    // One transaction: the rescheduled sessions and their reschedules commit together (reschedule_status_rule).
    await db.transaction(async (tx) => {
      await tx.execute(sql`
        insert into sessions (id, tutor_id, student_id, scheduled_time, status, completed_time, duration_minutes)
        select id, tutor_id, 'student' || (j % 7), scheduled_time, status,
               case when status = 'completed' then scheduled_time + interval '1 hour' end,
               case when status = 'completed' then 60 end
        from (
          select md5('session' || i || '-' || j)::uuid as id, md5('tutor' || i)::uuid as tutor_id, j,
                 ${asOf}::timestamptz - interval '1 millisecond' * (case (i * 31 + j * 17) % 43
                   when 0 then 0 when 1 then -1
                   when 2 then 604800000 when 3 then 604800000 - 1
                   when 4 then 2592000000 when 5 then 2592000000 - 1
                   when 6 then 7776000000 when 7 then 7776000000 - 1
                   else ((i * 7919 + j * 104729) % 100) * 86400000 + (i * j * 7907) % 86400000 - 2 * 86400000
                 end) as scheduled_time,
                 case when (i * 3 + j * 5) % (3 + i % 9) = 0 then 'rescheduled'
                      when j % 20 = 0 then 'no_show' else 'completed' end as status
          from generate_series(1::bigint, 300) i, generate_series(1, (i * 13) % 37) j
        ) g`);
      await tx.execute(sql`
        insert into reschedules (session_id, initiator, original_time, new_time, cancelled_at, reason_code)
        select id, case when b % 10 = 0 then 'student' else 'tutor' end, scheduled_time,
               case when b % 4 = 0 then null else scheduled_time + interval '2 days' end,
               scheduled_time - interval '5 hours', 'scheduling_conflict'
        from (select id, scheduled_time, get_byte(decode(md5(id::text), 'hex'), 0) as b
              from sessions where status = 'rescheduled') s`);
    });

    // The oracle: the windows counted in JavaScript from the raw rows.
    const sessionRows = await db
      .select({ tutorId: sessions.tutorId, scheduledTime: sessions.scheduledTime, initiator: reschedules.initiator })
      .from(sessions)
      .leftJoin(reschedules, eq(reschedules.sessionId, sessions.id));
    expect(sessionRows.length).toBeGreaterThan(4_000);
    const tutorIds = (await db.select({ id: tutors.id }).from(tutors)).map((row) => row.id);
    const expected = new Map(
      tutorIds.map((id) => [id, { 7: [0, 0], 30: [0, 0], 90: [0, 0] } as Record<7 | 30 | 90, [number, number]>]),
    );
    for (const row of sessionRows) {
      const time = row.scheduledTime.getTime();
      for (const days of [7, 30, 90] as const) {
        if (time > AS_OF.getTime() - days * DAY && time <= AS_OF.getTime()) {
          const counts = expected.get(row.tutorId)![days];
          counts[0] += 1;
          if (row.initiator === 'tutor') counts[1] += 1;
        }
      }
    }

    const threshold = 20;
    const result = await refreshTutorScores(db, { asOf: AS_OF, threshold });
    expect(result.scored).toBe(300);
    const stored = new Map((await db.select().from(tutorScores)).map((row) => [row.tutorId, row]));
    expect(stored.size).toBe(300);
    let flagged = 0;
    let distinctWindows = 0;
    for (const tutorId of tutorIds) {
      const computed = await computeTutorScore(db, tutorId, { asOf: AS_OF, threshold });
      expect(scoreValues(stored.get(tutorId)!)).toEqual(computed);
      const counts = expected.get(tutorId)!;
      expect([computed.totalSessions7d, computed.tutorReschedules7d]).toEqual(counts[7]);
      expect([computed.totalSessions30d, computed.tutorReschedules30d]).toEqual(counts[30]);
      expect([computed.totalSessions90d, computed.tutorReschedules90d]).toEqual(counts[90]);
      expect(computed.isHighRisk).toBe(isHighRisk(computed, threshold));
      if (computed.isHighRisk) flagged += 1;
      if (counts[7][0] !== counts[30][0] && counts[30][0] !== counts[90][0]) distinctWindows += 1;
    }
    expect(result.flagged).toBe(flagged);
    // Varied enough to mean something: some flagged, most not, many with three different windows.
    expect(flagged).toBeGreaterThan(10);
    expect(flagged).toBeLessThan(290);
    expect(distinctWindows).toBeGreaterThan(100);
  });
});

describe('tqs-data score', () => {
  let dir: string;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'tqs-score-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  async function cli(...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    let out = '';
    let err = '';
    stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
    const code = await runCli(argv, { stdout, stderr, stdin: new PassThrough(), env: {} });
    return { code, stdout: out, stderr: err };
  }

  it('rejects bad values with exit code 2 before opening a database', async () => {
    for (const args of [
      ['--threshold', '101'],
      ['--threshold', '15.555'],
      ['--threshold', 'high'],
      ['--as-of', 'yesterday'],
      ['--limit', '-1'],
      ['--limit', '2.5'],
      ['--stale-only=yes'],
    ]) {
      const { code, stderr } = await cli('score', ...args, '--data-dir', join(dir, 'never'));
      expect(code, args.join(' ')).toBe(2);
      expect(stderr).toMatch(/^tqs-data: .*\(see 'tqs-data score --help'\)\n$/);
    }
    expect((await cli('score', '--threshold', '15.555')).stderr).toContain(
      '--threshold must be from 0 to 100 with at most 2 decimals (got 15.555)',
    );
    expect((await cli('score', '--help')).stdout).toContain('Usage: tqs-data score [options]');
  });

  it('scores a database and prints the worst flagged tutors as a table', async () => {
    const dataDir = join(dir, 'pglite');
    expect((await cli('migrate', '--data-dir', dataDir)).code).toBe(0);
    const db = await createDatabase({ dataDir });
    try {
      const [calm, risky] = await db
        .insert(tutors)
        .values([
          { name: 'Calm Tutor', email: 'calm@example.com' },
          { name: 'Risky Tutor', email: 'risky@example.com' },
        ])
        .returning();
      await db.transaction(async (tx) => {
        const rows = await tx
          .insert(sessions)
          .values(
            [calm!, risky!, risky!, risky!].map((tutor, i) => ({
              tutorId: tutor.id,
              studentId: 'student',
              scheduledTime: at(-DAY - i),
              status: i === 1 ? ('rescheduled' as const) : ('no_show' as const),
            })),
          )
          .returning();
        await tx.insert(reschedules).values({
          sessionId: rows[1]!.id,
          initiator: 'tutor',
          originalTime: rows[1]!.scheduledTime,
          cancelledAt: at(-2 * DAY),
        });
      });
    } finally {
      await db.close();
    }

    const run = await cli('score', '--data-dir', dataDir, '--as-of', AS_OF.toISOString());
    expect(run).toEqual({
      code: 0,
      stderr: '',
      stdout: [
        'scored 2 tutors, flagged 1 (threshold 15.00, as of 2026-03-15T12:00:00.000Z)',
        '',
        'worst 1 of 1 flagged tutor:',
        'tutor            7d     30d     90d  sessions 7d/30d/90d  tutor reschedules 7d/30d/90d',
        '-----------  ------  ------  ------  -------------------  ----------------------------',
        'Risky Tutor  33.33%  33.33%  33.33%  3/3/3                1/1/1',
        '',
      ].join('\n'),
    });

    // Nothing changed since: --stale-only scores no one, and the table still shows what the last full run flagged.
    const stale = await cli('score', '--data-dir', dataDir, '--as-of', '2026-03-15', '--threshold', '50', '--stale-only');
    expect(stale).toMatchObject({ code: 0, stderr: '' });
    expect(stale.stdout.split('\n')[0]).toBe('scored 0 tutors, flagged 0 (threshold 50.00, as of 2026-03-15T00:00:00.000Z)');
    expect(stale.stdout).toContain('Risky Tutor  33.33%');

    const none = await cli('score', '--data-dir', dataDir, '--as-of', '2026-03-15T12:00:00Z', '--threshold', '50');
    expect(none.stdout).toBe(
      'scored 2 tutors, flagged 0 (threshold 50.00, as of 2026-03-15T12:00:00.000Z)\n\nno tutor is flagged\n',
    );
    const quiet = await cli('score', '--data-dir', dataDir, '--as-of', '2026-03-15T12:00:00Z', '--limit', '0');
    expect(quiet.stdout).toBe('scored 2 tutors, flagged 1 (threshold 15.00, as of 2026-03-15T12:00:00.000Z)\n');
  });
});
