import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../../util/package-info';
import { readMigrations } from '../migrations';
import { type DataDirEntries, parseDataDirTar } from './data-dir-tar';
import { pgliteVersion } from './pglite-version';
import { decodeSnapshotFile, type SnapshotOrigin } from './snapshot-file';

/*
 * The package ships a migrated data directory (dist/testing-snapshot.bin, written by `npm run build`): an empty
 * cluster with the package's migrations applied, made with small WAL segments and a 16 MB buffer pool. Test databases
 * start from it in memory, and a new PGlite data directory starts from it on disk, so neither runs initdb (most of
 * the time and memory of a first start) nor the migrations.
 */

/** The shipped snapshot's file name, in the package's `dist/`. */
export const SHIPPED_SNAPSHOT_FILE = 'testing-snapshot.bin';

/** Where the shipped snapshot is (or, in a repository not built yet, would be). */
export function shippedSnapshotPath(): string {
  return join(packageRoot(), 'dist', SHIPPED_SNAPSHOT_FILE);
}

/** What the shipped snapshot records of itself: this PGlite and the package's migrations, all of them. */
export function packageSnapshotOrigin(): Required<SnapshotOrigin> {
  return { pglite: pgliteVersion(), migrations: readMigrations().map((m) => m.hash) };
}

/**
 * Whether a new data directory may start from a snapshot of `origin`: written by this PGlite, with migrations that are
 * the package's first ones (all of them, or fewer: `migrate()` then applies the rest).
 */
export function startsPackageDataDir(origin: SnapshotOrigin): boolean {
  const current = packageSnapshotOrigin();
  const applied = origin.migrations;
  return (
    origin.pglite === current.pglite &&
    Array.isArray(applied) &&
    applied.length <= current.migrations.length &&
    applied.every((hash, i) => hash === current.migrations[i])
  );
}

/**
 * The entries of the shipped snapshot when a new data directory may start from it, else undefined (none shipped, a
 * damaged file, another PGlite, migrations that are not a prefix of the package's): the caller then lets PGlite run
 * initdb, as without the snapshot.
 *
 * @example
 * const entries = shippedDataDir();
 * if (entries) await writeDataDir(entries, '.tqs/pglite');
 */
export function shippedDataDir(path = shippedSnapshotPath()): DataDirEntries | undefined {
  const decoded = readSnapshotFileAt(path, startsPackageDataDir);
  return decoded && 'tar' in decoded ? parseDataDirTar(decoded.tar) : undefined;
}

/**
 * The shipped snapshot as a tarball PGlite's `loadDataDir` takes, when an in-memory database may start from it (the
 * same conditions as {@link shippedDataDir}), else undefined: PGlite then runs initdb in memory, as without it.
 *
 * @example
 * const pglite = await PGlite.create({ loadDataDir: shippedDataDirBlob() });
 */
export function shippedDataDirBlob(path = shippedSnapshotPath()): Blob | undefined {
  const decoded = readSnapshotFileAt(path, startsPackageDataDir);
  return decoded && 'tar' in decoded ? new Blob([decoded.tar], { type: 'application/x-tar' }) : undefined;
}

/**
 * The snapshot file at `path` decoded for `key` (see {@link decodeSnapshotFile}), or undefined when it cannot be read.
 *
 * @example
 * const decoded = readSnapshotFileAt(shippedSnapshotPath(), key);
 */
export function readSnapshotFileAt(
  path: string,
  key: Parameters<typeof decodeSnapshotFile>[1],
): ReturnType<typeof decodeSnapshotFile> | undefined {
  try {
    return decodeSnapshotFile(readFileSync(path), key);
  } catch {
    return undefined;
  }
}
