import { createExclusive, pidAlive, processStart } from '../util/lock-file';
import { readFileSync, rmSync, statSync, utimesSync } from 'node:fs';
import { hostname } from 'node:os';

/*
 * A lock file says which process builds a snapshot, so that the other workers of a cache wait for its file instead of
 * building it too. It names its owner by pid, the process's start time (from /proc, so a reused pid is told apart)
 * and host; it is created complete (written under a temporary name, then hard-linked into place), so a lock file that
 * is empty or holds anything else was not written by a live worker of this cache, and is taken over at once.
 */

/** How often the owner of a lock touches it, so that a worker on another host can tell it is still alive. */
const HEARTBEAT_MS = 2_000;
/** A lock from another host not touched for this long belongs to a worker that is gone. */
const HEARTBEAT_STALE_MS = 30_000;

interface LockOwner {
  pid: number;
  /** Field 22 of /proc/<pid>/stat (clock ticks after boot); null where there is no /proc. */
  start: string | null;
  host: string;
}

let self: LockOwner | undefined;
const me = (): LockOwner => (self ??= { pid: process.pid, start: processStart('self') ?? null, host: hostname() });

function parseOwner(text: string): LockOwner | undefined {
  try {
    const owner = JSON.parse(text) as Partial<LockOwner>;
    if (!Number.isInteger(owner.pid) || typeof owner.host !== 'string') return undefined;
    if (owner.start !== null && typeof owner.start !== 'string') return undefined;
    return owner as LockOwner;
  } catch {
    return undefined;
  }
}

/**
 * Creates `lock` naming this process, or returns false when it exists. Throws when the folder cannot be written
 * (read-only, no permission, not a folder): the caller reports that and goes on without the file cache.
 */
export function tryLock(lock: string): boolean {
  return createExclusive(lock, JSON.stringify(me()));
}

/** Why a lock does not hold back a worker any more, or undefined while its owner may still be building. */
export function lockIsAbandoned(lock: string): string | undefined {
  let text: string;
  let touched: number;
  try {
    text = readFileSync(lock, 'utf8');
    touched = statSync(lock).mtimeMs;
  } catch {
    return 'released';
  }
  const owner = parseOwner(text);
  if (!owner) return text.trim() === '' ? 'an empty lock file' : 'a lock file not written by a worker of this cache';
  if (owner.host !== me().host) {
    return Date.now() - touched > HEARTBEAT_STALE_MS ? `its owner on ${owner.host} stopped touching it` : undefined;
  }
  if (owner.pid === process.pid) return owner.start === me().start ? undefined : 'its owner exited';
  if (!pidAlive(owner.pid)) return `its owner (pid ${owner.pid}) exited`;
  const start = processStart(owner.pid);
  if (owner.start !== null && start !== undefined && start !== owner.start) return `pid ${owner.pid} is another process now`;
  return undefined;
}

/**
 * Holds a lock taken with {@link tryLock}: touches it while the build runs, and returns the function that releases
 * it (deleting the file only while it is still this process's, never a lock another worker took over meanwhile).
 */
export function holdLock(lock: string): () => void {
  const mine = JSON.stringify(me());
  const heartbeat = setInterval(() => {
    try {
      const now = new Date();
      utimesSync(lock, now, now);
    } catch {
      // Gone or taken over: the release below checks.
    }
  }, HEARTBEAT_MS);
  heartbeat.unref();
  return () => {
    clearInterval(heartbeat);
    try {
      if (readFileSync(lock, 'utf8') === mine) rmSync(lock, { force: true });
    } catch {
      // Already gone.
    }
  };
}
