import { existsSync } from 'node:fs';
import { createDatabase, migrationStatus, readMigrations, type TqsDatabase } from '../db';
import { MigrationsPendingError, redactUrl } from '../errors';
import type { ParsedOptions } from './command';

/** The embedded database the CLI uses when no PostgreSQL URL is given. */
export const DEFAULT_DATA_DIR = '.tqs/pglite';

/** Where a command's database is: a PostgreSQL URL, or a PGlite data directory. */
export type Target = { kind: 'postgres'; url: string } | { kind: 'pglite'; dataDir: string };

/** `--database-url`, else `$DATABASE_URL`, else `--data-dir`, else `.tqs/pglite`. */
export function resolveTarget(options: ParsedOptions, env: NodeJS.ProcessEnv): Target {
  const url = (options['database-url'] as string | undefined) ?? (env.DATABASE_URL || undefined);
  if (url !== undefined) return { kind: 'postgres', url };
  return { kind: 'pglite', dataDir: (options['data-dir'] as string | undefined) ?? DEFAULT_DATA_DIR };
}

/** The target in words, with any password removed. */
export function describeTarget(target: Target): string {
  return target.kind === 'postgres'
    ? `PostgreSQL ${redactUrl(target.url)}`
    : `embedded PGlite ${target.dataDir}${existsSync(target.dataDir) ? '' : ' (new)'}`;
}

/** Opens the target database. */
export function openTarget(target: Target): Promise<TqsDatabase> {
  return target.kind === 'postgres' ? createDatabase({ url: target.url }) : createDatabase({ dataDir: target.dataDir });
}

/** Opens the target, runs `body`, and closes the database whatever happens. */
export async function withTarget<T>(target: Target, body: (db: TqsDatabase) => Promise<T>): Promise<T> {
  const db = await openTarget(target);
  try {
    return await body(db);
  } finally {
    await db.close();
  }
}

/**
 * Whether the target's database is there to read: always for PostgreSQL (connecting says otherwise), and for PGlite
 * when its data directory exists. Commands that only read check this first, so that they never create a directory.
 *
 * @example
 * if (!targetExists(target)) io.stdout.write('nothing there yet\n');
 */
export function targetExists(target: Target): boolean {
  return target.kind === 'postgres' || existsSync(target.dataDir);
}

/**
 * The command that migrates this target, for messages.
 *
 * @example
 * migrateCommandFor({ kind: 'pglite', dataDir: 'x' }); // "tqs-data migrate --data-dir x"
 */
export function migrateCommandFor(target: Target): string {
  return target.kind === 'pglite' && target.dataDir !== DEFAULT_DATA_DIR
    ? `tqs-data migrate --data-dir ${target.dataDir}`
    : 'tqs-data migrate';
}

/**
 * Opens a target that must exist and be migrated, runs `body`, and closes it: the way into every command that reads
 * or writes the schema without migrating it. A missing PGlite directory is not created, and a database with pending
 * migrations is refused before any query of `body` runs.
 *
 * @throws {MigrationsPendingError} listing the pending migrations and the command that applies them.
 * @example
 * const page = await withMigratedTarget(resolveTarget(options, io.env), (db) => listHighRiskTutors(db));
 */
export async function withMigratedTarget<T>(target: Target, body: (db: TqsDatabase) => Promise<T>): Promise<T> {
  const fix = `run '${migrateCommandFor(target)}'`;
  if (target.kind === 'pglite' && !existsSync(target.dataDir)) {
    const tags = readMigrations().map((m) => m.tag);
    throw new MigrationsPendingError(tags, [], `there is no data directory ${target.dataDir} yet; ${fix}`);
  }
  return withTarget(target, async (db) => {
    const { pending, applied } = await migrationStatus(db);
    if (pending.length > 0) throw new MigrationsPendingError(pending, applied, fix);
    return body(db);
  });
}
