import type { PGlite } from '@electric-sql/pglite';
import type { ExtractTablesWithRelations, SQL } from 'drizzle-orm';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import type { Sql } from 'postgres';
import type { Schema } from '../schema';
import { inCall } from './call';

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
 * Runs a query through Drizzle and returns its rows, whatever the backend's result shape. A failure is a coded
 * `TqsError` (`translateQueryError`): `CONSTRAINT_VIOLATION`, `DATABASE_ERROR`, `DATABASE_CLOSED`,
 * `CONNECTION_FAILED` or `CONNECTION_STALLED`.
 *
 * @example
 * const rows = await queryRows<{ n: number }>(db, sql`select count(*)::int as n from tutors`);
 */
export async function queryRows<T extends Record<string, unknown>>(db: Database, query: SQL): Promise<T[]> {
  return inCall(db, 'queryRows', async () => {
    const result = (await db.execute(query)) as unknown;
    return (Array.isArray(result) ? result : (result as { rows: T[] }).rows) as T[];
  });
}
