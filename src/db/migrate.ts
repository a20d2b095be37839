import { sql } from 'drizzle-orm';
import { LockTimeoutError, MigrationError, translateDatabaseError } from '../errors';
import { inCall } from './call';
import type { Database } from './client';
import { abortable, type AbortableOptions } from './abortable';
import { abortPoint } from './postgres-js/abort-scope';
import { MIGRATIONS_SCHEMA, MIGRATIONS_TABLE, readMigrations } from './migrations';
import { ensureSessionMonths, sessionsArePartitioned } from './session-months';
import { monthStart } from './utc-month';
import { ensureJournal, lockMigrations, pendingMigrations, readJournal } from './journal';

/** Options of {@link migrate}. */
export interface MigrateOptions extends AbortableOptions {
  /** A drizzle-kit migrations folder. Default: the package's own (those of `drizzle/`), carried in its code. */
  migrationsFolder?: string;
}

/** What {@link migrate} applied. */
export interface MigrateResult {
  /** The tags applied by this call, oldest first; empty when the database was already up to date. */
  applied: string[];
}

/**
 * Applies every migration of `drizzle/` that the database has not applied yet, in one transaction: either all of
 * them land or none does. It reads and writes drizzle-kit's own journal (`drizzle.__drizzle_migrations`), so it and
 * `npx drizzle-kit migrate` always agree about what is applied, and concurrent callers wait for each other.
 *
 * @throws {MigrationError} naming the migration that failed; the database is left as it was.
 * @example
 * const db = await createDatabase();
 * const { applied } = await migrate(db); // ['0000_initial_schema', '0001_touch_updated_at']
 */
export async function migrate(db: Database, options: MigrateOptions = {}): Promise<MigrateResult> {
  const migrations = readMigrations(options.migrationsFolder);
  const apply = () => db.transaction(async (tx) => {
    await lockMigrations(tx);
    // Only under the lock: concurrent `create ... if not exists` of the journal race on the catalog and one fails.
    await ensureJournal(tx);
    const applied: string[] = [];
    for (const migration of pendingMigrations(migrations, await readJournal(tx))) {
      await abortPoint(); // PGlite: an abort takes effect here, between migrations
      try {
        for (const statement of migration.up) await tx.execute(sql.raw(statement));
      } catch (error) {
        const cause = translateDatabaseError(error);
        if (cause instanceof LockTimeoutError) throw cause;
        throw new MigrationError(migration.tag, cause instanceof Error ? cause.message : String(cause), { cause });
      }
      await tx.execute(
        sql`insert into ${sql.identifier(MIGRATIONS_SCHEMA)}.${sql.identifier(MIGRATIONS_TABLE)} (hash, created_at)
            values (${migration.hash}, ${migration.when})`,
      );
      applied.push(migration.tag);
    }
    // Partitioned sessions (0015): the current and the next month are there after every migrate.
    if (await sessionsArePartitioned(tx)) await ensureSessionMonths(tx, monthStart(new Date(), 0), monthStart(new Date(), 1));
    return { applied };
  });
  return inCall(db, 'migrate', () =>
    abortable('migrate', options.signal, apply, () => 'the migrations were rolled back, none is applied'),
  );
}
