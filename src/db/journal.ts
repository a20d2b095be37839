import { sql } from 'drizzle-orm';
import { type Database, queryRows } from './client';
import { MIGRATIONS_SCHEMA, MIGRATIONS_TABLE, type MigrationFile } from './migrations';

/* drizzle-kit's journal of applied migrations, shared by migrate, migrationStatus and rollback. */

/** Creates drizzle-kit's journal table when it is missing, with the same DDL drizzle-kit uses. */
export async function ensureJournal(db: Database): Promise<void> {
  await db.execute(sql`create schema if not exists ${sql.identifier(MIGRATIONS_SCHEMA)}`);
  await db.execute(sql`
    create table if not exists ${sql.identifier(MIGRATIONS_SCHEMA)}.${sql.identifier(MIGRATIONS_TABLE)} (
      id serial primary key,
      hash text not null,
      created_at bigint
    )`);
}

export interface JournalRow {
  id: number;
  hash: string;
  created_at: number;
}

/** The journal's rows, newest first. */
export async function readJournal(db: Database): Promise<JournalRow[]> {
  const rows = await queryRows<{ id: number; hash: string; created_at: string | number }>(
    db,
    sql`select id, hash, created_at from ${sql.identifier(MIGRATIONS_SCHEMA)}.${sql.identifier(MIGRATIONS_TABLE)}
        order by created_at desc, id desc`,
  );
  return rows.map((r) => ({ id: Number(r.id), hash: r.hash, created_at: Number(r.created_at) }));
}

/**
 * The migrations `migrate()` would apply, oldest first. drizzle-kit's rule, which ours must match so that both agree:
 * a migration is pending when it is newer than the newest one applied.
 */
export function pendingMigrations(migrations: MigrationFile[], journal: JournalRow[]): MigrationFile[] {
  const newest = journal[0];
  return newest ? migrations.filter((m) => m.when > newest.created_at) : migrations;
}

/** Whether drizzle-kit's journal table exists, without creating it (for read-only callers). */
export async function journalExists(db: Database): Promise<boolean> {
  const name = `"${MIGRATIONS_SCHEMA}"."${MIGRATIONS_TABLE}"`;
  const [row] = await queryRows<{ oid: unknown }>(db, sql`select to_regclass(${name}) as oid`);
  return row?.oid != null;
}

// Serializes migrate() and rollback() across connections on a server; an arbitrary constant of this package.
const MIGRATION_LOCK = 7_316_420_551;

/** Takes the migration lock for the rest of the current transaction. */
export async function lockMigrations(tx: Database): Promise<void> {
  await tx.execute(sql`select pg_advisory_xact_lock(${MIGRATION_LOCK})`);
}
