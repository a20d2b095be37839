import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AbortedError,
  archiveHistory,
  clearDatabase,
  createDatabase,
  generateDataset,
  generateDatasetStream,
  ingestSessions,
  insertDataset,
  insertDatasetStream,
  LockTimeoutError,
  migrate,
  migrationStatus,
  qualityReportFromDatabase,
  queryRows,
  refreshDueScores,
  refreshTutorScores,
  restoreHistory,
  rollback,
  type TqsDatabase,
} from '../src';
import { createTestDatabase } from '../src/testing';
import { openTestDatabase, postgresUrl } from './support/databases';
import { type LockHolder, lockHolder, urlOf } from './support/lock-holder';

/*
 * Aborting a long call stops it within a second even while it waits for a lock another session holds: the statement
 * is cancelled on the server (its backend is idle again), the call rejects with AbortedError, nothing is written.
 * On PGlite, which cannot cancel a statement, the call stops at its next chunk, batch or migration.
 */
const AS_OF = new Date('2026-03-15T12:00:00.000Z');

/** A long call, the lock that makes it wait, and what it runs. */
interface LongCall {
  name: string;
  lock: string;
  run(db: TqsDatabase, signal: AbortSignal): Promise<unknown>;
}

const JOURNAL_LOCK = 'lock table drizzle.__drizzle_migrations in access exclusive mode';
const lockOf = (table: string) => `lock table ${table} in access exclusive mode`;

/** Every long call of the package, each made to wait for a lock. */
function longCalls(tutorId: () => string): LongCall[] {
  const small = () => generateDataset({ tutors: 3, sessions: 30, seed: 11, now: AS_OF });
  return [
    { name: 'refreshTutorScores', lock: lockOf('tutors'), run: (db, signal) => refreshTutorScores(db, { asOf: AS_OF, signal }) },
    { name: 'insertDataset', lock: lockOf('tutors'), run: (db, signal) => insertDataset(db, small(), { signal }) },
    {
      name: 'insertDatasetStream',
      lock: lockOf('tutors'),
      run: (db, signal) => insertDatasetStream(db, generateDatasetStream({ tutors: 3, sessions: 30, seed: 12, now: AS_OF }), { signal }),
    },
    { name: 'clearDatabase', lock: lockOf('tutors'), run: (db, signal) => clearDatabase(db, { confirm: true, signal }) },
    { name: 'archiveHistory', lock: lockOf('sessions'), run: (db, signal) => archiveHistory(db, { before: new Date('2000-01-01'), signal }) },
    { name: 'restoreHistory', lock: lockOf('tqs_archive.sessions'), run: (db, signal) => restoreHistory(db, { signal }) },
    { name: 'qualityReportFromDatabase', lock: lockOf('tutors'), run: (db, signal) => qualityReportFromDatabase(db, { signal }) },
    { name: 'migrate', lock: JOURNAL_LOCK, run: (db, signal) => migrate(db, { signal }) },
    { name: 'rollback', lock: JOURNAL_LOCK, run: (db, signal) => rollback(db, { signal }) },
    {
      name: 'ingestSessions',
      lock: lockOf('tutors'),
      run: (db, signal) =>
        ingestSessions(
          db,
          [{ id: randomUUID(), tutorId: tutorId(), studentId: 'student-1', scheduledTime: '2026-03-20T15:00:00Z', status: 'scheduled' }],
          { signal },
        ),
    },
  ];
}

describe.skipIf(!postgresUrl)('cancellation through an AbortSignal [postgres]', () => {
  let db: TqsDatabase;
  let url = '';
  let locks: LockHolder;

  beforeAll(async () => {
    db = await openTestDatabase({ name: 'postgres', url: postgresUrl });
    await insertDataset(db, generateDataset({ tutors: 30, sessions: 600, seed: 5, now: AS_OF }));
    url = urlOf(db);
    locks = lockHolder(url);
  }, 120_000);

  afterAll(async () => {
    await locks?.end();
    await db?.close();
  });

  /** What every call could change: if an abort let anything through, one of these moves. */
  const state = async () =>
    (
      await locks.watcher`select (select count(*) from tutors)::int as tutors, (select count(*) from sessions)::int as sessions,
        (select max(last_calculated_at)::text from tutor_scores) as scored,
        (select count(*) from tqs_archive.sessions)::int as archived,
        (select count(*) from drizzle.__drizzle_migrations)::int as migrations`
    )[0];

  /** Starts `call` under `lock`, aborts it once its backend waits, and returns the ms from the abort to the rejection. */
  async function abortWhileWaiting(call: LongCall, reason: string): Promise<number> {
    const release = await locks.hold(call.lock);
    try {
      const controller = new AbortController();
      const settled = call.run(db, controller.signal).then(
        (value) => ({ value }),
        (error: unknown) => ({ error }),
      );
      await locks.someoneWaits(settled.then((outcome) => `${call.name}: ${'error' in outcome ? String(outcome.error) : 'resolved'}`));
      const abortedAt = performance.now();
      controller.abort(reason);
      const outcome = await settled;
      const took = Math.round(performance.now() - abortedAt);
      expect('error' in outcome, `${call.name} resolved`).toBe(true);
      const error = (outcome as { error: unknown }).error;
      expect(error, String(error)).toBeInstanceOf(AbortedError);
      expect((error as AbortedError).code).toBe('ABORTED');
      expect((error as AbortedError).message).toMatch(new RegExp(`^${call.name}: aborted \\(${reason}\\): `));
      // Cancelled on the server, not merely abandoned: no backend waits for the lock any more.
      expect(await locks.waiting()).toBe(0);
      return took;
    } finally {
      await release();
    }
  }

  it('aborts every long call waiting for a lock within a second, cancelling it on the server', async () => {
    const before = await state();
    const [tutor] = await locks.watcher`select id::text from tutors order by id limit 1`;
    const times: string[] = [];
    for (const call of longCalls(() => tutor?.id as string)) {
      times.push(`${call.name} ${await abortWhileWaiting(call, 'stop')} ms`);
    }
    expect(await state()).toEqual(before); // every call was rolled back
    console.log(`abort [postgres, lock wait]: rejected after: ${times.join(', ')}`);
    // An aborted signal refuses the call before it starts (refreshDueScores too, whose probe would not wait here).
    await expect(refreshDueScores(db, { signal: AbortSignal.abort('early') })).rejects.toBeInstanceOf(AbortedError);
    await expect(refreshTutorScores(db, { signal: AbortSignal.abort('early') })).rejects.toThrow(/aborted \(early\)/);
  }, 180_000);

  it('aborts refreshes of some tutors and of all, round after round', async () => {
    const ids = (await locks.watcher`select id::text from tutors order by id`).map((row) => row.id as string);
    const times: number[] = [];
    for (let round = 0; round < 4; round++) {
      const tutorIds = round % 2 === 0 ? undefined : [ids[round] as string];
      const call: LongCall = {
        name: 'refreshTutorScores',
        lock: lockOf('tutors'),
        run: (target, signal) => refreshTutorScores(target, { asOf: AS_OF, signal, ...(tutorIds ? { tutorIds } : {}) }),
      };
      times.push(await abortWhileWaiting(call, `round ${round}`));
    }
    console.log(`abort [postgres, lock wait]: refreshTutorScores rounds rejected after (ms): ${times.join(', ')}`);
  }, 120_000);

  it('reports a lock wait past lockTimeout as LOCK_TIMEOUT, naming the lock timeout and the fix', async () => {
    const short = await createDatabase({ url, lockTimeout: 0.3, max: 2 });
    const release = await locks.hold(lockOf('tutors'));
    try {
      const refresh = await refreshTutorScores(short, { asOf: AS_OF }).catch((failure: unknown) => failure);
      expect(refresh).toBeInstanceOf(LockTimeoutError);
      expect((refresh as LockTimeoutError).code).toBe('LOCK_TIMEOUT');
      expect((refresh as LockTimeoutError).message).toMatch(/lock timeout \(SQLSTATE 55P03\).*lockTimeout/);
      const load = await insertDataset(short, generateDataset({ tutors: 2, sessions: 10, seed: 3, now: AS_OF })).catch((f: unknown) => f);
      expect((load as LockTimeoutError).code).toBe('LOCK_TIMEOUT');
      const report = await qualityReportFromDatabase(short).catch((f: unknown) => f);
      expect((report as LockTimeoutError).message).toMatch(/^qualityReportFromDatabase: canceling statement due to lock timeout/);
    } finally {
      await release();
      await short.close();
    }
    await expect(createDatabase({ url, lockTimeout: -1 })).rejects.toThrow(/lockTimeout must be a positive number/);
  }, 60_000);
});

describe('cancellation through an AbortSignal [pglite]: at the next chunk, batch or migration', () => {
  let db: TqsDatabase;

  beforeAll(async () => {
    db = await createTestDatabase();
  }, 120_000);

  afterAll(async () => {
    await db?.close();
  });

  it('a load stops at its next chunk and rolls back', async () => {
    const controller = new AbortController();
    const dataset = generateDataset({ tutors: 20, sessions: 3_000, seed: 4, now: AS_OF });
    const startedAt = { ms: 0 };
    const error = await insertDataset(db, dataset, {
      signal: controller.signal,
      onProgress: ({ phase }) => {
        if (phase !== 'copying' || controller.signal.aborted) return;
        startedAt.ms = performance.now();
        controller.abort('stop');
      },
    }).catch((failure: unknown) => failure);
    const took = Math.round(performance.now() - startedAt.ms);
    expect(error).toBeInstanceOf(AbortedError);
    expect((error as Error).message).toBe('insertDataset: aborted (stop): the load was rolled back, nothing of it was written');
    expect((await migrationStatus(db)).pending).toEqual([]);
    const [row] = await queryRows<{ n: number }>(db, sql`select count(*)::int as n from tutors`);
    expect(row?.n).toBe(0);
    console.log(`abort [pglite]: insertDataset rejected ${took} ms after the abort (at the next chunk)`);
  });

  it('an archive stops after the batch that committed, says so, and the same call continues', async () => {
    await insertDataset(db, generateDataset({ tutors: 10, sessions: 800, days: 365, seed: 6, now: AS_OF }), { clearExisting: true });
    const { safeBefore } = await archiveHistory(db, { before: new Date('2000-01-01'), dryRun: true });
    const { sessions: total } = await archiveHistory(db, { before: safeBefore, dryRun: true });
    expect(total).toBeGreaterThan(20);
    const controller = new AbortController();
    const error = await archiveHistory(db, {
      before: safeBefore,
      batchSize: 10,
      signal: controller.signal,
      onProgress: () => controller.abort('stop'),
    }).catch((failure: unknown) => failure);
    expect((error as Error).message).toMatch(/^archiveHistory: aborted \(stop\): .*10 sessions were archived in 1 committed batch, which stay/);
    const rest = await archiveHistory(db, { before: safeBefore });
    expect(rest.sessions).toBe(total - 10);
  });

  it('ingestSessions stops before its next transaction', async () => {
    const [tutor] = await queryRows<{ id: string }>(db, sql`select id::text as id from tutors limit 1`);
    const payloads = Array.from({ length: 50 }, (_, i) => ({
      id: randomUUID(),
      tutorId: tutor?.id,
      studentId: `abort-student-${i}`,
      scheduledTime: '2026-03-20T15:00:00Z',
      status: 'scheduled',
    }));
    const controller = new AbortController();
    const call = ingestSessions(db, payloads, { signal: controller.signal });
    controller.abort('stop'); // after the call started: seen before its first transaction
    await expect(call).rejects.toThrow(/^ingestSessions: aborted \(stop\): the running transaction was rolled back, nothing was stored$/);
    const [row] = await queryRows<{ n: number }>(db, sql`select count(*)::int as n from sessions where student_id like 'abort-student-%'`);
    expect(row?.n).toBe(0);
    // Not migrate here: a fresh PGlite to migrate costs seconds; PostgreSQL covers migrate and rollback above.
    await expect(migrate(db, { signal: AbortSignal.abort('early') })).rejects.toThrow(/^migrate: aborted \(early\)/);
  });
});
