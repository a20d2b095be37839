import { getHeapStatistics } from 'node:v8';

/**
 * The most sessions the CLI loads into an embedded PGlite database: PGlite slows sharply past ~100k rows per table
 * (a load of a million sessions takes many minutes). PostgreSQL has no such ceiling; its bound is
 * {@link maxGeneratedRows}.
 *
 * @example
 * if (sessions > PGLITE_MAX_SESSIONS) console.error('use PostgreSQL (--database-url) for this size');
 */
export const PGLITE_MAX_SESSIONS = 100_000;

/**
 * What one generated row (a tutor or a session, with its reschedule and email report) costs at the peak of
 * `generateDataset`, in bytes of JavaScript heap: about 600 are kept in the dataset, the rest is transient. Rounded
 * up so that the limit errs on the side of finishing.
 */
const PEAK_BYTES_PER_ROW = 1024;

/** Share of the heap a generation may take: the load, the report and the runtime need the rest. */
const HEAP_SHARE = 0.6;

/** Elements of the largest JavaScript `Set`/`Map` (V8: 2^24), which the generator keeps one per id. */
const MAX_COLLECTION_SIZE = 2 ** 24;

/**
 * The most rows (tutors + sessions) `generateDataset` builds in one call in this process: 60% of the smaller of the
 * JavaScript heap limit and the machine's memory, at ~1 KB per row, and never beyond V8's largest `Set`. Above it a
 * generation would run out of memory after minutes instead of being refused at once; `generateDatasetStream` (fed to
 * `insertDatasetStream`) holds one chunk at a time instead, and only its tutors count against this bound.
 *
 * @example
 * maxGeneratedRows(); // 2,605,000 with Node's default heap of ~4 GB
 */
export function maxGeneratedRows(): number {
  const heap = getHeapStatistics().heap_size_limit;
  return Math.min(MAX_COLLECTION_SIZE, Math.floor((heap * HEAP_SHARE) / PEAK_BYTES_PER_ROW / 1000) * 1000);
}
