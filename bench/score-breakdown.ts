/**
 * Where the time of the score refresh goes, against the bare aggregate of the score figure: the refresh's query
 * built up one step at a time, then the full statement (the upsert), then PostgreSQL's EXPLAIN (ANALYZE, BUFFERS) of
 * it. Runs on a scratch database filled by insertDataset at one scale, ANALYZEd, every step warmed up once, then timed
 * as a median.
 *
 *   TQS_BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test npx tsx bench/score-breakdown.ts --scale large
 *   npx tsx bench/score-breakdown.ts --scale medium --backend pglite
 */
import { type SQL, sql } from 'drizzle-orm';
import { generateDataset, insertDataset, queryRows, refreshStatement } from '../src';
import { BENCH_NOW, datasetOptions } from './generate-figure';
import { formatMs, median, timed } from './measure';
import { openScratch } from './scratch';
import { breakdownOptions, runScript } from './script';

const DAY = 86_400_000;
const at = (days: number) => new Date(BENCH_NOW.getTime() - days * DAY).toISOString();
const asOf = BENCH_NOW.toISOString();

/** The six counts of the refresh, over `s` (sessions) and `r` (tutor-initiated reschedules). */
const counts = (withReschedules: boolean) =>
  sql.raw(
    [7, 30]
      .flatMap((d) => [
        `count(s.id) filter (where s.scheduled_time > '${at(d)}')`,
        withReschedules ? `count(r.id) filter (where s.scheduled_time > '${at(d)}')` : '0',
      ])
      .concat(['count(s.id)', withReschedules ? 'count(r.id)' : '0'])
      .join(', '),
  );
const window = sql.raw(`s.scheduled_time > '${at(90)}' and s.scheduled_time <= '${asOf}'`);

const steps: { name: string; query: SQL }[] = [
  { name: 'floor: select tutor_id, count(*) from sessions group by tutor_id', query: sql`select tutor_id, count(*) from sessions group by tutor_id` },
  {
    name: '+ the 90-day window and the six filtered counts (sessions only)',
    query: sql`select s.tutor_id, ${counts(false)} from sessions s where ${window} group by s.tutor_id`,
  },
  {
    name: "+ left join reschedules r (r.session_id = s.id and r.initiator = 'tutor')",
    query: sql`select s.tutor_id, ${counts(true)} from sessions s
      left join reschedules r on r.session_id = s.id and r.initiator = 'tutor'
      where ${window} group by s.tutor_id`,
  },
  {
    name: '+ from tutors t left join sessions (every tutor scored), group by t.id order by t.id: the SELECT of the refresh',
    query: sql`select t.id, ${counts(true)} from tutors t
      left join sessions s on s.tutor_id = t.id and ${window}
      left join reschedules r on r.session_id = s.id and r.initiator = 'tutor'
      group by t.id order by t.id`,
  },
  { name: 'the refresh statement: that SELECT upserted into tutor_scores (on conflict do update)', query: refreshStatement({ asOf: BENCH_NOW }) },
];

/*
 * Two measured alternatives, for whoever tunes the refresh: the same SELECT with more work_mem (the server's default of
 * 4MB spills the hash of reschedules to disk at 1M sessions), and the same counts as two per-tutor aggregates joined
 * to tutors, so that only the tutor-initiated reschedules (about 12% of sessions) go through the join instead of
 * every session of the window.
 */
const selectOfRefresh = steps[3]?.query as SQL;
const perTutorThenJoin = sql`select t.id,
    coalesce(sc.s7, 0), coalesce(rc.r7, 0), coalesce(sc.s30, 0), coalesce(rc.r30, 0), coalesce(sc.s90, 0), coalesce(rc.r90, 0)
  from tutors t
  left join (
    select s.tutor_id,
      count(*) filter (where s.scheduled_time > ${sql.raw(`'${at(7)}'`)}) as s7,
      count(*) filter (where s.scheduled_time > ${sql.raw(`'${at(30)}'`)}) as s30,
      count(*) as s90
    from sessions s where ${window} group by s.tutor_id
  ) sc on sc.tutor_id = t.id
  left join (
    select s.tutor_id,
      count(*) filter (where s.scheduled_time > ${sql.raw(`'${at(7)}'`)}) as r7,
      count(*) filter (where s.scheduled_time > ${sql.raw(`'${at(30)}'`)}) as r30,
      count(*) as r90
    from reschedules r join sessions s on s.id = r.session_id
    where r.initiator = 'tutor' and ${window} group by s.tutor_id
  ) rc on rc.tutor_id = t.id
  order by t.id`;

async function main(): Promise<number> {
  const { scale, backend, url, runs } = breakdownOptions(process.argv.slice(2), 5);

  const scratch = await openScratch(backend, url);
  try {
    const dataset = generateDataset(datasetOptions(scale));
    await insertDataset(scratch.db, dataset);
    await scratch.db.execute(sql`analyze`);
    process.stdout.write(
      `${backend}, ${scale.tutors} tutors, ${dataset.sessions.length} sessions, ${dataset.reschedules.length} reschedules; median of ${runs}\n`,
    );
    let floor = Number.NaN;
    for (const [i, step] of steps.entries()) {
      await scratch.db.execute(step.query);
      const samples: number[] = [];
      for (let k = 0; k < runs; k++) samples.push((await timed(() => scratch.db.execute(step.query))).ms);
      const m = median(samples);
      if (i === 0) floor = m;
      process.stdout.write(`  ${formatMs(m).padStart(8)}  ${(m / floor).toFixed(2).padStart(5)}x  ${step.name}\n`);
    }
    const alternatives: { name: string; run: () => Promise<unknown> }[] = [
      {
        name: 'alternative: the SELECT of the refresh with work_mem = 64MB (set local)',
        run: () =>
          scratch.db.transaction(async (tx) => {
            await tx.execute(sql`set local work_mem = '64MB'`);
            await tx.execute(selectOfRefresh);
          }),
      },
      {
        name: 'alternative: the same counts as two per-tutor aggregates (sessions; tutor reschedules) joined to tutors',
        run: () => scratch.db.execute(perTutorThenJoin),
      },
    ];
    // The refresh into an empty tutor_scores: every row an insert instead of a conflict and an update.
    const empty: number[] = [];
    for (let k = 0; k < runs; k++) {
      await scratch.db.execute(sql`truncate tutor_scores`);
      empty.push((await timed(() => scratch.db.execute(refreshStatement({ asOf: BENCH_NOW })))).ms);
    }
    process.stdout.write(
      `  ${formatMs(median(empty)).padStart(8)}  ${(median(empty) / floor).toFixed(2).padStart(5)}x  ` +
        'the refresh statement into an empty tutor_scores (all inserts, after truncate)\n',
    );
    for (const alternative of alternatives) {
      await alternative.run();
      const samples: number[] = [];
      for (let k = 0; k < runs; k++) samples.push((await timed(alternative.run)).ms);
      const m = median(samples);
      process.stdout.write(`  ${formatMs(m).padStart(8)}  ${(m / floor).toFixed(2).padStart(5)}x  ${alternative.name}\n`);
    }
    const last = steps[steps.length - 1];
    if (backend === 'postgres' && last) {
      const plan = await queryRows<Record<string, string>>(scratch.db, sql`explain (analyze, buffers) ${last.query}`);
      process.stdout.write(`\nEXPLAIN (ANALYZE, BUFFERS) of the refresh:\n${plan.map((r) => Object.values(r)[0]).join('\n')}\n`);
    }
    return 0;
  } finally {
    await scratch.close();
  }
}

runScript('score-breakdown', main);
