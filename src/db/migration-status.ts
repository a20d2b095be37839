import { MigrationsPendingError } from '../errors';
import { inCall } from './call';
import type { Database } from './client';
import { readMigrations } from './migrations';
import { journalExists, pendingMigrations, readJournal } from './journal';

/**
 * Options of {@link migrationStatus} and {@link assertMigrated}.
 *
 * @example
 * await migrationStatus(db, { migrationsFolder: './drizzle' });
 */
export interface MigrationStatusOptions {
  /** A drizzle-kit migrations folder. Default: the package's own, carried in its code. */
  migrationsFolder?: string;
}

/**
 * Where a database stands against the migrations folder.
 *
 * @example
 * const { pending }: MigrationStatus = await migrationStatus(db);
 */
export interface MigrationStatus {
  /** Tags of the migrations the journal records as applied, oldest first. */
  applied: string[];
  /** Tags of the migrations `migrate()` would apply, oldest first; empty when the database is up to date. */
  pending: string[];
  /** The newest applied migration's tag; `null` on a database that was never migrated. */
  current: string | null;
  /**
   * `created_at` of journal entries that match no migration of the folder, newest first: the database was migrated
   * by a newer version of this package (or another migrations folder). Empty in the usual case.
   */
  unknown: number[];
}

/**
 * Reads which migrations the database has applied and which `migrate()` would apply, from drizzle-kit's journal
 * (`drizzle.__drizzle_migrations`). Reads only: it creates nothing, not even the journal table, and takes no lock.
 *
 * ```sql
 * select to_regclass('"drizzle"."__drizzle_migrations"') as oid;
 * select id, hash, created_at from "drizzle"."__drizzle_migrations" order by created_at desc, id desc;
 * ```
 *
 * @example
 * const status = await migrationStatus(db);
 * // { applied: ['0000_initial_schema'], pending: ['0001_touch_updated_at'],
 * //   current: '0000_initial_schema', unknown: [] }
 */
export async function migrationStatus(db: Database, options: MigrationStatusOptions = {}): Promise<MigrationStatus> {
  const migrations = readMigrations(options.migrationsFolder);
  const journal = await inCall(db, 'migrationStatus', async () => ((await journalExists(db)) ? await readJournal(db) : []));
  const tagOf = new Map(migrations.map((m) => [m.when, m.tag]));
  const applied: string[] = [];
  const unknown: number[] = [];
  for (const row of journal) {
    const tag = tagOf.get(row.created_at);
    if (tag === undefined) unknown.push(row.created_at);
    else applied.unshift(tag);
  }
  return {
    applied,
    pending: pendingMigrations(migrations, journal).map((m) => m.tag),
    current: applied[applied.length - 1] ?? null,
    unknown,
  };
}

/**
 * Fails when the database has pending migrations: the check a service makes at start-up, before it serves anything
 * from a schema that is not there yet. Returns the status when the database is up to date.
 *
 * @throws {MigrationsPendingError} code `MIGRATIONS_PENDING`, listing the pending migrations in `pending` and in its
 *   message.
 * @example
 * const db = await createDatabase({ url: process.env.DATABASE_URL });
 * await assertMigrated(db); // MIGRATIONS_PENDING: the database is not migrated (pending: 0000_initial_schema, ...)
 */
export async function assertMigrated(db: Database, options: MigrationStatusOptions = {}): Promise<MigrationStatus> {
  const status = await migrationStatus(db, options);
  if (status.pending.length > 0) throw new MigrationsPendingError(status.pending, status.applied);
  return status;
}
