import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { drizzle } from 'drizzle-orm/pglite';
import { DataDirError, DiskFullError, TqsError } from '../../errors';
import { schema } from '../../schema';
import { formatBytes } from '../../util/format';
import { type CreateDatabaseOptions, type TqsDatabase, withClose } from '../database';
import { acquireDataDirLock } from './data-dir-lock';
import { writeDataDir } from './data-dir-tar';
import { freeBytes, isNoSpaceError, START_HEADROOM_BYTES } from './free-space';
import { shippedDataDir, shippedDataDirBlob } from './shipped-data-dir';

/*
 * The PGlite backend of `createDatabase()`. This module is only ever loaded with a dynamic `import()`, so that
 * importing the package (a service on PostgreSQL) never loads PGlite or its WebAssembly glue.
 */

/** The PostgreSQL major version of the bundled PGlite, as its data directories record it in PG_VERSION. */
export const PGLITE_PG_VERSION = '18';

/**
 * Opens PGlite as `createDatabase()` was asked to: in memory (from a dumped data directory with `loadDataDir`, else
 * from the migrated snapshot the package ships, as a new data directory does), or on a data directory held by this
 * process alone until `close()`.
 *
 * @example
 * const db = await openPglite({ dataDir: '.tqs/pglite' });
 */
export async function openPglite(options: CreateDatabaseOptions): Promise<TqsDatabase> {
  if (options.dataDir !== undefined) {
    const { pglite, close } = await openDataDir(options.dataDir, options);
    return overPglite(pglite, options.logger, close);
  }
  const loadDataDir = options.loadDataDir ?? shippedDataDirBlob();
  const pglite = await PGlite.create(loadDataDir !== undefined ? { loadDataDir } : {});
  return overPglite(pglite, options.logger, () => pglite.close());
}

/**
 * A {@link TqsDatabase} over a PGlite instance that is already open; `close` decides what closing it does.
 *
 * @example
 * const db = overPglite(pglite, false, async () => {}); // the caller's PGlite stays open
 */
export function overPglite(pglite: PGlite, logger: CreateDatabaseOptions['logger'], close: () => Promise<void>): TqsDatabase {
  return withClose(drizzle({ client: pglite, schema, logger: logger ?? false }), 'pglite', close);
}

/** An open PGlite data directory; `close()` closes PGlite, then releases the directory's lock. */
export interface OpenDataDir {
  pglite: PGlite;
  close(): Promise<void>;
}

const readVersion = (dataDir: string): string | undefined => {
  try {
    return readFileSync(resolve(dataDir, 'PG_VERSION'), 'utf8').trim();
  } catch {
    return undefined;
  }
};

const entries = (dataDir: string): string[] => {
  try {
    return readdirSync(dataDir);
  } catch {
    return [];
  }
};

/*
 * A data directory is "half-created" when the process that created it died before PGlite's first start finished
 * (initdb writes hundreds of files). The marker `<dataDir>.creating` is written before that first start and removed
 * after it, before any statement of the caller runs: a directory found with the marker can hold no user data, and is
 * re-created. A directory without the marker is never removed.
 */
const creatingMarker = (dataDir: string) => `${resolve(dataDir)}.creating`;

/**
 * Opens (or creates) a PGlite data directory for this process alone: takes its lock (see `data-dir-lock.ts`),
 * re-creates a directory left half-created by a crash, and turns a failed start into an error that says what was
 * found and what to do (a full disk, another PostgreSQL version, a damaged directory) instead of a bare
 * `Aborted()`. The lock is released by `close()`, or when the open fails.
 *
 * @example
 * const { pglite, close } = await openDataDir('.tqs/pglite');
 * await pglite.query('select 1');
 * await close();
 */
export async function openDataDir(dataDir: string, options: { loadDataDir?: Blob } = {}): Promise<OpenDataDir> {
  let lock;
  try {
    lock = acquireDataDirLock(dataDir);
  } catch (error) {
    throw isNoSpaceError(error) ? diskFull(dataDir, 'lock', error) : error;
  }
  try {
    const pglite = await start(dataDir, options);
    const held = lock;
    return {
      pglite,
      close: async () => {
        try {
          await pglite.close();
        } finally {
          held.release();
        }
      },
    };
  } catch (error) {
    lock.release();
    throw error;
  }
}

async function start(dataDir: string, options: { loadDataDir?: Blob }): Promise<PGlite> {
  const marker = creatingMarker(dataDir);
  if (existsSync(marker)) rmSync(dataDir, { recursive: true, force: true });
  const version = readVersion(dataDir);
  if (version !== undefined && version !== PGLITE_PG_VERSION) {
    throw new DataDirError(
      `the PGlite data directory ${dataDir} was made by PostgreSQL ${version}, and this package's PGlite runs ` +
        `PostgreSQL ${PGLITE_PG_VERSION}: open it with the PGlite version that made it and dump the data ` +
        '(pg_dump or dumpDataDir), or point --data-dir elsewhere. It was left untouched.',
      dataDir,
    );
  }
  const creating = version === undefined && entries(dataDir).length === 0;
  try {
    mkdirSync(dataDir, { recursive: true });
    if (creating) writeFileSync(marker, `${process.pid}\n`);
    if (creating && options.loadDataDir === undefined) await fromShippedSnapshot(dataDir);
  } catch (error) {
    throw isNoSpaceError(error) ? diskFull(dataDir, 'create', error) : error;
  }
  const pglite = new PGlite({
    dataDir,
    ...(options.loadDataDir !== undefined ? { loadDataDir: options.loadDataDir } : {}),
  });
  try {
    await pglite.waitReady;
  } catch (error) {
    // A PGlite whose start failed keeps the process alive until closed; closing it fails the same way, harmlessly.
    await pglite.close().catch(() => {});
    throw startError(dataDir, creating, error);
  }
  if (creating) rmSync(marker, { force: true });
  return pglite;
}

/**
 * Fills a new data directory from the migrated snapshot the package ships, when there is one this PGlite can open:
 * PGlite then resumes it instead of running initdb, and `migrate()` finds the package's migrations applied (or only
 * the ones newer than the snapshot pending). Without one, PGlite runs initdb as before.
 */
async function fromShippedSnapshot(dataDir: string): Promise<void> {
  const snapshot = shippedDataDir();
  if (snapshot) await writeDataDir(snapshot, dataDir);
}

function diskFull(dataDir: string, doing: 'lock' | 'create' | 'start', cause: unknown): DiskFullError {
  const free = freeBytes(dataDir);
  return new DiskFullError(
    `no space left on the device of ${dataDir} (${free === undefined ? 'free space unknown' : `${formatBytes(free)} free`}` +
      `): cannot ${doing} the PGlite data directory, which needs about ${formatBytes(START_HEADROOM_BYTES)} free to ` +
      'start; free some space and run again. The rows already stored are intact.',
    { path: dataDir, neededBytes: START_HEADROOM_BYTES, freeBytes: free, cause },
  );
}

function startError(dataDir: string, creating: boolean, error: unknown): TqsError {
  if (error instanceof TqsError) return error;
  const free = freeBytes(dataDir);
  if (isNoSpaceError(error) || (free !== undefined && free < START_HEADROOM_BYTES)) return diskFull(dataDir, 'start', error);
  const reason = error instanceof Error ? error.message.split('\n')[0] : String(error);
  if (creating) {
    return new DataDirError(`cannot create the PGlite data directory ${dataDir}: ${reason}`, dataDir, { cause: error });
  }
  const found = entries(dataDir);
  const looksLikeOne = found.includes('PG_VERSION') && found.includes('global') && found.includes('base');
  return new DataDirError(
    `the PGlite data directory ${dataDir} will not open (PostgreSQL ${readVersion(dataDir) ?? '?'}, ${found.length} ` +
      `entries${looksLikeOne ? '' : ', not a complete data directory'}; PGlite said: ${reason}): it may be damaged ` +
      '(copied while in use, a disk error) or written by another program. Restore it from a backup (a dumpDataDir() ' +
      'tarball, or a copy taken while no process had it open) or move it away to start afresh. It was left untouched.',
    dataDir,
    { cause: error },
  );
}
