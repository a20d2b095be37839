import { countTableRows } from '../db/table-counts';
import { findInChain } from '../util/error-chain';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { PGlite, Transaction as PGliteTransaction } from '@electric-sql/pglite';
import { sql } from 'drizzle-orm';
import type { PgTable } from 'drizzle-orm/pg-core';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import { drizzle as drizzlePostgres } from 'drizzle-orm/postgres-js';
import type { Sql } from 'postgres';
import { type Database, rawClient } from '../db/client';
import {
  ConnectionError,
  ConstraintViolationError,
  DestructiveOperationRefusedError,
  translateDatabaseError,
} from '../errors';
import { emailReports, reschedules, schema, sessions, tutorScoreChanges, tutors } from '../schema';
import { refreshTutorScores } from '../scoring';
import { type CopyColumn, copyColumns, copyTarget, encodeCopyRows } from './copy-format';
import type { Dataset } from '../domain/dataset';

/** A table {@link insertDataset} reports progress on: the four it loads, in load order, then `tutor_scores`. */
export type InsertTable = 'tutors' | 'sessions' | 'reschedules' | 'email_reports' | 'tutor_scores';

/** One progress report of {@link insertDataset}. */
export interface InsertProgress {
  table: InsertTable;
  /**
   * `start` before a table's first row (rowsDone 0), `copying` after each chunk of rows (about 2% of the table, at
   * least 1,000 rows), `done` when the database has taken every row of the table. For `tutor_scores`: `start` before
   * the refresh, with the dataset's tutor count as rowsTotal, and `done` after it, with the tutors scored.
   */
  phase: 'start' | 'copying' | 'done';
  rowsDone: number;
  rowsTotal: number;
}

/** Options of {@link insertDataset}. */
export interface InsertDatasetOptions {
  /**
   * Empty the five tables first, in the same transaction: the dataset replaces what was there, or, should the load
   * fail, nothing changes. Default false: the rows are added to those already present.
   */
  clearExisting?: boolean;
  /**
   * Called per table and per chunk of rows, never per row; it may return a promise, which is awaited. Throwing (or
   * rejecting) aborts the load and rolls everything back. Should the load fail while a call is still running (the
   * connection dropped under it), `insertDataset` rejects only once that call has settled.
   */
  onProgress?: (progress: InsertProgress) => void | Promise<void>;
  /**
   * Recompute `tutor_scores` after the load, in the same transaction, with `asOf: dataset.options.now`, so that the
   * scores match the history just loaded. Default true.
   */
  refreshScores?: boolean;
}

/** What {@link insertDataset} wrote. */
export interface InsertDatasetResult {
  rows: { tutors: number; sessions: number; reschedules: number; emailReports: number };
  /** Tutors whose score was refreshed (every tutor in the database); 0 with `refreshScores: false`. */
  scored: number;
  /** How many of those are high risk. */
  flagged: number;
  elapsedMs: number;
}

/** The tables a dataset fills, in foreign-key order. */
const loadOrder = [
  { table: 'tutors', key: 'tutors', pgTable: tutors },
  { table: 'sessions', key: 'sessions', pgTable: sessions },
  { table: 'reschedules', key: 'reschedules', pgTable: reschedules },
  { table: 'email_reports', key: 'emailReports', pgTable: emailReports },
] as const satisfies readonly { table: InsertTable; key: keyof Dataset; pgTable: PgTable }[];

type DatasetTableKey = (typeof loadOrder)[number]['key'];

interface TablePlan {
  table: InsertTable;
  key: DatasetTableKey;
  rows: readonly object[];
  columns: CopyColumn[];
  /** `"table" ("col", ...)` */
  target: string;
  /** Rows per chunk: the progress step, and the rows per COPY statement on PGlite. */
  step: number;
}

/** Every table of the schema, children first: one TRUNCATE statement empties them all. */
const TRUNCATE_ALL =
  'truncate table "email_reports", "reschedules", "tutor_scores", "tutor_score_changes", "sessions", "tutors" restart identity';

const LOCK_ALL =
  'lock table "email_reports", "reschedules", "tutor_scores", "tutor_score_changes", "sessions", "tutors" in access exclusive mode';

const MIN_CHUNK_ROWS = 1000;
const CHUNKS_PER_TABLE = 50;

function planLoad(dataset: Dataset): TablePlan[] {
  if (dataset === null || typeof dataset !== 'object') throw new TypeError('insertDataset: dataset must be an object');
  return loadOrder.map(({ table, key, pgTable }) => {
    const rows = dataset[key] as readonly object[] | undefined;
    if (!Array.isArray(rows)) throw new TypeError(`insertDataset: dataset.${key} must be an array of rows`);
    const columns = copyColumns(pgTable, rows);
    return {
      table,
      key,
      rows,
      columns,
      target: copyTarget(table, columns),
      step: Math.max(MIN_CHUNK_ROWS, Math.ceil(rows.length / CHUNKS_PER_TABLE)),
    };
  });
}

/** Where the load is, so that an error can say which table and row it came from. */
interface LoadState {
  table: InsertTable | undefined;
  /** The dataset index of the first row of the COPY statement that is running. */
  offset: number;
  /** Every statement has run; the transaction is committing. */
  committing: boolean;
  /** The latest `onProgress` call, which a failed load waits for before it rejects. */
  progress: Promise<void> | undefined;
}

/**
 * Loads a dataset (from `generateDataset()`, or built by hand with the same shape) into the four tables it fills,
 * then refreshes `tutor_scores`, all in ONE transaction: should anything fail half-way (a constraint, an error thrown
 * by `onProgress`, a dropped connection), the database is left exactly as it was. Rows go in with PostgreSQL's own
 * bulk path, COPY, on both backends. Every row must be complete apart from the generated
 * `reschedules.hours_before_session`; a column that no row of a table gives is left to its database default.
 *
 * `db` is one from `createDatabase()` or a `drizzle(client, { schema })` over PGlite or postgres.js; the load opens
 * its own transaction (on PostgreSQL, one pooled connection for its duration).
 *
 * SQL it runs, in one transaction (COPY's text format; PostgreSQL streams each table through one `from stdin`,
 * PGlite runs one `from '/dev/blob'` per chunk of rows):
 * ```sql
 * begin;
 * truncate table email_reports, reschedules, tutor_scores, sessions, tutors restart identity; -- clearExisting only
 * copy "tutors" ("id", "name", "email", "created_at", "updated_at", "is_active") from stdin;
 * copy "sessions" ("id", "tutor_id", "student_id", "scheduled_time", ...) from stdin;
 * copy "reschedules" ("id", "session_id", "initiator", "original_time", ...) from stdin;
 * copy "email_reports" ("id", "session_id", "recipient_email", "sent_at", ...) from stdin;
 * -- refreshTutorScores(tx, { asOf: dataset.options.now }): with upserted as (insert into tutor_scores ...
 * --   select ... from tutors t left join sessions s ... group by t.id on conflict (tutor_id) do update ...) ...
 * commit;
 * ```
 *
 * @throws {ConstraintViolationError} a row broke a constraint (a duplicate email or id, a session of an unknown
 *   tutor, ...); the message names the constraint and the dataset row (`reschedules[12]`), `table` the table. Nothing
 *   was written.
 * @throws {ConnectionError} the connection to PostgreSQL was lost (code `CONNECTION_FAILED`); the message says
 *   whether that happened before the commit (nothing written) or during it (outcome unknown).
 * @throws {TypeError} the dataset is malformed (a table is not an array, a value cannot be stored); nothing written.
 * @example
 * const dataset = generateDataset({ seed: 7, now: new Date('2026-01-15T12:00:00Z') });
 * const result = await insertDataset(db, dataset, {
 *   clearExisting: true,
 *   onProgress: ({ table, rowsDone, rowsTotal }) => console.log(`${table} ${rowsDone}/${rowsTotal}`),
 * });
 * // { rows: { tutors: 100, sessions: 3000, reschedules: 357, emailReports: 357 },
 * //   scored: 100, flagged: 36, elapsedMs: 1194 }
 */
export async function insertDataset(
  db: Database,
  dataset: Dataset,
  options: InsertDatasetOptions = {},
): Promise<InsertDatasetResult> {
  const started = performance.now();
  const plans = planLoad(dataset);
  const client = rawClient(db);
  const state: LoadState = { table: undefined, offset: 0, committing: false, progress: undefined };
  const { onProgress } = options;
  const report = async (progress: InsertProgress) => {
    if (!onProgress) return;
    state.progress = (async () => onProgress(progress))();
    await state.progress;
  };
  const refreshScores = options.refreshScores !== false;
  const asOf = (dataset.options as { now?: unknown } | undefined)?.now;
  if (refreshScores && asOf !== undefined && !(asOf instanceof Date && !Number.isNaN(asOf.getTime()))) {
    throw new TypeError('insertDataset: dataset.options.now must be a valid Date (the scores are computed as of it)');
  }
  const refresh = async (txDb: Database) => {
    if (!refreshScores) return { scored: 0, flagged: 0 };
    const estimate = dataset.tutors.length;
    await report({ table: 'tutor_scores', phase: 'start', rowsDone: 0, rowsTotal: estimate });
    state.table = 'tutor_scores';
    // Inside a transaction a retry could only fail again ("current transaction is aborted"): none.
    const { scored, flagged } = await refreshTutorScores(txDb, {
      ...(asOf instanceof Date ? { asOf } : {}),
      maxRetries: 0,
    });
    // The refresh just scored every tutor from a snapshot that holds the whole load, so the changes the load's own
    // statements captured (one row per tutor per COPY) are accounted for: consume them, and only them (rows this
    // transaction wrote), so that the first due refresh does not score every tutor again. Changes committed by other
    // writers meanwhile stay queued.
    await txDb.execute(sql`delete from ${tutorScoreChanges} where xmin = pg_current_xact_id()::xid`);
    await report({ table: 'tutor_scores', phase: 'done', rowsDone: scored, rowsTotal: scored });
    return { scored, flagged };
  };

  let scores: { scored: number; flagged: number };
  try {
    scores =
      client.backend === 'postgres'
        ? await loadPostgres(client.sql, plans, options, state, report, refresh)
        : await loadPglite(client.pglite, plans, options, state, report, refresh);
  } catch (error) {
    // A load can fail while a callback is still running (the connection dropped under it): settle after it, so that
    // nothing the caller started is still running when the load has failed.
    await state.progress?.catch(() => {});
    throw loadError(error, state);
  }
  return {
    rows: {
      tutors: dataset.tutors.length,
      sessions: dataset.sessions.length,
      reschedules: dataset.reschedules.length,
      emailReports: dataset.emailReports.length,
    },
    ...scores,
    elapsedMs: Math.round(performance.now() - started),
  };
}

type Report = (progress: InsertProgress) => Promise<void>;
type Refresh = (txDb: Database) => Promise<{ scored: number; flagged: number }>;

/*
 * PostgreSQL: `copy ... from stdin` on one reserved connection, inside a transaction this function opens and closes
 * itself, fed by a Readable that encodes one chunk of rows at a time; `pipeline` honours the socket's backpressure
 * and, should either side fail, destroys the other (postgres.js then sends CopyFail, so the server aborts the COPY).
 * The refresh runs through a Drizzle instance over the same reserved connection, so it is the same transaction.
 *
 * Not `sql.begin`: when the connection drops inside it, postgres.js 3.4 still sends ROLLBACK down the dead connection,
 * which throws an uncaught TypeError from a timer and leaves the ROLLBACK's bytes queued in front of the reconnect's
 * startup message, so that pool slot hangs every later query. Here nothing more is sent on a connection that was
 * lost (the server has rolled the transaction back already), and it is not released into the pool either:
 * postgres.js has already marked it closed and reconnects it when it is next needed.
 */
async function loadPostgres(
  pool: Sql,
  plans: TablePlan[],
  options: InsertDatasetOptions,
  state: LoadState,
  report: Report,
  refresh: Refresh,
): Promise<{ scored: number; flagged: number }> {
  const connection = await pool.reserve();
  let reusable = true;
  try {
    await connection.unsafe('begin');
    if (options.clearExisting) await connection.unsafe(TRUNCATE_ALL);
    for (const plan of plans) {
      const total = plan.rows.length;
      await report({ table: plan.table, phase: 'start', rowsDone: 0, rowsTotal: total });
      if (total > 0) {
        state.table = plan.table;
        state.offset = 0;
        await copyFromStdin(connection, `copy ${plan.target} from stdin`, Readable.from(copyChunks(plan, report)));
      }
      await report({ table: plan.table, phase: 'done', rowsDone: total, rowsTotal: total });
    }
    // A reserved handle lacks the pool's `options`, which Drizzle reads (to install its parsers) and postgres.js
    // shares between the two anyway; lent to it, Drizzle runs every query of the refresh on this connection.
    const client = Object.assign(connection, { options: pool.options }) as unknown as Sql;
    const scores = await refresh(drizzlePostgres({ client, schema }) as unknown as Database);
    state.committing = true;
    await connection.unsafe('commit');
    return scores;
  } catch (error) {
    if (connectionLost(error)) reusable = false;
    else await connection.unsafe('rollback').catch(() => {});
    throw error;
  } finally {
    if (reusable) connection.release();
  }
}

/**
 * Runs `copy ... from stdin` and streams `source` into it; settles when the server has taken every row, or rejects
 * with the server's error.
 *
 * postgres.js 3.4 loses an error the server reports after the last chunk (constraint checks that run at the end of the
 * statement, such as foreign keys, or a row in the last packet): it hands the error to the query promise, which has
 * already resolved with the stream, and never calls the stream's final callback, so a plain `pipeline` would wait
 * forever, with the transaction left open (porsager/postgres#1173). Wrapping the query's `reject` catches that error;
 * a rejection from either side settles the load, which then rolls back.
 */
async function copyFromStdin(connection: Sql, statement: string, source: Readable): Promise<void> {
  const query = connection.unsafe(statement);
  let fail: (error: unknown) => void = () => {};
  const failed = new Promise<never>((_, reject) => {
    fail = reject;
  });
  failed.catch(() => {}); // observed through the race below; never an unhandled rejection
  const internals = query as unknown as { reject?: unknown };
  const reject = internals.reject;
  if (typeof reject === 'function') {
    internals.reject = (error: unknown) => {
      fail(error);
      return reject.call(query, error);
    };
  }
  const stream = await query.writable();
  const copied = pipeline(source, stream);
  copied.catch(() => {}); // settles after the race when the server error came first
  await Promise.race([copied, failed]);
}

/** A table's COPY text, chunk by chunk, reporting progress between chunks (so a throwing callback stops the COPY). */
async function* copyChunks(plan: TablePlan, report: Report): AsyncGenerator<Buffer> {
  const total = plan.rows.length;
  for (let from = 0; from < total; from += plan.step) {
    const to = Math.min(total, from + plan.step);
    yield* encodeCopyRows(plan.rows, plan.columns, from, to, plan.key);
    if (to < total) await report({ table: plan.table, phase: 'copying', rowsDone: to, rowsTotal: total });
  }
}

/*
 * PGlite: `copy ... from '/dev/blob'`, PGlite's virtual file that reads the Blob passed with the query, one COPY per
 * chunk of rows, inside `pglite.transaction` (PGlite's lock keeps other callers out of it). The refresh runs through a
 * Drizzle instance over that transaction object, so it is the same transaction as the load.
 */
async function loadPglite(
  pglite: PGlite,
  plans: TablePlan[],
  options: InsertDatasetOptions,
  state: LoadState,
  report: Report,
  refresh: Refresh,
): Promise<{ scored: number; flagged: number }> {
  return pglite.transaction(async (tx: PGliteTransaction) => {
    if (options.clearExisting) await tx.exec(TRUNCATE_ALL);
    for (const plan of plans) {
      const total = plan.rows.length;
      await report({ table: plan.table, phase: 'start', rowsDone: 0, rowsTotal: total });
      state.table = plan.table;
      for (let from = 0; from < total; from += plan.step) {
        const to = Math.min(total, from + plan.step);
        state.offset = from;
        const blob = new Blob(encodeCopyRows(plan.rows, plan.columns, from, to, plan.key));
        await tx.query(`copy ${plan.target} from '/dev/blob'`, [], { blob });
        if (to < total) await report({ table: plan.table, phase: 'copying', rowsDone: to, rowsTotal: total });
      }
      await report({ table: plan.table, phase: 'done', rowsDone: total, rowsTotal: total });
    }
    const txDb = drizzlePglite({ client: tx as unknown as PGlite, schema }) as unknown as Database;
    const scores = await refresh(txDb);
    state.committing = true;
    return scores;
  });
}

/**
 * The error to throw for a failed load: integrity errors become a {@link ConstraintViolationError} that also names
 * the table being loaded and, when PostgreSQL says which COPY line failed, the dataset row; anything else (a thrown
 * `onProgress`, a lost connection, a malformed value) goes through unchanged.
 */
function loadError(error: unknown, state: LoadState): unknown {
  if (connectionLost(error)) {
    const where = state.committing
      ? 'while committing: whether the load was committed is unknown'
      : `while loading ${state.table ?? 'the dataset'}: the transaction was not committed, nothing was written`;
    return new ConnectionError(`insertDataset: the connection to the database was lost ${where}`, { cause: error });
  }
  const translated = translateDatabaseError(error);
  if (!(translated instanceof ConstraintViolationError) || state.table === undefined) return translated;
  const where = findWhere(error);
  const line = where ? /COPY [^,]+, line (\d+)/.exec(where) : null;
  const key = loadOrder.find((l) => l.table === state.table)?.key ?? state.table;
  const row = line ? `${key}[${state.offset + Number(line[1]) - 1}]` : key;
  return new ConstraintViolationError({
    message: `insertDataset: loading ${row}: ${translated.message}`,
    sqlState: translated.sqlState,
    constraint: translated.constraint,
    table: translated.table ?? state.table,
    column: translated.column,
    detail: translated.detail,
    cause: error,
  });
}

/** postgres.js's codes for a connection that went away, and PostgreSQL's for a backend shut down under us. */
const LOST_CONNECTION_CODES = new Set([
  'CONNECTION_CLOSED',
  'CONNECTION_DESTROYED',
  'CONNECTION_ENDED',
  'ECONNRESET',
  'EPIPE',
]);

const isLostConnectionCode = (code: unknown): code is string =>
  typeof code === 'string' && (LOST_CONNECTION_CODES.has(code) || /^(08...|57P0[1-3])$/.test(code));

const connectionLost = (error: unknown): boolean => findInChain(error, 'code', isLostConnectionCode) !== undefined;

const findWhere = (error: unknown): string | undefined =>
  findInChain(error, 'where', (v): v is string => typeof v === 'string');

/** Options of {@link clearDatabase}. */
export interface ClearDatabaseOptions {
  /** Must be `true`: emptying every table is never a default. */
  confirm: boolean;
}

/** What {@link clearDatabase} removed. */
export interface ClearDatabaseResult {
  rowsDeleted: { tutors: number; sessions: number; reschedules: number; tutorScores: number; emailReports: number };
}

/**
 * Empties the five tables of the schema (`tutors`, `sessions`, `reschedules`, `tutor_scores`, `email_reports`) in one
 * transaction, and says how many rows each held. Refuses unless called with `{ confirm: true }`: destructive
 * operations are explicit. The schema and the migration journal are untouched.
 *
 * SQL it runs, in one transaction:
 * ```sql
 * lock table email_reports, reschedules, tutor_scores, sessions, tutors in access exclusive mode;
 * select (select count(*) from tutors) as tutors, ... ;
 * truncate table email_reports, reschedules, tutor_scores, sessions, tutors restart identity;
 * ```
 *
 * @throws {DestructiveOperationRefusedError} `confirm` is not `true` (code `DESTRUCTIVE_OPERATION_REFUSED`); nothing
 *   is changed.
 * @example
 * const { rowsDeleted } = await clearDatabase(db, { confirm: true });
 * // { tutors: 100, sessions: 3000, reschedules: 357, tutorScores: 100, emailReports: 357 }
 */
export async function clearDatabase(db: Database, options: ClearDatabaseOptions): Promise<ClearDatabaseResult> {
  if ((options as ClearDatabaseOptions | undefined)?.confirm !== true) {
    throw new DestructiveOperationRefusedError(
      'clearDatabase empties every table of the schema; pass { confirm: true } to do it. Nothing was changed.',
    );
  }
  return db.transaction(async (tx) => {
    // Locked first, so the counts are exactly the rows the truncate removes.
    await tx.execute(sql.raw(LOCK_ALL));
    const rowsDeleted = await countTableRows(tx);
    await tx.execute(sql.raw(TRUNCATE_ALL));
    return { rowsDeleted };
  });
}
