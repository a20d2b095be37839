import { readSnapshotFileAt, shippedSnapshotPath } from '../db/pglite/shipped-data-dir';

/*
 * The package ships the migrated snapshot of its own migrations (built by `npm run build`, see the db layer's
 * shipped-data-dir.ts), so that a process's first `createTestDatabase()` needs neither initdb nor the migrations.
 */

export { shippedSnapshotPath };

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
  const decoded = readSnapshotFileAt(path, key);
  if (decoded === undefined) return undefined;
  if ('tar' in decoded) return decoded.tar;
  if (decoded.problem !== 'built for another key') onDamaged(`${path}: ${decoded.problem}`);
  return undefined;
}
