import { mkdirSync } from 'node:fs';
import { PGlite } from '@electric-sql/pglite';
import type { Logger } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/pglite';
import { schema } from '../schema';
import type { Database } from './client';

/*
 * The PGlite backend of `createDatabase()`. This module is only ever loaded with a dynamic `import()`, so that
 * importing the package (a service on PostgreSQL) never loads PGlite or its WebAssembly glue.
 */

/** A Drizzle database over a PGlite instance (or one of its transactions), with this package's schema. */
export function pgliteDatabase(client: PGlite, logger: boolean | Logger = false): Database {
  return drizzle({ client, schema, logger }) as unknown as Database;
}

/** Starts a PGlite: in memory, or on a data directory (created when missing), optionally from a dumped one. */
export async function startPglite(options: { dataDir?: string | undefined; loadDataDir?: Blob | undefined }): Promise<PGlite> {
  if (options.dataDir !== undefined) mkdirSync(options.dataDir, { recursive: true });
  return PGlite.create({
    ...(options.dataDir !== undefined ? { dataDir: options.dataDir } : {}),
    ...(options.loadDataDir !== undefined ? { loadDataDir: options.loadDataDir } : {}),
  });
}
