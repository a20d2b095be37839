import { sql } from 'drizzle-orm';
import { generateDataset, insertDataset, refreshTutorScores } from '../src';
import { type Figure, timeRatioFigure } from './figure';
import { BENCH_NOW } from './generate-figure';
import { collectGarbage, formatMs, median, progress, timed } from './measure';
import { openScratch, type ScratchDatabase } from './scratch';

/** The tutors and daily rate of the figure: 2,000 tutors, ~1,111 sessions a day. */
const TUTORS = 2_000;
const SESSIONS_PER_DAY = 100_000 / 90;
const SHORT_DAYS = 90;
const LONG_DAYS = 900;

/**
 * Whether history slows the scores: the same tutors at the same daily rate, with 90 days of history (exactly the
 * largest score window) in one scratch database and 900 days in another, each loaded by insertDataset and ANALYZEd.
 * The full refresh (as of the same instant) is timed alternately on the two, so both see the same machine load; the
 * ratio is the time with 900 days over the time with 90. Busy months weigh as much as the others here
 * (`busyMonthWeight: 1`), so the last 90 days hold the same number of sessions in both databases and the ratio
 * measures the history alone, not a busier window.
 */
export async function historyFigure(url: string, runs: number): Promise<Figure> {
  const opened: ScratchDatabase[] = [];
  try {
    for (const days of [SHORT_DAYS, LONG_DAYS]) {
      const sessions = Math.round(SESSIONS_PER_DAY * days);
      progress(`  history: loading ${days} days (${TUTORS.toLocaleString('en-US')} tutors, ${sessions.toLocaleString('en-US')} sessions)`);
      const dataset = generateDataset({ tutors: TUTORS, sessions, days, busyMonthWeight: 1, seed: 42, now: BENCH_NOW });
      const scratch = await openScratch('postgres', url);
      opened.push(scratch);
      await insertDataset(scratch.db, dataset, { refreshScores: false });
      await scratch.db.execute(sql`vacuum analyze`);
      await refreshTutorScores(scratch.db, { asOf: BENCH_NOW });
    }
    const [short, long] = opened as [ScratchDatabase, ScratchDatabase];
    const shortSamples: number[] = [];
    const longSamples: number[] = [];
    for (let i = 0; i < runs; i++) {
      for (const [db, samples] of [
        [short.db, shortSamples],
        [long.db, longSamples],
      ] as const) {
        collectGarbage();
        const run = await timed(() => refreshTutorScores(db, { asOf: BENCH_NOW }));
        if (run.value.scored !== TUTORS) throw new Error(`history: refresh scored ${run.value.scored} tutors, expected ${TUTORS}`);
        samples.push(run.ms);
      }
      progress(
        `  history run ${i + 1}/${runs}: ${formatMs(shortSamples.at(-1) as number)} with ${SHORT_DAYS} days, ` +
          `${formatMs(longSamples.at(-1) as number)} with ${LONG_DAYS} days`,
      );
    }
    return timeRatioFigure({
      figure: `score: full refresh with ${LONG_DAYS} vs ${SHORT_DAYS} days of history`,
      backend: 'postgres',
      scale: 'history',
      samples: longSamples,
      floorSamples: shortSamples,
      direction: 'median/floor',
      ratioMeaning: `refresh time with ${LONG_DAYS} days of history / with ${SHORT_DAYS} days (same tutors, same daily rate, 10x the rows)`,
      max: 1.3,
      notes: [
        `${TUTORS} tutors, ~${Math.round(SESSIONS_PER_DAY)} sessions a day, busyMonthWeight 1; medians ` +
          `${formatMs(median(longSamples))} (${LONG_DAYS} days) and ${formatMs(median(shortSamples))} (${SHORT_DAYS} days), timed alternately`,
      ],
    });
  } finally {
    for (const scratch of opened) await scratch.close();
  }
}
