import { sql } from 'drizzle-orm';
import { abortable, abortPoint, type CopyChunk, type Database, databaseBackend, ensureSessionMonths, type LoadTransaction, sessionPartitionMonths, sessionsArePartitioned } from '../db';
import { MonthRouter, type RoutedCopy } from './month-router';
import { InvalidOptionError } from '../errors';
import { reschedules, sessions, tutors, tutorScoreChanges } from '../schema';
import { refreshTutorScores } from '../scoring';
import { formatCount } from '../util/format';
import { truncateAllTables } from './truncate-tables';
import { loadError, type LoadState } from './load-error';
import type { InsertDatasetOptions, InsertDatasetResult, InsertProgress } from './load-options';
import type { TableLoad } from './load-plan';

/** What an entry point hands the load run: its tables, and the clean-up its source needs. */
export interface LoadSource {
  /** The function named in errors. */
  fn: 'insertDataset' | 'insertDatasetStream';
  /** Sessions and rows known before anything is read: checked against PGlite's limit and the free disk space. */
  sessions: number;
  rows: number;
  /** The instant to score as of, from {@link scoresAsOf}. */
  asOf: Date | undefined | false;
  tables: readonly TableLoad[];
  /** The first and last scheduled_time of its sessions (or bounds around them), when known before the rows are read. */
  sessionTimes?: { from: Date; to: Date } | undefined;
  /** Prepares the source once the checks have passed (temporary files, ...). */
  open?(): Promise<void>;
  /** Called after a failed load, so that a source that was not read to its end can clean up. */
  abandon?(): Promise<void>;
  /** Called when the load ends, whatever its outcome. */
  close?(): Promise<void>;
}

/**
 * The one load of the package, behind `insertDataset` and `insertDatasetStream`: the backend is asked for once, the
 * checks run before anything is written, then every table is copied and the scores refreshed in ONE transaction,
 * which a failure anywhere rolls back.
 *
 * @example
 * const result = await runLoad(db, {}, { fn: 'insertDataset', sessions: 0, rows: 0, asOf: false, tables: [] });
 */
export async function runLoad(db: Database, options: InsertDatasetOptions, source: LoadSource): Promise<InsertDatasetResult> {
  const started = performance.now();
  const backend = databaseBackend(db);
  const checkSessions = (count: number) => checkSessionLimit(backend.maxLoadSessions, count, options, source.fn);
  checkSessions(source.sessions);
  const space = backend.loadSpace(source.rows);
  space.check();
  const load = new Load(options.onProgress, checkSessions);
  try {
    await source.open?.();
    const loadAll = () =>
      backend.loader.transaction(async (tx) => {
        if (options.clearExisting) await truncateAllTables(tx.db);
        await tx.db.execute(sql`select tqs_begin_bulk_load()`);
        load.sessionMonths = await sessionPartitionMonths(tx.db);
        for (const table of source.tables) await load.copyTable(tx, table);
        await abortPoint();
        await load.endBulkLoad(tx.db);
        const refreshed = source.asOf === false ? { scored: 0, flagged: 0 } : await load.refreshScores(tx.db, source.asOf);
        load.state.committing = true;
        return refreshed;
      });
    const monthsThenLoad = async () => {
      await ensureLoadMonths(db, source.sessionTimes);
      return loadAll();
    };
    const scores = await abortable(source.fn, options.signal, monthsThenLoad, () => 'the load was rolled back, nothing of it was written');
    return { rows: load.rows, ...scores, elapsedMs: Math.round(performance.now() - started) };
  } catch (error) {
    // A load can fail while a callback is still running (the connection dropped under it): settle after it, so that
    // nothing the caller started is still running when the load has failed.
    await load.progress?.catch(() => {});
    await source.abandon?.().catch(() => {});
    throw space.failure(loadError(error, load.state, backend.loader.commits, source.fn));
  } finally {
    await source.close?.();
  }
}

/**
 * Refuses, before anything is written, more sessions than the backend takes in one load (PGlite's
 * `PGLITE_MAX_SESSIONS`): past it a load takes minutes and GBs of WebAssembly memory. `exceedPgliteLimit: true`
 * loads anyway.
 */
function checkSessionLimit(max: number | undefined, sessions: number, options: InsertDatasetOptions, fn: string): void {
  if (max === undefined || sessions <= max || options.exceedPgliteLimit === true) return;
  throw new InvalidOptionError(
    'exceedPgliteLimit',
    `${fn}: ${formatCount(sessions)} sessions is above PGlite's limit of ${formatCount(max)} (past it a ` +
      'load takes minutes and GBs of memory): load them into PostgreSQL, or pass exceedPgliteLimit: true to try anyway. ' +
      'Nothing was written.',
  );
}

/** One run of the load: where it is (for errors), what it copied, and its progress reports. */
class Load {
  readonly state: LoadState = { table: undefined, offset: 0, committing: false, checking: false };
  readonly rows = { tutors: 0, sessions: 0, reschedules: 0, emailReports: 0 };
  /** The latest `onProgress` call, which a failed load waits for before it rejects. */
  progress: Promise<void> | undefined;
  /** Partitioned sessions (0015): the months with a partition, whose rows are copied straight into it. */
  sessionMonths: ReadonlySet<string> | undefined;

  constructor(
    private readonly onProgress: InsertDatasetOptions['onProgress'],
    private readonly checkSessions: (count: number) => void,
  ) {}

  async report(progress: InsertProgress): Promise<void> {
    const { onProgress } = this;
    if (!onProgress) return;
    this.progress = (async () => onProgress(progress))();
    await this.progress;
  }

  /**
   * One table: `start`, its chunks in one COPY path (`copying` after each that leaves rows to go), `done` once the
   * database has them all. No COPY statement for a table without rows: the first chunk is read before one starts.
   */
  async copyTable(tx: LoadTransaction, source: TableLoad): Promise<void> {
    const { table } = source;
    const rowsTotal = source.rowsTotal();
    await this.report({ table, phase: 'start', rowsDone: 0, rowsTotal });
    this.state.table = table;
    this.state.offset = 0;
    this.state.rowIndexes = undefined;
    let rowsDone = 0;
    const counted = async function* (this: Load): AsyncGenerator<CopyChunk> {
      for await (const chunk of source.chunks()) {
        if (chunk.rows === 0) continue;
        // A source that promised fewer sessions (or no count) is held to the backend's limit as they arrive.
        if (table === 'sessions') this.checkSessions(rowsDone + chunk.rows);
        await abortPoint(); // PGlite: an abort takes effect here, between chunks
        yield chunk;
        rowsDone += chunk.rows;
        if (rowsDone < rowsTotal) await this.report({ table, phase: 'copying', rowsDone, rowsTotal });
      }
    }.call(this);
    const router = table === 'sessions' && this.sessionMonths ? new MonthRouter(source.target, this.sessionMonths) : undefined;
    if (router?.usable) {
      for await (const chunk of counted) for (const copy of router.add(chunk)) await this.copyRouted(tx, copy);
      for (const copy of router.finish()) await this.copyRouted(tx, copy);
      this.state.rowIndexes = undefined;
      this.rows[source.key] = rowsDone;
      await this.report({ table, phase: 'done', rowsDone, rowsTotal: rowsDone });
      return;
    }
    const first = await counted.next();
    if (first.done !== true) {
      const all = async function* () {
        yield first.value;
        yield* counted;
      };
      await tx.copy(source.target, all(), (row) => {
        this.state.offset = row;
      });
    }
    this.rows[source.key] = rowsDone;
    await this.report({ table, phase: 'done', rowsDone, rowsTotal: rowsDone });
  }

  /** One COPY of rows routed to their month: errors name each line's dataset row through `rowIndexes`. */
  private async copyRouted(tx: LoadTransaction, copy: RoutedCopy): Promise<void> {
    this.state.rowIndexes = copy.indexes;
    await tx.copy(copy.target, (async function* () { yield copy.chunk; })(), (row) => {
      this.state.offset = row;
    });
  }

  /**
   * Load mode over (migration 0013): the one set-based pass that replaces the statement triggers' work for the COPY
   * statements of the load (the reschedule rule checked over the loaded times, their fleet counts recounted, their
   * tutors queued for scoring), run now rather than at commit so that the refresh after it sees its queue.
   */
  async endBulkLoad(db: Database): Promise<void> {
    this.state.checking = true;
    await db.execute(sql`select tqs_end_bulk_load()`);
    this.state.checking = false;
  }

  /** `tutor_scores` refreshed in the load's transaction, as of the dataset's `now`. */
  async refreshScores(db: Database, asOf: Date | undefined): Promise<{ scored: number; flagged: number }> {
    await this.report({ table: 'tutor_scores', phase: 'start', rowsDone: 0, rowsTotal: this.rows.tutors });
    this.state.table = 'tutor_scores';
    // Rows written in this transaction have no statistics yet (autovacuum cannot see them), and the planner would
    // guess a few hundred sessions and pick a nested loop; ANALYZE samples what this transaction sees.
    await db.execute(sql`analyze ${tutors}, ${sessions}, ${reschedules}`);
    // Inside a transaction a retry could only fail again ("current transaction is aborted"): none.
    const { scored, flagged } = await refreshTutorScores(db, { ...(asOf ? { asOf } : {}), maxRetries: 0 });
    // The refresh scored every tutor from a snapshot that holds the whole load, so the changes the load's own
    // statements queued are accounted for: consume those (rows of this transaction) and leave other writers' queued.
    await db.execute(sql`delete from ${tutorScoreChanges} where xmin = pg_current_xact_id()::xid`);
    await this.report({ table: 'tutor_scores', phase: 'done', rowsDone: scored, rowsTotal: scored });
    return { scored, flagged };
  }
}

/**
 * The destructive option, checked strictly: `clearExisting: 'no'` must not truncate.
 *
 * @throws {InvalidOptionError} `clearExisting` is given and not a boolean.
 * @example
 * checkClearExisting({ clearExisting: 'yes' }); // throws InvalidOptionError
 */
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
 * The instant to score as of: `false` with `refreshScores: false`, undefined (now) when the dataset has no
 * `options.now`. Checked before anything is written.
 *
 * @example
 * scoresAsOf(generateDataset({ now }), {}); // now
 */
export function scoresAsOf(dataset: { readonly options?: unknown }, options: InsertDatasetOptions): Date | undefined | false {
  if (options.refreshScores === false) return false;
  const asOf = (dataset.options as { now?: unknown } | undefined)?.now;
  if (asOf !== undefined && !(asOf instanceof Date && !Number.isNaN(asOf.getTime()))) {
    throw new InvalidOptionError('dataset.options.now', 'insertDataset: dataset.options.now must be a valid Date (the scores are computed as of it)');
  }
  return asOf;
}

const DAY_MS = 86_400_000;
/** The most months a load creates partitions for before its rows arrive (five years). */
const MAX_LOAD_MONTHS = 60;

const monthsApart = ({ from, to }: { from: Date; to: Date }) =>
  (to.getUTCFullYear() - from.getUTCFullYear()) * 12 + to.getUTCMonth() - from.getUTCMonth();

/**
 * Partitioned sessions (0015): the months of a load's rows, made before it in a short transaction of their own (empty
 * partitions: nothing moves, and a failed load leaves only them), so that the load's rows go straight to their month
 * and the load does not hold the lock that creating a partition takes. Rows spread over more than MAX_LOAD_MONTHS
 * months land in the default partition (ensurePartitions moves them).
 */
async function ensureLoadMonths(db: Database, times: { from: Date; to: Date } | undefined): Promise<void> {
  if (!times || monthsApart(times) > MAX_LOAD_MONTHS) return;
  await db.transaction(async (tx) => {
    if (await sessionsArePartitioned(tx)) await ensureSessionMonths(tx, times.from, times.to);
  });
}

/**
 * The span of scheduled times a generated stream's sessions lie in, from its options (`now`, `days`, `bookedDays`):
 * the months the load makes before its rows arrive. Undefined when the options do not say.
 */
export function streamSessionTimes(dataset: { readonly options?: unknown }): { from: Date; to: Date } | undefined {
  const { now, days, bookedDays } = (dataset.options ?? {}) as { now?: unknown; days?: unknown; bookedDays?: unknown };
  if (!(now instanceof Date) || typeof days !== 'number') return undefined;
  const ahead = typeof bookedDays === 'number' ? bookedDays : 0;
  return { from: new Date(now.getTime() - (days + 1) * DAY_MS), to: new Date(now.getTime() + (ahead + 1) * DAY_MS) };
}
