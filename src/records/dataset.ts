import type { ResolvedGenerateOptions, TutorGroundTruth } from '../domain/dataset';
import type { EmailReport, Reschedule, Session, Tutor } from '../schema';

/** A reschedule row as generated: every column but the generated `hours_before_session`. */
export type DatasetReschedule = Omit<Reschedule, 'hoursBeforeSession'>;

/**
 * An email report row as generated: never claimed by a worker, so without `claimed_until` and the claim queue's
 * `attempts`, `claim_token` and `available_at` (the database's defaults: 0, null, null).
 */
export type DatasetEmailReport = Omit<EmailReport, 'claimedUntil' | 'attempts' | 'claimToken' | 'availableAt'>;

/**
 * A generated dataset: complete rows for every table (ids and timestamps included, nothing left to database
 * defaults), in an order that respects foreign keys, plus the ground truth. Plain data: JSON-serializable apart from
 * its `Date`s, and deep-equal for equal options.
 *
 * @example
 * const dataset: Dataset = generateDataset({ now: new Date('2026-01-15T12:00:00Z') });
 * await insertDataset(db, dataset);
 * const high = dataset.groundTruth.filter((t) => t.tier === 'high').map((t) => t.tutorId);
 */
export interface Dataset {
  /** The options that made it, every default filled in: `generateDataset(dataset.options)` makes it again. */
  options: ResolvedGenerateOptions;
  tutors: Tutor[];
  sessions: Session[];
  reschedules: DatasetReschedule[];
  emailReports: DatasetEmailReport[];
  groundTruth: TutorGroundTruth[];
}

/**
 * A piece of a dataset as {@link DatasetStream} yields it: rows of each table, in the dataset's order. Concatenating
 * every chunk's arrays, table by table, gives the whole dataset. Tutors come first: every tutor is in a chunk no
 * later than the first chunk that holds a session (the generator puts them all in the first chunk).
 *
 * @example
 * for (const chunk of generateDatasetStream({ sessions: 10_000 })) total += chunk.sessions.length;
 */
export interface DatasetChunk {
  tutors: Tutor[];
  sessions: Session[];
  reschedules: DatasetReschedule[];
  emailReports: DatasetEmailReport[];
  groundTruth: TutorGroundTruth[];
}

/**
 * A dataset made chunk by chunk, so that only a chunk of it is in memory at a time: `generateDatasetStream()`
 * returns one, `insertDatasetStream()` loads one. Each iteration starts over from the seed and yields the same chunks.
 *
 * @example
 * const stream: DatasetStream = generateDatasetStream({ tutors: 50_000, sessions: 10_000_000 });
 * stream.options.sessions; // 10000000: the sessions the chunks hold in all
 */
export interface DatasetStream extends Iterable<DatasetChunk> {
  /** The options that make it, every default filled in; `options.tutors` and `options.sessions` are its row counts. */
  readonly options: ResolvedGenerateOptions;
}

/**
 * What `insertDatasetStream()` reads: a {@link DatasetStream}, or any iterable or async iterable of chunks (rows read
 * from files or from another database, say). `options`, when given, promises the row counts (for progress, PGlite's
 * limit and the free-space check before anything is written) and the instant to score as of.
 *
 * @example
 * // The history of another database of this schema, 10,000 rows at a time (a postgres.js cursor).
 * const source = postgres(url, { transform: postgres.camel }); // tutor_id -> tutorId
 * async function* history(): AsyncGenerator<DatasetChunk> {
 *   const none = { tutors: [], sessions: [], reschedules: [], emailReports: [], groundTruth: [] };
 *   yield { ...none, tutors: await source<Tutor[]>`select * from tutors` };
 *   for await (const rows of source<Session[]>`select * from sessions`.cursor(10_000)) yield { ...none, sessions: rows };
 *   for await (const rows of source<Reschedule[]>`select * from reschedules`.cursor(10_000)) yield { ...none, reschedules: rows };
 * }
 * await insertDatasetStream(db, history());
 */
export type DatasetChunkSource = (Iterable<DatasetChunk> | AsyncIterable<DatasetChunk>) & {
  readonly options?: { readonly tutors?: number; readonly sessions?: number; readonly now?: Date };
};
