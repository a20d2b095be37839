import { sql } from 'drizzle-orm';
import { rawClient } from '../db/backend';
import { whenClosing } from '../db/call';
import { type Database, queryRows } from '../db/client';
import { AbortedError, DatabaseClosedError, translateQueryError } from '../errors';
import { checkOptions, isBoolean, type OptionCheck } from '../errors/check-options';
import { emailReports } from '../schema/email-reports';
import { isWholeNumberUpTo } from './email-queue-options';

/** The channel the database NOTIFYs when a statement leaves an email report claimable at once. */
export const EMAIL_REPORTS_CHANNEL = 'tqs_email_reports';

/** Options of {@link waitForEmailReports}. */
export interface WaitForEmailReportsOptions {
  /** Aborting it ends the wait at once with `AbortedError`. */
  signal?: AbortSignal;
  /** The longest wait, in milliseconds (1 to 86 400 000). Default 30 000: the poll of a worker that hears nothing. */
  timeoutMs?: number;
  /**
   * Wake up on the database's NOTIFY (LISTEN `tqs_email_reports`). Default true. On PostgreSQL the listening takes one
   * connection of its own, outside the pool; set it false behind pgbouncer in transaction pooling (which does not
   * carry LISTEN), and the wait polls: it ends by `timeoutMs` or when the next retry or lapsing claim falls due.
   */
  listen?: boolean;
}

/** Why {@link waitForEmailReports} returned: a report is (or may be) claimable, the database said so, or time ran out. */
export type EmailReportsWakeUp = 'ready' | 'notified' | 'timeout';

const isSignal: OptionCheck = (v) => (v instanceof AbortSignal ? undefined : 'an AbortSignal');

/** Subscribes `wake` to the channel; returns the unsubscribe, or undefined where this database cannot listen. */
async function subscribe(db: Database, wake: () => void): Promise<(() => Promise<void>) | undefined> {
  let client: ReturnType<typeof rawClient>;
  try {
    client = rawClient(db);
  } catch {
    return undefined; // a transaction, or a client of neither kind: polling
  }
  if (client.backend === 'pglite') return client.pglite.listen(EMAIL_REPORTS_CHANNEL, wake);
  const meta = await client.sql.listen(EMAIL_REPORTS_CHANNEL, wake);
  return () => meta.unlisten();
}

/** Milliseconds until the next pending report falls due (a retry delay ends, a claim lapses); undefined: none pending. */
async function nextDueMs(db: Database): Promise<number | undefined> {
  const e = emailReports;
  const [row] = await queryRows<{ ms: number | string | null }>(
    db,
    sql`select (extract(epoch from min(greatest(coalesce(${e.availableAt}, now()), coalesce(${e.claimedUntil}, now()))) - now()) * 1000)::float8 as "ms"
        from ${e} where ${e.status} = 'pending'`,
  );
  return row?.ms === null || row?.ms === undefined ? undefined : Math.max(0, Number(row.ms));
}

/**
 * Waits until an email report may be claimable, for a mail worker with nothing to do: returns `'ready'` at once when
 * one is (or when the next retry delay or lapsing claim ends), `'notified'` when the database announces a new one
 * (an insert of a pending report, a revival, a release: NOTIFY `tqs_email_reports`, sent at commit by a trigger),
 * `'timeout'` after `timeoutMs`. Then claim with {@link claimPendingEmailReports}; another worker may have been
 * quicker, so an empty claim just waits again. Listens on PostgreSQL and on PGlite (in-process notifications).
 *
 * @throws {AbortedError} `signal` was aborted (before or during the wait).
 * @throws {DatabaseClosedError} `close()` was called on the database (before or during the wait): the wait does not
 *   hold `close()` open, it ends at once.
 * @throws {InvalidOptionError} an unknown option or a bad value.
 * @example
 * while (!signal.aborted) {
 *   const claimed = await claimPendingEmailReports(db, { limit: 10 });
 *   if (claimed.length === 0) await waitForEmailReports(db, { signal, timeoutMs: 30_000 });
 *   // ... handle claimed
 * }
 */
export async function waitForEmailReports(db: Database, options: WaitForEmailReportsOptions = {}): Promise<EmailReportsWakeUp> {
  checkOptions('waitForEmailReports', options, { signal: isSignal, timeoutMs: isWholeNumberUpTo(1, 86_400_000), listen: isBoolean });
  const { signal } = options;
  const aborted = () => new AbortedError('waitForEmailReports', signal?.reason);
  if (signal?.aborted) throw aborted();
  let wake: (why: EmailReportsWakeUp | Error) => void = () => {};
  const woken = new Promise<EmailReportsWakeUp | Error>((resolve) => (wake = resolve));
  const onAbort = () => wake(aborted());
  signal?.addEventListener('abort', onAbort, { once: true });
  // Not a call close() waits for: closing the database ends the wait at once.
  const unwatch = whenClosing(db, () =>
    wake(new DatabaseClosedError('waitForEmailReports: the database was closed (close() was called) during the wait: open a new one with createDatabase()')),
  );
  let timer: NodeJS.Timeout | undefined;
  let unsubscribe: (() => Promise<void>) | undefined;
  try {
    // Listening first: a report announced while the due time is read still wakes this wait.
    if (options.listen !== false) unsubscribe = await subscribe(db, () => wake('notified')).catch(() => undefined);
    const due = await nextDueMs(db);
    const timeoutMs = options.timeoutMs ?? 30_000;
    if (due !== undefined && due <= 0) return 'ready';
    const ms = due === undefined ? timeoutMs : Math.min(Math.ceil(due), timeoutMs);
    timer = setTimeout(() => wake(due !== undefined && due <= timeoutMs ? 'ready' : 'timeout'), ms);
    const why = await woken;
    if (why instanceof Error) throw why;
    return why;
  } catch (error) {
    throw translateQueryError(error, 'waitForEmailReports');
  } finally {
    unwatch();
    clearTimeout(timer);
    signal?.removeEventListener('abort', onAbort);
    await unsubscribe?.().catch(() => undefined);
  }
}
