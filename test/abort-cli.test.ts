import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AbortedError, createDatabase, generateDataset, insertDataset, refreshTutorScores, type TqsDatabase } from '../src';
import { openTestDatabase, postgresUrl } from './support/databases';
import { freezingProxy } from './support/freezing-proxy';
import { type LockHolder, lockHolder, urlOf } from './support/lock-holder';

/*
 * The CLI stopped by SIGINT or SIGTERM while its statement waits for a lock another session holds (as with
 * `begin; lock table tutors in access exclusive mode;` in psql), or while the network to the server is frozen: it
 * stops within a second, prints one line and exits 130 (SIGINT) or 143 (SIGTERM). The process is dist/cli.js; the
 * signal is sent once the server shows its backend waiting (pg_stat_activity), never after a sleep.
 */
const AS_OF = new Date('2026-03-15T12:00:00.000Z');
const CLI = resolve(__dirname, '../dist/cli.js');
const EXIT = { SIGINT: 130, SIGTERM: 143 } as const;

describe.skipIf(!postgresUrl)('the CLI stopped by a signal during a lock wait or a frozen network [postgres]', () => {
  let db: TqsDatabase;
  let url = '';
  let locks: LockHolder;
  const dir = mkdtempSync(join(tmpdir(), 'tqs-abort-cli-'));

  beforeAll(async () => {
    db = await openTestDatabase({ name: 'postgres', url: postgresUrl });
    await insertDataset(db, generateDataset({ tutors: 20, sessions: 400, seed: 8, now: AS_OF }));
    url = urlOf(db);
    locks = lockHolder(url);
    const [tutor] = await locks.watcher`select id::text from tutors limit 1`;
    const payload = { id: randomUUID(), tutorId: tutor?.id, studentId: 'cli-abort', scheduledTime: '2026-03-20T15:00:00Z', status: 'scheduled' };
    writeFileSync(join(dir, 'sessions.jsonl'), `${JSON.stringify(payload)}\n`);
  }, 120_000);

  afterAll(async () => {
    await locks?.end();
    await db?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** Runs the CLI with `args` under `lock`, signals it once its backend waits; its exit code, stderr and time. */
  async function stopWhileWaiting(args: string[], lock: string, signal: 'SIGINT' | 'SIGTERM', before?: () => void) {
    const release = await locks.hold(lock);
    try {
      const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, DATABASE_URL: '' } });
      let stderr = '';
      child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      const exit = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
      await locks.someoneWaits(exit.then((code) => `exited ${code}: ${stderr}`));
      before?.();
      const sentAt = performance.now();
      child.kill(signal);
      const guard = setTimeout(() => child.kill('SIGKILL'), 15_000);
      const code = await exit;
      clearTimeout(guard);
      return { code, stderr, ms: Math.round(performance.now() - sentAt) };
    } finally {
      await release();
    }
  }

  const exclusive = (table: string) => `lock table ${table} in access exclusive mode`;
  const commands: { name: string; args: () => string[]; lock: string }[] = [
    { name: 'score', args: () => ['score', '--database-url', url], lock: exclusive('tutors') },
    // share mode: the row counts before the load read on, the COPY waits.
    {
      name: 'generate',
      args: () => ['generate', '--database-url', url, '--append', '--seed', '9', '--tutors', '5', '--sessions', '100', '--json'],
      lock: 'lock table tutors in share mode',
    },
    { name: 'archive', args: () => ['archive', '--database-url', url, '--before', '2000-01-01'], lock: exclusive('sessions') },
    { name: 'report', args: () => ['report', '--database-url', url], lock: exclusive('tutors') },
    { name: 'migrate', args: () => ['migrate', '--database-url', url], lock: exclusive('drizzle.__drizzle_migrations') },
    { name: 'ingest', args: () => ['ingest', '--database-url', url, join(dir, 'sessions.jsonl')], lock: exclusive('tutors') },
  ];

  it('score, generate, archive, report, migrate and ingest: one line, exit 130 on SIGINT and 143 on SIGTERM', async () => {
    const times: string[] = [];
    for (const command of commands) {
      for (const signal of ['SIGINT', 'SIGTERM'] as const) {
        const run = await stopWhileWaiting(command.args(), command.lock, signal);
        times.push(`${command.name} ${signal} ${run.ms} ms`);
        expect(run.code, `${command.name}: ${run.stderr}`).toBe(EXIT[signal]);
        expect(run.stderr, command.name).toMatch(new RegExp(`^tqs-data: (ABORTED|INTERRUPTED): [^\\n]*\\(?${signal}\\)?[^\\n]*\\n$`));
        expect(await locks.waiting()).toBe(0);
      }
    }
    console.log(`abort [postgres, CLI under a held lock]: exited after: ${times.join(', ')}`);
  }, 300_000);

  it('score through a frozen network: SIGINT stops it within a second, exit 130, one line', async () => {
    const proxy = await freezingProxy(new URL(url));
    try {
      const through = `postgres://${new URL(url).username}@127.0.0.1:${proxy.port}${new URL(url).pathname}`;
      const run = await stopWhileWaiting(['score', '--database-url', through], exclusive('tutors'), 'SIGINT', () => proxy.freeze());
      console.log(`abort [postgres, CLI through a frozen network]: score exited ${run.code} ${run.ms} ms after SIGINT`);
      expect(run.code).toBe(130);
      expect(run.stderr).toMatch(/^tqs-data: ABORTED: refreshTutorScores: aborted \(SIGINT\): [^\n]*\n$/);
    } finally {
      proxy.end();
    }
  }, 60_000);

  it('a library call through a frozen network rejects soon after its abort, with nothing committed', async () => {
    const proxy = await freezingProxy(new URL(url));
    const through = await createDatabase({ url: `postgres://${new URL(url).username}@127.0.0.1:${proxy.port}${new URL(url).pathname}`, max: 1 });
    const release = await locks.hold(exclusive('tutors'));
    try {
      const controller = new AbortController();
      const settled = refreshTutorScores(through, { asOf: AS_OF, signal: controller.signal }).then(
        () => 'resolved',
        (error: unknown) => error,
      );
      await locks.someoneWaits(settled);
      proxy.freeze();
      const abortedAt = performance.now();
      controller.abort('stop');
      const error = await settled;
      const took = Math.round(performance.now() - abortedAt);
      console.log(`abort [postgres, library through a frozen network]: refreshTutorScores rejected ${took} ms after the abort`);
      expect(error).toBeInstanceOf(AbortedError);
      expect(((error as Error).cause as Error).message).toMatch(/did not answer the cancel/);
    } finally {
      proxy.end(); // the server sees the connection go and ends the waiting backend
      await release();
      await through.close().catch(() => {});
    }
  }, 60_000);
});
