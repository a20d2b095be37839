import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';

/** The folders and files of a data directory tar, as views of the tar's bytes. */
export interface DataDirEntries {
  dirs: { path: string; mode: number }[];
  files: { path: string; data: Uint8Array }[];
}

const decoder = new TextDecoder();

function tarString(bytes: Uint8Array, offset: number, length: number): string {
  let end = offset;
  while (end < offset + length && bytes[end] !== 0) end++;
  return decoder.decode(bytes.subarray(offset, end));
}

/**
 * Parses a tar of a PGlite data directory (ustar, as `dumpDataDir('none')` writes it). Returns the entries as views
 * of `tar`, without copying; undefined when the tar has an entry type other than a file or a folder, a path that
 * climbs out (`..`), is cut short, or lacks `PG_VERSION` or `global/pg_control`.
 *
 * @example
 * const entries = parseDataDirTar(new Uint8Array(await (await pglite.dumpDataDir('none')).arrayBuffer()));
 */
export function parseDataDirTar(tar: Uint8Array): DataDirEntries | undefined {
  const dirs: DataDirEntries['dirs'] = [];
  const files: DataDirEntries['files'] = [];
  let offset = 0;
  for (;;) {
    if (offset + 512 > tar.length) return undefined;
    if (tar[offset] === 0) break; // the end-of-archive blocks
    const name = tarString(tar, offset, 100);
    const prefix = tarString(tar, offset + 345, 155);
    const mode = Number.parseInt(tarString(tar, offset + 100, 8).trim() || '0', 8);
    const size = Number.parseInt(tarString(tar, offset + 124, 12).trim() || '0', 8);
    const type = tar[offset + 156];
    const path = (prefix ? `${prefix}/${name}` : name).replace(/^\/+|\/+$/g, '');
    offset += 512;
    if (!Number.isFinite(size) || offset + size > tar.length || path.includes('..')) return undefined;
    if (type === 0x35 /* '5' */) {
      if (path) dirs.push({ path, mode: mode & 0o7777 });
    } else if (type === 0x30 /* '0' */ || type === 0) {
      files.push({ path, data: tar.subarray(offset, offset + size) });
    } else {
      return undefined;
    }
    offset += Math.ceil(size / 512) * 512;
  }
  const names = new Set(files.map((f) => f.path));
  return names.has('PG_VERSION') && names.has('global/pg_control') ? { dirs, files } : undefined;
}

/** Files written at once: creating a file is a few syscalls the kernel may spend a millisecond on (~1,100 files). */
const WRITES_AT_ONCE = 16;

/**
 * Writes a data directory's entries into `dir` (which exists and holds no data directory): PostgreSQL's own files,
 * written straight to disk, far faster than loading the tar through PGlite's file system, several at a time (on a
 * virtual disk each file's creation costs up to a millisecond of the kernel's time, and a new cluster is ~1,100 files).
 * `PG_VERSION` is written last, once every other file is, so that a directory cut short by a crash is never taken for
 * a whole one.
 *
 * @example
 * await writeDataDir(parseDataDirTar(tar)!, '.tqs/pglite');
 */
export async function writeDataDir(entries: DataDirEntries, dir: string): Promise<void> {
  const folders = new Map<string, number>([[dir, 0o700]]);
  for (const { path, mode } of entries.dirs) folders.set(join(dir, path), mode || 0o700);
  for (const file of entries.files) {
    const parent = dirname(join(dir, file.path));
    if (!folders.has(parent)) folders.set(parent, 0o700);
  }
  // Each folder's mode is set after it is made, whatever order: a parent that mkdir made for a child gets its own later.
  for (const [path, mode] of folders) {
    mkdirSync(path, { recursive: true });
    chmodSync(path, mode);
  }
  const files = entries.files.filter((f) => f.path !== 'PG_VERSION');
  let next = 0;
  const writer = async () => {
    while (next < files.length) {
      const file = files[next++] as DataDirEntries['files'][number];
      await writeFile(join(dir, file.path), file.data, { mode: 0o600 });
    }
  };
  await Promise.all(Array.from({ length: Math.min(WRITES_AT_ONCE, files.length) }, writer));
  for (const file of entries.files.filter((f) => f.path === 'PG_VERSION')) writeFileSync(join(dir, file.path), file.data, { mode: 0o600 });
}
