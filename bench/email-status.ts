/*
 * operationsStatus's email figures at scale, on PostgreSQL: `email_reports` filled with REPORTS rows (nearly all sent,
 * a few thousand pending, failed and dead), then the median of RUNS calls of operationsStatus (the counts kept by the
 * database, the pending reports through their partial index) against the median of the same figures counted over the
 * whole table, as before the claim queue's migration (the floor it replaces, measured in the same run).
 *
 *   TQS_BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test node --import tsx bench/email-status.ts [REPORTS] [RUNS]
 */
import { sql } from 'drizzle-orm';
import { createDatabase, migrate, operationsStatus, queryRows } from '../src';
import { createScratchDatabase } from './support/scratch-database';

const url = process.env.TQS_BENCH_DATABASE_URL;
if (!url) throw new Error('set TQS_BENCH_DATABASE_URL to a PostgreSQL server');
const REPORTS = Number(process.argv[2] ?? 1_000_000);
const RUNS = Number(process.argv[3] ?? 5);

const scratch = await createScratchDatabase(url, 'tqs_bench');
const db = await createDatabase({ url: scratch.url, max: 2 });
try {
  await migrate(db);
  await db.execute(sql`insert into tutors (id, name) values ('00000000-0000-4000-8000-000000000001', 'Ada')`);
  await db.execute(sql`insert into sessions (id, tutor_id, student_id, scheduled_time, completed_time, status)
    values ('00000000-0000-4000-8000-000000000002', '00000000-0000-4000-8000-000000000001', 's', '2026-01-01Z', '2026-01-01Z', 'completed')`);
  const loadStart = performance.now();
  await db.execute(sql`insert into email_reports (session_id, recipient_email, sent_at, status, error_message, created_at)
    select '00000000-0000-4000-8000-000000000002', 'r' || i || '@example.org', now() - (i || ' seconds')::interval,
      case when i % 1000 = 1 then 'pending' when i % 1000 = 2 then 'failed' when i % 1000 = 3 then 'dead' else 'sent' end,
      case when i % 1000 in (2, 3) then 'SMTP 451' end, now() - (i || ' seconds')::interval
    from generate_series(1, ${REPORTS}::int) i`);
  await db.execute(sql`analyze email_reports`);
  const loadMs = performance.now() - loadStart;
  const wholeTable = sql`select count(*) filter (where status = 'pending' and not coalesce(claimed_until > now(), false))::int,
      count(*) filter (where status = 'pending' and claimed_until > now())::int, count(*) filter (where status = 'sent')::int,
      count(*) filter (where status = 'failed')::int, count(*) filter (where status = 'dead')::int,
      count(*) filter (where status = 'failed' and sent_at > now() - interval '24 hours')::int,
      min(created_at) filter (where status = 'pending') from email_reports`;
  const median = async (fn: () => Promise<unknown>) => {
    const times: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      const t = performance.now();
      await fn();
      times.push(performance.now() - t);
    }
    return times.sort((a, b) => a - b)[Math.floor(RUNS / 2)]!;
  };
  const floor = await median(() => queryRows(db, wholeTable));
  const status = await median(() => operationsStatus(db));
  const figures = (await operationsStatus(db)).emailReports;
  console.log(JSON.stringify({ reports: REPORTS, runs: RUNS, loadMs: Math.round(loadMs), wholeTableCountMs: +floor.toFixed(2), operationsStatusMs: +status.toFixed(2), ratio: +(status / floor).toFixed(3), figures }));
} finally {
  await db.close();
  await scratch.drop();
}
