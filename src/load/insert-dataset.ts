import { sql } from 'drizzle-orm';
import { driverSession, type Database } from '../db/client';
import type { Dataset } from '../records/dataset';
import { InvalidOptionError } from '../errors';
import { PGLITE_MAX_SESSIONS } from '../domain/size-limits';
import { formatCount } from '../util/format';
import { reschedules, sessions, tutors as tutorsTable, tutorScoreChanges } from '../schema';
import { refreshTutorScores } from '../scoring';
import { truncateAllTables } from './clear-database';
import { checkSpace, diskFullOr, spaceNeed } from './space-check';
import { loadError, type LoadState } from './load-error';
import { copyChunks, type InsertTable, planLoad, type TablePlan } from './load-plan';
import type { CopyChunk, Loader, LoadTransaction } from './loader';
import { pgliteLoader } from './pglite-loader';
import { postgresLoader } from './postgres-loader';

export type { InsertTable } from './load-plan';

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
  /**
   * Load into PGlite even above its documented limit of `PGLITE_MAX_SESSIONS` (100,000) sessions, past which a load
   * takes minutes and GBs of memory. Default false: such a load is refused with an `InvalidOptionError` before
   * anything is written. No effect on PostgreSQL.
   */
  exceedPgliteLimit?: boolean;
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

/**
 * Loads a dataset (from `generateDataset()`, or built by hand with the same shape) into the four tables it fills,
 * then refreshes `tutor_scores`, all in ONE transaction: should anything fail half-way (a constraint, an error thrown
 * by `onProgress`, a dropped connection), the database is left exactly as it was. Rows go in with PostgreSQL's own
 * bulk path, COPY, on both backends. Every row must be complete apart from the generated
 * `reschedules.hours_before_session`; a column that no row of a table gives is left to its database default.
 *
 * `db` is one from `createDatabase()` or a `drizzle(client, { schema })` over PGlite or postgres.js; the load opens
 * its own transaction (on PostgreSQL, one pooled connection for its duration). Or `db` is a transaction you opened
 * with `db.transaction(async (tx) => insertDataset(tx, dataset))`: the load then runs in a savepoint of it, on its
 * connection, and commits with it (should the load fail, none of it is left and your transaction can go on).
 *
 * SQL it runs, in one transaction (COPY's text format; PostgreSQL streams each table through one `from stdin`,
 * PGlite runs one `from '/dev/blob'` per chunk of rows):
 * ```sql
 * begin;                                    -- in your transaction: savepoint
 * truncate table email_reports, reschedules, tutor_scores, sessions, tutors restart identity; -- clearExisting only
 * copy "tutors" ("id", "name", "email", "created_at", "updated_at", "is_active") from stdin;
 * copy "sessions" ("id", "tutor_id", "student_id", "scheduled_time", ...) from stdin;
 * copy "reschedules" ("id", "session_id", "initiator", "original_time", ...) from stdin;
 * copy "email_reports" ("id", "session_id", "recipient_email", "sent_at", ...) from stdin;
 * -- refreshTutorScores(tx, { asOf: dataset.options.now }): with upserted as (insert into tutor_scores ...
 * --   select ... from tutors t left join sessions s ... group by t.id on conflict (tutor_id) do update ...) ...
 * commit;                                   -- in your transaction: release savepoint
 * ```
 *
 * @throws {ConstraintViolationError} a row broke a constraint (a duplicate email or id, a session of an unknown
 *   tutor, ...); the message names the constraint and the dataset row (`reschedules[12]`), `table` the table. Nothing
 *   was written.
 * @throws {ConnectionError} the connection to PostgreSQL was lost (code `CONNECTION_FAILED`); the message says
 *   whether that happened before the commit (nothing written) or during it (outcome unknown).
 * @throws {DiskFullError} into a PGlite data directory: the load obviously does not fit on its file system (refused
 *   before anything is written), or the disk filled up during the load (rolled back); the message says how much it
 *   needed and where.
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
  checkClearExisting(options);
  const plans = planLoad(dataset);
  const asOf = scoresAsOf(dataset, options);
  checkPgliteLimit(db, dataset.sessions.length, options, 'insertDataset');
  const space = spaceNeed(
    driverSession(db),
    dataset.tutors.length + dataset.sessions.length + dataset.reschedules.length + dataset.emailReports.length,
  );
  checkSpace(space);
  const loader = loaderFor(db);
  const load = new Load(options.onProgress);
  let scores: { scored: number; flagged: number };
  try {
    scores = await loader.transaction(async (tx) => {
      if (options.clearExisting) await truncateAllTables(tx.db);
      for (const plan of plans) await load.copyTable(tx, plan);
      const refreshed = asOf === false ? { scored: 0, flagged: 0 } : await load.refreshScores(tx.db, dataset.tutors.length, asOf);
      load.state.committing = true;
      return refreshed;
    });
  } catch (error) {
    // A load can fail while a callback is still running (the connection dropped under it): settle after it, so that
    // nothing the caller started is still running when the load has failed.
    await load.progress?.catch(() => {});
    throw diskFullOr(loadError(error, load.state, loader.commits), space);
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

/** The destructive option, checked strictly: `clearExisting: 'no'` must not truncate. */
export function checkClearExisting(options: { clearExisting?: unknown } | undefined, fn = 'insertDataset'): void {
  const clearExisting = options?.clearExisting;
  if (clearExisting !== undefined && typeof clearExisting !== 'boolean') {
    throw new InvalidOptionError(
      'clearExisting',
      `${fn}: option 'clearExisting' must be true or false (got ${typeof clearExisting}); nothing was changed`,
    );
  }
}

/**
 * Refuses, before anything is written, more sessions than PGlite is documented to take ({@link PGLITE_MAX_SESSIONS}):
 * past it a load takes minutes and GBs of WebAssembly memory, then swaps. `exceedPgliteLimit: true` loads anyway.
 */
export function checkPgliteLimit(
  db: Database,
  sessions: number,
  options: { exceedPgliteLimit?: boolean },
  fn: string,
): void {
  if (sessions <= PGLITE_MAX_SESSIONS || options.exceedPgliteLimit === true) return;
  if (driverSession(db).backend !== 'pglite') return;
  throw new InvalidOptionError(
    'exceedPgliteLimit',
    `${fn}: ${formatCount(sessions)} sessions is above PGlite's limit of ${formatCount(PGLITE_MAX_SESSIONS)} (past it a ` +
      'load takes minutes and GBs of memory): load them into PostgreSQL, or pass exceedPgliteLimit: true to try anyway. ' +
      'Nothing was written.',
  );
}

/** The backend's {@link Loader} for `db`, a database or a transaction of one. */
export function loaderFor(db: Database): Loader {
  return driverSession(db).backend === 'pglite' ? pgliteLoader(db) : postgresLoader(db);
}

/**
 * The instant to score as of: `false` with `refreshScores: false`, undefined (now) when the dataset has no
 * `options.now`. Checked before anything is written.
 */
export function scoresAsOf(dataset: { readonly options?: unknown }, options: InsertDatasetOptions): Date | undefined | false {
  if (options.refreshScores === false) return false;
  const asOf = (dataset.options as { now?: unknown } | undefined)?.now;
  if (asOf !== undefined && !(asOf instanceof Date && !Number.isNaN(asOf.getTime()))) {
    throw new TypeError('insertDataset: dataset.options.now must be a valid Date (the scores are computed as of it)');
  }
  return asOf;
}

/** One run of the load: where it is (for errors) and its progress reports, the same on every backend. */
export class Load {
  readonly state: LoadState = { table: undefined, offset: 0, committing: false };
  /** The latest `onProgress` call, which a failed load waits for before it rejects. */
  progress: Promise<void> | undefined;

  constructor(private readonly onProgress: InsertDatasetOptions['onProgress']) {}

  async report(progress: InsertProgress): Promise<void> {
    const { onProgress } = this;
    if (!onProgress) return;
    this.progress = (async () => onProgress(progress))();
    await this.progress;
  }

  /** One table: `start`, its rows in chunks (`copying` between them), `done` once the database has them all. */
  async copyTable(tx: LoadTransaction, plan: TablePlan): Promise<void> {
    const { table } = plan;
    const rowsTotal = plan.rows.length;
    await this.report({ table, phase: 'start', rowsDone: 0, rowsTotal });
    if (rowsTotal > 0) {
      this.state.table = table;
      this.state.offset = 0;
      const chunks = copyChunks(plan, (rowsDone) => this.report({ table, phase: 'copying', rowsDone, rowsTotal }));
      await tx.copy(plan.target, chunks, (row) => {
        this.state.offset = row;
      });
    }
    await this.report({ table, phase: 'done', rowsDone: rowsTotal, rowsTotal });
  }

  /**
   * One table from chunks made as they are read: `start`, `copying` after each chunk that leaves rows to go, `done`.
   * `rowsTotal` is what the progress reports say the table holds; the chunks decide what is copied.
   */
  async copyStream(
    tx: LoadTransaction,
    table: InsertTable,
    target: string,
    rowsTotal: number,
    chunks: AsyncIterable<CopyChunk & { rows: number }>,
  ): Promise<number> {
    await this.report({ table, phase: 'start', rowsDone: 0, rowsTotal });
    this.state.table = table;
    this.state.offset = 0;
    let rowsDone = 0;
    const report = this.report.bind(this);
    const counted = async function* () {
      for await (const chunk of chunks) {
        if (chunk.rows === 0) continue;
        yield chunk;
        rowsDone += chunk.rows;
        if (rowsDone < rowsTotal) await report({ table, phase: 'copying', rowsDone, rowsTotal });
      }
    };
    // No COPY statement for a table without rows (as copyTable): the first chunk is read before one is started.
    const iterator = counted();
    const first = await iterator.next();
    if (first.done !== true) {
      const all = async function* () {
        yield first.value;
        yield* iterator;
      };
      await tx.copy(target, all(), (row) => {
        this.state.offset = row;
      });
    }
    await this.report({ table, phase: 'done', rowsDone, rowsTotal: rowsDone });
    return rowsDone;
  }

  /** `tutor_scores` refreshed in the load's transaction, as of the dataset's `now`. */
  async refreshScores(db: Database, tutors: number, asOf: Date | undefined): Promise<{ scored: number; flagged: number }> {
    await this.report({ table: 'tutor_scores', phase: 'start', rowsDone: 0, rowsTotal: tutors });
    this.state.table = 'tutor_scores';
    // The tables were just filled in this transaction, so PostgreSQL has no statistics on them (autovacuum cannot see
    // uncommitted rows): the planner then guesses a few hundred sessions and joins them with a nested loop that, at a
    // million sessions, ran for more than six minutes instead of one second. ANALYZE samples the rows this
    // transaction sees (~0.5 s at a million sessions) and its statistics count for this transaction's plans.
    await db.execute(sql`analyze ${tutorsTable}, ${sessions}, ${reschedules}`);
    // Inside a transaction a retry could only fail again ("current transaction is aborted"): none.
    const { scored, flagged } = await refreshTutorScores(db, { ...(asOf ? { asOf } : {}), maxRetries: 0 });
    // The refresh just scored every tutor from a snapshot that holds the whole load, so the changes the load's own
    // statements captured (one row per tutor per COPY) are accounted for: consume them, and only them (rows this
    // transaction wrote), so that the first due refresh does not score every tutor again. Changes committed by other
    // writers meanwhile stay queued.
    await db.execute(sql`delete from ${tutorScoreChanges} where xmin = pg_current_xact_id()::xid`);
    await this.report({ table: 'tutor_scores', phase: 'done', rowsDone: scored, rowsTotal: scored });
    return { scored, flagged };
  }
}
