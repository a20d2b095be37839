import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { afterAll, beforeAll, beforeEach, describe, inject } from 'vitest';
import { clearDatabase, createDatabase, migrate, type TqsDatabase } from '../../src';
import { createTestDatabase } from '../../src/testing';
import { createScratchDatabase, type ScratchServerDatabase } from '../../bench/support/scratch-database';
import { copyOfTemplate, TEMPLATE_KEY } from './template-database';
import { repoRoot } from './build';

/** A backend the suite runs on: PGlite always, PostgreSQL when TQS_TEST_DATABASE_URL is set. */
export interface TestBackend {
  name: 'pglite' | 'postgres';
  url?: string;
}

export const postgresUrl = process.env.TQS_TEST_DATABASE_URL || undefined;

export const backends: TestBackend[] = [
  { name: 'pglite' },
  ...(postgresUrl ? [{ name: 'postgres' as const, url: postgresUrl }] : []),
];

/** `describe` once per backend, with the backend passed to the body. */
export function describeEachBackend(title: string, body: (backend: TestBackend) => void): void {
  for (const backend of backends) describe(`${title} [${backend.name}]`, () => body(backend));
}

/**
 * An empty database of its own on the backend: a fresh in-memory PGlite, or a new PostgreSQL database created for
 * this call and dropped on close, so parallel test files never see each other's rows.
 */
export async function openEmptyDatabase(backend: TestBackend): Promise<TqsDatabase> {
  if (backend.name === 'pglite') return createDatabase({ loadDataDir: await emptyCluster() });
  return openScratch(await createScratchDatabase(backend.url as string, 'tqs_test'));
}

const pgliteVersion = (JSON.parse(readFileSync(join(repoRoot, 'node_modules', '@electric-sql', 'pglite', 'package.json'), 'utf8')) as { version: string }).version;
/** The dump of a new in-memory cluster, shared by the files of a run and the runs after it (keyed by PGlite's version). */
const emptyClusterFile = join(repoRoot, 'node_modules', '.cache', `tqs-data-tests-initdb-cluster-${pgliteVersion}.tar`);
let emptyClusterDump: Promise<Uint8Array> | undefined;

/**
 * A new empty PGlite cluster as initdb makes it (default settings; `createDatabase()` itself starts from the package's
 * migrated snapshot), dumped once and loaded with
 * `loadDataDir`: initdb is most of the time and CPU of a new PGlite, and the tests that need an empty database test
 * what runs in it, not initdb (test/create-database.test.ts opens plain ones). Two workers that
 * find no file both make it; the file is replaced whole (write, then rename), so a reader never sees half of it.
 */
async function emptyCluster(): Promise<Blob> {
  emptyClusterDump ??= (async () => {
    if (existsSync(emptyClusterFile)) return new Uint8Array(readFileSync(emptyClusterFile));
    const pglite = await PGlite.create();
    await pglite.exec('checkpoint');
    const tar = new Uint8Array(await (await pglite.dumpDataDir('none')).arrayBuffer());
    await pglite.close();
    mkdirSync(join(emptyClusterFile, '..'), { recursive: true });
    const partial = `${emptyClusterFile}.${process.pid}.tmp`;
    writeFileSync(partial, tar);
    renameSync(partial, emptyClusterFile);
    return tar;
  })();
  emptyClusterDump.catch(() => (emptyClusterDump = undefined));
  // A copy per database: PGlite may keep the buffer it loads from.
  return new Blob([(await emptyClusterDump).slice()]);
}

/**
 * A migrated scratch database of its own on the PostgreSQL server `url` names: a copy of the run's migrated template
 * (made once by the global setup) when `url` is TQS_TEST_DATABASE_URL, or else an empty one migrated here. `drop()` removes it.
 *
 * @example
 * const scratch = await migratedScratchDatabase(postgresUrl!, 'tqs_docs');
 */
export async function migratedScratchDatabase(url: string, prefix: string): Promise<ScratchServerDatabase> {
  // The template lives on the suite's server: another server (a cluster a test started) migrates its own.
  const template = url === postgresUrl ? inject(TEMPLATE_KEY) : undefined;
  if (template !== undefined) return copyOfTemplate(url, template, prefix);
  const scratch = await createScratchDatabase(url, prefix);
  try {
    await using db = await createDatabase({ url: scratch.url, max: 1 });
    await migrate(db);
  } catch (error) {
    await scratch.drop();
    throw error;
  }
  return scratch;
}

/** A database on `scratch`, which is dropped when the database is closed. */
async function openScratch(scratch: ScratchServerDatabase): Promise<TqsDatabase> {
  let db: TqsDatabase;
  try {
    db = await createDatabase({ url: scratch.url, max: 10 });
  } catch (error) {
    await scratch.drop();
    throw error;
  }
  const close = db.close;
  return Object.assign(db, {
    close: async () => {
      await close();
      await scratch.drop();
    },
  });
}

/**
 * A migrated database of its own on the backend: on PGlite a fresh copy of the migrated snapshot
 * (`createTestDatabase()`, no initdb and no migrations to run), on PostgreSQL {@link openEmptyDatabase}, migrated.
 */
export async function openTestDatabase(backend: TestBackend): Promise<TqsDatabase> {
  if (backend.name === 'pglite') return createTestDatabase();
  return openScratch(await migratedScratchDatabase(backend.url as string, 'tqs_test'));
}

/** Options of {@link useDatabase}. */
export interface UseDatabaseOptions {
  /** Migrated to the newest schema (the default), or empty, for tests of the migrations themselves. */
  migrated?: boolean;
  /** Empty every table before each test, for tests that each start from no rows. */
  clearBeforeEach?: boolean;
}

/**
 * One database for the enclosing `describe` on `backend`: opened before its first test and handed to `set`, emptied
 * before each test when asked, closed after its last test. Hooks registered after this call see it open.
 *
 * @example
 * describeEachBackend('scoring', (backend) => {
 *   let db: TqsDatabase;
 *   useDatabase(backend, (opened) => (db = opened), { clearBeforeEach: true });
 *   it('…', async () => expect(await countTableRows(db)).toMatchObject({ tutors: 0 }));
 * });
 */
export function useDatabase(
  backend: TestBackend,
  set: (db: TqsDatabase) => unknown,
  { migrated = true, clearBeforeEach = false }: UseDatabaseOptions = {},
): void {
  let db: TqsDatabase | undefined;
  beforeAll(async () => {
    db = await (migrated ? openTestDatabase(backend) : openEmptyDatabase(backend));
    set(db);
  });
  afterAll(async () => {
    await db?.close();
  });
  if (clearBeforeEach) {
    beforeEach(async () => {
      await clearDatabase(db as TqsDatabase, { confirm: true });
    });
  }
}

/**
 * A scratch database of its own on the PostgreSQL server `url` names, for the enclosing `describe`: created before
 * its first test and handed to `set`, dropped after its last. Nothing happens when `url` is undefined (PGlite).
 *
 * @example
 * let scratch: ScratchServerDatabase | undefined;
 * useScratchDatabase(backend.url, (created) => (scratch = created));
 */
export function useScratchDatabase(url: string | undefined, set: (scratch: ScratchServerDatabase) => unknown): void {
  let scratch: ScratchServerDatabase | undefined;
  beforeAll(async () => {
    if (url === undefined) return;
    scratch = await createScratchDatabase(url, 'tqs_test');
    set(scratch);
  });
  afterAll(async () => {
    await scratch?.drop();
  });
}
