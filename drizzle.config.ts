import { defineConfig } from 'drizzle-kit';

// drizzle-kit migrate targets DATABASE_URL when it is set, and the embedded PGlite data directory the CLI uses
// otherwise, so `npx drizzle-kit migrate` and `npx tqs-data migrate` always agree about where the schema lives.
const url = process.env.DATABASE_URL;

export default defineConfig({
  dialect: 'postgresql',
  schema: './src/schema/index.ts',
  out: './drizzle',
  casing: undefined,
  migrations: { table: '__drizzle_migrations', schema: 'drizzle' },
  strict: true,
  verbose: true,
  ...(url ? { dbCredentials: { url } } : { driver: 'pglite', dbCredentials: { url: '.tqs/pglite' } }),
});
