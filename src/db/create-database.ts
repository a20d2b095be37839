import type { PGlite } from '@electric-sql/pglite';
import type { Logger } from 'drizzle-orm';
import { drizzle as drizzlePostgres } from 'drizzle-orm/postgres-js';
import postgres from 'postgres';
import { ConnectionError } from '../errors';
import { schema } from '../schema';
import { asRawClient, type Backend, type Database, type RawClient } from './client';
import { assertExplicitTarget, connectFailure, parseConnectionUrl, postgresJsTarget } from './connection-url';
import { assertDataDir } from './pglite/data-dir-kind';
import { trackQueries } from './postgres-js/abort-scope';
import { guardTransactions, keepArrayTypes } from './postgres-js/pool-guards';
import { noDelaySocket, reconnectBackoff } from './postgres-js/socket';
import { guardStalls } from './postgres-js/stall-guard';

/**
 * postgres.js options `createDatabase({ url })` passes through (ssl, prepare, idle_timeout, max_lifetime,
 * connect_timeout, ...). `transform` is left out: the package's queries read rows by their column names.
 */
export type PostgresOptions = Omit<postgres.Options<{}>, 'transform'>;

/** A client `createDatabase({ client })` can use: a postgres.js `sql`, a PGlite, or a Drizzle database over either. */
export type ExistingClient = postgres.Sql<any> | PGlite | { $client: postgres.Sql<any> | PGlite };
import { withReadReplicas } from './replicas';

/** Where the database lives. With no option at all: a fresh in-memory PGlite. */
export interface CreateDatabaseOptions {
  /** A PostgreSQL connection string (`postgres://user:pass@host:5432/db`), served by postgres.js. */
  url?: string;
  /** A PGlite data directory on disk, created when missing. */
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
   * `listHighRiskTutors`, `findStaleTutorIds`, `qualityReportFromDatabase`) and drizzle's select builders read from
   * one of them; writes, `execute`, transactions, migrations and refreshes go to `url`. `db.$primary` reads the
   * primary (to see one's own writes). A replica that is down fails reads with a `ConnectionError` naming it.
   */
  readReplicas?: readonly string[];
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
   * with "the connection stopped answering" (a partition, a frozen proxy). It must exceed the longest statement the
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
  /** Closes the PGlite instance or ends the postgres.js pool. A PGlite left open keeps the process alive. */
  close(): Promise<void>;
  /** The same as `close()`, for `await using db = await createDatabase()`. */
  [Symbol.asyncDispose](): Promise<void>;
};

function withClose<T extends object>(db: T, backend: Backend, close: () => Promise<void>): T & {
  backend: Backend;
  $primary: T;
  close(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
} {
  let closing: Promise<void> | undefined;
  const closeOnce = () => (closing ??= close());
  return Object.assign(db, { backend, close: closeOnce, [Symbol.asyncDispose]: closeOnce, $primary: db });
}

/**
 * Opens a database: in-memory PGlite by default, a PGlite data directory with `dataDir`, a PostgreSQL server with
 * `url`, or a client you opened yourself with `client`. The schema is not applied: call {@link migrate} next. Close it
 * with `db.close()` (or `await using`). PGlite is loaded only when a PGlite database is opened.
 *
 * @example
 * const db = await createDatabase();                                  // in-memory PGlite
 * const disk = await createDatabase({ dataDir: '.tqs/pglite' });      // PGlite on disk
 * const pg = await createDatabase({ url: process.env.DATABASE_URL, postgres: { ssl: 'require' } }); // PostgreSQL
 * const own = await createDatabase({ client: sql });                  // your postgres.js client; close() leaves it open
 * await migrate(db);
 * await db.close();
 */
export async function createDatabase(options: CreateDatabaseOptions = {}): Promise<TqsDatabase> {
  assertExplicitTarget(options);
  checkOptions(options);
  if (options.client !== undefined) return overClient(options.client, options);
  if (options.url !== undefined) {
    if (options.dataDir !== undefined || options.loadDataDir !== undefined) {
      throw new TypeError('createDatabase: give either url (PostgreSQL) or dataDir/loadDataDir (PGlite), not both');
    }
    const primary = await openPostgres(options.url, options);
    if (options.readReplicas === undefined) return primary;
    return withReadReplicas(primary, options.readReplicas, (url) => openPostgres(url, options));
  }
  if (options.readReplicas !== undefined) {
    throw new TypeError('createDatabase: readReplicas needs url (a PostgreSQL primary); PGlite has no replicas');
  }
  if (options.dataDir !== undefined) assertDataDir(options.dataDir);
  const { pgliteDatabase, startPglite } = await import('./pglite');
  if (options.dataDir !== undefined) {
    // One process per data directory, held until close(); see pglite/open-data-dir.ts.
    const { openDataDir } = await import('./pglite/open-data-dir');
    const { pglite, close } = await openDataDir(options.dataDir, options);
    return withClose(pgliteDatabase(pglite, options.logger), 'pglite', close) as unknown as TqsDatabase;
  }
  const pglite = await startPglite(options);
  const db = pgliteDatabase(pglite, options.logger);
  return withClose(db, 'pglite', () => pglite.close()) as unknown as TqsDatabase;
}

/** Options that only make sense together, named in the error. */
function checkOptions(options: CreateDatabaseOptions): void {
  const given = (keys: (keyof CreateDatabaseOptions)[]) => keys.filter((key) => options[key] !== undefined);
  if (options.client !== undefined) {
    const others = given(['url', 'dataDir', 'loadDataDir', 'max', 'postgres']);
    if (others.length > 0) {
      throw new TypeError(`createDatabase: client is already open; drop ${others.join(', ')} (they configure a new one)`);
    }
  } else if (options.closeClient !== undefined) {
    throw new TypeError('createDatabase: closeClient applies only with client (a database it opens is always closed)');
  }
  if (options.postgres !== undefined) {
    if (options.url === undefined) throw new TypeError('createDatabase: postgres options need url (PostgreSQL)');
    if ('transform' in options.postgres) {
      throw new TypeError(
        'createDatabase: postgres.transform is not supported: the package reads rows by their column names',
      );
    }
  }
}

/** A database over a client the caller opened: no connection check, and closed only when `closeClient` says so. */
async function overClient(client: ExistingClient, options: CreateDatabaseOptions): Promise<TqsDatabase> {
  const given = typeof client === 'object' && '$client' in client ? client.$client : client;
  const raw: RawClient | undefined = asRawClient(given);
  if (!raw) {
    throw new TypeError('createDatabase: client must be a postgres.js sql, a PGlite, or a Drizzle database over either');
  }
  const logger = options.logger ?? false;
  if (raw.backend === 'postgres') {
    const db = drizzlePostgres({ client: raw.sql, schema, logger });
    return withClose(db, 'postgres', () => (options.closeClient ? raw.sql.end({ timeout: 5 }) : Promise.resolve())) as unknown as TqsDatabase;
  }
  const { pgliteDatabase } = await import('./pglite');
  const db = pgliteDatabase(raw.pglite, logger);
  return withClose(db, 'pglite', () => (options.closeClient ? raw.pglite.close() : Promise.resolve())) as unknown as TqsDatabase;
}

async function openPostgres(url: string, options: CreateDatabaseOptions): Promise<TqsDatabase> {
  const parsed = parseConnectionUrl(url);
  const connectTimeout = Number(options.postgres?.connect_timeout ?? 10);
  const socket = guardedSocket(options.socketTimeout);
  const sql = postgres(url, {
    ...postgresJsTarget(parsed),
    max: options.max ?? 10,
    onnotice: () => {},
    connect_timeout: connectTimeout,
    backoff: reconnectBackoff,
    ...(parsed.hosts.length === 1 ? { socket } : {}),
    ...options.postgres,
    ...lockTimeoutParameter(options),
  });
  guardTransactions(sql);
  trackQueries(sql);
  try {
    await sql`select 1`;
    keepArrayTypes(sql, socket);
  } catch (error) {
    await sql.end({ timeout: 0 }).catch(() => {});
    throw new ConnectionError(`cannot connect to ${parsed.redacted}: ${connectFailure(error, parsed, connectTimeout)}`, {
      cause: error,
    });
  }
  const db = drizzlePostgres({ client: sql, schema, logger: options.logger ?? false });
  return withClose(db, 'postgres', () => sql.end({ timeout: 5 })) as unknown as TqsDatabase;
}

/** postgres.js's `socket` option: {@link noDelaySocket}, with the stall guard when a socket timeout is set. */
function guardedSocket(socketTimeout: number | undefined): typeof noDelaySocket {
  if (socketTimeout !== undefined && !(Number.isFinite(socketTimeout) && socketTimeout > 0)) {
    throw new RangeError(`createDatabase: socketTimeout must be a positive number of seconds (got ${socketTimeout})`);
  }
  if (socketTimeout === undefined) return noDelaySocket;
  return (options) => {
    const socket = noDelaySocket(options);
    guardStalls(socket, socketTimeout * 1000);
    return socket;
  };
}

/** postgres.js's `connection` startup parameters with `lock_timeout` from {@link CreateDatabaseOptions.lockTimeout}. */
function lockTimeoutParameter(options: CreateDatabaseOptions): { connection?: Record<string, string> } {
  const { lockTimeout } = options;
  if (lockTimeout === undefined) return {};
  if (!(Number.isFinite(lockTimeout) && lockTimeout > 0)) {
    throw new RangeError(`createDatabase: lockTimeout must be a positive number of seconds (got ${lockTimeout})`);
  }
  const connection = (options.postgres?.connection ?? {}) as Record<string, string>;
  return { connection: { ...connection, lock_timeout: `${Math.round(lockTimeout * 1000)}ms` } };
}
