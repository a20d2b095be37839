import { sql } from 'drizzle-orm';
import { type Dataset, insertDataset, queryRows, refreshDueScores, refreshTutorScores, type TqsDatabase } from '../src';
import { type Figure, timeRatioFigure } from './figure';
import { BENCH_NOW } from './generate-figure';
import { collectGarbageAndSettle, formatMs, progress, timed } from './measure';
import type { BenchBackend, Runs, Scale } from './options';
import { openScratch } from './scratch';

/** Tutors made due before each timed due refresh of the recording cost figure. */
const DUE_TUTORS = 100;
/** Pairs of due refreshes (with and without recording): each takes milliseconds, so more of them than full ones. */
const DUE_PAIRS = 31;
/** Untimed full and due refreshes on each side before the timed ones. */
const WARM_UP = 3;

/**
 * The full and the due refresh with and without the recording triggers of `tutor_scores` (score history and risk
 * events, migration 0007_read_model), side by side: two databases loaded with the same dataset by `insertDataset`, the
 * second with its two recording triggers dropped, refreshed alternately in a rotating order. Both start in the same
 * state (neither has run the other figures' refreshes, whose dead rows slow a small database's due refresh), and each
 * keeps its connections, plans and caches warm between runs: no DDL between runs (enabling and disabling the triggers
 * on one database invalidated the cached plans of every statement on `tutor_scores` before each run, a cost a service
 * never pays). Each refresh moves every score it writes to another threshold (15, then 16, and back), so every written
 * score changes and is recorded: the most the recording can cost.
 */
export async function recordingCost(
  backend: BenchBackend,
  scale: Scale,
  dataset: Dataset,
  runs: Runs,
  postgresUrl: string | undefined,
): Promise<Figure[]> {
  progress(`  recording ${backend} ${scale.name}: loading two databases, one without the recording triggers (untimed)`);
  const on = await openScratch(backend, postgresUrl);
  try {
    const off = await openScratch(backend, postgresUrl);
    try {
      await insertDataset(on.db, dataset);
      await insertDataset(off.db, dataset);
      await off.db.execute(sql`drop trigger tutor_scores_record_update on tutor_scores`);
      await off.db.execute(sql`drop trigger tutor_scores_record_insert on tutor_scores`);
      const ids = (await queryRows<{ id: string }>(on.db, sql`select id::text from tutors order by id`)).map((row) => row.id);
      const samples = await timeSides({ on: on.db, off: off.db }, ids, runs, `${backend} ${scale.name}`);
      return figures(backend, scale, samples);
    } finally {
      await off.close();
    }
  } finally {
    await on.close();
  }
}

type Side = 'on' | 'off';

/** Makes these tutors due, as a captured change would. */
export const queueChanges = (db: TqsDatabase, tutorIds: string[]) =>
  db.execute(sql`insert into tutor_score_changes (tutor_id) select unnest(${`{${tutorIds.join(',')}}`}::uuid[])`);
type Samples = Record<'full' | 'due', Record<Side, number[]>>;

async function timeSides(dbs: Record<Side, TqsDatabase>, ids: string[], runs: Runs, label: string): Promise<Samples> {
  const samples: Samples = { full: { on: [], off: [] }, due: { on: [], off: [] } };
  const thresholds: Record<Side, number> = { on: 15, off: 15 };
  const next = (side: Side) => (thresholds[side] = thresholds[side] === 15 ? 16 : 15);
  for (const [side, db] of Object.entries(dbs) as [Side, TqsDatabase][]) {
    // Empty the queue: the timed due refreshes then refresh exactly the tutors queued before each.
    for (let i = 0; i < 100 && (await refreshDueScores(db, { asOf: BENCH_NOW, limit: 100_000 })).more; i++);
    // Warm up as a service that has refreshed before (first runs after a load set hint bits, fill the pages HOT
    // updates need and plan the triggers' statements): untimed full and due refreshes moving every score.
    for (let i = 0; i < WARM_UP; i++) {
      await refreshTutorScores(db, { asOf: BENCH_NOW, threshold: next(side) });
      await queueChanges(db, ids.slice(0, DUE_TUTORS));
      await refreshDueScores(db, { asOf: BENCH_NOW, threshold: next(side), limit: 100_000 });
      next(side); // as in the timed runs: the next full refresh moves every score again
    }
  }
  const fullPairs = Math.max(5, runs.score);
  for (let i = 0; i < Math.max(fullPairs, DUE_PAIRS); i++) {
    for (const side of i % 2 ? (['off', 'on'] as const) : (['on', 'off'] as const)) {
      const db = dbs[side];
      if (i < fullPairs) {
        await collectGarbageAndSettle();
        samples.full[side].push((await timed(() => refreshTutorScores(db, { asOf: BENCH_NOW, threshold: next(side) }))).ms);
      }
      await queueChanges(db, ids.slice((i * DUE_TUTORS) % ids.length).slice(0, DUE_TUTORS));
      await collectGarbageAndSettle();
      const refreshed = await timed(() => refreshDueScores(db, { asOf: BENCH_NOW, threshold: next(side), limit: 100_000 }));
      samples.due[side].push(refreshed.ms);
      next(side); // the next refresh moves every score again
      progress(
        `  recording ${label} ${side} run ${i + 1}: ` +
          `${i < fullPairs ? `full ${formatMs(samples.full[side].at(-1) as number)}, ` : ''}due (${refreshed.value.refreshed} tutors) ${formatMs(refreshed.ms)}`,
      );
    }
  }
  return samples;
}

/**
 * The targets hold where the read model's speed is stated: PostgreSQL at 1M sessions and PGlite at its size limit
 * (100k). At the small scale a due refresh of the whole fleet takes a few milliseconds, of which writing 100 history
 * rows is a fixed part: a figure shown, not a target.
 */
function figures(backend: BenchBackend, scale: Scale, samples: Samples): Figure[] {
  const targeted = (backend === 'postgres' && scale.name === 'large') || (backend === 'pglite' && scale.name === 'medium');
  return [
    timeRatioFigure({
      figure: 'read model: full refresh recording history vs not',
      backend,
      scale: scale.name,
      samples: samples.full.on,
      floorSamples: samples.full.off,
      direction: 'median/floor',
      ratioMeaning: 'refreshTutorScores with the recording triggers / without them (every score changed)',
      ...(targeted ? { max: 1.2 } : {}),
    }),
    timeRatioFigure({
      figure: `read model: due refresh (${DUE_TUTORS} tutors) recording history vs not`,
      backend,
      scale: scale.name,
      samples: samples.due.on,
      floorSamples: samples.due.off,
      direction: 'median/floor',
      ratioMeaning: 'refreshDueScores with the recording triggers / without them (every refreshed score changed)',
      ...(targeted ? { max: 1.1 } : {}),
    }),
  ];
}
