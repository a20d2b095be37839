import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AbortedError,
  refreshDueScores,
  createDatabase,
  generateDataset,
  insertDataset,
  refreshTutorScores,
  type TqsDatabase,
} from '../src';
import { openTestDatabase, postgresUrl } from './support/databases';

/*
 * Aborting a long call stops it within a second even while it waits for a lock another session holds: the statement
 * is cancelled on the server (its backend is idle again), the call rejects with AbortedError, nothing is written.
 * The CLI maps SIGTERM to that abort. PostgreSQL only: PGlite runs statements in-process and cannot cancel one.
 */
const AS_OF = new Date('2026-03-15T12:00:00.000Z');
const CLI = resolve(__dirname, '../dist/cli.js');
const ABORT_BOUND_MS = 1_000;

describe.skipIf(!postgresUrl)('cancellation through an AbortSignal [postgres]', () => {
  let db: TqsDatabase;
  let url = '';
  let holder: postgres.Sql;
  /** A second connection, for looking while the holder's is inside its transaction. */
  let watcher: postgres.Sql;

  beforeAll(async () => {
    db = await openTestDatabase({ name: 'postgres', url: postgresUrl });
    await insertDataset(db, generateDataset({ tutors: 30, sessions: 600, seed: 5, now: AS_OF }));
    const options = (db as unknown as { $client: { options: { host: string[]; port: number[]; database: string; user: string } } }).$client.options;
    url = `postgres://${options.user}@${options.host[0]}:${options.port[0]}/${options.database}`;
    holder = postgres(url, { max: 1, onnotice: () => {} });
    watcher = postgres(url, { max: 1, onnotice: () => {} });
  }, 120_000);

  afterAll(async () => {
    await holder?.end();
    await watcher?.end();
    await db?.close();
  });

  /** Holds an access-exclusive lock on tutors until the returned function is called. */
  async function holdTutorsLock(): Promise<() => Promise<void>> {
    let release: () => void = () => {};
    let locked: () => void = () => {};
    const isLocked = new Promise<void>((done) => (locked = done));
    const held = holder.begin(async (tx) => {
      await tx`lock table tutors in access exclusive mode`;
      locked();
      await new Promise<void>((done) => (release = done));
    });
    await isLocked;
    return async () => {
      release();
      await held;
    };
  }

  /** Polls (at most 200 times, 20 ms apart) until a backend of the database other than the holder waits for a lock. */
  async function someoneWaits(): Promise<void> {
    for (let polls = 0; polls < 200; polls++) {
      const [row] = await watcher`select count(*)::int as waiting from pg_stat_activity
        where datname = current_database() and wait_event_type = 'Lock'`;
      if ((row?.waiting as number) > 0) return;
      await new Promise((done) => setTimeout(done, 20));
    }
    throw new Error('no backend ever waited for the lock');
  }

  it('aborts refreshes waiting for a lock within a second, cancelling them on the server', async () => {
    const times: number[] = [];
    const scoresNow = async () =>
      (await watcher`select count(*)::int as n, max(last_calculated_at)::text as last from tutor_scores`)[0];
    const before = await scoresNow();
    const ids = (await watcher`select id::text from tutors order by id`).map((row) => row.id as string);
    for (let round = 0; round < 6; round++) {
      const release = await holdTutorsLock();
      try {
        const controller = new AbortController();
        const call =
          round % 2 === 0
            ? refreshTutorScores(db, { asOf: AS_OF, signal: controller.signal })
            : refreshTutorScores(db, { asOf: AS_OF, tutorIds: [ids[round] as string], signal: controller.signal });
        const settled = call.then(
          () => undefined,
          (error: unknown) => error,
        );
        const early = await Promise.race([someoneWaits().then(() => 'waits'), settled.then((e) => e ?? 'resolved')]);
        if (early !== 'waits') throw new Error(`the refresh ended before it waited: ${String(early)}`, { cause: early });
        const abortedAt = Date.now();
        controller.abort('stop');
        const error = await settled;
        times.push(Date.now() - abortedAt);
        expect(error).toBeInstanceOf(AbortedError);
        expect((error as AbortedError).code).toBe('ABORTED');
        // Cancelled on the server, not merely abandoned: no backend waits for the lock any more.
        const [row] = await watcher`select count(*)::int as waiting from pg_stat_activity
          where datname = current_database() and wait_event_type = 'Lock'`;
        expect(row?.waiting).toBe(0);
      } finally {
        await release();
      }
    }
    expect(await scoresNow()).toEqual(before); // every refresh was rolled back
    console.log(`abort: ${times.length} aborts under a held lock, rejected after (ms): ${times.join(', ')}`);
    expect(Math.max(...times)).toBeLessThan(ABORT_BOUND_MS);
    // An aborted signal refuses the call before it starts (refreshDueScores too, whose probe would not wait here).
    await expect(refreshDueScores(db, { signal: AbortSignal.abort('early') })).rejects.toBeInstanceOf(AbortedError);
    await expect(refreshTutorScores(db, { signal: AbortSignal.abort('early') })).rejects.toThrow(/aborted \(early\)/);
  }, 120_000);

  it('reports a lock wait past lockTimeout as a lock timeout (55P03)', async () => {
    const short = await createDatabase({ url, lockTimeout: 0.3, max: 1 });
    const release = await holdTutorsLock();
    try {
      const error = await refreshTutorScores(short, { asOf: AS_OF }).catch((failure: unknown) => failure);
      expect(error).toMatchObject({ code: 'DATABASE_ERROR', sqlState: '55P03' });
    } finally {
      await release();
      await short.close();
    }
    await expect(createDatabase({ url, lockTimeout: -1 })).rejects.toThrow(/lockTimeout must be a positive number/);
  }, 60_000);

  it.skipIf(!existsSync(CLI))('CLI score under a held lock: SIGTERM ends it with exit 143 and one line', async () => {
    const release = await holdTutorsLock();
    try {
      const child = spawn(process.execPath, [CLI, 'score', '--database-url', url], {
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { ...process.env, DATABASE_URL: '' },
      });
      let stderr = '';
      child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      const exit = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
      await someoneWaits();
      const sentAt = Date.now();
      child.kill('SIGTERM');
      const guard = setTimeout(() => child.kill('SIGKILL'), 10_000);
      const code = await exit;
      clearTimeout(guard);
      const took = Date.now() - sentAt;
      console.log(`abort: CLI score exited ${code} ${took} ms after SIGTERM`);
      expect(code).toBe(143);
      expect(stderr).toMatch(/^tqs-data: ABORTED: refreshTutorScores: aborted \(SIGTERM\): the running statement was cancelled and rolled back\n$/);
      expect(took).toBeLessThan(5_000);
    } finally {
      await release();
    }
  }, 60_000);
});
