import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

/*
 * Runs the example test as a consumer's vitest would. In a consumer project `@tqs/data` resolves from node_modules
 * and none of this is needed; here, in the package's own repository, it points at the sources (as tsconfig.json's
 * `paths` does for tsc and tsx).
 */
const src = (path: string) => fileURLToPath(new URL(`../src/${path}`, import.meta.url));

export default defineConfig({
  resolve: {
    alias: [
      { find: /^@tqs\/data$/, replacement: src('index.ts') },
      { find: /^@tqs\/data\/testing$/, replacement: src('testing/index.ts') },
    ],
  },
  test: {
    root: fileURLToPath(new URL('..', import.meta.url)),
    include: ['examples/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
