import { randomBytes } from 'node:crypto';
import { describe } from 'vitest';
import postgres from 'postgres';
import { createDatabase, migrate, type TqsDatabase } from '../../src';

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

function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

/**
 * An empty database of its own on the backend: a fresh in-memory PGlite, or a new PostgreSQL database created for
 * this call and dropped on close, so parallel test files never see each other's rows.
 */
export async function openEmptyDatabase(backend: TestBackend): Promise<TqsDatabase> {
  if (backend.name === 'pglite') return createDatabase();
  const scratch = await createScratchDatabase(backend.url as string);
  const db = await createDatabase({ url: scratch.url, max: 10 });
  const close = db.close;
  return Object.assign(db, {
    close: async () => {
      await close();
      await scratch.drop();
    },
  });
}

/** A new, empty PostgreSQL database next to the one `url` names: its URL, and `drop()` (forced) for the end. */
export async function createScratchDatabase(url: string): Promise<{ url: string; drop(): Promise<void> }> {
  const admin = postgres(url, { max: 1, onnotice: () => {} });
  const name = `tqs_test_${process.pid}_${randomBytes(4).toString('hex')}`;
  try {
    await admin.unsafe(`create database "${name}"`);
  } finally {
    await admin.end();
  }
  return {
    url: withDatabase(url, name),
    drop: async () => {
      const dropper = postgres(url, { max: 1, onnotice: () => {} });
      try {
        await dropper.unsafe(`drop database if exists "${name}" with (force)`);
      } finally {
        await dropper.end();
      }
    },
  };
}

/** {@link openEmptyDatabase}, migrated to the newest schema. */
export async function openTestDatabase(backend: TestBackend): Promise<TqsDatabase> {
  const db = await openEmptyDatabase(backend);
  await migrate(db);
  return db;
}
