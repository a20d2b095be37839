import { afterAll, beforeAll, beforeEach, describe } from 'vitest';
import { clearDatabase, createDatabase, migrate, type TqsDatabase } from '../../src';
import { createTestDatabase } from '../../src/testing';
import { createScratchDatabase, type ScratchServerDatabase } from '../../bench/support/scratch-database';

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
  if (backend.name === 'pglite') return createDatabase();
  const scratch = await createScratchDatabase(backend.url as string, 'tqs_test');
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
  const db = await openEmptyDatabase(backend);
  try {
    await migrate(db);
  } catch (error) {
    await db.close();
    throw error;
  }
  return db;
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
