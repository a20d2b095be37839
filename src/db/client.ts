import type { PGlite, Transaction as PGliteTransaction } from '@electric-sql/pglite';
import { type ExtractTablesWithRelations, is, type SQL } from 'drizzle-orm';
import { type PgDatabase, type PgQueryResultHKT, PgTransaction } from 'drizzle-orm/pg-core';
import type { Sql, TransactionSql } from 'postgres';
import type { Schema } from '../schema';

/**
 * A Drizzle database over this package's schema, on either backend. Every helper of this package takes one as its
 * first argument: the one `createDatabase()` returns, or one you built yourself with `drizzle(client, { schema })`.
 */
export type Database = PgDatabase<PgQueryResultHKT, Schema, ExtractTablesWithRelations<Schema>>;

/** Which engine is behind a database. */
export type Backend = 'pglite' | 'postgres';

/** The driver client behind a Drizzle database, told apart by shape so that copies of either package both work. */
export type RawClient = { backend: 'pglite'; pglite: PGlite } | { backend: 'postgres'; sql: Sql };

/**
 * The driver client a Drizzle database sends its queries to, or, for a transaction opened with `db.transaction()`,
 * the driver's transaction handle (PGlite's `Transaction`, postgres.js's `TransactionSql`) on its connection.
 */
export type DriverSession =
  | { backend: 'pglite'; inTransaction: false; client: PGlite }
  | { backend: 'pglite'; inTransaction: true; client: PGliteTransaction }
  | { backend: 'postgres'; inTransaction: false; client: Sql }
  | { backend: 'postgres'; inTransaction: true; client: TransactionSql };

const hasMethods = (value: unknown, ...names: string[]): boolean =>
  (typeof value === 'object' || typeof value === 'function') &&
  value !== null &&
  names.every((name) => typeof (value as Record<string, unknown>)[name] === 'function');

/**
 * The driver session behind `db`, a database or a transaction of one. Drizzle keeps a database's client in `$client`
 * and a transaction's in its session (`tx._.session.client`): a transaction has no `$client`.
 *
 * @throws {TypeError} `db` is neither over PGlite nor over postgres.js.
 * @example
 * await db.transaction(async (tx) => driverSession(tx)); // { backend: 'postgres', inTransaction: true, client }
 */
export function driverSession(db: Database): DriverSession {
  if (is(db, PgTransaction)) {
    const client = (db._.session as unknown as { client?: unknown }).client;
    if (hasMethods(client, 'query', 'exec', 'rollback')) {
      return { backend: 'pglite', inTransaction: true, client: client as PGliteTransaction };
    }
    if (typeof client === 'function' && hasMethods(client, 'unsafe', 'savepoint')) {
      return { backend: 'postgres', inTransaction: true, client: client as TransactionSql };
    }
  } else {
    const client = (db as { $client?: unknown }).$client;
    if (typeof client === 'object' && hasMethods(client, 'dumpDataDir', 'query')) {
      return { backend: 'pglite', inTransaction: false, client: client as PGlite };
    }
    if (typeof client === 'function' && hasMethods(client, 'unsafe', 'begin')) {
      return { backend: 'postgres', inTransaction: false, client: client as Sql };
    }
  }
  throw new TypeError(
    'expected a Drizzle database over PGlite or postgres.js (one from createDatabase()), or a transaction of one',
  );
}

/** The driver client behind `db`. Throws when `db` is neither a PGlite nor a postgres.js database. */
export function rawClient(db: Database): RawClient {
  const session = driverSession(db);
  if (session.inTransaction) {
    throw new TypeError('rawClient: expected a database, got a transaction opened with db.transaction()');
  }
  return session.backend === 'pglite'
    ? { backend: 'pglite', pglite: session.client }
    : { backend: 'postgres', sql: session.client };
}

/** Runs a query through Drizzle and returns its rows, whatever the backend's result shape. */
export async function queryRows<T extends Record<string, unknown>>(db: Database, query: SQL): Promise<T[]> {
  const result = (await db.execute(query)) as unknown;
  return (Array.isArray(result) ? result : (result as { rows: T[] }).rows) as T[];
}

/**
 * A PGlite instance or a postgres.js client, told apart by shape so that copies of either package both work;
 * undefined for anything else.
 */
export function asRawClient(client: unknown): RawClient | undefined {
  const has = (key: string) => typeof (client as Record<string, unknown>)[key] === 'function';
  if (client && typeof client === 'object' && has('dumpDataDir') && has('query')) {
    return { backend: 'pglite', pglite: client as PGlite };
  }
  if (typeof client === 'function' && has('unsafe') && has('begin')) {
    return { backend: 'postgres', sql: client as Sql };
  }
  return undefined;
}
