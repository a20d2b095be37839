import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { migratedKey } from '../src/testing/snapshot-keys';
import { readShippedSnapshot, shippedSnapshotPath } from '../src/testing/shipped-snapshot';

/*
 * The README's "Test databases" examples, run literally by a vitest of their own with vitest's default timeouts (5 s
 * per test, 10 s per hook) in a new process, as a user's first run would: no cache folder yet.
 */

const exec = promisify(execFile);
const repoRoot = fileURLToPath(new URL('..', import.meta.url));

function section(markdown: string, heading: string): string {
  const start = markdown.indexOf(`\n${heading}\n`);
  if (start < 0) throw new Error(`README has no section ${heading}`);
  const end = markdown.indexOf('\n## ', start + heading.length + 2);
  return markdown.slice(start, end < 0 ? undefined : end);
}

const examples = [...section(readFileSync(join(repoRoot, 'README.md'), 'utf8'), '## Test databases').matchAll(/```ts\n([\s\S]*?)```/g)].map(
  (m) => m[1] as string,
);

/** Without the shipped snapshot, a first call runs initdb: the README's claim is about the built package. */
const stale = readShippedSnapshot(migratedKey(undefined), () => {}) === undefined;
/*
 * Default timeouts measure the machine as much as the package: on a machine running several times more work than it
 * has cores, everything takes several times longer, and the check says nothing about this package.
 */
const [load = 0] = loadavg();
const loadPerCore = load / availableParallelism();
const skipReason = stale
  ? `${shippedSnapshotPath()} is missing or stale; run npm run build`
  : loadPerCore > 2
    ? `load average ${load.toFixed(1)} on ${availableParallelism()} cores`
    : undefined;

// Inside the repository, so that `vitest` and the package's dependencies resolve from its node_modules.
const dir = mkdtempSync(join(repoRoot, '.readme-examples-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('README: Test databases', () => {
  it('has examples', () => {
    expect(examples.length).toBeGreaterThan(0);
  });

  it.skipIf(skipReason !== undefined)(
    `every example passes under vitest's default timeouts${skipReason ? ` (skipped: ${skipReason})` : ''}`,
    async () => {
      examples.forEach((code, i) => writeFileSync(join(dir, `example-${i}.test.ts`), code));
      const src = (path: string) => JSON.stringify(join(repoRoot, 'src', path));
      // Only what makes `@tqs/data` resolve to this repository's sources: no timeouts, no other setting.
      writeFileSync(
        join(dir, 'vitest.config.ts'),
        `export default {
  resolve: { alias: [{ find: /^@tqs\\/data$/, replacement: ${src('index.ts')} }, { find: /^@tqs\\/data\\/testing$/, replacement: ${src('testing/index.ts')} }] },
  test: { include: ['*.test.ts'] },
};
`,
      );
      const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('VITEST')));
      const { stdout } = await exec(process.execPath, [join(repoRoot, 'node_modules/vitest/vitest.mjs'), 'run', '--config', 'vitest.config.ts'], {
        cwd: dir,
        env: { ...env, NO_COLOR: '1' },
        timeout: 120_000,
      }).catch((error: { stdout?: string; stderr?: string; message: string }) => {
        throw new Error(`${error.message}\n${error.stdout ?? ''}\n${error.stderr ?? ''}`);
      });
      const total = examples.reduce((n, code) => n + (code.match(/^test\(/gm)?.length ?? 0), 0);
      expect(total).toBeGreaterThan(0);
      expect(stdout).toMatch(new RegExp(`Tests\\s+${total} passed \\(${total}\\)`));
    },
    150_000,
  );
});
