import type { Database } from '../db/client';
import { AbortedError, ClaimLostError, DatabaseClosedError, InvalidOptionError } from '../errors';
import { claimPendingEmailReports, type ClaimedEmailReport, releaseEmailReport } from './email-claim';
import type { EmailRetryOptions } from './email-queue-options';
import { markFailed, markSent } from './email-reports';
import { waitForEmailReports } from './email-wait';

/** Options of {@link runEmailWorker}. */
export interface EmailWorkerOptions extends EmailRetryOptions {
  /** Sends one report. Resolve when it was sent; throw when it was not (the report is retried or given up). */
  handler: (report: ClaimedEmailReport, context: { signal: AbortSignal }) => Promise<void>;
  /** Required. Aborting it stops the worker: the report in hand finishes, the rest of the batch is released. */
  signal: AbortSignal;
  /** Reports per claim. Default 10. */
  limit?: number;
  /** The lease of each claim, in milliseconds: longer than the slowest send. Default 5 minutes. */
  leaseMs?: number;
  /** The longest wait when there is nothing to do, in milliseconds. Default 30 000. */
  pollMs?: number;
  /** Wake up on the database's NOTIFY (see `waitForEmailReports`). Default true. */
  listen?: boolean;
  /**
   * Stop once no report is left to claim now (none pending, or all held or waiting for a retry), as a cron job or a
   * test would, instead of waiting for more. Default false.
   */
  drain?: boolean;
  /** A failure no retry can fix (e.g. SMTP 550): the report is given up at once. Default: none is. */
  isPermanent?: (error: unknown) => boolean;
  /**
   * Called with an error of the database (a dropped connection, a failover); the worker waits `pollMs` and goes on.
   * Without it, such an error stops the worker and `runEmailWorker` rejects with it.
   */
  onError?: (error: unknown) => void;
}

/** What {@link runEmailWorker} did, when it stopped. */
export interface EmailWorkerStats {
  /** Reports this worker marked sent. */
  sent: number;
  /** Failed attempts put back for a retry. */
  retried: number;
  /** Reports this worker gave up (`dead`). */
  dead: number;
  /** Closes refused with `CLAIM_LOST`: the lease lapsed and another worker took the report. */
  claimsLost: number;
  /** Claimed reports handed back untried when the worker stopped. */
  released: number;
}

const message = (error: unknown): string => (error instanceof Error ? error.message : String(error)) || 'failed';

/** Resolves after `ms`, or at once when `signal` aborts: the back-off after a database error. */
function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}

/** Handles one claimed report and closes it; a lost claim is counted, not thrown. */
async function handle(db: Database, report: ClaimedEmailReport, o: EmailWorkerOptions, stats: EmailWorkerStats): Promise<void> {
  const claimToken = report.claimToken;
  const retry = { maxAttempts: o.maxAttempts, retryDelayMs: o.retryDelayMs, maxRetryDelayMs: o.maxRetryDelayMs };
  let failure: { error: unknown } | undefined;
  try {
    await o.handler(report, { signal: o.signal });
  } catch (error) {
    failure = { error };
  }
  try {
    if (!failure) {
      await markSent(db, report.id, { claimToken });
      stats.sent++;
    } else if (o.signal.aborted) {
      // Interrupted by the shutdown, not failed: handed back without counting the attempt.
      await releaseEmailReport(db, report.id, { claimToken });
      stats.released++;
    } else {
      const giveUp = o.isPermanent?.(failure.error) ?? false;
      const row = await markFailed(db, report.id, message(failure.error), { claimToken, giveUp, ...retry });
      if (row.status === 'dead') stats.dead++;
      else stats.retried++;
    }
  } catch (error) {
    if (!(error instanceof ClaimLostError)) throw error;
    stats.claimsLost++;
  }
}

/** Hands back the reports of a batch the worker will not handle (it is stopping). */
async function releaseAll(db: Database, reports: ClaimedEmailReport[], stats: EmailWorkerStats): Promise<void> {
  for (const report of reports) {
    try {
      await releaseEmailReport(db, report.id, { claimToken: report.claimToken });
      stats.released++;
    } catch (error) {
      if (!(error instanceof ClaimLostError)) throw error;
      stats.claimsLost++;
    }
  }
}

/** One round: claim a batch and handle it, or wait when there is none; false when a draining worker is done. */
async function round(db: Database, o: EmailWorkerOptions, stats: EmailWorkerStats): Promise<boolean> {
  const claimed = await claimPendingEmailReports(db, { limit: o.limit, leaseMs: o.leaseMs, maxAttempts: o.maxAttempts });
  if (claimed.length === 0) {
    if (o.drain) return false;
    await waitForEmailReports(db, { signal: o.signal, timeoutMs: o.pollMs, listen: o.listen });
    return true;
  }
  for (const [i, report] of claimed.entries()) {
    if (o.signal.aborted) {
      await releaseAll(db, claimed.slice(i), stats);
      return false;
    }
    await handle(db, report, o, stats);
  }
  return true;
}

/**
 * A mail worker: claims email reports (fenced, {@link claimPendingEmailReports}), calls `handler` for each, closes
 * each with {@link markSent} or {@link markFailed} (retried after a growing delay, given up as `dead` after
 * `maxAttempts`), and when there is nothing to do waits for the database's NOTIFY or the next due retry
 * ({@link waitForEmailReports}). Runs until `signal` is aborted (or, with `drain`, until nothing is left to claim),
 * then resolves with what it did. Run as many as you
 * like, in one process or many: no report is closed twice, and a close whose lease lapsed counts in `claimsLost`.
 *
 * @throws {InvalidOptionError} `handler` or `signal` missing, or a bad option.
 * @throws the first database error, unless `onError` is given.
 * @throws {DatabaseClosedError} `close()` was called on the database: the worker stops (waiting or not), `onError` or not;
 *   a report it had claimed and not closed is claimable again when its lease lapses.
 * @example
 * const controller = new AbortController();
 * process.once('SIGTERM', () => controller.abort());
 * const stats = await runEmailWorker(db, {
 *   signal: controller.signal,
 *   handler: async (report) => mailer.send(report.recipientEmail, render(report)),
 * });
 */
export async function runEmailWorker(db: Database, options: EmailWorkerOptions): Promise<EmailWorkerStats> {
  if (typeof options?.handler !== 'function') throw new InvalidOptionError('handler', 'runEmailWorker: handler must be a function that sends one report');
  if (!(options.signal instanceof AbortSignal)) throw new InvalidOptionError('signal', 'runEmailWorker: signal must be an AbortSignal: aborting it stops the worker');
  const stats: EmailWorkerStats = { sent: 0, retried: 0, dead: 0, claimsLost: 0, released: 0 };
  for (let more = true; more && !options.signal.aborted; ) {
    try {
      more = await round(db, options, stats);
    } catch (error) {
      if (error instanceof AbortedError && options.signal.aborted) break;
      // A closed database is no passing failure: the worker stops (a wait ends at once, close() never waits for it).
      if (!options.onError || error instanceof DatabaseClosedError) throw error;
      options.onError(error);
      await pause(options.pollMs ?? 30_000, options.signal);
    }
  }
  return stats;
}
