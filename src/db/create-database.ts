import { mkdirSync } from 'node:fs';
import { PGlite } from '@electric-sql/pglite';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import { drizzle as drizzlePostgres } from 'drizzle-orm/postgres-js';
import postgres from 'postgres';
import { ConnectionError, redactUrl } from '../errors';
import { schema } from '../schema';
import type { Backend, Database } from './client';
import { noDelaySocket } from './postgres-js/socket';
import { withReadReplicas } from './replicas';

/** Where the database lives. With no option at all: a fresh in-memory PGlite. */
export interface CreateDatabaseOptions {
  /** A PostgreSQL connection string (`postgres://user:pass@host:5432/db`), served by postgres.js. */
  url?: string;
  /** A PGlite data directory on disk, created when missing. */
  dataDir?: string;
  /** A PGlite data directory dumped by `dumpDataDir()`, to start from instead of an empty database. */
  loadDataDir?: Blob;
  /**
   * Connection strings of streaming replicas of `url` (PostgreSQL only). The read-only helpers (`computeTutorScore`,
   * `listHighRiskTutors`, `findStaleTutorIds`, `qualityReportFromDatabase`) and drizzle's select builders read from
   * one of them; writes, `execute`, transactions, migrations and refreshes go to `url`. `db.$primary` reads the
   * primary (to see one's own writes). A replica that is down fails reads with a `ConnectionError` naming it.
   */
  readReplicas?: readonly string[];
  /** postgres.js pool size. Default 10 (per server, replicas included). */
  max?: number;
  /** Log every query through Drizzle's logger. */
  logger?: boolean;
}

/** What `createDatabase()` returns: a Drizzle database that knows its backend and how to close itself. */
export type TqsDatabase = Database & {
  /** `'pglite'` or `'postgres'`. */
  readonly backend: Backend;
  /**
   * The primary: this database itself, or with `readReplicas` the database behind it that takes every write. Pass it
   * to a read-only helper that must see a write just made (a replica may lag).
   */
  readonly $primary: Database;
  /** Closes the PGlite instance or ends the postgres.js pool. A PGlite left open keeps the process alive. */
  close(): Promise<void>;
  /** The same as `close()`, for `await using db = await createDatabase()`. */
  [Symbol.asyncDispose](): Promise<void>;
};

function withClose<T extends object>(db: T, backend: Backend, close: () => Promise<void>): T & {
  backend: Backend;
  $primary: T;
  close(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
} {
  let closing: Promise<void> | undefined;
  const closeOnce = () => (closing ??= close());
  return Object.assign(db, { backend, close: closeOnce, [Symbol.asyncDispose]: closeOnce, $primary: db });
}

/**
 * Opens a database: in-memory PGlite by default, a PGlite data directory with `dataDir`, or a PostgreSQL server with
 * `url`. The schema is not applied: call {@link migrate} next. Close it with `db.close()` (or `await using`).
 *
 * @example
 * const db = await createDatabase();                                  // in-memory PGlite
 * const disk = await createDatabase({ dataDir: '.tqs/pglite' });      // PGlite on disk
 * const pg = await createDatabase({ url: process.env.DATABASE_URL }); // PostgreSQL
 * await migrate(db);
 * await db.close();
 */
export async function createDatabase(options: CreateDatabaseOptions = {}): Promise<TqsDatabase> {
  if (options.url !== undefined) {
    if (options.dataDir !== undefined || options.loadDataDir !== undefined) {
      throw new TypeError('createDatabase: give either url (PostgreSQL) or dataDir/loadDataDir (PGlite), not both');
    }
    const primary = await openPostgres(options.url, options);
    if (options.readReplicas === undefined) return primary;
    return withReadReplicas(primary, options.readReplicas, (url) => openPostgres(url, options));
  }
  if (options.readReplicas !== undefined) {
    throw new TypeError('createDatabase: readReplicas needs url (a PostgreSQL primary); PGlite has no replicas');
  }
  if (options.dataDir !== undefined) mkdirSync(options.dataDir, { recursive: true });
  const pglite = await PGlite.create({
    ...(options.dataDir !== undefined ? { dataDir: options.dataDir } : {}),
    ...(options.loadDataDir !== undefined ? { loadDataDir: options.loadDataDir } : {}),
  });
  const db = drizzlePglite({ client: pglite, schema, logger: options.logger ?? false });
  return withClose(db, 'pglite', () => pglite.close()) as unknown as TqsDatabase;
}

async function openPostgres(url: string, options: CreateDatabaseOptions): Promise<TqsDatabase> {
  let parsedHosts = 1;
  try {
    parsedHosts = new URL(url).host.split(',').length;
  } catch {
    // A URL that `URL` cannot parse goes to postgres.js as it is and fails there with its own message.
  }
  const sql = postgres(url, {
    max: options.max ?? 10,
    onnotice: () => {},
    connect_timeout: 10,
    ...(parsedHosts === 1 ? { socket: noDelaySocket } : {}),
  });
  try {
    await sql`select 1`;
  } catch (error) {
    await sql.end({ timeout: 0 }).catch(() => {});
    const reason = error instanceof Error ? error.message : String(error);
    throw new ConnectionError(`cannot connect to ${redactUrl(url)}: ${reason.split(url).join(redactUrl(url))}`, {
      cause: error,
    });
  }
  const db = drizzlePostgres({ client: sql, schema, logger: options.logger ?? false });
  return withClose(db, 'postgres', () => sql.end({ timeout: 5 })) as unknown as TqsDatabase;
}
