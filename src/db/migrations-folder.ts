import { join } from 'node:path';
import { MigrationsNotFoundError } from '../errors/database-errors';
import { packageRoot } from '../util/package-info';

/**
 * The `drizzle/` folder shipped with the package, as an absolute path found from this module's own location. For
 * drizzle-kit (`@tqs/data/migrations`) and `migrationsFolder` options; `migrate` and the other migration calls do not
 * need it (they carry the migrations in the code).
 *
 * @throws {MigrationsNotFoundError} the folder is not on disk beside the code (a bundle that copied the code alone).
 * @example
 * migrate(db, { migrationsFolder: defaultMigrationsFolder() });
 */
export function defaultMigrationsFolder(): string {
  let root: string;
  try {
    root = packageRoot();
  } catch (error) {
    throw new MigrationsNotFoundError(
      "cannot find the drizzle/ folder of @tqs/data beside its code (a bundle?): migrate(db), migrationStatus, assertMigrated and rollback need none; for drizzle-kit, install the package and point drizzle.config.ts's out at node_modules/@tqs/data/drizzle",
      { cause: error },
    );
  }
  return join(root, 'drizzle');
}
