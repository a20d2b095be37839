import { describe } from 'vitest';
import { createDatabase, migrate, type TqsDatabase } from '../../src';
import { createScratchDatabase } from './scratch-database';

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

/** {@link openEmptyDatabase}, migrated to the newest schema. */
export async function openTestDatabase(backend: TestBackend): Promise<TqsDatabase> {
  const db = await openEmptyDatabase(backend);
  await migrate(db);
  return db;
}
