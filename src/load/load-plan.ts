import type { PgTable } from 'drizzle-orm/pg-core';
import type { CopyChunk } from '../db';
import type { Dataset } from '../records/dataset';
import { emailReports, reschedules, sessions, tutors } from '../schema';
import { type CopyColumn, copyColumns, copyTarget, encodeCopyRows } from './copy-format';
import type { InsertTable } from './load-options';
import { InvalidOptionError } from '../errors';


/** The tables a dataset fills, in foreign-key order. */
export const loadOrder = [
  { table: 'tutors', key: 'tutors', pgTable: tutors },
  { table: 'sessions', key: 'sessions', pgTable: sessions },
  { table: 'reschedules', key: 'reschedules', pgTable: reschedules },
  { table: 'email_reports', key: 'emailReports', pgTable: emailReports },
] as const satisfies readonly { table: InsertTable; key: keyof Dataset; pgTable: PgTable }[];

/** One entry of {@link loadOrder}. */
export type LoadedTable = (typeof loadOrder)[number];

/** One table of a load, whatever its rows come from: where they go and the chunks that bring them. */
export interface TableLoad {
  table: LoadedTable['table'];
  /** The dataset's key for the table (`emailReports`), which results and errors name rows by. */
  key: LoadedTable['key'];
  /** `"table" ("col", ...)`, the target of its COPY. */
  target: string;
  /** The rows the progress reports announce, read when the table starts (a stream knows some only by then). */
  rowsTotal(): number;
  /** Its rows in COPY text, chunk by chunk, each made when the COPY asks for it. */
  chunks(): AsyncIterable<CopyChunk>;
}

const MIN_CHUNK_ROWS = 1000;
const CHUNKS_PER_TABLE = 50;

/**
 * The load of a dataset held in memory, table by table in foreign-key order, checked for shape before anything is
 * written. Each table goes in chunks of about 2% of its rows (at least 1,000): the progress step, and the rows per
 * COPY statement on PGlite.
 *
 * @throws {InvalidOptionError} the dataset or one of its tables is not what `generateDataset()` returns.
 * @example
 * planLoad(generateDataset({ seed: 7 })).map((t) => t.table); // ['tutors', 'sessions', 'reschedules', 'email_reports']
 */
export function planLoad(dataset: Dataset): TableLoad[] {
  if (dataset === null || typeof dataset !== 'object') throw new InvalidOptionError('dataset', 'insertDataset: dataset must be an object');
  return loadOrder.map((entry) => {
    const rows = dataset[entry.key] as readonly object[] | undefined;
    if (!Array.isArray(rows)) throw new InvalidOptionError(`dataset.${entry.key}`, `insertDataset: dataset.${entry.key} must be an array of rows`);
    const columns = copyColumns(entry.pgTable, rows);
    const step = Math.max(MIN_CHUNK_ROWS, Math.ceil(rows.length / CHUNKS_PER_TABLE));
    return {
      table: entry.table,
      key: entry.key,
      target: copyTarget(entry.table, columns),
      rowsTotal: () => rows.length,
      async *chunks() {
        for (let from = 0; from < rows.length; from += step) {
          const to = Math.min(rows.length, from + step);
          yield { from, rows: to - from, data: encodeCopyRows(rows, columns, from, to, entry.key) };
        }
      },
    };
  });
}

/** Columns no dataset row carries, left to their defaults: the claim queue's bookkeeping of a report. */
const UNSET_COLUMNS: ReadonlySet<string> = new Set(['email_reports.attempts', 'email_reports.claim_token', 'email_reports.available_at']);

/**
 * The columns and COPY target of a table whose rows are complete (a stream's, which are not all at hand to look at).
 *
 * @example
 * completeRows(loadOrder[0]).target; // '"tutors" ("id", "name", ...)'
 */
export function completeRows(entry: LoadedTable): { columns: CopyColumn[]; target: string } {
  const columns = copyColumns(entry.pgTable, 'all').filter((c) => !UNSET_COLUMNS.has(`${entry.table}.${c.name}`));
  return { columns, target: copyTarget(entry.table, columns) };
}

/**
 * The dataset's key for a loaded table, or the name itself for any other.
 *
 * @example
 * datasetKey('email_reports'); // 'emailReports'
 */
export const datasetKey = (table: InsertTable): string => loadOrder.find((l) => l.table === table)?.key ?? table;
