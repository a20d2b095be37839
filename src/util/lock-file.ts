import { linkSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';

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
  writeFileSync(temporary, content, { flag: 'wx' });
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
