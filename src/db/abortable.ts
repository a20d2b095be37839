import { AbortedError, lockTimeoutError } from '../errors';
import { runAbortable } from './postgres-js/abort-scope';

/** The `signal` option of every long call (loads, refreshes, archive, report, migrate, rollback, ingest). */
export interface AbortableOptions {
  /**
   * Aborting it stops the call within a second: on PostgreSQL the running statement is cancelled on the server (a
   * lock wait included) and the transaction rolled back; on PGlite the call stops at its next chunk, batch or
   * migration. The call then rejects with `AbortedError` (code `ABORTED`).
   */
  signal?: AbortSignal | undefined;
}

/**
 * Runs the long call `call` under `signal` (see {@link runAbortable}): an abort rejects with {@link AbortedError},
 * whose message says `outcome()` (what stays of the work: committed batches) when given; a lock wait past
 * `lock_timeout` rejects with `LockTimeoutError` (code `LOCK_TIMEOUT`), with or without a signal. The one way every
 * long call of the package is made abortable.
 *
 * @example
 * return abortable('archiveHistory', options.signal, () => moveHistory(db, ...), () => `${moved} batches stay`);
 */
export async function abortable<T>(
  call: string,
  signal: AbortSignal | undefined,
  work: () => Promise<T>,
  outcome?: () => string | undefined,
): Promise<T> {
  try {
    return await runAbortable(signal, work, (reason, cause) => {
      const said = outcome?.();
      return new AbortedError(call, reason, { cause, ...(said !== undefined ? { outcome: said } : {}) });
    });
  } catch (error) {
    throw lockTimeoutError(error, call);
  }
}
