import { type DriverSession } from '../db/client';
import { freeBytes, isNoSpaceError, START_HEADROOM_BYTES } from '../db/free-space';
import { DiskFullError } from '../errors';
import { formatBytes, formatCount } from '../util/format';

/*
 * What a load costs on disk in a PGlite data directory, measured (24,400 rows of a generated dataset grew a data
 * directory by 24 MB, a new 16 MB WAL segment included): about 1 KB per row for the table, its indexes and the WAL,
 * plus the WAL segment PostgreSQL may need to start next time. Only a load that obviously cannot fit is refused.
 */
const BYTES_PER_ROW = 1024;

/** Where a load writes and what it needs: known for a PGlite data directory only (a server reports its own 53100). */
export interface SpaceNeed {
  path: string;
  rows: number;
  neededBytes: number;
}

/**
 * The space a load of `rows` rows needs, for a PGlite data directory; undefined for in-memory PGlite and PostgreSQL.
 *
 * @example
 * spaceNeed(rawClient(db), datasetRows(dataset)); // { path: '.tqs/pglite', rows: 3814, neededBytes: 37_259_264 }
 */
export function spaceNeed(session: DriverSession, rows: number): SpaceNeed | undefined {
  // Inside a caller's transaction the load is part of theirs: its data directory is theirs to watch.
  if (session.backend !== 'pglite' || session.inTransaction) return undefined;
  const dataDir = session.client.dataDir;
  if (dataDir === undefined || dataDir === '' || dataDir.startsWith('memory://')) return undefined;
  const path = dataDir.replace(/^file:\/\//, '');
  return { path, rows, neededBytes: rows * BYTES_PER_ROW + START_HEADROOM_BYTES };
}

const message = (need: SpaceNeed, free: number | undefined, what: string) =>
  `${what}: loading ${formatCount(need.rows)} rows needs about ${formatBytes(need.neededBytes)} in ${need.path}, ` +
  `and its file system has ${free === undefined ? 'an unknown amount' : formatBytes(free)} free; free some space or ` +
  'load fewer rows. Nothing was written; the rows already stored are intact.';

/**
 * Refuses a load that obviously will not fit, before anything is written.
 *
 * @throws {DiskFullError} the file system has less free space than the load needs.
 * @example
 * checkSpace(spaceNeed(rawClient(db), dataset)); // throws DiskFullError when it will not fit
 */
export function checkSpace(need: SpaceNeed | undefined): void {
  if (need === undefined) return;
  const free = freeBytes(need.path);
  if (free === undefined || free >= need.neededBytes) return;
  throw new DiskFullError(message(need, free, 'not enough disk space'), {
    path: need.path,
    neededBytes: need.neededBytes,
    freeBytes: free,
  });
}

/**
 * The error of a load that ran out of space, as a {@link DiskFullError}; `error` itself otherwise. On a full disk
 * PGlite reports a follow-on error (`cannot drop active portal`), so a failed load into a file system left with less
 * than the start headroom counts as one too.
 *
 * @example
 * throw diskFullOr(error, spaceNeed(rawClient(db), dataset));
 */
export function diskFullOr(error: unknown, need: SpaceNeed | undefined): unknown {
  if (need === undefined) return error;
  const free = freeBytes(need.path);
  if (!isNoSpaceError(error) && (free === undefined || free >= START_HEADROOM_BYTES)) return error;
  return new DiskFullError(message(need, free, 'the disk filled up during the load, which was rolled back'), {
    path: need.path,
    neededBytes: need.neededBytes,
    freeBytes: free,
    cause: error,
  });
}
