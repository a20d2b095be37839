import { sql } from 'drizzle-orm';
import {
  fleetSummary,
  getTutorOverview,
  listRiskEvents,
  listTutorReschedules,
  listTutors,
  operationsStatus,
  queryRows,
  rescheduleBreakdown,
  rescheduleTrend,
  scoreHistory,
  type TqsDatabase,
  tutorSortKeys,
} from '../src';
import { type Figure, timeRatioFigure } from './figure';
import { BENCH_NOW } from './generate-figure';
import { collectGarbageAndSettle, formatMs, median, progress, timed } from './measure';
import type { BenchBackend, Scale } from './options';

const DAY = 86_400_000;
/** Timed calls per read-model figure: each takes milliseconds, so more samples than the refresh figures. */
const CALL_SAMPLES = 15;

/** The floor of every read-model figure: one round trip that reads nothing. */
const roundTrip = sql`select 1`;

/**
 * The read-model figures on a loaded, scored database: the median of each call (per-tutor calls over several tutors,
 * list pages on every sort, both directions, first and later pages; fleet-wide trends and breakdowns over 90 days)
 * against a bare round trip, with the absolute targets of docs/read-model.md. The cost of recording score history and
 * risk events is bench/recording-figures.ts.
 */
export async function readModelFigures(backend: BenchBackend, scale: Scale, db: TqsDatabase): Promise<Figure[]> {
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
  return figures;
}
