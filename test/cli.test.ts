import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readMigrations } from '../src';
import { TEST_NOW } from '../src/testing';
import { postgresUrl } from './support/databases';
import { type CliRun as Run, reportFingerprint, runCliCaptured } from './support/run-cli';
import { passwordRefusingServer } from './support/password-server';
import { dropDatabase } from '../bench/support/scratch-database';

/** Runs the CLI in-process; `input` is what the user types, `tty` whether stdin is a terminal. */
const run = (argv: string[], options: { tty?: boolean; input?: string } = {}): Promise<Run> => runCliCaptured(argv, options);
/** What `report --json` says of the data dir: enough to tell whether anything changed. */
const snapshot = (dataDir: string) => reportFingerprint(['--data-dir', dataDir]);

const NOW = TEST_NOW.toISOString();
/** The shipped migrations, oldest first: what every expectation about pending or applied migrations derives from. */
const migrationTags = readMigrations().map((m) => m.tag);

const SMALL = ['--tutors', '20', '--sessions', '400', '--now', NOW];
const CLI = resolve(__dirname, '../dist/cli.js');

const scratch = mkdtempSync(join(tmpdir(), 'tqs-cli-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));




describe('tqs-data end to end on an embedded data directory', () => {
  const dir = join(scratch, 'flow');
  const db = ['--data-dir', dir];
  let before: Awaited<ReturnType<typeof snapshot>>;

  it('generate: migrates, loads with progress lines on stderr, prints the summary and a passing report', async () => {
    const { code, stdout, stderr } = await run(['generate', ...SMALL, '--seed', '3', ...db]);
    expect(stderr).not.toContain('applied migrations'); // a new data directory starts migrated, from the shipped snapshot
    expect(stderr).toMatch(/^tutors: 20 rows \(\d+ ms\)$/m);
    expect(stderr).toMatch(/^sessions: 400 rows/m);
    expect(stderr).toMatch(/^scored 20 tutors/m);
    expect(stdout).toMatch(/^generated 20 tutors, 400 sessions, \d+ reschedules/m);
    expect(stdout).toContain(`seed 3, 90 days to ${NOW}`);
    expect(stdout).toMatch(/Integrity checks {2}PASS \(11 passed, 0 n\/a\)/);
    expect(stdout).toMatch(/Ground truth: flags/);
    expect(code).toBe(0);
  });

  it('report: the same database as JSON, every integrity check passing', async () => {
    const { code, stdout, stderr } = await run(['report', '--json', ...db]);
    expect(code).toBe(0);
    expect(stderr).toBe('');
    const report = JSON.parse(stdout);
    expect(report.counts).toMatchObject({ tutors: 20, sessions: 400, tutorScores: 20 });
    expect(report.integrity.passed).toBe(true);
    expect(report.rescheduleRates.asOf).toBe(NOW);
    expect(report.groundTruth).toBeNull();
    before = await snapshot(dir);
  });

  it('score, then report as of a past instant', async () => {
    const score = await run(['score', '--as-of', NOW, ...db]);
    expect(score.code).toBe(0);
    expect(score.stdout).toMatch(/^scored 20 tutors/);
    const past = await run(['report', '--as-of', '2025-12-01T00:00:00Z', '--time-zone', 'Europe/Paris', ...db]);
    expect(past.code).toBe(0);
    expect(past.stdout).toContain('scores computed as of 2025-12-01 00:00 UTC');
    expect(past.stdout).toContain('Sessions by weekday (Europe/Paris)');
  });

  it('report --html (and setup --html): writes the page beside the text report, replaces its own page, never a file it did not write', async () => {
    const page = join(scratch, 'pages', 'report.html');
    const first = await run(['report', '--html', page, ...db]);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toContain('Quality report');
    expect(first.stdout).toContain(`html report: ${page} (open file://`);
    const html = readFileSync(page, 'utf8');
    expect(html).toMatch(/^<!doctype html>/);
    expect(html).toContain('Sessions by weekday (UTC)');
    const json = await run(['report', '--json', '--html', page, ...db]);
    expect(json.code, json.stderr).toBe(0);
    expect(JSON.parse(json.stdout).counts.tutors).toBe(20); // stdout stays JSON; the path goes to stderr
    expect(json.stderr).toContain(`html report: ${page}`);
    const foreign = join(scratch, 'notes.html');
    writeFileSync(foreign, '<p>my notes</p>');
    const refused = await run(['report', '--html', foreign, ...db]);
    expect(refused.code).toBe(1);
    expect(refused.stdout).toBe('');
    expect(refused.stderr).toMatch(/DESTRUCTIVE_OPERATION_REFUSED: --html .*notes\.html exists and is not a report written by tqs-data/);
    expect(readFileSync(foreign, 'utf8')).toBe('<p>my notes</p>');
    const folder = await run(['report', '--html', scratch, ...db]);
    expect(folder.code).toBe(2);
    expect(folder.stderr).toMatch(/^tqs-data: --html .* is not a regular file/);
    const setupPage = join(scratch, 'pages', 'setup.html');
    const setup = await run(['setup', '--html', setupPage, ...db]);
    expect(setup.code, setup.stderr).toBe(0);
    expect(setup.stdout).toMatch(/verification: every integrity check passed\nhtml report: .*setup\.html \(open file:/);
    expect(readFileSync(setupPage, 'utf8')).toContain('Unknown: the intended tiers are kept in the generated dataset');
  });

  it('generate on a database with rows refuses without --clear-existing or --append; nothing changes', async () => {
    const { code, stdout, stderr } = await run(['generate', ...SMALL, '--seed', '4', ...db]);
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr.trim().split('\n')).toHaveLength(1);
    expect(stderr).toMatch(/already holds \d+ rows \(tutors 20, sessions 400, .*--clear-existing.*--append/);
    expect(await snapshot(dir)).toEqual(before);
  });

  it('--clear-existing without --yes and without a terminal refuses; nothing changes', async () => {
    const { code, stdout, stderr } = await run(['generate', ...SMALL, '--seed', '4', '--clear-existing', ...db]);
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr.trim().split('\n')).toHaveLength(1);
    expect(stderr).toMatch(/DESTRUCTIVE_OPERATION_REFUSED: the database holds \d+ rows .*add --yes/);
    expect(await snapshot(dir)).toEqual(before);
  });

  it('--clear-existing on a terminal asks: no keeps the rows, yes replaces them', async () => {
    const no = await run(['generate', ...SMALL, '--seed', '4', '--clear-existing', ...db], { tty: true, input: 'n\n' });
    expect(no.code).toBe(1);
    expect(no.stderr).toMatch(/Delete them all and load a new dataset\? \[y\/N\] /);
    expect(no.stderr).toMatch(/not confirmed: nothing was changed/);
    expect(await snapshot(dir)).toEqual(before);

    const yes = await run(['generate', ...SMALL, '--seed', '4', '--clear-existing', ...db], { tty: true, input: 'y\n' });
    expect(yes.code).toBe(0);
    const after = await snapshot(dir);
    expect(after.counts).toMatchObject({ tutors: 20, sessions: 400 });
    expect(after.coverage).not.toEqual(before.coverage); // another seed: other sessions
  });

  it('--append adds beside the rows (another seed), and the same seed again is refused whole by a constraint', async () => {
    const added = await run(['generate', ...SMALL, '--seed', '5', '--append', '--json', ...db]);
    expect(added.code).toBe(0);
    expect(JSON.parse(added.stdout).report.counts).toMatchObject({ tutors: 40, sessions: 800, tutorScores: 40 });
    const clash = await run(['generate', ...SMALL, '--seed', '5', '--append', ...db]);
    expect(clash.code).toBe(1);
    expect(clash.stderr).toMatch(/^tqs-data: CONSTRAINT_VIOLATION: .*tutors/m);
    expect((await snapshot(dir)).counts).toMatchObject({ tutors: 40, sessions: 800 });
  });

  it('rollback refuses to drop rows (exit 1, the row count in the message), then --force drops them', async () => {
    const kept = await snapshot(dir);
    const refused = await run(['rollback', '--to', 'base', ...db]);
    expect(refused.code).toBe(1);
    expect(refused.stderr.trim().split('\n')).toHaveLength(1);
    expect(refused.stderr).toMatch(/ROLLBACK_REFUSED: rollback would drop \d+ rows/);
    expect(await snapshot(dir)).toEqual(kept);

    const forced = await run(['rollback', '--to', 'base', '--force', ...db]);
    expect(forced.code).toBe(0);
    expect(forced.stdout).toMatch(/rolled back .*dropped rows/);
    const gone = await run(['report', ...db]);
    expect(gone.code).toBe(1);
    expect(gone.stderr).toBe(
      `tqs-data: MIGRATIONS_PENDING: the database is not migrated (pending: ${migrationTags.join(', ')}): run 'tqs-data migrate --data-dir ${dir}'\n`,
    );
  });

  it('setup --seed-data migrates, seeds and verifies; run again, it keeps the rows', async () => {
    const first = await run(['setup', '--seed-data', ...SMALL, ...db]);
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/^migrations: applied 0000_initial_schema/m);
    expect(first.stdout).toMatch(/^generated 20 tutors/m);
    expect(first.stdout).toMatch(/verification: every integrity check passed/);
    const again = await run(['setup', '--init', '--seed-data', ...db]);
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/migrations: up to date/);
    expect(again.stdout).toMatch(/seed data: the database already holds \d+ rows \(tutors 20, sessions 400.*kept them/);
    expect(again.stdout).not.toMatch(/^generated/m);
  });
});

describe('tqs-data on a missing, unmigrated or partly migrated database: says what is missing and how to fix it', () => {
  const dir = join(scratch, 'behind');
  const db = ['--data-dir', dir];
  const migrateHint = `run 'tqs-data migrate --data-dir ${dir}'`;
  const all = migrationTags.join(', ');
  const newest = migrationTags[migrationTags.length - 1] as string;
  const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

  it.each([['score'], ['report'], ['report', '--json'], ['score', '--stale-only']])(
    '%j on a data directory that does not exist: exit 1, one line, and the directory is not created',
    async (...argv) => {
      const { code, stdout, stderr } = await run([...argv, ...db]);
      expect(code).toBe(1);
      expect(stdout).toBe('');
      expect(stderr).toBe(
        `tqs-data: MIGRATIONS_PENDING: the database is not migrated (pending: ${all}): there is no data directory ${dir} yet; ${migrateHint}\n`,
      );
      expect(existsSync(dir)).toBe(false);
    },
  );

  it('status and rollback on a data directory that does not exist: all pending, exit 1; nothing created', async () => {
    const status = await run(['status', ...db]);
    expect(status).toEqual({
      code: 1,
      stdout: [`database: embedded PGlite ${dir} (does not exist)`, 'applied: none', `pending: ${all}`, `${migrateHint} to apply the pending migrations`, ''].join('\n'),
      stderr: '',
    });
    const rolledBack = await run(['rollback', ...db]);
    expect(rolledBack).toEqual({ code: 0, stdout: `embedded PGlite ${dir} does not exist: nothing to roll back\n`, stderr: '' });
    expect(existsSync(dir)).toBe(false);
  });

  it('an empty database: migrated, then rolled back to base', async () => {
    expect((await run(['migrate', ...db])).code).toBe(0);
    expect((await run(['rollback', '--to', 'base', ...db])).code).toBe(0);
  });

  it.each([['score'], ['report']])('%j on that empty database names every migration', async (...argv) => {
    const { code, stdout, stderr } = await run([...argv, ...db]);
    expect({ code, stdout }).toEqual({ code: 1, stdout: '' });
    expect(stderr).toBe(`tqs-data: MIGRATIONS_PENDING: the database is not migrated (pending: ${all}): ${migrateHint}\n`);
  });

  it('partly migrated (rows kept, the newest migration rolled back): status and score say what is pending', async () => {
    expect((await run(['generate', ...SMALL, ...db])).code).toBe(0);
    const up = await run(['status', '--json', ...db]);
    expect(up.code).toBe(0);
    expect(JSON.parse(up.stdout)).toMatchObject({ applied: all.split(', '), pending: [], current: newest, upToDate: true });
    expect((await run(['rollback', ...db])).stdout).toMatch(new RegExp(`rolled back ${newest}\n$`));

    const behind = await run(['status', ...db]);
    expect(behind.code).toBe(1);
    expect(behind.stdout).toMatch(new RegExp(`^applied: ${escape(migrationTags.slice(0, -1).join(', '))}\npending: ${newest}\n`, 'm'));
    const score = await run(['score', ...db]);
    expect({ code: score.code, stdout: score.stdout }).toEqual({ code: 1, stdout: '' });
    expect(score.stderr).toBe(
      `tqs-data: MIGRATIONS_PENDING: the database is not fully migrated (pending: ${newest}): ${migrateHint}\n`,
    );
  });

  it('partly migrated: a refused generate migrates nothing either ("Nothing was changed" holds for the schema)', async () => {
    for (const extra of [[], ['--clear-existing']]) {
      const refused = await run(['generate', ...SMALL, ...extra, ...db]);
      expect(refused.code).toBe(1);
      expect(refused.stderr).not.toMatch(/applied migrations/);
      expect(refused.stderr.trim().split('\n')).toHaveLength(1);
      expect(refused.stderr).toMatch(/[Nn]othing was changed/);
    }
    expect((await run(['status', ...db])).code).toBe(1);
  });

  it('partly migrated, then migrate: status is up to date and score runs', async () => {
    const migrated = await run(['migrate', ...db]);
    expect(migrated.stdout).toMatch(new RegExp(`applied ${newest}\n$`));
    expect(await run(['status', ...db])).toMatchObject({ code: 0, stdout: expect.stringMatching(/pending: none\nup to date\n$/) });
    expect((await run(['score', ...db])).code).toBe(0);
  });

  it("status --help says what its exit codes mean", async () => {
    const { code, stdout } = await run(['status', '--help']);
    expect(code).toBe(0);
    expect(stdout).toMatch(/Exit code 0 when every migration is applied, 1 when some are pending/);
  });
});

describe('tqs-data bad input: one line on stderr, exit 2 for usage and 1 for runtime errors', () => {
  const dir = join(scratch, 'untouched');
  const cases: [string[], number, RegExp][] = [
    [['generate', '--tutors=-5'], 2, /--tutors must be a whole number at least 0 \(got '-5'\)/],
    [['generate', '--sessions', '-5'], 2, /--sessions/],
    [['generate', '--days', '0'], 2, /--days must be a whole number at least 1 \(got '0'\)/],
    [['generate', '--days', '20000'], 2, /--days must be an integer from 1 to 10000/],
    [['generate', '--tutors', 'abc'], 2, /--tutors must be a whole number .*'abc'/],
    [['generate', '--tutors', '0', '--sessions', '10'], 2, /--tutors must be at least 1 when sessions is above 0/],
    [['generate', '--seed', '1.5'], 2, /--seed must be a whole number/],
    [['generate', '--now', 'yesterday'], 2, /--now must be an ISO 8601 date/],
    [['generate', '--time-zone', 'Mars/Olympus'], 2, /--time-zone must be an IANA time zone/],
    [['generate', '--append', '--clear-existing'], 2, /--append or --clear-existing, not both/],
    [['setup', '--tutors', 'many'], 2, /--tutors must be a whole number/],
    [['report', '--as-of', 'soon'], 2, /--as-of must be an ISO 8601 date/],
    [['generate', '--frobnicate'], 2, /unknown option '--frobnicate'/],
    [['frobnicate'], 2, /unknown command 'frobnicate'/],
    [['report', '--database-url', 'postgres://u:secretpw@127.0.0.1:1/x'], 1, /CONNECTION_FAILED: cannot connect to postgres:\/\/u:\*\*\*@127\.0\.0\.1:1\/x/],
    [['generate', '--database-url', 'postgres://u:secretpw@127.0.0.1:1/x'], 1, /CONNECTION_FAILED/],
  ];

  it.each(cases)('%j', async (argv, exitCode, message) => {
    // --data-dir keeps the other cases off the default .tqs/pglite; with --database-url, both flags would be refused.
    const target = argv.includes('--database-url') ? [] : ['--data-dir', dir];
    const { code, stdout, stderr } = await run([...argv, ...target]);
    expect(code).toBe(exitCode);
    expect(stdout).toBe('');
    expect(stderr.endsWith('\n')).toBe(true);
    expect(stderr.trim().split('\n')).toHaveLength(1);
    expect(stderr).toMatch(/^tqs-data: /);
    expect(stderr).toMatch(message);
    expect(stderr).not.toMatch(/secretpw|\n\s+at /);
    expect(existsSync(dir)).toBe(false); // nothing was created
  });
});

describe('tqs-data with a wrong password: one line, exit 1, never the password', () => {
  let server: Awaited<ReturnType<typeof passwordRefusingServer>>;
  beforeAll(async () => {
    server = await passwordRefusingServer();
  });
  afterAll(() => server?.close());

  const commands: string[][] = [['migrate'], ['rollback'], ['generate', ...SMALL], ['score'], ['report'], ['setup', '--seed-data']];
  it.each(commands)('%s', async (...argv) => {
    const url = `postgres://tqs:Wr0ng-pa55word@127.0.0.1:${server.port}/tqs`;
    const sent = server.passwords.length;
    const { code, stdout, stderr } = await run([...argv, '--database-url', url]);
    expect(server.passwords.length).toBeGreaterThan(sent); // the password was sent, and refused
    expect(server.passwords.at(-1)).toBe('Wr0ng-pa55word');
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr.trim().split('\n')).toHaveLength(1);
    expect(stderr).toMatch(/^tqs-data: CONNECTION_FAILED: cannot connect to postgres:\/\/tqs:\*\*\*@127\.0\.0\.1:\d+\/tqs: password authentication failed for user "tqs"/);
    expect(stderr).not.toMatch(/Wr0ng|pa55word|\n\s+at /);
  });
});

describe.skipIf(!postgresUrl)('tqs-data setup on a PostgreSQL server', () => {
  it('creates a missing database whose name needs quoting, then migrates, seeds and verifies', async () => {
    // Capitals and a dash: unquoted, CREATE DATABASE would fail or fold the name to lower case.
    const name = `TqsCli-${process.pid}`;
    const url = new URL(postgresUrl!);
    url.pathname = `/${name}`;
    try {
      const { code, stdout, stderr } = await run(['setup', '--seed-data', ...SMALL, '--database-url', url.toString()]);
      expect(stderr).not.toMatch(/tqs-data:/);
      expect(stderr).toMatch(/^scored 20 tutors/m);
      expect(code).toBe(0);
      expect(stdout).toMatch(/^database: PostgreSQL .* \(created\)$/m);
      expect(stdout).toMatch(/verification: every integrity check passed/);
      const again = await run(['setup', '--database-url', url.toString()]);
      expect(again.code).toBe(0);
      expect(again.stdout).not.toMatch(/\(created\)/);
    } finally {
      await dropDatabase(postgresUrl!, name);
    }
  });
});

describe.skipIf(!existsSync(CLI))('the built bin, dist/cli.js', () => {
  it('runs setup --seed-data --json in a process of its own', async () => {
    const dir = join(scratch, 'spawned');
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [CLI, 'setup', '--seed-data', '--tutors', '10', '--sessions', '150', '--now', NOW, '--json', '--data-dir', dir],
      { timeout: 120_000, env: { ...process.env, DATABASE_URL: '' } },
    );
    const out = JSON.parse(stdout);
    expect(out.verified).toBe(true);
    // A new data directory starts migrated, from the snapshot the package ships: nothing left to apply.
    expect(out.database.migrationsApplied).toEqual([]);
    expect(out.report.counts).toMatchObject({ tutors: 10, sessions: 150 });
  });
});
