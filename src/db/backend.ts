import { PGLITE_MAX_SESSIONS } from '../domain/size-limits';
import type { Backend, Database, RawClient } from './client';
import { driverSession } from './driver-session';
import type { Loader } from './loader';
import { type LoadSpace, loadSpace, UNWATCHED_SPACE } from './pglite/free-space';
import { pgliteLoader } from './pglite/loader';
import { postgresLoader } from './postgres-js/loader';
import { InvalidOptionError } from '../errors';

/*
 * The one place that asks which backend a database is on. Everything that differs between PGlite and postgres.js is
 * reached through what this file returns; the per-backend code lives in `pglite/` and `postgres-js/`, one file per
 * concern under the same names. PGlite's files that load PGlite itself are imported dynamically, so that a service on
 * PostgreSQL never loads its WebAssembly.
 */

/**
 * The driver client behind `db`: the PGlite instance or the postgres.js `sql`.
 *
 * @throws {InvalidOptionError} `db` is a transaction, or neither a PGlite nor a postgres.js database.
 * @example
 * const { backend } = rawClient(db); // 'pglite' | 'postgres'
 */
export function rawClient(db: Database): RawClient {
  const session = driverSession(db);
  if (session.inTransaction) {
    throw new InvalidOptionError('db', 'rawClient: expected a database, got a transaction opened with db.transaction()');
  }
  return session.backend === 'pglite'
    ? { backend: 'pglite', pglite: session.client }
    : { backend: 'postgres', sql: session.client };
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
 * @throws {InvalidOptionError} `db` is neither over PGlite nor over postgres.js.
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
