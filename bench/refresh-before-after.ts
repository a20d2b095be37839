/**
 * The full refresh before and after migration 0012_refresh_skip_unchanged, side by side in one run: two scratch
 * databases loaded with the same dataset, one rolled back to 0011 and refreshed by the previous statement (0009's:
 * sessions aggregated per tutor in the statement itself, every row rewritten), one at the current schema refreshed by
 * `refreshStatement` (the counts from `tqs_score_counts`, unchanged rows left as they were); each timed alternately
 * against its own bare `GROUP BY`, on one connection each. `--threshold-flip` gives each refresh another threshold
 * (16, 15, ...), so that every row changes on both sides. With
 * `--one-tutor-first`, a refresh of one tutor runs first on each connection, as a worker's due refresh would: the
 * recording trigger then plans its join of old and new rows for one row.
 *
 *   TQS_BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test npx tsx bench/refresh-before-after.ts --scale medium --runs 7 [--one-tutor-first] [--threshold-flip]
 */
import { sql, type SQL } from 'drizzle-orm';
import { createDatabase, generateDataset, insertDataset, migrate, queryRows, refreshStatement, rollback, type TqsDatabase } from '../src';
import { aggregatedScores, countExpressions } from '../src/scoring/score-query';
import { BENCH_NOW, datasetOptions } from './generate-figure';
import { collectGarbageAndSettle, formatMs, median, timed } from './measure';
import { breakdownOptions, runScript } from './script';
import { createScratchDatabase } from './support/scratch-database';

const bareAggregate = sql`select tutor_id, count(*) from sessions group by tutor_id`;

/** The statement of 0009–0011 over every tutor: aggregated in the statement, every row rewritten (mark-due on conflict). */
function previousStatement(threshold: number): SQL {
  const columns = [...countExpressions(BENCH_NOW).map(([c]) => c.name), 'next_change_at', 'risk_threshold', 'as_of', 'last_calculated_at'];
  const list = sql.raw(columns.map((c) => `"${c}"`).join(', '));
  const assign = sql.raw(
    columns
      .map((c) =>
        c === 'next_change_at'
          ? `"next_change_at" = case when "tutor_scores".xmin = (select "seen".xmin from "tutor_scores" "seen" where "seen"."tutor_id" = excluded."tutor_id") then excluded."next_change_at" else excluded."as_of" end`
          : `"${c}" = excluded."${c}"`,
      )
      .join(', '),
  );
  return sql`with upserted as (
  insert into tutor_scores ("tutor_id", ${list})
  ${aggregatedScores(BENCH_NOW, sql`${threshold.toFixed(2)}::numeric, ${BENCH_NOW.toISOString()}::timestamptz, now()`)}
  where exists (select from tutors "still" where "still".id = "t".id for key share of "still")
  order by "t".id
  on conflict ("tutor_id") do update set ${assign}
  returning tutor_id, is_high_risk
) select count(*)::int as scored from upserted`;
}

async function main(): Promise<number> {
  const { scale, url, runs } = breakdownOptions(process.argv.slice(2), 7);
  if (!url) throw new Error('set TQS_BENCH_DATABASE_URL');
  const dataset = generateDataset(datasetOptions(scale));
  const flip = process.argv.includes('--threshold-flip');
  const threshold = (i: number) => (flip && i % 2 === 0 ? 16 : 15);
  const sides: { name: string; db: TqsDatabase; statement: (i: number) => SQL; drop: () => Promise<void>; refresh: number[]; floor: number[] }[] = [];
  try {
    for (const name of ['before (0011, the 0009 statement)', 'after (0012, this statement)']) {
      const scratch = await createScratchDatabase(url, 'tqs_bench');
      const db = await createDatabase({ url: scratch.url, max: 1 });
      const drop = async () => {
        await db.close();
        await scratch.drop();
      };
      const statement = (i: number) =>
        name.startsWith('before') ? previousStatement(threshold(i)) : refreshStatement({ asOf: BENCH_NOW, threshold: threshold(i) });
      sides.push({ name, db, statement, drop, refresh: [], floor: [] });
      await migrate(db);
      await insertDataset(db, dataset);
      // insertDataset refreshes with this package's statement: load at the current schema, then roll back (its row of
      // tutor_score_refreshes goes with the table).
      if (name.startsWith('before')) await rollback(db, { to: '0011_fleet_counts', force: true });
      await db.execute(sql`analyze`);
      const [one] = await queryRows<{ id: string }>(db, sql`select id::text from tutors order by id limit 1`);
      if (process.argv.includes('--one-tutor-first')) await db.execute(refreshStatement({ asOf: BENCH_NOW, tutorIds: [one!.id] }));
      await db.execute(sides.at(-1)!.statement(1));
    }
    for (let i = 0; i < runs; i++) {
      for (const side of i % 2 ? [...sides].reverse() : sides) {
        await collectGarbageAndSettle();
        side.floor.push((await timed(() => side.db.execute(bareAggregate))).ms);
        await collectGarbageAndSettle();
        side.refresh.push((await timed(() => side.db.execute(side.statement(i)))).ms);
      }
    }
    const first =
      (process.argv.includes('--one-tutor-first') ? ', a one-tutor refresh first on each connection' : '') +
      (flip ? ', another threshold each run (every row rewritten)' : ', the same asOf and threshold each run');
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
