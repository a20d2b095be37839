import { sql } from 'drizzle-orm';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  acknowledgeRiskEvent,
  clearDatabase,
  fleetSummary,
  fleetSummarySchema,
  generateDataset,
  getTutorOverview,
  insertDataset,
  listRiskEvents,
  listTutorReschedules,
  listTutors,
  type ListTutorsOptions,
  operationsStatus,
  operationsStatusSchema,
  pruneScoreHistory,
  queryRows,
  refreshDueScores,
  refreshTutorScores,
  rescheduleBreakdown,
  rescheduleBreakdownSchema,
  rescheduleTrend,
  rescheduleTrendSchema,
  riskEventPageSchema,
  scoreHistory,
  scoreHistorySchema,
  type TqsDatabase,
  TqsError,
  tutorListPageSchema,
  tutorOverviewSchema,
  tutorReschedulePageSchema,
  tutorSortKeys,
} from '../src';
import { createDatabase, rawClient } from '../src';
import { describeEachBackend, openTestDatabase } from './support/databases';

const NOW = new Date('2026-03-15T12:00:00.000Z');
const DAY = 86_400_000;
const HOUR = 3_600_000;
const ZONES = ['UTC', 'America/New_York', 'Asia/Kolkata', 'Pacific/Chatham'] as const;

/** The rows the calls read, fetched with plain selects; every expectation below is computed from these in JS. */
interface Raw {
  tutors: { id: string; name: string; email: string | null; is_active: boolean }[];
  scores: {
    tutor_id: string;
    r7: number | null;
    r30: number | null;
    r90: number | null;
    is_high_risk: boolean;
    risk_category: string | null;
  }[];
  sessions: {
    id: string;
    tutor_id: string;
    ms: number;
    status: string;
    reschedule_id: string | null;
    initiator: string | null;
    new_time: number | null;
    reason_code: string | null;
    hours: number | null;
  }[];
}

async function readRaw(db: TqsDatabase): Promise<Raw> {
  const [tutors, scores, sessions] = await Promise.all([
    queryRows<Raw['tutors'][number]>(db, sql`select id::text, name, email, is_active from tutors`),
    queryRows<Raw['scores'][number]>(
      db,
      sql`select tutor_id::text, reschedule_rate_7d::float8 as r7, reschedule_rate_30d::float8 as r30,
        reschedule_rate_90d::float8 as r90, is_high_risk, risk_category from tutor_scores`,
    ),
    queryRows<Raw['sessions'][number]>(
      db,
      sql`select s.id::text, s.tutor_id::text, (extract(epoch from s.scheduled_time) * 1000)::float8 as ms, s.status,
        r.id::text as reschedule_id, r.initiator, (extract(epoch from r.new_time) * 1000)::float8 as new_time,
        r.reason_code, r.hours_before_session::float8 as hours
      from sessions s left join reschedules r on r.session_id = s.id`,
    ),
  ]);
  return { tutors, scores, sessions };
}

/** Local calendar parts of an instant in a time zone, by Intl (not by the database). */
function localParts(ms: number, timeZone: string) {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    hourCycle: 'h23',
  }).formatToParts(new Date(ms));
  const get = (type: string) => Number(parts.find((p) => p.type === type)!.value);
  const civil = Date.UTC(get('year'), get('month') - 1, get('day'));
  return { civil, hour: get('hour'), minute: get('minute'), second: get('second'), isoWeekday: ((new Date(civil).getUTCDay() + 6) % 7) + 1 };
}

/** The bucket a civil day (UTC midnight of that date) falls in, as the civil date of its first day. */
function bucketOf(civil: number, bucket: 'day' | 'week' | 'month'): number {
  const d = new Date(civil);
  if (bucket === 'day') return civil;
  if (bucket === 'week') return civil - ((d.getUTCDay() + 6) % 7) * DAY;
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);
}

const round2 = (x: number) => Math.round(x * 100) / 100;
const close = (a: number | null, b: number | null) => (a === null || b === null ? a === b : Math.abs(a - b) <= 0.0100001);

const periodArb = fc
  .record({ startDays: fc.integer({ min: -5, max: 140 }), startHours: fc.integer({ min: 0, max: 23 }), lengthHours: fc.integer({ min: 1, max: 100 * 24 }) })
  .map(({ startDays, startHours, lengthHours }) => {
    const from = new Date(NOW.getTime() - startDays * DAY - startHours * HOUR);
    return { from, to: new Date(from.getTime() + lengthHours * HOUR) };
  });

describeEachBackend('read model', (backend) => {
  let db: TqsDatabase;
  let raw: Raw;

  beforeAll(async () => {
    db = await openTestDatabase(backend);
  });
  afterAll(() => db?.close());

  // Random generated databases: each is loaded, then every call is compared with its plain expectation on random options.
  const datasets = fc.sample(
    fc.record({ seed: fc.integer({ min: 0, max: 100_000 }), tutors: fc.integer({ min: 4, max: 14 }), sessions: fc.integer({ min: 50, max: 700 }) }),
    { seed: 23, numRuns: 2 },
  );

  for (const [index, spec] of datasets.entries()) {
    describe(`dataset ${index + 1} (seed ${spec.seed}, ${spec.tutors} tutors, ${spec.sessions} sessions)`, () => {
      beforeAll(async () => {
        await clearDatabase(db, { confirm: true });
        await insertDataset(db, generateDataset({ ...spec, days: 120, now: NOW }));
        raw = await readRaw(db);
      });

      it('rescheduleTrend: every bucket present, in the time zone, weeks from Monday, counts as the sessions say', async () => {
        await fc.assert(
          fc.asyncProperty(
            periodArb,
            fc.constantFrom('day', 'week', 'month' as const),
            fc.constantFrom(...ZONES),
            fc.boolean(),
            fc.nat(),
            async ({ from, to }, bucket, timeZone, perTutor, pick) => {
              const tutorId = perTutor ? raw.tutors[pick % raw.tutors.length]!.id : undefined;
              const trend = rescheduleTrendSchema.parse(await rescheduleTrend(db, { from, to, bucket, timeZone, tutorId }));
              // Expected buckets: every civil day of the period, in the zone, mapped to its bucket.
              const keys: number[] = [];
              const last = localParts(to.getTime() - 1, timeZone).civil;
              for (let day = localParts(from.getTime(), timeZone).civil; day <= last; day += DAY) {
                const key = bucketOf(day, bucket);
                if (keys[keys.length - 1] !== key) keys.push(key);
              }
              const expected = new Map(keys.map((k) => [k, { sessions: 0, tutorReschedules: 0 }]));
              for (const s of raw.sessions) {
                if (s.ms < from.getTime() || s.ms >= to.getTime() || (tutorId && s.tutor_id !== tutorId)) continue;
                const counts = expected.get(bucketOf(localParts(s.ms, timeZone).civil, bucket))!;
                counts.sessions += 1;
                if (s.initiator === 'tutor') counts.tutorReschedules += 1;
              }
              expect(trend.buckets.map((b) => localParts(Date.parse(b.start), timeZone))).toEqual(
                keys.map((civil) => expect.objectContaining({ civil, hour: 0, minute: 0, second: 0 })),
              );
              expect(trend.buckets.map(({ sessions, tutorReschedules, rate }) => ({ sessions, tutorReschedules, rate }))).toEqual(
                [...expected.values()].map((c) => ({ ...c, rate: c.sessions > 0 ? round2((100 * c.tutorReschedules) / c.sessions) : null })),
              );
            },
          ),
          { numRuns: 12 },
        );
      });

      it('rescheduleBreakdown: each grouping as the reschedules say', async () => {
        await fc.assert(
          fc.asyncProperty(
            periodArb,
            fc.constantFrom('reasonCode', 'weekday', 'hour', 'leadTime', 'initiator' as const),
            fc.constantFrom(...ZONES),
            fc.boolean(),
            fc.nat(),
            async ({ from, to }, by, timeZone, perTutor, pick) => {
              const tutorId = perTutor ? raw.tutors[pick % raw.tutors.length]!.id : undefined;
              const { groups } = rescheduleBreakdownSchema.parse(await rescheduleBreakdown(db, { from, to, by, timeZone, tutorId }));
              const rows = raw.sessions.filter(
                (s) => s.reschedule_id && s.ms >= from.getTime() && s.ms < to.getTime() && (!tutorId || s.tutor_id === tutorId),
              );
              const keyOf = (s: Raw['sessions'][number]): string | number | null =>
                by === 'reasonCode'
                  ? s.reason_code
                  : by === 'weekday'
                    ? localParts(s.ms, timeZone).isoWeekday
                    : by === 'hour'
                      ? localParts(s.ms, timeZone).hour
                      : by === 'leadTime'
                        ? s.hours! < 24 ? 'under24h' : s.hours! < 72 ? '1to3days' : '3daysOrMore'
                        : s.initiator;
              const counts = new Map<string | number | null, number>();
              for (const s of rows) counts.set(keyOf(s), (counts.get(keyOf(s)) ?? 0) + 1);
              const all: Record<string, (string | number)[]> = {
                weekday: [1, 2, 3, 4, 5, 6, 7],
                hour: Array.from({ length: 24 }, (_, h) => h),
                leadTime: ['under24h', '1to3days', '3daysOrMore'],
                initiator: ['tutor', 'student'],
              };
              if (by === 'reasonCode') {
                expect(new Map(groups.map((g) => [g.key, g.count]))).toEqual(counts);
                const sorted = [...groups].sort((a, b) => b.count - a.count);
                expect(groups.map((g) => g.count)).toEqual(sorted.map((g) => g.count));
              } else {
                expect(groups).toEqual(all[by]!.map((key) => ({ key, count: counts.get(key) ?? 0 })));
              }
            },
          ),
          { numRuns: 15 },
        );
      });

      it('fleetSummary: counts, means, medians and 30-day totals as the rows say', async () => {
        for (const asOf of [NOW, new Date(NOW.getTime() - 47 * DAY + 5 * HOUR)]) {
          const summary = fleetSummarySchema.parse(await fleetSummary(db, { asOf }));
          const scored = raw.scores.length;
          expect(summary).toMatchObject({
            tutors: raw.tutors.length,
            activeTutors: raw.tutors.filter((t) => t.is_active).length,
            scored,
            unscored: raw.tutors.length - scored,
            flagged: raw.scores.filter((s) => s.is_high_risk).length,
            byRiskCategory: Object.fromEntries(['low', 'medium', 'high'].map((c) => [c, raw.scores.filter((s) => s.risk_category === c).length])),
          });
          for (const [key, field] of [['r7', 'rescheduleRate7d'], ['r30', 'rescheduleRate30d'], ['r90', 'rescheduleRate90d']] as const) {
            const values = raw.scores.map((s) => s[key]).filter((v): v is number => v !== null).sort((a, b) => a - b);
            const mean = values.length ? round2(values.reduce((a, b) => a + b, 0) / values.length) : null;
            const mid = values.length / 2;
            const median = values.length ? round2(values.length % 2 ? values[Math.floor(mid)]! : (values[mid - 1]! + values[mid]!) / 2) : null;
            expect(close(summary.averageRates[field], mean), `${field} mean`).toBe(true);
            expect(close(summary.medianRates[field], median), `${field} median`).toBe(true);
          }
          const window = raw.sessions.filter((s) => s.ms > asOf.getTime() - 30 * DAY && s.ms <= asOf.getTime());
          expect(summary.last30Days).toEqual({
            sessions: window.length,
            completed: window.filter((s) => s.status === 'completed').length,
            noShows: window.filter((s) => s.status === 'no_show').length,
            reschedules: window.filter((s) => s.reschedule_id).length,
            tutorReschedules: window.filter((s) => s.initiator === 'tutor').length,
            studentReschedules: window.filter((s) => s.initiator === 'student').length,
          });
        }
      });

      it('getTutorOverview and listTutorReschedules: each window and each page as the tutor\'s sessions say', async () => {
        for (const tutor of raw.tutors.slice(0, 4)) {
          const overview = tutorOverviewSchema.parse(await getTutorOverview(db, tutor.id, { asOf: NOW }));
          expect(overview.tutor).toMatchObject({ tutorId: tutor.id, name: tutor.name, email: tutor.email, isActive: tutor.is_active });
          const score = raw.scores.find((s) => s.tutor_id === tutor.id);
          expect(overview.score?.rescheduleRate30d ?? null).toEqual(score ? score.r30 : null);
          for (const w of overview.windows) {
            const rows = raw.sessions.filter((s) => s.tutor_id === tutor.id && s.ms > NOW.getTime() - w.days * DAY && s.ms <= NOW.getTime());
            const resc = rows.filter((s) => s.reschedule_id);
            const codes = new Map<string, number>();
            for (const s of resc) if (s.reason_code) codes.set(s.reason_code, (codes.get(s.reason_code) ?? 0) + 1);
            const top = [...codes].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))[0];
            const lastMinute = resc.filter((s) => s.hours! < 24).length;
            expect(w).toEqual({
              days: w.days,
              sessions: rows.length,
              completed: rows.filter((s) => s.status === 'completed').length,
              rescheduled: rows.filter((s) => s.status === 'rescheduled').length,
              noShows: rows.filter((s) => s.status === 'no_show').length,
              tutorReschedules: rows.filter((s) => s.initiator === 'tutor').length,
              studentReschedules: rows.filter((s) => s.initiator === 'student').length,
              cancellations: resc.filter((s) => s.new_time === null).length,
              lastMinuteReschedules: lastMinute,
              lastMinuteShare: resc.length ? round2((100 * lastMinute) / resc.length) : null,
              // Ties between codes: the database's text order may differ from JS's, so only the count is compared then.
              mostCommonReasonCode: top && [...codes.values()].filter((n) => n === top[1]).length === 1 ? top[0] : w.mostCommonReasonCode,
              rescheduleRate: rows.length ? round2((100 * rows.filter((s) => s.initiator === 'tutor').length) / rows.length) : null,
            });
            if (w.days === 90 && score) expect(w.rescheduleRate).toEqual(score.r90);
          }
          // Every reschedule of the period once, newest first, across pages of 3.
          const from = new Date(NOW.getTime() - 60 * DAY);
          const seen: { id: string; time: number }[] = [];
          let after: string | undefined;
          for (let page = 0; page < 100; page += 1) {
            const result = tutorReschedulePageSchema.parse(await listTutorReschedules(db, tutor.id, { from, to: NOW, limit: 3, after }));
            seen.push(...result.reschedules.map((r) => ({ id: r.rescheduleId, time: Date.parse(r.sessionTime) })));
            const expectedTotal = raw.sessions.filter((s) => s.tutor_id === tutor.id && s.reschedule_id && s.ms >= from.getTime() && s.ms < NOW.getTime()).length;
            expect(result.total).toBe(expectedTotal);
            after = result.nextCursor;
            if (!after) break;
          }
          const expected = raw.sessions
            .filter((s) => s.tutor_id === tutor.id && s.reschedule_id && s.ms >= from.getTime() && s.ms < NOW.getTime())
            .sort((a, b) => b.ms - a.ms);
          expect(seen.map((s) => s.time)).toEqual(expected.map((s) => s.ms));
          expect(new Set(seen.map((s) => s.id)).size).toBe(seen.length);
        }
        await expect(getTutorOverview(db, '00000000-0000-4000-8000-000000000000')).rejects.toMatchObject({ code: 'NOT_FOUND' });
      });

      it('listTutors: every filter and sort in the order of a plain query, across pages, with the same total', async () => {
        const optionsArb = fc.record(
          {
            riskCategories: fc.subarray(['low', 'medium', 'high'] as const, { minLength: 1 }),
            flagged: fc.boolean(),
            scored: fc.boolean(),
            search: fc.oneof(
              fc.constantFrom('a', 'E', '%', '_', 'example', 'zz-none'),
              fc.nat().map((n) => {
                const t = raw.tutors[n % raw.tutors.length]!;
                const text = n % 2 && t.email ? t.email : t.name;
                const start = n % Math.max(1, text.length - 2);
                return text.slice(start, start + 3).toUpperCase().trim() || 'a';
              }),
            ),
            sort: fc.record({ by: fc.constantFrom(...tutorSortKeys), direction: fc.constantFrom('asc', 'desc' as const) }),
          },
          { requiredKeys: ['sort'] },
        );
        await fc.assert(
          fc.asyncProperty(optionsArb, fc.integer({ min: 1, max: 5 }), async (options, limit) => {
            const column = {
              rescheduleRate7d: 'ts.reschedule_rate_7d',
              rescheduleRate30d: 'ts.reschedule_rate_30d',
              rescheduleRate90d: 'ts.reschedule_rate_90d',
              totalSessions7d: 'ts.total_sessions_7d',
              totalSessions30d: 'ts.total_sessions_30d',
              totalSessions90d: 'ts.total_sessions_90d',
              name: 't.name',
              lastCalculatedAt: 'ts.last_calculated_at',
            }[options.sort.by];
            const where = [sql`true`];
            if (options.riskCategories) where.push(sql`ts.risk_category = any(${`{${options.riskCategories.join(',')}}`}::text[])`);
            if (options.flagged !== undefined) where.push(options.flagged ? sql`ts.is_high_risk` : sql`(ts.is_high_risk is not true)`);
            if (options.scored !== undefined) where.push(options.scored ? sql`ts.id is not null` : sql`ts.id is null`);
            if (options.search !== undefined) {
              where.push(sql`(strpos(lower(t.name), lower(${options.search})) > 0 or strpos(lower(coalesce(t.email, '')), lower(${options.search})) > 0)`);
            }
            const expected = await queryRows<{ id: string }>(
              db,
              sql`select t.id::text from tutors t left join tutor_scores ts on ts.tutor_id = t.id where ${sql.join(where, sql` and `)}
                order by ${sql.raw(column)} ${sql.raw(options.sort.direction)} nulls last, t.id`,
            );
            const ids: string[] = [];
            let after: string | undefined;
            for (let page = 0; page < 50; page += 1) {
              const result = tutorListPageSchema.parse(await listTutors(db, { ...(options as ListTutorsOptions), limit, after }));
              expect(result.total).toBe(expected.length);
              expect(result.tutors.length).toBeLessThanOrEqual(limit);
              ids.push(...result.tutors.map((t) => t.tutorId));
              after = result.nextCursor;
              if (!after) break;
              expect(result.tutors.length).toBe(limit);
            }
            expect(ids).toEqual(expected.map((r) => r.id));
          }),
          { numRuns: 25 },
        );
      });
    });
  }

  it('listTutors pages while scores refresh: no tutor whose score stood still is skipped or repeated, and none repeats', async () => {
    await clearDatabase(db, { confirm: true });
    await insertDataset(db, generateDataset({ seed: 5, tutors: 20, sessions: 800, days: 90, now: NOW }));
    const sort = { by: 'rescheduleRate30d', direction: 'desc' } as const;
    const before = new Map((await listTutors(db, { sort, limit: 500 })).tutors.map((t) => [t.tutorId, t.rescheduleRate30d]));
    const seen: string[] = [];
    let after: string | undefined;
    let step = 0;
    for (let page = 0; page < 100; page += 1) {
      const result = await listTutors(db, { sort, limit: 3, after });
      seen.push(...result.tutors.map((t) => t.tutorId));
      after = result.nextCursor;
      if (!after) break;
      // Another writer adds a tutor-initiated reschedule for some tutor, and the score worker refreshes.
      step += 1;
      const tutorId = [...before.keys()][(step * 7) % before.size]!;
      await db.transaction(async (tx) => {
        const time = new Date(NOW.getTime() - (step + 1) * HOUR);
        const [s] = await queryRows<{ id: string }>(
          tx,
          sql`insert into sessions (tutor_id, student_id, scheduled_time, status) values (${tutorId}, 'student-x', ${time.toISOString()}::timestamptz, 'rescheduled') returning id::text`,
        );
        await tx.execute(
          sql`insert into reschedules (session_id, initiator, original_time, cancelled_at, reason_code) values (${s!.id}, 'tutor', ${time.toISOString()}::timestamptz, ${new Date(time.getTime() - HOUR).toISOString()}::timestamptz, 'illness')`,
        );
      });
      await refreshDueScores(db, { asOf: NOW });
    }
    const afterwards = new Map((await listTutors(db, { sort, limit: 500 })).tutors.map((t) => [t.tutorId, t.rescheduleRate30d]));
    const still = [...before].filter(([id, rate]) => afterwards.get(id) === rate).map(([id]) => id);
    expect(step).toBeGreaterThan(2);
    expect(still.length).toBeGreaterThan(5);
    for (const id of still) expect(seen.filter((s) => s === id)).toHaveLength(1);
  });

  it('score history and risk events: written by the full and the due refresh alike, whoever wrote the sessions', async () => {
    // Two databases with the same rows; one is refreshed in full, the other by the due refresh, after the same writes.
    const other = await openTestDatabase(backend);
    try {
      const dataset = generateDataset({ seed: 9, tutors: 10, sessions: 400, days: 90, now: NOW });
      await clearDatabase(db, { confirm: true });
      await insertDataset(db, dataset);
      await insertDataset(other, dataset);
      const tutorIds = dataset.tutors.map((t) => t.id);
      const steps = fc.sample(
        fc.record({ tutor: fc.nat(), count: fc.integer({ min: 1, max: 4 }), initiator: fc.constantFrom('tutor', 'student'), hours: fc.integer({ min: 1, max: 600 }) }),
        { seed: 4, numRuns: 8 },
      );
      for (const [i, s] of steps.entries()) {
        const asOf = new Date(NOW.getTime() + i * 2 * DAY);
        const tutorId = tutorIds[s.tutor % tutorIds.length]!;
        for (const target of [db, other]) {
          // Plain SQL, as psql or another service would write: the history does not depend on who wrote.
          await target.transaction(async (tx) => {
            for (let k = 0; k < s.count; k += 1) {
              const time = new Date(asOf.getTime() - s.hours * HOUR - k * HOUR).toISOString();
              await tx.execute(sql`with "s" as (insert into sessions (tutor_id, student_id, scheduled_time, status)
                values (${tutorId}, 'student-y', ${time}::timestamptz, 'rescheduled') returning id, scheduled_time)
                insert into reschedules (session_id, initiator, original_time, cancelled_at)
                select id, ${s.initiator}, scheduled_time, scheduled_time - interval '2 hours' from "s"`);
            }
          });
        }
        await refreshTutorScores(db, { asOf });
        await refreshDueScores(other, { asOf });
      }
      const history = (d: TqsDatabase) =>
        queryRows(
          d,
          sql`select tutor_id::text, reschedule_rate_7d::float8 as r7, reschedule_rate_30d::float8 as r30, reschedule_rate_90d::float8 as r90,
            is_high_risk, risk_category from tutor_score_history order by tutor_id, id`,
        );
      const events = (d: TqsDatabase) =>
        queryRows(
          d,
          sql`select tutor_id::text, before_is_high_risk, before_risk_category, after_is_high_risk, after_risk_category
            from tutor_risk_events order by tutor_id, id`,
        );
      const [fullHistory, dueHistory] = [await history(db), await history(other)];
      expect(fullHistory.length).toBeGreaterThan(tutorIds.length);
      expect(dueHistory).toEqual(fullHistory);
      expect(await events(other)).toEqual(await events(db));

      // Each tutor's newest entry is its stored score; its events are the changes of flag or category in its history.
      for (const tutorId of tutorIds) {
        const { entries } = scoreHistorySchema.parse(await scoreHistory(db, tutorId));
        const [stored] = await queryRows<{ r30: number | null; is_high_risk: boolean; risk_category: string | null }>(
          db,
          sql`select reschedule_rate_30d::float8 as r30, is_high_risk, risk_category from tutor_scores where tutor_id = ${tutorId}`,
        );
        expect(entries.at(-1)).toMatchObject({ rescheduleRate30d: stored!.r30, isHighRisk: stored!.is_high_risk, riskCategory: stored!.risk_category });
        const transitions: unknown[] = [];
        let previous: { isHighRisk: boolean | null; riskCategory: string | null } = { isHighRisk: null, riskCategory: null };
        for (const e of entries) {
          const changed = previous.isHighRisk === null ? e.isHighRisk || e.riskCategory !== null : e.isHighRisk !== previous.isHighRisk || e.riskCategory !== previous.riskCategory;
          if (changed) transitions.push({ before: previous, after: { isHighRisk: e.isHighRisk, riskCategory: e.riskCategory } });
          previous = { isHighRisk: e.isHighRisk, riskCategory: e.riskCategory };
        }
        const listed = riskEventPageSchema.parse(await listRiskEvents(db, { tutorId, limit: 500 }));
        expect(listed.events.map(({ before, after }) => ({ before, after })).reverse()).toEqual(transitions);
      }

      // A refresh that changes nothing records nothing.
      const counts = async () => (await queryRows<{ n: number }>(db, sql`select (select count(*) from tutor_score_history) + (select count(*) from tutor_risk_events) as n`))[0]!.n;
      const n = Number(await counts());
      await refreshTutorScores(db, { asOf: new Date(NOW.getTime() + 14 * DAY) });
      await refreshTutorScores(db, { asOf: new Date(NOW.getTime() + 14 * DAY) });
      const m = Number(await counts());
      await refreshTutorScores(db, { asOf: new Date(NOW.getTime() + 14 * DAY) });
      expect(Number(await counts())).toBe(m);
      expect(m).toBeGreaterThanOrEqual(n);
    } finally {
      await other.close();
    }
  });

  it('listRiskEvents pages newest first; acknowledgeRiskEvent keeps the first time; pruneScoreHistory keeps each newest entry', async () => {
    const all = riskEventPageSchema.parse(await listRiskEvents(db, { limit: 500 }));
    expect(all.events.length).toBeGreaterThan(3);
    expect(all.nextCursor).toBeUndefined();
    const ids: number[] = [];
    let after: string | undefined;
    for (let page = 0; page < 500; page += 1) {
      const result = await listRiskEvents(db, { limit: 2, after });
      ids.push(...result.events.map((e) => e.id));
      after = result.nextCursor;
      if (!after) break;
    }
    expect(ids).toEqual(all.events.map((e) => e.id));
    expect(ids).toEqual([...ids].sort((a, b) => b - a));

    const first = await acknowledgeRiskEvent(db, ids[0]!);
    expect(first.acknowledgedAt).not.toBeNull();
    expect((await acknowledgeRiskEvent(db, ids[0]!)).acknowledgedAt).toBe(first.acknowledgedAt);
    const open = await listRiskEvents(db, { unacknowledged: true, limit: 500 });
    expect(open.events.map((e) => e.id)).toEqual(ids.slice(1));
    await expect(acknowledgeRiskEvent(db, 2 ** 40)).rejects.toMatchObject({ code: 'NOT_FOUND' });

    const tutorsWithHistory = Number((await queryRows<{ n: number }>(db, sql`select count(distinct tutor_id)::int as n from tutor_score_history`))[0]!.n);
    await expect(pruneScoreHistory(db, {} as never)).rejects.toMatchObject({ code: 'INVALID_OPTION', option: 'olderThanDays' });
    const { deleted } = await pruneScoreHistory(db, { olderThanDays: 1, now: new Date(NOW.getTime() + 400 * DAY) });
    expect(deleted).toBeGreaterThan(0);
    const left = await queryRows<{ n: number; tutors: number }>(db, sql`select count(*)::int as n, count(distinct tutor_id)::int as tutors from tutor_score_history`);
    expect(left[0]).toEqual({ n: tutorsWithHistory, tutors: tutorsWithHistory });
  });

  it('operationsStatus: the queue, due scores, last refresh and email reports as the tables say', async () => {
    await db.execute(sql`delete from tutor_score_changes`);
    await db.execute(sql`insert into tutor_score_changes (tutor_id) select id from tutors order by id limit 3`);
    await db.execute(sql`insert into tutor_score_changes (tutor_id) select id from tutors order by id limit 1`);
    const status = operationsStatusSchema.parse(await operationsStatus(db, { now: NOW }));
    const [e] = await queryRows<Record<string, number>>(
      db,
      sql`select count(*) filter (where status = 'sent')::int as sent, count(*) filter (where status = 'failed')::int as failed,
        count(*) filter (where status = 'pending')::int as pending from email_reports`,
    );
    expect(status.scoreQueue).toMatchObject({ depth: 3, rows: 4 });
    expect(status.scoreQueue.oldestAt).not.toBeNull();
    expect(status.dueScores).toBeGreaterThanOrEqual(3);
    expect(status.lastRefreshAt).not.toBeNull();
    expect(status.emailReports).toMatchObject({ sent: e!.sent, failed: e!.failed });
    expect(status.emailReports.pending + status.emailReports.claimed).toBe(e!.pending);
  });

  it('bad options are refused with INVALID_OPTION naming the option', async () => {
    const from = new Date(NOW.getTime() - 10 * DAY);
    const cursor = (await listTutors(db, { limit: 1 })).nextCursor;
    const cases: [() => Promise<unknown>, string][] = [
      [() => listTutors(db, { sort: { by: 'rate' as never } }), 'sort.by'],
      [() => listTutors(db, { limit: 0 }), 'limit'],
      [() => listTutors(db, { limit: 501 }), 'limit'],
      [() => listTutors(db, { riskCategories: ['severe' as never] }), 'riskCategories.0'],
      [() => listTutors(db, { serch: 'x' } as never), 'serch'],
      [() => listTutors(db, { after: 'not-a-cursor' }), 'after'],
      [() => listTutors(db, { sort: { by: 'name', direction: 'desc' }, after: cursor }), 'after'],
      [() => getTutorOverview(db, '00000000-0000-4000-8000-000000000000', { asOf: 'yesterday' as never }), 'asOf'],
      [() => listTutorReschedules(db, '00000000-0000-4000-8000-000000000000', { from, to: from }), 'to'],
      [() => rescheduleTrend(db, { from, to: NOW, bucket: 'year' as never }), 'bucket'],
      [() => rescheduleTrend(db, { from, to: NOW, bucket: 'day', timeZone: 'Mars/Olympus' }), 'timeZone'],
      [() => rescheduleTrend(db, { from: new Date('2000-01-01T00:00:00Z'), to: NOW, bucket: 'day' }), 'to'],
      [() => rescheduleBreakdown(db, { from, to: NOW, by: 'month' as never }), 'by'],
      [() => rescheduleBreakdown(db, { from, to: NOW, by: 'hour', timeZone: 'Nowhere/City' }), 'timeZone'],
      [() => rescheduleBreakdown(db, { to: NOW, by: 'hour' } as never), 'from'],
      [() => scoreHistory(db, '00000000-0000-4000-8000-000000000000', { form: from } as never), 'form'],
      [() => listRiskEvents(db, { limit: 1.5 }), 'limit'],
      [() => listRiskEvents(db, { tutorId: 'abc' }), 'tutorId'],
      [() => fleetSummary(db, { asOf: new Date(Number.NaN) }), 'asOf'],
      [() => operationsStatus(db, { now: 5 as never }), 'now'],
      [() => pruneScoreHistory(db, { olderThanDays: 0 }), 'olderThanDays'],
    ];
    for (const [call, option] of cases) {
      const error = await call().then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error, option).toBeInstanceOf(TqsError);
      expect(error, option).toMatchObject({ code: 'INVALID_OPTION', option });
      expect((error as Error).message, option).toContain(option.split('.')[0]);
    }
  });
});

interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  'Index Name'?: string;
  'Actual Rows'?: number;
  'Actual Loops'?: number;
  'Rows Removed by Filter'?: number;
  'Rows Removed by Index Recheck'?: number;
  Plans?: PlanNode[];
}

/** Rows each table's scans read in a plan: returned, plus removed by a filter, times the loops. */
function rowsRead(node: PlanNode, into = new Map<string, { rows: number; nodes: string[] }>()) {
  if (node['Relation Name']) {
    // The partitions of sessions (0015) count as sessions: sessions_2026_01, sessions_default.
    const relation = /^sessions_(?:default|\d{4}_\d{2})$/.test(node['Relation Name']) ? 'sessions' : node['Relation Name'];
    const loops = node['Actual Loops'] ?? 1;
    const read = ((node['Actual Rows'] ?? 0) + (node['Rows Removed by Filter'] ?? 0) + (node['Rows Removed by Index Recheck'] ?? 0)) * loops;
    const entry = into.get(relation) ?? { rows: 0, nodes: [] };
    entry.rows += read;
    entry.nodes.push(`${node['Node Type']}${node['Index Name'] ? ` using ${node['Index Name']}` : ''}`);
    into.set(relation, entry);
  }
  for (const child of node.Plans ?? []) rowsRead(child, into);
  return into;
}

describeEachBackend('read model EXPLAIN', (backend) => {
  let db: TqsDatabase;
  let logged: TqsDatabase;
  const queries: { query: string; params: unknown[] }[] = [];

  beforeAll(async () => {
    db = await openTestDatabase(backend);
    await insertDataset(db, generateDataset({ seed: 77, tutors: 60, sessions: 6_000, days: 120, now: NOW }));
    // Many entries per tutor, as years of refreshes leave them.
    await db.execute(sql`insert into tutor_score_history (tutor_id, calculated_at, as_of, is_high_risk, risk_threshold)
      select t.id, ${NOW.toISOString()}::timestamptz - g * interval '1 hour', ${NOW.toISOString()}::timestamptz, false, 15
      from tutors t cross join generate_series(1, 100) g`);
    await db.execute(sql`insert into tutor_risk_events (tutor_id, at, as_of, after_is_high_risk, risk_threshold)
      select t.id, ${NOW.toISOString()}::timestamptz - g * interval '1 hour', ${NOW.toISOString()}::timestamptz, true, 15
      from tutors t cross join generate_series(1, 100) g`);
    await db.execute(sql`analyze`);
    const raw = rawClient(db);
    logged = await createDatabase({
      client: raw.backend === 'pglite' ? raw.pglite : raw.sql,
      logger: { logQuery: (query, params) => queries.push({ query, params }) },
    });
  });
  afterAll(async () => {
    await logged?.close();
    await db?.close();
  });

  it('each per-tutor call reads no more than that tutor\'s rows of each table', async () => {
    const [tutor] = await queryRows<{ id: string }>(db, sql`select tutor_id::text as id from sessions group by tutor_id order by count(*) desc limit 1`);
    const id = tutor!.id;
    const own = (await queryRows<Record<string, number>>(
      db,
      sql`select (select count(*) from sessions where tutor_id = ${id})::int as sessions,
        (select count(*) from reschedules r join sessions s on s.id = r.session_id where s.tutor_id = ${id})::int as reschedules,
        (select count(*) from tutor_score_history where tutor_id = ${id})::int as tutor_score_history,
        (select count(*) from tutor_risk_events where tutor_id = ${id})::int as tutor_risk_events,
        1 as tutors, 1 as tutor_scores`,
    ))[0]!;
    const from = new Date(NOW.getTime() - 90 * DAY);
    const calls: [string, () => Promise<unknown>][] = [
      ['getTutorOverview', () => getTutorOverview(logged, id, { asOf: NOW })],
      ['listTutorReschedules', () => listTutorReschedules(logged, id, { from, to: NOW })],
      ['rescheduleTrend', () => rescheduleTrend(logged, { tutorId: id, from, to: NOW, bucket: 'day' })],
      ['rescheduleBreakdown', () => rescheduleBreakdown(logged, { tutorId: id, from, to: NOW, by: 'reasonCode' })],
      ['scoreHistory', () => scoreHistory(logged, id)],
      ['listRiskEvents', () => listRiskEvents(logged, { tutorId: id })],
    ];
    const raw = rawClient(db);
    for (const [name, call] of calls) {
      queries.length = 0;
      await call();
      expect(queries, name).toHaveLength(1);
      const { query, params } = queries[0]!;
      const text = `explain (analyze, format json) ${query}`;
      // At this size a sequential scan of a whole table is the planner's cheapest choice; at scale it is not. Priced
      // out here, the plan shows the index path the planner takes at scale, which must read only the tutor's rows.
      const result =
        raw.backend === 'pglite'
          ? await raw.pglite.transaction(async (tx) => {
              await tx.exec('set local enable_seqscan = off');
              return (await tx.query<{ 'QUERY PLAN': unknown }>(text, params as never[])).rows[0]!['QUERY PLAN'] as unknown;
            })
          : await raw.sql.begin(async (tx) => {
              await tx.unsafe('set local enable_seqscan = off');
              return (await tx.unsafe(text, params as never[]))[0]!['QUERY PLAN'] as unknown;
            });
      const plan = (typeof result === 'string' ? JSON.parse(result) : result) as [{ Plan: PlanNode }];
      for (const [table, { rows, nodes }] of rowsRead(plan[0].Plan)) {
        expect(own[table], `${name} reads ${table}, which the test does not count`).toBeDefined();
        expect(rows, `${name}: ${table} read ${rows} rows (${nodes.join(', ')}), the tutor has ${own[table]}`).toBeLessThanOrEqual(own[table]!);
      }
    }
  });
});
