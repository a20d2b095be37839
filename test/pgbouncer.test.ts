import { randomBytes } from 'node:crypto';
import { Readable, Writable } from 'node:stream';
import { and, eq, sql } from 'drizzle-orm';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  assertMigrated,
  clearDatabase,
  computeTutorScore,
  createDatabase,
  emailReports,
  findStaleTutorIds,
  generateDataset,
  insertDataset,
  listHighRiskTutors,
  markFailed,
  markSent,
  migrate,
  migrationStatus,
  qualityReportFromDatabase,
  queryRows,
  readMigrations,
  refreshTutorScores,
  rollback,
  sessions,
  type TqsDatabase,
  tutorScores,
} from '../src';
import { runCli } from '../src/cli/run';
import { postgresUrl } from './support/databases';
import { lockHolder } from './support/lock-holder';
import { findPgbouncer, type Pgbouncer, pgbouncerVersion, startPgbouncer } from './support/pgbouncer';

const binary = findPgbouncer();
const skipReason = !postgresUrl
  ? 'needs TQS_TEST_DATABASE_URL (a PostgreSQL server behind the pgbouncer)'
  : !binary
    ? 'pgbouncer is not installed (apt-get install -y pgbouncer)'
    : undefined;
const title = `through pgbouncer in transaction pooling mode${skipReason ? ` (skipped: ${skipReason})` : ''}`;

const NOW = new Date('2026-01-15T12:00:00.000Z');
const tags = readMigrations().map((m) => m.tag);

describe.skipIf(skipReason !== undefined)(title, () => {
  const name = `tqs_pgbouncer_${process.pid}_${randomBytes(4).toString('hex')}`;
  let bouncer: Pgbouncer;
  let direct: postgres.Sql;
  let db: TqsDatabase;

  beforeAll(async () => {
    direct = postgres(postgresUrl as string, { max: 2, onnotice: () => {} });
    await direct.unsafe(`create database "${name}"`);
    bouncer = await startPgbouncer(binary as string, postgresUrl as string);
    console.info(`${pgbouncerVersion(binary as string)}, pool_mode=transaction, default_pool_size=4, port ${bouncer.port}`);
    db = await createDatabase({ url: bouncer.url(name), max: 10 });
  }, 60_000);

  afterAll(async () => {
    await db?.close();
    await bouncer?.stop();
    await direct?.unsafe(`drop database if exists "${name}" with (force)`);
    await direct?.end();
  }, 60_000);

  /** Advisory locks held on the test database right now, seen from a connection that bypasses pgbouncer. */
  const advisoryLocks = async () =>
    Number(
      (
        await direct`select count(*)::int as n from pg_locks l join pg_database d on d.oid = l.database
                     where l.locktype = 'advisory' and d.datname = ${name}`
      )[0]?.n,
    );

  it('is really pooled: concurrent statements of one client pool share fewer server connections', async () => {
    const pids = await Promise.all(
      Array.from({ length: 40 }, () => queryRows<{ pid: number }>(db, sql`select pg_backend_pid() as pid, pg_sleep(0.01)`)),
    );
    const distinct = new Set(pids.map(([row]) => row?.pid));
    expect(distinct.size).toBeGreaterThan(0);
    expect(distinct.size).toBeLessThanOrEqual(4); // default_pool_size: the 10 client connections share 4
  });

  it('migrate: concurrent callers serialize on a transaction-level lock, which nothing holds afterwards', async () => {
    expect(await migrationStatus(db)).toMatchObject({ applied: [], pending: tags });
    const results = await Promise.all([migrate(db), migrate(db), migrate(db)]);
    expect(results.map((r) => r.applied).sort((a, b) => b.length - a.length)).toEqual([tags, [], []]);
    expect(await advisoryLocks()).toBe(0);
    await expect(assertMigrated(db)).resolves.toMatchObject({ pending: [], current: tags[tags.length - 1] });
  });

  it('rollback, then migrate again', async () => {
    expect((await rollback(db, { to: 'base' })).rolledBack).toEqual([...tags].reverse());
    await expect(assertMigrated(db)).rejects.toMatchObject({ code: 'MIGRATIONS_PENDING', pending: tags });
    expect((await migrate(db)).applied).toEqual(tags);
    expect(await advisoryLocks()).toBe(0);
  });

  it('insertDataset (COPY in one transaction), then every scoring helper', async () => {
    const dataset = generateDataset({ tutors: 20, sessions: 400, now: NOW, seed: 7 });
    const loaded = await insertDataset(db, dataset);
    expect(loaded.rows).toEqual({ tutors: 20, sessions: 400, reschedules: dataset.reschedules.length, emailReports: dataset.emailReports.length });
    expect(loaded.scored).toBe(20);

    const refreshed = await refreshTutorScores(db, { asOf: NOW });
    expect(refreshed).toMatchObject({ scored: 20, flagged: loaded.flagged });
    expect(await findStaleTutorIds(db)).toEqual([]);
    const tutorId = dataset.tutors[0]!.id;
    const computed = await computeTutorScore(db, tutorId, { asOf: NOW });
    const [stored] = await db.select().from(tutorScores).where(eq(tutorScores.tutorId, tutorId));
    expect(computed.rescheduleRate90d).toBe(stored?.rescheduleRate90d);
    const page = await listHighRiskTutors(db, { limit: 5 });
    expect(page.total).toBe(refreshed.flagged);

    // A write to sessions makes its tutor stale; a refresh of the stale ones catches it up.
    await db
      .update(sessions)
      .set({ durationMinutes: 45 })
      .where(and(eq(sessions.tutorId, tutorId), eq(sessions.status, 'completed')));
    expect(await findStaleTutorIds(db)).toEqual([tutorId]);
    expect((await refreshTutorScores(db, { asOf: NOW, staleOnly: true })).scored).toBe(1);
    expect(await findStaleTutorIds(db)).toEqual([]);
  });

  it('markSent and markFailed', async () => {
    const [first, second] = await db.select({ id: emailReports.id }).from(emailReports).limit(2);
    expect((await markSent(db, first!.id)).status).toBe('sent');
    const failed = await markFailed(db, second!.id, 'SMTP 550: mailbox unavailable');
    expect(failed).toMatchObject({ status: 'failed', errorMessage: 'SMTP 550: mailbox unavailable' });
  });

  it('qualityReportFromDatabase passes every integrity check', async () => {
    const report = await qualityReportFromDatabase(db);
    expect(report.counts).toMatchObject({ tutors: 20, sessions: 400, tutorScores: 20 });
    expect(report.integrity.checks.filter((c) => c.status === 'fail')).toEqual([]);
  });

  it('the CLI with the pooled URL: status and score', async () => {
    const sink = () => {
      const out = Object.assign(new Writable({ write: (chunk, _e, done) => ((out.text += String(chunk)), done()) }), { text: '' });
      return out;
    };
    const cli = async (argv: string[]) => {
      const stdout = sink();
      const stderr = sink();
      const stdin = Object.assign(Readable.from([]), { isTTY: false });
      const code = await runCli([...argv, '--database-url', bouncer.url(name)], { stdout, stderr, stdin, env: {} });
      return { code, stdout: stdout.text, stderr: stderr.text };
    };
    const status = await cli(['status']);
    expect(status).toMatchObject({ code: 0, stderr: '' });
    expect(status.stdout).toContain(`applied: ${tags.join(', ')}\npending: none\nup to date\n`);
    const score = await cli(['score', '--as-of', NOW.toISOString(), '--limit', '0']);
    expect(score).toMatchObject({ code: 0, stderr: '' });
    expect(score.stdout).toMatch(/^scored 20 tutors, flagged \d+/);
  });

  it('lockTimeout on the pooled URL holds per transaction (set local), for statements outside one too, and leaks to no other client', async () => {
    const direct = new URL(postgresUrl as string);
    direct.pathname = `/${name}`;
    const locks = lockHolder(direct.toString());
    const short = await createDatabase({ url: bouncer.url(name), lockTimeout: 0.3, max: 2 });
    const release = await locks.hold('lock table tutors in access exclusive mode');
    try {
      const codes = await Promise.all([
        refreshTutorScores(short, { asOf: NOW }).catch((e: unknown) => e), // one statement, outside a transaction
        insertDataset(short, generateDataset({ tutors: 2, sessions: 10, seed: 3, now: NOW })).catch((e: unknown) => e), // reserved
        clearDatabase(short, { confirm: true }).catch((e: unknown) => e), // db.transaction
      ]);
      expect(codes.map((e) => (e as { code?: string }).code)).toEqual(['LOCK_TIMEOUT', 'LOCK_TIMEOUT', 'LOCK_TIMEOUT']);
    } finally {
      await release();
      await locks.end();
    }
    expect(await queryRows(short, sql`show lock_timeout`)).toEqual([{ lock_timeout: '300ms' }]);
    await short.close();
    // The pool without lockTimeout shares the server connections: the setting never outlived its transaction.
    for (let i = 0; i < 8; i++) expect(await queryRows(db, sql`show lock_timeout`)).toEqual([{ lock_timeout: '0' }]);
  });

  it('clearDatabase empties every table', async () => {
    const { rowsDeleted } = await clearDatabase(db, { confirm: true });
    expect(rowsDeleted).toMatchObject({ tutors: 20, sessions: 400, tutorScores: 20 });
    expect(await qualityReportFromDatabase(db)).toMatchObject({ counts: { tutors: 0, sessions: 0 } });
    expect(await advisoryLocks()).toBe(0);
  });
});
