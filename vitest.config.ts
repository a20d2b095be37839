import { availableParallelism } from 'node:os';
import { BaseSequencer, type TestSpecification } from 'vitest/node';
import { defineConfig } from 'vitest/config';

/** Runs last and alone: it times the README's examples against vitest's default timeouts. */
const alone = ['test/testing-readme.test.ts'];

/**
 * Fault scenarios too slow for `npm test`: they start clusters of their own, kill processes and wait for servers to
 * come back. `npm run test:faults` runs them (vitest.faults.config.ts), and CI runs both.
 */
export const faultFiles = [
  'test/faults.test.ts',
  'test/replicas.test.ts',
  'test/pool-recovery.test.ts',
  'test/pgbouncer-restart.test.ts',
  'test/abort-cli.test.ts',
];

/**
 * The longest files of `npm test`, longest first (times in docs/development.md, "Tests"). They start first: vitest
 * orders files by the durations of earlier runs, and without any (a fresh clone) by size, which started these short
 * but slow files last, when nothing else was left to run beside them.
 */
const slowFiles = ['test/docs.test.ts', 'test/examples.test.ts', 'test/testing-cache.test.ts', 'test/testing.test.ts', 'test/package.test.ts'];

/** Vitest's order, with {@link slowFiles} moved to the front of their group. */
class SlowFilesFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    const rank = (file: TestSpecification) => {
      const index = slowFiles.findIndex((slow) => file.moduleId.endsWith(`/${slow}`));
      return index < 0 ? slowFiles.length : index;
    };
    const group = (file: TestSpecification) => file.project.config.sequence.groupOrder;
    return sorted
      .map((file, index) => ({ file, index }))
      .sort((a, b) => group(a.file) - group(b.file) || rank(a.file) - rank(b.file) || a.index - b.index)
      .map(({ file }) => file);
  }
}

export const shared = {
  testTimeout: 120_000,
  hookTimeout: 120_000,
  // PGlite instances are large; forks keep each test file's memory its own and freed when the file ends.
  pool: 'forks',
  // dist/ built once before any file runs, when it is missing or out of date (the CLI and the examples run it).
  globalSetup: 'test/support/global-setup.ts',
} as const;

export default defineConfig({
  test: {
    /*
     * At least 3 files at a time. Vitest's default (one less than the CPUs) runs one file at a time on a 2-core
     * machine, and a file spends much of its time waiting for its child processes and for the PostgreSQL server, so a
     * core sat idle. The figures are in docs/development.md ("Tests").
     */
    maxWorkers: Math.max(3, availableParallelism() - 1),
    sequence: { sequencer: SlowFilesFirst },
    projects: [
      /*
       * One module graph per worker instead of one per file (isolate: false): every file imported the package, drizzle
       * and PGlite's loader again, 53 s of the suite's import time against 22 s shared. The files keep no state in
       * modules that another file reads (each opens and closes its own databases; counters are read as differences).
       */
      { test: { ...shared, name: 'suite', isolate: false, include: ['test/**/*.test.ts'], exclude: [...alone, ...faultFiles] } },
      { test: { ...shared, name: 'alone', include: alone, fileParallelism: false, sequence: { groupOrder: 1 } } },
    ],
  },
});
