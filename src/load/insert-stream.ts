import { mkdtemp, open, rm, type FileHandle } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { PgTable } from 'drizzle-orm/pg-core';
import { driverSession, type Database } from '../db/client';
import type { DatasetChunk, DatasetChunkSource } from '../records/dataset';
import { emailReports, reschedules, sessions, tutors } from '../schema';
import { truncateAllTables } from './clear-database';
import { type CopyColumn, copyColumns, copyTarget, encodeCopyRows } from './copy-format';
import {
  checkClearExisting,
  checkPgliteLimit,
  type InsertDatasetOptions,
  type InsertDatasetResult,
  Load,
  loaderFor,
  scoresAsOf,
} from './insert-dataset';
import { loadError } from './load-error';
import type { CopyChunk } from './loader';
import { checkSpace, diskFullOr, spaceNeed } from './space-check';

/** A chunk of COPY text and how many rows it holds. */
type CountedChunk = CopyChunk & { rows: number };

/** One table of the stream: its columns, its COPY target, and the dataset key its rows are named by in errors. */
interface StreamTable {
  columns: CopyColumn[];
  target: string;
  key: string;
}

function streamTable(name: string, key: string, table: PgTable): StreamTable {
  const columns = copyColumns(table, 'all');
  return { columns, target: copyTarget(name, columns), key };
}

/**
 * Where the reschedules and email reports of a stream wait while its sessions are copied (they reference sessions, so
 * they are copied after them, and the one connection copies one table at a time): COPY text in a temporary file per
 * table, with the row range and byte range of each chunk, so that they are read back chunk by chunk. Removed when the
 * load ends, whatever its outcome.
 */
class SpillFile {
  private readonly index: { from: number; rows: number; position: number; bytes: number }[] = [];
  private bytes = 0;
  rows = 0;

  private constructor(private readonly handle: FileHandle) {}

  static async open(path: string): Promise<SpillFile> {
    return new SpillFile(await open(path, 'w+', 0o600));
  }

  /** Appends one chunk's rows as COPY text. */
  async write(rows: readonly object[], table: StreamTable): Promise<void> {
    if (rows.length === 0) return;
    const parts = encodeCopyRows(rows, table.columns, 0, rows.length, table.key, this.rows);
    const bytes = parts.reduce((sum, part) => sum + part.length, 0);
    await this.handle.writev(parts, this.bytes);
    this.index.push({ from: this.rows, rows: rows.length, position: this.bytes, bytes });
    this.bytes += bytes;
    this.rows += rows.length;
  }

  /** The chunks written, in order, read back one at a time. */
  async *chunks(): AsyncGenerator<CountedChunk> {
    for (const { from, rows, position, bytes } of this.index) {
      const data = Buffer.allocUnsafe(bytes);
      let read = 0;
      while (read < bytes) {
        const { bytesRead } = await this.handle.read(data, read, bytes - read, position + read);
        if (bytesRead === 0) throw new Error(`insertDatasetStream: the temporary file of the load ended early (${read} of ${bytes} bytes)`);
        read += bytesRead;
      }
      yield { from, rows, data: [data] };
    }
  }

  close(): Promise<void> {
    return this.handle.close();
  }
}

/** Checks that a chunk has the four row arrays, naming the first that is missing. */
function checkChunk(chunk: unknown, n: number): DatasetChunk {
  if (chunk === null || typeof chunk !== 'object') {
    throw new TypeError(`insertDatasetStream: chunk ${n} of the stream must be an object`);
  }
  for (const key of ['tutors', 'sessions', 'reschedules', 'emailReports'] as const) {
    if (!Array.isArray((chunk as Record<string, unknown>)[key])) {
      throw new TypeError(`insertDatasetStream: chunk ${n} of the stream: ${key} must be an array of rows`);
    }
  }
  return chunk as DatasetChunk;
}

/** The source's iterator, async or not: `next()` is awaited either way. */
function chunkIterator(stream: DatasetChunkSource): Iterator<unknown> | AsyncIterator<unknown> {
  if (stream !== null && typeof stream === 'object') {
    const source = stream as Partial<AsyncIterable<unknown> & Iterable<unknown>>;
    const asyncIterator = source[Symbol.asyncIterator];
    if (typeof asyncIterator === 'function') return asyncIterator.call(source);
    const syncIterator = source[Symbol.iterator];
    if (typeof syncIterator === 'function') return syncIterator.call(source);
  }
  throw new TypeError(
    'insertDatasetStream: stream must be an iterable or async iterable of chunks, such as generateDatasetStream() returns',
  );
}

/**
 * Loads a {@link DatasetStream} (from `generateDatasetStream()`), or any iterable or async iterable of chunks (see
 * {@link DatasetChunkSource}), the way {@link insertDataset} loads a dataset: the four tables by COPY, then
 * `tutor_scores` refreshed, all in ONE transaction that leaves the database as it was should anything fail (a
 * constraint, a throwing `onProgress`, a source that throws, a lost connection, Ctrl-C in the CLI). What differs is
 * memory: the stream is read once, chunk by chunk, and only one chunk is held at a time, so 10 million sessions load
 * in well under a gigabyte. A source the load stops reading early (it failed) is closed with its iterator's
 * `return()`, so a generator's `finally` runs.
 *
 * Order: the tutors of the chunks up to the first one that holds sessions (every tutor must come by then), then one
 * COPY of the sessions of every chunk, fed as the chunks are generated; meanwhile each chunk's reschedules and email
 * reports go to temporary files (in the OS temporary directory, about 200 bytes a row, removed when the load ends),
 * which the next two COPY statements read back (the files are unlinked as soon as they are open, so even a killed
 * process leaves none behind). On PostgreSQL generation and the server's COPY overlap: the load
 * runs at about the speed of a bare COPY of the same rows.
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
  const started = performance.now();
  checkClearExisting(options, 'insertDatasetStream');
  const iterator = chunkIterator(stream);
  const o = (stream as { options?: { tutors?: unknown; sessions?: unknown } }).options;
  const expected = {
    tutors: typeof o?.tutors === 'number' ? o.tutors : 0,
    sessions: typeof o?.sessions === 'number' ? o.sessions : 0,
  };
  const asOf = scoresAsOf(stream, options);
  checkPgliteLimit(db, expected.sessions, options, 'insertDatasetStream');
  // A lower bound (the reschedules and email reports are not known yet): only a load that obviously cannot fit is refused.
  const space = spaceNeed(driverSession(db), expected.tutors + expected.sessions);
  checkSpace(space);
  const loader = loaderFor(db);
  const load = new Load(options.onProgress);
  const dir = await mkdtemp(join(tmpdir(), 'tqs-load-'));
  const spilled: SpillFile[] = [];
  const rows = { tutors: 0, sessions: 0, reschedules: 0, emailReports: 0 };
  /** The source has said it is done (its iterator returned `done`). */
  let ended = false;
  let scores: { scored: number; flagged: number };
  try {
    const rescheduleFile = await SpillFile.open(join(dir, 'reschedules.copy'));
    spilled.push(rescheduleFile);
    const emailFile = await SpillFile.open(join(dir, 'email_reports.copy'));
    spilled.push(emailFile);
    // Removed from the file system at once (POSIX keeps an open file's data until it is closed): a process killed
    // mid-load (kill -9, a second Ctrl-C) leaves nothing behind. Where open files cannot be removed, `finally` does it.
    await rm(dir, { recursive: true, force: true }).catch(() => {});
    const t = {
      tutors: streamTable('tutors', 'tutors', tutors),
      sessions: streamTable('sessions', 'sessions', sessions),
      reschedules: streamTable('reschedules', 'reschedules', reschedules),
      emailReports: streamTable('email_reports', 'emailReports', emailReports),
    };
    let n = 0;
    /** The chunk whose sessions the sessions COPY starts with (read while copying the tutors). */
    let pending: DatasetChunk | undefined;
    const spill = async (chunk: DatasetChunk) => {
      await rescheduleFile.write(chunk.reschedules, t.reschedules);
      await emailFile.write(chunk.emailReports, t.emailReports);
    };

    async function* tutorChunks(): AsyncGenerator<CountedChunk> {
      for (;;) {
        const next = await iterator.next();
        if (next.done === true) {
          ended = true;
          return;
        }
        const chunk = checkChunk(next.value, n++);
        if (chunk.tutors.length > 0) {
          const from = rows.tutors;
          rows.tutors += chunk.tutors.length;
          yield { from, rows: chunk.tutors.length, data: encodeCopyRows(chunk.tutors, t.tutors.columns, 0, chunk.tutors.length, 'tutors', from) };
        }
        await spill(chunk);
        if (chunk.sessions.length > 0 || chunk.reschedules.length > 0 || chunk.emailReports.length > 0) {
          pending = chunk;
          return;
        }
      }
    }

    async function* sessionChunks(): AsyncGenerator<CountedChunk> {
      let chunk = pending;
      pending = undefined;
      for (;;) {
        if (chunk !== undefined) {
          // A source that promised fewer sessions (or no count) is held to PGlite's limit as they arrive.
          checkPgliteLimit(db, rows.sessions + chunk.sessions.length, options, 'insertDatasetStream');
          const from = rows.sessions;
          rows.sessions += chunk.sessions.length;
          const count = chunk.sessions.length;
          const data = encodeCopyRows(chunk.sessions, t.sessions.columns, 0, count, 'sessions', from);
          chunk = undefined; // let the rows go before the next chunk is made
          yield { from, rows: count, data };
        }
        if (ended) return;
        const next = await iterator.next();
        if (next.done === true) {
          ended = true;
          return;
        }
        chunk = checkChunk(next.value, n++);
        if (chunk.tutors.length > 0) {
          throw new TypeError(
            `insertDatasetStream: chunk ${n - 1} of the stream holds tutors after the first sessions; every tutor must ` +
              'come no later than the first chunk that holds sessions',
          );
        }
        await spill(chunk);
      }
    }

    scores = await loader.transaction(async (tx) => {
      if (options.clearExisting) await truncateAllTables(tx.db);
      await load.copyStream(tx, 'tutors', t.tutors.target, expected.tutors, tutorChunks());
      await load.copyStream(tx, 'sessions', t.sessions.target, expected.sessions, sessionChunks());
      rows.reschedules = await load.copyStream(tx, 'reschedules', t.reschedules.target, rescheduleFile.rows, rescheduleFile.chunks());
      rows.emailReports = await load.copyStream(tx, 'email_reports', t.emailReports.target, emailFile.rows, emailFile.chunks());
      const refreshed = asOf === false ? { scored: 0, flagged: 0 } : await load.refreshScores(tx.db, rows.tutors, asOf);
      load.state.committing = true;
      return refreshed;
    });
  } catch (error) {
    await load.progress?.catch(() => {});
    // Lets a source that was not read to its end run its own clean-up (a generator's `finally`, a cursor's close).
    if (!ended) await Promise.resolve(iterator.return?.()).catch(() => {});
    throw diskFullOr(loadError(error, load.state, loader.commits, 'insertDatasetStream'), space);
  } finally {
    for (const file of spilled) await file.close().catch(() => {});
    await rm(dir, { recursive: true, force: true });
  }
  return { rows, ...scores, elapsedMs: Math.round(performance.now() - started) };
}
