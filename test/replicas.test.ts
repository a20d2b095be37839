import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import {
  computeTutorScore,
  ConnectionError,
  createDatabase,
  findStaleTutorIds,
  fleetSummary,
  generateDataset,
  getTutorOverview,
  insertDataset,
  isTqsError,
  listHighRiskTutors,
  migrate,
  NotFoundError,
  qualityReportFromDatabase,
  queryRows,
  readReplicaOf,
  refreshTutorScores,
  replicaStatus,
  type Database,
  type TqsDatabase,
  tutors,
} from '../src';
import { parseLsn } from '../src/db/replica-probe';
import { readFromReplica } from '../src/db/replicas';
import { type Cluster, clusterDir, clusterSkipReason, initCluster, removeClusters, startStandby, waitFor } from './support/pg-cluster';

/*
 * Fault test (slow group): a real streaming replica, on a primary and a standby the test makes itself
 * (test/support/pg-cluster.ts). Lag (replay paused), a frozen standby (SIGSTOP), a stopped one, both servers down,
 * and the standby back. Every wait is for an event, bounded; the bounds below only catch a hang.
 */
if (clusterSkipReason) console.warn(`replicas.test: skipped (${clusterSkipReason})`);

const NOW = new Date('2026-01-15T12:00:00.000Z');
/** A read that takes longer than this is a hang (the router's own bounds are a few seconds). */
const HANG_MS = 45_000;

const standbyOf = async (db: Database) =>
  (await queryRows<{ standby: boolean }>(db, sql`select pg_is_in_recovery() as standby`))[0]?.standby;

/** `promise`, or a rejection naming `what` when it has not settled after {@link HANG_MS}. */
async function bounded<T>(what: string, promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const hang = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer after ${HANG_MS} ms`)), HANG_MS);
  });
  return Promise.race([promise, hang]).finally(() => clearTimeout(timer));
}

/** The postmaster of `cluster` and its children (backends, WAL receiver, ...). */
function processesOf(cluster: Cluster): number[] {
  const postmaster = Number(readFileSync(join(cluster.data, 'postmaster.pid'), 'utf8').split('\n')[0]);
  const children = execFileSync('ps', ['-o', 'pid=', '--ppid', String(postmaster)], { encoding: 'utf8' })
    .split(/\s+/)
    .filter(Boolean)
    .map(Number);
  return [postmaster, ...children];
}

/** Counts of reads answered by each target, and replica faults, since `before`. */
function routedSince(db: TqsDatabase, before: ReturnType<typeof replicaStatus>) {
  const now = replicaStatus(db)!;
  return {
    primary: now.primary.answered - before!.primary.answered,
    replica: now.replicas[0]!.answered - before!.replicas[0]!.answered,
    faults: now.replicas[0]!.faults - before!.replicas[0]!.faults,
  };
}

describe.skipIf(clusterSkipReason !== undefined)('read replicas over a real streaming standby (fault test)', () => {
  let dir = '';
  let primary: Cluster;
  let standby: Cluster;
  let db: TqsDatabase;
  let tutorId = '';
  const frozen: number[] = [];

  /** Reads a tutor through three helpers (two read paths); what each answered. */
  const readAll = (database: TqsDatabase) =>
    bounded('a read', Promise.all([
      computeTutorScore(database, tutorId, { asOf: NOW }),
      listHighRiskTutors(database, { limit: 5 }),
      fleetSummary(database),
    ]));

  /** Waits until the standby has replayed everything the primary wrote so far. */
  async function caughtUp(): Promise<void> {
    const [row] = await queryRows<{ lsn: string }>(db.$primary, sql`select pg_current_wal_lsn()::text as lsn`);
    const replica = (db as unknown as { $replicas: Database[] }).$replicas[0] as Database;
    await waitFor('the standby to replay the primary', async () => {
      const [replayed] = await queryRows<{ done: boolean }>(replica, sql`select pg_last_wal_replay_lsn() >= ${row?.lsn}::pg_lsn as done`);
      return replayed?.done === true;
    });
  }

  /** Waits until a read is answered by the standby again. */
  async function replicaServes(database: TqsDatabase): Promise<void> {
    await waitFor(
      'a read answered by the standby',
      async () => {
        const before = replicaStatus(database);
        await computeTutorScore(database, tutorId, { asOf: NOW });
        return routedSince(database, before).replica === 1;
      },
      60_000,
    );
  }

  beforeAll(async () => {
    const made = clusterDir('tqs-replicas-');
    dir = made.dir;
    primary = await initCluster(made.dir, made.socketDir);
    standby = await startStandby(primary, made.dir, made.socketDir);
    db = await createDatabase({ url: primary.url(), readReplicas: [standby.url()], max: 2, socketTimeout: 5 });
    await migrate(db);
    await insertDataset(db, generateDataset({ tutors: 12, sessions: 300, seed: 3, now: NOW }));
    [{ id: tutorId }] = await queryRows<{ id: string }>(db.$primary, sql`select id from tutors order by id limit 1`) as [{ id: string }];
    await caughtUp();
  }, 120_000);

  afterAll(async () => {
    for (const pid of frozen) process.kill(pid, 'SIGCONT');
    await db?.close().catch(() => {});
    removeClusters(dir, [standby, primary]);
  }, 60_000);

  it('routes the read-only helpers to the standby and writes to the primary', async () => {
    expect(await standbyOf(db)).toBe(false); // execute: the primary
    expect(await standbyOf(db.$primary)).toBe(false);
    expect(await standbyOf(readReplicaOf(db.$primary))).toBe(false);
    await db.transaction(async (tx) => expect(await standbyOf(readReplicaOf(tx))).toBe(false));
    await waitFor('the standby to be picked', async () => (await standbyOf(readReplicaOf(db))) === true);

    const refreshed = await refreshTutorScores(db, { asOf: NOW });
    expect(refreshed.scored).toBe(12);
    await replicaServes(db);
    const fromReplica = await computeTutorScore(db, tutorId, { asOf: NOW });
    expect(fromReplica).toEqual(await computeTutorScore(db.$primary, tutorId, { asOf: NOW }));
    expect((await listHighRiskTutors(db, { limit: 50 })).total).toBe(refreshed.flagged);
    expect(await findStaleTutorIds(db)).toEqual([]);
    expect((await qualityReportFromDatabase(db, { asOf: NOW })).counts.tutors).toBe(12);
    expect(replicaStatus(db)?.replicas[0]).toMatchObject({ inRotation: true });
  }, 120_000);

  it('lag: with replay paused, a write is read back from the primary (read-your-writes, maxReplicaLag)', async () => {
    const replica = (db as unknown as { $replicas: Database[] }).$replicas[0] as Database;
    // Another process's view: no read-your-writes, so only maxReplicaLag keeps it off the stale standby.
    const other = await createDatabase({ url: primary.url(), readReplicas: [standby.url()], max: 1, maxReplicaLag: 300, readYourWrites: false });
    const careless = await createDatabase({ url: primary.url(), readReplicas: [standby.url()], max: 1, maxReplicaLag: Infinity, readYourWrites: false });
    await replica.execute(sql`select pg_wal_replay_pause()`);
    try {
      // This process's own write: the next read goes to the primary and sees it.
      const before = replicaStatus(db);
      const [mine] = await db.insert(tutors).values({ name: 'Written just now' }).returning();
      expect((await computeTutorScore(db, mine!.id, { asOf: NOW })).tutorId).toBe(mine!.id);
      expect((await getTutorOverview(db, mine!.id)).tutor.tutorId).toBe(mine!.id);
      expect(routedSince(db, before)).toMatchObject({ primary: 2, replica: 0 });

      // A write the other process did not make: once the standby's lag passes 300 ms, its reads go to the primary.
      const [theirs] = await db.$primary.insert(tutors).values({ name: 'Written elsewhere' }).returning();
      const otherBefore = replicaStatus(other);
      let staleReads = 0;
      await waitFor('a read that sees the write', async () => {
        try {
          return (await computeTutorScore(other, theirs!.id, { asOf: NOW })).tutorId === theirs!.id;
        } catch (error) {
          if (!(error instanceof NotFoundError)) throw error;
          staleReads++;
          return false;
        }
      });
      const lagged = replicaStatus(other)!.replicas[0]!;
      // Over the bound, or out of rotation (a probe that timed out on a loaded machine): either way not read.
      expect(lagged.lagMs === undefined || lagged.lagMs > 300).toBe(true);
      expect(routedSince(other, otherBefore).primary).toBeGreaterThanOrEqual(1);
      // Without a bound, the stale standby answers: the write is not there.
      await waitFor('the careless reader to read the stale standby', async () => {
        const seen = replicaStatus(careless);
        const error = await computeTutorScore(careless, theirs!.id, { asOf: NOW }).then(() => undefined, (e: unknown) => e);
        return routedSince(careless, seen).replica === 1 && error instanceof NotFoundError;
      });
      console.log(
        `replicas lag: own write read back from the primary at once; another's write: ${staleReads} stale read(s) ` +
          `within the lag bound, then the primary (standby lag ${Math.round(lagged.lagMs ?? 0)} ms > maxReplicaLag 300 ms)`,
      );
    } finally {
      await replica.execute(sql`select pg_wal_replay_resume()`);
      await Promise.all([other.close(), careless.close()]);
    }
    await caughtUp();
    await replicaServes(db);
  }, 120_000);

  it('freeze: a standby that stops answering (SIGSTOP) is taken out, reads are answered, and it returns', async () => {
    await replicaServes(db);
    const before = replicaStatus(db);
    // A read already on its way to the standby when it freezes moves on to the primary.
    const started = Date.now();
    const onItsWay = readFromReplica(db, 'a slow read', (reader) =>
      queryRows<{ standby: boolean }>(reader, sql`select pg_is_in_recovery() as standby, pg_sleep(0.5)`),
    );
    frozen.push(...processesOf(standby));
    for (const pid of frozen) process.kill(pid, 'SIGSTOP');
    const times: number[] = [];
    try {
      expect((await bounded('the read on its way', onItsWay))[0]?.standby).toBe(false);
      times.push(Date.now() - started);
      for (let i = 0; i < 6; i++) {
        const start = Date.now();
        const [score, page, summary] = await readAll(db);
        expect(score.tutorId).toBe(tutorId);
        expect(page.total).toBeGreaterThanOrEqual(0);
        expect(summary).toBeDefined();
        times.push(Date.now() - start);
      }
      expect(replicaStatus(db)?.replicas[0]?.inRotation).toBe(false);
    } finally {
      for (const pid of frozen.splice(0)) process.kill(pid, 'SIGCONT');
    }
    const during = routedSince(db, before);
    expect(during.faults).toBeGreaterThanOrEqual(1);
    await replicaServes(db);
    console.log(
      `replicas freeze: ${1 + (times.length - 1) * 3} reads answered (${during.primary} by the primary, ${during.replica} by the standby), ` +
        `${during.faults} replica fault(s); read times (ms; the one on its way, then 3 helpers each): ${times.join(', ')}; standby back in rotation after SIGCONT`,
    );
  }, 180_000);

  it('stop: reads go on through the primary; coded errors only when both are down; the standby returns', async () => {
    let late: TqsDatabase | undefined;
    onTestFinished(() => late?.close().catch(() => {}));
    await replicaServes(db);
    const before = replicaStatus(db);
    standby.stop();
    let answered = 0;
    for (let i = 0; i < 5; i++) {
      const [score] = await readAll(db);
      expect(score.tutorId).toBe(tutorId);
      answered += 3;
    }
    const stopped = routedSince(db, before);
    expect(stopped.faults).toBeGreaterThanOrEqual(1);
    expect(replicaStatus(db)?.replicas[0]?.inRotation).toBe(false);
    // A service that starts while its standby is down starts: the standby out of rotation, said in a warning and in
    // replicaStatus, its reads answered by the primary; it joins once the standby is back (below).
    const warnings: string[] = [];
    const listen = (warning: Error & { code?: string }) => {
      if (warning.code === 'TQS_REPLICA_UNREACHABLE') warnings.push(warning.message);
    };
    process.on('warning', listen);
    late = await createDatabase({ url: primary.url(), readReplicas: [standby.url()], max: 1 }).finally(() =>
      new Promise((resolve) => setImmediate(resolve)).then(() => process.off('warning', listen)),
    );
    const label = `postgres://postgres:***@127.0.0.1:${standby.port}/postgres`;
    expect(warnings).toEqual([
      `createDatabase: read replica ${label} cannot be reached (cannot connect to ${label}: connection refused by 127.0.0.1:${standby.port} ` +
        '(is the server running on that port?)); it starts out of rotation, reads go to the other replicas or the primary, ' +
        'and it is probed again (replicaStatus(db) shows it)',
    ]);
    expect(replicaStatus(late)?.replicas[0]).toMatchObject({ inRotation: false, faults: 1, lastError: expect.stringContaining('cannot connect') });
    expect((await computeTutorScore(late, tutorId, { asOf: NOW })).tutorId).toBe(tutorId);
    expect(replicaStatus(late)?.primary.answered).toBeGreaterThan(0);

    primary.stop();
    const failures: unknown[] = [];
    for (const read of [
      () => computeTutorScore(db, tutorId, { asOf: NOW }),
      () => listHighRiskTutors(db),
      () => fleetSummary(db),
      () => qualityReportFromDatabase(db),
    ]) {
      failures.push(await bounded('a read with both down', read().then(() => undefined, (error: unknown) => error)));
    }
    for (const error of failures) {
      expect(error).toBeInstanceOf(ConnectionError);
      expect(isTqsError(error) && error.code).toBe('CONNECTION_FAILED');
      expect((error as Error).message).toMatch(/no database answered the read \(.*primary postgres:\/\/postgres:\*\*\*@/);
      expect((error as Error).message).not.toContain('secret-pw');
      expect((error as Error).message).not.toMatch(/Failed query/);
    }

    primary.start();
    const back = Date.now();
    await waitFor('a read through the primary', async () => (await computeTutorScore(db, tutorId, { asOf: NOW })).tutorId === tutorId);
    const primaryBack = Date.now() - back;
    standby.start();
    const standbyStarted = Date.now();
    await replicaServes(db);
    const after = routedSince(db, before);
    await replicaServes(late);
    await late.close();
    console.log(
      `replicas stop: ${answered} reads answered with the standby stopped (${stopped.primary} by the primary), ` +
        `${stopped.faults} replica fault(s); both down: ${failures.length} reads failed, all CONNECTION_FAILED; ` +
        `primary back: first good read after ${primaryBack} ms; standby back in rotation ${Date.now() - standbyStarted} ms ` +
        `after its start (replica faults in all: ${after.faults}); a database opened with the standby down started, ` +
        'read through the primary, and took the standby back',
    );
  }, 240_000);
});

describe('read replica options', () => {
  it('refuses maxReplicaLag and readYourWrites without readReplicas, and values of the wrong kind', async () => {
    const url = 'postgres://app@127.0.0.1:1/tqs';
    await expect(createDatabase({ url, maxReplicaLag: 100 })).rejects.toThrow(/maxReplicaLag and readYourWrites apply only with readReplicas/);
    await expect(createDatabase({ url, readYourWrites: false })).rejects.toThrow(/apply only with readReplicas/);
    await expect(createDatabase({ url, readReplicas: [url], maxReplicaLag: -1 })).rejects.toThrow(/maxReplicaLag must be a number of milliseconds/);
    await expect(createDatabase({ url, readReplicas: [url], readYourWrites: 'yes' as never })).rejects.toThrow(/readYourWrites must be true or false/);
  });

  it('compares WAL positions as numbers, across the high half', () => {
    expect(parseLsn('0/16B3748')).toBe(0x16b3748n);
    expect(parseLsn('1/0') > parseLsn('0/FFFFFFFF')).toBe(true);
  });

  it('has no routing status without replicas', async () => {
    const db = await createDatabase();
    expect(replicaStatus(db)).toBeUndefined();
    expect(readReplicaOf(db)).toBe(db);
    await db.close();
  });
});
