import { statfsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { DiskFullError } from '../../errors';
import { errorChain } from '../../util/error-chain';
import { formatBytes, formatCount } from '../../util/format';

/** Bytes a PGlite data directory needs free to start: PostgreSQL may create a new 16 MB WAL segment on start. */
export const START_HEADROOM_BYTES = 32 * 1024 * 1024;

/**
 * The bytes an unprivileged process may still write on the file system holding `path` (or its nearest existing
 * parent), or undefined where the platform cannot tell.
 *
 * @example
 * if ((freeBytes('.tqs/pglite') ?? Infinity) < START_HEADROOM_BYTES) console.error('the disk is nearly full');
 */
export function freeBytes(path: string): number | undefined {
  let current = resolve(path);
  for (let depth = 0; depth < 64; depth++) {
    try {
      const stats = statfsSync(current);
      return Number(stats.bavail) * Number(stats.bsize);
    } catch (error) {
      const parent = dirname(current);
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT' || parent === current) return undefined;
      current = parent;
    }
  }
  return undefined;
}

/** Whether an error (or one behind it) is the operating system's or PostgreSQL's "no space left on device". */
export const isNoSpaceError = (error: unknown): boolean => {
  for (const link of errorChain(error)) {
    const { code, message } = link as { code?: unknown; message?: unknown };
    if (code === 'ENOSPC' || code === '53100') return true;
    if (typeof message === 'string' && /no space left on device/i.test(message)) return true;
  }
  return false;
};

/*
 * What a load costs on disk in a PGlite data directory: about 1 KB per row for the table, its indexes and the WAL,
 * plus the WAL segment PostgreSQL may need to start next time. Only a load that obviously cannot fit is refused.
 */
const BYTES_PER_ROW = 1024;

/** The free-space side of a load: a check before it, and the error to throw should it fail. */
export interface LoadSpace {
  /**
   * Refuses a load that obviously will not fit, before anything is written.
   *
   * @throws {DiskFullError} the file system has less free space than the load needs.
   */
  check(): void;
  /** The error of a failed load: a {@link DiskFullError} when it ran out of space, `error` itself otherwise. */
  failure(error: unknown): unknown;
}

/** Where the server watches its own disk (PostgreSQL reports 53100) or nothing is written to one (in memory). */
export const UNWATCHED_SPACE: LoadSpace = { check: () => {}, failure: (error) => error };

/**
 * The free-space side of a load of `rows` rows into the PGlite data directory `dataDir` (PGlite's own spelling:
 * `memory://` for in-memory, a `file://` prefix allowed).
 *
 * @example
 * const space = loadSpace(pglite.dataDir, 3814);
 * space.check(); // throws DiskFullError when about 36 MiB are not free
 */
export function loadSpace(dataDir: string | undefined, rows: number): LoadSpace {
  if (dataDir === undefined || dataDir === '' || dataDir.startsWith('memory://')) return UNWATCHED_SPACE;
  const path = dataDir.replace(/^file:\/\//, '');
  const neededBytes = rows * BYTES_PER_ROW + START_HEADROOM_BYTES;
  const fail = (free: number | undefined, what: string, cause?: unknown) =>
    new DiskFullError(
      `${what}: loading ${formatCount(rows)} rows needs about ${formatBytes(neededBytes)} in ${path}, and its file ` +
        `system has ${free === undefined ? 'an unknown amount' : formatBytes(free)} free; free some space or load ` +
        'fewer rows. Nothing was written; the rows already stored are intact.',
      { path, neededBytes, freeBytes: free, cause },
    );
  return {
    check() {
      const free = freeBytes(path);
      if (free !== undefined && free < neededBytes) throw fail(free, 'not enough disk space');
    },
    failure(error) {
      // On a full disk PGlite reports a follow-on error (`cannot drop active portal`), so a failed load that left less
      // than the start headroom counts as one too.
      const free = freeBytes(path);
      if (!isNoSpaceError(error) && (free === undefined || free >= START_HEADROOM_BYTES)) return error;
      return fail(free, 'the disk filled up during the load, which was rolled back', error);
    },
  };
}
