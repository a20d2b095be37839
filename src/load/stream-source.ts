import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CopyChunk } from '../db';
import type { DatasetChunk, DatasetChunkSource } from '../records/dataset';
import { encodeCopyRows } from './copy-format';
import { completeRows, type LoadedTable, loadOrder, type TableLoad } from './load-plan';
import { SpillFile } from './spill-file';
import { InvalidOptionError } from '../errors';

const [tutorTable, sessionTable, rescheduleTable, emailTable] = loadOrder;

/**
 * A stream of dataset chunks as the four tables of a load, read once: the tutors of the chunks up to the first that
 * holds sessions, then one COPY of every chunk's sessions, fed as the chunks come. Meanwhile each chunk's reschedules
 * and email reports, which reference sessions, wait in temporary files that the last two COPY statements read back.
 *
 * @example
 * const source = new StreamSource(generateDatasetStream({ sessions: 10_000 }));
 * source.tables().map((t) => t.table); // ['tutors', 'sessions', 'reschedules', 'email_reports']
 */
export class StreamSource {
  /** The rows the stream promises (`options.tutors`, `options.sessions`), 0 where it makes no promise. */
  readonly expected: { tutors: number; sessions: number };
  private readonly iterator: Iterator<unknown> | AsyncIterator<unknown>;
  /** The source has said it is done (its iterator returned `done`). */
  private ended = false;
  private read = 0;
  /** The chunk whose sessions the sessions COPY starts with (read while copying the tutors). */
  private pending: DatasetChunk | undefined;
  private dir: string | undefined;
  private spills: SpillFile[] = [];

  constructor(stream: DatasetChunkSource) {
    this.iterator = chunkIterator(stream);
    const promised = (stream as { options?: { tutors?: unknown; sessions?: unknown } }).options;
    this.expected = {
      tutors: typeof promised?.tutors === 'number' ? promised.tutors : 0,
      sessions: typeof promised?.sessions === 'number' ? promised.sessions : 0,
    };
  }

  /**
   * Creates the two temporary files, unlinked at once (POSIX keeps an open file's data until it is closed): a process
   * killed mid-load leaves nothing behind. Where open files cannot be removed, {@link close} does it.
   */
  async open(): Promise<void> {
    this.dir = await mkdtemp(join(tmpdir(), 'tqs-load-'));
    for (const entry of [rescheduleTable, emailTable]) {
      const { columns } = completeRows(entry);
      this.spills.push(await SpillFile.open(join(this.dir, `${entry.table}.copy`), columns, entry.key));
    }
    await rm(this.dir, { recursive: true, force: true }).catch(() => {});
  }

  /** The four tables, in load order. */
  tables(): TableLoad[] {
    const table = (entry: LoadedTable, rowsTotal: () => number, chunks: () => AsyncIterable<CopyChunk>): TableLoad => ({
      table: entry.table,
      key: entry.key,
      target: completeRows(entry).target,
      rowsTotal,
      chunks,
    });
    const spill = (n: number) => this.spills[n] as SpillFile;
    return [
      table(tutorTable, () => this.expected.tutors, () => this.tutorChunks()),
      table(sessionTable, () => this.expected.sessions, () => this.sessionChunks()),
      table(rescheduleTable, () => spill(0).rows, () => spill(0).chunks()),
      table(emailTable, () => spill(1).rows, () => spill(1).chunks()),
    ];
  }

  /** Lets a source that was not read to its end run its own clean-up (a generator's `finally`, a cursor's close). */
  async abandon(): Promise<void> {
    if (!this.ended) await this.iterator.return?.();
  }

  /** Closes and removes the temporary files. */
  async close(): Promise<void> {
    for (const file of this.spills) await file.close().catch(() => {});
    if (this.dir !== undefined) await rm(this.dir, { recursive: true, force: true });
  }

  /** The next chunk of the source, checked, with its reschedules and email reports spilled; undefined at its end. */
  private async next(): Promise<DatasetChunk | undefined> {
    const next = await this.iterator.next();
    if (next.done === true) {
      this.ended = true;
      return undefined;
    }
    const chunk = checkChunk(next.value, this.read++);
    await this.spills[0]?.write(chunk.reschedules);
    await this.spills[1]?.write(chunk.emailReports);
    return chunk;
  }

  private async *tutorChunks(): AsyncGenerator<CopyChunk> {
    const { columns } = completeRows(tutorTable);
    let from = 0;
    for (let chunk = await this.next(); chunk !== undefined; chunk = await this.next()) {
      const rows = chunk.tutors.length;
      if (rows > 0) yield { from, rows, data: encodeCopyRows(chunk.tutors, columns, 0, rows, 'tutors', from) };
      from += rows;
      if (chunk.sessions.length > 0 || chunk.reschedules.length > 0 || chunk.emailReports.length > 0) {
        this.pending = chunk;
        return;
      }
    }
  }

  private async *sessionChunks(): AsyncGenerator<CopyChunk> {
    const { columns } = completeRows(sessionTable);
    let chunk = this.pending;
    this.pending = undefined;
    let from = 0;
    for (;;) {
      if (chunk !== undefined) {
        const rows = chunk.sessions.length;
        const data = encodeCopyRows(chunk.sessions, columns, 0, rows, 'sessions', from);
        chunk = undefined; // let the rows go before the next chunk is made
        yield { from, rows, data };
        from += rows;
      }
      if (this.ended) return;
      chunk = await this.next();
      if (chunk === undefined) return;
      if (chunk.tutors.length > 0) {
        throw new InvalidOptionError(
          'stream',
          `insertDatasetStream: chunk ${this.read - 1} of the stream holds tutors after the first sessions; every tutor ` +
            'must come no later than the first chunk that holds sessions',
        );
      }
    }
  }
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
  throw new InvalidOptionError(
    'stream',
    'insertDatasetStream: stream must be an iterable or async iterable of chunks, such as generateDatasetStream() returns',
  );
}

/** Checks that a chunk has the four row arrays, naming the first that is missing. */
function checkChunk(chunk: unknown, n: number): DatasetChunk {
  if (chunk === null || typeof chunk !== 'object') {
    throw new InvalidOptionError('stream', `insertDatasetStream: chunk ${n} of the stream must be an object`);
  }
  for (const key of ['tutors', 'sessions', 'reschedules', 'emailReports'] as const) {
    if (!Array.isArray((chunk as Record<string, unknown>)[key])) {
      throw new InvalidOptionError('stream', `insertDatasetStream: chunk ${n} of the stream: ${key} must be an array of rows`);
    }
  }
  return chunk as DatasetChunk;
}
