import type { PGlite } from '@electric-sql/pglite';
import { type ExtractTablesWithRelations, is, type SQL } from 'drizzle-orm';
import { type PgDatabase, type PgQueryResultHKT, PgTransaction } from 'drizzle-orm/pg-core';
import type { Sql } from 'postgres';
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
 * The driver client behind `db`: a database's `$client`, or, for a transaction opened with `db.transaction()`, the
 * driver's transaction handle, which Drizzle keeps in the transaction's session (a transaction has no `$client`).
 * Which driver it belongs to is for `backend.ts` to tell.
 *
 * @example
 * await db.transaction(async (tx) => sessionClient(tx)); // { inTransaction: true, client: <the driver's transaction> }
 */
export function sessionClient(db: Database): { inTransaction: boolean; client: unknown } {
  if (is(db, PgTransaction)) {
    return { inTransaction: true, client: (db._.session as unknown as { client?: unknown }).client };
  }
  return { inTransaction: false, client: (db as { $client?: unknown }).$client };
}

/** Runs a query through Drizzle and returns its rows, whatever the backend's result shape. */
export async function queryRows<T extends Record<string, unknown>>(db: Database, query: SQL): Promise<T[]> {
  const result = (await db.execute(query)) as unknown;
  return (Array.isArray(result) ? result : (result as { rows: T[] }).rows) as T[];
}
