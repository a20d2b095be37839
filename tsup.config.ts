import { defineConfig } from 'tsup';
import { writeEmbeddedMigrations } from './src/db/write-embedded-migrations';

// The migrations of drizzle/ carried in the code (src/db/embedded-migrations.ts), regenerated on every build so that
// they never lag behind the folder; a test checks the committed copy against drizzle/ as well.
writeEmbeddedMigrations(process.cwd());

/*
 * One ESM build holds every entry, the CLI included, so the CLI imports the library's chunks instead of carrying a
 * second copy of it (its shebang comes from src/cli/main.ts, which esbuild keeps on that entry alone). The CommonJS
 * build has the library entries only. Each build cleans only its own files: the two run at the same time.
 */
const library = {
  index: 'src/index.ts',
  testing: 'src/testing/index.ts',
  migrations: 'src/db/migrations-entry.ts',
};

const shared = { sourcemap: true, target: 'node20', splitting: true, treeshake: true, dts: { entry: library } } as const;

export default defineConfig([
  {
    ...shared,
    entry: { ...library, cli: 'src/cli/main.ts' },
    format: ['esm'],
    clean: ['*.js', '*.js.map', '*.d.ts'],
    // The migrated snapshot createTestDatabase() starts from in a new process (dist/testing-snapshot.bin).
    onSuccess: 'node --import tsx src/testing/build-snapshot.ts',
  },
  {
    ...shared,
    entry: library,
    format: ['cjs'],
    clean: ['*.cjs', '*.cjs.map', '*.d.cts'],
  },
]);
