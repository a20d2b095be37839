import { drizzle } from 'drizzle-orm/postgres-js';
import postgres from 'postgres';
import { ConnectionError, InvalidOptionError } from '../../errors';
import { schema } from '../../schema';
import { type CreateDatabaseOptions, type TqsDatabase, withClose } from '../database';
import { connectFailure, parseConnectionUrl, postgresJsTarget } from './connection-url';
import { trackQueries } from './abort-scope';
import { guardTransactions, keepArrayTypes } from './pool-guards';
import { endPool, PoolSockets } from './pool-sockets';
import { noDelaySocket, reconnectBackoff } from './socket';
import { guardStalls } from './stall-guard';
import { isPooled, lockTimeoutMs, lockTimeoutParameter, lockTimeoutPerTransaction } from './lock-timeout';

/**
 * Opens a postgres.js pool on `url` with this package's defaults and socket guards, and checks that it connects, so
 * that a wrong URL fails here with the host it tried rather than at the first query.
 *
 * @throws {ConnectionError} the server cannot be reached or refuses the login; the message has no password.
 * @example
 * const db = await openPostgres('postgres://app@db:5432/tqs', { max: 4 });
 */
export async function openPostgres(url: string, options: CreateDatabaseOptions, { connect = true }: { connect?: boolean } = {}): Promise<TqsDatabase> {
  const parsed = parseConnectionUrl(url);
  const connectTimeout = Number(options.postgres?.connect_timeout ?? 10);
  const sockets = new PoolSockets();
  const socket = guardedSocket(options.socketTimeout, sockets);
  const lockMs = lockTimeoutMs(options);
  const perTransaction = lockMs !== undefined && isPooled(url, options);
  const sql = postgres(url, {
    ...postgresJsTarget(parsed),
    max: options.max ?? 10,
    onnotice: () => {},
    connect_timeout: connectTimeout,
    backoff: reconnectBackoff,
    ...(parsed.hosts.length === 1 ? { socket } : {}),
    ...options.postgres,
    ...(lockMs !== undefined && !perTransaction ? lockTimeoutParameter(lockMs, options) : {}),
  });
  guardTransactions(sql);
  trackQueries(sql);
  if (perTransaction) lockTimeoutPerTransaction(sql, lockMs);
  // Not connected yet (a read replica down at startup): the pool connects on its first query.
  const end = (timeout: number) => endPool(sql, sockets, timeout);
  if (!connect) return overPostgres(sql, options.logger, end);
  try {
    await sql`select 1`;
    keepArrayTypes(sql, socket);
  } catch (error) {
    await sql.end({ timeout: 0 }).catch(() => {});
    throw new ConnectionError(`cannot connect to ${parsed.redacted}: ${connectFailure(error, parsed, connectTimeout)}`, {
      cause: error,
    });
  }
  return overPostgres(sql, options.logger, end);
}

/**
 * A {@link TqsDatabase} over a postgres.js pool that is already open; `close` decides what closing it does.
 *
 * @example
 * const db = overPostgres(sql, false, async () => {}); // the caller's pool stays open
 */
export function overPostgres(sql: postgres.Sql, logger: CreateDatabaseOptions['logger'], close: (timeoutSeconds: number) => Promise<void>): TqsDatabase {
  return withClose(drizzle({ client: sql, schema, logger: logger ?? false }), 'postgres', close);
}

/**
 * postgres.js's `socket` option: {@link noDelaySocket} reporting to `sockets`, with the stall guard when a socket
 * timeout is set.
 */
function guardedSocket(socketTimeout: number | undefined, sockets: PoolSockets): typeof noDelaySocket {
  if (socketTimeout !== undefined && !(Number.isFinite(socketTimeout) && socketTimeout > 0)) {
    throw new InvalidOptionError('socketTimeout', `createDatabase: socketTimeout must be a positive number of seconds (got ${socketTimeout})`);
  }
  return (options) => {
    const socket = noDelaySocket(options, sockets);
    if (socketTimeout !== undefined) guardStalls(socket, socketTimeout * 1000);
    return socket;
  };
}
