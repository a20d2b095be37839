import { createExclusive, pidAlive, processStart } from '../../util/lock-file';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, rmdirSync, statSync, unlinkSync } from 'node:fs';
import { hostname } from 'node:os';
import { basename, dirname, resolve } from 'node:path';
import { DataDirLockedError } from '../../errors';

/*
 * PGlite is single-process: two processes on one data directory lose rows or corrupt it. Node has no flock, so the
 * lock is a file beside the directory (inside, `dumpDataDir()` would carry it away), created atomically with link(2)
 * and naming its holder by pid, process start time, boot id and host, so that a reused pid is not taken for it. A
 * stale lock is taken over under a short-lived directory, so that two processes that find it stale do not race.
 */

/** What a lock file holds. */
interface LockHolder {
  pid: number;
  /** Clock ticks since boot when the process started (/proc/<pid>/stat field 22); undefined off Linux. */
  start: string | undefined;
  boot: string | undefined;
  host: string;
  /** Unique per acquisition: release removes the file only while it is still this one. */
  nonce: string;
  /** What the holder runs, for the message of a refused opener. */
  command: string;
  since: string;
}

/** A held lock; `release()` removes it (once; later calls do nothing). */
export interface DataDirLock {
  readonly path: string;
  release(): void;
}

/** A takeover directory older than this belongs to a process that died in the middle of one: removed. */
const STALE_TAKEOVER_MS = 10_000;
const MAX_ATTEMPTS = 5;

const readText = (path: string): string | undefined => {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
    return undefined;
  }
};

const bootId = () => readText('/proc/sys/kernel/random/boot_id');

/** Whether the process that wrote `holder` still runs; always true for a holder on another host (it cannot be checked). */
function holderAlive(holder: LockHolder): boolean {
  if (holder.host !== hostname()) return true;
  const boot = bootId();
  if (holder.boot !== undefined && boot !== undefined && holder.boot !== boot) return false;
  if (!pidAlive(holder.pid)) return false;
  const start = processStart(holder.pid);
  return holder.start === undefined || start === undefined || start === holder.start;
}

function parseHolder(text: string | undefined): LockHolder | undefined {
  if (text === undefined) return undefined;
  try {
    const holder = JSON.parse(text) as LockHolder;
    return typeof holder.pid === 'number' && typeof holder.nonce === 'string' ? holder : undefined;
  } catch {
    return undefined;
  }
}


/** Removes the lock file at `path` if it still holds `text`, under the takeover directory. */
function takeOver(path: string, text: string | undefined): void {
  const takeover = `${path}.takeover`;
  try {
    mkdirSync(takeover);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    try {
      if (Date.now() - statSync(takeover).mtimeMs > STALE_TAKEOVER_MS) rmdirSync(takeover);
    } catch {
      // gone already: the next attempt tries again
    }
    return;
  }
  try {
    if (readText(path) === text) {
      // Renamed first, so that the file removed is the one read, even if another process replaces it meanwhile.
      const aside = `${path}.${process.pid}.stale`;
      renameSync(path, aside);
      unlinkSync(aside);
    }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  } finally {
    rmdirSync(takeover);
  }
}

function lockedMessage(dataDir: string, holder: LockHolder): string {
  const who = holder.pid === process.pid && holder.host === hostname() ? 'this process' : `process ${holder.pid}`;
  const where = holder.host === hostname() ? '' : ` on host ${holder.host}`;
  return (
    `the PGlite data directory ${dataDir} is in use by ${who}${where} (${holder.command}, since ${holder.since}): ` +
    'PGlite allows one process per data directory; wait for it to finish or stop it, then run again. Nothing was changed.'
  );
}

/**
 * Takes the exclusive lock of a PGlite data directory, held until `release()`: a second opener, in this process or
 * another, gets a {@link DataDirLockedError} at once, naming the directory and the holder's pid. A lock left by a
 * process that is gone (killed, crashed, a previous boot) is taken over without any manual step.
 *
 * @example
 * const lock = acquireDataDirLock('.tqs/pglite'); // creates .tqs/pglite.lock
 * try { ... } finally { lock.release(); }
 */
export function acquireDataDirLock(dataDir: string): DataDirLock {
  const path = `${resolve(dataDir)}.lock`;
  mkdirSync(dirname(path), { recursive: true });
  const holder: LockHolder = {
    pid: process.pid,
    start: processStart(process.pid),
    boot: bootId(),
    host: hostname(),
    nonce: randomBytes(8).toString('hex'),
    command: [basename(process.argv[1] ?? 'node'), ...process.argv.slice(2)].join(' ').slice(0, 120),
    since: new Date().toISOString(),
  };
  const content = `${JSON.stringify(holder)}\n`;
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    if (createExclusive(path, content)) {
      let released = false;
      return {
        path,
        release() {
          if (released) return;
          released = true;
          if (parseHolder(readText(path))?.nonce === holder.nonce) unlinkSync(path);
        },
      };
    }
    const text = readText(path);
    const current = parseHolder(text);
    if (current && holderAlive(current)) throw new DataDirLockedError(lockedMessage(dataDir, current), dataDir, current.pid);
    // A holder that is gone, or a file that is not a lock at all (empty, truncated by a full disk): take it over.
    takeOver(path, text);
  }
  throw new DataDirLockedError(
    `the PGlite data directory ${dataDir} is being opened by other processes at this moment (lock ${path}): run again.`,
    dataDir,
    0,
  );
}
