/**
 * drizzle-kit config of a project that uses @tqs/data: `npx drizzle-kit migrate` applies the package's migrations,
 * read from the package's own `drizzle/` folder, wherever npm installed it. Copy it into your project (see README.md).
 */
import { migrationsFolder } from '@tqs/data/migrations';
import { defineConfig } from 'drizzle-kit';

const url = process.env.DATABASE_URL;

export default defineConfig({
  dialect: 'postgresql',
  // The migrations as the package ships them: SQL files and drizzle-kit's journal (meta/_journal.json). An absolute
  // path from the package itself, so it resolves in a nested, a hoisted (npm workspaces) or a linked install.
  out: migrationsFolder,
  // The journal table the package's migrate() uses too, so the two always agree about what is applied.
  migrations: { table: '__drizzle_migrations', schema: 'drizzle' },
  // A PostgreSQL server when DATABASE_URL is set; otherwise an embedded PGlite data directory (the CLI's default).
  ...(url ? { dbCredentials: { url } } : { driver: 'pglite', dbCredentials: { url: process.env.PGLITE_DIR ?? '.tqs/pglite' } }),
});
