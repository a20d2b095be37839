import { InvalidOptionError } from '../errors';
import { openDatabase } from './open-database';
import type { CreateDatabaseOptions, TqsDatabase } from './database';
import { assertDataDir } from './pglite/data-dir-kind';
import { assertExplicitTarget } from './postgres-js/connection-url';
import { withReadReplicas } from './replicas';

/**
 * Opens a database: in-memory PGlite by default, a PGlite data directory with `dataDir`, a PostgreSQL server with
 * `url`, or a client you opened yourself with `client`. Call {@link migrate} next (a new `dataDir` already holds the
 * package's migrations, from the migrated data directory the package ships; migrate then applies any newer). Close it
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
  if (options.client === undefined && options.url === undefined && options.dataDir !== undefined) {
    assertDataDir(options.dataDir);
  }
  const primary = await openDatabase(options);
  if (options.client !== undefined || options.readReplicas === undefined) return primary;
  return withReadReplicas(primary, options, (url, extra, connect) => openDatabase({ ...options, url, ...extra }, { connect }));
}

/** Options that only make sense together, named in the error. */
function checkOptions(options: CreateDatabaseOptions): void {
  const given = (keys: (keyof CreateDatabaseOptions)[]) => keys.filter((key) => options[key] !== undefined);
  const refuse = (option: string, message: string) => {
    throw new InvalidOptionError(option, `createDatabase: ${message}`);
  };
  if (options.client !== undefined) {
    const others = given(['url', 'dataDir', 'loadDataDir', 'max', 'postgres']);
    if (others.length > 0) refuse(others[0]!, `client is already open; drop ${others.join(', ')} (they configure a new one)`);
    if (options.readReplicas !== undefined) {
      refuse(
        'readReplicas',
        'readReplicas opens pools of its own and is not applied over an existing client; give url (and postgres options) instead of client, or route reads with drizzle-orm withReplicas yourself',
      );
    }
  } else if (options.closeClient !== undefined) {
    refuse('closeClient', 'closeClient applies only with client (a database it opens is always closed)');
  }
  if (options.url !== undefined && (options.dataDir !== undefined || options.loadDataDir !== undefined)) {
    refuse('url', 'give either url (PostgreSQL) or dataDir/loadDataDir (PGlite), not both');
  }
  if (options.client === undefined && options.url === undefined && options.readReplicas !== undefined) {
    refuse('readReplicas', 'readReplicas needs url (a PostgreSQL primary); PGlite has no replicas');
  }
  checkRoutingOptions(options);
  if (options.postgres !== undefined) {
    if (options.url === undefined) refuse('postgres', 'postgres options need url (PostgreSQL)');
    if ('transform' in options.postgres) {
      refuse('postgres.transform', 'postgres.transform is not supported: the package reads rows by their column names and values as the driver parses them; drop it');
    }
  }
}

/** `maxReplicaLag` and `readYourWrites`: only with `readReplicas`, and of the right kind. */
function checkRoutingOptions(options: CreateDatabaseOptions): void {
  const { maxReplicaLag, readYourWrites } = options;
  if ((maxReplicaLag !== undefined || readYourWrites !== undefined) && options.readReplicas === undefined) {
    throw new TypeError('createDatabase: maxReplicaLag and readYourWrites apply only with readReplicas');
  }
  if (maxReplicaLag !== undefined && !(typeof maxReplicaLag === 'number' && maxReplicaLag >= 0)) {
    throw new RangeError(`createDatabase: maxReplicaLag must be a number of milliseconds >= 0, or Infinity (got ${maxReplicaLag})`);
  }
  if (readYourWrites !== undefined && typeof readYourWrites !== 'boolean') {
    throw new TypeError(`createDatabase: readYourWrites must be true or false (got ${String(readYourWrites)})`);
  }
}
