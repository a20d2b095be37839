import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync, statSync, watch } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { holdLock, lockIsAbandoned, tryLock } from '../../src/testing/snapshot-lock';

/*
 * dist/ as the tests that run the built package need it (the CLI in a process of its own, the examples that load
 * `@tqs/data/migrations`, the snapshot shipped for createTestDatabase()). It is built before the suite when it is
 * missing or older than what it is built from, so `npm ci && npm test` passes with no build step in between.
 */

export const repoRoot = fileURLToPath(new URL('../..', import.meta.url));

/** What dist/ is built from. */
export const buildInputs = ['src', 'drizzle', 'package.json', 'tsup.config.ts', 'tsconfig.json'];

/** The files of dist/ the suite runs; the oldest of them dates the build. */
const buildOutputs = ['index.js', 'index.cjs', 'testing.js', 'migrations.cjs', 'cli.js', 'testing-snapshot.bin'];

const BUILD_TIMEOUT_MS = 600_000;

/**
 * The newest modification time of a file or of anything below a folder.
 *
 * @example
 * newestMtime(join(repoRoot, 'src')); // 1765090000000
 */
export function newestMtime(path: string): number {
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  return Math.max(stat.mtimeMs, ...readdirSync(path).map((entry) => newestMtime(join(path, entry))));
}

/**
 * Why `root`'s dist/ must be built again (a file missing, or an input newer than it), or undefined when it is current.
 *
 * @example
 * staleBuild(repoRoot); // 'dist/cli.js is missing'
 */
export function staleBuild(root: string): string | undefined {
  let built = Infinity;
  for (const file of buildOutputs) {
    const path = join(root, 'dist', file);
    if (!existsSync(path)) return `dist/${file} is missing`;
    built = Math.min(built, statSync(path).mtimeMs);
  }
  const changed = buildInputs.find((input) => newestMtime(join(root, input)) > built);
  return changed === undefined ? undefined : `${changed} changed after the last build`;
}

/** Resolves when `lock` is released or abandoned; rejects after `timeoutMs`. */
function lockReleased(lock: string, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const done = (error?: Error) => {
      watcher.close();
      clearInterval(owner);
      clearTimeout(deadline);
      if (error) reject(error);
      else resolve();
    };
    const check = () => {
      if (lockIsAbandoned(lock) !== undefined) done();
    };
    // Removal is an event; an owner that died without removing its lock is not, so that is checked once a second.
    const watcher = watch(join(lock, '..'), check);
    const owner = setInterval(check, 1_000);
    const deadline = setTimeout(
      () => done(new Error(`${lock} is still held after ${timeoutMs} ms; remove it if no build is running`)),
      timeoutMs,
    );
    check();
  });
}

/**
 * Builds `root`'s dist/ with `npm run build` unless it is current; one process at a time builds, the others wait
 * for it and then find dist/ current.
 *
 * @example
 * await ensureBuilt(repoRoot, (line) => console.log(line));
 */
export async function ensureBuilt(root: string, log: (line: string) => void): Promise<void> {
  if (staleBuild(root) === undefined) return;
  const folder = join(root, 'node_modules', '.cache');
  mkdirSync(folder, { recursive: true });
  const lock = join(folder, 'tqs-data-build.lock');
  const started = Date.now();
  for (let attempt = 0; attempt < 3; attempt += 1) {
    if (!tryLock(lock)) {
      await lockReleased(lock, BUILD_TIMEOUT_MS - (Date.now() - started));
      // A lock its owner left behind (it died mid-build) is taken away; the next attempt takes it.
      const abandoned = lockIsAbandoned(lock);
      if (abandoned !== undefined && abandoned !== 'released') rmSync(lock, { force: true });
      continue;
    }
    const release = holdLock(lock);
    try {
      const why = staleBuild(root);
      if (why === undefined) return;
      log(`building dist/ for the tests (${why})`);
      await promisify(execFile)('npm', ['run', 'build'], { cwd: root, timeout: BUILD_TIMEOUT_MS, maxBuffer: 64 * 1024 * 1024 });
      const still = staleBuild(root);
      if (still !== undefined) throw new Error(`npm run build finished but dist/ is not current: ${still}`);
      log(`built dist/ in ${Math.round((Date.now() - started) / 1000)} s`);
      return;
    } finally {
      release();
    }
  }
  if (staleBuild(root) !== undefined) throw new Error(`could not take ${lock} to build dist/ in 3 attempts`);
}
