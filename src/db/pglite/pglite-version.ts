import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

let memo: string | undefined;

/**
 * The installed PGlite's version ('unknown' when its manifest cannot be read): a data directory's files are only
 * valid for the PostgreSQL that wrote them, so snapshots record it.
 *
 * @example
 * pgliteVersion(); // '0.5.16'
 */
export function pgliteVersion(): string {
  if (memo === undefined) {
    try {
      // Its exports map hides package.json; the file is next to the folder of its entry point.
      const entry = createRequire(import.meta.url).resolve('@electric-sql/pglite');
      const manifest = join(dirname(entry), '..', 'package.json');
      memo = (JSON.parse(readFileSync(manifest, 'utf8')) as { version: string }).version;
    } catch {
      memo = 'unknown';
    }
  }
  return memo;
}
