import type { CopyChunk } from '../db';

/** What the router holds before it flushes its fullest month: bounds the memory a load's routing takes. */
const BUFFERED_BYTES = 16 * 1024 * 1024;
const PART_BYTES = 1024 * 1024;
const NEWLINE = 0x0a;
const TAB = 0x09;

/** The rows of one COPY into one table: the month's partition, or the parent for a month without one. */
export interface RoutedCopy {
  /** `"sessions_2026_05" ("id", …)`: the COPY target. */
  target: string;
  chunk: CopyChunk;
  /** The dataset index of each line of the chunk, in line order (the lines are no longer contiguous in the dataset). */
  indexes: number[];
}

interface Pending {
  parts: Buffer[];
  bytes: number;
  indexes: number[];
}

/**
 * Splits the COPY text of `sessions` by month of `scheduled_time` (UTC), so that each month with a partition is
 * copied straight into it. A COPY into the partitioned parent inserts row by row (PostgreSQL's COPY cannot batch rows
 * into partitions while the parent has insert triggers with transition tables): 1M sessions loaded 1.4x slower. Each
 * partition carries the parent's statement triggers (migration 0015), so a COPY into it runs the same rules. A month
 * without a partition (or a time the ISO form does not start with `YYYY-MM`) goes to the parent, which routes it.
 *
 * Rows are held per month and a month is flushed when the held text passes {@link BUFFERED_BYTES} (the fullest
 * first), so a load makes a few COPY statements per month, not one per month per chunk.
 */
export class MonthRouter {
  private readonly pending = new Map<string, Pending>();
  private held = 0;
  private readonly field: number;
  private readonly columns: string;

  /**
   * @param target the parent's COPY target, `"sessions" ("id", …, "scheduled_time", …)`
   * @param months the months that have a partition, as `YYYY_MM`
   */
  constructor(
    target: string,
    private readonly months: ReadonlySet<string>,
  ) {
    const open = target.indexOf('(');
    this.columns = target.slice(open);
    this.field = this.columns.slice(1, -1).split(',').map((c) => c.trim()).indexOf('"scheduled_time"');
  }

  /** Whether routing is possible: the rows carry `scheduled_time`. */
  get usable(): boolean {
    return this.field >= 0;
  }

  /** Takes one chunk; returns the copies to make now (months whose held text passed the limit). */
  add(chunk: CopyChunk): RoutedCopy[] {
    const joined = chunk.data.length === 1 ? chunk.data[0]! : Buffer.concat(chunk.data);
    // Every line keeps its newline: lines of different chunks are joined into one COPY.
    const text = joined.length > 0 && joined[joined.length - 1] !== NEWLINE ? Buffer.concat([joined, Buffer.from('\n')]) : joined;
    let start = 0;
    let row = chunk.from;
    // Consecutive lines of one month (a tutor's sessions come in time order) are held as one slice of the chunk.
    let run: { entry: Pending; from: number } | undefined;
    while (start < text.length) {
      const end = text.indexOf(NEWLINE, start);
      const month = this.monthOf(text, start, end);
      const key = month !== undefined && this.months.has(month) ? month : '';
      let entry = this.pending.get(key);
      if (!entry) this.pending.set(key, (entry = { parts: [], bytes: 0, indexes: [] }));
      if (run?.entry !== entry) {
        if (run) run.entry.parts.push(text.subarray(run.from, start));
        run = { entry, from: start };
      }
      entry.bytes += end + 1 - start;
      entry.indexes.push(row);
      this.held += end + 1 - start;
      row += 1;
      start = end + 1;
    }
    if (run) run.entry.parts.push(text.subarray(run.from, start));
    const out: RoutedCopy[] = [];
    while (this.held > BUFFERED_BYTES) out.push(this.flush(this.fullest()));
    return out;
  }

  /** The copies of everything still held. */
  finish(): RoutedCopy[] {
    return [...this.pending.keys()].sort().map((key) => this.flush(key));
  }

  /** The `YYYY_MM` of the line's scheduled_time field, from its ISO 8601 text (`2026-05-01T…Z`). */
  private monthOf(text: Buffer, start: number, end: number): string | undefined {
    let at = start;
    for (let f = 0; f < this.field; f++) {
      const tab = text.indexOf(TAB, at);
      if (tab < 0 || tab > end) return undefined;
      at = tab + 1;
    }
    if (at + 7 > end || text[at + 4] !== 0x2d) return undefined;
    return `${text.toString('latin1', at, at + 4)}_${text.toString('latin1', at + 5, at + 7)}`;
  }

  private fullest(): string {
    let best = '';
    let bytes = -1;
    for (const [key, entry] of this.pending) {
      if (entry.bytes > bytes) [best, bytes] = [key, entry.bytes];
    }
    return best;
  }

  private flush(key: string): RoutedCopy {
    const entry = this.pending.get(key)!;
    this.pending.delete(key);
    this.held -= entry.bytes;
    const table = key === '' ? '"sessions"' : `"sessions_${key}"`;
    return {
      target: `${table} ${this.columns}`,
      chunk: { from: entry.indexes[0]!, rows: entry.indexes.length, data: inParts(entry.parts) },
      indexes: entry.indexes,
    };
  }
}

/** The held slices as parts of 1 MiB (COPY data may be cut anywhere), instead of thousands of small writes. */
function inParts(slices: Buffer[]): Buffer[] {
  const all = Buffer.concat(slices);
  const parts: Buffer[] = [];
  for (let at = 0; at < all.length; at += PART_BYTES) parts.push(all.subarray(at, Math.min(all.length, at + PART_BYTES)));
  return parts;
}
