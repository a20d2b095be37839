import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../util/package-info';
import { decodeSnapshotFile } from './snapshot-file';

/*
 * The package ships the migrated snapshot of its own migrations (built by `npm run build`), so that a process's first
 * `createTestDatabase()` needs neither initdb nor the migrations.
 */

/** The shipped snapshot's file name, in the package's `dist/`. */
export const SHIPPED_SNAPSHOT_FILE = 'testing-snapshot.bin';

/** Where the shipped snapshot is (or, in a repository not built yet, would be). */
export function shippedSnapshotPath(): string {
  return join(packageRoot(), 'dist', SHIPPED_SNAPSHOT_FILE);
}

/**
 * The shipped snapshot's tar when it was built for `key`, else undefined: none shipped (the sources, not built),
 * another key (other migrations, package or PGlite version: never a stale snapshot), or a file that fails its
 * checksum, which `onDamaged` hears of.
 */
export function readShippedSnapshot(
  key: string,
  onDamaged: (problem: string) => void,
  path = shippedSnapshotPath(),
): Uint8Array | undefined {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch {
    return undefined;
  }
  const decoded = decodeSnapshotFile(bytes, key);
  if ('tar' in decoded) return decoded.tar;
  if (decoded.problem !== 'built for another key') onDamaged(`${path}: ${decoded.problem}`);
  return undefined;
}
