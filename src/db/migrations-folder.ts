import { join } from 'node:path';
import { packageRoot } from '../util/package-info';

/**
 * The `drizzle/` folder shipped with the package, as an absolute path found from this module's own location.
 *
 * @example
 * migrate(db, { migrationsFolder: defaultMigrationsFolder() });
 */
export function defaultMigrationsFolder(): string {
  return join(packageRoot(), 'drizzle');
}
