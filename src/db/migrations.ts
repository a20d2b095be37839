import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readMigrationFiles } from 'drizzle-orm/migrator';
import { embeddedMigrations } from './embedded-migrations';
import { defaultMigrationsFolder } from './migrations-folder';

export { defaultMigrationsFolder };

/** drizzle-kit's journal table: `migrate()`, `rollback()` and `drizzle-kit migrate` all read and write this one. */
export const MIGRATIONS_SCHEMA = 'drizzle';
/** The name of drizzle-kit's journal table, in the {@link MIGRATIONS_SCHEMA} schema. */
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
 * The migrations `migrate`, `migrationStatus`, `assertMigrated` and `rollback` apply: by default the package's own,
 * carried in its code (generated from `drizzle/` at build time, the same statements, hashes and timestamps, so a
 * bundle needs no file beside it); with `folder`, those of a drizzle-kit folder on disk ({@link readMigrationsFolder}).
 *
 * @example
 * const migrations = readMigrations();
 * migrations.map((m) => m.tag); // ['0000_initial_schema', '0001_touch_updated_at', ...]
 */
export function readMigrations(folder?: string): MigrationFile[] {
  if (folder !== undefined) return readMigrationsFolder(folder);
  return embeddedMigrations.map((m) => ({ ...m, up: [...m.up], down: m.down === undefined ? undefined : [...m.down] }));
}

/**
 * Reads the migrations of a drizzle-kit folder with drizzle's own reader (`readMigrationFiles`: the same statements,
 * hashes and timestamps that `drizzle-kit migrate` applies and records), and beside each its hand-written down file
 * `<tag>.down.sql`, which drizzle-kit does not know.
 *
 * @example
 * readMigrationsFolder(defaultMigrationsFolder()).map((m) => m.hash); // drizzle-kit's sha256 of each file
 */
export function readMigrationsFolder(folder = defaultMigrationsFolder()): MigrationFile[] {
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
