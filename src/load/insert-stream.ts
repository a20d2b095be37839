import type { Database } from '../db';
import type { DatasetChunkSource } from '../records/dataset';
import { checkClearExisting, type InsertDatasetOptions, type InsertDatasetResult, scoresAsOf } from './load-options';
import { runLoad } from './load-run';
import { StreamSource } from './stream-source';

/**
 * Loads a {@link DatasetStream} (from `generateDatasetStream()`), or any iterable or async iterable of chunks (see
 * {@link DatasetChunkSource}), the way {@link insertDataset} loads a dataset: the four tables by COPY, then
 * `tutor_scores` refreshed, all in ONE transaction that leaves the database as it was should anything fail (a
 * constraint, a throwing `onProgress`, a source that throws, a lost connection, Ctrl-C in the CLI). What differs is
 * memory: the stream is read once, chunk by chunk, and only one chunk is held at a time. A source the load stops reading early (it failed) is closed with its iterator's
 * `return()`, so a generator's `finally` runs.
 *
 * Order: the tutors of the chunks up to the first one that holds sessions (every tutor must come by then), then one
 * COPY of the sessions of every chunk, fed as the chunks are generated; meanwhile each chunk's reschedules and email
 * reports go to temporary files (in the OS temporary directory, removed when the load ends), which the next two COPY
 * statements read back (the files are unlinked as soon as they are open, so even a killed process leaves none
 * behind). On PostgreSQL generation and the server's COPY overlap.
 *
 * Progress counts: `rowsTotal` is `options.tutors` and `options.sessions` for those tables (the stream's promise,
 * 0 when it makes none, which the `done` report corrects to what was copied), and the rows spilled for the other two.
 * A source without `options.sessions` is held to PGlite's limit as its sessions arrive rather than up front.
 *
 * @throws everything {@link insertDataset} throws, with the same meaning; {@link InvalidOptionError} above PGlite's
 *   limit of 100,000 sessions (see `exceedPgliteLimit`); {@link TypeError} a stream that is not iterable, a chunk
 *   without the four arrays, or tutors after the first sessions; whatever the source throws, after rolling back.
 * @example
 * const stream = generateDatasetStream({ tutors: 50_000, sessions: 10_000_000, now: new Date('2026-01-15T12:00:00Z') });
 * const result = await insertDatasetStream(db, stream, {
 *   onProgress: ({ table, rowsDone, rowsTotal }) => console.log(`${table} ${rowsDone}/${rowsTotal}`),
 * });
 * result.rows.sessions; // 10000000
 */
export async function insertDatasetStream(
  db: Database,
  stream: DatasetChunkSource,
  options: InsertDatasetOptions = {},
): Promise<InsertDatasetResult> {
  checkClearExisting(options, 'insertDatasetStream');
  const source = new StreamSource(stream);
  const { expected } = source;
  return runLoad(db, options, {
    fn: 'insertDatasetStream',
    asOf: scoresAsOf(stream, options),
    sessions: expected.sessions,
    // A lower bound (the reschedules and email reports are not known yet): only a load that obviously cannot fit is refused.
    rows: expected.tutors + expected.sessions,
    tables: source.tables(),
    open: () => source.open(),
    abandon: () => source.abandon(),
    close: () => source.close(),
  });
}
