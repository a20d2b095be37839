import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // PGlite instances are large; forks keep each test file's memory its own and freed when the file ends.
    pool: 'forks',
    reporters: process.env.CI ? ['default'] : ['default'],
  },
});
