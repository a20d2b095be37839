import { and, eq, isNotNull, type SQL, sql } from 'drizzle-orm';
import { inCall } from '../db/call';
import type { Database } from '../db/client';
import { ClaimLostError, NotFoundError } from '../errors';
import type { EmailReport } from '../schema';
import { emailReports } from '../schema/email-reports';
import { checkCloseOptions, retryPolicy, type EmailRetryOptions, UUID } from './email-queue-options';

/**
 * Options of {@link markSent} and {@link markFailed}.
 *
 * @example
 * await markSent(db, report.id, { claimToken: report.claimToken, sentAt: new Date('2025-01-06T16:05:00Z') });
 */
export interface MarkEmailReportOptions {
  /** When the attempt happened. Default: the database's `now()` (the start of the current transaction). */
  sentAt?: Date;
  /**
   * The `claimToken` of the claim that took the report ({@link claimPendingEmailReports}). Required for a report that
   * went through the claim queue: the call closes the report only while that claim is its latest, and otherwise
   * throws `ClaimLostError` and changes nothing. Leave it out only for a report no worker ever claimed
   * (`attempts` 0), which is closed directly, as before the queue had tokens.
   */
  claimToken?: string;
}

/** Options of {@link markFailed}: those of {@link markSent}, and the retry policy of a claimed report. */
export interface MarkFailedOptions extends MarkEmailReportOptions, EmailRetryOptions {
  /** Give up at once (status `dead`), whatever attempts are left: a failure no retry can fix (a refused address). */
  giveUp?: boolean;
}

type CloseValues = { [K in 'status' | 'errorMessage' | 'sentAt' | 'availableAt']: SQL | string | Date | null };

/** Why a close was refused, from the report as it is now. */
async function refusal(db: Database, call: string, reportId: string, claimToken: string | undefined): Promise<EmailReport | Error> {
  const [row] = await db.select().from(emailReports).where(eq(emailReports.id, reportId));
  if (!row) return new NotFoundError('email report', reportId);
  // A repeated markSent of the claim that sent the report (its answer was lost): the same row, nothing changed.
  if (call === 'markSent' && claimToken !== undefined && row.status === 'sent' && row.claimToken === claimToken) return row;
  const now = `the report is now ${row.status}${row.status === 'pending' && row.claimedUntil ? ', held by another claim' : ''}`;
  const message =
    claimToken === undefined
      ? `${call}: email report ${reportId} went through the claim queue (attempt ${row.attempts}): pass the claimToken its claim returned; nothing was changed`
      : row.claimToken === claimToken
        ? `${call}: email report ${reportId}: the claim of this claimToken was already closed (${now}); nothing was changed`
        : `${call}: email report ${reportId}: this claimToken is not the report's latest claim (its lease lapsed and it was claimed again, or the token is another report's); ${now}; drop the report, nothing was changed`;
  return new ClaimLostError(reportId, row.status, message);
}

async function closeReport(
  db: Database,
  call: 'markSent' | 'markFailed',
  reportId: string,
  values: CloseValues,
  claimToken: string | undefined,
): Promise<EmailReport> {
  // A string that is no UUID names no report; asking the database would only fail with a type error.
  if (!UUID.test(reportId)) throw new NotFoundError('email report', reportId);
  const held =
    claimToken === undefined
      ? eq(emailReports.attempts, 0)
      : // The claim is still open: a failed attempt put back for a retry keeps its token but not its claim.
        and(eq(emailReports.claimToken, claimToken), eq(emailReports.status, 'pending'), isNotNull(emailReports.claimedUntil));
  return inCall(db, call, async () => {
    const rows = await db
      .update(emailReports)
      .set({ ...(values as Record<string, SQL>), claimedUntil: null })
      .where(and(eq(emailReports.id, reportId), held))
      .returning();
    if (rows[0]) return rows[0];
    const refused = await refusal(db, call, reportId, claimToken);
    if (refused instanceof Error) throw refused;
    return refused;
  });
}

/**
 * Records that an email report was sent: sets `status` to `'sent'`, clears `error_message` and the claim, and stamps
 * `sent_at`. Returns the updated row. With `claimToken`, only while that claim is the report's latest (fencing): a
 * worker whose lease lapsed and whose report another worker claimed gets `ClaimLostError`, and the report is left to
 * the other claim. Repeating a successful `markSent` with the same token returns the row unchanged.
 *
 * SQL: `update email_reports set status = 'sent', error_message = null, sent_at = $2 (or now()), claimed_until = null
 * where id = $1 and claim_token = $token and status = 'pending' and claimed_until is not null returning *` (without a
 * token: `and attempts = 0`).
 *
 * @throws {NotFoundError} no email report has that id.
 * @throws {ClaimLostError} the token is stale or foreign, or a report that went through the claim queue got none.
 * @throws {ConstraintViolationError} the database refused the update.
 * @example
 * const [report] = await claimPendingEmailReports(db, { limit: 1 });
 * await markSent(db, report.id, { claimToken: report.claimToken });
 */
export async function markSent(db: Database, reportId: string, options: MarkEmailReportOptions = {}): Promise<EmailReport> {
  checkCloseOptions('markSent', options, false);
  const values = { status: 'sent', errorMessage: null, sentAt: options.sentAt ?? sql`now()`, availableAt: null };
  return closeReport(db, 'markSent', reportId, values, options.claimToken);
}

/**
 * Records that sending an email report failed, storing `errorMessage` in `error_message` and the attempt's time in
 * `sent_at`. Returns the updated row.
 *
 * With `claimToken` (a claimed report, fenced as in {@link markSent}): while attempts are left, the report goes back
 * to `pending`, claimable again after a delay that doubles with each attempt (`retryDelayMs` × 2^(attempts − 1), at
 * most `maxRetryDelayMs`), keeping the error; after `maxAttempts` attempts (or with `giveUp`) it is `dead`, which no
 * claim takes until {@link reviveEmailReport}. Without a token (a report no worker ever claimed) it is `failed`, as
 * before: the audit log keeps it, and a retry is a new report.
 *
 * @throws {NotFoundError} no email report has that id.
 * @throws {ClaimLostError} the token is stale or foreign, or a report that went through the claim queue got none.
 * @throws {ConstraintViolationError} the database refused the update (e.g. `email_reports_error_message_when_failed`
 * for a null message).
 * @example
 * const report = await markFailed(db, claimed.id, 'SMTP 451: try again later', { claimToken: claimed.claimToken });
 * report.status;      // 'pending' (retried after the delay), or 'dead' after the last attempt
 * report.availableAt; // when it may be claimed again
 */
export async function markFailed(
  db: Database,
  reportId: string,
  errorMessage: string,
  options: MarkFailedOptions = {},
): Promise<EmailReport> {
  checkCloseOptions('markFailed', options, true);
  const sentAt = options.sentAt ?? sql`now()`;
  if (options.claimToken === undefined) {
    return closeReport(db, 'markFailed', reportId, { status: 'failed', errorMessage, sentAt, availableAt: null }, undefined);
  }
  const policy = retryPolicy(options);
  const attempts = emailReports.attempts;
  const done = options.giveUp ? sql`true` : sql`${attempts} >= ${policy.maxAttempts}::int`;
  const delayMs = sql`least(${policy.retryDelayMs}::float8 * power(2, greatest(${attempts} - 1, 0)), ${policy.maxRetryDelayMs}::float8)`;
  const values = {
    status: sql`case when ${done} then 'dead' else 'pending' end`,
    errorMessage,
    sentAt,
    availableAt: sql`case when ${done} then null else now() + ${delayMs} * interval '1 millisecond' end`,
  };
  return closeReport(db, 'markFailed', reportId, values, options.claimToken);
}
