import { asc, sql } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  computeTutorScore,
  createDatabase,
  queryRows,
  refreshTutorScores,
  type RefreshTutorScoresOptions,
  type TqsDatabase,
  tutors,
  tutorScores,
} from '../src';
import { openTestDatabase, postgresUrl } from './support/databases';

const AS_OF = new Date('2026-03-15T12:00:00.000Z');
const TUTORS = 400;
const WORKERS = 8;

/** Everything a refresh decides, without the id and timestamps that differ from run to run. */
async function scoreTable(db: TqsDatabase) {
  const rows = await db.select().from(tutorScores).orderBy(asc(tutorScores.tutorId));
  return rows.map(({ id: _id, lastCalculatedAt: _calculated, createdAt: _created, updatedAt: _updated, ...score }) => score);
}

/**
 * Adds `count` sessions spread over the 100 days before AS_OF across all tutors, every 6th rescheduled by the tutor
 * (every 4th of those a cancellation), in one statement. `batch` varies the spread from call to call.
 */
async function addSessions(db: TqsDatabase, count: number, batch: number): Promise<void> {
  await db.execute(sql`
    with tutor_ids as (select array_agg(id order by id) as ids from tutors),
    added as (
      insert into sessions (tutor_id, student_id, scheduled_time, status)
      select ids[1 + (g * 7 + ${batch}) % cardinality(ids)], 'student-' || (g % 11),
             ${AS_OF.toISOString()}::timestamptz - interval '1 second' * ((g * 104729 + ${batch} * 7919) % 8640000),
             case when (g + ${batch}) % 6 = 0 then 'rescheduled' else 'no_show' end
      from tutor_ids, generate_series(1, ${count}) g
      returning id, scheduled_time, status
    )
    insert into reschedules (session_id, initiator, original_time, new_time, cancelled_at)
    select id, 'tutor', scheduled_time,
           case when extract(second from scheduled_time)::int % 4 = 0 then null else scheduled_time + interval '1 day' end,
           scheduled_time - interval '3 hours'
    from added where status = 'rescheduled'`);
}

describe.skipIf(!postgresUrl)('refreshTutorScores under concurrency [postgres]', () => {
  let db: TqsDatabase;
  /** One connection each, like separate worker processes. */
  let workers: TqsDatabase[] = [];
  /** A ninth connection, which inserts sessions while the eight workers refresh. */
  let writer: TqsDatabase;

  beforeAll(async () => {
    db = await openTestDatabase({ name: 'postgres', url: postgresUrl as string });
    const [row] = await queryRows<{ name: string }>(db, sql`select current_database() as name`);
    const url = new URL(postgresUrl as string);
    url.pathname = `/${row!.name}`;
    workers = await Promise.all(Array.from({ length: WORKERS }, () => createDatabase({ url: url.toString(), max: 1 })));
    writer = await createDatabase({ url: url.toString(), max: 1 });
  });
  afterAll(async () => {
    await Promise.all(workers.map((worker) => worker.close()));
    await writer?.close();
    await db?.close();
  });
  beforeEach(async () => {
    await db.execute(sql`truncate tutors, sessions, reschedules, tutor_scores cascade`);
    await db.execute(sql`
      insert into tutors (name, email, is_active)
      select 'Tutor ' || i, 'tutor' || i || '@example.com', i % 9 <> 0 from generate_series(1, ${TUTORS}) i`);
    await addSessions(db, 4_000, 0);
  });

  it('8 connections refreshing at once: no error, no retry needed, one row per tutor, the same as one run', async () => {
    const runAll = (options: (worker: number) => RefreshTutorScoresOptions) =>
      Promise.all(workers.map((worker, i) => refreshTutorScores(worker, { asOf: AS_OF, maxRetries: 0, ...options(i) })));

    // Into an empty table: every worker races to insert every tutor's row.
    const first = await runAll(() => ({}));
    expect(first.map((result) => result.scored)).toEqual(Array(WORKERS).fill(TUTORS));
    expect(new Set(first.map((result) => result.flagged)).size).toBe(1);
    const [counts] = await queryRows<{ rows: number; tutors: number }>(
      db,
      sql`select count(*)::int as rows, count(distinct tutor_id)::int as tutors from tutor_scores`,
    );
    expect(counts).toEqual({ rows: TUTORS, tutors: TUTORS });
    const concurrent = await scoreTable(db);

    // Over existing rows, with overlapping scopes: all, the same ids in opposite orders, halves, stale only.
    const ids = (await db.select({ id: tutors.id }).from(tutors)).map((row) => row.id);
    for (let round = 0; round < 3; round++) {
      await runAll((i) =>
        [
          {},
          { tutorIds: ids },
          { tutorIds: [...ids].reverse() },
          { tutorIds: ids.filter((_, k) => k % 2 === 0) },
          { tutorIds: ids.filter((_, k) => k % 2 === 1).reverse() },
          { staleOnly: true },
          { threshold: 15 },
          {},
        ][(i + round) % WORKERS]!,
      );
    }
    expect(await db.$count(tutorScores)).toBe(TUTORS);
    expect(await scoreTable(db)).toEqual(concurrent);

    await db.execute(sql`truncate tutor_scores`);
    const single = await refreshTutorScores(db, { asOf: AS_OF });
    expect(single).toMatchObject({ scored: TUTORS, flagged: first[0]!.flagged });
    expect(await scoreTable(db)).toEqual(concurrent);
    expect(concurrent.some((row) => row.isHighRisk)).toBe(true);
    expect(concurrent.some((row) => !row.isHighRisk)).toBe(true);
  });

  it('8 connections refreshing while a 9th inserts sessions: no error, no retry, no duplicate row, final scores equal a fresh recomputation', async () => {
    const ids = (await db.select({ id: tutors.id }).from(tutors)).map((row) => row.id);
    const scopes: RefreshTutorScoresOptions[] = [
      {},
      { staleOnly: true },
      { tutorIds: ids },
      { tutorIds: [...ids].reverse() },
      { tutorIds: ids.filter((_, k) => k % 2 === 0) },
      { staleOnly: true },
      { tutorIds: ids.filter((_, k) => k % 3 === 0).reverse() },
      {},
    ];
    // The writer keeps inserting, a batch of 50 sessions every ~10 ms, until every worker has finished 3 refreshes
    // while the writes went on (and at least 40 batches), so every worker's refreshes overlap the inserts, however
    // fast either side runs.
    let writing = true;
    let batches = 0;
    const overlapped = Array<number>(WORKERS).fill(0);
    const write = (async () => {
      try {
        while (batches < 40 || Math.min(...overlapped) < 3) {
          if (batches >= 1_000) throw new Error(`the refreshers did not keep up: ${overlapped.join(', ')}`);
          batches += 1;
          await addSessions(writer, 50, batches);
          await new Promise((resolve) => setTimeout(resolve, 10)); // a steady trickle, not a flood
        }
      } finally {
        writing = false;
      }
    })();
    const refresh = workers.map(async (worker, i) => {
      while (writing) {
        // maxRetries 0: a deadlock or serialization failure would be an error here, not a silent retry.
        await refreshTutorScores(worker, { asOf: AS_OF, maxRetries: 0, ...scopes[i] });
        if (writing) overlapped[i] = (overlapped[i] ?? 0) + 1;
      }
    });
    await Promise.all([write, ...refresh]);
    expect(Math.min(...overlapped)).toBeGreaterThanOrEqual(3);
    const [counts] = await queryRows<{ rows: number; tutors: number }>(
      db,
      sql`select count(*)::int as rows, count(distinct tutor_id)::int as tutors from tutor_scores`,
    );
    expect(counts).toEqual({ rows: TUTORS, tutors: TUTORS });

    expect(await refreshTutorScores(db, { asOf: AS_OF })).toMatchObject({ scored: TUTORS });
    const stored = await scoreTable(db);
    expect(stored).toHaveLength(TUTORS);
    for (const row of stored) {
      const computed = await computeTutorScore(db, row.tutorId, { asOf: AS_OF });
      expect(row).toEqual(computed);
    }
    const [sessionCount] = await queryRows<{ n: number }>(db, sql`select count(*)::int as n from sessions`);
    expect(sessionCount!.n).toBe(4_000 + batches * 50);
  });
});
