import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  archiveHistory,
  type Database,
  ensurePartitions,
  generateDataset,
  insertDataset,
  migrate,
  queryRows,
  refreshDueScores,
  restoreHistory,
  rollback,
  sessions,
  type TqsDatabase,
  translateDatabaseError,
  tutorScores,
} from '../src';
import { TEST_NOW } from '../src/testing';
import { sqlStateOf } from '../src/util/error-chain';
import { describeEachBackend, openTestDatabase, postgresUrl, useDatabase } from './support/databases';

/*
 * archiveHistory / restoreHistory by whole months (migration 0016_archive_months): with a cutoff on the first instant
 * of a month, each month before it leaves `sessions` by detaching its partition and joins `tqs_archive.sessions`;
 * restoreHistory attaches it back. Checked: every row of the three tables conserved (count and hash, live and archive
 * together), ids unique on each side, the fleet counts equal to a recount, stored scores unchanged, the month's
 * triggers and keys where they belong, the fall-back to row moves, the reschedule rule on the way back, the down.
 */

const NOW = TEST_NOW; // 2026-01-15T12:00Z
/** A month boundary before the oldest score window (2025-10-17T12:00Z): nine whole months lie before it. */
const CUT = new Date('2025-10-01T00:00:00Z');
const dataset = generateDataset({ tutors: 30, sessions: 6_000, days: 365, seed: 12, now: NOW });

/** Rows and a hash of each moved table, live and archive together, and of each side alone. */
async function fingerprint(db: Database) {
  const side = (schema: string, table: string) =>
    `(select count(*) || ':' || md5(coalesce(string_agg(t::text, '|' order by t.id), '')) from ${schema}.${table} t)`;
  const both = (table: string, columns: string) =>
    `(select count(*) || ':' || md5(coalesce(string_agg(r, '|' order by r), '')) from (select row(${columns})::text r from public.${table} union all select row(${columns})::text from tqs_archive.${table}) x)`;
  const [row] = await queryRows<Record<string, string>>(
    db,
    sql.raw(`select
      ${both('sessions', 'id, tutor_id, student_id, scheduled_time, completed_time, status, duration_minutes, created_at, updated_at')} as sessions,
      ${both('reschedules', 'id, session_id, initiator, original_time, new_time, reason, reason_code, cancelled_at, created_at')} as reschedules,
      ${both('email_reports', 'id, session_id, recipient_email, sent_at, status, error_message, created_at')} as email_reports,
      ${side('public', 'sessions')} as live_sessions, ${side('tqs_archive', 'sessions')} as archived_sessions`),
  );
  return row as Record<string, string>;
}

/** Each side's ids against its id table: equal sets, or the differences. */
async function idTablesMatch(db: Database): Promise<boolean> {
  const [row] = await queryRows<{ ok: boolean }>(
    db,
    sql`select not exists (select id from sessions except select id from session_ids)
           and not exists (select id from session_ids except select id from sessions)
           and not exists (select id from tqs_archive.sessions except select id from tqs_archive.session_ids)
           and not exists (select id from tqs_archive.session_ids except select id from tqs_archive.sessions) as ok`,
  );
  return row?.ok === true;
}

/** fleet_counts' non-zero rows as kept by the triggers and the month moves, and as a recount from the rows makes them. */
async function fleetCounts(db: Database): Promise<{ kept: string; recounted: string }> {
  const hash = async () =>
    (await queryRows<{ m: string }>(db, sql`select coalesce(md5(string_agg(t::text, '|' order by t::text)), '') as m from fleet_counts t where count <> 0`))[0]!.m;
  const kept = await hash();
  await db.execute(sql`select tqs_recount_fleet_counts()`);
  return { kept, recounted: await hash() };
}

async function storedScores(db: Database) {
  const rows = await db.select().from(tutorScores).orderBy(tutorScores.tutorId);
  return rows.map(({ lastCalculatedAt: _l, updatedAt: _u, ...values }) => values);
}

async function drainDue(db: Database): Promise<void> {
  for (let round = 0; round < 100; round++) if (!(await refreshDueScores(db, { asOf: NOW })).more) return;
}

/** The month partitions of one side, by name. */
async function monthPartitions(db: Database, parent: string): Promise<string[]> {
  const rows = await queryRows<{ name: string }>(
    db,
    sql`select c.relname as name from pg_inherits i join pg_class c on c.oid = i.inhrelid
        where i.inhparent = to_regclass(${parent}) and c.relname <> 'sessions_default' order by 1`,
  );
  return rows.map((r) => r.name);
}

async function triggerNames(db: Database, table: string): Promise<string[]> {
  const rows = await queryRows<{ name: string }>(
    db,
    sql`select tgname as name from pg_trigger where tgrelid = to_regclass(${table}) and not tgisinternal order by 1`,
  );
  return rows.map((r) => r.name);
}

describeEachBackend('archiveHistory and restoreHistory by whole months', (backend) => {
  let db: TqsDatabase;
  let original: Record<string, string>;
  let scoresBefore: Awaited<ReturnType<typeof storedScores>>;
  let liveMonths: string[];
  let expectedMonths: string[];

  useDatabase(backend, (opened) => (db = opened));
  beforeAll(async () => {
    await insertDataset(db, dataset);
    await drainDue(db);
    original = await fingerprint(db);
    scoresBefore = await storedScores(db);
    liveMonths = await monthPartitions(db, 'sessions');
    expectedMonths = liveMonths.filter((name) => name < `sessions_${CUT.getUTCFullYear()}_${String(CUT.getUTCMonth() + 1).padStart(2, '0')}`);
  }, 120_000);

  it('the dataset has whole months before the cutoff, with reschedules and email reports', () => {
    expect(expectedMonths).toEqual([
      'sessions_2025_01', 'sessions_2025_02', 'sessions_2025_03', 'sessions_2025_04', 'sessions_2025_05',
      'sessions_2025_06', 'sessions_2025_07', 'sessions_2025_08', 'sessions_2025_09',
    ]);
  });

  it('a dry run counts the months and the rows, and changes nothing', async () => {
    const dry = await archiveHistory(db, { before: CUT, dryRun: true });
    expect(dry).toMatchObject({ months: 9, batches: 9, dryRun: true });
    const rows = await archiveHistory(db, { before: CUT, dryRun: true, wholeMonths: false, batchSize: 1_000 });
    expect(rows).toMatchObject({ months: 0, sessions: dry.sessions, reschedules: dry.reschedules, emailReports: dry.emailReports });
    expect(rows.batches).toBe(Math.ceil(dry.sessions / 1_000));
    expect(await fingerprint(db)).toEqual(original);
  });

  it('moves each month before the cutoff by its partition, a transaction a month: stopped, a rerun moves the rest', async () => {
    const progress: number[] = [];
    const stop = new Error('stop after three months');
    const stopped = await archiveHistory(db, {
      before: CUT,
      onProgress: (p) => {
        progress.push(p.months);
        if (p.months === 3) throw stop;
      },
    }).catch((e: unknown) => e);
    expect(stopped).toBe(stop);
    expect(await monthPartitions(db, 'tqs_archive.sessions')).toEqual(expectedMonths.slice(0, 3));
    const halfway = await fingerprint(db);
    expect({ ...halfway, live_sessions: undefined, archived_sessions: undefined }).toEqual({ ...original, live_sessions: undefined, archived_sessions: undefined });
    const rest = await archiveHistory(db, { before: CUT, onProgress: (p) => void progress.push(p.months) });
    expect(rest).toMatchObject({ months: 6, batches: 6, dryRun: false });
    expect(progress).toEqual([1, 2, 3, 1, 2, 3, 4, 5, 6]);
    const [archived] = await queryRows<{ n: number }>(db, sql`select count(*)::int as n from tqs_archive.sessions`);
    expect(Number(archived!.n)).toBe(Number(halfway.archived_sessions!.split(':')[0]) + rest.sessions);
    expect(rest.reschedules).toBeGreaterThan(50);
    expect(rest.emailReports).toBeGreaterThan(50);
  });

  it('the months moved whole keep every row, id, count and score', async () => {
    // The months left sessions and are partitions of the archive, with rows of their own month only.
    expect(await monthPartitions(db, 'sessions')).toEqual(liveMonths.filter((m) => !expectedMonths.includes(m)));
    expect(await monthPartitions(db, 'tqs_archive.sessions')).toEqual(expectedMonths);
    const [outside] = await queryRows<{ n: number }>(
      db,
      sql`select count(*)::int as n from tqs_archive.sessions_2025_03 where scheduled_time < '2025-03-01T00:00Z' or scheduled_time >= '2025-04-01T00:00Z'`,
    );
    expect(outside!.n).toBe(0);
    // Nothing of the live table's stays on them: no trigger of this package, no foreign key to tutors.
    expect(await triggerNames(db, 'tqs_archive.sessions_2025_03')).toEqual([]);
    const [fk] = await queryRows<{ n: number }>(
      db,
      sql`select count(*)::int as n from pg_constraint where conrelid = 'tqs_archive.sessions_2025_03'::regclass and contype = 'f'`,
    );
    expect(fk!.n).toBe(0);
    const now = await fingerprint(db);
    expect({ ...now, live_sessions: undefined, archived_sessions: undefined }).toEqual({ ...original, live_sessions: undefined, archived_sessions: undefined });
    const [left] = await queryRows<{ n: number }>(db, sql`select count(*)::int as n from sessions where scheduled_time < ${CUT.toISOString()}::timestamptz`);
    expect(left!.n).toBe(0);
    expect(await idTablesMatch(db)).toBe(true);
    const counts = await fleetCounts(db);
    expect(counts.kept).toBe(counts.recounted);
    // The months' tutors are queued as a delete of their rows would have queued them; the refresh changes nothing.
    expect(await storedScores(db)).toEqual(scoresBefore);
    const [queued] = await queryRows<{ n: number }>(db, sql`select count(*)::int as n from tutor_score_changes`);
    expect(queued!.n).toBeGreaterThan(0);
    await drainDue(db);
    expect(await storedScores(db)).toEqual(scoresBefore);
    // A second run finds nothing left.
    expect(await archiveHistory(db, { before: CUT })).toMatchObject({ sessions: 0, months: 0, batches: 0 });
  });

  it('ids stay unique across the archived months', async () => {
    const [taken] = await queryRows<{ id: string; tutor_id: string }>(db, sql`select id, tutor_id from tqs_archive.sessions_2025_02 limit 1`);
    const error = await db
      .execute(sql`insert into tqs_archive.sessions (id, tutor_id, student_id, scheduled_time, status, created_at, updated_at)
                   values (${taken!.id}, ${taken!.tutor_id}, 's', '2025-05-10T10:00Z', 'no_show', now(), now())`)
      .catch((e: unknown) => translateDatabaseError(e));
    expect(error).toMatchObject({ constraint: 'sessions_pkey', table: 'sessions' });
  });

  it('a month whose live partition came back is restored row by row into it', async () => {
    // A session of an archived month arrives late: it waits in sessions_default, then gets its month back.
    const [tutor] = await queryRows<{ id: string }>(db, sql`select id from tutors order by id limit 1`);
    const late = await db
      .insert(sessions)
      .values({ tutorId: tutor!.id, studentId: 'late', scheduledTime: new Date('2025-03-10T10:00:00Z'), status: 'no_show' })
      .returning({ id: sessions.id });
    await ensurePartitions(db, { now: NOW, ahead: 1 });
    expect(await monthPartitions(db, 'sessions')).toContain('sessions_2025_03');
    const march = await restoreHistory(db, { from: new Date('2025-03-01T00:00:00Z'), before: new Date('2025-04-01T00:00:00Z') });
    expect(march.months).toBe(0);
    expect(march.sessions).toBeGreaterThan(100);
    expect(await monthPartitions(db, 'tqs_archive.sessions')).toContain('sessions_2025_03'); // empty now, left in place
    const [rows] = await queryRows<{ n: number }>(db, sql`select count(*)::int as n from sessions_2025_03`);
    expect(rows!.n).toBe(march.sessions + 1);
    await db.delete(sessions).where(sql`${sessions.id} = ${late[0]!.id}`);
    expect(await idTablesMatch(db)).toBe(true);
    const counts = await fleetCounts(db);
    expect(counts.kept).toBe(counts.recounted);
  });

  it('the reschedule rule checks a month on its way back', async () => {
    // An archived reschedule removed by hand: its rescheduled session would come back without one, so the month is refused.
    const [victim] = await queryRows<{ id: string }>(
      db,
      sql`select r.id from tqs_archive.reschedules r join tqs_archive.sessions_2025_05 s on s.id = r.session_id and s.scheduled_time = r.original_time
          where s.status = 'rescheduled' limit 1`,
    );
    const [kept] = await queryRows<Record<string, unknown>>(db, sql`select * from tqs_archive.reschedules where id = ${victim!.id}`);
    await db.execute(sql`delete from tqs_archive.reschedules where id = ${victim!.id}`);
    const before = await fingerprint(db);
    const error = await restoreHistory(db, { from: new Date('2025-05-01T00:00:00Z'), before: new Date('2025-06-01T00:00:00Z') }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toMatch(/reschedule/i);
    expect(await fingerprint(db)).toEqual(before);
    expect(await monthPartitions(db, 'tqs_archive.sessions')).toContain('sessions_2025_05');
    await db.execute(sql`insert into tqs_archive.reschedules (id, session_id, initiator, original_time, new_time, reason, reason_code, cancelled_at, created_at)
      values (${kept!.id}, ${kept!.session_id}, ${kept!.initiator}, ${kept!.original_time}, ${kept!.new_time}, ${kept!.reason}, ${kept!.reason_code}, ${kept!.cancelled_at}, ${kept!.created_at})`);
  });

  it('restoreHistory brings every archived month back by its partition, as it was', async () => {
    const result = await restoreHistory(db);
    expect(result.months).toBe(8); // March came back row by row above and its archive partition is empty
    // Every month is live again (with those ensurePartitions made above), none left in the archive but March's, empty.
    expect(await monthPartitions(db, 'sessions')).toEqual(expect.arrayContaining(liveMonths));
    expect(await monthPartitions(db, 'tqs_archive.sessions')).toEqual(['sessions_2025_03']);
    const now = await fingerprint(db);
    expect(now).toEqual({ ...original, live_sessions: now.live_sessions });
    expect(now.archived_sessions).toBe(original.archived_sessions);
    // Every live partition runs the same statement triggers again.
    expect(await triggerNames(db, 'sessions_2025_05')).toEqual(await triggerNames(db, 'sessions_2025_12'));
    expect(await idTablesMatch(db)).toBe(true);
    const counts = await fleetCounts(db);
    expect(counts.kept).toBe(counts.recounted);
    await drainDue(db);
    expect(await storedScores(db)).toEqual(scoresBefore);
  });

  it("the down of 0016 keeps months archived whole, in the archive's single table; up again, in its default partition", async () => {
    await archiveHistory(db, { before: CUT });
    const archived = await fingerprint(db);
    expect(await rollback(db, { to: '0015_partitioned_sessions' })).toMatchObject({ rolledBack: ['0016_archive_months'], rowsDropped: [] });
    expect(await fingerprint(db)).toEqual(archived);
    await migrate(db);
    expect(await fingerprint(db)).toEqual(archived);
    expect(await monthPartitions(db, 'tqs_archive.sessions')).toEqual([]);
    // Rows in the archive's default partition come back row by row.
    expect(await restoreHistory(db)).toMatchObject({ months: 0 });
    expect(await idTablesMatch(db)).toBe(true);
  }, 120_000);
});

describe.skipIf(!postgresUrl)('archiveHistory by whole months while others write (PostgreSQL)', () => {
  let db: TqsDatabase;
  beforeAll(async () => {
    db = await openTestDatabase({ name: 'postgres', url: postgresUrl as string });
    await insertDataset(db, generateDataset({ tutors: 10, sessions: 3_000, days: 365, seed: 5, now: NOW }));
  }, 120_000);
  afterAll(async () => {
    await db?.close();
  });

  it('writers adding email reports and reading sessions meanwhile: every report is somewhere, once', async () => {
    const old = await queryRows<{ id: string }>(db, sql`select id from sessions where scheduled_time < ${CUT.toISOString()}::timestamptz order by scheduled_time`);
    const [before] = await queryRows<{ n: number }>(db, sql`select (select count(*) from email_reports) + (select count(*) from tqs_archive.email_reports) as n`);
    let done = false;
    let added = 0;
    let reads = 0;
    const unexpected: unknown[] = [];
    const writer = async (offset: number) => {
      for (let i = offset; !done; i += 3) {
        const session = old[old.length - 1 - (i % old.length)] as { id: string };
        try {
          await db.execute(sql`insert into email_reports (session_id, recipient_email, sent_at, status) values (${session.id}, 'w@example.org', now(), 'sent')`);
          added += 1;
        } catch (error) {
          const translated = translateDatabaseError(error) as { constraint?: string };
          if (translated.constraint !== 'email_reports_session_id_fk') unexpected.push(translated);
        }
      }
    };
    const reader = async () => {
      while (!done) {
        await db.execute(sql`select count(*) from sessions where scheduled_time >= '2025-11-01T00:00Z'`);
        reads += 1;
      }
    };
    const months = (await monthPartitions(db, 'sessions')).filter((name) => name < 'sessions_2025_10');
    expect(months.length).toBeGreaterThan(3);
    const others = [writer(0), writer(1), writer(2), reader()];
    const moved = await archiveHistory(db, { before: CUT }).finally(() => {
      done = true;
    });
    await Promise.all(others);
    expect(unexpected).toEqual([]);
    expect(moved.months).toBe(months.length);
    expect(moved.sessions).toBe(old.length);
    expect(reads).toBeGreaterThan(0);
    const [after] = await queryRows<{ n: number }>(db, sql`select (select count(*) from email_reports) + (select count(*) from tqs_archive.email_reports) as n`);
    expect(Number(after!.n)).toBe(Number(before!.n) + added);
    expect(await idTablesMatch(db)).toBe(true);
  }, 120_000);

  it('writers of the months being archived: deadlocks (40P01) fail one side or the other, never a row lost or doubled', async () => {
    const other = await openTestDatabase({ name: 'postgres', url: postgresUrl as string });
    try {
      await insertDataset(other, generateDataset({ tutors: 10, sessions: 3_000, days: 365, seed: 6, now: NOW }));
      const [tutor] = await queryRows<{ id: string }>(other, sql`select id from tutors order by id limit 1`);
      const months = (await monthPartitions(other, 'sessions')).filter((name) => name < 'sessions_2025_10');
      let done = false;
      const written: string[] = [];
      const deadlocks = { writer: 0, archive: 0 };
      const unexpected: unknown[] = [];
      // Two writers, each inserting up to 200 sessions into the months before the cutoff, one at a time, while the
      // archive runs.
      const writer = async (offset: number) => {
        for (let i = offset; !done && i < 400; i += 2) {
          const month = months[i % months.length] as string;
          const [, year, monthNumber] = /^sessions_(\d{4})_(\d{2})$/.exec(month) as RegExpExecArray;
          const at = new Date(Date.UTC(Number(year), Number(monthNumber) - 1, 1 + (i % 27), 10));
          try {
            const [row] = await other
              .insert(sessions)
              .values({ tutorId: tutor!.id, studentId: `writer-${offset}`, scheduledTime: at, status: 'no_show' })
              .returning({ id: sessions.id });
            written.push(row!.id);
          } catch (error) {
            if (sqlStateOf(error) === '40P01') deadlocks.writer += 1;
            else unexpected.push(error);
          }
        }
      };
      const writers = [writer(0), writer(1)];
      let moved = 0;
      try {
        for (let attempt = 0; attempt < 5; attempt++) {
          try {
            moved += (await archiveHistory(other, { before: CUT })).months;
            break;
          } catch (error) {
            if (sqlStateOf(error) === '40P01') deadlocks.archive += 1;
            else throw error;
          }
        }
      } finally {
        done = true;
        await Promise.all(writers);
      }
      console.info(`writers of archived months: ${written.length} sessions written, deadlocks ${JSON.stringify(deadlocks)}, ${moved} months moved whole`);
      expect(unexpected).toEqual([]);
      expect(written.length).toBeGreaterThan(0);
      // Every session a writer was told was written is stored once, live or archived.
      const [found] = await queryRows<{ n: number; distinct: number }>(
        other,
        sql`select count(*)::int as n, count(distinct id)::int as distinct from (
              select id from sessions where id = any(${sql.param(written)}::uuid[])
              union all select id from tqs_archive.sessions where id = any(${sql.param(written)}::uuid[])) x`,
      );
      expect(found).toEqual({ n: written.length, distinct: written.length });
      expect(await idTablesMatch(other)).toBe(true);
      const counts = await fleetCounts(other);
      expect(counts.kept).toBe(counts.recounted);
    } finally {
      await other.close();
    }
  }, 180_000);
});
