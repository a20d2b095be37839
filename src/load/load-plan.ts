import type { PgTable } from 'drizzle-orm/pg-core';
import type { Dataset } from '../records/dataset';
import { emailReports, reschedules, sessions, tutors } from '../schema';
import { type CopyColumn, copyColumns, copyTarget, encodeCopyRows } from './copy-format';
import type { CopyChunk } from './loader';

/** A table `insertDataset` reports progress on: the four it loads, in load order, then `tutor_scores`. */
export type InsertTable = 'tutors' | 'sessions' | 'reschedules' | 'email_reports' | 'tutor_scores';

/** The tables a dataset fills, in foreign-key order. */
const loadOrder = [
  { table: 'tutors', key: 'tutors', pgTable: tutors },
  { table: 'sessions', key: 'sessions', pgTable: sessions },
  { table: 'reschedules', key: 'reschedules', pgTable: reschedules },
  { table: 'email_reports', key: 'emailReports', pgTable: emailReports },
] as const satisfies readonly { table: InsertTable; key: keyof Dataset; pgTable: PgTable }[];

/** How one table of a dataset is loaded. */
export interface TablePlan {
  table: InsertTable;
  /** The dataset's key for the table (`emailReports`), which error messages name rows by. */
  key: (typeof loadOrder)[number]['key'];
  rows: readonly object[];
  columns: CopyColumn[];
  /** `"table" ("col", ...)` */
  target: string;
  /** Rows per chunk: the progress step, and the rows per COPY statement on PGlite. */
  step: number;
}

const MIN_CHUNK_ROWS = 1000;
const CHUNKS_PER_TABLE = 50;

/**
 * The load of a dataset, table by table in foreign-key order, checked for shape before anything is written.
 *
 * @throws {TypeError} the dataset or one of its tables is not what `generateDataset()` returns.
 * @example
 * planLoad(generateDataset({ seed: 7 })).map((p) => p.table); // ['tutors', 'sessions', 'reschedules', 'email_reports']
 */
export function planLoad(dataset: Dataset): TablePlan[] {
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

/**
 * The dataset's key for a loaded table, or the name itself for any other.
 *
 * @example
 * datasetKey('email_reports'); // 'emailReports'
 */
export const datasetKey = (table: InsertTable): string => loadOrder.find((l) => l.table === table)?.key ?? table;

/**
 * A table's rows as COPY text, chunk by chunk, calling `between(rowsDone)` after each chunk but the last is taken, so
 * that progress is reported per chunk, and a throwing callback stops the COPY.
 *
 * @example
 * for await (const chunk of copyChunks(plan, async (done) => console.log(done))) send(chunk.data);
 */
export async function* copyChunks(plan: TablePlan, between: (rowsDone: number) => Promise<void>): AsyncGenerator<CopyChunk> {
  const total = plan.rows.length;
  for (let from = 0; from < total; from += plan.step) {
    const to = Math.min(total, from + plan.step);
    yield { from, data: encodeCopyRows(plan.rows, plan.columns, from, to, plan.key) };
    if (to < total) await between(to);
  }
}
