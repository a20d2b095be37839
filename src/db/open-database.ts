import type { CreateDatabaseOptions, ExistingClient, TqsDatabase } from './database';
import { driverSessionOf } from './driver-session';
import { InvalidOptionError } from '../errors';
import { assertNoTransform } from './postgres-js/client-transform';
import { openPostgres, overPostgres } from './postgres-js/open';

/**
 * Opens the database `options` name (their checks done): a postgres.js pool for `url`, PGlite otherwise, or a database
 * over the caller's `client`, closed by `close()` only with `closeClient`.
 *
 * @throws {InvalidOptionError} `client` is neither a postgres.js `sql`, a PGlite, nor a Drizzle database over either,
 * or is a postgres.js client with a `transform`.
 * @example
 * const db = await openDatabase({ url: 'postgres://app@db:5432/tqs' });
 */
export async function openDatabase(options: CreateDatabaseOptions, { connect = true }: { connect?: boolean } = {}): Promise<TqsDatabase> {
  if (options.client !== undefined) return overClient(options.client, options);
  if (options.url !== undefined) return openPostgres(options.url, options, { connect });
  const { openPglite } = await import('./pglite/open');
  return openPglite(options);
}

async function overClient(client: ExistingClient, options: CreateDatabaseOptions): Promise<TqsDatabase> {
  const given = typeof client === 'object' && '$client' in client ? client.$client : client;
  const session = driverSessionOf(given, false);
  if (!session || session.inTransaction) {
    throw new InvalidOptionError('client', 'createDatabase: client must be a postgres.js sql, a PGlite, or a Drizzle database over either (not a transaction)');
  }
  if (session.backend === 'postgres') {
    const sql = session.client;
    assertNoTransform(sql);
    return overPostgres(sql, options.logger, (timeout) => (options.closeClient ? sql.end({ timeout }) : Promise.resolve()));
  }
  const pglite = session.client;
  const { overPglite } = await import('./pglite/open');
  return overPglite(pglite, options.logger, () => (options.closeClient ? pglite.close() : Promise.resolve()));
}
