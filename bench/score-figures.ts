import { sql } from 'drizzle-orm';
import { computeTutorScore, type Dataset, queryRows, refreshTutorScores } from '../src';
import { type Figure, timeRatioFigure } from './figure';
import { BENCH_NOW } from './generate-figure';
import { collectGarbage, formatMs, median, progress, timed } from './measure';
import type { BenchBackend, Runs, Scale } from './options';
import type { ScratchDatabase } from './scratch';

/** The floor of the score figure: the cheapest pass over sessions that groups them by tutor. */
const bareAggregate = sql`select tutor_id, count(*) from sessions group by tutor_id`;

export interface ScoreResult {
  figures: Figure[];
  refreshSamples: number[];
  aggregateSamples: number[];
}

/**
 * The score figures on a database loaded by insertDataset: refreshTutorScores (all tutors, as of the dataset's
 * `now`) against the bare GROUP BY, and against one computeTutorScore per tutor. The tables are ANALYZEd first and
 * one refresh and one aggregate run untimed, so every timed run sees the same warm cache and an existing
 * tutor_scores row per tutor (the steady state of a worker refreshing on a schedule: every run is an upsert).
 */
export async function scoreFigures(
  backend: BenchBackend,
  scale: Scale,
  loaded: ScratchDatabase,
  dataset: Dataset,
  runs: Runs,
  loopSample: number,
): Promise<ScoreResult> {
  const { db } = loaded;
  await db.execute(sql`analyze`);
  await refreshTutorScores(db, { asOf: BENCH_NOW });
  await db.execute(bareAggregate);

  const refreshSamples: number[] = [];
  const aggregateSamples: number[] = [];
  for (let i = 0; i < runs.score; i++) {
    collectGarbage();
    const aggregate = await timed(() => db.execute(bareAggregate));
    aggregateSamples.push(aggregate.ms);
    collectGarbage();
    const refresh = await timed(() => refreshTutorScores(db, { asOf: BENCH_NOW }));
    refreshSamples.push(refresh.ms);
    if (refresh.value.scored !== dataset.tutors.length) {
      throw new Error(`refreshTutorScores scored ${refresh.value.scored} tutors, expected ${dataset.tutors.length}`);
    }
    progress(
      `  score ${backend} ${scale.name} run ${i + 1}/${runs.score}: refresh ${formatMs(refresh.ms)}, ` +
        `bare aggregate ${formatMs(aggregate.ms)}`,
    );
  }

  const ids = (await queryRows<{ id: string }>(db, sql`select id from tutors order by id`)).map((row) => row.id);
  const sampled = scale.name === 'large' && ids.length > loopSample;
  const loopIds = sampled ? ids.slice(0, loopSample) : ids;
  const scaleUp = ids.length / loopIds.length;
  const loopSamples: number[] = [];
  for (let i = 0; i < runs.perTutorLoop; i++) {
    collectGarbage();
    const loop = await timed(async () => {
      for (const id of loopIds) await computeTutorScore(db, id, { asOf: BENCH_NOW });
    });
    loopSamples.push(loop.ms * scaleUp);
    progress(
      `  score ${backend} ${scale.name} per-tutor loop run ${i + 1}/${runs.perTutorLoop}: ${formatMs(loop.ms)} for ` +
        `${loopIds.length} tutors${sampled ? ` (x${scaleUp} = ${formatMs(loop.ms * scaleUp)} for all ${ids.length})` : ''}`,
    );
  }

  const figures = [
    timeRatioFigure({
      figure: 'score: refreshTutorScores vs bare GROUP BY',
      backend,
      scale: scale.name,
      samples: refreshSamples,
      floorSamples: aggregateSamples,
      direction: 'median/floor',
      ratioMeaning: 'refresh time / bare aggregate time: the cost of the real statement over the cheapest grouped pass',
      max: 3,
      notes: [
        `refreshTutorScores(db, { asOf }) over ${ids.length} tutors (upserts every score row) vs ` +
          '`select tutor_id, count(*) from sessions group by tutor_id` (rows returned to the client)',
      ],
    }),
    timeRatioFigure({
      figure: 'score: refreshTutorScores vs per-tutor computeTutorScore loop',
      backend,
      scale: scale.name,
      samples: refreshSamples,
      floorSamples: loopSamples,
      direction: 'floor/median',
      ratioMeaning: 'loop time / refresh time: how many times faster the one statement is than one query per tutor',
      ...(sampled ? { floorDisplay: `${formatMs(median(loopSamples))} (extrapolated)` } : {}),
      notes: [
        sampled
          ? `loop timed over ${loopIds.length} of ${ids.length} tutors (the first by id) and scaled by ${scaleUp}`
          : `loop over all ${ids.length} tutors, one computeTutorScore (one query, reads only) each`,
        'the loop only reads; the refresh also writes every score row',
      ],
    }),
  ];
  return { figures, refreshSamples, aggregateSamples };
}
