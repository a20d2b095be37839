import type { PGlite } from '@electric-sql/pglite';
import type { Logger } from 'drizzle-orm';
import type postgres from 'postgres';
import { InvalidOptionError } from '../errors';
import { drainCalls, trackCalls } from './call';
import type { Backend, Database } from './client';

/**
 * postgres.js options `createDatabase({ url })` passes through (ssl, prepare, idle_timeout, max_lifetime,
 * connect_timeout, ...). `transform` is left out: the package's queries read rows by their column names.
 */
export type PostgresOptions = Omit<postgres.Options<{}>, 'transform'>;

/** A client `createDatabase({ client })` can use: a postgres.js `sql`, a PGlite, or a Drizzle database over either. */
export type ExistingClient = postgres.Sql<any> | PGlite | { $client: postgres.Sql<any> | PGlite };

/** Where the database lives. With no option at all: a fresh in-memory PGlite. */
export interface CreateDatabaseOptions {
  /** A PostgreSQL connection string (`postgres://user:pass@host:5432/db`), served by postgres.js. */
  url?: string;
  /**
   * A PGlite data directory on disk, created when missing (or empty) from the migrated data directory the package
   * ships: no initdb, the package's migrations already applied.
   */
  dataDir?: string;
  /** A PGlite data directory dumped by `dumpDataDir()`, to start from instead of an empty database. */
  loadDataDir?: Blob;
  /**
   * A client that is already open, used instead of opening one: a postgres.js `sql`, a PGlite instance, or a Drizzle
   * database over either (its `$client` is used, with this package's schema). `close()` leaves it open unless
   * `closeClient` is true.
   */
  client?: ExistingClient;
  /** With `client`: end the caller's client on `close()`. Default false: whoever opened it ends it. */
  closeClient?: boolean;
  /**
   * Connection strings of streaming replicas of `url` (PostgreSQL only). The read-only helpers (`computeTutorScore`,
   * `listHighRiskTutors`, `findStaleTutorIds`, `qualityReportFromDatabase`, the read model) and drizzle's select
   * builders read from one that is fit to answer (see `maxReplicaLag`, `readYourWrites`), otherwise from the primary;
   * writes, `execute`, transactions, migrations and refreshes go to `url`. A replica that fails (down, frozen) leaves
   * the rotation at once and is probed again after a backoff; a read fails (`ConnectionError`) only when no replica
   * and not the primary answer. Each replica pool gets `socketTimeout` 30 s unless one is given.
   */
  readReplicas?: readonly string[];
  /**
   * With `readReplicas`: the most a replica may lag behind the primary (in ms) for a read to go to it; otherwise the
   * read goes to another replica or the primary. Measured by a probe at most once a second (0 when the replica has
   * replayed everything the primary had, else the time since the last commit it replayed). Default 10000;
   * `Infinity` turns the bound off.
   */
  maxReplicaLag?: number;
  /**
   * With `readReplicas`: after a write of this process to the primary, reads go to the primary until a replica is
   * seen to have replayed it (its replay position past the primary's, read after the write). Default true.
   */
  readYourWrites?: boolean;
  /** postgres.js pool size. Default 10 (per server, replicas included). */
  max?: number;
  /**
   * postgres.js options for the pool `url` opens, e.g. `{ ssl: 'require', prepare: false, max_lifetime: 1800 }`. They
   * win over this package's defaults (`max: 10`, `connect_timeout: 10`, notices ignored, a TCP_NODELAY socket); a
   * `socket` of your own replaces ours. `transform` is refused.
   */
  postgres?: PostgresOptions;
  /** Log every query: `true` for Drizzle's default logger, or a Drizzle `Logger` (`{ logQuery(query, params) }`). */
  logger?: boolean | Logger;
  /**
   * PostgreSQL only: seconds a connection may stay silent while a query waits for the server before it is failed
   * with "the connection stopped answering" (a partition, a frozen proxy): code `CONNECTION_STALLED`. It must exceed the longest statement the
   * server runs without replying. Default: no bound (the CLI uses 120). TCP keepalive is on in any case.
   */
  socketTimeout?: number;
  /**
   * PostgreSQL only: seconds a statement may wait for a lock (the server's `lock_timeout`) before it fails with
   * SQLSTATE 55P03 ("canceling statement due to lock timeout"). Default: the server's setting (0, wait for ever;
   * the CLI uses 60 unless its URL sets lock_timeout).
   */
  lockTimeout?: number;
}

/** What `createDatabase()` returns: a Drizzle database that knows its backend and how to close itself. */
export type TqsDatabase = Database & {
  /** `'pglite'` or `'postgres'`. */
  readonly backend: Backend;
  /**
   * The primary: this database itself, or with `readReplicas` the database behind it that takes every write. Pass it
   * to a read-only helper that must see a write just made (a replica may lag).
   */
  readonly $primary: Database;
  /**
   * Closes the PGlite instance or ends the postgres.js pool. A PGlite left open keeps the process alive. Calls of
   * this package already running finish first: new ones are refused with `DatabaseClosedError` (`DATABASE_CLOSED`),
   * and after `timeout` seconds (default 5) whatever still runs is ended (and fails with `DATABASE_CLOSED`).
   */
  close(options?: CloseOptions): Promise<void>;
  /** The same as `close()`, for `await using db = await createDatabase()`. */
  [Symbol.asyncDispose](): Promise<void>;
};

/** Options of `TqsDatabase.close()`. */
export interface CloseOptions {
  /** Seconds the calls already running may take to finish before they are ended. Default 5; 0 ends them at once. */
  timeout?: number;
}

/** The default of {@link CloseOptions.timeout}, in seconds. */
const CLOSE_TIMEOUT = 5;

function closeTimeout(options: CloseOptions | undefined): number {
  const timeout = options?.timeout ?? CLOSE_TIMEOUT;
  if (typeof timeout !== 'number' || !Number.isFinite(timeout) || timeout < 0) {
    throw new InvalidOptionError('timeout', `close: timeout must be a number of seconds of at least 0 (got ${String(timeout)})`);
  }
  return timeout;
}

/**
 * Makes a Drizzle database a {@link TqsDatabase}: its backend, itself as `$primary`, and a `close` that lets the
 * package's running calls finish, then runs `close` (given the seconds left for the driver's own queries) once however
 * often it is called (a second `close()` or the `await using` disposal after one).
 *
 * @example
 * const db = withClose(drizzle({ client: sql, schema }), 'postgres', (timeout) => sql.end({ timeout }));
 */
export function withClose(db: object, backend: Backend, close: (timeoutSeconds: number) => Promise<void>): TqsDatabase {
  const tracker = trackCalls(db);
  let closing: Promise<void> | undefined;
  const closeOnce = async (options?: CloseOptions) => {
    const timeout = closeTimeout(options);
    return (closing ??= drainCalls(tracker, timeout).then((left) => close(left)));
  };
  return Object.assign(db, { backend, close: closeOnce, [Symbol.asyncDispose]: () => closeOnce(), $primary: db }) as unknown as TqsDatabase;
}
