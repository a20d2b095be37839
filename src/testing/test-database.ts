import { resolve } from 'node:path';
import type { PGlite } from '@electric-sql/pglite';
import type { TqsDatabase } from '../db';
import { type GenerateOptions, resolveGenerateOptions } from '../domain';
import type { Dataset } from '../records/dataset';
import { generateDataset } from '../generator';
import {
  buildClusterSnapshot,
  buildDatasetSnapshot,
  buildDerivedSnapshot,
  buildMigratedSnapshot,
  openSnapshot,
  type SnapshotImage,
  wrapPglite,
} from './snapshot';
import { cachedSnapshot, clearSnapshotMemory, warnOnce } from './snapshot-cache';
import { clusterKey, migrationsKey, sha256 } from './snapshot-keys';
import { readShippedSnapshot } from './shipped-snapshot';

/**
 * The reference time of datasets built by {@link createTestDatabase} when the options give none, so that a fixture
 * is the same on every run (a dataset's sessions fall in the days before its `now`).
 */
export const TEST_NOW = new Date('2026-01-15T12:00:00.000Z');

/** Options of {@link createTestDatabase}. */
export interface CreateTestDatabaseOptions {
  /**
   * Rows to start with: options for `generateDataset` (their `now` defaults to {@link TEST_NOW}), or a dataset you
   * built. Omitted: an empty, migrated database.
   */
  dataset?: GenerateOptions | Dataset;
  /**
   * A folder for snapshots shared across processes and runs (e.g. `node_modules/.cache/tqs-data`). Without it the
   * snapshot lives in this process's memory only.
   */
  cacheDir?: string;
  /** The drizzle-kit migrations folder to build from. Default: the `drizzle/` shipped with this package. */
  migrationsFolder?: string;
}

/** A migrated in-memory PGlite database for one test. Close it with `close()`, or let `await using` do it. */
export type TestDatabase = TqsDatabase & {
  /**
   * The rows the database was filled with, when `dataset` was given. One object shared by every database of the same
   * options in this process: read it, don't change it.
   */
  readonly dataset: Dataset | undefined;
};

const isDataset = (value: GenerateOptions | Dataset): value is Dataset =>
  Array.isArray((value as Dataset).tutors) && Array.isArray((value as Dataset).sessions);

function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (v instanceof Date) return v.toISOString();
    if (v && typeof v === 'object' && !Array.isArray(v)) {
      return Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : 1)));
    }
    return v;
  });
}

// Keys of datasets given as objects, so a large dataset is hashed once per process, not once per test.
const datasetKeys = new WeakMap<Dataset, string>();
// Datasets generated from options, by key, made when first asked for (a snapshot read from disk needs none).
const generated = new Map<string, Dataset>();

/** The key of the dataset option, and a way to get the dataset. */
function datasetIdentity(dataset: GenerateOptions | Dataset): { key: string; get: () => Dataset } {
  if (isDataset(dataset)) {
    let key = datasetKeys.get(dataset);
    if (!key) {
      key = sha256('dataset', canonicalJson(dataset));
      datasetKeys.set(dataset, key);
    }
    return { key, get: () => dataset };
  }
  // Resolved, so that options that mean the same dataset (a default spelled out, `now` as a string) share a key.
  const resolved = resolveGenerateOptions(dataset, dataset.now ?? TEST_NOW);
  const key = sha256('options', canonicalJson(resolved));
  return {
    key,
    get: () => {
      let made = generated.get(key);
      if (!made) {
        made = generateDataset(resolved);
        generated.set(key, made);
      }
      return made;
    },
  };
}

/**
 * A migrated in-memory PGlite database, optionally filled with a generated dataset, for one test. Each call starts a
 * new PGlite from a snapshot (the migrated one ships with the package; a dataset's is built by its first call and
 * cached in memory, and on disk with `cacheDir`, shared by parallel workers; the call that builds it gets the PGlite
 * the snapshot was dumped from, rather than a second start from the same bytes). Every database is independent, and
 * holds what `createDatabase()`, `migrate()` and `insertDataset()` would make (docs/testing.md).
 *
 * @example
 * let db: TestDatabase;
 * beforeEach(async () => {
 *   db = await createTestDatabase({ dataset: { tutors: 20, sessions: 600, seed: 7 }, cacheDir: 'node_modules/.cache/tqs-data' });
 * });
 * afterEach(() => db.close());
 */
export async function createTestDatabase(options: CreateTestDatabaseOptions = {}): Promise<TestDatabase> {
  const folder = options.migrationsFolder === undefined ? undefined : resolve(options.migrationsFolder);
  const cacheDir = options.cacheDir === undefined ? undefined : resolve(options.cacheDir);
  let image: SnapshotImage;
  let dataset: (() => Dataset) | undefined;
  let built: PGlite | undefined;
  if (options.dataset === undefined) {
    image = await migratedSnapshot(folder, cacheDir);
  } else {
    const identity = datasetIdentity(options.dataset);
    dataset = identity.get;
    try {
      image = await cachedSnapshot(
        `${migrationsKey(folder)}-${identity.key.slice(0, 32)}`,
        // When this call is the one that builds, the PGlite the snapshot came from is this call's database.
        () => buildDatasetSnapshot(migratedSnapshot(folder, cacheDir), identity.get, (pglite) => (built = pglite)),
        { cacheDir },
      );
    } catch (error) {
      await built?.close();
      throw error;
    }
  }
  const db = wrapPglite(built ?? (await openSnapshot(image)));
  return Object.defineProperty(db, 'dataset', { get: () => dataset?.(), enumerable: true }) as TestDatabase;
}

/**
 * The migrated, empty snapshot of a migrations folder (`undefined`: the package's, which ships with it). Another
 * folder's is built from the package's (see {@link buildDerivedSnapshot}): no initdb, only the migrations that differ.
 */
function migratedSnapshot(folder: string | undefined, cacheDir: string | undefined): Promise<SnapshotImage> {
  const key = `${migrationsKey(folder)}-migrated`;
  const build = async () =>
    folder === undefined
      ? buildMigratedSnapshot(await cachedSnapshot(clusterKey(), buildClusterSnapshot, { cacheDir }), undefined)
      : buildDerivedSnapshot(await migratedSnapshot(undefined, cacheDir), folder);
  return cachedSnapshot(key, build, {
    cacheDir,
    shipped: () =>
      readShippedSnapshot(key, (problem) =>
        warnOnce('shipped', `the snapshot shipped in the package is not usable (${problem}); building it instead.`),
      ),
  });
}

/** Forgets the snapshots (and generated datasets) cached in this process's memory; files in a `cacheDir` stay. */
export function clearTestDatabaseCache(): void {
  clearSnapshotMemory();
  generated.clear();
}
