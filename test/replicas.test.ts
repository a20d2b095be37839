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
import { type Cluster, clusterDir, clusterSkipReason, initCluster, removeClusters, startStandby, waitFor } from './support/pg-cluster';

/*
 * A real streaming replica: the test makes its own primary and standby clusters (test/support/pg-cluster.ts).
 */
if (clusterSkipReason) console.warn(`replicas.test: skipped (${clusterSkipReason})`);

const NOW = new Date('2026-01-15T12:00:00.000Z');

const standbyOf = async (db: Database) =>
  (await queryRows<{ standby: boolean }>(db, sql`select pg_is_in_recovery() as standby`))[0]?.standby;

describe.skipIf(clusterSkipReason !== undefined)('read replicas over a real streaming standby', () => {
  let dir = '';
  let primary: Cluster | undefined;
  let standby: Cluster | undefined;
  let standbyPort = 0;
  let primaryUrl = '';
  let standbyUrl = '';
  let db: TqsDatabase | undefined;

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
    const made = clusterDir('tqs-replicas-');
    dir = made.dir;
    primary = await initCluster(made.dir, made.socketDir);
    standby = await startStandby(primary, made.dir, made.socketDir);
    standbyPort = standby.port;
    primaryUrl = primary.url();
    standbyUrl = standby.url();
    db = await createDatabase({ url: primaryUrl, readReplicas: [standbyUrl], max: 2 });
    await waitFor('the standby to be in recovery', async () => (await standbyOf(readReplicaOf(db as TqsDatabase))) === true);
    await migrate(db);
    await insertDataset(db, generateDataset({ tutors: 12, sessions: 300, seed: 3, now: NOW }));
    await caughtUp();
  }, 120_000);

  afterAll(async () => {
    await db?.close().catch(() => {});
    removeClusters(dir, [standby, primary]);
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
    standby?.stop();
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
