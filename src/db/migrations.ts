import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
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


const splitStatements = (text: string) =>
  text
    .split('--> statement-breakpoint')
    .map((s) => s.trim())
    .filter((s) => s.replace(/^--.*$/gm, '').trim() !== '');

/** Reads the migrations of a drizzle-kit folder the way drizzle-kit does, with their down files. */
export function readMigrations(folder = defaultMigrationsFolder()): MigrationFile[] {
  const journal = JSON.parse(readFileSync(join(folder, 'meta', '_journal.json'), 'utf8')) as {
    entries: { tag: string; when: number }[];
  };
  return journal.entries.map(({ tag, when }) => {
    const upText = readFileSync(join(folder, `${tag}.sql`), 'utf8');
    const downPath = join(folder, `${tag}.down.sql`);
    return {
      tag,
      when,
      hash: createHash('sha256').update(upText).digest('hex'),
      up: splitStatements(upText),
      down: existsSync(downPath) ? splitStatements(readFileSync(downPath, 'utf8')) : undefined,
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

// Serializes migrate() and rollback() across connections on a server; an arbitrary constant of this package.
const MIGRATION_LOCK = 7_316_420_551;

/** Takes the migration lock for the rest of the current transaction. */
export async function lockMigrations(tx: Database): Promise<void> {
  await tx.execute(sql`select pg_advisory_xact_lock(${MIGRATION_LOCK})`);
}
