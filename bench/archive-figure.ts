import { sql } from 'drizzle-orm';
import { archiveHistory, generateDataset, insertDataset, refreshTutorScores, restoreHistory } from '../src';
import { BENCH_NOW } from './generate-figure';
import { formatMs, formatRate, median, timed } from './measure';
import { openScratch } from './scratch';

/*
 * Archiving on PostgreSQL, run on its own (not part of `npm run bench`):
 *   TQS_BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test npx tsx bench/archive-figure.ts [sessions] [batchSize]
 * A scratch database with 2,000 tutors and `sessions` (default 300,000) over 900 days, busy months flat; the full
 * refresh timed (median of 5) before archiving, then archiveHistory of everything before the safe cutoff, the
 * refresh again, and restoreHistory of all of it. Prints one line per step.
 */

const url = process.env.TQS_BENCH_DATABASE_URL;
if (!url) throw new Error('set TQS_BENCH_DATABASE_URL');
const sessions = Number(process.argv[2] ?? 300_000);
const batchSize = Number(process.argv[3] ?? 5_000);

async function refreshMedian(db: Parameters<typeof refreshTutorScores>[0]): Promise<number> {
  const samples: number[] = [];
  for (let i = 0; i < 5; i++) samples.push((await timed(() => refreshTutorScores(db, { asOf: BENCH_NOW }))).ms);
  return median(samples);
}

const scratch = await openScratch('postgres', url);
try {
  const dataset = generateDataset({ tutors: 2_000, sessions, days: 900, busyMonthWeight: 1, seed: 42, now: BENCH_NOW });
  await insertDataset(scratch.db, dataset);
  await scratch.db.execute(sql`vacuum analyze`);
  const refreshBefore = await refreshMedian(scratch.db);
  console.log(`loaded ${sessions.toLocaleString('en-US')} sessions over 900 days; full refresh ${formatMs(refreshBefore)}`);
  const archived = await timed(() => archiveHistory(scratch.db, { before: new Date(BENCH_NOW.getTime() - 90 * 86_400_000), batchSize }));
  const a = archived.value;
  console.log(
    `archiveHistory: ${a.sessions.toLocaleString('en-US')} sessions, ${a.reschedules.toLocaleString('en-US')} reschedules, ` +
      `${a.emailReports.toLocaleString('en-US')} email reports in ${a.batches} batches of ${batchSize}: ${formatMs(archived.ms)} ` +
      `(${formatRate((a.sessions / archived.ms) * 1000)} sessions)`,
  );
  await scratch.db.execute(sql`vacuum analyze`);
  console.log(`full refresh after archiving: ${formatMs(await refreshMedian(scratch.db))}`);
  const restored = await timed(() => restoreHistory(scratch.db, { batchSize }));
  console.log(
    `restoreHistory: ${restored.value.sessions.toLocaleString('en-US')} sessions in ${restored.value.batches} batches: ` +
      `${formatMs(restored.ms)} (${formatRate((restored.value.sessions / restored.ms) * 1000)} sessions)`,
  );
} finally {
  await scratch.close();
}
