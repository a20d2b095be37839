import { type Database, inCall } from '../db';
import type { DatasetChunkSource } from '../records/dataset';
import type { InsertDatasetOptions, InsertDatasetResult } from './load-options';
import { checkClearExisting, runLoad, scoresAsOf, streamSessionTimes } from './load-run';
import { StreamSource } from './stream-source';

/**
 * Loads a {@link DatasetStream} (from `generateDatasetStream()`), or any iterable or async iterable of chunks (see
 * {@link DatasetChunkSource}), as {@link insertDataset} loads a dataset: the same COPY statements, scores and single
 * transaction. The stream is read once and one chunk is held at a time. The tutors must all come by the first chunk
 * that holds sessions; reschedules and email reports wait in temporary files (unlinked as soon as they are open)
 * until the sessions are in. A source the load stops reading early is closed with its iterator's `return()`.
 *
 * Progress: `rowsTotal` is the stream's `options.tutors` and `options.sessions` for those tables (0 without a
 * promise; `done` reports what was copied) and the rows spilled for the other two. A source without
 * `options.sessions` is held to PGlite's limit as its sessions arrive.
 *
 * @throws everything {@link insertDataset} throws, with the same meaning; {@link InvalidOptionError} a stream that is not
 *   iterable, a chunk without the four arrays, or tutors after the first sessions; whatever the source throws, after
 *   rolling back.
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
  const load = () => runLoad(db, options, {
    fn: 'insertDatasetStream',
    asOf: scoresAsOf(stream, options),
    sessions: expected.sessions,
    // A lower bound (the reschedules and email reports are not known yet): only a load that obviously cannot fit is refused.
    rows: expected.tutors + expected.sessions,
    tables: source.tables(),
    sessionTimes: streamSessionTimes(stream),
    open: () => source.open(),
    abandon: () => source.abandon(),
    close: () => source.close(),
  });
  return inCall(db, 'insertDatasetStream', load);
}
