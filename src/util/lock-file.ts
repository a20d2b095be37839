import { existsSync, linkSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { dirname } from 'node:path';

/*
 * The pieces both lock files of the package share (a PGlite data directory's, and a test-snapshot build's): naming a
 * process so that a reused pid is told apart, telling whether it still runs, and creating a lock file complete.
 */

/**
 * The start time of a process, in clock ticks after boot (field 22 of /proc/<pid>/stat); undefined where it cannot be
 * read (no /proc, or no such process). With the pid, it names a process: a reused pid has another start time.
 *
 * @example
 * processStart('self'); // '123456'
 */
export function processStart(pid: number | 'self'): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8').trim();
    // The command name (field 2) is in parentheses and may hold spaces: count fields after its closing one.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

/**
 * Whether a process with `pid` runs on this host (one of another user's counts as running).
 *
 * @example
 * pidAlive(process.pid); // true
 */
export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Creates `path` holding `content`, complete or not at all: written under a temporary name, then hard-linked into
 * place, so no reader ever sees it empty or half-written. False when `path` exists already; throws when the folder
 * cannot be written.
 *
 * @example
 * if (!createExclusive('.tqs/pglite.lock', JSON.stringify(owner))) console.log('held by another process');
 */
export function createExclusive(path: string, content: string): boolean {
  const temporary = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    writeFileSync(temporary, content, { flag: 'wx' });
  } catch (error) {
    throw unwritableLock(path, error);
  }
  try {
    linkSync(temporary, path);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  } finally {
    rmSync(temporary, { force: true });
  }
}

/** Why a lock file cannot be created in its folder, in one line naming both, with the system's code kept. */
function unwritableLock(path: string, error: unknown): Error {
  const code = (error as NodeJS.ErrnoException).code;
  const folder = dirname(path);
  const why =
    (code === 'ENOENT' && !existsSync(folder)) || code === 'ENOTDIR'
      ? `the folder ${folder} does not exist: create it, or choose another location`
      : code === 'EACCES' || code === 'EPERM'
        ? `this user may not write in ${folder}: grant write access, or choose another location`
        : code === 'EROFS'
          ? `${folder} is on a read-only file system: choose another location`
          : code === 'ENOSPC' || code === 'EDQUOT'
            ? `the disk holding ${folder} is full: free some space`
            : `${folder} cannot be written`;
  return Object.assign(new Error(`cannot create the lock file ${path}: ${why}${code ? ` (${code})` : ''}`, { cause: error }), {
    code,
  });
}
