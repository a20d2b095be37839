import { connectionLost, connectionStalled, errorChain, findInChain, isSqlState } from '../util/error-chain';
import { ConnectionError, ConnectionStalledError, ConstraintViolationError, LockTimeoutError, TqsError } from './classes';
import { DatabaseClosedError, DatabaseError } from './database-errors';
import { constraintDescriptions } from './constraint-descriptions';

interface PgErrorFields {
  code?: unknown;
  message?: unknown;
  constraint?: unknown;
  constraint_name?: unknown;
  table?: unknown;
  table_name?: unknown;
  column?: unknown;
  column_name?: unknown;
  detail?: unknown;
}

const str = (v: unknown) => (typeof v === 'string' && v !== '' ? v : undefined);

/** The PostgreSQL error behind an error thrown by drizzle, postgres.js or PGlite, if there is one. */
function findPgError(error: unknown): PgErrorFields | undefined {
  for (const link of errorChain(error)) if (isSqlState((link as PgErrorFields).code)) return link as PgErrorFields;
  return undefined;
}

/*
 * Messages of class 22 quote the bad value, which is a query parameter (`invalid input syntax for type uuid: "…"`,
 * `value "…" is out of range for type integer`): keep it out of the message. It stays on `cause`.
 */
const withoutValue = (sqlState: string, message: string) =>
  sqlState.startsWith('22') ? message.replace(/"[\s\S]*"/, '"…"') : message;

/**
 * The names PostgreSQL gives the partitions of sessions (migration 0015) and the constraints it clones onto them,
 * said as the table and constraint they belong to: `sessions_2026_01` and `sessions_default` are `sessions`; the
 * partition's copy of `(id, scheduled_time)` is `sessions_id_scheduled_time_unique`; the clones of the reschedules
 * foreign key, one per partition (`reschedules_session_fk_3` on PostgreSQL 17+, `reschedules_session_id_original_time_fkey2`
 * before), are `reschedules_session_fk`.
 */
const PARTITION_NAMES: [RegExp, string][] = [
  [/^sessions_(?:default|\d{4}_\d{2})$/, 'sessions'],
  [/^sessions_(?:default|\d{4}_\d{2})_id_scheduled_time_key\d*$/, 'sessions_id_scheduled_time_unique'],
  [/^reschedules_session_(?:fk_\d+|id_original_time_fkey\d*)$/, 'reschedules_session_fk'],
];

function ofPartitionedTable(name: string | undefined): string | undefined {
  if (name === undefined) return undefined;
  for (const [pattern, said] of PARTITION_NAMES) if (pattern.test(name)) return said;
  return name;
}

/**
 * Turns an integrity error from the database (SQLSTATE class 23, and bad values of class 22) into a
 * {@link ConstraintViolationError} that names the constraint and says in words what it requires. Any other error is
 * returned unchanged. The message never contains the query text or its parameters.
 *
 * @example
 * try {
 *   await db.insert(sessions).values(row);
 * } catch (error) {
 *   throw translateDatabaseError(error); // ConstraintViolationError: sessions_completed_after_scheduled: ...
 * }
 */
export function translateDatabaseError(error: unknown): unknown {
  if (error instanceof TqsError) return error;
  const pg = findPgError(error);
  if (!pg) return error;
  const sqlState = pg.code as string;
  if (sqlState === '55P03') return lockTimeoutError(error);
  if (!sqlState.startsWith('23') && !sqlState.startsWith('22')) return error;
  const constraint = ofPartitionedTable(str(pg.constraint) ?? str(pg.constraint_name));
  const table = ofPartitionedTable(str(pg.table) ?? str(pg.table_name));
  const column = str(pg.column) ?? str(pg.column_name);
  const serverMessage = withoutValue(sqlState, str(pg.message) ?? 'integrity constraint violated');
  const described = constraint ? constraintDescriptions[constraint] : undefined;
  const message = constraint
    ? `${constraint}: ${described ?? serverMessage}${described ? ` (${serverMessage})` : ''}`
    : serverMessage;
  return new ConstraintViolationError({
    message,
    sqlState,
    constraint,
    table,
    column,
    detail: str(pg.detail),
    cause: error,
  });
}

/**
 * A {@link LockTimeoutError} for an error whose SQLSTATE is 55P03 (a lock wait past `lock_timeout`, or a `nowait`
 * lock that was taken), naming `call` when given; any other error is returned unchanged.
 *
 * @example
 * throw lockTimeoutError(error, 'archiveHistory'); // LockTimeoutError: archiveHistory: canceling statement due to lock timeout ...
 */
export function lockTimeoutError(error: unknown, call?: string): unknown {
  if (error instanceof TqsError) return error;
  const pg = findPgError(error);
  if (pg?.code !== '55P03') return error;
  const server = str(pg.message) ?? 'could not obtain a lock';
  return new LockTimeoutError(
    `${call ? `${call}: ` : ''}${server} (SQLSTATE 55P03): another session holds a lock on these tables longer than ` +
      'lock_timeout; its transaction was rolled back, nothing was written: retry when it has finished, or raise ' +
      'lockTimeout (tqs-data: --lock-timeout S)',
    { cause: error },
  );
}

/** What to do about a server error, by SQLSTATE (exact code first, then its class). */
const serverErrorHints: Record<string, string> = {
  '55P03': 'another session holds a lock on these tables: retry when it has finished, or raise lock_timeout',
  '57014': 'the statement was cancelled (statement_timeout or a cancel request): retry, or raise statement_timeout',
  '42P01': "a table is missing: the schema is not migrated (run 'tqs-data migrate' or migrate(db))",
  '42703': "a column is missing: the schema is older than this package (run 'tqs-data migrate' or migrate(db))",
  '3D000': "the database does not exist: create it ('tqs-data setup' creates it)",
  '25006': 'the server is read-only (a standby?): point the URL at the primary',
  '53100': "the server's disk is full: free space on the server; the transaction was rolled back",
  '53300': 'the server has no free connection slot: lower the pool size (max) or raise max_connections',
  '40001': 'a concurrent transaction conflicted with this one: retry',
  '40P01': 'a deadlock with another session: retry',
  '28P01': 'check the user name and password of the URL',
  '57P01': 'the server was shut down or the backend terminated: retry when it is back',
  '08': 'the connection failed: check that the server is up and reachable',
  '53': 'the server is out of resources: retry later or raise its limits',
};

/**
 * The server's own message for a failed query, with its SQLSTATE and what to do, instead of drizzle's
 * `Failed query: <SQL>`; undefined when no PostgreSQL error is behind `error`. The query text and its parameters
 * never appear.
 *
 * @example
 * describeServerError(error); // 'canceling statement due to lock timeout (SQLSTATE 55P03): another session holds ...'
 */
export function describeServerError(error: unknown): string | undefined {
  const pg = findPgError(error);
  if (!pg) return undefined;
  const sqlState = pg.code as string;
  const hint = serverErrorHints[sqlState] ?? serverErrorHints[sqlState.slice(0, 2)];
  const message = withoutValue(sqlState, str(pg.message) ?? 'the server refused the query');
  return `${message} (SQLSTATE ${sqlState})${hint ? `: ${hint}` : ''}`;
}

/** A query refused because its database was closed: postgres.js's CONNECTION_ENDED/DESTROYED, PGlite's "closed". */
const closedDatabase = (error: unknown): boolean =>
  findInChain(error, 'code', (code): code is string => code === 'CONNECTION_ENDED' || code === 'CONNECTION_DESTROYED') !==
    undefined || [...errorChain(error)].some((link) => link instanceof Error && /^PGlite is clos(ed|ing)/.test(link.message));

/**
 * What a helper throws for a query of it that failed: a {@link TqsError} as it is; an integrity error as a
 * {@link ConstraintViolationError} ({@link translateDatabaseError}); a query refused because the database was closed
 * as a {@link DatabaseClosedError}; a connection that stopped answering as a {@link ConnectionStalledError}; a lost
 * connection as a {@link ConnectionError}; any other server error as a
 * {@link DatabaseError} with the server's message, its SQLSTATE and what to do. Anything else (not a database error)
 * is returned unchanged. The driver's error stays as `cause`; no message holds the query or its parameters.
 *
 * @example
 * try { await db.execute(query); } catch (error) { throw translateQueryError(error, 'listTutors'); }
 */
export function translateQueryError(error: unknown, call?: string): unknown {
  if (error instanceof TqsError) return error;
  const prefix = call === undefined ? '' : `${call}: `;
  if (closedDatabase(error)) {
    return new DatabaseClosedError(`${prefix}the database is closed (close() was called): open a new one with createDatabase()`, { cause: error });
  }
  if (connectionLost(error)) {
    const reason = error instanceof Error ? (error.cause instanceof Error ? error.cause : error).message.split('\n')[0] : String(error);
    if (connectionStalled(error)) {
      return new ConnectionStalledError(
        `${prefix}${reason}: what was committed before stays; the server rolls back the transaction that was open when it notices`,
        { cause: error },
      );
    }
    return new ConnectionError(
      `${prefix}the connection to the database was lost (${reason}): what was committed before stays, the statement that was running was rolled back`,
      { cause: error },
    );
  }
  const locked = lockTimeoutError(error, call);
  if (locked !== error) return locked;
  const translated = translateDatabaseError(error);
  if (translated !== error) return translated;
  const described = describeServerError(error);
  if (described === undefined) return error;
  return new DatabaseError(`${prefix}${described}`, findPgError(error)?.code as string, { cause: error });
}
