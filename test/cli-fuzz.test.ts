import { execFile, spawn as spawnChild } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postgresUrl } from './support/databases';
import { type CliRun as Run, reportFingerprint, runCliCaptured } from './support/run-cli';

/*
 * Every flag of every command, fed bad values: each case must exit 2 (bad argument) or 1 (the work failed) with ONE
 * line on stderr that names the flag or the cause, no stack trace, no part of a password, and nothing written.
 */

const CLI = resolve(__dirname, '../dist/cli.js');
const scratch = mkdtempSync(join(tmpdir(), 'tqs-fuzz-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** A path that never exists: a refused command must not create it. */
const missingDir = join(scratch, 'never-created');
const KB5 = '9'.repeat(5000);

const run = (argv: string[], env: NodeJS.ProcessEnv = {}): Promise<Run> => runCliCaptured(argv, { env });
/** What a database holds, to tell that a refused command changed nothing. */
const fingerprint = reportFingerprint;
const TEXT5 = 'x'.repeat(5000);



interface Case {
  title: string;
  argv: string[];
  env?: NodeJS.ProcessEnv;
  /** What the line must name: the flag, or the cause. */
  names: RegExp;
  /** Text that must never appear (a password). */
  secret?: string;
}

const counts = { cases: 0, exit2: 0, exit1: 0, acceptedValid: 0 };
afterAll(() => {
  console.log(
    `cli fuzz: ${counts.cases + counts.acceptedValid} cases; refused ${counts.cases} (exit 2: ${counts.exit2}, exit 1: ${counts.exit1}); accepted valid: ${counts.acceptedValid}`,
  );
});

function expectRefused(result: Run, c: Case): void {
  const lines = result.stderr.split('\n').filter((l) => l !== '');
  expect([1, 2], `${c.title}: ${result.stderr}`).toContain(result.code);
  expect(lines, c.title).toHaveLength(1);
  expect(lines[0], c.title).toMatch(/^tqs-data: /);
  expect(lines[0], c.title).toMatch(c.names);
  expect(result.stderr).not.toMatch(/\n\s+at /);
  if (c.secret) {
    expect(result.stderr, c.title).not.toContain(c.secret);
    expect(result.stdout, c.title).not.toContain(c.secret);
  }
  counts.cases += 1;
  if (result.code === 2) counts.exit2 += 1;
  else counts.exit1 += 1;
}

const db = ['--data-dir', missingDir];
const generateLike = ['generate', 'setup'] as const;

/** Values no whole-number flag takes. */
const notWhole = ['-1', 'NaN', '1e12', '', ' ', '１２', '٣', '12\n', KB5, '3.5', '0x10', '+', '1_000'];
/** Values no date flag takes: impossible days, no offset, other formats, other digits. */
const badDates = [
  '2026-02-30',
  '2026-04-31',
  '2025-02-29',
  '2026-01-15 jun',
  '2026-13-01',
  '2026-00-10',
  '2026-01-15T25:00Z',
  '2026-01-15T12:60Z',
  '2026-01-15T12:00',
  '2026-01-15T12:00:00+25:00',
  '15/01/2026',
  'now',
  'yesterday',
  '',
  '２０２６-01-15',
  '2026-01-15\n',
  `2026-01-15${TEXT5}`,
  '1e12',
  '-1',
];
/** Zones Node refuses, or that are no zone. */
const badZones = ['Mars/Olympus', '', ' ', 'UTC+1', 'Europe/Paris\n', TEXT5, '１', '../../etc/passwd'];
/** Reserved characters a password must percent-encode; each appears raw. */
const reservedInPassword = [':', '/', '?', '#', '[', ']', '@', '%', ' ', '\n'];
/** Connection strings that do not parse one way only, or name nothing. */
const badUrls = [
  'not a url',
  'localhost:5432/db',
  'http://u@127.0.0.1/db',
  'postgres://u@127.0.0.1:/db',
  'postgres://u@127.0.0.1:0/db',
  'postgres://u@127.0.0.1:99999/db',
  'postgres:///db',
  'postgres://u@127.0.0.1/db\n',
  `postgres://u@127.0.0.1/${TEXT5}`,
  `postgres://u@127.0.0.1/${'d'.repeat(64)}`,
  'postgres://u@127.0.0.1/d%zz',
  'postgres://u@127.0.0.1/d?sslmode',
];

function buildCases(): Case[] {
  const cases: Case[] = [];
  const integerFlags: [string, string, string[]][] = [
    ['generate', 'tutors', ['1000000000000']],
    ['generate', 'sessions', ['1000000000000', '100000000', '100001']],
    ['generate', 'days', ['0', '10001', '1000000000000']],
    ['generate', 'seed', ['4294967296', '1000000000000']],
    ['setup', 'tutors', ['1000000000000']],
    ['setup', 'days', ['0']],
    ['setup', 'seed', ['-0.5']],
    ['rollback', 'steps', ['0']],
    ['score', 'limit', []],
  ];
  for (const [command, flag, extra] of integerFlags) {
    for (const value of [...notWhole, ...extra]) {
      const seed = command === 'setup' && flag === 'tutors' ? ['--seed-data'] : [];
      cases.push({ title: `${command} --${flag} ${JSON.stringify(value.slice(0, 20))}`, argv: [command, ...seed, `--${flag}`, value, ...db], names: new RegExp(`--${flag}\\b`) });
    }
  }
  for (const value of [...notWhole.filter((v) => v !== '3.5'), '101', '15.123', '１５', '.']) {
    cases.push({ title: `score --threshold ${JSON.stringify(value.slice(0, 20))}`, argv: ['score', '--threshold', value, ...db], names: /--threshold\b/ });
  }
  for (const [command, flag] of [['generate', 'now'], ['setup', 'now'], ['score', 'as-of'], ['report', 'as-of']] as const) {
    for (const value of badDates) {
      cases.push({ title: `${command} --${flag} ${JSON.stringify(value.slice(0, 20))}`, argv: [command, `--${flag}`, value, ...db], names: new RegExp(`--${flag}\\b`) });
    }
  }
  for (const command of [...generateLike, 'report']) {
    for (const value of badZones) {
      cases.push({ title: `${command} --time-zone ${JSON.stringify(value.slice(0, 20))}`, argv: [command, '--time-zone', value, ...db], names: /--time-zone\b/ });
    }
  }
  for (const value of ['BASE', 'Base', 'null', 'undefined', '0000_INITIAL_SCHEMA', '0000', '0001', '', 'base\n', ' base', TEXT5, '../0000_initial_schema']) {
    cases.push({ title: `rollback --to ${JSON.stringify(value.slice(0, 20))}`, argv: ['rollback', '--to', value, ...db], names: /--to\b/ });
  }
  cases.push({ title: 'rollback --to base --steps 1', argv: ['rollback', '--to', 'base', '--steps', '1', ...db], names: /--steps or --to/ });
  for (const command of ['setup', 'migrate', 'rollback', 'generate', 'score', 'report']) {
    for (const char of reservedInPassword) {
      const secret = `x${char}9`;
      const url = `postgres://pwuser:Wr${secret}pw@127.0.0.1:5433/pwdb`;
      cases.push({ title: `${command} --database-url with a raw ${JSON.stringify(char)} in the password`, argv: [command, '--database-url', url], names: /--database-url\b/, secret });
    }
    cases.push({
      title: `${command} --database-url, the issue's URL`,
      argv: [command, '--database-url', 'postgres://pwuser:Wr@localhost:/%pw@127.0.0.1:5433/pwdb'],
      names: /--database-url postgres:\/\/\*\*\*@127\.0\.0\.1:5433\/pwdb /,
      secret: 'Wr@',
    });
    cases.push({ title: `${command} --database-url ''`, argv: [command, '--database-url', ''], names: /--database-url is empty/ });
    cases.push({ title: `${command} DATABASE_URL=''`, argv: [command], env: { DATABASE_URL: '' }, names: /\$DATABASE_URL is set but empty/ });
    cases.push({ title: `${command} DATABASE_URL=' '`, argv: [command], env: { DATABASE_URL: ' ' }, names: /\$DATABASE_URL is set but empty/ });
    cases.push({
      title: `${command} DATABASE_URL with a raw '@'`,
      argv: [command],
      env: { DATABASE_URL: 'postgres://pwuser:s3@cret@127.0.0.1:5433/pwdb' },
      names: /\$DATABASE_URL postgres:\/\/\*\*\*@127\.0\.0\.1:5433\/pwdb/,
      secret: 's3@cret',
    });
    for (const url of badUrls) {
      cases.push({ title: `${command} --database-url ${JSON.stringify(url.slice(0, 30))}`, argv: [command, '--database-url', url], names: /--database-url\b/ });
    }
    cases.push({ title: `${command} --data-dir ''`, argv: [command, '--data-dir', ''], names: /--data-dir\b/ });
    cases.push({ title: `${command} --data-dir and --database-url`, argv: [command, '--data-dir', missingDir, '--database-url', 'postgres://u@127.0.0.1/db'], names: /--database-url or --data-dir/ });
    cases.push({ title: `${command} --bogus`, argv: [command, '--bogus', '1', ...db], names: /--bogus/ });
    cases.push({ title: `${command} a stray positional`, argv: [command, 'extra', ...db], names: /extra/ });
  }
  return cases;
}

describe('tqs-data refuses every bad value before anything is opened', () => {
  const cases = buildCases();
  const cwdTqs = resolve('.tqs');
  const hadCwdTqs = existsSync(cwdTqs);

  it(`${cases.length} cases: exit 2 or 1, one line naming the flag or cause, no password, nothing written`, async () => {
    const failures: string[] = [];
    for (const c of cases) {
      try {
        expectRefused(await run(c.argv, c.env), c);
        expect(existsSync(missingDir), c.title).toBe(false);
        expect(existsSync(cwdTqs), c.title).toBe(hadCwdTqs);
      } catch (error) {
        failures.push(`${c.title}: ${(error as Error).message.split('\n')[0]}`);
        rmSync(missingDir, { recursive: true, force: true });
      }
    }
    expect(failures).toEqual([]);
  }, 400_000);
});

describe('a data dir must be missing, empty or a PGlite data dir', () => {
  it('refuses a folder of other files and a file, leaving them as they were', async () => {
    const folder = join(scratch, 'someone-elses');
    mkdirSync(folder);
    writeFileSync(join(folder, 'notes.txt'), 'mine');
    const file = join(scratch, 'a-file');
    writeFileSync(file, 'mine');
    for (const command of ['setup', 'migrate', 'rollback', 'generate', 'score', 'report']) {
      expectRefused(await run([command, '--data-dir', folder]), {
        title: `${command} --data-dir <folder of other files>`,
        argv: [],
        names: /--data-dir .*someone-elses holds files but is not a PGlite data directory \(no PG_VERSION\)/,
      });
      expectRefused(await run([command, '--data-dir', file]), {
        title: `${command} --data-dir <file>`,
        argv: [],
        names: /--data-dir .*a-file is a file, not a folder/,
      });
    }
    expect(readdirSync(folder)).toEqual(['notes.txt']);
  });
});


/** Cases that pass every check of the arguments and are refused once the database is open, before any write. */
const refusedAfterOpen = (target: string[]): Case[] => [
  { title: 'generate --time-zone US/Pacific-New (Node knows it, PostgreSQL does not)', argv: ['generate', '--tutors', '2', '--sessions', '10', '--time-zone', 'US/Pacific-New', '--clear-existing', '--yes', ...target], names: /--time-zone 'US\/Pacific-New' is not in the database's time zone list/ },
  { title: 'setup --seed-data --time-zone US/Pacific-New', argv: ['setup', '--seed-data', '--clear-existing', '--yes', '--time-zone', 'US/Pacific-New', ...target], names: /--time-zone 'US\/Pacific-New'/ },
  { title: 'report --time-zone europe/paris', argv: ['report', '--time-zone', 'europe/paris', ...target], names: /--time-zone 'europe\/paris' is spelled 'Europe\/Paris'/ },
  { title: 'rollback --steps 1000000000000', argv: ['rollback', '--steps', '1000000000000', '--force', ...target], names: /steps is 1000000000000, but \d+ migrations are applied/ },
  { title: 'generate on a database with rows, neither --append nor --clear-existing', argv: ['generate', '--tutors', '2', '--sessions', '10', ...target], names: /already holds .* Nothing was changed/ },
];

/** Valid edge values: real days (Feb 29 of a leap year), offsets, zones both sides know, extreme but sane limits. */
const acceptedValid = (target: string[]): string[][] => [
  ['generate', '--tutors', '3', '--sessions', '30', '--seed', '0', '--days', '1', '--now', '2024-02-29T23:59:59.999+14:00', '--time-zone', 'Europe/Kyiv', ...target],
  ['score', '--as-of', '2026-01-15', '--threshold', '0', '--limit', '1000000000000', ...target],
  ['report', '--as-of', '2024-02-29T12:00:00-03:30', '--time-zone', 'America/Ciudad_Juarez', '--json', ...target],
];

async function expectAccepted(argv: string[], env: NodeJS.ProcessEnv = {}): Promise<void> {
  const result = await run(argv, env);
  expect(result.code, `${argv.join(' ')}: ${result.stderr}`).toBe(0);
  counts.acceptedValid += 1;
}

describe('on an embedded data dir with rows: valid edge values pass, refusals after open change nothing', () => {
  const dir = join(scratch, 'pglite');
  const target = ['--data-dir', dir];

  it('accepts valid edge values', async () => {
    for (const argv of acceptedValid(target)) await expectAccepted(argv);
  }, 400_000);

  it('refuses the rest with the data unchanged', async () => {
    const before = await fingerprint(target);
    for (const c of refusedAfterOpen(target)) {
      expectRefused(await run(c.argv), c);
      expect(await fingerprint(target), c.title).toEqual(before);
    }
  }, 400_000);

  it('rollback --to takes a migration name as written', async () => {
    await expectAccepted(['rollback', '--to', '0000_initial_schema', '--force', ...target]);
    const again = await run(['rollback', '--to', '0001_touch_updated_at', ...target]);
    expectRefused(again, { title: 'rollback --to <not applied>', argv: [], names: /0001_touch_updated_at is not applied/ });
  }, 300_000);
});

describe.skipIf(!postgresUrl)('on PostgreSQL, through a URL whose password holds every reserved character', () => {
  const name = `tqs_fuzz_${process.pid}`;
  const password = ":/?#[]@!$&'()*+,;=% é";
  let url = '';
  beforeAll(async () => {
    const admin = postgres(postgresUrl!, { max: 1, onnotice: () => {} });
    await admin.unsafe(`create database ${name}`);
    await admin.end();
    const parsed = new URL(postgresUrl!);
    parsed.pathname = `/${name}`;
    // The test server trusts every connection: the password only shows that it is read and never printed.
    url = parsed.toString().replace('//postgres@', `//postgres:${encodeURIComponent(password).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16)}`)}@`);
  });
  afterAll(async () => {
    const admin = postgres(postgresUrl!, { max: 1, onnotice: () => {} });
    await admin.unsafe(`drop database if exists ${name} with (force)`);
    await admin.end();
  });

  it('accepts valid edge values', async () => {
    for (const argv of acceptedValid(['--database-url', url])) await expectAccepted(argv);
  }, 400_000);

  it('refuses the rest with the data unchanged, never printing the password', async () => {
    const target = ['--database-url', url];
    const before = await fingerprint(target);
    for (const c of refusedAfterOpen(target)) {
      const result = await run(c.argv);
      expectRefused(result, { ...c, secret: encodeURIComponent(password) });
      expect(result.stderr).not.toContain('%3A%2F');
      expect(await fingerprint(target), c.title).toEqual(before);
    }
    // The same through $DATABASE_URL.
    expect(await fingerprint([], { DATABASE_URL: url })).toEqual(before);
  }, 400_000);
});

describe.skipIf(!existsSync(CLI))('the built bin, dist/cli.js, in a process of its own', () => {
  const spawn = async (args: string[], env: NodeJS.ProcessEnv) => {
    try {
      const { stdout, stderr } = await promisify(execFile)(process.execPath, [CLI, ...args], { timeout: 60_000, env: { PATH: process.env.PATH, ...env } });
      return { code: 0, stdout, stderr };
    } catch (error) {
      const e = error as { code: number; stdout: string; stderr: string };
      return { code: e.code, stdout: e.stdout, stderr: e.stderr };
    }
  };
  it.each([
    ['a raw @ in the password', ['migrate', '--database-url', 'postgres://pwuser:Wr@localhost:/%pw@127.0.0.1:5433/pwdb'], {}, /--database-url postgres:\/\/\*\*\*@127\.0\.0\.1:5433\/pwdb/],
    ['an impossible --now', ['generate', '--now', '2026-02-30', '--data-dir', missingDir], {}, /--now .*2026-02 has 28 days/],
    ['DATABASE_URL set but empty', ['migrate'], { DATABASE_URL: '' }, /\$DATABASE_URL is set but empty/],
    ['--sessions beyond memory', ['generate', '--sessions', '1000000000000', '--tutors', '10', '--data-dir', missingDir], {}, /--sessions .*at most/],
  ])('%s', async (_title, args, env, names) => {
    const result = await spawn(args as string[], env as NodeJS.ProcessEnv);
    expectRefused(result, { title: String(_title), argv: [], names: names as RegExp, secret: 'Wr@' });
    expect(existsSync(missingDir)).toBe(false);
  });
});

describe.skipIf(!postgresUrl || !existsSync(CLI))('a backend terminated right after the load commits (dist/cli.js)', () => {
  const name = `tqs_commit_race_${process.pid}`;
  let admin: postgres.Sql;
  beforeAll(async () => {
    admin = postgres(postgresUrl!, { max: 2, onnotice: () => {} });
    await admin.unsafe(`create database ${name}`);
  });
  afterAll(async () => {
    await admin.unsafe(`drop database if exists ${name} with (force)`);
    await admin.end();
  });

  it('exits 0 and says the data is in ("committed; the connection was lost afterwards"), never a stack trace', async () => {
    const parsed = new URL(postgresUrl!);
    parsed.pathname = `/${name}`;
    const url = parsed.toString();
    const said: string[] = [];
    // Bounded: the kill lands after the COMMIT in most tries, not all; every try must end well either way.
    for (let attempt = 0; attempt < 6; attempt++) {
      const stderr = { text: '' };
      let stop = false;
      const argv = ['generate', '--tutors', '5', '--sessions', '50', '--now', '2026-01-15T12:00:00Z', '--clear-existing', '--yes', '--database-url', url];
      const child = spawnChild(process.execPath, [CLI, ...argv], { env: { PATH: process.env.PATH }, stdio: ['ignore', 'ignore', 'pipe'] });
      child.stderr!.on('data', (chunk) => {
        stderr.text += String(chunk);
      });
      const exited = new Promise<number>((resolve) => child.on('close', (c) => resolve(c ?? -1)));
      const killer = (async () => {
        const deadline = Date.now() + 60_000;
        while (!stop && Date.now() < deadline) {
          if (!stderr.text.includes('email_reports:')) {
            await new Promise((r) => setTimeout(r, 1));
            continue;
          }
          const rows = await admin`select pid from pg_stat_activity
                                   where datname = ${name} and state = 'idle' and query ilike 'commit%'`;
          for (const row of rows) {
            await admin`select pg_terminate_backend(${row.pid})`;
            stop = true;
          }
        }
      })();
      const code = await exited;
      stop = true;
      await killer;
      expect(code, stderr.text).toBe(0);
      expect(stderr.text).not.toMatch(/\n\s+at |TypeError/);
      const lost = stderr.text.split('\n').filter((l) => l.startsWith('tqs-data:'));
      if (lost.length > 0) {
        expect(lost).toHaveLength(1);
        expect(lost[0]).toMatch(/^tqs-data: committed; the connection was lost afterwards: 5 tutors and 50 sessions are in PostgreSQL .*; the report was not printed \(run 'tqs-data report'\)$/);
        said.push(lost[0]!);
      }
      const [row] = await admin.unsafe(`select 1`); // the server is still there
      expect(row).toBeDefined();
      const check = postgres(url, { max: 1, onnotice: () => {} });
      const [counted] = await check`select count(*)::int as n from sessions`;
      await check.end();
      expect(counted?.n).toBe(50);
    }
    console.log(`commit race: ${said.length} of 6 tries lost the connection after COMMIT; e.g. ${said[0] ?? '(none)'}`);
  }, 300_000);
});
