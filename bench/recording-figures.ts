import { sql } from 'drizzle-orm';
import { refreshDueScores, refreshTutorScores, type TqsDatabase } from '../src';
import { type Figure, timeRatioFigure } from './figure';
import { BENCH_NOW } from './generate-figure';
import { collectGarbageAndSettle, formatMs, progress, timed } from './measure';
import type { BenchBackend, Runs, Scale } from './options';

/** Tutors made due before each timed due refresh of the recording cost figure. */
const DUE_TUTORS = 100;
/** Pairs of due refreshes (with and without recording): each takes milliseconds, so more of them than full ones. */
const DUE_PAIRS = 9;

/**
 * The full and the due refresh with and without the recording triggers of `tutor_scores` (score history and risk
 * events, migration 0007_read_model), side by side: the triggers enabled and disabled alternately, in a rotating
 * order. Each refresh moves every score it writes to another threshold (15, then 16, and back), so every written
 * score changes and is recorded: the most the recording can cost.
 */
export async function recordingCost(backend: BenchBackend, scale: Scale, db: TqsDatabase, ids: string[], runs: Runs): Promise<Figure[]> {
  const setTriggers = (on: boolean) => {
    const verb = sql.raw(on ? 'enable' : 'disable');
    return db.execute(sql`alter table tutor_scores ${verb} trigger tutor_scores_record_update, ${verb} trigger tutor_scores_record_insert`);
  };
  const samples = { full: { on: [] as number[], off: [] as number[] }, due: { on: [] as number[], off: [] as number[] } };
  let threshold = 15;
  const next = () => (threshold = threshold === 15 ? 16 : 15);
  // Empty the queue: the timed due refreshes then refresh exactly the tutors queued before each.
  for (let i = 0; i < 100 && (await refreshDueScores(db, { asOf: BENCH_NOW, limit: 100_000 })).more; i++);
  const fullPairs = Math.max(3, runs.score);
  try {
    for (let i = 0; i < Math.max(fullPairs, DUE_PAIRS); i++) {
      for (const on of i % 2 ? [false, true] : [true, false]) {
        await setTriggers(on);
        const side = on ? 'on' : 'off';
        if (i < fullPairs) {
          await collectGarbageAndSettle();
          const full = await timed(() => refreshTutorScores(db, { asOf: BENCH_NOW, threshold: next() }));
          samples.full[side].push(full.ms);
        }
        const due = ids.slice((i * DUE_TUTORS) % ids.length).slice(0, DUE_TUTORS);
        await db.execute(sql`insert into tutor_score_changes (tutor_id) select unnest(${`{${due.join(',')}}`}::uuid[])`);
        await collectGarbageAndSettle();
        const refreshed = await timed(() => refreshDueScores(db, { asOf: BENCH_NOW, threshold: next(), limit: 100_000 }));
        samples.due[side].push(refreshed.ms);
        next(); // the next refresh moves every score again
        progress(
          `  recording ${backend} ${scale.name} ${side} run ${i + 1}: ` +
            `${i < fullPairs ? `full ${formatMs(samples.full[side].at(-1) as number)}, ` : ''}due (${refreshed.value.refreshed} tutors) ${formatMs(refreshed.ms)}`,
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
