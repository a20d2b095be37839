import type { AbortableOptions } from '../db';


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

/** Options of {@link insertDataset}. `signal`: aborting it rolls the load back (see docs/service-reliability.md). */
export interface InsertDatasetOptions extends AbortableOptions {
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

/** A table `insertDataset` reports progress on: the four it loads, in load order, then `tutor_scores`. */
export type InsertTable = 'tutors' | 'sessions' | 'reschedules' | 'email_reports' | 'tutor_scores';
