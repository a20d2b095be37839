import { execFile } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDatabase, generateDataset, insertDataset, migrate, rawClient, readMigrations, type TqsDatabase } from '../src';
import { journal } from './support/catalog';
import { openEmptyDatabase, postgresUrl } from './support/databases';

/*
 * Every example runs in a child process, as a user would run it, and its output is checked: an example that stops
 * compiling, throws, prints something else, or leaves a database open (Node then never exits) fails here.
 */

const exec = promisify(execFile);
const repoRoot = fileURLToPath(new URL('..', import.meta.url));
const bin = (path: string) => join(repoRoot, 'node_modules', path);
/** Generous for a busy machine; an example that hangs (an unclosed database) is still caught. */
const RUN_TIMEOUT = 150_000;

/** The environment of a child process: ours, minus vitest's own markers (a nested vitest must not see them). */
function childEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('VITEST')));
  return { ...env, NO_COLOR: '1', FORCE_COLOR: '0', ...extra };
}

async function run(args: string[], options: { cwd?: string; env?: Record<string, string> } = {}): Promise<string> {
  try {
    const { stdout } = await exec(process.execPath, args, {
      cwd: options.cwd ?? repoRoot,
      env: childEnv(options.env),
      timeout: RUN_TIMEOUT,
      maxBuffer: 16 * 1024 * 1024,
    });
    return stdout;
  } catch (error) {
    const e = error as { killed?: boolean; stdout?: string; stderr?: string; message: string };
    const hint = e.killed ? ` (killed after ${RUN_TIMEOUT} ms: a database left open keeps Node running)` : '';
    throw new Error(`${args.join(' ')} failed${hint}\n${e.message}\n${e.stdout ?? ''}\n${e.stderr ?? ''}`);
  }
}

/** `npx tsx examples/<name>` */
const runExample = (name: string, args: string[] = [], env?: Record<string, string>) =>
  run([bin('tsx/dist/cli.mjs'), join('examples', name), ...args], env ? { env } : {});

/**
 * A scratch PostgreSQL database (dropped when `db` is closed) and its URL, for the child processes to connect to.
 */
async function scratchDatabase(): Promise<{ url: string; db: TqsDatabase }> {
  const db = await openEmptyDatabase({ name: 'postgres', url: postgresUrl as string });
  const client = rawClient(db);
  if (client.backend !== 'postgres') throw new Error('expected a PostgreSQL database');
  const url = new URL(postgresUrl as string);
  url.pathname = `/${client.sql.options.database}`;
  return { url: url.toString(), db };
}

describe('examples', () => {
  it('are all run by this file', () => {
    // A new example must get a test below; this list is what the tests cover.
    // api-service: its HTTP tests are in test/api-service.test.ts.
    expect(readdirSync(join(repoRoot, 'examples')).sort()).toEqual([
      'api-service',
      'drizzle-kit-consumer',
      'relations.ts',
      'score-worker.ts',
      'validate-api-input.ts',
      'vitest-fixture.test.ts',
      'vitest.config.ts',
    ]);
  });

  it('relations.ts: tutors with sessions, reschedules and scores', async () => {
    const out = await runExample('relations.ts');
    const tutorLines = out.split('\n').filter((line) => line.includes('reschedule rates 7/30/90 days'));
    expect(tutorLines).toHaveLength(3);
    expect(out).toMatch(/^ {2}\d{4}-\d{2}-\d{2} \d{2}:\d{2} {2}(completed|rescheduled|no_show)/m);
    expect(out).toMatch(/<- by (tutor|student), -?\d+(\.\d+)? h before \([a-z_]+\)/);
    expect(out).toMatch(/^worst 30-day rates: .+ \d+(\.\d+)?%, .+, .+$/m);
    expect(out).toMatch(/^latest rescheduled session: .+, reason ".+", email reports: /m);
  });

  it('validate-api-input.ts: rejected bodies name the field and the constraint', async () => {
    const out = await runExample('validate-api-input.ts');
    const lines = out.trim().split('\n');
    expect(lines.map((line) => line.slice(0, 3))).toEqual(['201', '400', '400', '409', '409']);
    const body = (line: string | undefined) => JSON.parse((line ?? '').slice(4)) as Record<string, unknown>;
    expect(body(lines[1])).toMatchObject({
      code: 'VALIDATION_FAILED',
      issues: [
        { path: 'studentId', message: expect.stringContaining('(sessions_student_id_not_blank)') },
        { path: 'durationMinutes', message: expect.stringContaining('(sessions_duration_positive)') },
        { path: 'completedTime', message: expect.stringContaining('(sessions_completed_time_matches_status)') },
      ],
    });
    expect(body(lines[2])).toMatchObject({
      code: 'VALIDATION_FAILED',
      issues: [{ path: 'email', message: expect.stringContaining('(tutors_email_format)') }],
    });
    expect(body(lines[3])).toMatchObject({ code: 'CONSTRAINT_VIOLATION', constraint: 'reschedules_session_fk' });
    expect(body(lines[4])).toMatchObject({
      code: 'CONSTRAINT_VIOLATION',
      constraint: 'reschedule_status_rule',
      message: expect.stringMatching(/^reschedule_status_rule: .*\(session [0-9a-f-]{36} has status 'rescheduled' but no reschedules row\)$/),
    });
  });

  it('score-worker.ts: due refreshes on a schedule, then stops', async () => {
    const out = await runExample('score-worker.ts', ['--ticks', '3', '--interval-ms', '200']);
    // Loaded without scores: every tutor is due at first.
    expect(out).toMatch(/^tick 1: refreshed 20 due tutor\(s\), \d+ of them high risk$/m);
    // The demo books one rescheduled session per tick: that tutor is due (and, rarely, one whose session just left
    // a window as the clock moved on).
    expect(out).toMatch(/^tick 2: refreshed [12] due tutor\(s\), [012] of them high risk$/m);
    expect(out).toMatch(/^tick 3: refreshed [12] due tutor\(s\)/m);
    expect(out).toMatch(/^ {2}high-risk tutors: \d+$/m);
    expect(out.trim().split('\n').pop()).toBe('stopped after 3 tick(s)');

    const once = await runExample('score-worker.ts', ['--once']);
    expect(once).toMatch(/^tick 1: refreshed 20 due tutor\(s\)/m);
    expect(once.trim().split('\n').pop()).toBe('stopped after 1 tick(s)');
  });

  it.runIf(postgresUrl)('score-worker.ts: against PostgreSQL (DATABASE_URL)', async () => {
    const scratch = await scratchDatabase();
    try {
      // Not migrated yet: the worker refuses to start, naming what is pending.
      const refused = await runExample('score-worker.ts', ['--once'], { DATABASE_URL: scratch.url }).catch((e: Error) => e.message);
      expect(refused).toContain(
        `MigrationsPendingError: the database is not migrated (pending: ${readMigrations().map((m) => m.tag).join(', ')})`,
      );
      await migrate(scratch.db);
      await insertDataset(scratch.db, generateDataset({ tutors: 15, sessions: 300, seed: 2, now: new Date() }));
      const out = await runExample('score-worker.ts', ['--once'], { DATABASE_URL: scratch.url });
      // insertDataset scored every tutor and consumed the changes its load captured: nothing is due (unless a
      // session left a window in the seconds since).
      expect(out).toMatch(/^tick 1: refreshed [01] due tutor\(s\), [01] of them high risk$/m);
      expect(out.trim().split('\n').pop()).toBe('stopped after 1 tick(s)');
    } finally {
      await scratch.db.close();
    }
  });

  it('vitest-fixture.test.ts: passes under vitest', async () => {
    const out = await run([bin('vitest/vitest.mjs'), 'run', '--config', 'examples/vitest.config.ts']);
    expect(out).toMatch(/Tests\s+5 passed \(5\)/);
  });
});

describe('examples/drizzle-kit-consumer', () => {
  let consumer: string;
  const migrations = readMigrations();

  beforeAll(() => {
    // A consumer project: the example's config, and node_modules with this package and what drizzle-kit loads.
    consumer = mkdtempSync(join(tmpdir(), 'tqs-consumer-'));
    cpSync(join(repoRoot, 'examples', 'drizzle-kit-consumer', 'drizzle.config.ts'), join(consumer, 'drizzle.config.ts'));
    writeFileSync(join(consumer, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
    mkdirSync(join(consumer, 'node_modules', '@tqs'), { recursive: true });
    symlinkSync(repoRoot, join(consumer, 'node_modules', '@tqs', 'data'), 'dir');
    for (const dependency of ['drizzle-kit', 'drizzle-orm', '@electric-sql', 'postgres']) {
      symlinkSync(bin(dependency), join(consumer, 'node_modules', dependency), 'dir');
    }
  });

  afterAll(() => {
    if (consumer) rmSync(consumer, { recursive: true, force: true });
  });

  const drizzleKitMigrate = (env: Record<string, string>) =>
    run([bin('drizzle-kit/bin.cjs'), 'migrate', '--config', 'drizzle.config.ts'], { cwd: consumer, env });

  it('drizzle-kit migrate applies the package migrations to PGlite; migrate() then applies nothing', async () => {
    const dataDir = join(consumer, 'pglite');
    await drizzleKitMigrate({ PGLITE_DIR: dataDir, DATABASE_URL: '' });
    await using db = await createDatabase({ dataDir });
    expect((await journal(db)).map((row) => row.hash)).toEqual(migrations.map((m) => m.hash));
    expect(await migrate(db)).toEqual({ applied: [] });
  });

  it.runIf(postgresUrl)('drizzle-kit migrate applies them to PostgreSQL; migrate() then applies nothing', async () => {
    const scratch = await scratchDatabase();
    try {
      await drizzleKitMigrate({ DATABASE_URL: scratch.url });
      expect((await journal(scratch.db)).map((row) => row.hash)).toEqual(migrations.map((m) => m.hash));
      expect(await migrate(scratch.db)).toEqual({ applied: [] });
    } finally {
      await scratch.db.close();
    }
  });
});
