import type { Database } from './client';

/** One chunk of a table's rows, encoded in COPY's text format. */
export interface CopyChunk {
  /** The dataset index of the chunk's first row. */
  from: number;
  /** How many rows the chunk holds. */
  rows: number;
  data: Buffer[];
}

/** The transaction a load runs in, as a backend provides it. */
export interface LoadTransaction {
  /** A Drizzle database over this same transaction: statements run through it belong to the load. */
  readonly db: Database;
  /**
   * Copies rows into `target` (`"table" ("col", ...)`), reading `chunks` in order and each only once the database
   * has taken the previous one. Calls `statementAt` with the dataset index of the first row of each COPY statement it
   * starts: the line numbers in the server's errors count from there.
   */
  copy(target: string, chunks: AsyncIterable<CopyChunk>, statementAt: (row: number) => void): Promise<void>;
}

/**
 * What a load needs from a backend, implemented once per backend (`pglite/loader.ts`, `postgres-js/loader.ts`) the
 * way a Kysely dialect implements its driver: the load itself (chunks, progress, errors) is written once.
 */
export interface Loader {
  /**
   * Runs `work` in one transaction and settles after it: on a database, a transaction of its own, committed when
   * `work` resolves; on a transaction the caller opened, a savepoint of it, which the caller's commit keeps or its
   * rollback undoes. Either way, when `work` throws, nothing it wrote is left.
   */
  transaction<T>(work: (tx: LoadTransaction) => Promise<T>): Promise<T>;
  /** Whether {@link Loader.transaction} commits (false inside a transaction the caller opened). */
  readonly commits: boolean;
}
