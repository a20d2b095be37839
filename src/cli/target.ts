import { existsSync } from 'node:fs';
import {
  assertDataDir,
  createDatabase,
  migrationStatus,
  parseConnectionUrl,
  readMigrations,
  type TqsDatabase,
} from '../db';
import { AbortedError, InvalidOptionError, MigrationsPendingError } from '../errors';
import { redactUrl } from '../util/redact-url';
import { integerOption, type ParsedOptions, UsageError } from './command';

/** The embedded database the CLI uses when no PostgreSQL URL is given. */
export const DEFAULT_DATA_DIR = '.tqs/pglite';

/** Where a command's database is: a PostgreSQL URL, or a PGlite data directory. */
export type Target =
  | { kind: 'postgres'; url: string; socketTimeout?: number; lockTimeout?: number }
  | { kind: 'pglite'; dataDir: string };

/** Seconds of silence after which the CLI gives up on a PostgreSQL connection (`--socket-timeout`). */
export const DEFAULT_SOCKET_TIMEOUT = 120;
/**
 * Seconds a PostgreSQL statement of the CLI waits for a lock before failing with LOCK_TIMEOUT (SQLSTATE 55P03)
 * (`--lock-timeout`), unless its URL sets lock_timeout. On a pooled URL (prepare=false) it is set per transaction.
 */
export const DEFAULT_LOCK_TIMEOUT = 60;

/** Runs `check`, turning its refusal into a usage error (exit 2) named after `flag`. */
function asUsage(flag: string, check: () => void): void {
  try {
    check();
  } catch (error) {
    if (!(error instanceof InvalidOptionError)) throw error;
    throw new UsageError(error.message.replace(new RegExp(`^${error.option}\\b`), flag));
  }
}

/**
 * `--database-url`, else `--data-dir`, else `$DATABASE_URL`, else `.tqs/pglite`; a flag always wins over the
 * environment, and giving both flags is refused. An empty `--database-url` or an empty-but-set `$DATABASE_URL` is a
 * usage error, never a default database; so is a URL that does not parse unambiguously, and a `--data-dir` that holds
 * something other than a PGlite data directory. Checked before any database is opened.
 *
 * @example
 * resolveTarget({ 'database-url': 'postgres://app@db/tqs' }, {}); // { kind: 'postgres', url: 'postgres://app@db/tqs' }
 * resolveTarget({}, { DATABASE_URL: '' });                          // throws UsageError: $DATABASE_URL is set but empty ...
 */
/**
 * `--socket-timeout` (seconds; default {@link DEFAULT_SOCKET_TIMEOUT}) and `--lock-timeout` (seconds; default
 * {@link DEFAULT_LOCK_TIMEOUT} unless `url` sets lock_timeout; 0 leaves it to the server), as a target's fields.
 */
function timeoutsOf(options: ParsedOptions, url: string): { socketTimeout?: number; lockTimeout?: number } {
  const socketTimeout = integerOption(options, 'socket-timeout', DEFAULT_SOCKET_TIMEOUT, { min: 1 });
  const fallback = usesDefaultLockTimeout(url) ? DEFAULT_LOCK_TIMEOUT : undefined;
  const lockTimeout = integerOption(options, 'lock-timeout', fallback, { min: 0 });
  return {
    ...(socketTimeout !== undefined ? { socketTimeout } : {}),
    ...(lockTimeout !== undefined && lockTimeout > 0 ? { lockTimeout } : {}),
  };
}

export function resolveTarget(options: ParsedOptions, env: NodeJS.ProcessEnv): Target {
  const flagUrl = options['database-url'] as string | undefined;
  const dataDir = options['data-dir'] as string | undefined;
  if (flagUrl !== undefined && dataDir !== undefined) throw new UsageError('give --database-url or --data-dir, not both');
  if (flagUrl !== undefined) {
    if (flagUrl.trim() === '') {
      throw new UsageError('--database-url is empty: give a connection string such as postgres://user@host:5432/database, or leave the flag out');
    }
    asUsage('--database-url', () => parseConnectionUrl(flagUrl));
    return { kind: 'postgres', url: flagUrl, ...timeoutsOf(options, flagUrl) };
  }
  if (dataDir !== undefined) {
    asUsage('--data-dir', () => assertDataDir(dataDir));
    return { kind: 'pglite', dataDir };
  }
  const envUrl = env.DATABASE_URL;
  if (envUrl !== undefined) {
    if (envUrl.trim() === '') {
      throw new UsageError(
        `$DATABASE_URL is set but empty: set it to a connection string, unset it to use the embedded database (${DEFAULT_DATA_DIR}), or give --data-dir`,
      );
    }
    asUsage('$DATABASE_URL', () => parseConnectionUrl(envUrl));
    return { kind: 'postgres', url: envUrl, ...timeoutsOf(options, envUrl) };
  }
  asUsage('--data-dir', () => assertDataDir(DEFAULT_DATA_DIR));
  return { kind: 'pglite', dataDir: DEFAULT_DATA_DIR };
}

/** The target in words, with any password removed. */
export function describeTarget(target: Target): string {
  return target.kind === 'postgres'
    ? `PostgreSQL ${redactUrl(target.url)}`
    : `embedded PGlite ${target.dataDir}${existsSync(target.dataDir) ? '' : ' (new)'}`;
}

/**
 * Whether the CLI sets its default lock_timeout on `url`: not when the URL sets one (the user's wins). On a pooled
 * URL (`prepare=false`, which the docs require behind pgbouncer) `createDatabase` sets it per transaction, since
 * pgbouncer refuses it as a startup parameter.
 *
 * @example
 * usesDefaultLockTimeout('postgres://app@db:6432/tqs?options=-c%20lock_timeout%3D5s'); // false
 */
export function usesDefaultLockTimeout(url: string): boolean {
  return !/lock_timeout/.test(url);
}

/** Opens the target database. */
export function openTarget(target: Target): Promise<TqsDatabase> {
  return target.kind === 'postgres'
    ? createDatabase({
        url: target.url,
        ...(target.socketTimeout !== undefined ? { socketTimeout: target.socketTimeout } : {}),
        ...(target.lockTimeout !== undefined ? { lockTimeout: target.lockTimeout } : {}),
      })
    : createDatabase({ dataDir: target.dataDir });
}

/** How long the CLI waits for the database to close after an abort: a frozen network would hold the close for 5 s. */
const CLOSE_AFTER_ABORT_MS = 200;

/**
 * Opens the target, runs `body`, and closes the database whatever happens; after an abort (SIGINT/SIGTERM) on
 * PostgreSQL, waits at most {@link CLOSE_AFTER_ABORT_MS} for the close, so that the process stops within a second (it then exits).
 */
export async function withTarget<T>(target: Target, body: (db: TqsDatabase) => Promise<T>): Promise<T> {
  const db = await openTarget(target);
  let aborted = false;
  try {
    return await body(db);
  } catch (error) {
    // PostgreSQL only: PGlite's close is local and must finish (it releases the data directory).
    aborted = error instanceof AbortedError && target.kind === 'postgres';
    throw error;
  } finally {
    const closed = db.close();
    if (aborted) {
      closed.catch(() => {});
      await Promise.race([closed, new Promise((resume) => setTimeout(resume, CLOSE_AFTER_ABORT_MS).unref())]);
    } else {
      await closed;
    }
  }
}

/**
 * Whether the target's database is there to read: always for PostgreSQL (connecting says otherwise), and for PGlite
 * when its data directory exists. Commands that only read check this first, so that they never create a directory.
 *
 * @example
 * if (!targetExists(target)) io.stdout.write('nothing there yet\n');
 */
export function targetExists(target: Target): boolean {
  return target.kind === 'postgres' || existsSync(target.dataDir);
}

/**
 * The command that migrates this target, for messages.
 *
 * @example
 * migrateCommandFor({ kind: 'pglite', dataDir: 'x' }); // "tqs-data migrate --data-dir x"
 */
export function migrateCommandFor(target: Target): string {
  return target.kind === 'pglite' && target.dataDir !== DEFAULT_DATA_DIR
    ? `tqs-data migrate --data-dir ${target.dataDir}`
    : 'tqs-data migrate';
}

/**
 * Opens a target that must exist and be migrated, runs `body`, and closes it: the way into every command that reads
 * or writes the schema without migrating it. A missing PGlite directory is not created, and a database with pending
 * migrations is refused before any query of `body` runs.
 *
 * @throws {MigrationsPendingError} listing the pending migrations and the command that applies them.
 * @example
 * const page = await withMigratedTarget(resolveTarget(options, io.env), (db) => listHighRiskTutors(db));
 */
export async function withMigratedTarget<T>(target: Target, body: (db: TqsDatabase) => Promise<T>): Promise<T> {
  const fix = `run '${migrateCommandFor(target)}'`;
  if (target.kind === 'pglite' && !existsSync(target.dataDir)) {
    const tags = readMigrations().map((m) => m.tag);
    throw new MigrationsPendingError(tags, [], `there is no data directory ${target.dataDir} yet; ${fix}`);
  }
  return withTarget(target, async (db) => {
    const { pending, applied } = await migrationStatus(db);
    if (pending.length > 0) throw new MigrationsPendingError(pending, applied, fix);
    return body(db);
  });
}
