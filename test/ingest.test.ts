import { randomUUID } from 'node:crypto';
import { eq, sql } from 'drizzle-orm';
import fc from 'fast-check';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  computeTutorScore,
  ConstraintViolationError,
  generateDataset,
  insertDataset,
  qualityReport,
  qualityReportFromDatabase,
  ingestSession,
  ingestSessions,
  type IngestResult,
  listUpcomingSessions,
  migrate,
  refreshDueScores,
  refreshTutorScores,
  reschedules,
  rollback,
  SessionConflictError,
  type SessionPayload,
  sessions,
  type TqsDatabase,
  tutorScoreChanges,
  tutorScores,
  tutors,
  ValidationError,
} from '../src';
import { describeEachBackend, openTestDatabase } from './support/databases';

const AS_OF = new Date('2026-03-15T12:00:00.000Z');
const HOUR = 3_600_000;
const DAY = 86_400_000;
const iso = (ms: number, from: Date = AS_OF) => new Date(from.getTime() + ms).toISOString();

/** A tutor's id and details, as a payload carries them. */
const newTutor = (n: number) => ({ id: randomUUID(), tutor: { name: `Tutor ${n}`, email: `tutor${n}-${randomUUID().slice(0, 8)}@example.org` } });

/** The payloads of one session's lifecycle: booked, then each outcome it may get. */
function lifecycle(tutor: { id: string; tutor: { name: string; email: string } }, scheduledAt: number, from: Date = AS_OF) {
  const iso = (ms: number) => new Date(from.getTime() + ms).toISOString();
  const base = { id: randomUUID(), tutorId: tutor.id, tutor: tutor.tutor, studentId: 'student-7', scheduledTime: iso(scheduledAt) };
  return {
    scheduled: { ...base, status: 'scheduled' } satisfies SessionPayload,
    completed: { ...base, status: 'completed', completedTime: iso(scheduledAt + HOUR), durationMinutes: 60 } satisfies SessionPayload,
    completedLater: { ...base, status: 'completed', completedTime: iso(scheduledAt + 2 * HOUR), durationMinutes: 90 } satisfies SessionPayload,
    noShow: { ...base, status: 'no_show' } satisfies SessionPayload,
    rescheduled: {
      ...base,
      status: 'rescheduled',
      reschedule: { initiator: 'tutor', newTime: iso(scheduledAt + DAY), reasonCode: 'personal', cancelledAt: iso(scheduledAt - 3 * HOUR) },
    } satisfies SessionPayload,
    cancelled: {
      ...base,
      status: 'rescheduled',
      reschedule: { initiator: 'student', newTime: null, cancelledAt: iso(scheduledAt - 30 * HOUR) },
    } satisfies SessionPayload,
  };
}

const outcomes = (results: IngestResult[]) => results.map((r) => r.outcome);

async function refreshAllDue(db: TqsDatabase, asOf: Date) {
  for (let i = 0; i < 100; i++) {
    const { more } = await refreshDueScores(db, { asOf });
    if (!more) return;
  }
  throw new Error('refreshDueScores still had more after 100 calls');
}

/** Every tutor's stored score equals computeTutorScore at `asOf` (counts, rates, flag and next change). */
async function expectScoresExact(db: TqsDatabase, asOf: Date) {
  const stored = await db.select().from(tutorScores);
  const ids = (await db.select({ id: tutors.id }).from(tutors)).map((t) => t.id);
  expect(stored.length).toBe(ids.length);
  for (const row of stored) {
    const { asOf: _a, ...computed } = await computeTutorScore(db, row.tutorId, { asOf });
    const { id: _id, lastCalculatedAt: _l, createdAt: _c, updatedAt: _u, asOf: _rowAsOf, ...values } = row;
    expect(values, `tutor ${row.tutorId}`).toEqual(computed);
  }
}

describeEachBackend('session lifecycle', (backend) => {
  let db: TqsDatabase;
  beforeAll(async () => {
    db = await openTestDatabase(backend);
  });
  afterAll(() => db?.close());

  it("the rates leave out a session still 'scheduled' after its time, and count it once it has its outcome", async () => {
    const tutor = newTutor(1);
    const [a, b, c, overdue, future] = [-5, -4, -3, -2, 2].map((days) => lifecycle(tutor, days * DAY));
    expect(outcomes(await ingestSessions(db, [a!.rescheduled, b!.noShow, c!.completed, overdue!.scheduled, future!.scheduled]))).toEqual([
      'inserted', 'inserted', 'inserted', 'inserted', 'inserted',
    ]);
    const score = await computeTutorScore(db, tutor.id, { asOf: AS_OF });
    // 1 tutor reschedule of 3 sessions with an outcome: 33.33, not 25 (4 sessions) — the overdue booking waits.
    expect(score).toMatchObject({ totalSessions7d: 3, tutorReschedules7d: 1, rescheduleRate7d: 33.33 });
    // Nothing changes by time alone at the future booking's time: the next change is the oldest session leaving 7 days.
    expect(score.nextChangeAt).toEqual(new Date(AS_OF.getTime() + 2 * DAY));
    await refreshAllDue(db, AS_OF);
    expect(await db.$count(tutorScoreChanges)).toBe(0);

    // The overdue booking gets its outcome: captured, so the due refresh counts it.
    expect(await ingestSession(db, overdue!.rescheduled)).toEqual({ sessionId: overdue!.scheduled.id, outcome: 'updated' });
    expect(await db.$count(tutorScoreChanges)).toBeGreaterThan(0);
    await refreshAllDue(db, AS_OF);
    const [row] = await db.select().from(tutorScores).where(eq(tutorScores.tutorId, tutor.id));
    expect(row).toMatchObject({ totalSessions7d: 4, tutorReschedules7d: 2, rescheduleRate7d: 50 });
    await expectScoresExact(db, AS_OF);
  });

  it("the database refuses a session with an outcome going back to 'scheduled', naming sessions_status_transition", async () => {
    const s = lifecycle(newTutor(2), -DAY);
    await ingestSession(db, s.completed);
    const error = await db
      .update(sessions)
      .set({ status: 'scheduled', completedTime: null, durationMinutes: null })
      .where(eq(sessions.id, s.completed.id))
      .then(() => undefined, (e: unknown) => e);
    const { translateDatabaseError } = await import('../src');
    const translated = translateDatabaseError(error) as ConstraintViolationError;
    expect(translated).toBeInstanceOf(ConstraintViolationError);
    expect(translated).toMatchObject({ constraint: 'sessions_status_transition', sqlState: '23T02' });
    expect(translated.message).toContain("cannot go back to 'scheduled'");
  });
});

describeEachBackend('session_lifecycle down migration', (backend) => {
  it("refuses while scheduled sessions exist, saying how many, and rolls back once they have their outcome", async () => {
    const db = await openTestDatabase(backend);
    try {
      const booked = [1, 2, 3].map((days) => lifecycle(newTutor(days), days * DAY));
      await ingestSessions(db, booked.map((s) => s.scheduled));
      // Back to the migration before session_lifecycle, whatever migrations came after it (newest first, in one transaction).
      const error = await rollback(db, { to: '0007_read_model' }).then(() => undefined, (e: unknown) => e as Error);
      expect(error?.message).toMatch(/3 sessions have status 'scheduled'/);
      expect(await db.$count(sessions, eq(sessions.status, 'scheduled'))).toBe(3);
      await ingestSessions(db, booked.map((s) => s.noShow));
      const result = await rollback(db, { to: '0007_read_model' });
      expect(result.rolledBack.at(-1)).toMatch(/_session_lifecycle$/);
      await migrate(db);
    } finally {
      await db.close();
    }
  });
});

describeEachBackend('ingestSession', (backend) => {
  let db: TqsDatabase;
  beforeAll(async () => {
    db = await openTestDatabase(backend);
  });
  afterAll(() => db?.close());

  it('inserts, says unchanged for the same payload again, updates a forward move, and creates the tutor once', async () => {
    const tutor = newTutor(10);
    const s = lifecycle(tutor, 3 * DAY);
    expect(await ingestSession(db, s.scheduled)).toEqual({ sessionId: s.scheduled.id, outcome: 'inserted' });
    expect(await ingestSession(db, s.scheduled)).toEqual({ sessionId: s.scheduled.id, outcome: 'unchanged' });
    expect(await ingestSession(db, s.rescheduled)).toEqual({ sessionId: s.scheduled.id, outcome: 'updated' });
    expect(await ingestSession(db, s.rescheduled)).toEqual({ sessionId: s.scheduled.id, outcome: 'unchanged' });
    const [stored] = await db.select().from(sessions).where(eq(sessions.id, s.scheduled.id));
    expect(stored).toMatchObject({ status: 'rescheduled', completedTime: null, tutorId: tutor.id });
    const [reschedule] = await db.select().from(reschedules).where(eq(reschedules.sessionId, s.scheduled.id));
    expect(reschedule).toMatchObject({ initiator: 'tutor', reasonCode: 'personal', originalTime: new Date(s.scheduled.scheduledTime) });
    expect(await db.$count(tutors, eq(tutors.id, tutor.id))).toBe(1);
    // A known tutor needs no details.
    const other = lifecycle(tutor, 4 * DAY);
    const { tutor: _details, ...withoutDetails } = other.completed;
    expect(await ingestSession(db, withoutDetails)).toMatchObject({ outcome: 'inserted' });
  });

  it.each([
    ['tutorId', (p: Record<string, unknown>) => ({ ...p, tutorId: randomUUID() })],
    ['studentId', (p: Record<string, unknown>) => ({ ...p, studentId: 'someone-else' })],
    ['scheduledTime', (p: Record<string, unknown>) => ({ ...p, scheduledTime: iso(5 * DAY + HOUR) })],
  ])('refuses a payload whose %s contradicts the stored session, and changes nothing', async (field, change) => {
    const s = lifecycle(newTutor(11), 5 * DAY);
    await ingestSession(db, s.scheduled);
    const result = await ingestSession(db, change(s.scheduled));
    expect(result.outcome).toBe('refused');
    expect(result.error).toBeInstanceOf(SessionConflictError);
    expect((result.error as SessionConflictError).field).toBe(field);
    expect(result.error!.code).toBe('VALIDATION_FAILED');
    expect(result.error!.message).toContain(`${field}: is `);
    const [stored] = await db.select().from(sessions).where(eq(sessions.id, s.scheduled.id));
    expect(stored).toMatchObject({ studentId: 'student-7', scheduledTime: new Date(s.scheduled.scheduledTime) });
  });

  it('refuses an outcome sent back to scheduled, another outcome, and other details of the same outcome', async () => {
    const s = lifecycle(newTutor(12), -2 * DAY);
    await ingestSession(db, s.completed);
    const cases: [Record<string, unknown>, string][] = [
      [s.scheduled, 'status'],
      [s.noShow, 'status'],
      [s.rescheduled, 'status'],
      [s.completedLater, 'completedTime'],
      [{ ...s.completed, durationMinutes: 45 }, 'durationMinutes'],
    ];
    for (const [payload, field] of cases) {
      const result = await ingestSession(db, payload);
      expect(result, field).toMatchObject({ outcome: 'refused' });
      expect((result.error as SessionConflictError).field).toBe(field);
    }
    expect(((await ingestSession(db, s.scheduled)).error as Error).message).toMatch(/is 'completed' in the database: a session with an outcome never goes back to 'scheduled'/);
    const r = lifecycle(newTutor(13), -2 * DAY);
    await ingestSession(db, r.rescheduled);
    const changed = { ...r.rescheduled, reschedule: { ...r.rescheduled.reschedule, newTime: iso(-DAY + HOUR) } };
    expect(((await ingestSession(db, changed)).error as SessionConflictError).field).toBe('reschedule.newTime');
  });

  it('refuses an invalid payload naming each field, and an unknown tutor without details naming the foreign key', async () => {
    const s = lifecycle(newTutor(14), DAY);
    const cases: [unknown, string[]][] = [
      [{ ...s.rescheduled, reschedule: undefined }, ['reschedule']],
      [{ ...s.scheduled, reschedule: s.rescheduled.reschedule }, ['reschedule']],
      [{ ...s.rescheduled, reschedule: { ...s.rescheduled.reschedule, newTime: 'tomorrow' } }, ['reschedule.newTime']],
      [{ ...s.rescheduled, reschedule: { ...s.rescheduled.reschedule, newTime: iso(-DAY, new Date(s.scheduled.scheduledTime)) } }, ['reschedule.newTime']],
      [{ ...s.scheduled, completedTime: iso(DAY + HOUR) }, ['completedTime']],
      [{ ...s.completed, completedTme: iso(DAY + HOUR) }, ['(row)']],
      [{ ...s.scheduled, status: 'cancelled' }, ['status']],
      [{ ...s.scheduled, tutor: { name: ' ', email: 'x@example.org' } }, ['tutor.name']],
      [{ ...s.scheduled, id: undefined }, ['id']],
      [{ ...s.scheduled, id: 'not-a-uuid' }, ['id']],
    ];
    for (const [payload, paths] of cases) {
      const result = await ingestSession(db, payload);
      expect(result.outcome, JSON.stringify(payload)).toBe('refused');
      expect(result.error).toBeInstanceOf(ValidationError);
      expect((result.error as ValidationError).issues.map((i) => i.path), JSON.stringify(payload)).toEqual(paths);
    }
    const { tutor: _t, ...unknownTutor } = { ...s.scheduled, tutorId: randomUUID() };
    const result = await ingestSession(db, unknownTutor);
    expect(result.outcome).toBe('refused');
    expect((result.error as ConstraintViolationError).constraint).toBe('sessions_tutor_id_fk');
    expect(await db.$count(sessions, eq(sessions.id, s.scheduled.id))).toBe(0);
  });

  it('a batch returns one result per payload in order, and a bad payload loses none of the others', async () => {
    const tutor = newTutor(15);
    const [a, b, c] = [1, 2, 3].map((d) => lifecycle(tutor, d * DAY));
    // An unknown tutor without details fails the group's multi-row insert: every payload then goes one by one.
    const { tutor: _t, ...unknownTutor } = { ...lifecycle(newTutor(16), DAY).scheduled, tutorId: randomUUID() };
    const results = await ingestSessions(db, [a!.scheduled, { ...b!.scheduled, status: 'maybe' }, c!.scheduled, a!.scheduled, 42, unknownTutor, a!.noShow]);
    expect(results.map((r) => [r.sessionId, r.outcome])).toEqual([
      [a!.scheduled.id, 'inserted'],
      [b!.scheduled.id, 'refused'],
      [c!.scheduled.id, 'inserted'],
      [a!.scheduled.id, 'unchanged'],
      [null, 'refused'],
      [unknownTutor.id, 'refused'],
      [a!.scheduled.id, 'updated'],
    ]);
    expect((results[5]!.error as ConstraintViolationError).constraint).toBe('sessions_tutor_id_fk');
    expect(await db.$count(sessions, sql`${sessions.id} in (${a!.scheduled.id}, ${c!.scheduled.id})`)).toBe(2);
  });

  it('lists the booked sessions of the next hours with their tutor’s risk, keyset paged, filtered by risk and tutor', async () => {
    const now = new Date(Date.UTC(2031, 0, 10, 12));
    const risky = newTutor(20);
    const calm = newTutor(21);
    // The risky tutor cancels most of last week's sessions; the calm one completes them.
    const past = [1, 2, 3].flatMap((d) => [lifecycle(risky, -d * DAY, now).rescheduled, lifecycle(calm, -d * DAY, now).completed]);
    const booked = [1, 5, 9, 13, 30, 47, 49].map((h, i) => lifecycle(i % 2 ? risky : calm, h * HOUR, now).scheduled);
    expect(outcomes(await ingestSessions(db, [...past, ...booked])).every((o) => o === 'inserted')).toBe(true);
    // An overdue booking and one with its outcome already are not upcoming.
    await ingestSession(db, lifecycle(risky, -HOUR, now).scheduled);
    await ingestSession(db, lifecycle(risky, 2 * HOUR, now).noShow);
    await refreshTutorScores(db, { asOf: now, tutorIds: [risky.id, calm.id] });

    const all = await listUpcomingSessions(db, { within: 48, now, limit: 100 });
    const expected = booked.slice(0, 6).map((s) => s.id);
    expect(all.sessions.map((s) => s.sessionId)).toEqual(expected);
    expect(all.nextCursor).toBeUndefined();
    expect(all.sessions[1]).toMatchObject({ tutorId: risky.id, tutorName: 'Tutor 20', riskCategory: 'high', isHighRisk: true, rescheduleRate7d: 100 });
    expect(all.sessions[0]).toMatchObject({ tutorId: calm.id, riskCategory: 'low', isHighRisk: false, rescheduleRate7d: 0 });

    const paged: string[] = [];
    let after: string | undefined;
    for (let i = 0; i < 10; i++) {
      const page = await listUpcomingSessions(db, { within: 48, now, limit: 4, ...(after ? { after } : {}) });
      paged.push(...page.sessions.map((s) => s.sessionId));
      after = page.nextCursor;
      if (!after) break;
    }
    expect(paged).toEqual(expected);
    const high = await listUpcomingSessions(db, { within: 48, now, riskCategories: ['high'] });
    expect(high.sessions.map((s) => s.sessionId)).toEqual(expected.filter((_, i) => i % 2 === 1));
    const calmOnly = await listUpcomingSessions(db, { within: 10, now, tutorId: calm.id });
    expect(calmOnly.sessions.map((s) => s.sessionId)).toEqual([expected[0], expected[2]]);
    await expect(listUpcomingSessions(db, { within: 0, now })).rejects.toMatchObject({ code: 'INVALID_OPTION', option: 'within' });
    await expect(listUpcomingSessions(db, { within: 5, now, after: 'nonsense' })).rejects.toMatchObject({ code: 'INVALID_OPTION', option: 'after' });
    await expect(listUpcomingSessions(db, { within: 5, now, riskCategories: ['severe' as never] })).rejects.toMatchObject({ option: 'riskCategories' });
  });
});

/*
 * The model of ingest: what a session's stored state becomes, and what each delivery says, for any order of
 * deliveries. Written from the rules in docs/ingest.md, independently of src/ingest.
 */
type Variant = 'scheduled' | 'completed' | 'completedLater' | 'noShow' | 'rescheduled' | 'cancelled' | 'otherStudent';
const variants: Variant[] = ['scheduled', 'completed', 'completedLater', 'noShow', 'rescheduled', 'cancelled', 'otherStudent'];
const statusOf: Record<Variant, string> = {
  scheduled: 'scheduled', otherStudent: 'scheduled', completed: 'completed', completedLater: 'completed',
  noShow: 'no_show', rescheduled: 'rescheduled', cancelled: 'rescheduled',
};

function modelDeliver(stored: Variant | undefined, sent: Variant): { outcome: IngestResult['outcome']; state: Variant | undefined } {
  if (stored === undefined) return { outcome: 'inserted', state: sent };
  if ((stored === 'otherStudent') !== (sent === 'otherStudent')) return { outcome: 'refused', state: stored };
  if (stored === sent) return { outcome: 'unchanged', state: stored };
  if (statusOf[stored] === 'scheduled' && statusOf[sent] !== 'scheduled') return { outcome: 'updated', state: sent };
  return { outcome: 'refused', state: stored };
}

describeEachBackend('ingest against a model', (backend) => {
  let db: TqsDatabase;
  beforeAll(async () => {
    db = await openTestDatabase(backend);
  });
  afterAll(() => db?.close());
  beforeEach(async () => {
    await db.execute(sql`truncate ${tutors}, ${sessions}, ${reschedules}, ${tutorScores}, ${tutorScoreChanges} cascade`);
  });

  it('random deliveries (repeated, reordered, contradictory): stored state and outcomes equal the model, and due scores a full recomputation', async () => {
    const delivery = fc.record({ session: fc.nat({ max: 5 }), variant: fc.constantFrom(...variants) });
    let runs = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.integer({ min: -12, max: 4 }), { minLength: 6, maxLength: 6 }),
        fc.array(delivery, { minLength: 1, maxLength: 25 }),
        async (days, deliveries) => {
          runs += 1;
          await db.execute(sql`truncate ${tutors}, ${sessions}, ${reschedules}, ${tutorScores}, ${tutorScoreChanges} cascade`);
          const tutorsOf = [newTutor(1), newTutor(2)];
          const lifecycles = days.map((d, i) => {
            const l = lifecycle(tutorsOf[i % 2]!, d * DAY + i * HOUR);
            return { ...l, otherStudent: { ...l.scheduled, studentId: 'student-8' } } as Record<Variant, SessionPayload>;
          });
          // Scores of the tutors before, so that the due refresh has something to bring up to date.
          await ingestSession(db, lifecycle(tutorsOf[0]!, -20 * DAY).completed);
          await ingestSession(db, lifecycle(tutorsOf[1]!, -20 * DAY).noShow);
          await refreshTutorScores(db, { asOf: AS_OF });
          await refreshAllDue(db, AS_OF);

          const model: (Variant | undefined)[] = lifecycles.map(() => undefined);
          // Half the runs deliver one payload per call, half the whole sequence in one ingestSessions call (its
          // multi-row paths): each payload's outcome is the model's either way.
          const inOneCall = deliveries.length % 2 === 0;
          const batch = inOneCall ? await ingestSessions(db, deliveries.map(({ session, variant }) => lifecycles[session]![variant])) : [];
          for (const [i, { session, variant }] of deliveries.entries()) {
            const expected = modelDeliver(model[session], variant);
            const result = inOneCall ? batch[i]! : await ingestSession(db, lifecycles[session]![variant]);
            expect(result.outcome, `${variant} onto ${model[session]}${inOneCall ? ' (one call)' : ''}`).toBe(expected.outcome);
            model[session] = expected.state;
          }
          for (const [i, state] of model.entries()) {
            const id = lifecycles[i]!.scheduled.id;
            const [row] = await db.select().from(sessions).where(eq(sessions.id, id));
            const [reschedule] = await db.select().from(reschedules).where(eq(reschedules.sessionId, id));
            if (state === undefined) {
              expect(row).toBeUndefined();
              continue;
            }
            const p = lifecycles[i]![state];
            expect(row).toMatchObject({
              status: p.status,
              studentId: p.studentId,
              completedTime: p.completedTime ? new Date(p.completedTime) : null,
              durationMinutes: p.durationMinutes ?? null,
            });
            expect(reschedule?.newTime?.toISOString() ?? null).toBe(p.reschedule ? (p.reschedule.newTime ?? null) : null);
            expect(reschedule?.initiator).toBe(p.reschedule?.initiator);
          }
          await refreshAllDue(db, AS_OF);
          await expectScoresExact(db, AS_OF);
        },
      ),
      { numRuns: backend.name === 'pglite' ? 20 : 30, seed: 24 },
    );
    expect(runs).toBeGreaterThanOrEqual(20);
  });
});

describe.runIf(process.env.TQS_TEST_DATABASE_URL)('concurrent delivery [postgres]', () => {
  let db: TqsDatabase;
  beforeAll(async () => {
    db = await openTestDatabase({ name: 'postgres', url: process.env.TQS_TEST_DATABASE_URL! });
  });
  afterAll(() => db?.close());

  it('8 workers delivering the same sessions (duplicates, reordered) double nothing and lose nothing', async () => {
    const tutorList = Array.from({ length: 5 }, (_, i) => newTutor(100 + i));
    const all = Array.from({ length: 60 }, (_, i) => lifecycle(tutorList[i % tutorList.length]!, (i - 30) * HOUR));
    const finalOf = (i: number) => (['completed', 'noShow', 'rescheduled', 'cancelled'] as const)[i % 4]!;
    // Each worker: every session's booking and its outcome, twice, in its own shuffled order.
    const worker = (seed: number) => {
      const deliveries = all.flatMap((s, i) => [s.scheduled, s[finalOf(i)], s.scheduled, s[finalOf(i)]]);
      let x = seed * 7919 + 1;
      for (let i = deliveries.length - 1; i > 0; i--) {
        x = (x * 48271) % 2147483647;
        const j = x % (i + 1);
        [deliveries[i], deliveries[j]] = [deliveries[j]!, deliveries[i]!];
      }
      return ingestSessions(db, deliveries);
    };
    const results = (await Promise.all(Array.from({ length: 8 }, (_, w) => worker(w + 1)))).flat();
    const unexpected = results.filter(
      (r) => r.outcome === 'refused' && !(r.error instanceof SessionConflictError && r.error.field === 'status'),
    );
    expect(unexpected.map((r) => r.error?.message)).toEqual([]);
    for (const [i, s] of all.entries()) {
      const mine = results.filter((r) => r.sessionId === s.scheduled.id);
      expect(mine).toHaveLength(8 * 4);
      expect(mine.filter((r) => r.outcome === 'inserted')).toHaveLength(1);
      // The outcome is written once: by its insert, or by one update of the booking.
      expect(mine.filter((r) => r.outcome === 'updated').length).toBeLessThanOrEqual(1);
      const [row] = await db.select().from(sessions).where(eq(sessions.id, s.scheduled.id));
      expect(row?.status).toBe(s[finalOf(i)].status);
    }
    expect(await db.$count(sessions)).toBe(all.length);
    expect(await db.$count(reschedules)).toBe(all.filter((_, i) => finalOf(i) === 'rescheduled' || finalOf(i) === 'cancelled').length);
    expect(await db.$count(tutors)).toBe(tutorList.length);
    await refreshTutorScores(db, { asOf: AS_OF });
    await expectScoresExact(db, AS_OF);
  });
});

describeEachBackend('generated booked sessions', (backend) => {
  let db: TqsDatabase;
  beforeAll(async () => {
    db = await openTestDatabase(backend);
  });
  afterAll(() => db?.close());

  const now = new Date('2026-01-15T12:00:00.000Z');
  const options = { now, seed: 11, tutors: 40, sessions: 1200 };

  it('bookedDays: scheduled sessions of active tutors in (now, now + N days], the past rows unchanged, the report checking them', async () => {
    const plain = generateDataset(options);
    const booked = generateDataset({ ...options, bookedDays: 14 });
    const ahead = booked.sessions.filter((s) => s.status === 'scheduled');
    expect(booked.sessions.filter((s) => s.status !== 'scheduled')).toEqual(plain.sessions);
    expect(booked.reschedules).toEqual(plain.reschedules);
    // At each active tutor's own pace: about 14/90 of the past sessions.
    const active = new Set(booked.tutors.filter((t) => t.isActive).map((t) => t.id));
    const pastOfActive = plain.sessions.filter((s) => active.has(s.tutorId)).length;
    expect(ahead.length).toBeGreaterThan(pastOfActive * (14 / 90) * 0.8);
    expect(ahead.length).toBeLessThan(pastOfActive * (14 / 90) * 1.2);
    for (const s of ahead) {
      expect(active.has(s.tutorId)).toBe(true);
      expect(s.scheduledTime.getTime()).toBeGreaterThan(now.getTime());
      expect(s.scheduledTime.getTime()).toBeLessThanOrEqual(now.getTime() + 14 * DAY);
      expect(s.createdAt.getTime()).toBeLessThanOrEqual(now.getTime());
    }
    // The spec's distributions are measured over the past sessions: the same figures with or without booked ones.
    const [withBooked, without] = [qualityReport(booked), qualityReport(plain)];
    expect(withBooked.targets).toEqual(without.targets);
    const overdue = (r: typeof withBooked) => r.integrity.checks.find((c) => c.id === 'booked_session_overdue');
    expect(overdue(withBooked)).toMatchObject({ violations: 0, status: 'pass' });
    // A booked session in the past is what the check catches.
    const stale = { ...booked, sessions: [...booked.sessions, { ...ahead[0]!, id: randomUUID(), scheduledTime: new Date(now.getTime() - DAY) }] };
    expect(overdue(qualityReport(stale))).toMatchObject({ violations: 1, status: 'fail' });

    await insertDataset(db, booked, { clearExisting: true });
    const report = await qualityReportFromDatabase(db, { asOf: now });
    expect(report.integrity.checks.filter((c) => c.status === 'fail')).toEqual([]);
    // The measured figures (not those that need the dataset's options or ground truth) are the past sessions'.
    const measured = (r: typeof report) => r.targets.results.filter((x) => !/tier/.test(x.id)).map((x) => [x.id, x.achieved]);
    expect(measured(report)).toEqual(measured(without));
    const upcoming = await listUpcomingSessions(db, { within: 48, now, limit: 1000 });
    const expected = ahead.filter((s) => s.scheduledTime.getTime() < now.getTime() + 48 * HOUR);
    expect(upcoming.sessions.map((s) => s.sessionId).sort()).toEqual(expected.map((s) => s.id).sort());
    expect(upcoming.sessions.every((s) => s.riskCategory !== null)).toBe(true);
  });
});
