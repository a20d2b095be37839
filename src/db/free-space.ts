import { statfsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { errorChain } from '../util/error-chain';

/** Bytes a PGlite data directory needs free to start: PostgreSQL may create a new 16 MB WAL segment on start. */
export const START_HEADROOM_BYTES = 32 * 1024 * 1024;

/**
 * The bytes an unprivileged process may still write on the file system holding `path` (or its nearest existing
 * parent), or undefined where the platform cannot tell.
 *
 * @example
 * freeBytes('.tqs/pglite'); // 81234567
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
