import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { InvalidOptionError } from '../../errors';

/** What a path given as a PGlite data directory holds. */
export type DataDirKind = 'missing' | 'empty' | 'pglite' | 'not-a-directory' | 'other';

/**
 * Tells what `path` is before PGlite opens it: missing, an empty folder, a PGlite (PostgreSQL) data directory (it
 * holds `PG_VERSION`), a file, or a folder of something else.
 *
 * @example
 * dataDirKind('.tqs/pglite'); // 'pglite' once created, 'missing' before
 * dataDirKind('src');         // 'other'
 */
export function dataDirKind(path: string): DataDirKind {
  if (!existsSync(path)) return 'missing';
  if (!statSync(path).isDirectory()) return 'not-a-directory';
  if (existsSync(join(path, 'PG_VERSION'))) return 'pglite';
  // A first creation that crashed half-way leaves its marker beside the folder (see open.ts): ours, to redo.
  if (existsSync(`${resolve(path)}.creating`)) return 'pglite';
  // Hidden files (a lock file, .DS_Store) do not make a folder someone else's; a hidden folder (.git) does.
  const entries = readdirSync(path, { withFileTypes: true });
  return entries.every((entry) => entry.name.startsWith('.') && entry.isFile()) ? 'empty' : 'other';
}

/**
 * Refuses a `dataDir` that is neither missing, empty nor a PGlite data directory: PGlite would otherwise create a
 * PostgreSQL cluster among the files of an unrelated folder.
 *
 * @example
 * assertDataDir('.tqs/pglite'); // fine
 * assertDataDir('src');         // throws InvalidOptionError: dataDir src holds files but is not a PGlite data directory ...
 */
export function assertDataDir(path: unknown, option = 'dataDir'): void {
  if (typeof path !== 'string' || path.trim() === '') {
    throw new InvalidOptionError(option, `${option} must be a folder path (got ${typeof path === 'string' ? 'an empty string' : String(path)})`);
  }
  const kind = dataDirKind(path);
  if (kind === 'not-a-directory') {
    throw new InvalidOptionError(option, `${option} ${path} is a file, not a folder: give a missing or empty folder, or a PGlite data directory`);
  }
  if (kind === 'other') {
    throw new InvalidOptionError(
      option,
      `${option} ${path} holds files but is not a PGlite data directory (no PG_VERSION): give a missing or empty folder, or an existing data directory`,
    );
  }
}
