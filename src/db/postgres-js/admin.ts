import postgres from 'postgres';
import { ConnectionError } from '../../errors';
import { sqlStateOf } from '../../util/error-chain';
import { quoteIdent } from '../../util/quote-ident';
import { type ConnectionUrl, parseConnectionUrl, postgresJsTarget } from './connection-url';

/** PostgreSQL's SQLSTATE for "database does not exist". */
const INVALID_CATALOG_NAME = '3D000';
/** ... and for "database already exists" (another process created it first). */
const DUPLICATE_DATABASE = '42P04';

/** A one-connection client for a single administrative statement, on `database` or the one `parsed` names. */
const adminClient = (url: string, parsed: ConnectionUrl, database?: string) =>
  postgres(url, {
    ...postgresJsTarget(parsed),
    ...(database !== undefined ? { database } : {}),
    max: 1,
    onnotice: () => {},
    connect_timeout: 10,
  });

/**
 * Creates the database of `url` on its server when it does not exist: connects to the `postgres` maintenance database
 * of the same server with the same credentials and creates it under its name quoted. Returns whether it created it.
 * Any other failure to connect is left to `createDatabase`, which reports it with the URL redacted.
 *
 * ```sql
 * create database "tqs_dev";
 * ```
 *
 * @throws {ConnectionError} the server refused to create it (no CREATEDB right, ...); the message has no password.
 * @example
 * await ensurePostgresDatabase('postgres://app:secret@db:5432/tqs_dev'); // true the first time, then false
 */
export async function ensurePostgresDatabase(url: string): Promise<boolean> {
  const parsed = parseConnectionUrl(url);
  try {
    await probe(url, parsed);
    return false;
  } catch (error) {
    if (sqlStateOf(error) !== INVALID_CATALOG_NAME) return false;
  }
  // The name as the URL gives it, percent-decoded, exactly as createDatabase connects to it.
  const name = parsed.database;
  if (name === undefined) return false; // no name to create: createDatabase reports the server's refusal
  const admin = adminClient(url, parsed, 'postgres');
  try {
    await admin.unsafe(`create database ${quoteIdent(name)}`);
    return true;
  } catch (error) {
    if (sqlStateOf(error) === DUPLICATE_DATABASE) return false;
    // Two CREATE DATABASE of one name at once can also fail with a unique violation on pg_database: the other won.
    if (await postgresDatabaseExists(url)) return false;
    const reason = error instanceof Error ? error.message : String(error);
    throw new ConnectionError(
      `cannot create the database of ${parsed.redacted}: ${parsed.password ? reason.split(parsed.password).join('***') : reason}`,
      { cause: error },
    );
  } finally {
    await admin.end({ timeout: 0 }).catch(() => {});
  }
}

/**
 * Whether the database of `url` accepts a connection now.
 *
 * @example
 * if (!(await postgresDatabaseExists(url))) await ensurePostgresDatabase(url);
 */
export async function postgresDatabaseExists(url: string): Promise<boolean> {
  return probe(url, parseConnectionUrl(url)).then(
    () => true,
    () => false,
  );
}

/** Connects once to the database `parsed` names and closes again; rejects with the reason it could not. */
async function probe(url: string, parsed: ConnectionUrl): Promise<void> {
  const client = adminClient(url, parsed);
  try {
    await client`select 1`;
  } finally {
    await client.end({ timeout: 0 }).catch(() => {});
  }
}
