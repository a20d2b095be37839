/*
 * Faults, tried as a user meets them, with the built CLI (dist/cli.js) in child processes: two processes on one
 * PGlite data directory, kill -9 in the middle of a load, SIGINT, a full disk, a network that stops answering, and
 * server errors. After each, the data directory or database opens and every table equals its state from before or
 * after, compared by a hash of every row. A fast subset always runs; TQS_RELIABILITY=1 (as in CI) adds ten kill
 * moments, the full tmpfs (when root) and every pair of writing commands (TQS_FAULT_PAIRS=1 adds the pairs alone).
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { freezingProxy } from './support/freezing-proxy';
import { hostname, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { sql } from 'drizzle-orm';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDatabase, DataDirError, DataDirLockedError, describeServerError, queryRows, type TqsDatabase } from '../src';
import { openEmptyDatabase, postgresUrl } from './support/databases';

const CLI = resolve(__dirname, '../dist/cli.js');
const RELIABILITY = Boolean(process.env.TQS_RELIABILITY);
const NOW = '2026-11-01T00:00:00.000Z';
const TABLES = ['tutors', 'sessions', 'reschedules', 'email_reports', 'tutor_scores'] as const;

const scratch = mkdtempSync(join(tmpdir(), 'tqs-faults-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  ms: number;
}

/** A CLI process; `exit` settles when it ends (killed after `limitMs` at the latest). */
function start(args: string[], limitMs = 90_000): { child: ChildProcess; exit: Promise<Exit>; stderr: () => string } {
  const started = Date.now();
  const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, DATABASE_URL: '' } });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d) => (stdout += String(d)));
  child.stderr?.on('data', (d) => (stderr += String(d)));
  const timer = setTimeout(() => child.kill('SIGKILL'), limitMs);
  const exit = new Promise<Exit>((resolveExit) =>
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolveExit({ code, signal, stdout, stderr, ms: Date.now() - started });
    }),
  );
  return { child, exit, stderr: () => stderr };
}

const cli = (args: string[], limitMs?: number) => start(args, limitMs).exit;

/** Polls `check` every 20 ms until it holds, for at most `limitMs`. */
async function until(check: () => boolean, limitMs: number): Promise<boolean> {
  const deadline = Date.now() + limitMs;
  while (Date.now() < deadline) {
    if (check()) return true;
    await new Promise((r) => setTimeout(r, 20));
  }
  return check();
}

/*
 * Every row of every table, hashed: what differs between two identical runs left out (when a score was computed,
 * the random id of a score row). A table that
 * does not exist hashes as 'absent' (a rollback may drop one).
 */
async function hashTables(db: TqsDatabase): Promise<Record<string, string>> {
  const hashes: Record<string, string> = {};
  for (const table of TABLES) {
    const [exists] = await queryRows<{ ok: boolean }>(db, rawSql(`select to_regclass('public.${table}') is not null as ok`));
    if (!exists?.ok) {
      hashes[table] = 'absent';
      continue;
    }
    const [row] = await queryRows<{ n: number; h: string }>(
      db,
      rawSql(
        `select count(*)::int as n, md5(coalesce(string_agg(r, E'\\n' order by r), '')) as h from (select (to_jsonb(t) - ` +
          `array[${table === 'tutor_scores' ? `'id', ` : ''}'last_calculated_at', 'created_at', 'updated_at'])::text as r from ${table} t) s`,
      ),
    );
    hashes[table] = `${row?.n}:${row?.h}`;
  }
  return hashes;
}

const rawSql = (text: string) => sql.raw(text);

async function hashDataDir(dataDir: string): Promise<Record<string, string>> {
  const db = await createDatabase({ dataDir });
  try {
    return await hashTables(db);
  } finally {
    await db.close();
  }
}

async function hashUrl(url: string): Promise<Record<string, string>> {
  const db = await createDatabase({ url, max: 1 });
  try {
    return await hashTables(db);
  } finally {
    await db.close();
  }
}

let copies = 0;
/** A fresh copy of the template data directory. */
function copyOf(template: string): string {
  const dir = join(scratch, `copy-${++copies}`, 'db');
  cpSync(template, dir, { recursive: true });
  return dir;
}

const generateArgs = (seed: number, sessions = 600) => [
  'generate', '--append', '--seed', String(seed), '--tutors', '10', '--sessions', String(sessions), '--now', NOW,
];

describe.skipIf(!existsSync(CLI))('faults on an embedded data directory (dist/cli.js)', () => {
  let template: string;
  let before: Record<string, string>;

  beforeAll(async () => {
    template = join(scratch, 'template', 'db');
    const setup = await cli(['setup', '--seed-data', '--tutors', '20', '--sessions', '400', '--seed', '1', '--now', NOW, '--data-dir', template], 120_000);
    expect(setup.code, setup.stderr).toBe(0);
    before = await hashDataDir(template);
  }, 180_000);

  /** What `args` leave in a copy of the template when they run alone (cached per command line). */
  const alone = new Map<string, Promise<Record<string, string>>>();
  const afterAlone = (args: string[]) => {
    const key = args.join(' ');
    if (!alone.has(key)) {
      alone.set(
        key,
        (async () => {
          const dir = copyOf(template);
          const run = await cli([...args, '--data-dir', dir]);
          expect(run.code, run.stderr).toBe(0);
          return hashDataDir(dir);
        })(),
      );
    }
    return alone.get(key) as Promise<Record<string, string>>;
  };

  it('refuses a second opener in the same process, and takes over a lock whose holder is gone', async () => {
    const dir = copyOf(template);
    const db = await createDatabase({ dataDir: dir });
    try {
      const second = createDatabase({ dataDir: dir });
      await expect(second).rejects.toBeInstanceOf(DataDirLockedError);
      await expect(second).rejects.toThrow(`the PGlite data directory ${dir} is in use by this process`);
    } finally {
      await db.close();
    }
    expect(existsSync(`${dir}.lock`)).toBe(false);
    // A lock left by a process that no longer runs (a pid far above pid_max): taken over, no manual cleanup.
    const stale = { pid: 4_194_999, start: '1', boot: undefined, host: hostname(), nonce: 'x', command: 'gone', since: NOW };
    writeFileSync(`${dir}.lock`, JSON.stringify(stale));
    expect(await hashDataDir(dir)).toEqual(before);
    expect(existsSync(`${dir}.lock`)).toBe(false);
  });

  it('says what it found in a data directory that will not open, and re-creates a half-created one', async () => {
    const foreign = copyOf(template);
    writeFileSync(join(foreign, 'PG_VERSION'), '15\n');
    await expect(createDatabase({ dataDir: foreign })).rejects.toThrow(
      new DataDirError(
        `the PGlite data directory ${foreign} was made by PostgreSQL 15, and this package's PGlite runs PostgreSQL 18: ` +
          'open it with the PGlite version that made it and dump the data (pg_dump or dumpDataDir), or point --data-dir ' +
          'elsewhere. It was left untouched.',
        foreign,
      ),
    );
    expect(existsSync(`${foreign}.lock`)).toBe(false);

    const damaged = copyOf(template);
    rmSync(join(damaged, 'global'), { recursive: true });
    const error = await createDatabase({ dataDir: damaged }).then(
      async (db) => db.close().then(() => undefined),
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(DataDirError);
    expect(String((error as Error).message)).toMatch(
      /will not open \(PostgreSQL 18, \d+ entries, not a complete data directory; PGlite said: .*\): it may be damaged .* It was left untouched\.$/,
    );
    expect(existsSync(join(damaged, 'base'))).toBe(true);

    // A crash during the first creation leaves the marker and part of initdb's files: re-created, then usable.
    const half = join(scratch, 'half', 'db');
    cpSync(join(template, 'base'), join(half, 'base'), { recursive: true });
    writeFileSync(`${half}.creating`, '1\n');
    const db = await createDatabase({ dataDir: half });
    try {
      const [row] = await queryRows<{ n: number }>(db, rawSql('select count(*)::int as n from pg_class'));
      expect(row?.n).toBeGreaterThan(0);
      expect(existsSync(`${half}.creating`)).toBe(false);
    } finally {
      await db.close();
    }
  });

  it("a server error reads as the server's message and what to do", async () => {
    const db = await openEmptyDatabase({ name: 'pglite' }); // not migrated: createDatabase() starts migrated
    try {
      const error = await queryRows(db, rawSql('select * from tutors')).catch((e: unknown) => e);
      // Translated by the helper: coded, the server's message and what to do, never the SQL; drizzle's error is `cause`.
      expect(error).toMatchObject({ code: 'DATABASE_ERROR', sqlState: '42P01' });
      expect(String((error as Error).message)).toMatch(/^queryRows: relation "tutors" does not exist \(SQLSTATE 42P01\)/);
      expect(describeServerError(error)).toBe(
        `relation "tutors" does not exist (SQLSTATE 42P01): a table is missing: the schema is not migrated ` +
          "(run 'tqs-data migrate' or migrate(db))",
      );
    } finally {
      await db.close();
    }
  });

  const writers: Record<string, string[]> = {
    generate: generateArgs(7),
    setup: ['setup'],
    migrate: ['migrate'],
    rollback: ['rollback', '--force'],
    score: ['score', '--as-of', NOW],
  };
  const names = Object.keys(writers);
  const pairs = names.flatMap((a, i) => names.slice(i).map((b) => [a, b] as const));
  // Every pair takes 9-25 s of two CLI processes on a busy 2-core machine: TQS_RELIABILITY (as in CI) or
  // TQS_FAULT_PAIRS runs all 15, otherwise two always run.
  const tried = RELIABILITY || process.env.TQS_FAULT_PAIRS ? pairs : pairs.filter(([a, b]) => a === 'generate' && (b === 'generate' || b === 'rollback'));

  it.each(tried)('%s and %s at once: one runs, the other fails at once naming the holder, no row lost', async (a, b) => {
    const dir = copyOf(template);
    const first = start([...(writers[a] as string[]), '--data-dir', dir]);
    const second = start([...(writers[b] as string[]), '--data-dir', dir]);
    const exits = await Promise.all([first.exit, second.exit]);
    const failed = exits.filter((e) => e.code !== 0);
    expect(failed, exits.map((e) => e.stderr).join('\n')).toHaveLength(1);
    const loser = failed[0] as Exit;
    expect(loser.code).toBe(1);
    expect(loser.stderr).toMatch(new RegExp(`^tqs-data: DATA_DIR_LOCKED: the PGlite data directory \\S+ is in use by process \\d+ `, 'm'));
    expect(loser.stderr.trim().split('\n')).toHaveLength(1);
    const winner = exits[0]?.code === 0 ? a : b;
    expect(await hashDataDir(dir)).toEqual(await afterAlone(writers[winner] as string[]));
  });

  const moments = RELIABILITY ? 10 : 2;
  it(`kill -9 at ${moments} moments of a generate: the directory reopens with the rows from before or after`, async () => {
    const args = generateArgs(8, 3_000);
    const full = copyOf(template);
    const timed = await cli([...args, '--data-dir', full]);
    expect(timed.code, timed.stderr).toBe(0);
    const after = await hashDataDir(full);
    const outcomes: string[] = [];
    for (let i = 0; i < moments; i++) {
      const dir = copyOf(template);
      const run = start([...args, '--data-dir', dir]);
      // Spread over the whole run, start-up included; the last moments fall in the load and the refresh.
      await new Promise((r) => setTimeout(r, Math.round((timed.ms * (i + 0.5)) / moments)));
      run.child.kill('SIGKILL');
      await run.exit;
      const hash = await hashDataDir(dir);
      const outcome = JSON.stringify(hash) === JSON.stringify(before) ? 'before' : JSON.stringify(hash) === JSON.stringify(after) ? 'after' : 'other';
      outcomes.push(outcome);
      rmSync(dir, { recursive: true, force: true });
    }
    expect(outcomes.filter((o) => o === 'other')).toEqual([]);
  }, 600_000);

  it('SIGINT during a load: rolled back, closed, exit 130 with one line; a second SIGINT corrupts nothing', async () => {
    for (const presses of [1, 2]) {
      const dir = copyOf(template);
      const run = start([...generateArgs(9, 20_000), '--data-dir', dir]);
      // The load has started once the first table is reported done.
      expect(await until(() => run.stderr().includes('tutors: '), 60_000)).toBe(true);
      run.child.kill('SIGINT');
      if (presses === 2) {
        await new Promise((r) => setTimeout(r, 30));
        run.child.kill('SIGINT');
      }
      const exit = await run.exit;
      expect(exit.code, exit.stderr).toBe(130);
      const lines = exit.stderr.split('\n').filter((l) => l.startsWith('tqs-data:'));
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(
        presses === 1
          ? /^tqs-data: ABORTED: insertDatasetStream: aborted \(SIGINT\): the load was rolled back, nothing of it was written$/
          : /^tqs-data: (stopped at once by a second SIGINT; no uncommitted row is kept|ABORTED: insertDatasetStream: aborted \(SIGINT\): .*)$/,
      );
      if (presses === 1) expect(existsSync(`${dir}.lock`), 'a clean stop releases the lock').toBe(false);
      expect(await hashDataDir(dir)).toEqual(before);
    }
  });

  const root = process.getuid?.() === 0;
  describe.skipIf(!RELIABILITY || !root)('a full disk (a 100 MB tmpfs; needs root and TQS_RELIABILITY)', () => {
    const mount = join(scratch, 'tmpfs');
    beforeAll(() => {
      execFileSync('mkdir', ['-p', mount]);
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=100m', 'tmpfs', mount]);
    });
    afterAll(() => {
      execFileSync('umount', ['-l', mount]);
    });

    it('a load that obviously will not fit is refused before it writes; one that fills the disk rolls back', async () => {
      const dir = join(mount, 'db');
      cpSync(template, dir, { recursive: true });
      const refused = await cli([...generateArgs(10, 100_000), '--data-dir', dir]);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toMatch(/^tqs-data: DISK_FULL: not enough disk space: loading [\d,]+ rows needs about [\d.]+ MB in \S+, and its file system has [\d.]+ MB free; /m);
      expect(await hashDataDir(dir)).toEqual(before);

      // Passes the check (about 44 MB needed, ~58 MB free), then a filler file takes all but 1 MB once the load runs.
      const run = start([...generateArgs(11, 10_000), '--data-dir', dir]);
      expect(await until(() => run.stderr().includes('tutors: '), 60_000)).toBe(true);
      const filler = join(mount, 'filler');
      const free = Number(execFileSync('df', ['--output=avail', '-B1', mount]).toString().split('\n')[1]);
      execFileSync('fallocate', ['-l', String(Math.max(0, free - 1024 * 1024)), filler]);
      const full = await run.exit;
      expect(full.code).toBe(1);
      expect(full.stderr).toMatch(/^tqs-data: DISK_FULL: the disk filled up during the load, which was rolled back: /m);
      // Without space, even a read says so instead of Aborted().
      const read = await cli(['report', '--data-dir', dir]);
      if (read.code !== 0) expect(read.stderr).toMatch(/^tqs-data: DISK_FULL: no space left on the device of /m);
      rmSync(filler);
      expect(await hashDataDir(dir)).toEqual(before);
    }, 300_000);
  });
});


describe.skipIf(!postgresUrl || !existsSync(CLI))('faults on PostgreSQL (dist/cli.js)', () => {
  const base = new URL(postgresUrl ?? 'postgres://localhost/test');
  const name = `tqs_faults_${process.pid}`;
  const urlOf = (database: string, host = base.host) => {
    const url = new URL(base);
    url.host = host;
    url.pathname = `/${database}`;
    return url.toString();
  };
  const admin = postgres(urlOf('postgres'), { max: 1, onnotice: () => {} });
  let before: Record<string, string>;

  beforeAll(async () => {
    await admin.unsafe(`drop database if exists "${name}" with (force)`);
    const setup = await cli(['setup', '--seed-data', '--tutors', '20', '--sessions', '400', '--seed', '1', '--now', NOW, '--database-url', urlOf(name)]);
    expect(setup.code, setup.stderr).toBe(0);
    before = await hashUrl(urlOf(name));
  }, 120_000);

  afterAll(async () => {
    for (const db of [name, `${name}_race`]) await admin.unsafe(`drop database if exists "${db}" with (force)`);
    await admin.end();
  });

  it('a connection that stops answering mid-load fails within the bound, says so, and commits nothing', async () => {
    const proxy = await freezingProxy(base);
    try {
      const run = start([...generateArgs(12, 20_000), '--database-url', urlOf(name, `127.0.0.1:${proxy.port}`), '--socket-timeout', '3']);
      // Frozen in the middle of the COPY of sessions.
      expect(await until(() => run.stderr().includes('tutors: '), 60_000)).toBe(true);
      proxy.freeze();
      const frozenAt = Date.now();
      const exit = await run.exit;
      expect(exit.code).toBe(1);
      expect(Date.now() - frozenAt).toBeLessThan(3_000 + 10_000);
      expect(exit.stderr).toMatch(/^tqs-data: CONNECTION_STALLED: insertDatasetStream: the connection to the database stopped answering while loading \w+: the transaction was not committed, nothing was written$/m);
    } finally {
      // The dead path finally resets, as a load balancer's flow table does: the server rolls the transaction back.
      proxy.end();
    }
    let open = 1;
    for (let i = 0; i < 100 && open > 0; i++) {
      [{ open } = { open: 0 }] = await admin<{ open: number }[]>`
        select count(*)::int as open from pg_stat_activity where datname = ${name} and xact_start is not null`;
      if (open > 0) await new Promise((r) => setTimeout(r, 100));
    }
    expect(open).toBe(0);
    expect(await hashUrl(urlOf(name))).toEqual(before);
  }, 120_000);

  it("a lock timeout reaches the user as LOCK_TIMEOUT, with the server's message and what to do, not the SQL", async () => {
    const holder = postgres(urlOf(name), { max: 1, onnotice: () => {} });
    let release = () => {};
    const released = new Promise<void>((resolve) => (release = resolve));
    try {
      let held = () => {};
      const holding = new Promise<void>((resolve) => (held = resolve));
      const locked = holder.begin(async (tx) => {
        await tx`lock table tutors in access exclusive mode`;
        held();
        await released;
      });
      await holding;
      const url = new URL(urlOf(name));
      url.searchParams.set('options', '-c lock_timeout=500');
      const report = await cli(['report', '--database-url', url.toString()]);
      release();
      await locked;
      expect(report.code).toBe(1);
      expect(report.stderr).toBe(
        'tqs-data: LOCK_TIMEOUT: qualityReportFromDatabase: canceling statement due to lock timeout (SQLSTATE 55P03): another session holds a lock on these ' +
          'tables longer than lock_timeout; its transaction was rolled back, nothing was written: retry when it has finished, or raise lockTimeout ' +
          '(tqs-data: --lock-timeout S)\n',
      );
    } finally {
      release();
      await holder.end();
    }
  }, 60_000);

  it('4 setup at once on a missing database: all succeed', async () => {
    const race = `${name}_race`;
    await admin.unsafe(`drop database if exists "${race}" with (force)`);
    const exits = await Promise.all(Array.from({ length: 4 }, () => cli(['setup', '--database-url', urlOf(race)])));
    expect(exits.map((e) => [e.code, e.stderr.trim()])).toEqual(Array.from({ length: 4 }, () => [0, '']));
  }, 120_000);
});
