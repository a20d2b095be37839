import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { migratedKey } from '../src/testing/snapshot-keys';
import { readShippedSnapshot, shippedSnapshotPath } from '../src/testing/shipped-snapshot';
import { withoutLiftoffOnly } from './support/node-options';

/*
 * The README's "Test databases" examples, run literally by a vitest of their own with vitest's default timeouts (5 s
 * per test, 10 s per hook) in a new process, as a user's first run would: no cache folder yet.
 */

const exec = promisify(execFile);
const repoRoot = fileURLToPath(new URL('..', import.meta.url));

function section(markdown: string, heading: string): string {
  const start = markdown.indexOf(`\n${heading}\n`);
  if (start < 0) throw new Error(`docs/testing.md has no section ${heading}`);
  const end = markdown.indexOf('\n## ', start + heading.length + 2);
  return markdown.slice(start, end < 0 ? undefined : end);
}

const examples = [...section(readFileSync(join(repoRoot, 'docs', 'testing.md'), 'utf8'), '## A test file').matchAll(/```ts vitest\n([\s\S]*?)```/g)].map(
  (m) => m[1] as string,
);

/** Without the shipped snapshot, a first call runs initdb: the README's claim is about the built package. */
const stale = readShippedSnapshot(migratedKey(undefined), () => {}) === undefined;
/*
 * Default timeouts measure the machine as much as the package: on a machine whose cores are already busy with other
 * work, everything takes longer, and the check says nothing about this package. vitest.config.ts runs this file last
 * and alone, after every other file has finished; the CPU time the machine spends on other work is sampled over one
 * second first (the load average lags a minute behind, still counting the suite that just ended).
 */
function busyCores(): Promise<number> {
  if (!existsSync('/proc/stat')) return Promise.resolve(loadavg()[0] ?? 0);
  const sample = () => {
    const fields = (readFileSync('/proc/stat', 'utf8').split('\n')[0] as string).trim().split(/\s+/).slice(1).map(Number);
    const idle = (fields[3] ?? 0) + (fields[4] ?? 0);
    return { idle, total: fields.reduce((a, b) => a + b, 0) };
  };
  const first = sample();
  return new Promise((resolve) =>
    setTimeout(() => {
      const second = sample();
      const total = second.total - first.total;
      resolve(total > 0 ? (availableParallelism() * (total - (second.idle - first.idle))) / total : 0);
    }, 1_000),
  );
}

const busy = stale ? 0 : await busyCores();
const skipReason = stale
  ? `${shippedSnapshotPath()} is missing or stale; run npm run build`
  : busy > availableParallelism() / 2
    ? `other work keeps ${busy.toFixed(1)} of ${availableParallelism()} cores busy`
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
      // Without the suite's Liftoff-only preload (test/support/node-options.ts): the timing stands for a user's.
      const env = Object.fromEntries(Object.entries(withoutLiftoffOnly(process.env)).filter(([key]) => !key.startsWith('VITEST')));
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
