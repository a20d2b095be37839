import { defineConfig } from 'vitest/config';

/** Runs last and alone: it times the README's examples against vitest's default timeouts. */
const alone = ['test/testing-readme.test.ts'];

const shared = {
  testTimeout: 120_000,
  hookTimeout: 120_000,
  // PGlite instances are large; forks keep each test file's memory its own and freed when the file ends.
  pool: 'forks',
} as const;

export default defineConfig({
  test: {
    projects: [
      { test: { ...shared, name: 'suite', include: ['test/**/*.test.ts'], exclude: alone } },
      { test: { ...shared, name: 'alone', include: alone, fileParallelism: false, sequence: { groupOrder: 1 } } },
    ],
  },
});
