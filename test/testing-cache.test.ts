import { execFileSync, spawn } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Database, defaultMigrationsFolder, migrate, queryRows, rawClient, readMigrations } from '../src';
import { catalogSnapshot } from './support/catalog';
import { openEmptyDatabase } from './support/databases';
import { clearTestDatabaseCache, createTestDatabase, type CreateTestDatabaseOptions } from '../src/testing';
import { cachedSnapshot, LOCK_WAIT_MS, snapshotCacheStats, snapshotFile } from '../src/testing/snapshot-cache';
import { decodeSnapshotFile, encodeSnapshotFile } from '../src/db/pglite/snapshot-file';
import { readShippedSnapshot } from '../src/testing/shipped-snapshot';

/*
 * What a test database's file cache does when something around it is wrong: it never hangs, never fails because of
 * the cache, and says in one line what it did about it. Each case starts from a first good build in a folder of its
 * own, damages it, forgets this process's memory (as a new process starts) and calls createTestDatabase again.
 */

/** Per case, bounded: a case that would hang fails here instead. */
const CASE_TIMEOUT = 120_000;

let work: string;
/** Numbers the cases' folders. */
let seed = 100;
/**
 * A small dataset, the same in every case: each case starts from the good file of {@link firstGoodBuild} in a folder
 * of its own, and forgets this process's memory before the call it checks, so that call builds or reads as a new
 * process would.
 */
const nextOptions = (cacheDir: string): CreateTestDatabaseOptions => {
  seed += 1;
  return { dataset: { tutors: 4, sessions: 40, seed: 100 }, cacheDir };
};

interface Outcome {
  ms: number;
  warnings: string[];
  builds: number;
  diskReads: number;
  sessions: number;
}

/** Calls createTestDatabase as a new process would (nothing in memory) and records what it took and said. */
async function attempt(name: string, options: CreateTestDatabaseOptions): Promise<Outcome> {
  clearTestDatabaseCache();
  const warnings: string[] = [];
  const listen = (warning: Error & { code?: string }) => {
    if (warning.code === 'TQS_TESTING_CACHE') warnings.push(warning.message);
  };
  process.on('warning', listen);
  const before = snapshotCacheStats();
  try {
    const started = performance.now();
    const db = await createTestDatabase(options);
    const ms = Math.round(performance.now() - started);
    const [row] = await queryRows<{ n: number }>(db, sql`select count(*)::int as n from sessions`);
    await db.close();
    await new Promise((resolve) => setImmediate(resolve)); // warnings are emitted on a later tick
    const after = snapshotCacheStats();
    const outcome = {
      ms,
      warnings,
      builds: after.builds - before.builds,
      diskReads: after.diskReads - before.diskReads,
      sessions: row?.n ?? -1,
    };
    console.info(`[${name}] createTestDatabase took ${ms} ms; said: ${warnings.join(' | ') || '(nothing)'}`);
    return outcome;
  } finally {
    process.off('warning', listen);
  }
}

/** The dataset's file as the first run with a cacheDir wrote it, once for the file (see {@link firstGoodBuild}). */
let firstRun: Promise<string> | undefined;

/**
 * A folder with a good snapshot of `options` in it, as a first run leaves it; returns the dataset's file. The first
 * run is made once, in a folder of its own (it must write one file for the dataset); every case gets a copy of that
 * file, byte for byte what a first run writes, instead of building the same snapshot again.
 */
async function firstGoodBuild(options: CreateTestDatabaseOptions): Promise<string> {
  firstRun ??= (async () => {
    const source = join(work, 'first-run');
    clearTestDatabaseCache();
    await (await createTestDatabase({ ...options, cacheDir: source })).close();
    const written = readdirSync(source).filter((f) => !f.endsWith('-migrated.snapshot'));
    expect(written).toHaveLength(1);
    expectGoodFile(join(source, written[0] as string));
    return join(source, written[0] as string);
  })();
  const good = await firstRun;
  const dir = options.cacheDir as string;
  mkdirSync(dir, { recursive: true });
  const file = join(dir, good.split('/').pop() as string);
  copyFileSync(good, file);
  return file;
}

const keyOf = (file: string) => (file.split('/').pop() as string).replace(/^tqs-data-/, '').replace(/\.snapshot$/, '');

/** The file holds a whole snapshot for its key again. */
function expectGoodFile(file: string): void {
  expect(decodeSnapshotFile(readFileSync(file), keyOf(file))).toHaveProperty('tar');
}

const caseDir = (name: string) => join(work, name);

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'tqs-testing-cache-'));
  // The migrated snapshot in this process's memory, as every case but the first would find it.
  await (await createTestDatabase()).close();
}, 240_000);

afterAll(() => {
  rmSync(work, { recursive: true, force: true });
});

describe('a cacheDir that cannot be used', () => {
  it(
    'is a regular file: one warning, and the database is built without the file cache',
    async () => {
      const file = join(work, 'not-a-folder');
      writeFileSync(file, 'a file, not a folder');
      const outcome = await attempt('cacheDir is a regular file', nextOptions(file));
      expect(outcome.sessions).toBe(40);
      expect(outcome.builds).toBe(1);
      expect(outcome.warnings).toHaveLength(1);
      expect(outcome.warnings[0]).toMatch(/cannot use cacheDir .*not-a-folder \(it is a file, not a folder\); .*without the file cache/);
      expect(outcome.warnings[0]).not.toContain('\n');
      expect(readFileSync(file, 'utf8')).toBe('a file, not a folder');
    },
    CASE_TIMEOUT,
  );

  it(
    'lies under a regular file: one warning, and the database',
    async () => {
      const file = join(work, 'a-file');
      writeFileSync(file, '');
      const outcome = await attempt('cacheDir under a regular file', nextOptions(join(file, 'cache')));
      expect(outcome.sessions).toBe(40);
      expect(outcome.warnings).toEqual([expect.stringMatching(/cannot use cacheDir .*a-file\/cache \(ENOTDIR: /)]);
    },
    CASE_TIMEOUT,
  );

  describe('on a read-only file system', () => {
    let mountPoint: string | undefined;
    let skipReason: string | undefined;
    let options: CreateTestDatabaseOptions;
    let goodFile: string;

    beforeAll(async () => {
      mountPoint = join(work, 'readonly');
      mkdirSync(mountPoint);
      try {
        execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=256m', 'tmpfs', mountPoint], { stdio: 'pipe' });
      } catch (error) {
        skipReason = `mounting a tmpfs needs root and CAP_SYS_ADMIN: ${String((error as Error).message).split('\n')[0]}`;
        mountPoint = undefined;
        return;
      }
      // A first good build in it, then the file system goes read-only.
      options = nextOptions(join(mountPoint, 'cache'));
      goodFile = await firstGoodBuild(options);
      execFileSync('mount', ['-o', 'remount,ro', mountPoint], { stdio: 'pipe' });
    }, CASE_TIMEOUT);

    afterAll(() => {
      if (mountPoint) execFileSync('umount', [mountPoint], { stdio: 'pipe' });
    });

    it(
      'without the snapshot or the folder: one warning (EROFS), and the database built in memory',
      async (context) => {
        if (!mountPoint) return context.skip(skipReason);
        const outcome = await attempt('read-only file system, no snapshot', nextOptions(join(mountPoint, 'new', 'cache')));
        expect(outcome.sessions).toBe(40);
        expect(outcome.builds).toBe(1);
        expect(outcome.warnings).toEqual([expect.stringMatching(/cannot use cacheDir .*\(EROFS: read-only file system/)]);
      },
      CASE_TIMEOUT,
    );

    it(
      'with the snapshot: read, no warning, nothing built',
      async (context) => {
        if (!mountPoint) return context.skip(skipReason);
        const outcome = await attempt('read-only file system, snapshot there', options);
        expect(outcome).toMatchObject({ sessions: 40, builds: 0, diskReads: 1, warnings: [] });
        expectGoodFile(goodFile);
      },
      CASE_TIMEOUT,
    );
  });
});

describe('a lock left beside a snapshot', () => {
  /** Deletes the snapshot files of the folder and puts `content` as the lock of each. */
  function leaveLocks(dir: string, content: string): string[] {
    const locks: string[] = [];
    for (const name of readdirSync(dir).filter((f) => f.endsWith('.snapshot'))) {
      rmSync(join(dir, name));
      writeFileSync(join(dir, `${name}.lock`), content);
      locks.push(join(dir, `${name}.lock`));
    }
    return locks;
  }

  /** A lock naming `pid` as it would name a worker of this cache. */
  const ownerLock = (pid: number, start: string | null) => JSON.stringify({ pid, start, host: hostname() });

  const procStart = (pid: number) => {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] as string;
  };

  it.each([
    ['empty (left by a worker killed while creating it)', () => ''],
    ['holding pid 1 alone, as 0.1 wrote it', () => '1'],
    ['naming pid 1 with another start time: a live process, not a worker of this cache', () => ownerLock(1, '1')],
    ['of a worker on this host that exited', () => {
      const child = spawn(process.execPath, ['-e', '']);
      const pid = child.pid as number;
      return new Promise<string>((resolve) => child.on('exit', () => resolve(ownerLock(pid, null))));
    }],
    ['of garbage bytes', () => '\u0000\u00ff{"pid":'],
  ])(
    'is taken over at once when %s',
    async (what, content) => {
      const options = nextOptions(caseDir(`lock-${seed}`));
      const file = await firstGoodBuild(options);
      const locks = leaveLocks(options.cacheDir as string, await content());
      const outcome = await attempt(`lock ${what}`, options);
      expect(outcome.sessions).toBe(40);
      expect(outcome.builds).toBe(1);
      expect(outcome.warnings).toEqual([]);
      // Taken over, not waited out: a wait until the deadline would have said so in a warning, and taken LOCK_WAIT_MS.
      expect(outcome.ms).toBeLessThan(LOCK_WAIT_MS);
      expectGoodFile(file);
      for (const lock of locks) expect(existsSync(lock)).toBe(false);
    },
    CASE_TIMEOUT,
  );

  it(
    'of a live worker that never finishes is waited for until the deadline, then the snapshot is built here',
    async () => {
      const dir = caseDir('live-lock');
      mkdirSync(dir);
      const worker = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 120_000)'], { stdio: 'ignore' });
      try {
        const pid = worker.pid as number;
        const file = snapshotFile(dir, 'live-lock-key');
        writeFileSync(`${file}.lock`, ownerLock(pid, procStart(pid)));
        await using source = await createTestDatabase();
        const client = rawClient(source);
        if (client.backend !== 'pglite') throw new Error('expected PGlite');
        const tar = new Uint8Array(await (await client.pglite.dumpDataDir('none')).arrayBuffer());
        const warnings: string[] = [];
        const listen = (warning: Error & { code?: string }) => {
          if (warning.code === 'TQS_TESTING_CACHE') warnings.push(warning.message);
        };
        process.on('warning', listen);
        try {
          const started = performance.now();
          const image = await cachedSnapshot('live-lock-key', async () => tar, { cacheDir: dir, lockWaitMs: 1_500 });
          const ms = Math.round(performance.now() - started);
          await new Promise((resolve) => setImmediate(resolve));
          console.info(`[lock of a live worker] cachedSnapshot took ${ms} ms; said: ${warnings.join(' | ')}`);
          expect(image.tar.byteLength).toBe(tar.byteLength);
          expect(ms).toBeGreaterThanOrEqual(1_500);
          expect(warnings).toEqual([expect.stringMatching(/another worker has held .*\.lock for over 1500 ms; building the snapshot here too/)]);
          expectGoodFile(file);
          // The live worker's lock is its own: not deleted under it.
          expect(JSON.parse(readFileSync(`${file}.lock`, 'utf8'))).toMatchObject({ pid });
        } finally {
          process.off('warning', listen);
        }
      } finally {
        worker.kill();
      }
    },
    CASE_TIMEOUT,
  );
});

describe('a damaged or foreign snapshot file', () => {
  const flip = (at: (length: number) => number) => (file: string) => {
    const bytes = readFileSync(file);
    const i = at(bytes.length);
    bytes[i] = (bytes[i] as number) ^ 0xff;
    writeFileSync(file, bytes);
  };
  const damages: [string, (file: string) => void, RegExp][] = [
    ['bytes flipped after its first 64 KB', flip(() => 64 * 1024 + 4321), /checksum mismatch/],
    ['its last byte flipped', flip((length) => length - 1), /checksum mismatch/],
    ['a byte of its header flipped', flip(() => 20), /not a snapshot file|built for another key|checksum mismatch/],
    ['cut to half its length', (file) => truncateSync(file, Math.floor(readFileSync(file).length / 2)), /cut short/],
    ['zeroed', (file) => writeFileSync(file, new Uint8Array(readFileSync(file).length)), /not a snapshot file/],
    ['empty', (file) => writeFileSync(file, ''), /not a snapshot file/],
    ['random bytes', (file) => writeFileSync(file, Uint8Array.from({ length: 300_000 }, (_, i) => (i * 7919 + 13) % 251)), /not a snapshot file/],
    ['a plain tar of a data directory (the format of 0.1)', (file) => {
      const decoded = decodeSnapshotFile(readFileSync(file), keyOf(file));
      if (!('tar' in decoded)) throw new Error('expected a good file');
      writeFileSync(file, decoded.tar);
    }, /not a snapshot file/],
    ['a whole snapshot of another key under its name', (file) => {
      const decoded = decodeSnapshotFile(readFileSync(file), keyOf(file));
      if (!('tar' in decoded)) throw new Error('expected a good file');
      writeFileSync(file, encodeSnapshotFile('another-key', decoded.tar));
    }, /built for another key/],
  ];

  it.each(damages)(
    'is rebuilt when %s, with one warning and no error',
    async (what, damage, problem) => {
      const options = nextOptions(caseDir(`damaged-${seed}`));
      const file = await firstGoodBuild(options);
      damage(file);
      const outcome = await attempt(`snapshot file ${what}`, options);
      expect(outcome.sessions).toBe(40);
      expect(outcome.builds).toBe(1);
      expect(outcome.warnings).toEqual([expect.stringMatching(problem)]);
      expect(outcome.warnings[0]).toMatch(/is not usable \(.+\); building it again\.$/);
      expectGoodFile(file);
      // And the next process reads the rebuilt file.
      expect(await attempt(`after ${what}, next run`, options)).toMatchObject({ builds: 0, diskReads: 1, warnings: [] });
    },
    CASE_TIMEOUT,
  );

  it(
    'is rebuilt when it is a tar with ../, absolute and symlink entries, which write nothing outside the cache',
    async () => {
      const options = nextOptions(caseDir('hostile-tar'));
      const file = await firstGoodBuild(options);
      const scratch = join(work, 'hostile', 'a', 'b');
      mkdirSync(scratch, { recursive: true });
      const escapee = join(work, 'hostile', 'escaped-by-dot-dot');
      const absolute = join(work, 'hostile-absolute');
      writeFileSync(escapee, 'outside');
      writeFileSync(absolute, 'absolute');
      writeFileSync(join(scratch, 'PG_VERSION'), '17');
      symlinkSync('/etc/passwd', join(scratch, 'link'));
      const tar = join(work, 'hostile.tar');
      execFileSync('tar', ['-P', '-cf', tar, '-C', scratch, 'PG_VERSION', 'link', '../../escaped-by-dot-dot', absolute]);
      rmSync(escapee);
      rmSync(absolute);
      copyFileSync(tar, file);
      const outcome = await attempt('snapshot file is a hostile tar', options);
      expect(outcome.sessions).toBe(40);
      expect(outcome.warnings).toEqual([expect.stringMatching(/not a snapshot file/)]);
      expect(existsSync(escapee)).toBe(false);
      expect(existsSync(absolute)).toBe(false);
      expect(readdirSync(options.cacheDir as string).filter((f) => !f.endsWith('.snapshot'))).toEqual([]);
      expectGoodFile(file);
    },
    CASE_TIMEOUT,
  );
});

describe('the snapshot file format', () => {
  it('refuses a file with any one byte changed, and one of another key', () => {
    const payload = Uint8Array.from({ length: 5_000 }, (_, i) => (i * 31) % 256);
    for (const encoding of ['none', 'gzip'] as const) {
      const file = encodeSnapshotFile('the-key', payload, encoding);
      expect(decodeSnapshotFile(file, 'the-key')).toEqual({ tar: Buffer.from(payload) });
      expect(decodeSnapshotFile(file, 'other-key')).toEqual({ problem: 'built for another key' });
      fc.assert(
        fc.property(fc.integer({ min: 0, max: file.length - 1 }), fc.integer({ min: 1, max: 255 }), (at, xor) => {
          const damaged = Uint8Array.from(file);
          damaged[at] = (damaged[at] as number) ^ xor;
          expect(decodeSnapshotFile(damaged, 'the-key')).toHaveProperty('problem');
        }),
        { numRuns: 300 },
      );
    }
  });

  it('the shipped snapshot is used for its own key only, and never when damaged', () => {
    const dir = caseDir('shipped');
    mkdirSync(dir);
    const path = join(dir, 'testing-snapshot.bin');
    const payload = Uint8Array.from({ length: 100_000 }, (_, i) => i % 253);
    writeFileSync(path, encodeSnapshotFile('migrated-key', payload, 'gzip'));
    const problems: string[] = [];
    const onDamaged = (problem: string) => problems.push(problem);
    expect(readShippedSnapshot('migrated-key', onDamaged, path)).toEqual(Buffer.from(payload));
    // Another key (other migrations, another package or PGlite version): not used, and nothing to report.
    expect(readShippedSnapshot('other-key', onDamaged, path)).toBeUndefined();
    expect(readShippedSnapshot('migrated-key', onDamaged, join(dir, 'missing.bin'))).toBeUndefined();
    expect(problems).toEqual([]);
    const bytes = readFileSync(path);
    bytes[bytes.length - 100] = (bytes[bytes.length - 100] as number) ^ 1;
    writeFileSync(path, bytes);
    expect(readShippedSnapshot('migrated-key', onDamaged, path)).toBeUndefined();
    expect(problems).toEqual([`${path}: checksum mismatch`]);
  });
});

describe('a migrations folder of its own (a consumer)', () => {
  /** A drizzle-kit folder: the package's first `keep` migrations, then one of its own that creates `table`. */
  function consumerFolder(name: string, keep: number, table: string): string {
    const folder = join(work, name);
    mkdirSync(join(folder, 'meta'), { recursive: true });
    const journal = JSON.parse(readFileSync(join(defaultMigrationsFolder(), 'meta', '_journal.json'), 'utf8'));
    const entries = journal.entries.slice(0, keep);
    for (const entry of entries) {
      for (const suffix of ['.sql', '.down.sql']) copyFileSync(join(defaultMigrationsFolder(), `${entry.tag}${suffix}`), join(folder, `${entry.tag}${suffix}`));
    }
    const tag = `${String(keep).padStart(4, '0')}_${table}`;
    writeFileSync(join(folder, `${tag}.sql`), `create table "${table}" ("id" integer primary key);\n`);
    writeFileSync(join(folder, `${tag}.down.sql`), `drop table "${table}";\n`);
    const when = (entries.at(-1)?.when ?? 1_700_000_000_000) + 1000;
    entries.push({ idx: keep, version: '7', when, tag, breakpoints: true });
    writeFileSync(join(folder, 'meta', '_journal.json'), JSON.stringify({ ...journal, entries }));
    return folder;
  }

  const journalRows = (db: Database) =>
    queryRows(db, sql`select id, hash, created_at::text from drizzle.__drizzle_migrations order by id`);

  it.each([
    ['every package migration and one more', 'all', 9],
    ['the first three and one of its own', 'three', 3],
    ['none of the package migrations', 'none', 0],
  ])('%s: built from the package snapshot (no initdb), the same as migrating a new database', async (_name, dir, keep) => {
    const count = Math.min(keep, readMigrations().length);
    const folder = consumerFolder(`consumer-${dir}`, count, `consumer_${dir}`);
    clearTestDatabaseCache();
    await (await createTestDatabase()).close(); // the shipped snapshot, as a new process reads it
    const before = snapshotCacheStats();
    await using derived = await createTestDatabase({ migrationsFolder: folder });
    expect(snapshotCacheStats().builds - before.builds).toBe(1); // its own snapshot only: no cluster build
    await using scratch = await openEmptyDatabase({ name: 'pglite' }); // initdb's cluster, as a new one is
    await migrate(scratch, { migrationsFolder: folder });
    expect(await catalogSnapshot(derived)).toEqual(await catalogSnapshot(scratch));
    expect(await journalRows(derived)).toEqual(await journalRows(scratch));
    const [row] = await queryRows<{ t: string | null }>(derived, sql`select to_regclass(${`consumer_${dir}`})::text as t`);
    expect(row?.t).toBe(`consumer_${dir}`);
  }, CASE_TIMEOUT);
});
