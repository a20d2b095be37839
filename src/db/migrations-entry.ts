import { defaultMigrationsFolder } from './migrations-folder';

/*
 * The entry of `@tqs/data/migrations`: where the shipped migrations are, for a consumer's drizzle.config.ts. It
 * imports nothing but node:path, node:fs and node:url, so drizzle-kit loading the config does not load the library.
 * The constant lives here, not in the library's chunks, so that importing `@tqs/data` never looks for the folder.
 */

export { defaultMigrationsFolder };

/**
 * The absolute path of the package's `drizzle/` folder (SQL files, down files and drizzle-kit's journal), wherever
 * npm put the package: hoisted to a workspace root, nested, or linked. Use it as `out` in a consumer's
 * drizzle.config.ts.
 *
 * @example
 * // drizzle.config.ts
 * import { defineConfig } from 'drizzle-kit';
 * import { migrationsFolder } from '@tqs/data/migrations';
 *
 * export default defineConfig({
 *   dialect: 'postgresql',
 *   out: migrationsFolder,
 *   migrations: { table: '__drizzle_migrations', schema: 'drizzle' },
 *   dbCredentials: { url: process.env.DATABASE_URL! },
 * });
 */
export const migrationsFolder: string = defaultMigrationsFolder();
