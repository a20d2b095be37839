import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ConstraintViolationError,
  type Database,
  ensurePartitions,
  generateDataset,
  insertDataset,
  InvalidOptionError,
  listPartitions,
  migrate,
  queryRows,
  refreshTutorScores,
  rollback,
  sessions,
  type TqsDatabase,
  translateDatabaseError,
} from '../src';
import { createDatabase } from '../src/db';
import { describeEachBackend, migratedScratchDatabase, openEmptyDatabase, openTestDatabase, postgresUrl } from './support/databases';
import type { ScratchServerDatabase } from '../bench/support/scratch-database';
import { runCliCaptured } from './support/run-cli';

const now = new Date('2026-06-15T12:00:00Z');
const DAY = 86_400_000;

/** Rows and a hash of each table the conversion must keep exactly (scores without their refresh timestamps). */
async function fingerprint(db: Database) {
  const [row] = await queryRows<Record<string, string>>(
    db,
    sql`select
      (select count(*) || ':' || md5(coalesce(string_agg(t::text, '|' order by t.id), '')) from sessions t) as sessions,
      (select count(*) || ':' || md5(coalesce(string_agg(t::text, '|' order by t.id), '')) from reschedules t) as reschedules,
      (select count(*) || ':' || md5(coalesce(string_agg(t::text, '|' order by t.id), '')) from email_reports t) as email_reports,
      (select count(*) || ':' || md5(coalesce(string_agg(t::text, '|' order by t.id), '')) from tutors t) as tutors,
      (select count(*) || ':' || md5(coalesce(string_agg((t.tutor_id, t.total_sessions_7d, t.total_sessions_30d,
        t.total_sessions_90d, t.tutor_reschedules_7d, t.tutor_reschedules_30d, t.tutor_reschedules_90d,
        t.is_high_risk)::text, '|' order by t.tutor_id), '')) from tutor_scores t) as scores,
      (select count(*) || ':' || md5(coalesce(string_agg(t::text, '|' order by t::text), '')) from fleet_counts t) as fleet_counts`,
  );
  return row;
}

const partitioned = async (db: Database) =>
  (await queryRows<{ kind: string }>(db, sql`select relkind::text as kind from pg_class where oid = 'sessions'::regclass`))[0]?.kind === 'p';

describeEachBackend('partitioned sessions: the conversion', (backend) => {
  // 100k sessions over 13 months on PostgreSQL; PGlite (slower past 100k rows, and its own memory) converts 20k.
  const count = backend.name === 'postgres' ? 100_000 : 20_000;
  let db: TqsDatabase;
  beforeAll(async () => {
    db = await openEmptyDatabase(backend);
    await migrate(db);
    await rollback(db, { to: '0014_score_history_one_index' });
    expect(await partitioned(db)).toBe(false);
    const dataset = generateDataset({ seed: 27, now, tutors: 500, sessions: count, days: 400, bookedDays: 30 });
    await insertDataset(db, dataset);
  }, 300_000);
  afterAll(async () => {
    await db?.close();
  });

  it('converts in place keeping every row, rule and score; the down restores the single table', async () => {
    const before = await fingerprint(db);
    expect(await migrate(db)).toEqual({ applied: ['0015_partitioned_sessions', '0016_archive_months'] });
    expect(await partitioned(db)).toBe(true);
    expect(await fingerprint(db)).toEqual(before);
    const parts = await listPartitions(db);
    const months = parts.filter((p) => p.from !== null);
    // 400 days back and 30 ahead of 2026-06-15: 2025-05 to 2026-07, plus the current and next month of the clock.
    expect(months[0]!.name).toBe('sessions_2025_05');
    expect(months.map((p) => p.name)).toContain('sessions_2026_07');
    expect(parts.find((p) => p.name === 'sessions_default')).toMatchObject({ rows: 0, from: null, to: null });
    const [stored] = await queryRows<{ n: number }>(db, sql`select count(*)::int as n from sessions`);
    expect(stored!.n).toBeGreaterThanOrEqual(count);
    expect(parts.reduce((sum, p) => sum + p.rows, 0)).toBe(stored!.n);
    // A full refresh after the conversion gives the same scores.
    await refreshTutorScores(db, { asOf: now });
    expect((await fingerprint(db))?.scores).toBe(before?.scores);
    // The rules hold on the converted rows: a session id taken in another month is refused.
    const [taken] = await queryRows<{ id: string; tutor_id: string }>(db, sql`select id, tutor_id from sessions_2025_06 limit 1`);
    const error = await db
      .insert(sessions)
      .values({ id: taken!.id, tutorId: taken!.tutor_id, studentId: 's', scheduledTime: new Date('2026-01-10T10:00:00Z'), status: 'no_show' })
      .catch((e: unknown) => translateDatabaseError(e));
    expect(error).toMatchObject({ constraint: 'sessions_pkey', table: 'sessions' });
    const down = await rollback(db, { to: '0014_score_history_one_index' });
    expect(down.rolledBack).toEqual(['0016_archive_months', '0015_partitioned_sessions']);
    expect(await partitioned(db)).toBe(false);
    expect(await fingerprint(db)).toEqual(before);
  }, 300_000);
});

describeEachBackend('partitioned sessions: rules and upkeep', (backend) => {
  let db: TqsDatabase;
  let tutorId: string;
  beforeAll(async () => {
    db = await openTestDatabase(backend);
    await insertDataset(db, generateDataset({ seed: 3, now, tutors: 5, sessions: 200, days: 60 }));
    tutorId = (await queryRows<{ id: string }>(db, sql`select id from tutors order by id limit 1`))[0]!.id;
  });

  it('a load makes the months of its rows and copies each row straight into its month', async () => {
    const parts = await listPartitions(db);
    expect(parts.find((p) => p.name === 'sessions_default')?.rows).toBe(0);
    expect(parts.filter((p) => p.rows > 0).map((p) => p.name)).toEqual(['sessions_2026_04', 'sessions_2026_05', 'sessions_2026_06']);
    expect(parts.reduce((sum, p) => sum + p.rows, 0)).toBe(200);
  });
  afterAll(async () => {
    await db?.close();
  });

  const session = (id: string, at: string) => ({ id, tutorId, studentId: 'student-p', scheduledTime: new Date(at), status: 'no_show' as const });

  it('keeps an id unique across months, through the parent and straight into a month', async () => {
    await ensurePartitions(db, { now: new Date('2031-01-01T00:00:00Z'), ahead: 1 });
    const id = '00000000-0000-4000-8000-00000000a001';
    await db.insert(sessions).values(session(id, '2031-01-05T10:00:00Z'));
    const again = await db.insert(sessions).values(session(id, '2031-02-05T10:00:00Z')).catch((e: unknown) => translateDatabaseError(e));
    expect(again).toBeInstanceOf(ConstraintViolationError);
    expect(again).toMatchObject({ constraint: 'sessions_pkey', table: 'sessions' });
    const direct = await db
      .execute(sql`insert into sessions_2031_02 (id, tutor_id, student_id, scheduled_time, status)
                   values (${id}, ${tutorId}, 's', '2031-02-06T10:00:00Z', 'no_show')`)
      .catch((e: unknown) => translateDatabaseError(e));
    expect(direct).toMatchObject({ constraint: 'sessions_pkey', table: 'sessions' });
    await db.execute(sql`delete from sessions where id = ${id}`);
    // Deleted, the id is free again (session_ids follows the deletes).
    await db.insert(sessions).values(session(id, '2031-02-05T10:00:00Z'));
    await db.execute(sql`delete from sessions where id = ${id}`);
  });

  it('stores a session of a month without a partition in the default one, and ensurePartitions moves it with its reschedule', async () => {
    const id = '00000000-0000-4000-8000-00000000a002';
    await db.transaction(async (tx) => {
      await tx.insert(sessions).values({ ...session(id, '2040-03-10T10:00:00Z'), status: 'rescheduled' });
      await tx.execute(sql`insert into reschedules (session_id, initiator, original_time, cancelled_at)
                           values (${id}, 'tutor', '2040-03-10T10:00:00Z', '2040-03-09T10:00:00Z')`);
    });
    const before = await fingerprint(db);
    expect((await listPartitions(db)).find((p) => p.name === 'sessions_default')?.rows).toBe(1);
    const result = await ensurePartitions(db, { now, ahead: 0 });
    expect(result).toEqual({ created: ['sessions_2040_03'], moved: 1 });
    expect(await fingerprint(db)).toEqual(before);
    const parts = await listPartitions(db);
    expect(parts.find((p) => p.name === 'sessions_default')?.rows).toBe(0);
    expect(parts.find((p) => p.name === 'sessions_2040_03')).toEqual({
      name: 'sessions_2040_03',
      from: new Date('2040-03-01T00:00:00Z'),
      to: new Date('2040-04-01T00:00:00Z'),
      rows: 1,
    });
    expect(await ensurePartitions(db, { now, ahead: 0 })).toEqual({ created: [], moved: 0 });
  });

  it('creates the current month and the months ahead, and refuses a bad ahead or now', async () => {
    const result = await ensurePartitions(db, { now: new Date('2035-11-20T00:00:00Z'), ahead: 2 });
    expect(result.created).toEqual(['sessions_2035_11', 'sessions_2035_12', 'sessions_2036_01']);
    for (const ahead of [-1, 1.5, 121]) {
      await expect(ensurePartitions(db, { ahead })).rejects.toBeInstanceOf(InvalidOptionError);
    }
    await expect(ensurePartitions(db, { now: new Date(Number.NaN) })).rejects.toThrow(/now must be a valid Date/);
  });

  it("a tutor's window reads only the months it covers (partition pruning)", async () => {
    const asOf = new Date('2026-06-15T12:00:00Z');
    const from = new Date(asOf.getTime() - 30 * DAY);
    const [plan] = await queryRows<{ 'QUERY PLAN': unknown }>(
      db,
      sql`explain (format json) select count(*) from sessions
          where tutor_id = ${tutorId} and scheduled_time > ${from.toISOString()}::timestamptz and scheduled_time <= ${asOf.toISOString()}::timestamptz`,
    );
    const text = JSON.stringify(plan);
    const read = [...new Set([...text.matchAll(/"Relation Name":"(sessions_[a-z0-9_]+)"/g)].map((m) => m[1]))].sort();
    expect(read).toEqual(['sessions_2026_05', 'sessions_2026_06']);
  });

});

describe.runIf(postgresUrl)('partitioned sessions: workers racing to create months (PostgreSQL)', () => {
  let scratch: ScratchServerDatabase;
  beforeAll(async () => {
    scratch = await migratedScratchDatabase(postgresUrl!, 'tqs_partitions');
  });
  afterAll(async () => {
    await scratch?.drop();
  });

  it('two workers creating the same months at once both succeed, and each month is made once', async () => {
    const workers = await Promise.all([0, 1, 2].map(() => createDatabase({ url: scratch.url, max: 1 })));
    try {
      for (const year of [2050, 2051, 2052, 2053, 2054]) {
        const results = await Promise.all(workers.map((w) => ensurePartitions(w, { now: new Date(Date.UTC(year, 0, 1)), ahead: 5 })));
        const made = results.flatMap((r) => r.created).sort();
        expect(made).toEqual([1, 2, 3, 4, 5, 6].map((m) => `sessions_${year}_0${m}`));
      }
    } finally {
      await Promise.all(workers.map((w) => w.close()));
    }
  });

  it('tqs-data partitions creates the months ahead and lists every partition with its rows', async () => {
    const first = await runCliCaptured(['partitions', '--ahead', '2', '--json', '--database-url', scratch.url]);
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    const said = JSON.parse(first.stdout) as { created: string[]; moved: number; partitions: { name: string; rows: number }[] };
    expect(said.moved).toBe(0);
    expect(said.partitions.map((p) => p.name)).toContain('sessions_default');
    const again = await runCliCaptured(['partitions', '--ahead', '2', '--database-url', scratch.url]);
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/no partition missing/);
    expect(again.stdout).toMatch(/sessions_default +any other time +0 rows/);
    const bad = await runCliCaptured(['partitions', '--ahead', '+5', '--database-url', scratch.url]);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/--ahead/);
  });
});
