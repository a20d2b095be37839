import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  utimesSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import { type SnapshotImage, snapshotImage } from './snapshot';

/*
 * The snapshots of this process, by key. A promise, so that concurrent calls for one key share one build; a failed
 * build is forgotten, so the next call tries again.
 */
const memory = new Map<string, Promise<SnapshotImage>>();
/** Snapshot files this process knows to be on disk, so a memory hit writes a missing file only once. */
const onDisk = new Set<string>();

const stats = { builds: 0, diskReads: 0 };

/** How long a process waits for another one that is building the same snapshot before building it itself. */
const LOCK_WAIT_MS = 180_000;
/** A lock older than this is left over from a process that died mid-build. */
const LOCK_STALE_MS = 600_000;
/** Snapshot files unused for this long are deleted when a new one is written (old migrations, old versions). */
const PRUNE_AFTER_MS = 14 * 24 * 3600_000;

/**
 * How many snapshots this process built and read from disk since it started. For this package's own tests: they
 * check that concurrent calls build once and that a second process reads the file instead of building.
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
}

/** The file a snapshot is kept in under `cacheDir`. */
function snapshotFile(cacheDir: string, key: string): string {
  return join(cacheDir, `tqs-data-${key}.tar`);
}

/**
 * The snapshot for `key`: from this process's memory, else from `cacheDir` when given, else built (and then written
 * to `cacheDir`). Across processes sharing `cacheDir` (vitest workers), one builds while the others wait for its file.
 */
export function cachedSnapshot(
  key: string,
  cacheDir: string | undefined,
  build: () => Promise<Uint8Array>,
): Promise<SnapshotImage> {
  let pending = memory.get(key);
  if (pending) {
    if (cacheDir === undefined) return pending;
    return pending.then((image) => {
      ensureOnDisk(snapshotFile(cacheDir, key), image.tar);
      return image;
    });
  }
  const counted = async () => {
    stats.builds++;
    return build();
  };
  pending = (async () => {
    const tar = cacheDir === undefined ? await counted() : await readOrBuild(snapshotFile(cacheDir, key), counted);
    return snapshotImage(tar);
  })();
  memory.set(key, pending);
  pending.catch(() => {
    if (memory.get(key) === pending) memory.delete(key);
  });
  return pending;
}

/** The file's snapshot, or undefined when there is none or it is not a valid one (which is then deleted). */
function readSnapshotFile(file: string): Uint8Array | undefined {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(file);
  } catch {
    return undefined;
  }
  try {
    snapshotImage(bytes);
  } catch {
    rmSync(file, { force: true });
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
  return bytes;
}

/** Written under a temporary name and renamed: a reader in another process never sees half a snapshot. */
function writeSnapshotFile(file: string, tar: Uint8Array): void {
  const dir = join(file, '..');
  mkdirSync(dir, { recursive: true });
  const partial = `${file}.${process.pid}.${Date.now()}.partial`;
  try {
    writeFileSync(partial, tar);
    renameSync(partial, file);
  } finally {
    rmSync(partial, { force: true });
  }
  onDisk.add(file);
  prune(dir);
}

function ensureOnDisk(file: string, tar: Uint8Array): void {
  if (onDisk.has(file)) return;
  onDisk.add(file);
  try {
    if (!existsSync(file)) writeSnapshotFile(file, tar);
  } catch {
    // The cache is an optimisation: a folder that cannot be written to only costs a rebuild next time.
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
      if ((name.endsWith('.tar') && age > PRUNE_AFTER_MS) || (name.endsWith('.partial') && age > LOCK_STALE_MS)) {
        rmSync(path, { force: true });
      }
    } catch {
      // Deleted by another process meanwhile.
    }
  }
}

function tryLock(lock: string): boolean {
  try {
    mkdirSync(join(lock, '..'), { recursive: true });
    const fd = openSync(lock, 'wx');
    try {
      writeSync(fd, String(process.pid));
    } finally {
      closeSync(fd);
    }
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  }
}

/** A lock whose process has exited, or that is older than any build takes. */
function lockIsStale(lock: string): boolean {
  try {
    if (Date.now() - statSync(lock).mtimeMs > LOCK_STALE_MS) return true;
    const pid = Number(readFileSync(lock, 'utf8'));
    if (!Number.isInteger(pid) || pid <= 0) return false; // being written right now
    process.kill(pid, 0);
    return false;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return code === 'ESRCH' || code === 'ENOENT';
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function readOrBuild(file: string, build: () => Promise<Uint8Array>): Promise<Uint8Array> {
  const lock = `${file}.lock`;
  const deadline = Date.now() + LOCK_WAIT_MS;
  for (;;) {
    const cached = readSnapshotFile(file);
    if (cached) return cached;
    if (tryLock(lock)) {
      try {
        // Another process may have finished between our read and our lock.
        const built = readSnapshotFile(file) ?? (await build());
        if (!onDisk.has(file)) writeCacheFile(file, built);
        return built;
      } finally {
        rmSync(lock, { force: true });
      }
    }
    if (lockIsStale(lock)) {
      rmSync(lock, { force: true });
      continue;
    }
    if (Date.now() > deadline) {
      const built = await build();
      writeCacheFile(file, built);
      return built;
    }
    await sleep(50);
  }
}

function writeCacheFile(file: string, tar: Uint8Array): void {
  try {
    writeSnapshotFile(file, tar);
  } catch {
    // Not fatal: the snapshot is in memory; only the next process pays for the build.
  }
}
