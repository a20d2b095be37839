import type { PGlite, Transaction as PGliteTransaction } from '@electric-sql/pglite';
import type { Sql, TransactionSql } from 'postgres';
import { PGLITE_MAX_SESSIONS } from '../domain/size-limits';
import { type Backend, type Database, type RawClient, sessionClient } from './client';
import type { CreateDatabaseOptions, ExistingClient, TqsDatabase } from './database';
import type { Loader } from './loader';
import { type LoadSpace, loadSpace, UNWATCHED_SPACE } from './pglite/free-space';
import { pgliteLoader } from './pglite/loader';
import { openPostgres, overPostgres } from './postgres-js/open';
import { postgresLoader } from './postgres-js/loader';

/*
 * The one place that asks which backend a database is on. Everything that differs between PGlite and postgres.js is
 * reached through what this file returns; the per-backend code lives in `pglite/` and `postgres-js/`, one file per
 * concern under the same names. PGlite's files that load PGlite itself are imported dynamically, so that a service on
 * PostgreSQL never loads its WebAssembly.
 */

/**
 * The driver client behind a database, or behind a transaction opened with `db.transaction()` (PGlite's
 * `Transaction`, postgres.js's `TransactionSql`, on the transaction's connection).
 */
export type DriverSession =
  | { backend: 'pglite'; inTransaction: false; client: PGlite }
  | { backend: 'pglite'; inTransaction: true; client: PGliteTransaction }
  | { backend: 'postgres'; inTransaction: false; client: Sql }
  | { backend: 'postgres'; inTransaction: true; client: TransactionSql };

/** The methods that tell each driver's client apart, by shape, so that copies of either package both work. */
const SHAPES = {
  pglite: { database: ['dumpDataDir', 'query'], transaction: ['query', 'exec', 'rollback'] },
  postgres: { database: ['unsafe', 'begin'], transaction: ['unsafe', 'savepoint'] },
} as const;

const hasMethods = (value: unknown, names: readonly string[]): boolean =>
  value !== null && names.every((name) => typeof (value as Record<string, unknown>)[name] === 'function');

/**
 * Which driver `client` belongs to, a database's client or a transaction's; undefined for anything else. The only
 * routine that tells the backends apart.
 *
 * @example
 * driverSessionOf(new PGlite(), false); // { backend: 'pglite', inTransaction: false, client }
 */
export function driverSessionOf(client: unknown, inTransaction: boolean): DriverSession | undefined {
  const kind = inTransaction ? 'transaction' : 'database';
  if (typeof client === 'object' && hasMethods(client, SHAPES.pglite[kind])) {
    return { backend: 'pglite', inTransaction, client } as DriverSession;
  }
  if (typeof client === 'function' && hasMethods(client, SHAPES.postgres[kind])) {
    return { backend: 'postgres', inTransaction, client } as DriverSession;
  }
  return undefined;
}

/**
 * The driver session behind `db`, a database or a transaction of one.
 *
 * @throws {TypeError} `db` is neither over PGlite nor over postgres.js.
 * @example
 * await db.transaction(async (tx) => driverSession(tx)); // { backend: 'postgres', inTransaction: true, client }
 */
export function driverSession(db: Database): DriverSession {
  const { client, inTransaction } = sessionClient(db);
  const session = driverSessionOf(client, inTransaction);
  if (session) return session;
  throw new TypeError(
    'expected a Drizzle database over PGlite or postgres.js (one from createDatabase()), or a transaction of one',
  );
}

/**
 * The driver client behind `db`: the PGlite instance or the postgres.js `sql`.
 *
 * @throws {TypeError} `db` is a transaction, or neither a PGlite nor a postgres.js database.
 * @example
 * const { backend } = rawClient(db); // 'pglite' | 'postgres'
 */
export function rawClient(db: Database): RawClient {
  const session = driverSession(db);
  if (session.inTransaction) {
    throw new TypeError('rawClient: expected a database, got a transaction opened with db.transaction()');
  }
  return session.backend === 'pglite'
    ? { backend: 'pglite', pglite: session.client }
    : { backend: 'postgres', sql: session.client };
}

/**
 * Opens the database `options` name (their checks done): a postgres.js pool for `url`, PGlite otherwise, or a database
 * over the caller's `client`, closed by `close()` only with `closeClient`.
 *
 * @throws {TypeError} `client` is neither a postgres.js `sql`, a PGlite, nor a Drizzle database over either.
 * @example
 * const db = await openDatabase({ url: 'postgres://app@db:5432/tqs' });
 */
export async function openDatabase(options: CreateDatabaseOptions): Promise<TqsDatabase> {
  if (options.client !== undefined) return overClient(options.client, options);
  if (options.url !== undefined) return openPostgres(options.url, options);
  const { openPglite } = await import('./pglite/open');
  return openPglite(options);
}

async function overClient(client: ExistingClient, options: CreateDatabaseOptions): Promise<TqsDatabase> {
  const given = typeof client === 'object' && '$client' in client ? client.$client : client;
  const session = driverSessionOf(given, false);
  if (!session || session.inTransaction) {
    throw new TypeError('createDatabase: client must be a postgres.js sql, a PGlite, or a Drizzle database over either');
  }
  if (session.backend === 'postgres') {
    const sql = session.client;
    return overPostgres(sql, options.logger, () => (options.closeClient ? sql.end({ timeout: 5 }) : Promise.resolve()));
  }
  const pglite = session.client;
  const { overPglite } = await import('./pglite/open');
  return overPglite(pglite, options.logger, () => (options.closeClient ? pglite.close() : Promise.resolve()));
}

/** What differs between the backends for a load into one database (or into a transaction of one). */
export interface DatabaseBackend {
  readonly name: Backend;
  /** The load's transaction and its COPY on this backend. */
  readonly loader: Loader;
  /** The most sessions one load takes before it slows to minutes (PGlite); undefined where there is no such bound. */
  readonly maxLoadSessions: number | undefined;
  /** The free-space side of a load of `rows` rows: watched for a PGlite data directory, left to the server otherwise. */
  loadSpace(rows: number): LoadSpace;
}

/**
 * What differs between the backends, for `db`: asked once per load, and passed along from there.
 *
 * @throws {TypeError} `db` is neither over PGlite nor over postgres.js.
 * @example
 * const backend = databaseBackend(db);
 * await backend.loader.transaction(async (tx) => tx.copy(target, chunks, () => {}));
 */
export function databaseBackend(db: Database): DatabaseBackend {
  const session = driverSession(db);
  if (session.backend === 'postgres') {
    return {
      name: 'postgres',
      loader: postgresLoader(db, session.client, session.inTransaction),
      maxLoadSessions: undefined,
      loadSpace: () => UNWATCHED_SPACE,
    };
  }
  // Inside a caller's transaction the load is part of theirs: its data directory is theirs to watch.
  const dataDir = session.inTransaction ? undefined : session.client.dataDir;
  return {
    name: 'pglite',
    loader: pgliteLoader(db, session.inTransaction),
    maxLoadSessions: PGLITE_MAX_SESSIONS,
    loadSpace: (rows) => loadSpace(dataDir, rows),
  };
}
