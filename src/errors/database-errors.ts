import { TqsError } from './classes';

/**
 * A query a helper ran failed on the server for a reason other than a constraint (a missing table, a lock timeout, a
 * cancelled statement, a read-only server …). The message is the server's own with its SQLSTATE and what to do,
 * never the query text or its parameters; the driver's error is `cause`.
 *
 * @example
 * try { await computeTutorScore(db, id); } catch (e) { if (e instanceof DatabaseError) console.error(e.sqlState, e.message); }
 */
export class DatabaseError extends TqsError<'DATABASE_ERROR'> {
  override name = 'DatabaseError';
  /** PostgreSQL's SQLSTATE, e.g. `42P01` for a missing table. */
  readonly sqlState: string;

  constructor(message: string, sqlState: string, options?: { cause?: unknown }) {
    super('DATABASE_ERROR', message, options);
    this.sqlState = sqlState;
  }
}

/**
 * The database was closed with `close()` (or is closing): the call was refused, or its connection ended by the close's
 * timeout. Nothing of a call refused was run; open a new database to go on.
 *
 * @example
 * await db.close();
 * await computeTutorScore(db, id); // DatabaseClosedError: computeTutorScore: the database is closed ...
 */
export class DatabaseClosedError extends TqsError<'DATABASE_CLOSED'> {
  override name = 'DatabaseClosedError';

  constructor(message: string, options?: { cause?: unknown }) {
    super('DATABASE_CLOSED', message, options);
  }
}

/**
 * The migrations of this package could not be found: the folder `drizzle/` that `migrationsFolder` names is missing
 * (a bundle that copied the code without the package's files). `migrate` and the other migration calls carry their
 * migrations in the code and do not need it.
 *
 * @example
 * import { migrationsFolder } from '@tqs/data/migrations'; // in a bundle: MigrationsNotFoundError
 */
export class MigrationsNotFoundError extends TqsError<'MIGRATIONS_NOT_FOUND'> {
  override name = 'MigrationsNotFoundError';

  constructor(message: string, options?: { cause?: unknown }) {
    super('MIGRATIONS_NOT_FOUND', message, options);
  }
}
