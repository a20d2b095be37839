import { execFile } from 'node:child_process';
import { appendFileSync, cpSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  createDatabase,
  type Database,
  defaultMigrationsFolder,
  generateDataset,
  insertDataset,
  migrate,
  queryRows,
  rawClient,
  type TqsDatabase,
  tutors,
} from '../src';
import { clearTestDatabaseCache, createTestDatabase, TEST_NOW, type TestDatabase } from '../src/testing';
import { buildClusterSnapshot, openSnapshot, snapshotImage, wrapPglite } from '../src/testing/snapshot';
import { cachedSnapshot, snapshotCacheStats } from '../src/testing/snapshot-cache';
import { clusterKey } from '../src/testing/snapshot-keys';
import { catalogSnapshot, journal, ourTables } from './support/catalog';
import { openEmptyDatabase } from './support/databases';

const exec = promisify(execFile);
const repoRoot = fileURLToPath(new URL('..', import.meta.url));
const tsx = join(repoRoot, 'node_modules', 'tsx', 'dist', 'cli.mjs');

/** Small, so that builds are quick; distinct seeds keep the tests' snapshots apart. */
const small = (seed: number) => ({ tutors: 8, sessions: 240, seed });

/*
 * Columns PostgreSQL fills from the clock or a random draw when a row does not bring them. Dataset rows bring every
 * column; tutor_scores rows are written by the score refresh, which leaves these to the database.
 */
const drawnColumns: Record<(typeof ourTables)[number], string[]> = {
  tutors: [],
  sessions: [],
  reschedules: [],
  email_reports: [],
  tutor_scores: ['id', 'created_at', 'updated_at', 'last_calculated_at'],
};

/** Per table: the row count and an md5 over every row (as jsonb, minus the drawn columns), in a stable order. */
async function tableDigests(db: Database): Promise<Record<(typeof ourTables)[number], { rows: number; md5: string }>> {
  const digests = {} as Record<(typeof ourTables)[number], { rows: number; md5: string }>;
  for (const table of ourTables) {
    const drop = sql.raw(`array[${drawnColumns[table].map((c) => `'${c}'`).join(', ')}]::text[]`);
    const [row] = await queryRows<{ rows: number; md5: string | null }>(
      db,
      sql`select count(*)::int as rows, md5(string_agg(r::text, E'\n' order by r::text)) as md5
          from (select to_jsonb(t) - ${drop} as r from ${sql.identifier(table)} t) x`,
    );
    digests[table] = { rows: row?.rows ?? 0, md5: row?.md5 ?? '' };
  }
  return digests;
}

async function count(db: Database, table: string): Promise<number> {
  const [row] = await queryRows<{ n: number }>(db, sql`select count(*)::int as n from ${sql.identifier(table)}`);
  return row?.n ?? -1;
}

let cacheDir: string;
let work: string;
/** Built the slow way, to compare snapshots with. */
let fresh: TqsDatabase;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'tqs-testing-'));
  cacheDir = join(work, 'cache');
  fresh = await openEmptyDatabase({ name: 'pglite' }); // initdb's cluster, migrated the slow way
  await migrate(fresh);
  await insertDataset(fresh, generateDataset({ ...small(1), now: TEST_NOW }));
});

afterAll(async () => {
  await fresh?.close();
  rmSync(work, { recursive: true, force: true });
});

describe('createTestDatabase', () => {
  it('gives the same rows and schema as create + migrate + insertDataset', async () => {
    // The first call builds the snapshot, the second starts from it: both must equal the fresh database.
    for (let i = 0; i < 2; i++) {
      await using db = await createTestDatabase({ dataset: small(1), cacheDir });
      const digests = await tableDigests(db);
      expect(digests).toEqual(await tableDigests(fresh));
      expect(digests.sessions.rows).toBe(240);
      expect(digests.reschedules.rows).toBeGreaterThan(0);
      expect(digests.tutor_scores.rows).toBe(8);
      expect(await catalogSnapshot(db)).toEqual(await catalogSnapshot(fresh));
      expect(await journal(db)).toEqual(await journal(fresh));
    }
  });

  it('gives an empty, migrated database without a dataset', async () => {
    await using db = await createTestDatabase({ cacheDir });
    expect(db.dataset).toBeUndefined();
    for (const table of ourTables) expect(await count(db, table)).toBe(0);
    expect(await catalogSnapshot(db)).toEqual(await catalogSnapshot(fresh));
    expect(await journal(db)).toEqual(await journal(fresh));
    expect(await migrate(db)).toEqual({ applied: [] });
  });

  it.each(['built in this process', 'read from the cache folder'])(
    'never lets one database see what another wrote (snapshot %s)',
    async (source) => {
      // Built here: a dataset no other test uses, so that `first` is the very call that builds the snapshot, whose
      // database is the PGlite the snapshot was dumped from (handed out, not started again from the bytes).
      const options = { dataset: source === 'built in this process' ? small(6) : small(1), cacheDir };
      const builds = snapshotCacheStats().builds;
      if (source === 'read from the cache folder') {
        clearTestDatabaseCache();
        const reads = snapshotCacheStats().diskReads;
        await (await createTestDatabase(options)).close();
        await (await createTestDatabase({ cacheDir })).close();
        expect(snapshotCacheStats().diskReads).toBe(reads + 2);
      }
      const first = await createTestDatabase(options);
      expect(snapshotCacheStats().builds).toBe(source === 'built in this process' ? builds + 1 : builds);
      const pristine = await tableDigests(first);
      await first.execute(sql`delete from email_reports`);
      // Reschedules and their sessions' status together (reschedule_status_rule), in one transaction.
      await first.transaction(async (tx) => {
        await tx.execute(sql`delete from reschedules`);
        await tx.execute(sql`update sessions set status = 'no_show' where status = 'rescheduled'`);
      });
      await first.execute(sql`update sessions set student_id = 'changed'`);
      await first.insert(tutors).values({ name: 'Leaky Tutor', email: 'leak@example.com' });
      await first.execute(sql`checkpoint`); // pages written out to the in-memory files, not only in shared buffers
      const second = await createTestDatabase(options);
      try {
        expect(await count(first, 'reschedules')).toBe(0);
        expect(await tableDigests(second)).toEqual(pristine);
        expect(await queryRows(second, sql`select 1 from tutors where email = 'leak@example.com'`)).toEqual([]);
      } finally {
        await first.close();
        await second.close();
      }
      await using third = await createTestDatabase(options);
      expect(await tableDigests(third)).toEqual(pristine);

      // And the empty database: a row written in one is not in the next.
      const empty = await createTestDatabase({ cacheDir });
      await empty.insert(tutors).values({ name: 'Only Here' });
      await empty.execute(sql`checkpoint`);
      await empty.close();
      await using next = await createTestDatabase({ cacheDir });
      expect(await count(next, 'tutors')).toBe(0);
    },
  );

  it('builds once for concurrent calls with the same options', async () => {
    await (await createTestDatabase({ cacheDir })).close(); // the migrated snapshot, built or read before counting
    const before = snapshotCacheStats();
    const options = { dataset: small(2), cacheDir };
    const dbs = await Promise.all(Array.from({ length: 4 }, () => createTestDatabase(options)));
    try {
      const after = snapshotCacheStats();
      expect(after.builds - before.builds).toBe(1);
      for (const db of dbs) expect(await count(db, 'sessions')).toBe(240);
      // Each is a database of its own.
      expect(new Set(dbs.map((db) => rawClient(db))).size).toBe(4);
    } finally {
      await Promise.all(dbs.map((db) => db.close()));
    }
    await (await createTestDatabase(options)).close();
    expect(snapshotCacheStats().builds).toBe(before.builds + 1);
  });

  it('has the dataset it was filled with, generated at TEST_NOW unless told otherwise', async () => {
    expect(TEST_NOW.toISOString()).toBe('2026-01-15T12:00:00.000Z');
    await using db = await createTestDatabase({ dataset: small(1), cacheDir });
    expect(db.dataset).toEqual(generateDataset({ ...small(1), now: TEST_NOW }));
    expect(db.dataset?.options.now).toEqual(TEST_NOW);
    const [latest] = await queryRows<{ latest: Date | string }>(db, sql`select max(scheduled_time) as latest from sessions`);
    expect(new Date(latest?.latest ?? 0).getTime()).toBeLessThanOrEqual(TEST_NOW.getTime());

    // Options that mean the same dataset share a snapshot: `now` spelled as a string, a default spelled out.
    const before = snapshotCacheStats().builds;
    await using same = await createTestDatabase({
      dataset: { ...small(1), now: TEST_NOW.toISOString(), days: 90 },
      cacheDir,
    });
    expect(snapshotCacheStats().builds).toBe(before);
    expect(same.dataset).toBe(db.dataset);

    // A dataset given as an object is the one inserted, and the one returned.
    const given = generateDataset({ tutors: 3, sessions: 30, seed: 5, now: '2025-06-01T00:00:00Z' });
    await using own = await createTestDatabase({ dataset: given, cacheDir });
    expect(own.dataset).toBe(given);
    expect(await count(own, 'sessions')).toBe(30);
  });

  it('closes with `await using`, and close() twice is harmless', async () => {
    let client: ReturnType<typeof rawClient> | undefined;
    {
      await using db = await createTestDatabase();
      client = rawClient(db);
      expect(client.backend === 'pglite' && client.pglite.closed).toBe(false);
    }
    expect(client.backend === 'pglite' && client.pglite.closed).toBe(true);
    const db = await createTestDatabase();
    await db.close();
    await db.close();
  });

  it('supports the dump of a test database (PGlite clone) and reads it back', async () => {
    await using db = await createTestDatabase({ dataset: small(1), cacheDir });
    const client = rawClient(db);
    if (client.backend !== 'pglite') throw new Error('expected PGlite');
    await db.insert(tutors).values({ name: 'In The Dump' });
    const dump = await client.pglite.dumpDataDir('none');
    await using copy = await createDatabase({ loadDataDir: dump });
    expect(await count(copy, 'tutors')).toBe(9);
  });

  it('falls back to PGlite loadDataDir for a snapshot it cannot parse', async () => {
    await using db = await createTestDatabase({ dataset: small(1), cacheDir });
    const client = rawClient(db);
    if (client.backend !== 'pglite') throw new Error('expected PGlite');
    const tar = new Uint8Array(await (await client.pglite.dumpDataDir('none')).arrayBuffer());
    const image = snapshotImage(tar);
    expect(image.files?.length).toBeGreaterThan(100);
    const pglite = await openSnapshot({ ...image, dirs: undefined, files: undefined });
    await using copy = wrapPglite(pglite);
    expect(await tableDigests(copy)).toEqual(await tableDigests(db));
  });
});

describe('snapshot cache', () => {
  it('builds again when a migration changes, and only then', async () => {
    const folder = join(work, 'drizzle');
    cpSync(defaultMigrationsFolder(), folder, { recursive: true });
    const stats = () => snapshotCacheStats().builds;
    await clusterOnDisk();

    const start = stats();
    await (await createTestDatabase({ migrationsFolder: folder, cacheDir })).close();
    // The folder is a copy of the package's: same content, same key, so no build.
    expect(stats()).toBe(start);

    const up = readdirSync(folder).find((f) => /^0001_.*(?<!\.down)\.sql$/.test(f));
    if (!up) throw new Error('no 0001 migration');
    appendFileSync(join(folder, up), '\n--> statement-breakpoint\ncreate table "canary" ("id" integer);\n');
    await using changed = await createTestDatabase({ migrationsFolder: folder, cacheDir });
    expect(stats()).toBe(start + 1);
    expect(await queryRows(changed, sql`select to_regclass('canary')::text as t`)).toEqual([{ t: 'canary' }]);
    await (await createTestDatabase({ migrationsFolder: folder, cacheDir })).close();
    expect(stats()).toBe(start + 1);

    // A down file is part of the key too: a snapshot built before it changed is not reused.
    const down = up.replace(/\.sql$/, '.down.sql');
    appendFileSync(join(folder, down), '\n--> statement-breakpoint\ndrop table if exists "canary";\n');
    await (await createTestDatabase({ migrationsFolder: folder, cacheDir })).close();
    expect(stats()).toBe(start + 2);

    // The package's own folder still has its snapshot.
    await using unchanged = await createTestDatabase({ cacheDir });
    expect(stats()).toBe(start + 2);
    expect(await queryRows(unchanged, sql`select to_regclass('canary')::text as t`)).toEqual([{ t: null }]);
  });

  it('builds again when the package version changes', async () => {
    await clusterOnDisk();
    await (await createTestDatabase({ cacheDir })).close();
    const migratedFiles = () => readdirSync(cacheDir).filter((f) => f.endsWith('-migrated.snapshot'));
    const before = migratedFiles();
    vi.resetModules();
    vi.doMock('../src/util/package-info', async (original) => ({
      ...(await original<typeof import('../src/util/package-info')>()),
      packageVersion: () => '99.0.0',
    }));
    try {
      // A fresh copy of the module (an empty memory cache), as another process would have.
      const other = await import('../src/testing/test-database');
      const cache = await import('../src/testing/snapshot-cache');
      await (await other.createTestDatabase({ cacheDir })).close();
      // The cluster is read from its file; the migrated snapshot is built for the new version.
      expect(cache.snapshotCacheStats()).toEqual({ builds: 1, diskReads: 1 });
      expect(migratedFiles().filter((f) => !before.includes(f))).toHaveLength(1);
    } finally {
      vi.doUnmock('../src/util/package-info');
      vi.resetModules();
    }
  });

  it('reads a snapshot written by another process instead of building', async () => {
    const options = { dataset: small(3), cacheDir };
    await (await createTestDatabase(options)).close();
    const stats = await runWorker(options);
    expect(stats).toEqual({ builds: 0, diskReads: 1, sessions: 240 });
  });

  it('builds once across processes that start together', async () => {
    const options = { dataset: small(4), cacheDir };
    const results = await Promise.all([runWorker(options), runWorker(options)]);
    for (const r of results) expect(r.sessions).toBe(240);
    // One process built the dataset snapshot (from the migrated one on disk) while the other waited for its file.
    expect(results.reduce((sum, r) => sum + r.builds, 0)).toBe(1);
    expect(results.map((r) => r.diskReads)).toEqual([1, 1]);
    // No lock or partial file is left behind.
    expect(readdirSync(cacheDir).filter((f) => !f.endsWith('.snapshot'))).toEqual([]);
  });

  it('rebuilds a snapshot file that is damaged', async () => {
    const options = { dataset: small(5), cacheDir };
    const known = new Set(readdirSync(cacheDir));
    await (await createTestDatabase(options)).close();
    const written = readdirSync(cacheDir).filter((f) => !known.has(f));
    expect(written).toHaveLength(1);
    writeFileSync(join(cacheDir, written[0] as string), 'not a tar');
    clearTestDatabaseCache();
    const before = snapshotCacheStats();
    await using db: TestDatabase = await createTestDatabase(options);
    expect(snapshotCacheStats().builds - before.builds).toBe(1);
    expect(await count(db, 'sessions')).toBe(240);
  });
});

/**
 * The cluster snapshot (a new initdb, before any migration) in memory and in `cacheDir`, as any build from other
 * migrations leaves it; the package's own migrated snapshot may come from dist/ and need none. The tests that count
 * builds of a migrated snapshot start from here.
 */
async function clusterOnDisk(): Promise<void> {
  await cachedSnapshot(clusterKey(), buildClusterSnapshot, { cacheDir });
}

/** Runs createTestDatabase in a new Node process and returns its cache statistics and session count. */
async function runWorker(options: { dataset: object; cacheDir: string }): Promise<{
  builds: number;
  diskReads: number;
  sessions: number;
}> {
  const script = join(work, `worker-${Math.random().toString(36).slice(2)}.mts`);
  writeFileSync(
    script,
    `import { createTestDatabase } from ${JSON.stringify(join(repoRoot, 'src/testing/index.ts'))};
import { snapshotCacheStats } from ${JSON.stringify(join(repoRoot, 'src/testing/snapshot-cache.ts'))};
const db = await createTestDatabase(${JSON.stringify(options)});
const result = await db.$client.query('select count(*)::int as n from sessions');
await db.close();
console.log(JSON.stringify({ ...snapshotCacheStats(), sessions: result.rows[0].n }));
`,
  );
  const { stdout } = await exec(process.execPath, [tsx, script], { cwd: repoRoot, timeout: 240_000 });
  return JSON.parse(stdout.trim().split('\n').pop() ?? '{}');
}
