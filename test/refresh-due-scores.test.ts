import { eq, inArray, sql } from 'drizzle-orm';
import fc from 'fast-check';
import { beforeEach, expect, it } from 'vitest';
import {
  computeTutorScore,
  findStaleTutorIds,
  queryRows,
  type RescheduleInitiator,
  refreshDueScores,
  refreshTutorScores,
  reschedules,
  sessions,
  type TqsDatabase,
  type TutorScore,
  tutorScoreChanges,
  tutorScores,
  tutors,
  InvalidOptionError,
} from '../src';
import { describeEachBackend, useDatabase } from './support/databases';

const AS_OF = new Date('2026-03-15T12:00:00.000Z');
const HOUR = 3_600_000;
const DAY = 86_400_000;
const at = (ms: number, from: Date = AS_OF) => new Date(from.getTime() + ms);

describeEachBackend('refreshDueScores', (backend) => {
  let db: TqsDatabase;

  useDatabase(backend, (opened) => (db = opened));
  beforeEach(async () => {
    await db.execute(sql`truncate ${tutors}, ${sessions}, ${reschedules}, ${tutorScores}, ${tutorScoreChanges} cascade`);
  });

  let tutorCount = 0;
  async function addTutor(): Promise<string> {
    tutorCount += 1;
    const [row] = await db.insert(tutors).values({ name: `Tutor ${tutorCount}` }).returning({ id: tutors.id });
    return row!.id;
  }

  /** A session at `time`: a tutor-initiated (or `initiator`) reschedule when `initiator` is given, else a no-show. */
  async function addSession(tutorId: string, time: Date, initiator?: RescheduleInitiator): Promise<string> {
    // A rescheduled session and its reschedule commit together (reschedule_status_rule).
    return db.transaction(async (tx) => {
      const [row] = await tx
        .insert(sessions)
        .values({ tutorId, studentId: 'student', scheduledTime: time, status: initiator ? 'rescheduled' : 'no_show' })
        .returning({ id: sessions.id });
      if (initiator) {
        await tx.insert(reschedules).values({
          sessionId: row!.id,
          initiator,
          originalTime: time,
          cancelledAt: at(-HOUR, time),
        });
      }
      return row!.id;
    });
  }

  async function storedScore(tutorId: string): Promise<TutorScore> {
    const [row] = await db.select().from(tutorScores).where(eq(tutorScores.tutorId, tutorId));
    if (!row) throw new Error(`no score row for ${tutorId}`);
    return row;
  }

  /**
   * Every tutor has a score row, and its counts, rates and flag are those computeTutorScore gives at `asOf`; its
   * `as_of` is not after `asOf` and its `next_change_at` is after it (so nothing changed in between).
   */
  async function expectAllExact(asOf: Date): Promise<void> {
    const ids = (await db.select({ id: tutors.id }).from(tutors)).map((row) => row.id);
    const stored = new Map((await db.select().from(tutorScores)).map((row) => [row.tutorId, row]));
    expect(stored.size).toBe(ids.length);
    for (const id of ids) {
      const { asOf: _asOf, nextChangeAt: _next, ...computed } = await computeTutorScore(db, id, { asOf });
      const row = stored.get(id)!;
      const { id: _id, lastCalculatedAt: _c, createdAt: _cr, updatedAt: _u, asOf: rowAsOf, nextChangeAt, ...values } = row;
      expect(values, `tutor ${id} at ${asOf.toISOString()}`).toEqual(computed);
      expect(rowAsOf.getTime()).toBeLessThanOrEqual(asOf.getTime());
      if (nextChangeAt !== null) expect(nextChangeAt.getTime()).toBeGreaterThan(asOf.getTime());
    }
  }

  const queued = async () => db.$count(tutorScoreChanges);

  it('refreshes nothing when nothing is due, and writes nothing', async () => {
    const tutorId = await addTutor();
    await addSession(tutorId, at(-DAY), 'tutor');
    expect(await refreshDueScores(db, { asOf: AS_OF })).toMatchObject({ refreshed: 1, tutorIds: [tutorId], more: false });
    const before = await storedScore(tutorId);
    expect(await queued()).toBe(0);
    expect(await refreshDueScores(db, { asOf: at(HOUR) })).toEqual({
      tutorIds: [],
      refreshed: 0,
      flagged: 0,
      changesConsumed: 0,
      more: false,
      asOf: at(HOUR),
      threshold: 15,
    });
    expect(await storedScore(tutorId)).toEqual(before);
  });

  it('a reschedule whose initiator is updated after a refresh (the reproduction in the issue)', async () => {
    const tutorId = await addTutor();
    const sessionId = await addSession(tutorId, new Date('2026-01-14T10:00:00Z'), 'student');
    const asOf = new Date('2026-01-15T00:00:00Z');
    await refreshTutorScores(db, { asOf });
    await refreshDueScores(db, { asOf });
    expect(await storedScore(tutorId)).toMatchObject({ rescheduleRate7d: 0 });
    await db.update(reschedules).set({ initiator: 'tutor' }).where(eq(reschedules.sessionId, sessionId));
    // What the issue found: the timestamps say nothing changed. The capture does.
    expect(await findStaleTutorIds(db)).toEqual([]);
    expect(await refreshDueScores(db, { asOf })).toMatchObject({ refreshed: 1, tutorIds: [tutorId], flagged: 1 });
    expect(await storedScore(tutorId)).toMatchObject({ rescheduleRate7d: 100, isHighRisk: true });
    await expectAllExact(asOf);
  });

  it('a deleted session, and a deleted reschedule', async () => {
    const tutorId = await addTutor();
    const kept = await addSession(tutorId, at(-DAY), 'tutor');
    const deleted = await addSession(tutorId, at(-2 * DAY), 'tutor');
    await addSession(tutorId, at(-3 * DAY));
    await refreshDueScores(db, { asOf: AS_OF });
    expect(await storedScore(tutorId)).toMatchObject({ totalSessions7d: 3, tutorReschedules7d: 2 });

    await db.delete(sessions).where(eq(sessions.id, deleted)); // its reschedule goes with it (ON DELETE CASCADE)
    expect(await refreshDueScores(db, { asOf: AS_OF })).toMatchObject({ refreshed: 1 });
    expect(await storedScore(tutorId)).toMatchObject({ totalSessions7d: 2, tutorReschedules7d: 1 });

    await db.transaction(async (tx) => {
      await tx.delete(reschedules).where(eq(reschedules.sessionId, kept));
      await tx.update(sessions).set({ status: 'no_show' }).where(eq(sessions.id, kept));
    });
    expect(await refreshDueScores(db, { asOf: AS_OF })).toMatchObject({ refreshed: 1 });
    expect(await storedScore(tutorId)).toMatchObject({ totalSessions7d: 2, tutorReschedules7d: 0 });
    await expectAllExact(AS_OF);
  });

  it('a session moved to another tutor: both tutors, the one it left included', async () => {
    const [from, to, bystander] = [await addTutor(), await addTutor(), await addTutor()];
    const moved = await addSession(from, at(-DAY), 'tutor');
    await addSession(to, at(-DAY));
    await addSession(bystander, at(-DAY));
    await refreshDueScores(db, { asOf: AS_OF });
    await db.update(sessions).set({ tutorId: to }).where(eq(sessions.id, moved));
    const result = await refreshDueScores(db, { asOf: AS_OF });
    expect(result.tutorIds).toEqual([from, to].sort());
    expect(await storedScore(from)).toMatchObject({ totalSessions7d: 0, rescheduleRate7d: null });
    expect(await storedScore(to)).toMatchObject({ totalSessions7d: 2, tutorReschedules7d: 1 });
    await expectAllExact(AS_OF);
  });

  it('back-dated rows: history loaded with old created_at and updated_at', async () => {
    const tutorId = await addTutor();
    await refreshDueScores(db, { asOf: AS_OF });
    const old = new Date('2025-01-01T00:00:00Z');
    await db.transaction(async (tx) => {
      const [row] = await tx
        .insert(sessions)
        .values({ tutorId, studentId: 'history', scheduledTime: at(-DAY), status: 'rescheduled', createdAt: old, updatedAt: old })
        .returning();
      await tx.insert(reschedules).values({
        sessionId: row!.id,
        initiator: 'tutor',
        originalTime: row!.scheduledTime,
        cancelledAt: at(-2 * DAY),
        createdAt: old,
      });
    });
    expect(await findStaleTutorIds(db)).toEqual([]); // the timestamps look older than the score
    expect(await refreshDueScores(db, { asOf: AS_OF })).toMatchObject({ refreshed: 1, flagged: 1 });
    await expectAllExact(AS_OF);
  });

  it.each([7, 30, 90] as const)('a session leaving the %i-day window, with no write at all', async (days) => {
    const tutorId = await addTutor();
    const time = at(-DAY);
    await addSession(tutorId, time, 'tutor');
    await refreshDueScores(db, { asOf: AS_OF });
    const leaves = at(days * DAY, time);
    const smaller = [7, 30, 90].filter((d) => d < days).map((d) => at(d * DAY, time));
    // Walk the earlier windows' exits first, each exactly when it comes.
    for (const instant of smaller) {
      expect((await storedScore(tutorId)).nextChangeAt).toEqual(instant);
      expect(await refreshDueScores(db, { asOf: at(-1, instant) })).toMatchObject({ refreshed: 0 });
      expect(await refreshDueScores(db, { asOf: instant })).toMatchObject({ refreshed: 1 });
    }
    expect((await storedScore(tutorId)).nextChangeAt).toEqual(leaves);
    const count = `totalSessions${days}d` as const satisfies keyof TutorScore;
    expect((await storedScore(tutorId))[count]).toBe(1);
    expect(await refreshDueScores(db, { asOf: at(-1, leaves) })).toMatchObject({ refreshed: 0 });
    await expectAllExact(at(-1, leaves));
    expect(await refreshDueScores(db, { asOf: leaves })).toMatchObject({ refreshed: 1, tutorIds: [tutorId] });
    expect((await storedScore(tutorId))[count]).toBe(0);
    await expectAllExact(leaves);
    const wider = [7, 30, 90].find((d) => d > days);
    expect((await storedScore(tutorId)).nextChangeAt).toEqual(wider === undefined ? null : at(wider * DAY, time));
  });

  it('a booked session whose time arrives', async () => {
    const tutorId = await addTutor();
    const booked = at(3 * DAY);
    await addSession(tutorId, booked, 'tutor');
    await refreshDueScores(db, { asOf: AS_OF });
    expect(await storedScore(tutorId)).toMatchObject({ totalSessions7d: 0, nextChangeAt: booked });
    expect(await refreshDueScores(db, { asOf: at(-1, booked) })).toMatchObject({ refreshed: 0 });
    expect(await refreshDueScores(db, { asOf: booked })).toMatchObject({ refreshed: 1, flagged: 1 });
    expect(await storedScore(tutorId)).toMatchObject({ totalSessions7d: 1, rescheduleRate7d: 100 });
    await expectAllExact(booked);
  });

  it('new tutors are due at once; a status update moves no count and queues nothing; a deleted tutor leaves no queue', async () => {
    const tutorId = await addTutor();
    const sessionId = await addSession(tutorId, at(-DAY));
    expect(await refreshDueScores(db, { asOf: AS_OF })).toMatchObject({ refreshed: 1 });
    await db.update(sessions).set({ status: 'completed', completedTime: at(HOUR, at(-DAY)), durationMinutes: 60 }).where(eq(sessions.id, sessionId));
    await db.update(sessions).set({ studentId: 'someone-else' }).where(eq(sessions.id, sessionId));
    expect(await queued()).toBe(0);

    const gone = await addTutor();
    await db.delete(tutors).where(eq(tutors.id, gone));
    expect(await queued()).toBe(1);
    expect(await refreshDueScores(db, { asOf: AS_OF })).toMatchObject({ refreshed: 0, changesConsumed: 1 });
    expect(await queued()).toBe(0);
    await expectAllExact(AS_OF);
  });

  it('TRUNCATE of sessions makes every tutor due', async () => {
    const [a, b] = [await addTutor(), await addTutor()];
    await addSession(a, at(-DAY), 'tutor');
    await addSession(b, at(-DAY));
    await refreshDueScores(db, { asOf: AS_OF });
    await db.execute(sql`truncate ${sessions} cascade`);
    expect((await refreshDueScores(db, { asOf: AS_OF })).tutorIds).toEqual([a, b].sort());
    await expectAllExact(AS_OF);
  });

  it('takes at most limit tutors a call, in tutor id order, and says when there may be more', async () => {
    const ids = [];
    for (let i = 0; i < 5; i++) ids.push(await addTutor());
    ids.sort();
    const first = await refreshDueScores(db, { asOf: AS_OF, limit: 2 });
    expect(first).toMatchObject({ tutorIds: ids.slice(0, 2), more: true });
    expect(await refreshDueScores(db, { asOf: AS_OF, limit: 2 })).toMatchObject({ tutorIds: ids.slice(2, 4), more: true });
    expect(await refreshDueScores(db, { asOf: AS_OF, limit: 2 })).toMatchObject({ tutorIds: ids.slice(4), more: false });
    await expectAllExact(AS_OF);
    await expect(refreshDueScores(db, { limit: 0 })).rejects.toThrow(/refreshDueScores: limit must be a whole number of at least 1/);
    await expect(refreshDueScores(db, { threshold: 101 })).rejects.toThrow(InvalidOptionError);
  });

  it('a full refresh consumes no change: the next due refresh recomputes those tutors once', async () => {
    const tutorId = await addTutor();
    await addSession(tutorId, at(-DAY));
    await refreshTutorScores(db, { asOf: AS_OF });
    // The full refresh saw the change; the due refresh recomputes the same score once more, and then nothing.
    expect(await refreshDueScores(db, { asOf: AS_OF })).toMatchObject({ refreshed: 1 });
    expect(await refreshDueScores(db, { asOf: AS_OF })).toMatchObject({ refreshed: 0 });
    await expectAllExact(AS_OF);
  });

  if (backend.name === 'postgres') {
    it('a write whose transaction began before a refresh and committed after it', async () => {
      const tutorId = await addTutor();
      await addSession(tutorId, at(-DAY));
      await refreshDueScores(db, { asOf: AS_OF });
      await db.transaction(async (tx) => {
        const [row] = await tx
          .insert(sessions)
          .values({ tutorId, studentId: 'late', scheduledTime: at(-2 * DAY), status: 'rescheduled' })
          .returning();
        await tx.insert(reschedules).values({ sessionId: row!.id, initiator: 'tutor', originalTime: row!.scheduledTime, cancelledAt: at(-3 * DAY) });
        // Another connection refreshes while this transaction is open: it sees neither the rows nor their change.
        expect(await refreshDueScores(db, { asOf: AS_OF })).toMatchObject({ refreshed: 0 });
      });
      expect(await storedScore(tutorId)).toMatchObject({ totalSessions7d: 1 });
      expect(await refreshDueScores(db, { asOf: AS_OF })).toMatchObject({ refreshed: 1, tutorIds: [tutorId] });
      expect(await storedScore(tutorId)).toMatchObject({ totalSessions7d: 2, tutorReschedules7d: 1 });
      await expectAllExact(AS_OF);
    });
  } else {
    it.skip('a write whose transaction began before a refresh and committed after it (PGlite runs one connection: PostgreSQL only)', () => {});
  }

  it('model: random writes, deletes, moves, back-dated rows and clock advances; after every due refresh every score is exact', async () => {
    type Step =
      | { kind: 'insert'; tutor: number; offsetHours: number; initiator: RescheduleInitiator | null; backDated: boolean }
      | { kind: 'move'; session: number; tutor: number }
      | { kind: 'retime'; session: number; offsetHours: number }
      | { kind: 'initiator'; session: number }
      | { kind: 'status'; session: number }
      | { kind: 'reschedule'; session: number; initiator: RescheduleInitiator }
      | { kind: 'unreschedule'; session: number }
      | { kind: 'delete'; session: number }
      | { kind: 'newTutor' }
      | { kind: 'advance'; hours: number }
      | { kind: 'advanceToNextChange'; tutor: number; deltaMs: -1 | 0 | 1 }
      | { kind: 'refresh'; limit: number };
    const tutorIndex = fc.nat({ max: 9 });
    const sessionIndex = fc.nat({ max: 99 });
    // Sessions from 100 days before the start of the clock to 20 days after; the clock moves up to ~60 days on.
    const offsetHours = fc.integer({ min: -100 * 24, max: 20 * 24 });
    const initiator = fc.constantFrom<RescheduleInitiator>('tutor', 'student');
    const step: fc.Arbitrary<Step> = fc.oneof(
      { weight: 6, arbitrary: fc.record({ kind: fc.constant('insert' as const), tutor: tutorIndex, offsetHours, initiator: fc.option(initiator), backDated: fc.boolean() }) },
      { weight: 2, arbitrary: fc.record({ kind: fc.constant('move' as const), session: sessionIndex, tutor: tutorIndex }) },
      { weight: 2, arbitrary: fc.record({ kind: fc.constant('retime' as const), session: sessionIndex, offsetHours }) },
      { weight: 2, arbitrary: fc.record({ kind: fc.constant('initiator' as const), session: sessionIndex }) },
      { weight: 1, arbitrary: fc.record({ kind: fc.constant('status' as const), session: sessionIndex }) },
      { weight: 1, arbitrary: fc.record({ kind: fc.constant('reschedule' as const), session: sessionIndex, initiator }) },
      { weight: 1, arbitrary: fc.record({ kind: fc.constant('unreschedule' as const), session: sessionIndex }) },
      { weight: 2, arbitrary: fc.record({ kind: fc.constant('delete' as const), session: sessionIndex }) },
      { weight: 1, arbitrary: fc.record({ kind: fc.constant('newTutor' as const) }) },
      { weight: 2, arbitrary: fc.record({ kind: fc.constant('advance' as const), hours: fc.integer({ min: 0, max: 30 * 24 }) }) },
      { weight: 2, arbitrary: fc.record({ kind: fc.constant('advanceToNextChange' as const), tutor: tutorIndex, deltaMs: fc.constantFrom<-1 | 0 | 1>(-1, 0, 1) }) },
      { weight: 4, arbitrary: fc.record({ kind: fc.constant('refresh' as const), limit: fc.constantFrom(1, 2, 1_000) }) },
    );

    let refreshes = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 30, maxLength: 30 }), async (steps) => {
        await db.execute(sql`truncate ${tutors}, ${sessions}, ${reschedules}, ${tutorScores}, ${tutorScoreChanges} cascade`);
        const tutorIds: string[] = [];
        for (let i = 0; i < 3; i++) tutorIds.push(await addTutor());
        let clock = AS_OF;
        const pick = async (n: number) => {
          const rows = await db
            .select({ id: sessions.id, tutorId: sessions.tutorId, scheduledTime: sessions.scheduledTime, status: sessions.status, initiator: reschedules.initiator })
            .from(sessions)
            .leftJoin(reschedules, eq(reschedules.sessionId, sessions.id))
            .orderBy(sessions.id);
          return rows.length === 0 ? undefined : rows[n % rows.length];
        };
        /** Due refreshes until nothing is left (a `limit` smaller than the backlog takes several calls). */
        const refresh = async (limit: number) => {
          for (let call = 0; call < 20; call++) {
            refreshes += 1;
            if (!(await refreshDueScores(db, { asOf: clock, limit })).more) break;
          }
          await expectAllExact(clock);
        };
        for (const s of steps) {
          switch (s.kind) {
            case 'insert': {
              const time = at(s.offsetHours * HOUR, AS_OF);
              const old = new Date('2024-06-01T00:00:00Z');
              await db.transaction(async (tx) => {
                const [row] = await tx
                  .insert(sessions)
                  .values({
                    tutorId: tutorIds[s.tutor % tutorIds.length]!,
                    studentId: 'model',
                    scheduledTime: time,
                    status: s.initiator ? 'rescheduled' : 'no_show',
                    ...(s.backDated ? { createdAt: old, updatedAt: old } : {}),
                  })
                  .returning({ id: sessions.id });
                if (s.initiator) {
                  await tx.insert(reschedules).values({
                    sessionId: row!.id,
                    initiator: s.initiator,
                    originalTime: time,
                    cancelledAt: at(-HOUR, time),
                    ...(s.backDated ? { createdAt: old } : {}),
                  });
                }
              });
              break;
            }
            case 'move': {
              const row = await pick(s.session);
              if (row) await db.update(sessions).set({ tutorId: tutorIds[s.tutor % tutorIds.length]! }).where(eq(sessions.id, row.id));
              break;
            }
            case 'retime': {
              // A session with a reschedule keeps its time (the reschedule's original_time references it).
              const row = await pick(s.session);
              if (row && row.initiator === null) {
                await db.update(sessions).set({ scheduledTime: at(s.offsetHours * HOUR, AS_OF) }).where(eq(sessions.id, row.id));
              }
              break;
            }
            case 'initiator': {
              const row = await pick(s.session);
              if (row?.initiator) {
                await db
                  .update(reschedules)
                  .set({ initiator: row.initiator === 'tutor' ? 'student' : 'tutor' })
                  .where(eq(reschedules.sessionId, row.id));
              }
              break;
            }
            case 'status': {
              const row = await pick(s.session);
              if (row && row.initiator === null) {
                const completed = row.status !== 'completed';
                await db
                  .update(sessions)
                  .set({
                    status: completed ? 'completed' : 'no_show',
                    completedTime: completed ? at(HOUR, row.scheduledTime) : null,
                    durationMinutes: completed ? 60 : null,
                  })
                  .where(eq(sessions.id, row.id));
              }
              break;
            }
            case 'reschedule': {
              const row = await pick(s.session);
              if (row && row.initiator === null) {
                await db.transaction(async (tx) => {
                  await tx.update(sessions).set({ status: 'rescheduled', completedTime: null, durationMinutes: null }).where(eq(sessions.id, row.id));
                  await tx.insert(reschedules).values({ sessionId: row.id, initiator: s.initiator, originalTime: row.scheduledTime, cancelledAt: at(-HOUR, row.scheduledTime) });
                });
              }
              break;
            }
            case 'unreschedule': {
              const row = await pick(s.session);
              if (row?.initiator) {
                await db.transaction(async (tx) => {
                  await tx.delete(reschedules).where(eq(reschedules.sessionId, row.id));
                  await tx.update(sessions).set({ status: 'no_show' }).where(eq(sessions.id, row.id));
                });
              }
              break;
            }
            case 'delete': {
              const row = await pick(s.session);
              if (row) await db.delete(sessions).where(eq(sessions.id, row.id));
              break;
            }
            case 'newTutor':
              if (tutorIds.length < 6) tutorIds.push(await addTutor());
              break;
            case 'advance':
              clock = at(s.hours * HOUR, clock);
              break;
            case 'advanceToNextChange': {
              const [row] = await db
                .select({ next: tutorScores.nextChangeAt })
                .from(tutorScores)
                .where(inArray(tutorScores.tutorId, [tutorIds[s.tutor % tutorIds.length]!]));
              if (row?.next && row.next.getTime() + s.deltaMs > clock.getTime()) clock = at(s.deltaMs, row.next);
              break;
            }
            case 'refresh':
              await refresh(s.limit);
              break;
          }
        }
        await refresh(1_000);
      }),
      { numRuns: 25, seed: Number(process.env.TQS_MODEL_SEED ?? 20260315), endOnFailure: true },
    );
    expect(refreshes).toBeGreaterThan(25 * 5);
    // The model exercised something: the last run's queue is empty, and its scores exist.
    expect(await queued()).toBe(0);
    const [row] = await queryRows<{ n: number }>(db, sql`select count(*)::int as n from ${tutorScores}`);
    expect(row!.n).toBeGreaterThanOrEqual(3);
  }, 600_000);
});
