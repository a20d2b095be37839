import { sql } from 'drizzle-orm';
import {
  fleetSummary,
  getTutorOverview,
  listRiskEvents,
  listTutorReschedules,
  listTutors,
  operationsStatus,
  queryRows,
  refreshDueScores,
  refreshTutorScores,
  rescheduleBreakdown,
  rescheduleTrend,
  scoreHistory,
  type TqsDatabase,
  tutorSortKeys,
} from '../src';
import { type Figure, timeRatioFigure } from './figure';
import { BENCH_NOW } from './generate-figure';
import { collectGarbageAndSettle, formatMs, median, progress, timed } from './measure';
import type { BenchBackend, Runs, Scale } from './options';

const DAY = 86_400_000;
/** Timed calls per read-model figure: each takes milliseconds, so more samples than the refresh figures. */
const CALL_SAMPLES = 15;
/** Tutors made due before each timed due refresh of the history cost figure. */
const DUE_TUTORS = 100;
const RECORDING_TRIGGERS = sql`tutor_scores_record_insert`;

/** The floor of every read-model figure: one round trip that reads nothing. */
const roundTrip = sql`select 1`;

/**
 * The read-model figures on a loaded, scored database: the median of each call (per-tutor calls over several tutors,
 * list pages on every sort, both directions, first and later pages; fleet-wide trends and breakdowns over 90 days)
 * against a bare round trip, with the absolute targets of docs/read-model.md; and the cost of recording score history
 * and risk events, as the full and the due refresh with the recording triggers against the same refreshes without
 * them, run alternately.
 */
export async function readModelFigures(backend: BenchBackend, scale: Scale, db: TqsDatabase, runs: Runs): Promise<Figure[]> {
  await db.execute(sql`analyze`);
  const ids = (await queryRows<{ id: string }>(db, sql`select id::text from tutors order by id`)).map((r) => r.id);
  const pick = (i: number) => ids[(i * 7919) % ids.length]!;
  const from90 = new Date(BENCH_NOW.getTime() - 90 * DAY);
  const floorSamples: number[] = [];
  const figures: Figure[] = [];

  async function measure(name: string, maxMs: number, call: (i: number) => Promise<unknown>): Promise<void> {
    await call(0); // warm: plans and caches, as a service that has answered before
    const samples: number[] = [];
    for (let i = 0; i < CALL_SAMPLES; i++) {
      floorSamples.push((await timed(() => db.execute(roundTrip))).ms);
      samples.push((await timed(() => call(i + 1))).ms);
    }
    progress(`  read model ${backend} ${scale.name} ${name}: median ${formatMs(median(samples))}`);
    figures.push(
      timeRatioFigure({
        figure: `read model: ${name}`,
        backend,
        scale: scale.name,
        samples,
        floorSamples: floorSamples.slice(-CALL_SAMPLES),
        direction: 'median/floor',
        ratioMeaning: 'call time / a bare round trip (select 1)',
        maxMedianMs: maxMs,
      }),
    );
  }

  await collectGarbageAndSettle();
  await measure('getTutorOverview', 20, (i) => getTutorOverview(db, pick(i), { asOf: BENCH_NOW }));
  await measure('listTutorReschedules (90 days, page of 20)', 20, (i) => listTutorReschedules(db, pick(i), { from: from90, to: BENCH_NOW }));
  await measure('rescheduleTrend one tutor (90 days by day)', 20, (i) =>
    rescheduleTrend(db, { tutorId: pick(i), from: from90, to: BENCH_NOW, bucket: 'day', timeZone: 'America/New_York' }),
  );
  await measure('rescheduleBreakdown one tutor (90 days by reason)', 20, (i) =>
    rescheduleBreakdown(db, { tutorId: pick(i), from: from90, to: BENCH_NOW, by: 'reasonCode' }),
  );
  await measure('scoreHistory', 20, (i) => scoreHistory(db, pick(i)));
  await measure('listRiskEvents one tutor', 20, (i) => listRiskEvents(db, { tutorId: pick(i) }));
  for (const by of tutorSortKeys) {
    // Alternately ascending and descending, the first page and the page after it.
    const cursors = new Map<string, string | undefined>();
    for (const direction of ['asc', 'desc'] as const) {
      cursors.set(direction, (await listTutors(db, { sort: { by, direction }, limit: 20 })).nextCursor);
    }
    await measure(`listTutors page by ${by}`, 20, (i) => {
      const direction = i % 2 ? 'asc' : 'desc';
      const after = i % 4 < 2 ? undefined : cursors.get(direction);
      return listTutors(db, { sort: { by, direction }, limit: 20, after });
    });
  }
  await measure('listTutors page, search + filter', 20, (i) =>
    listTutors(db, { search: ['an', 'el', 'mar', 'son'][i % 4], scored: true, sort: { by: 'rescheduleRate30d', direction: 'desc' } }),
  );
  await measure('listRiskEvents fleet, unacknowledged', 20, () => listRiskEvents(db, { unacknowledged: true }));
  await measure('fleetSummary', 20, () => fleetSummary(db, { asOf: BENCH_NOW }));
  await measure('operationsStatus', 20, () => operationsStatus(db, { now: BENCH_NOW }));
  for (const bucket of ['day', 'week'] as const) {
    await measure(`rescheduleTrend fleet (90 days by ${bucket})`, 100, () =>
      rescheduleTrend(db, { from: from90, to: BENCH_NOW, bucket, timeZone: 'Europe/Paris' }),
    );
  }
  for (const by of ['reasonCode', 'weekday', 'hour', 'leadTime', 'initiator'] as const) {
    await measure(`rescheduleBreakdown fleet (90 days by ${by})`, 100, () =>
      rescheduleBreakdown(db, { from: from90, to: BENCH_NOW, by, timeZone: 'Europe/Paris' }),
    );
  }
  figures.push(...(await recordingCost(backend, scale, db, ids, runs)));
  return figures;
}

/**
 * The full and the due refresh with and without the recording triggers, alternately. Each refresh moves every
 * score it writes to another threshold (15, then 16, and back), so every written score changes and is recorded:
 * the most the recording can cost.
 */
async function recordingCost(backend: BenchBackend, scale: Scale, db: TqsDatabase, ids: string[], runs: Runs): Promise<Figure[]> {
  const setTriggers = (on: boolean) =>
    db.execute(sql`alter table tutor_scores ${sql.raw(on ? 'enable' : 'disable')} trigger tutor_scores_record_update, ${sql.raw(on ? 'enable' : 'disable')} trigger ${RECORDING_TRIGGERS}`);
  const samples = { full: { on: [] as number[], off: [] as number[] }, due: { on: [] as number[], off: [] as number[] } };
  let threshold = 15;
  const next = () => (threshold = threshold === 15 ? 16 : 15);
  // Empty the queue: the timed due refreshes then refresh exactly the tutors queued before each.
  for (let i = 0; i < 100 && (await refreshDueScores(db, { asOf: BENCH_NOW, limit: 100_000 })).more; i++);
  try {
    for (let i = 0; i < Math.max(3, runs.score); i++) {
      for (const on of i % 2 ? [false, true] : [true, false]) {
        await setTriggers(on);
        await collectGarbageAndSettle();
        const full = await timed(() => refreshTutorScores(db, { asOf: BENCH_NOW, threshold: next() }));
        samples.full[on ? 'on' : 'off'].push(full.ms);
        const due = ids.slice((i * DUE_TUTORS) % ids.length).slice(0, DUE_TUTORS);
        await db.execute(sql`insert into tutor_score_changes (tutor_id) select unnest(${`{${due.join(',')}}`}::uuid[])`);
        await collectGarbageAndSettle();
        const refreshed = await timed(() => refreshDueScores(db, { asOf: BENCH_NOW, threshold: next(), limit: 100_000 }));
        samples.due[on ? 'on' : 'off'].push(refreshed.ms);
        next(); // the next full refresh moves every score again
        progress(
          `  read model ${backend} ${scale.name} recording ${on ? 'on' : 'off'} run ${i + 1}: full ${formatMs(full.ms)}, due (${refreshed.value.refreshed} tutors) ${formatMs(refreshed.ms)}`,
        );
      }
    }
  } finally {
    await setTriggers(true);
  }
  return [
    timeRatioFigure({
      figure: 'read model: full refresh recording history vs not',
      backend,
      scale: scale.name,
      samples: samples.full.on,
      floorSamples: samples.full.off,
      direction: 'median/floor',
      ratioMeaning: 'refreshTutorScores with the recording triggers / without them (every score changed)',
      max: 1.2,
    }),
    timeRatioFigure({
      figure: `read model: due refresh (${DUE_TUTORS} tutors) recording history vs not`,
      backend,
      scale: scale.name,
      samples: samples.due.on,
      floorSamples: samples.due.off,
      direction: 'median/floor',
      ratioMeaning: 'refreshDueScores with the recording triggers / without them (every refreshed score changed)',
      max: 1.1,
    }),
  ];
}
