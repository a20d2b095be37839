import { sql } from 'drizzle-orm';
import { queryRows, refreshDueScores, refreshTutorScores, type TqsDatabase } from '../src';
import { type Figure, timeRatioFigure } from './figure';
import { BENCH_NOW } from './generate-figure';
import { collectGarbageAndSettle, formatMs, median, progress, timed } from './measure';
import type { BenchBackend } from './options';
import { changeSessions, CHANGED_SESSIONS_FIGURE, FULL_REFRESH_FIGURE } from './score-figures';

/*
 * How cost grows with the data: each measure at one scale against the same measure at the scale below it, from the
 * figures of the same run (10x the sessions each step: medium 100k, large 1M, xl 10M). The target is linear growth
 * with a little slack: at most 10.5x the time for 10x the rows.
 */

const GROWTH_MAX = 10.5;

/** The measures whose growth is a figure: the name of the figure whose samples are the measure, at every scale. */
const MEASURES = [
  { name: 'load (insertDataset, no refresh)', figure: 'load: insertDataset (no refresh) vs bare COPY', xlFigure: undefined },
  { name: 'full refresh', figure: FULL_REFRESH_FIGURE, xlFigure: FULL_REFRESH_FIGURE },
  { name: 'due refresh (1,000 changed sessions)', figure: CHANGED_SESSIONS_FIGURE, xlFigure: CHANGED_SESSIONS_FIGURE },
] as const;

const STEPS = [
  { from: 'medium', to: 'large', label: '1M vs 100k sessions' },
  { from: 'large', to: 'xl', label: '10M vs 1M sessions' },
] as const;

/**
 * The growth figures of every measure, backend and pair of consecutive scales present in `figures` (medium and large,
 * large and xl), each `time at the larger scale / time at the smaller` with target <= 10.5x.
 */
export function growthFigures(figures: readonly Figure[], backends: readonly BenchBackend[]): Figure[] {
  const samplesOf = (figure: string | undefined, backend: string, scale: string) =>
    figure === undefined ? undefined : figures.find((f) => f.figure === figure && f.backend === backend && f.scale === scale)?.samples;
  const growth: Figure[] = [];
  for (const backend of backends) {
    for (const step of STEPS) {
      for (const measure of MEASURES) {
        const smaller = samplesOf(measure.figure, backend, step.from);
        const larger = samplesOf(step.to === 'xl' ? measure.xlFigure : measure.figure, backend, step.to);
        if (!smaller || !larger) continue;
        growth.push(
          timeRatioFigure({
            figure: `growth: ${measure.name}, ${step.label}`,
            backend,
            scale: `${step.to}/${step.from}`,
            samples: larger,
            floorSamples: smaller,
            direction: 'median/floor',
            ratioMeaning: `time at ${step.to} / time at ${step.from} (10x the sessions)`,
            max: GROWTH_MAX,
            notes: [`medians: ${formatMs(median(larger))} at ${step.to}, ${formatMs(median(smaller))} at ${step.from}`],
          }),
        );
      }
    }
  }
  return growth;
}

/**
 * The scales to run so that every growth figure has both sides: the medium scale (100k sessions) joins a run of the
 * large one (`--scales large`), since growth at 1M is measured against it. Says so in `notes`.
 */
export function growthScales<T extends string>(chosen: readonly T[], notes: string[]): T[] {
  if (!chosen.includes('large' as T) || chosen.includes('medium' as T)) return [...chosen];
  notes.push('growth: the medium scale (100k sessions) was added to this run, as the floor of the 1M-vs-100k growth figures.');
  return ['medium' as T, ...chosen];
}

const bareAggregate = sql`select tutor_id, count(*) from sessions group by tutor_id`;

/**
 * The full and the due refresh on the database the xl load left (10M sessions), for the growth figures: `runs` full
 * refreshes against the bare GROUP BY, then `runs` due refreshes after 1,000 changed sessions across 100 tutors, as
 * the score figures measure them at the other scales.
 */
export async function xlRefreshFigures(db: TqsDatabase, runs: number): Promise<Figure[]> {
  await db.execute(sql`analyze`);
  const ids = (await queryRows<{ id: string }>(db, sql`select id from tutors order by id`)).map((row) => row.id);
  const full: number[] = [];
  const floor: number[] = [];
  for (let i = 0; i < runs; i++) {
    await collectGarbageAndSettle();
    floor.push((await timed(() => db.execute(bareAggregate))).ms);
    await collectGarbageAndSettle();
    full.push((await timed(() => refreshTutorScores(db, { asOf: BENCH_NOW }))).ms);
    progress(`  xl refresh run ${i + 1}/${runs}: full ${formatMs(full[i] as number)}, bare aggregate ${formatMs(floor[i] as number)}`);
  }
  for (let i = 0; i < 100 && (await refreshDueScores(db, { asOf: BENCH_NOW, limit: 100_000 })).more; i++);
  const due: number[] = [];
  for (let i = 0; i < runs; i++) {
    await changeSessions(db, ids, i);
    await collectGarbageAndSettle();
    due.push((await timed(() => refreshDueScores(db, { asOf: BENCH_NOW, limit: 100_000 }))).ms);
    progress(`  xl due refresh run ${i + 1}/${runs}: ${formatMs(due[i] as number)}`);
  }
  const common = { backend: 'postgres' as const, scale: 'xl', direction: 'median/floor' as const };
  return [
    timeRatioFigure({
      ...common,
      figure: FULL_REFRESH_FIGURE,
      samples: full,
      floorSamples: floor,
      ratioMeaning: 'refresh time / bare aggregate time, on the database the xl load left',
      max: 3,
    }),
    timeRatioFigure({
      ...common,
      figure: CHANGED_SESSIONS_FIGURE,
      samples: due,
      floorSamples: full,
      ratioMeaning: 'due refresh time / full refreshTutorScores time',
      max: 0.05,
    }),
  ];
}
