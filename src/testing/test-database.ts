import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { readMigrations, type TqsDatabase } from '../db';
import { type Dataset, type GenerateOptions, resolveGenerateOptions } from '../domain';
import { generateDataset } from '../generator';
import { packageVersion } from '../util/package-info';
import {
  buildClusterSnapshot,
  buildDatasetSnapshot,
  buildMigratedSnapshot,
  openSnapshot,
  SNAPSHOT_FORMAT,
  type SnapshotImage,
  wrapPglite,
} from './snapshot';
import { cachedSnapshot, clearSnapshotMemory } from './snapshot-cache';

/**
 * The reference time of datasets built by {@link createTestDatabase} when the options give none, so that a fixture
 * is the same on every run (a dataset's sessions fall in the days before its `now`).
 */
export const TEST_NOW = new Date('2026-01-15T12:00:00.000Z');

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

const sha256 = (...parts: string[]) => createHash('sha256').update(parts.join('\0')).digest('hex');

let pgliteVersionMemo: string | undefined;

/** The installed PGlite's version: a snapshot's files are only valid for the PostgreSQL that wrote them. */
function pgliteVersion(): string {
  if (pgliteVersionMemo === undefined) {
    try {
      // Its exports map hides package.json; the file is next to the folder of its entry point.
      const entry = createRequire(import.meta.url).resolve('@electric-sql/pglite');
      const manifest = join(dirname(entry), '..', 'package.json');
      pgliteVersionMemo = (JSON.parse(readFileSync(manifest, 'utf8')) as { version: string }).version;
    } catch {
      pgliteVersionMemo = 'unknown';
    }
  }
  return pgliteVersionMemo;
}

/** What a new cluster depends on: how snapshots are built and the PostgreSQL that runs them. */
const clusterKey = () => sha256(`format ${SNAPSHOT_FORMAT}`, pgliteVersion()).slice(0, 32);

/** What a migrated snapshot depends on: the cluster, the package version and the migrations, down files included. */
function migratedKey(cluster: string, migrationsFolder: string | undefined): string {
  const migrations = readMigrations(migrationsFolder).map((m) => [m.tag, m.when, m.hash, m.down ?? null]);
  return sha256(cluster, packageVersion(), JSON.stringify(migrations)).slice(0, 32);
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
 * A migrated in-memory PGlite database, optionally filled with a generated dataset, for one test.
 *
 * The first call for given options builds it the slow way and keeps a snapshot of its data directory; every later
 * call starts a new PGlite from that snapshot instead, in a fraction of the time. Snapshots are cached in this
 * process's memory, and on disk when `cacheDir` is given (shared by parallel test workers: one builds, the others
 * wait for its file). Concurrent calls share one build. A snapshot's key covers the migrations, the package and
 * PGlite versions and the dataset, so a changed migration builds a new one. Every call returns an independent
 * database: what one test writes never reaches another.
 *
 * The snapshot's PostgreSQL runs with `shared_buffers = 16MB` (PGlite's default is 128 MB) and 1 MB WAL segments,
 * which halves the time a database takes to start; the data, schema and behaviour are those of a database built
 * with `createDatabase()`, `migrate()` and `insertDataset()`.
 *
 * @example
 * import { createTestDatabase, type TestDatabase } from '@tqs/data/testing';
 *
 * let db: TestDatabase;
 * beforeEach(async () => {
 *   db = await createTestDatabase({ dataset: { tutors: 20, sessions: 600, seed: 7 }, cacheDir: 'node_modules/.cache/tqs-data' });
 * });
 * afterEach(() => db.close());
 *
 * // or, with explicit resource management:
 * await using db = await createTestDatabase();
 */
export async function createTestDatabase(options: CreateTestDatabaseOptions = {}): Promise<TestDatabase> {
  const folder = options.migrationsFolder === undefined ? undefined : resolve(options.migrationsFolder);
  const cacheDir = options.cacheDir === undefined ? undefined : resolve(options.cacheDir);
  const cluster = clusterKey();
  const baseKey = migratedKey(cluster, folder);
  const migrated = () =>
    cachedSnapshot(`${baseKey}-migrated`, cacheDir, async () =>
      buildMigratedSnapshot(await cachedSnapshot(`${cluster}-cluster`, cacheDir, buildClusterSnapshot), folder),
    );

  let image: SnapshotImage;
  let dataset: (() => Dataset) | undefined;
  if (options.dataset === undefined) {
    image = await migrated();
  } else {
    const identity = datasetIdentity(options.dataset);
    dataset = identity.get;
    image = await cachedSnapshot(`${baseKey}-${identity.key.slice(0, 32)}`, cacheDir, async () =>
      buildDatasetSnapshot(await migrated(), identity.get()),
    );
  }
  const db = wrapPglite(await openSnapshot(image));
  return Object.defineProperty(db, 'dataset', { get: () => dataset?.(), enumerable: true }) as TestDatabase;
}

/** Forgets the snapshots (and generated datasets) cached in this process's memory; files in a `cacheDir` stay. */
export function clearTestDatabaseCache(): void {
  clearSnapshotMemory();
  generated.clear();
}
