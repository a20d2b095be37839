import type { PGlite, Transaction as PGliteTransaction } from '@electric-sql/pglite';
import { is } from 'drizzle-orm';
import { PgTransaction } from 'drizzle-orm/pg-core';
import type { Sql, TransactionSql } from 'postgres';
import type { Database } from './client';
import { InvalidOptionError } from '../errors';

/* The only routines that tell the backends apart, by the shape of the driver's client. */
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
 * @throws {InvalidOptionError} `db` is neither over PGlite nor over postgres.js.
 * @example
 * await db.transaction(async (tx) => driverSession(tx)); // { backend: 'postgres', inTransaction: true, client }
 */
export function driverSession(db: Database): DriverSession {
  const { client, inTransaction } = sessionClient(db);
  const session = driverSessionOf(client, inTransaction);
  if (session) return session;
  throw new InvalidOptionError(
    'db',
    'expected a Drizzle database over PGlite or postgres.js (one from createDatabase()), or a transaction of one',
  );
}
