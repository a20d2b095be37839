import {
  closeSync,
  existsSync,
  fstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmdirSync,
  rmSync,
  statSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import { sleep } from '../util';
import { type SnapshotImage, snapshotImage } from './snapshot';
import { decodeSnapshotFile, encodeSnapshotFile } from '../db/pglite/snapshot-file';
import { holdLock, lockIsAbandoned, tryLock } from './snapshot-lock';

/*
 * The snapshots of this process, by key. A promise, so that concurrent calls for one key share one build; a failed
 * build is forgotten, so the next call tries again.
 */
const memory = new Map<string, Promise<SnapshotImage>>();
/** Snapshot files this process knows to be on disk, so a memory hit writes a missing file only once. */
const onDisk = new Set<string>();
/** Keys whose snapshot came with the package: never copied into a `cacheDir`, where it would only take room. */
const fromPackage = new Set<string>();
/** What this process already warned about, so that a suite of a thousand tests prints each problem once. */
const warned = new Set<string>();

const stats = { builds: 0, diskReads: 0 };

/**
 * How long a process waits for another worker that is building the same snapshot before building it itself. A wait
 * ends sooner when the lock's owner is gone; this bounds the wait on one that is alive but stuck.
 */
export const LOCK_WAIT_MS = 60_000;
const POLL_MS = 100;
/** A partial write older than this was left by a process that died while writing. */
const PARTIAL_STALE_MS = 600_000;
/** Snapshot files unused for this long are deleted when a new one is written (old migrations, old versions). */
const PRUNE_AFTER_MS = 14 * 24 * 3600_000;

/**
 * How many snapshots this process built and read from disk (a `cacheDir` or the package) since it started. For this
 * package's own tests: they check that concurrent calls build once and that a second process reads the file instead
 * of building.
 *
 * @internal
 */
export function snapshotCacheStats(): { builds: number; diskReads: number } {
  return { ...stats };
}

/** Forgets the snapshots held in this process's memory. */
export function clearSnapshotMemory(): void {
  memory.clear();
  onDisk.clear();
  fromPackage.clear();
}

/** Prints `message` as a process warning (code `TQS_TESTING_CACHE`), once per `id` in this process. */
export function warnOnce(id: string, message: string): void {
  if (warned.has(id)) return;
  warned.add(id);
  process.emitWarning(`@tqs/data/testing: ${message}`, { code: 'TQS_TESTING_CACHE' });
}

const describeError = (error: unknown) => {
  const e = error as NodeJS.ErrnoException;
  return e.code ? `${e.code}: ${e.message.replace(/^\w+: /, '').replace(/, \w+ '.*'$/, '')}` : String(e.message ?? error);
};

/** The file a snapshot is kept in under `cacheDir`. */
export function snapshotFile(cacheDir: string, key: string): string {
  return join(cacheDir, `tqs-data-${key}.snapshot`);
}

/** Where the snapshot for a key may come from besides a build. */
export interface SnapshotSources {
  /** A folder shared by the processes and runs of a suite. */
  cacheDir?: string | undefined;
  /** The snapshot shipped with the package for this key, if there is one (checked, so never a stale one). */
  shipped?: () => Uint8Array | undefined;
  /** How long to wait for another worker's build; {@link LOCK_WAIT_MS} unless a test needs it shorter. */
  lockWaitMs?: number;
}

/**
 * The snapshot for `key`: from this process's memory, else from `cacheDir` when given, else the one shipped with the
 * package, else built (and then written to `cacheDir`). Across processes sharing `cacheDir` (vitest workers), one
 * builds while the others wait, for a bounded time, for its file. A `cacheDir` that cannot be used is reported once
 * and the snapshot is built without it; a damaged file is reported and built again. Neither is an error.
 */
export function cachedSnapshot(
  key: string,
  build: () => Promise<Uint8Array>,
  sources: SnapshotSources = {},
): Promise<SnapshotImage> {
  const { cacheDir } = sources;
  let pending = memory.get(key);
  if (pending) {
    if (cacheDir === undefined || fromPackage.has(key)) return pending;
    return pending.then((image) => {
      ensureOnDisk(snapshotFile(cacheDir, key), key, image.tar);
      return image;
    });
  }
  const counted = async () => {
    stats.builds++;
    return build();
  };
  const shipped = () => {
    const tar = sources.shipped?.();
    if (tar) {
      stats.diskReads++;
      fromPackage.add(key);
    }
    return tar;
  };
  pending = (async () => {
    const tar =
      cacheDir === undefined
        ? (shipped() ?? (await counted()))
        : await readOrBuild(snapshotFile(cacheDir, key), key, counted, shipped, sources.lockWaitMs ?? LOCK_WAIT_MS);
    return snapshotImage(tar);
  })();
  memory.set(key, pending);
  pending.catch(() => {
    if (memory.get(key) === pending) memory.delete(key);
  });
  return pending;
}

/**
 * The snapshot in `file`, or undefined when there is none or it is not whole: any changed byte fails its checksum,
 * and a file of another key or format is refused. Such a file is deleted (it is rebuilt) and reported once.
 */
function readSnapshotFile(file: string, key: string): Uint8Array | undefined {
  let bytes: Uint8Array;
  let inode: number;
  try {
    const fd = openSync(file, 'r');
    try {
      inode = fstatSync(fd).ino;
      bytes = readFileSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch {
    return undefined; // none yet; a folder that cannot be used is reported when writing
  }
  const decoded = decodeSnapshotFile(bytes, key);
  let problem: string | undefined = 'problem' in decoded ? decoded.problem : undefined;
  if (!problem && 'tar' in decoded) {
    try {
      snapshotImage(decoded.tar);
    } catch {
      problem = 'not a PGlite data directory';
    }
  }
  if (problem || !('tar' in decoded)) {
    warnOnce(`damaged ${file}`, `snapshot file ${file} is not usable (${problem}); building it again.`);
    try {
      // Only the file that was read: another worker may have just renamed a good one into its place.
      if (statSync(file).ino === inode) rmSync(file, { force: true });
    } catch {
      // Gone already, or a read-only folder: the rebuilt snapshot stays in memory.
    }
    return undefined;
  }
  stats.diskReads++;
  onDisk.add(file);
  try {
    // Marks it used, so pruning keeps it.
    const now = new Date();
    utimesSync(file, now, now);
  } catch {
    // A read-only cache still works.
  }
  return decoded.tar;
}

/** Written under a temporary name and renamed: a reader in another process never sees half a snapshot. */
function writeSnapshotFile(file: string, key: string, tar: Uint8Array): void {
  const dir = dirname(file);
  mkdirSync(dir, { recursive: true });
  const partial = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}.partial`;
  try {
    writeFileSync(partial, encodeSnapshotFile(key, tar));
    renameSync(partial, file);
  } finally {
    rmSync(partial, { force: true });
  }
  onDisk.add(file);
  prune(dir);
}

/** Writes the file, or says once why it could not: not fatal, only the next process pays for the build again. */
function writeCacheFile(file: string, key: string, tar: Uint8Array): void {
  try {
    writeSnapshotFile(file, key, tar);
  } catch (error) {
    warnOnce(`write ${dirname(file)}`, `cannot write to cacheDir ${dirname(file)} (${describeError(error)}); test databases are built without the file cache.`);
  }
}

function ensureOnDisk(file: string, key: string, tar: Uint8Array): void {
  if (onDisk.has(file)) return;
  onDisk.add(file);
  try {
    statSync(file);
  } catch {
    writeCacheFile(file, key, tar);
  }
}

/** Deletes this package's snapshot files in `dir` that nothing used lately, and leftovers of interrupted writes. */
function prune(dir: string): void {
  const now = Date.now();
  for (const name of readdirSync(dir)) {
    if (!name.startsWith('tqs-data-')) continue;
    const path = join(dir, name);
    try {
      const age = now - statSync(path).mtimeMs;
      const snapshot = name.endsWith('.snapshot') || name.endsWith('.tar'); // .tar: the format of 0.1
      const leftover = name.endsWith('.partial') || name.endsWith('.tmp');
      if ((snapshot && age > PRUNE_AFTER_MS) || (leftover && age > PARTIAL_STALE_MS)) rmSync(path, { force: true });
    } catch {
      // Deleted by another process meanwhile.
    }
  }
}

/** Why `cacheDir` cannot hold snapshots, in a few words. */
function unusableReason(cacheDir: string, error: unknown): string {
  try {
    if (!statSync(cacheDir).isDirectory()) return 'it is a file, not a folder';
  } catch {
    // Missing, or a parent is a file: the error says which.
  }
  if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
    // A recursive mkdir says ENOENT where it could not create a missing parent (e.g. on a read-only file system):
    // creating the first missing folder alone gives the cause.
    let missing = cacheDir;
    while (dirname(missing) !== missing && !existsSync(dirname(missing))) missing = dirname(missing);
    try {
      mkdirSync(missing);
      rmdirSync(missing);
    } catch (cause) {
      return describeError(cause);
    }
  }
  return describeError(error);
}

async function readOrBuild(
  file: string,
  key: string,
  build: () => Promise<Uint8Array>,
  shipped: () => Uint8Array | undefined,
  waitMs: number,
): Promise<Uint8Array> {
  const cacheDir = dirname(file);
  const lock = `${file}.lock`;
  const deadline = Date.now() + waitMs;
  for (;;) {
    const cached = readSnapshotFile(file, key) ?? shipped();
    if (cached) return cached;
    if (Date.now() >= deadline) {
      warnOnce(`wait ${lock}`, `another worker has held ${lock} for over ${waitMs} ms; building the snapshot here too.`);
      const built = await build();
      writeCacheFile(file, key, built);
      return built;
    }
    let locked: boolean;
    try {
      mkdirSync(cacheDir, { recursive: true });
      locked = tryLock(lock);
    } catch (error) {
      warnOnce(
        `write ${cacheDir}`,
        `cannot use cacheDir ${cacheDir} (${unusableReason(cacheDir, error)}); test databases are built without the file cache.`,
      );
      return build();
    }
    if (locked) {
      const release = holdLock(lock);
      try {
        // Another process may have finished between our read and our lock.
        const built = readSnapshotFile(file, key) ?? (await build());
        if (!onDisk.has(file)) writeCacheFile(file, key, built);
        return built;
      } finally {
        release();
      }
    }
    const abandoned = lockIsAbandoned(lock);
    if (abandoned) {
      try {
        rmSync(lock, { force: true });
        continue;
      } catch (error) {
        warnOnce(`lock ${lock}`, `cannot remove ${lock} (${abandoned}; ${describeError(error)}); building without waiting.`);
        return build();
      }
    }
    await sleep(POLL_MS);
  }
}
