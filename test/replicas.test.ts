import { execFileSync } from 'node:child_process';
import { appendFileSync, chownSync, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  computeTutorScore,
  ConnectionError,
  createDatabase,
  findStaleTutorIds,
  generateDataset,
  insertDataset,
  listHighRiskTutors,
  migrate,
  qualityReportFromDatabase,
  queryRows,
  readReplicaOf,
  refreshTutorScores,
  type Database,
  type TqsDatabase,
} from '../src';

/*
 * A real streaming replica: the test makes its own primary and standby clusters with PostgreSQL's tools in a temp
 * dir, on free loopback ports, as user postgres, and removes them afterwards. The system server is never touched.
 */
const BIN = '/usr/lib/postgresql/15/bin';
const tools = ['initdb', 'pg_ctl', 'pg_basebackup'].map((tool) => join(BIN, tool));
const isRoot = process.getuid?.() === 0;
const missing = tools.find((tool) => !existsSync(tool));
const skipReason = missing ? `${missing} not found` : !isRoot ? 'needs root to run the PostgreSQL tools as user postgres' : undefined;
if (skipReason) console.warn(`replicas.test: skipped (${skipReason})`);

const NOW = new Date('2026-01-15T12:00:00.000Z');
const asPostgres = (command: string, args: string[]) =>
  execFileSync('runuser', ['-u', 'postgres', '--', command, ...args], { stdio: 'pipe', timeout: 60_000 });

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `check` every 100 ms until it holds, for at most `ms`. */
async function waitFor(what: string, check: () => Promise<boolean>, ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await check().catch(() => false)) return;
    await sleep(100);
  }
  throw new Error(`timed out after ${ms} ms waiting for ${what}`);
}

const standbyOf = async (db: Database) =>
  (await queryRows<{ standby: boolean }>(db, sql`select pg_is_in_recovery() as standby`))[0]?.standby;

describe.skipIf(skipReason !== undefined)('read replicas over a real streaming standby', () => {
  let dir = '';
  let socketDir = '';
  let primaryPort = 0;
  let standbyPort = 0;
  let primaryUrl = '';
  let standbyUrl = '';
  let db: TqsDatabase | undefined;
  const primaryData = () => join(dir, 'primary');
  const standbyData = () => join(dir, 'standby');
  const pgCtl = (data: string, port: number, action: 'start' | 'stop') =>
    asPostgres(join(BIN, 'pg_ctl'), [
      '-D', data, '-w', '-t', '30', '-l', join(dir, `${port}.log`),
      ...(action === 'start' ? ['-o', `-p ${port} -k ${socketDir} -c listen_addresses=127.0.0.1`] : ['-m', 'fast']),
      action,
    ]);

  /** Waits until the standby has replayed everything the primary wrote so far. */
  async function caughtUp(): Promise<void> {
    const primary = db?.$primary as TqsDatabase;
    const [row] = await queryRows<{ lsn: string }>(primary, sql`select pg_current_wal_lsn()::text as lsn`);
    const replica = readReplicaOf(db as TqsDatabase);
    await waitFor('the standby to replay the primary', async () => {
      const [replayed] = await queryRows<{ done: boolean }>(
        replica,
        sql`select pg_last_wal_replay_lsn() >= ${row?.lsn}::pg_lsn as done`,
      );
      return replayed?.done === true;
    });
  }

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tqs-replicas-'));
    socketDir = join(dir, 'sockets');
    mkdirSync(socketDir);
    for (const path of [dir, socketDir]) chownSync(path, ...uidGid());
    primaryPort = await freePort();
    standbyPort = await freePort();
    asPostgres(join(BIN, 'initdb'), ['-D', primaryData(), '-A', 'trust', '-U', 'postgres', '--no-sync']);
    appendFileSync(join(primaryData(), 'pg_hba.conf'), 'host replication all 127.0.0.1/32 trust\n');
    appendFileSync(join(primaryData(), 'postgresql.conf'), 'wal_level = replica\nmax_wal_senders = 4\nfsync = off\n');
    pgCtl(primaryData(), primaryPort, 'start');
    asPostgres(join(BIN, 'pg_basebackup'), ['-h', '127.0.0.1', '-p', String(primaryPort), '-U', 'postgres', '-D', standbyData(), '-R', '-X', 'stream']);
    pgCtl(standbyData(), standbyPort, 'start');
    primaryUrl = `postgres://postgres:secret-pw@127.0.0.1:${primaryPort}/postgres`;
    standbyUrl = `postgres://postgres:secret-pw@127.0.0.1:${standbyPort}/postgres`;
    db = await createDatabase({ url: primaryUrl, readReplicas: [standbyUrl], max: 2 });
    await waitFor('the standby to be in recovery', async () => (await standbyOf(readReplicaOf(db as TqsDatabase))) === true);
    await migrate(db);
    await insertDataset(db, generateDataset({ tutors: 12, sessions: 300, seed: 3, now: NOW }));
    await caughtUp();
  }, 120_000);

  afterAll(async () => {
    await db?.close().catch(() => {});
    if (dir === '') return;
    for (const [data, port] of [[standbyData(), standbyPort], [primaryData(), primaryPort]] as const) {
      if (existsSync(join(data, 'postmaster.pid'))) {
        try {
          pgCtl(data, port, 'stop');
        } catch {
          // Already stopped.
        }
      }
    }
    rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  it('routes the read-only helpers to the standby and writes to the primary', async () => {
    const database = db as TqsDatabase;
    expect(await standbyOf(database)).toBe(false); // execute: the primary
    expect(await standbyOf(database.$primary as TqsDatabase)).toBe(false);
    expect(await standbyOf(readReplicaOf(database))).toBe(true);
    expect(await standbyOf(readReplicaOf(database.$primary))).toBe(false);
    await database.transaction(async (tx) => expect(await standbyOf(readReplicaOf(tx))).toBe(false));

    // The refresh goes to the primary (a standby would refuse the write); the read helpers see it once replayed.
    const refreshed = await refreshTutorScores(database, { asOf: NOW });
    expect(refreshed.scored).toBe(12);
    await caughtUp();
    const [tutor] = await queryRows<{ id: string }>(database, sql`select id from tutors order by id limit 1`);
    const fromReplica = await computeTutorScore(database, tutor?.id as string, { asOf: NOW });
    const fromPrimary = await computeTutorScore(database.$primary, tutor?.id as string, { asOf: NOW });
    expect(fromReplica).toEqual(fromPrimary);
    const page = await listHighRiskTutors(database, { limit: 50 });
    expect(page.total).toBe(refreshed.flagged);
    expect(await findStaleTutorIds(database)).toEqual([]);
    const report = await qualityReportFromDatabase(database, { asOf: NOW });
    expect(report.counts.tutors).toBe(12);
  }, 60_000);

  it('shows the replica serving the helpers: a row written to the primary only is invisible until replayed', async () => {
    const database = db as TqsDatabase;
    // Pause replay on the standby, write on the primary, and see each helper read the standby's older state.
    await readReplicaOf(database).execute(sql`select pg_wal_replay_pause()`);
    try {
      await database.execute(sql`update tutor_scores set last_calculated_at = last_calculated_at - interval '1 day'`);
      await database.execute(sql`update sessions set student_id = student_id || '-x'
        where id = (select id from sessions order by id limit 1)`);
      expect((await findStaleTutorIds(database.$primary)).length).toBe(1);
      expect(await findStaleTutorIds(database)).toEqual([]); // the standby has not replayed the write yet
    } finally {
      await readReplicaOf(database).execute(sql`select pg_wal_replay_resume()`);
    }
    await caughtUp();
    expect((await findStaleTutorIds(database)).length).toBe(1);
  }, 60_000);

  it('fails reads clearly, naming the replica without its password, when the replica is down', async () => {
    const database = db as TqsDatabase;
    pgCtl(standbyData(), standbyPort, 'stop');
    const [tutor] = await queryRows<{ id: string }>(database, sql`select id from tutors order by id limit 1`);
    const read = computeTutorScore(database, tutor?.id as string, { asOf: NOW });
    await expect(read).rejects.toBeInstanceOf(ConnectionError);
    await expect(read).rejects.toThrow(`read replica postgres://postgres:***@127.0.0.1:${standbyPort}/postgres is unreachable`);
    await expect(read).rejects.not.toThrow('secret-pw');
    await expect(listHighRiskTutors(database)).rejects.toThrow(/^listHighRiskTutors: read replica .* is unreachable/);
    await expect(qualityReportFromDatabase(database)).rejects.toBeInstanceOf(ConnectionError);
    // The primary still serves writes and, asked for explicitly, reads.
    expect((await refreshTutorScores(database, { asOf: NOW })).scored).toBe(12);
    expect((await computeTutorScore(database.$primary, tutor?.id as string, { asOf: NOW })).tutorId).toBe(tutor?.id);
  }, 60_000);

  it('refuses a replica it cannot reach when opening, naming it', async () => {
    await expect(createDatabase({ url: primaryUrl, readReplicas: [standbyUrl] })).rejects.toThrow(
      `read replica postgres://postgres:***@127.0.0.1:${standbyPort}/postgres: cannot connect`,
    );
    await expect(createDatabase({ readReplicas: [standbyUrl] })).rejects.toThrow(/readReplicas needs url/);
    await expect(createDatabase({ url: primaryUrl, readReplicas: [] })).rejects.toThrow(/non-empty array/);
  }, 60_000);
});

function uidGid(): [number, number] {
  const uid = Number(execFileSync('id', ['-u', 'postgres']).toString().trim());
  const gid = Number(execFileSync('id', ['-g', 'postgres']).toString().trim());
  return [uid, gid];
}
