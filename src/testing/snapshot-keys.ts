import { createHash } from 'node:crypto';
import { readMigrations } from '../db';
import { pgliteVersion } from '../db/pglite/pglite-version';
import { packageVersion } from '../util/package-info';
import { SNAPSHOT_FORMAT } from './snapshot';

/*
 * A snapshot's key names everything its files depend on, so that a snapshot on disk (in a cacheDir, or shipped in the
 * package) is used only where it is exactly what a build would make now.
 */

export const sha256 = (...parts: string[]) => createHash('sha256').update(parts.join('\0')).digest('hex');

/** The key of a new cluster: how snapshots are built and the PostgreSQL that runs them. */
export const clusterKey = () => `${sha256(`format ${SNAPSHOT_FORMAT}`, pgliteVersion()).slice(0, 32)}-cluster`;

/**
 * The prefix of the keys of a migrations folder's snapshots (`undefined`: the package's own): the cluster, the
 * package version and the migrations, down files included.
 */
export function migrationsKey(migrationsFolder: string | undefined): string {
  const migrations = readMigrations(migrationsFolder).map((m) => [m.tag, m.when, m.hash, m.down ?? null]);
  return sha256(clusterKey(), packageVersion(), JSON.stringify(migrations)).slice(0, 32);
}

/** The key of the migrated, empty snapshot of a migrations folder (`undefined`: the package's own). */
export const migratedKey = (migrationsFolder: string | undefined) => `${migrationsKey(migrationsFolder)}-migrated`;
