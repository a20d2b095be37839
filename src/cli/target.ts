import { existsSync } from 'node:fs';
import { createDatabase, type TqsDatabase } from '../db';
import { redactUrl } from '../errors';
import { integerOption, type ParsedOptions } from './command';

/** The embedded database the CLI uses when no PostgreSQL URL is given. */
export const DEFAULT_DATA_DIR = '.tqs/pglite';

/** Where a command's database is: a PostgreSQL URL, or a PGlite data directory. */
export type Target = { kind: 'postgres'; url: string; socketTimeout?: number } | { kind: 'pglite'; dataDir: string };

/** Seconds of silence after which the CLI gives up on a PostgreSQL connection (`--socket-timeout`). */
export const DEFAULT_SOCKET_TIMEOUT = 120;

/** `--database-url`, else `$DATABASE_URL`, else `--data-dir`, else `.tqs/pglite`. */
export function resolveTarget(options: ParsedOptions, env: NodeJS.ProcessEnv): Target {
  const url = (options['database-url'] as string | undefined) ?? (env.DATABASE_URL || undefined);
  const socketTimeout = integerOption(options, 'socket-timeout', DEFAULT_SOCKET_TIMEOUT, { min: 1 });
  if (url !== undefined) return { kind: 'postgres', url, ...(socketTimeout !== undefined ? { socketTimeout } : {}) };
  return { kind: 'pglite', dataDir: (options['data-dir'] as string | undefined) ?? DEFAULT_DATA_DIR };
}

/** The target in words, with any password removed. */
export function describeTarget(target: Target): string {
  return target.kind === 'postgres'
    ? `PostgreSQL ${redactUrl(target.url)}`
    : `embedded PGlite ${target.dataDir}${existsSync(target.dataDir) ? '' : ' (new)'}`;
}

/** Opens the target database. */
export function openTarget(target: Target): Promise<TqsDatabase> {
  return target.kind === 'postgres'
    ? createDatabase({ url: target.url, ...(target.socketTimeout !== undefined ? { socketTimeout: target.socketTimeout } : {}) })
    : createDatabase({ dataDir: target.dataDir });
}

/** Opens the target, runs `body`, and closes the database whatever happens. */
export async function withTarget<T>(target: Target, body: (db: TqsDatabase) => Promise<T>): Promise<T> {
  const db = await openTarget(target);
  try {
    return await body(db);
  } finally {
    await db.close();
  }
}
