/**
 * Prints PostgreSQL's plan of the score refresh over 2,000 tutors and 100,000 sessions (`--scale large`: 10,000 and
 * 1,000,000), and how many of the updates of the second full refresh were HOT.
 *
 *   TQS_BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test npx tsx bench/explain-refresh.ts [--scale large]
 *
 * (DATABASE_URL works too.) It creates a scratch database next to the one the URL names, migrates it, fills it with
 * generate_series (sessions over the 180 days before AS_OF, ~12% rescheduled, 98% of those by the tutor), ANALYZEs,
 * then runs EXPLAIN (ANALYZE, BUFFERS) of the refresh statement: into an empty tutor_scores, over the rows that run
 * wrote, for 10 tutors (tutorIds), and with staleOnly after 20 tutors' sessions were touched. It then shows the full refresh
 * once more with sequential scans disabled, to compare with the index-driven plan, and drops the scratch database
 * whatever happens. EXPLAIN ANALYZE runs the statement: it does write the scores, in the scratch database only.
 */
import { sql } from 'drizzle-orm';
import { createDatabase, migrate, queryRows, redactUrl, refreshStatement, type TqsDatabase } from '../src';
import { createScratchDatabase } from './support/scratch-database';
import { type ScaleName, scales } from './options';
import { runScript } from './script';

const AS_OF = new Date('2026-01-15T12:00:00.000Z');
const SCALE = scales[process.argv.includes('--scale') ? (process.argv[process.argv.indexOf('--scale') + 1] as ScaleName) : 'medium'];
const TUTORS = SCALE.tutors;
const SESSIONS = SCALE.sessions;

async function fill(db: TqsDatabase): Promise<void> {
  // One transaction: a rescheduled session and its reschedule must commit together (reschedule_status_rule).
  await db.transaction(async (tx) => fillIn(tx as unknown as TqsDatabase));
  await db.execute(sql`analyze`);
}

async function fillIn(db: TqsDatabase): Promise<void> {
  await db.execute(sql`select setseed(0.42)`);
  await db.execute(sql`
    insert into tutors (name, email, is_active)
    select 'Bench Tutor ' || i, 'bench' || i || '@example.com', i % 10 <> 0 from generate_series(1, ${TUTORS}) i`);
  // A tutor's share of rescheduled sessions depends on its tier: 60% at 5%, 25% at 15%, 15% at 30% (about 11.25%
  // overall); the rest split 70:5 completed:no-show.
  await db.execute(sql`
    insert into sessions (tutor_id, student_id, scheduled_time, status, completed_time, duration_minutes)
    select ids[k + 1], 'student-' || floor(random() * 5000)::int, scheduled_time, status,
           case when status = 'completed' then scheduled_time + interval '1 hour' end,
           case when status = 'completed' then 60 end
    from (
      select ids, k, scheduled_time,
             case when u < case when k % 20 < 12 then 0.05 when k % 20 < 17 then 0.15 else 0.30 end then 'rescheduled'
                  when random() < 70.0 / 75 then 'completed' else 'no_show' end as status
      from (
        select (select array_agg(id order by id) from tutors) as ids, floor(random() * ${TUTORS})::int as k,
               ${AS_OF.toISOString()}::timestamptz - random() * interval '180 days' as scheduled_time, random() as u
        from generate_series(1, ${SESSIONS}) g
      ) drawn
    ) sessions_to_insert`);
  await db.execute(sql`
    insert into reschedules (session_id, initiator, original_time, new_time, cancelled_at, reason_code)
    select id, case when random() < 0.982 then 'tutor' else 'student' end, scheduled_time,
           case when random() < 0.2 then null else scheduled_time + interval '2 days' end,
           scheduled_time - random() * interval '72 hours', 'scheduling_conflict'
    from sessions where status = 'rescheduled'`);
}

async function explain(db: TqsDatabase, title: string, statement: ReturnType<typeof refreshStatement>): Promise<void> {
  const rows = await queryRows<Record<string, string>>(db, sql`explain (analyze, buffers) ${statement}`);
  process.stdout.write(`\n=== ${title}\n${rows.map((row) => Object.values(row)[0]).join('\n')}\n`);
}

/** The updates of tutor_scores so far and how many were HOT (heap-only: no index entry written). */
async function hotUpdates(db: TqsDatabase): Promise<void> {
  await db.execute(sql`select pg_stat_force_next_flush()`);
  const [row] = await queryRows<{ updates: number; hot: number }>(
    db,
    sql`select n_tup_upd::int as "updates", n_tup_hot_upd::int as "hot" from pg_stat_user_tables where relname = 'tutor_scores'`,
  );
  process.stdout.write(`\ntutor_scores: ${row?.updates} updates, ${row?.hot} of them HOT\n`);
}

async function main(): Promise<number> {
  const url = process.env.TQS_BENCH_DATABASE_URL || process.env.DATABASE_URL;
  if (!url) {
    process.stderr.write('explain-refresh: set TQS_BENCH_DATABASE_URL or DATABASE_URL to a PostgreSQL server\n');
    return 2;
  }
  const scratch = await createScratchDatabase(url, 'tqs_bench');
  // One connection, so setseed() and the planner settings below apply to every statement.
  const db = await createDatabase({ url: scratch.url, max: 1 }).catch(async (error: unknown) => {
    await scratch.drop();
    throw error;
  });
  try {
    await migrate(db);
    const started = performance.now();
    await fill(db);
    const [counts] = await queryRows<Record<string, number>>(
      db,
      sql`select (select count(*) from tutors)::int as tutors, (select count(*) from sessions)::int as sessions,
                 (select count(*) from reschedules)::int as reschedules,
                 (select count(*) from reschedules where initiator = 'tutor')::int as tutor_reschedules,
                 (select version()) as version`,
    );
    process.stdout.write(
      `scratch database ${redactUrl(scratch.url)}: ${JSON.stringify(counts)}, filled in ${Math.round(performance.now() - started)} ms\n`,
    );

    await explain(db, 'full refresh, empty tutor_scores (inserts)', refreshStatement({ asOf: AS_OF }));
    await explain(db, 'full refresh again (on conflict: updates)', refreshStatement({ asOf: AS_OF }));
    await hotUpdates(db);
    const ten = await queryRows<{ id: string }>(db, sql`select id from tutors order by id desc limit 10`);
    const tutorIds = ten.map((row) => row.id);
    await explain(db, 'refresh of 10 tutors (tutorIds)', refreshStatement({ asOf: AS_OF, tutorIds }));
    await db.execute(sql`
      update sessions set student_id = student_id || '-moved'
      where tutor_id in (select id from tutors order by id limit 20) and scheduled_time > ${AS_OF.toISOString()}::timestamptz - interval '3 days'`);
    await db.execute(sql`analyze sessions`);
    await explain(db, 'staleOnly refresh after touching 20 tutors', refreshStatement({ asOf: AS_OF, staleOnly: true }));
    await db.execute(sql`set enable_seqscan = off`);
    await explain(db, 'full refresh with enable_seqscan = off (for comparison)', refreshStatement({ asOf: AS_OF }));
    return 0;
  } finally {
    await db.close();
    await scratch.drop();
  }
}

runScript('explain-refresh', main);
