/**
 * The recording triggers' own share of the full and the due refresh, from `EXPLAIN (ANALYZE)`: PostgreSQL times each
 * trigger of a statement, so the share holds on a busy machine where alternating runs with the triggers on and off
 * (the bench's recording figures) spread too widely to compare. Each refresh moves every score it writes to another
 * threshold (15, 16, 15, ...), so every written score is recorded. A scratch database, one connection.
 *
 *   TQS_BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test npx tsx bench/recording-share.ts medium
 */
import { sql } from 'drizzle-orm';
import { createDatabase, generateDataset, insertDataset, migrate, queryRows, refreshDueStatement, refreshStatement } from '../src';
import { BENCH_NOW, datasetOptions } from './generate-figure';
import { scales } from './options';
import { createScratchDatabase } from './support/scratch-database';

const scale = scales[(process.argv[2] ?? 'medium') as 'medium'];
const scratch = await createScratchDatabase(process.env.TQS_BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test', 'tqs_probe');
try {
  const db = await createDatabase({ url: scratch.url, max: 1 });
  await migrate(db);
  await insertDataset(db, generateDataset(datasetOptions(scale)));
  await db.execute(sql`analyze`);
  const ids = (await queryRows<{ id: string }>(db, sql`select id::text from tutors order by id`)).map((r) => r.id);
  let threshold = 15;
  const show = (label: string, rows: Record<string, string>[]) => {
    const lines = rows.map((r) => Object.values(r)[0] as string);
    const pick = (re: RegExp) => lines.filter((l) => re.test(l)).map((l) => l.trim()).join(' | ');
    process.stdout.write(`${label}: ${pick(/^Trigger tutor_scores_record|Execution Time/)}\n`);
  };
  for (let i = 0; i < 4; i++) {
    threshold = threshold === 15 ? 16 : 15;
    show(`full t=${threshold}`, await queryRows(db, sql`explain (analyze) ${refreshStatement({ asOf: BENCH_NOW, threshold })}`));
    const due = ids.slice(i * 100, i * 100 + 100);
    await db.execute(sql`insert into tutor_score_changes (tutor_id) select unnest(${`{${due.join(',')}}`}::uuid[])`);
    threshold = threshold === 15 ? 16 : 15;
    show(`due t=${threshold}`, await queryRows(db, sql`explain (analyze) ${refreshDueStatement({ asOf: BENCH_NOW, threshold, limit: 100000 })}`));
    threshold = threshold === 15 ? 16 : 15;
  }
  await db.close();
} finally {
  await scratch.drop();
}
