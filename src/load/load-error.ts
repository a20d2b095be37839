import { connectionLost, connectionStalled } from '../util/error-chain';
import { ConnectionError, ConnectionStalledError, ConstraintViolationError, translateDatabaseError } from '../errors';
import { findInChain } from '../util/error-chain';
import type { InsertTable } from './load-options';
import { datasetKey } from './load-plan';

/** Where a load is, so that an error can say which table and row it came from. */
export interface LoadState {
  table: InsertTable | undefined;
  /** The dataset index of the first row of the COPY statement that is running. */
  offset: number;
  /** When its rows are not contiguous (sessions routed to their months): the dataset index of each of its lines. */
  rowIndexes?: number[] | undefined;
  /** Every statement has run; the transaction (or the savepoint in a caller's transaction) is closing. */
  committing: boolean;
  /** The copies are done; the set-based pass of load mode (the reschedule rule over the loaded rows) is running. */
  checking?: boolean;
}

/**
 * The error to throw for a failed load: integrity errors become a {@link ConstraintViolationError} that also names
 * the table being loaded and, when PostgreSQL says which COPY line failed, the dataset row; a lost connection becomes
 * a {@link ConnectionError} (a {@link ConnectionStalledError} when it stopped answering) that says whether anything
 * may have been written; anything else (a thrown `onProgress`, a malformed value) goes through unchanged. `commits`: whether the load commits itself (not in a caller's transaction);
 * `fn` the function named at the start of the message.
 *
 * @example
 * throw loadError(error, { table: 'reschedules', offset: 0, committing: false }, true);
 * // ConstraintViolationError: insertDataset: loading reschedules[5]: reschedules_pkey: ...
 */
export function loadError(error: unknown, state: LoadState, commits: boolean, fn = 'insertDataset'): unknown {
  if (connectionLost(error)) {
    const where =
      state.committing && commits
        ? 'while committing: whether the load was committed is unknown'
        : `while loading ${state.table ?? 'the dataset'}: the transaction was not committed, nothing was written`;
    if (connectionStalled(error)) return new ConnectionStalledError(`${fn}: the connection to the database stopped answering ${where}`, { cause: error });
    return new ConnectionError(`${fn}: the connection to the database was lost ${where}`, { cause: error });
  }
  const translated = translateDatabaseError(error);
  if (!(translated instanceof ConstraintViolationError) || state.table === undefined) return translated;
  if (state.committing || state.checking === true) {
    // A check deferred to commit or to the end of the load (reschedule_status_rule) is about the whole load, not
    // the table loaded last.
    return new ConstraintViolationError({
      message: `${fn}: ${state.committing ? 'at commit' : 'at the end of the load'}: ${translated.message}`,
      sqlState: translated.sqlState,
      constraint: translated.constraint,
      table: translated.table,
      column: translated.column,
      detail: translated.detail,
      cause: error,
    });
  }
  const where = findInChain(error, 'where', (v): v is string => typeof v === 'string');
  const line = where ? /COPY [^,]+, line (\d+)/.exec(where) : null;
  const key = datasetKey(state.table);
  // A check made once a COPY statement is over (a duplicate id, found by session_ids) has no line: its detail names the row.
  const index = line ? (state.rowIndexes ? state.rowIndexes[Number(line[1]) - 1] : state.offset + Number(line[1]) - 1) : undefined;
  const row = index !== undefined ? `${key}[${index}]` : translated.detail ? `${key} (${translated.detail})` : key;
  return new ConstraintViolationError({
    message: `${fn}: loading ${row}: ${translated.message}`,
    sqlState: translated.sqlState,
    constraint: translated.constraint,
    table: translated.table ?? state.table,
    column: translated.column,
    detail: translated.detail,
    cause: error,
  });
}
