import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import { readMigrationFiles } from 'drizzle-orm/migrator';
import { defaultMigrationsFolder } from './migrations-folder';
import type { Database } from './client';
import { queryRows } from './client';

export { defaultMigrationsFolder };

/** drizzle-kit's journal table: `migrate()`, `rollback()` and `drizzle-kit migrate` all read and write this one. */
export const MIGRATIONS_SCHEMA = 'drizzle';
export const MIGRATIONS_TABLE = '__drizzle_migrations';

/** One migration of `drizzle/`, with its hand-written down migration. */
export interface MigrationFile {
  /** The file name without `.sql`, e.g. `0000_initial_schema`. */
  tag: string;
  /** drizzle-kit's timestamp for it, stored as `created_at` in the journal table. */
  when: number;
  /** sha256 of the up file, as drizzle-kit stores it. */
  hash: string;
  up: string[];
  down: string[] | undefined;
}


/** The statements of a migration file cut at drizzle-kit's breakpoints, without blank or comment-only pieces. */
const statementsOf = (pieces: readonly string[]) =>
  pieces.map((s) => s.trim()).filter((s) => s.replace(/^--.*$/gm, '').trim() !== '');

/**
 * Reads the migrations of a drizzle-kit folder with drizzle's own reader (`readMigrationFiles`: the same statements,
 * hashes and timestamps that `drizzle-kit migrate` applies and records), and beside each its hand-written down file
 * `<tag>.down.sql`, which drizzle-kit does not know.
 *
 * @example
 * const migrations = readMigrations();
 * migrations.map((m) => m.tag); // ['0000_initial_schema', '0001_touch_updated_at']
 */
export function readMigrations(folder = defaultMigrationsFolder()): MigrationFile[] {
  // readMigrationFiles keeps the journal's order but not its tags, which name the files (down files included). Read
  // first, a missing journal fails naming its path, as before.
  const journal = JSON.parse(readFileSync(join(folder, 'meta', '_journal.json'), 'utf8')) as { entries: { tag: string }[] };
  const migrations = readMigrationFiles({ migrationsFolder: folder });
  return migrations.map((migration, index) => {
    const tag = (journal.entries[index] as { tag: string }).tag;
    const downPath = join(folder, `${tag}.down.sql`);
    return {
      tag,
      when: migration.folderMillis,
      hash: migration.hash,
      up: statementsOf(migration.sql),
      down: existsSync(downPath) ? statementsOf(readFileSync(downPath, 'utf8').split('--> statement-breakpoint')) : undefined,
    };
  });
}

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
