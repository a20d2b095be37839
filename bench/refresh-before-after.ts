/**
 * The full refresh before and after migration 0009_refresh_speed, side by side in one run: two scratch databases
 * loaded with the same dataset, one rolled back to 0008 and refreshed by the previous statement (every session joined
 * to `tutors`, then grouped by tutor), one at the current schema refreshed by `refreshStatement` (sessions grouped per
 * tutor first); each timed alternately against its own bare `GROUP BY`, on one connection each. With
 * `--one-tutor-first`, a refresh of one tutor runs first on each connection, as a worker's due refresh would: the
 * recording trigger then plans its join of old and new rows for one row.
 *
 *   TQS_BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test npx tsx bench/refresh-before-after.ts --scale medium --runs 7 [--one-tutor-first]
 */
import { sql, type SQL } from 'drizzle-orm';
import { createDatabase, generateDataset, insertDataset, migrate, queryRows, refreshStatement, rollback, type TqsDatabase } from '../src';
import { scoreUpsert } from '../src/scoring/score-upsert';
import { BENCH_NOW, datasetOptions } from './generate-figure';
import { collectGarbageAndSettle, formatMs, median, timed } from './measure';
import { breakdownOptions, runScript } from './script';
import { createScratchDatabase } from './support/scratch-database';

const bareAggregate = sql`select tutor_id, count(*) from sessions group by tutor_id`;

/** The statement before 0009: the scoped form of the upsert (every session joined to its tutor) over every tutor. */
const previousStatement: SQL = sql`with upserted as (
  ${scoreUpsert({ asOf: BENCH_NOW, threshold: 15, where: sql`true`, overwritten: 'mark-due' })}
) select count(*)::int as scored from upserted`;

async function main(): Promise<number> {
  const { scale, url, runs } = breakdownOptions(process.argv.slice(2), 7);
  if (!url) throw new Error('set TQS_BENCH_DATABASE_URL');
  const dataset = generateDataset(datasetOptions(scale));
  const sides: { name: string; db: TqsDatabase; statement: SQL; drop: () => Promise<void>; refresh: number[]; floor: number[] }[] = [];
  try {
    for (const name of ['before (0008, previous statement)', 'after (0009, this statement)']) {
      const scratch = await createScratchDatabase(url, 'tqs_bench');
      const db = await createDatabase({ url: scratch.url, max: 1 });
      const drop = async () => {
        await db.close();
        await scratch.drop();
      };
      sides.push({ name, db, statement: name.startsWith('before') ? previousStatement : refreshStatement({ asOf: BENCH_NOW }), drop, refresh: [], floor: [] });
      await migrate(db);
      if (name.startsWith('before')) await rollback(db, { to: '0008_session_lifecycle' });
      await insertDataset(db, dataset);
      await db.execute(sql`analyze`);
      const [one] = await queryRows<{ id: string }>(db, sql`select id::text from tutors order by id limit 1`);
      if (process.argv.includes('--one-tutor-first')) await db.execute(refreshStatement({ asOf: BENCH_NOW, tutorIds: [one!.id] }));
      await db.execute(sides.at(-1)!.statement);
    }
    for (let i = 0; i < runs; i++) {
      for (const side of i % 2 ? [...sides].reverse() : sides) {
        await collectGarbageAndSettle();
        side.floor.push((await timed(() => side.db.execute(bareAggregate))).ms);
        await collectGarbageAndSettle();
        side.refresh.push((await timed(() => side.db.execute(side.statement))).ms);
      }
    }
    const first = process.argv.includes('--one-tutor-first') ? ', a one-tutor refresh first on each connection' : '';
    process.stdout.write(`${scale.name}: ${scale.tutors} tutors, ${dataset.sessions.length} sessions; median of ${runs}, alternating${first}\n`);
    for (const side of sides) {
      const [r, f] = [median(side.refresh), median(side.floor)];
      process.stdout.write(`  ${side.name}: refresh ${formatMs(r)}, bare GROUP BY ${formatMs(f)}, ${(r / f).toFixed(2)}x\n`);
    }
    return 0;
  } finally {
    for (const side of sides) await side.drop().catch(() => undefined);
  }
}

runScript('refresh-before-after', main);
