/**
 * The time PostgreSQL itself spends in the reschedule status rule's trigger functions during one insertDataset, read
 * from pg_stat_user_functions (track_functions = 'pl'), beside the load's own time: a figure that a busy machine
 * cannot blur the way a with/without ratio of two loads can.
 *
 *   TQS_BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test npx tsx bench/rule-trigger-time.ts [sessions]
 */
import { sql } from 'drizzle-orm';
import { createDatabase, generateDataset, insertDataset, migrate, queryRows } from '../src';
import { createScratchDatabase } from './support/scratch-database';

const url = process.env.TQS_BENCH_DATABASE_URL;
if (!url) throw new Error('set TQS_BENCH_DATABASE_URL');
const sessions = Number(process.argv[2] ?? 1_000_000);
const dataset = generateDataset({ tutors: Math.max(10, sessions / 100), sessions, now: new Date('2026-01-15T12:00:00Z') });
const scratch = await createScratchDatabase(url, 'tqs_bench');
try {
  const admin = await createDatabase({ url: scratch.url });
  await admin.execute(sql.raw(`alter database "${new URL(scratch.url).pathname.slice(1)}" set track_functions = 'pl'`));
  await admin.close();
  const db = await createDatabase({ url: scratch.url });
  try {
    await migrate(db);
    const started = performance.now();
    await insertDataset(db, dataset, { refreshScores: false });
    const loadMs = performance.now() - started;
    await new Promise((resolve) => setTimeout(resolve, 1500)); // statistics are flushed within a second of idling
    // self_time: a function's own time, without the functions it calls (the rule's triggers call its defer function).
    const rows = await queryRows<{ funcname: string; calls: number; self_time: number }>(
      db,
      sql`select funcname, calls::int, self_time::float8 as self_time from pg_stat_user_functions
          where funcname like 'tqs_%' order by funcname`,
    );
    console.log(`insertDataset(refreshScores: false): ${dataset.sessions.length} sessions, ${dataset.reschedules.length} reschedules, ${Math.round(loadMs)} ms`);
    for (const r of rows) console.log(`  ${r.funcname.padEnd(34)} calls ${String(r.calls).padStart(3)}  ${r.self_time.toFixed(0).padStart(6)} ms`);
    const rule = rows.filter((r) => r.funcname.startsWith('tqs_reschedule_rule')).reduce((sum, r) => sum + r.self_time, 0);
    const capture = rows.filter((r) => r.funcname.startsWith('tqs_capture')).reduce((sum, r) => sum + r.self_time, 0);
    console.log(`  rule total ${rule.toFixed(0)} ms (${((100 * rule) / loadMs).toFixed(1)}% of the load); capture total ${capture.toFixed(0)} ms (${((100 * capture) / loadMs).toFixed(1)}%)`);
  } finally {
    await db.close();
  }
} finally {
  await scratch.drop();
}
