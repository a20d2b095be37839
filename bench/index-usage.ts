/**
 * Which indexes of `tutor_scores` the package's own reads use: loads a scale into a scratch PostgreSQL database,
 * resets the statistics, runs the workload of the score and read-model figures (full and due refreshes, every
 * read-model call, listHighRiskTutors, computeTutorScore), then prints `pg_stat_user_indexes` for `tutor_scores`
 * (idx_scan: how many scans used each index) before the scratch database is dropped.
 *
 *   TQS_BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test npx tsx bench/index-usage.ts --scale medium
 */
import { sql } from 'drizzle-orm';
import {
  computeTutorScore,
  createDatabase,
  generateDataset,
  insertDataset,
  listHighRiskTutors,
  queryRows,
  refreshDueScores,
  refreshTutorScores,
} from '../src';
import { BENCH_NOW, datasetOptions } from './generate-figure';
import { progress } from './measure';
import { readModelFigures } from './read-model-figures';
import { openScratch } from './scratch';
import { breakdownOptions, runScript } from './script';

async function main(): Promise<number> {
  const { scale, url } = breakdownOptions(process.argv.slice(2), 1);
  if (!url) {
    process.stderr.write('index-usage: set TQS_BENCH_DATABASE_URL to a PostgreSQL server\n');
    return 2;
  }
  const scratch = await openScratch('postgres', url);
  try {
    const { db } = scratch;
    await insertDataset(db, generateDataset(datasetOptions(scale)));
    await db.execute(sql`analyze`);
    await db.execute(sql`select pg_stat_reset()`);
    progress('index-usage: workload');
    const ids = (await queryRows<{ id: string }>(db, sql`select id::text from tutors order by id limit 50`)).map((r) => r.id);
    await refreshTutorScores(db, { asOf: BENCH_NOW });
    await refreshTutorScores(db, { asOf: BENCH_NOW, tutorIds: ids });
    await db.execute(sql`insert into tutor_score_changes (tutor_id) select unnest(${`{${ids.join(',')}}`}::uuid[])`);
    await refreshDueScores(db, { asOf: BENCH_NOW });
    await refreshDueScores(db, { asOf: new Date(BENCH_NOW.getTime() + 86_400_000) });
    for (const id of ids.slice(0, 10)) await computeTutorScore(db, id, { asOf: BENCH_NOW });
    await listHighRiskTutors(db);
    await listHighRiskTutors(db, { riskCategories: ['high'] });
    await readModelFigures('postgres', scale, db);
    // A connection sends its statistics when it closes: read them from a new one.
    await db.close();
    const reader = await createDatabase({ url: scratch.url as string, max: 1 });
    try {
      const rows = await queryRows<{ index: string; scans: number; size: string }>(
        reader,
        sql`select indexrelname as "index", idx_scan::int as "scans", pg_size_pretty(pg_relation_size(indexrelid)) as "size"
            from pg_stat_user_indexes where relname = 'tutor_scores' order by indexrelname`,
      );
      process.stdout.write(`pg_stat_user_indexes for tutor_scores after the workload (${scale.name}):\n`);
      for (const row of rows) process.stdout.write(`  ${row.index.padEnd(40)} ${String(row.scans).padStart(8)} scans  ${row.size}\n`);
    } finally {
      await reader.close();
    }
    return 0;
  } finally {
    await scratch.close().catch(() => undefined);
  }
}

runScript('index-usage', main);
