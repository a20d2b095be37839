import { mkdtempSync, rmSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getTableColumns, type SQL, sql, TransactionRollbackError } from 'drizzle-orm';
import type { PgTable } from 'drizzle-orm/pg-core';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ARCHIVE_SCHEMA,
  archiveHistory,
  computeTutorScore,
  createDatabase,
  type Database,
  DestructiveOperationRefusedError,
  emailReports,
  generateDataset,
  insertDataset,
  InvalidOptionError,
  migrate,
  queryRows,
  readMigrations,
  refreshDueScores,
  reschedules,
  restoreHistory,
  RollbackRefusedError,
  rollback,
  sessions,
  type TqsDatabase,
  tutors,
  tutorScoreChanges,
  tutorScores,
  translateDatabaseError,
} from '../src';
import { TEST_NOW } from '../src/testing';
import { archiveTables, catalogSnapshot } from './support/catalog';
import { describeEachBackend, openTestDatabase, postgresUrl, useDatabase } from './support/databases';
import { findPgbouncer, startPgbouncer } from './support/pgbouncer';
import { runCliCaptured } from './support/run-cli';

/*
 * archiveHistory / restoreHistory: rows are conserved (every row of each table, live and archived together, by count
 * and by a hash of its text, before and after each move), stored scores do not change, a cutoff that would change
 * them is refused unless forced, an interrupted run resumes, a dry run changes nothing, and the archive migration's
 * down refuses to drop archived rows.
 */

const NOW = TEST_NOW;
const DAY = 86_400_000;
/** A year of history for 30 tutors: 9 months of it lie before the score window. */
const dataset = generateDataset({ tutors: 30, sessions: 6_000, days: 365, seed: 11, now: NOW });
/** The latest cutoff that changes no score of a refresh at NOW. */
const SAFE = new Date(NOW.getTime() - 90 * DAY);

const liveTables: Record<(typeof archiveTables)[number], PgTable> = {
  sessions,
  reschedules,
  email_reports: emailReports,
};

/** Columns added after the archive (the claim queue's), which a rollback past them drops: left out of the digests. */
const laterColumns = new Set(['attempts', 'claim_token', 'available_at']);

/** `live`, `archive` or both, of one table: its row count and an md5 of every row's text, sorted. */
async function digest(db: Database, table: (typeof archiveTables)[number], side: 'live' | 'archive' | 'both') {
  const columns = Object.values(getTableColumns(liveTables[table])).filter((column) => !laterColumns.has(column.name));
  const row = sql`row(${sql.join(
    columns.map((column) => sql.identifier(column.name)),
    sql`, `,
  )})::text`;
  const parts: SQL[] = [];
  if (side !== 'archive') parts.push(sql`select ${row} as r from ${sql.identifier(table)}`);
  if (side !== 'live') parts.push(sql`select ${row} as r from ${sql.identifier(ARCHIVE_SCHEMA)}.${sql.identifier(table)}`);
  const [result] = await queryRows<{ rows: number; md5: string }>(
    db,
    sql`select count(*)::int as rows, coalesce(md5(string_agg(r, E'\n' order by r)), '') as md5 from (${sql.join(parts, sql` union all `)}) x`,
  );
  return { rows: Number(result?.rows), md5: result?.md5 };
}

async function digests(db: Database, side: 'live' | 'archive' | 'both') {
  return {
    sessions: await digest(db, 'sessions', side),
    reschedules: await digest(db, 'reschedules', side),
    email_reports: await digest(db, 'email_reports', side),
  };
}

/** Every stored score, without the two stamps a refresh rewrites. */
async function storedScores(db: Database) {
  const rows = await db.select().from(tutorScores).orderBy(tutorScores.tutorId);
  return rows.map(({ lastCalculatedAt: _l, updatedAt: _u, ...values }) => values);
}

async function computedScores(db: Database) {
  const ids = (await db.select({ id: tutors.id }).from(tutors).orderBy(tutors.id)).map((r) => r.id);
  return Promise.all(ids.map((id) => computeTutorScore(db, id, { asOf: NOW })));
}

async function liveSessionsBefore(db: Database, before: Date): Promise<number> {
  const [row] = await queryRows<{ n: number }>(db, sql`select count(*)::int as n from ${sessions} where ${sessions.scheduledTime} < ${before.toISOString()}::timestamptz`);
  return Number(row?.n);
}

async function drainDue(db: Database): Promise<void> {
  for (let round = 0; round < 100; round++) if (!(await refreshDueScores(db, { asOf: NOW })).more) return;
}

describeEachBackend('archiveHistory and restoreHistory', (backend) => {
  let db: TqsDatabase;
  let original: Awaited<ReturnType<typeof digests>>;
  let scoresBefore: Awaited<ReturnType<typeof storedScores>>;
  let computedBefore: Awaited<ReturnType<typeof computedScores>>;
  /** The rows before SAFE, as a dry run should count them. */
  let expected: { sessions: number; reschedules: number; emailReports: number };

  useDatabase(backend, (opened) => (db = opened));
  beforeAll(async () => {
    await insertDataset(db, dataset);
    await drainDue(db);
    original = await digests(db, 'live');
    scoresBefore = await storedScores(db);
    computedBefore = await computedScores(db);
    const [row] = await queryRows<{ s: number; r: number; e: number }>(
      db,
      sql`select (select count(*)::int from sessions where scheduled_time < ${SAFE.toISOString()}::timestamptz) as s,
                 (select count(*)::int from reschedules r join sessions s on s.id = r.session_id where s.scheduled_time < ${SAFE.toISOString()}::timestamptz) as r,
                 (select count(*)::int from email_reports e join sessions s on s.id = e.session_id where s.scheduled_time < ${SAFE.toISOString()}::timestamptz) as e`,
    );
    expected = { sessions: Number(row?.s), reschedules: Number(row?.r), emailReports: Number(row?.e) };
  }, 120_000);

  it('the archive tables have the columns and checks of the live tables', async () => {
    const catalog = await catalogSnapshot(db);
    for (const table of archiveTables) {
      const columns = (name: string) =>
        catalog.columns.filter((c) => c.table === name).map(({ table: _t, default: _d, ...column }) => column);
      expect(columns(`${ARCHIVE_SCHEMA}.${table}`), table).toEqual(columns(table));
      const checks = (name: string) =>
        catalog.constraints.filter((c) => c.table === name && c.type === 'c').map(({ table: _t, ...check }) => check);
      expect(checks(`${ARCHIVE_SCHEMA}.${table}`), table).toEqual(checks(table));
      expect(checks(table).length).toBeGreaterThan(0);
    }
    // Nothing is captured, counted or touched in the archive: its only triggers keep tqs_archive.session_ids (0016).
    const archiveTriggers = await queryRows<{ name: string }>(
      db,
      sql`select t.tgname as name from pg_trigger t join pg_class c on c.oid = t.tgrelid
          where c.relnamespace = ${ARCHIVE_SCHEMA}::regnamespace and not t.tgisinternal order by 1`,
    );
    expect(archiveTriggers.map((t) => t.name)).toEqual(['sessions_ids_delete', 'sessions_ids_insert', 'sessions_ids_truncate', 'sessions_ids_update']);
  });

  it('the dataset has history before the cutoff, with reschedules and email reports', () => {
    expect(expected.sessions).toBeGreaterThan(2_000);
    expect(expected.reschedules).toBeGreaterThan(100);
    expect(expected.emailReports).toBeGreaterThan(100);
  });

  it('a dry run counts what would move and changes nothing', async () => {
    const result = await archiveHistory(db, { before: SAFE, dryRun: true, batchSize: 1_000 });
    expect(result).toEqual({ ...expected, batches: Math.ceil(expected.sessions / 1_000), months: 0, dryRun: true, before: SAFE, safeBefore: SAFE });
    expect(await digests(db, 'live')).toEqual(original);
    expect(await digest(db, 'sessions', 'archive')).toMatchObject({ rows: 0 });
    expect(await restoreHistory(db, { dryRun: true })).toEqual({ sessions: 0, reschedules: 0, emailReports: 0, batches: 0, months: 0, dryRun: true });
  });

  it('refuses a cutoff later than the oldest window start of the stored scores, changing nothing', async () => {
    const error = await archiveHistory(db, { before: new Date(SAFE.getTime() + 1) }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DestructiveOperationRefusedError);
    expect((error as DestructiveOperationRefusedError).code).toBe('DESTRUCTIVE_OPERATION_REFUSED');
    expect((error as Error).message).toContain(SAFE.toISOString());
    expect((error as Error).message).toMatch(/force: true/);
    expect((error as Error).message).not.toContain('\n');
    // A dry run is refused the same way: it says what a run would do.
    await expect(archiveHistory(db, { before: NOW, dryRun: true })).rejects.toBeInstanceOf(DestructiveOperationRefusedError);
    expect(await digests(db, 'live')).toEqual(original);
  });

  it('refuses bad options before touching anything', async () => {
    await expect(archiveHistory(db, {} as never)).rejects.toBeInstanceOf(InvalidOptionError);
    await expect(archiveHistory(db, { before: new Date('nope') })).rejects.toThrow(/before/);
    await expect(archiveHistory(db, { before: SAFE, batchSize: 0 })).rejects.toThrow(/batchSize/);
    await expect(archiveHistory(db, { before: SAFE, forced: true } as never)).rejects.toThrow(/unknown option 'forced'/);
    await expect(restoreHistory(db, { from: '2025-01-01' } as never)).rejects.toThrow(/from/);
    expect(await digests(db, 'live')).toEqual(original);
  });

  it('force archives past the scores; inside a transaction of yours, your rollback undoes it', async () => {
    const rolledBack = await db
      .transaction(async (tx) => {
        const result = await archiveHistory(tx, { before: NOW, force: true, batchSize: 2_000 });
        expect(result.sessions).toBeGreaterThan(expected.sessions);
        expect(result.batches).toBe(Math.ceil(result.sessions / 2_000));
        expect(await liveSessionsBefore(tx, NOW)).toBe(0);
        expect(await digests(tx, 'both')).toEqual(original);
        // The scores' windows are gone from the live tables: computed now, they differ from the stored ones.
        expect(await computedScores(tx)).not.toEqual(computedBefore);
        tx.rollback();
      })
      .catch((e: unknown) => e);
    expect(rolledBack).toBeInstanceOf(TransactionRollbackError);
    expect(await digests(db, 'live')).toEqual(original);
    expect(await digest(db, 'sessions', 'archive')).toMatchObject({ rows: 0 });
  });

  it('archives in batches; stopped after a committed batch, a rerun moves the rest; every row is conserved', async () => {
    const seen: number[] = [];
    const stop = new Error('stop after two batches');
    const error = await archiveHistory(db, {
      before: SAFE,
      batchSize: 500,
      onProgress: ({ batches, sessions: moved, sessionsTotal }) => {
        seen.push(moved);
        expect(sessionsTotal).toBe(expected.sessions);
        if (batches === 2) throw stop;
      },
    }).catch((e: unknown) => e);
    expect(error).toBe(stop);
    expect(seen).toEqual([500, 1_000]);
    // Two batches committed, each whole: 1,000 sessions with every child row, nothing lost or doubled.
    expect((await digest(db, 'sessions', 'archive')).rows).toBe(1_000);
    expect(await digests(db, 'both')).toEqual(original);

    const rest = await archiveHistory(db, { before: SAFE, batchSize: 700 });
    expect(rest.sessions).toBe(expected.sessions - 1_000);
    expect(rest.batches).toBe(Math.ceil((expected.sessions - 1_000) / 700));
    expect(rest.dryRun).toBe(false);
    expect(await liveSessionsBefore(db, SAFE)).toBe(0);
    const archived = await digests(db, 'archive');
    expect(archived.sessions.rows).toBe(expected.sessions);
    expect(archived.reschedules.rows).toBe(expected.reschedules);
    expect(archived.email_reports.rows).toBe(expected.emailReports);
    expect(await digests(db, 'both')).toEqual(original);

    // A third run finds nothing left.
    expect(await archiveHistory(db, { before: SAFE })).toMatchObject({ sessions: 0, reschedules: 0, emailReports: 0, batches: 0 });
  });

  it('stored scores are unchanged, computeTutorScore gives the same, and so does the due refresh that follows', async () => {
    expect(await storedScores(db)).toEqual(scoresBefore);
    expect(await computedScores(db)).toEqual(computedBefore);
    // The moved sessions' deletes were captured: their tutors are due, and recomputing them changes nothing.
    expect(await db.$count(tutorScoreChanges)).toBeGreaterThan(0);
    await drainDue(db);
    expect(await db.$count(tutorScoreChanges)).toBe(0);
    expect(await storedScores(db)).toEqual(scoresBefore);
  });

  it('restoreHistory brings a range, then everything, back as it was', async () => {
    const from = new Date(SAFE.getTime() - 60 * DAY);
    const part = await restoreHistory(db, { from, batchSize: 300 });
    expect(part.sessions).toBeGreaterThan(0);
    expect(part.sessions).toBeLessThan(expected.sessions);
    expect(await liveSessionsBefore(db, from)).toBe(0);
    expect(await digests(db, 'both')).toEqual(original);

    const rest = await restoreHistory(db);
    expect(rest.sessions + part.sessions).toBe(expected.sessions);
    expect(rest.reschedules + part.reschedules).toBe(expected.reschedules);
    expect(rest.emailReports + part.emailReports).toBe(expected.emailReports);
    expect(await digests(db, 'live')).toEqual(original);
    expect((await digests(db, 'archive')).sessions.rows).toBe(0);
    await drainDue(db);
    expect(await storedScores(db)).toEqual(scoresBefore);
  });

  it("the archive migration's down refuses to drop archived rows, naming them; restored, it rolls back", async () => {
    const tags = readMigrations().map((m) => m.tag);
    const index = tags.findIndex((tag) => tag.endsWith('_archive_history'));
    expect(index).toBeGreaterThan(0);
    const to = tags[index - 1] as string;
    const moved = await archiveHistory(db, { before: SAFE });
    const error = await rollback(db, { to }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RollbackRefusedError);
    expect((error as RollbackRefusedError).rowsAtRisk).toEqual(
      expect.arrayContaining([
        { table: `${ARCHIVE_SCHEMA}.sessions`, rows: moved.sessions },
        { table: `${ARCHIVE_SCHEMA}.reschedules`, rows: moved.reschedules },
        { table: `${ARCHIVE_SCHEMA}.email_reports`, rows: moved.emailReports },
      ]),
    );
    expect((error as Error).message).toContain(`${ARCHIVE_SCHEMA}.sessions: ${moved.sessions}`);
    expect(await digests(db, 'both')).toEqual(original);

    await restoreHistory(db);
    // The newer read model's down would drop the score history the refreshes recorded: dropped here on purpose, so
    // that the archive's own down is what the rollback below checks, without force.
    const readModel = tags.findIndex((tag) => tag.endsWith('_read_model'));
    if (readModel > index) await rollback(db, { to: tags[readModel - 1] as string, force: true });
    await rollback(db, { to });
    const [gone] = await queryRows<{ schema: unknown }>(db, sql`select to_regnamespace(${ARCHIVE_SCHEMA}) as schema`);
    expect(gone?.schema).toBeNull();
    expect(await digests(db, 'live')).toEqual(original);
    await migrate(db);
    expect((await digests(db, 'archive')).sessions.rows).toBe(0);
  });
});

describe('tqs-data archive', () => {
  let dir: string;
  let target: string[];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tqs-archive-cli-'));
    target = ['--data-dir', join(dir, 'pglite')];
    const generated = await runCliCaptured([
      'setup', '--seed-data', '--tutors', '10', '--sessions', '800', '--days', '365', '--now', NOW.toISOString(), ...target,
    ]);
    expect(generated.code, generated.stderr).toBe(0);
  }, 120_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('checks its arguments before opening anything', async () => {
    for (const [argv, message] of [
      [[], /--before is required/],
      [['--before', '2025-02-30'], /--before must be an ISO 8601/],
      [['--before', '2025-01-01', '--from', '2024-01-01'], /--from applies to --restore only/],
      [['--restore', '--force'], /--force applies to archiving/],
      [['--before', '2025-01-01', '--batch-size', '0'], /--batch-size must be a whole number from 1 to 50000/],
    ] as const) {
      const run = await runCliCaptured(['archive', ...argv, ...target]);
      expect(run.code, run.stderr).toBe(2);
      expect(run.stderr).toMatch(message);
      expect(run.stderr.trim().split('\n')).toHaveLength(1);
    }
  });

  it('dry run, refusal, archive with progress, restore', async () => {
    const safe = SAFE.toISOString();
    const dry = await runCliCaptured(['archive', '--before', safe, '--dry-run', ...target]);
    expect(dry.code, dry.stderr).toBe(0);
    const counted = /would archive ([\d,]+) sessions, ([\d,]+) reschedules? and ([\d,]+) email reports? in (\d+) batch/.exec(dry.stdout);
    expect(counted, dry.stdout).not.toBeNull();
    expect(dry.stdout).toContain('nothing was changed');

    const refused = await runCliCaptured(['archive', '--before', NOW.toISOString(), ...target]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(`at or before ${safe}`);
    expect(refused.stderr).toContain('--force');
    expect(refused.stderr.trim().split('\n')).toHaveLength(1);

    const archived = await runCliCaptured(['archive', '--before', safe, '--batch-size', '100', ...target]);
    expect(archived.code, archived.stderr).toBe(0);
    expect(archived.stdout).toContain(`archived ${counted?.[1]} sessions`);
    expect(archived.stderr).toMatch(new RegExp(`archived ${counted?.[1]}/${counted?.[1]} sessions`));

    const again = await runCliCaptured(['archive', '--before', safe, ...target]);
    expect(again.stdout).toContain('archived 0 sessions');

    const restored = await runCliCaptured(['archive', '--restore', ...target]);
    expect(restored.code, restored.stderr).toBe(0);
    expect(restored.stdout).toContain(`restored ${counted?.[1]} sessions, ${counted?.[2]} reschedule`);
  });

  it('Ctrl-C before the first batch changes nothing; the same command then archives everything', async () => {
    const safe = SAFE.toISOString();
    const total = Number(/would archive ([\d,]+) sessions/.exec((await runCliCaptured(['archive', '--before', safe, '--dry-run', ...target])).stdout)?.[1]?.replace(/,/g, ''));
    expect(total).toBeGreaterThan(100);
    const stop = new AbortController();
    stop.abort('SIGINT');
    const stopped = await runCliCaptured(['archive', '--before', safe, '--batch-size', '100', ...target], { signal: stop.signal });
    expect(stopped.code).toBe(1);
    expect(stopped.stderr).toBe('tqs-data: ABORTED: archiveHistory: aborted (SIGINT): the running batch was cancelled and rolled back, nothing was moved\n');
    const rest = await runCliCaptured(['archive', '--before', safe, '--batch-size', '100', ...target]);
    expect(rest.code, rest.stderr).toBe(0);
    expect(rest.stdout).toContain(`archived ${total.toLocaleString('en-US')} sessions`);
    const back = await runCliCaptured(['archive', '--restore', ...target]);
    expect(back.stdout).toContain(`restored ${total.toLocaleString('en-US')} sessions`);
  });
});

const bouncerBinary = findPgbouncer();
describe.skipIf(!postgresUrl || !bouncerBinary)('archiveHistory through pgbouncer in transaction pooling mode', () => {
  it('archives and restores, every row conserved', async () => {
    const name = `tqs_archive_bouncer_${process.pid}_${randomBytes(4).toString('hex')}`;
    const direct = postgres(postgresUrl as string, { max: 1, onnotice: () => {} });
    await direct.unsafe(`create database "${name}"`);
    const bouncer = await startPgbouncer(bouncerBinary as string, postgresUrl as string);
    let db: TqsDatabase | undefined;
    try {
      db = await createDatabase({ url: bouncer.url(name), max: 6 });
      await migrate(db);
      await insertDataset(db, generateDataset({ tutors: 10, sessions: 1_500, days: 365, seed: 3, now: NOW }));
      const before = await digests(db, 'live');
      const scores = await storedScores(db);
      const moved = await archiveHistory(db, { before: SAFE, batchSize: 200 });
      expect(moved.sessions).toBeGreaterThan(200);
      expect(await digests(db, 'both')).toEqual(before);
      expect(await storedScores(db)).toEqual(scores);
      const back = await restoreHistory(db, { batchSize: 150 });
      expect(back.sessions).toBe(moved.sessions);
      expect(await digests(db, 'live')).toEqual(before);
    } finally {
      await db?.close();
      await bouncer.stop();
      await direct.unsafe(`drop database if exists "${name}" with (force)`);
      await direct.end();
    }
  }, 120_000);
});

describe.skipIf(!postgresUrl)('archiveHistory while others write (PostgreSQL)', () => {
  it('writers adding email reports to the sessions being archived: no batch fails, no report is lost', async () => {
    const db = await openTestDatabase({ name: 'postgres', url: postgresUrl as string });
    try {
      await insertDataset(db, generateDataset({ tutors: 10, sessions: 3_000, days: 365, seed: 5, now: NOW }));
      const before = await digest(db, 'email_reports', 'both');
      const old = await queryRows<{ id: string }>(
        db,
        sql`select id from sessions where scheduled_time < ${SAFE.toISOString()}::timestamptz order by scheduled_time`,
      );
      expect(old.length).toBeGreaterThan(1_000);
      let done = false;
      let added = 0;
      let refused = 0;
      const unexpected: unknown[] = [];
      // Three writers, each adding a report to an old session at a time, newest sessions first (the archive takes
      // the oldest first, so the two meet half-way), until the archive is done.
      const writer = async (offset: number) => {
        for (let i = offset; !done; i += 3) {
          const session = old[old.length - 1 - (i % old.length)] as { id: string };
          try {
            await db.insert(emailReports).values({
              sessionId: session.id,
              recipientEmail: `writer${offset}@example.org`,
              sentAt: NOW,
              status: 'sent',
            });
            added += 1;
          } catch (error) {
            // The session was archived first: the foreign key refuses the report, which is the writer's to handle.
            const translated = translateDatabaseError(error) as { constraint?: string };
            if (translated.constraint === 'email_reports_session_id_fk') refused += 1;
            else unexpected.push(translated);
          }
        }
      };
      const writers = [writer(0), writer(1), writer(2)];
      const moved = await archiveHistory(db, { before: SAFE, batchSize: 100 }).finally(() => {
        done = true;
      });
      await Promise.all(writers);
      expect(unexpected).toEqual([]);
      expect(moved.sessions).toBe(old.length);
      expect(added).toBeGreaterThan(0);
      console.info(`concurrent writers: ${added} reports added, ${refused} refused (session archived)`);
      // Every report is somewhere, once: those there before and every one a writer was told was added.
      expect((await digest(db, 'email_reports', 'both')).rows).toBe(before.rows + added);
      expect(await liveSessionsBefore(db, SAFE)).toBe(0);
    } finally {
      await db.close();
    }
  }, 120_000);
});
