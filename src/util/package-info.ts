import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

let root: string | undefined;

/**
 * The package's root folder (the one holding its package.json and drizzle/), found by walking up from this module so
 * the same code works from src/ (tests) and from the bundled dist/.
 */
export function packageRoot(): string {
  if (root) return root;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    if (existsSync(join(dir, 'drizzle', 'meta', '_journal.json')) && existsSync(join(dir, 'package.json'))) {
      root = dir;
      return dir;
    }
    dir = resolve(dir, '..');
  }
  throw new Error('cannot find the root folder of @tqs/data (its package.json and drizzle/)');
}

/** The version in the package's package.json. */
export function packageVersion(): string {
  return (JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as { version: string }).version;
}
