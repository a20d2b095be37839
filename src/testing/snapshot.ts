import { PGlite } from '@electric-sql/pglite';
import { EmscriptenBuiltinFilesystem } from '@electric-sql/pglite/basefs';
import { drizzle } from 'drizzle-orm/pglite';
import { type MigrationFile, migrate, readMigrations, rollback, type TqsDatabase, withClose } from '../db';
import { parseDataDirTar } from '../db/pglite/data-dir-tar';
import type { Dataset } from '../records/dataset';
import { insertDataset } from '../load';
import { schema } from '../schema';

/**
 * A PGlite data directory, as `dumpDataDir('none')` wrote it (a plain tar), parsed once so that every database
 * started from it only copies files into memory. `files` is undefined when the tar holds something this parser does
 * not know; such a snapshot is loaded through PGlite's own `loadDataDir` instead.
 */
export interface SnapshotImage {
  tar: Uint8Array;
  dirs: { path: string; mode: number }[] | undefined;
  files: { path: string; data: Uint8Array }[] | undefined;
}

/*
 * Written into the snapshot's postgresql.auto.conf, so every database started from it gets them: a buffer pool that
 * fits PGlite's initial memory (the default one makes it grow its WebAssembly memory on every start), and a small WAL
 * to keep the snapshot small. Figures in BENCHMARKS.md.
 */
const SNAPSHOT_SETTINGS = { shared_buffers: '16MB', min_wal_size: '2MB' } as const;

/** Part of every snapshot key: bump it when how snapshots are built changes, so stale files on disk are not used. */
export const SNAPSHOT_FORMAT = 3;

const decoder = new TextDecoder();

/** Checks that `bytes` are a PGlite data directory and parses them. Throws when not (e.g. a truncated file). */
export function snapshotImage(bytes: Uint8Array): SnapshotImage {
  // A plain Uint8Array view, never a Buffer: MEMFS copies a file's first write with `data.slice()`, which copies a
  // Uint8Array but *shares* a Buffer's memory, and the databases would then write into the snapshot itself.
  const tar = new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const parsed = parseDataDirTar(tar) ?? { dirs: undefined, files: undefined };
  if (!parsed.files && !decoder.decode(tar.subarray(0, 512 * 64)).includes('PG_VERSION')) {
    throw new Error('not a PGlite data directory snapshot');
  }
  return { tar, ...parsed };
}

interface EmscriptenFs {
  mkdirTree(path: string, mode?: number): void;
  mkdir(path: string, mode?: number): void;
  writeFile(path: string, data: Uint8Array): void;
  quit(): void;
}

/**
 * PGlite's in-memory file system, filled from a snapshot parsed once, instead of `loadDataDir`, which parses the tar
 * again on every start. Each file is copied, so one database's writes never reach the snapshot.
 */
class SnapshotFilesystem extends EmscriptenBuiltinFilesystem {
  readonly #image: SnapshotImage;

  constructor(image: SnapshotImage) {
    super();
    this.#image = image;
  }

  #module(): { FS: EmscriptenFs; ENV?: Record<string, string> } {
    return (this.pg as unknown as { Module: { FS: EmscriptenFs; ENV?: Record<string, string> } }).Module;
  }

  override async initialSyncFs(): Promise<void> {
    const { FS, ENV } = this.#module();
    const root = ENV?.PGDATA ?? '/pglite/data';
    FS.mkdirTree(root, 0o700);
    for (const dir of this.#image.dirs ?? []) FS.mkdir(`${root}/${dir.path}`, dir.mode || 0o700);
    for (const file of this.#image.files ?? []) FS.writeFile(`${root}/${file.path}`, file.data);
  }

  override async closeFs(): Promise<void> {
    this.#module().FS.quit();
  }
}

/*
 * Set when starting from a parsed snapshot failed once (a PGlite whose internals changed): from then on this process
 * loads snapshots through PGlite's documented `loadDataDir`, slower but always right.
 */
let fastPathFailed = false;

/** A Blob whose `arrayBuffer()` hands out the snapshot's bytes without reading them through a stream again. */
class SnapshotBlob extends Blob {
  readonly #bytes: Uint8Array;

  constructor(bytes: Uint8Array) {
    super([bytes], { type: 'application/x-tar' });
    this.#bytes = bytes;
  }

  override arrayBuffer(): Promise<ArrayBuffer> {
    // A copy: PGlite may keep or reuse the buffer it is given.
    return Promise.resolve(this.#bytes.slice().buffer as ArrayBuffer);
  }
}

/** Starts a PGlite from a snapshot. */
export async function openSnapshot(image: SnapshotImage): Promise<PGlite> {
  if (image.files && !fastPathFailed) {
    try {
      return await PGlite.create({ fs: new SnapshotFilesystem(image) });
    } catch {
      fastPathFailed = true;
    }
  }
  return PGlite.create({ loadDataDir: new SnapshotBlob(image.tar) });
}

/** A {@link TqsDatabase} over a PGlite this module started: closing the database closes the PGlite. */
export function wrapPglite(pglite: PGlite): TqsDatabase {
  return withClose(drizzle({ client: pglite, schema }), 'pglite', () => pglite.close());
}

/** A checkpoint, so that a database started from the dump has no WAL to replay, then the data directory as a tar. */
async function dump(pglite: PGlite): Promise<Uint8Array> {
  await pglite.exec('checkpoint');
  const blob = await pglite.dumpDataDir('none');
  return new Uint8Array(await blob.arrayBuffer());
}

/**
 * The snapshot every other one starts from: a new cluster, made by initdb with small WAL segments, with the
 * {@link SNAPSHOT_SETTINGS}. initdb is most of a first build; this snapshot depends on nothing but PGlite, so a
 * changed migration or another dataset never runs it again.
 */
export async function buildClusterSnapshot(): Promise<Uint8Array> {
  const pglite = await PGlite.create({ initDbStartParams: ['--wal-segsize=1'] });
  try {
    for (const [name, value] of Object.entries(SNAPSHOT_SETTINGS)) {
      // One statement per call: ALTER SYSTEM refuses to run in the implicit transaction of a multi-statement query.
      await pglite.exec(`alter system set ${name} = '${value}'`);
    }
    return await dump(pglite);
  } finally {
    await pglite.close();
  }
}

/** The cluster snapshot with the migrations of `migrationsFolder` (default: the package's) applied. */
export async function buildMigratedSnapshot(cluster: SnapshotImage, migrationsFolder: string | undefined): Promise<Uint8Array> {
  const pglite = await openSnapshot(cluster);
  try {
    await migrate(wrapPglite(pglite), migrationsFolder === undefined ? {} : { migrationsFolder });
    return await dump(pglite);
  } finally {
    await pglite.close();
  }
}

/** How many of `theirs`' first migrations are the package's first ones, file for file (same hash, same timestamp). */
function sharedMigrations(ours: MigrationFile[], theirs: MigrationFile[]): number {
  let shared = 0;
  const same = (a: MigrationFile | undefined, b: MigrationFile | undefined) => a !== undefined && a.hash === b?.hash && a.when === b.when;
  while (same(ours[shared], theirs[shared])) shared++;
  return shared;
}

/**
 * The migrated snapshot of another migrations folder, built from the package's migrated snapshot instead of initdb:
 * the package's migrations the folder does not begin with are rolled back (their down files), the journal's id
 * sequence is put back where a new cluster would have it, then the folder's migrations are applied. The difference
 * alone is run, so a consumer's first test database costs about its own migrations, not a new cluster.
 */
export async function buildDerivedSnapshot(packageImage: SnapshotImage, migrationsFolder: string): Promise<Uint8Array> {
  const pglite = await openSnapshot(packageImage);
  try {
    const db = wrapPglite(pglite);
    const ours = readMigrations();
    const shared = sharedMigrations(ours, readMigrations(migrationsFolder));
    if (shared < ours.length) {
      await rollback(db, { to: shared === 0 ? 'base' : (ours[shared - 1] as MigrationFile).tag, force: true });
      await pglite.exec(
        shared === 0
          ? 'drop schema drizzle cascade'
          : "select setval(pg_get_serial_sequence('drizzle.__drizzle_migrations', 'id'), (select max(id) from drizzle.__drizzle_migrations))",
      );
    }
    await migrate(db, { migrationsFolder });
    return await dump(pglite);
  } finally {
    await pglite.close();
  }
}

/**
 * A migrated snapshot with a dataset inserted (scores refreshed, as `insertDataset` does by default). PGlite starts
 * while the dataset is generated: `migrated` and the start are awaited only after `dataset()` has run, so the
 * WebAssembly compile (on V8's background threads) and the generation overlap.
 *
 * `keep`, when given, receives the PGlite the snapshot was dumped from, still open, instead of it being closed: its
 * data directory is the snapshot's, so the call that built the snapshot can hand it out rather than start another
 * PGlite from the bytes (a start saved on every first call). The receiver owns it and must close it.
 */
export async function buildDatasetSnapshot(
  migrated: Promise<SnapshotImage>,
  dataset: () => Dataset,
  keep?: (pglite: PGlite) => void,
): Promise<Uint8Array> {
  const starting = migrated.then(openSnapshot);
  starting.catch(() => {}); // handled below, once the dataset is made; not an unhandled rejection meanwhile
  // Let the start reach its compile before the generation takes the main thread.
  await new Promise((resolve) => setImmediate(resolve));
  let rows: Dataset;
  try {
    rows = dataset();
  } catch (error) {
    await starting.then((pglite) => pglite.close()).catch(() => {});
    throw error;
  }
  const pglite = await starting;
  let kept = false;
  try {
    await insertDataset(wrapPglite(pglite), rows);
    const tar = await dump(pglite);
    if (keep) {
      keep(pglite);
      kept = true;
    }
    return tar;
  } finally {
    if (!kept) await pglite.close();
  }
}
