import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readMigrationsFolder } from './migrations';

/** Where the generated module lives, from the repository's root. */
export const EMBEDDED_MIGRATIONS_MODULE = join('src', 'db', 'embedded-migrations.ts');

/**
 * The source of `src/db/embedded-migrations.ts`: the migrations of `folder`, read with drizzle's own reader, as data.
 *
 * @example
 * embeddedMigrationsSource('drizzle'); // "// Generated ... export const embeddedMigrations = [...]"
 */
export function embeddedMigrationsSource(folder: string): string {
  const migrations = readMigrationsFolder(folder);
  return [
    '// Generated from drizzle/ by src/db/write-embedded-migrations.ts, on every build (tsup.config.ts): do not edit.',
    "// The migrations carried in the code, so that a bundle of the package migrates with no file beside it.",
    "import type { MigrationFile } from './migrations';",
    '',
    `export const embeddedMigrations: readonly MigrationFile[] = ${JSON.stringify(migrations, null, 2)};`,
    '',
  ].join('\n');
}

/**
 * Writes `src/db/embedded-migrations.ts` under `root` from its `drizzle/` folder, only when its content changes (so
 * an unchanged build does not touch src/). Returns whether it wrote.
 *
 * @example
 * writeEmbeddedMigrations(process.cwd()); // false when already current
 */
export function writeEmbeddedMigrations(root: string): boolean {
  const path = join(root, EMBEDDED_MIGRATIONS_MODULE);
  const source = embeddedMigrationsSource(join(root, 'drizzle'));
  if (existsSync(path) && readFileSync(path, 'utf8') === source) return false;
  writeFileSync(path, source);
  return true;
}
