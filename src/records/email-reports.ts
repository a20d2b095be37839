import { and, eq, inArray, isNull, lte, or, type SQL, sql } from 'drizzle-orm';
import type { Database } from '../db/client';
import { NotFoundError, translateDatabaseError, InvalidOptionError } from '../errors';
import type { EmailReport } from '../schema';
import { emailReports } from '../schema/email-reports';

/**
 * Options of {@link markSent} and {@link markFailed}.
 *
 * @example
 * await markSent(db, reportId, { sentAt: new Date('2025-01-06T16:05:00Z') });
 */
export interface MarkEmailReportOptions {
  /** When the attempt happened. Default: the database's `now()` (the start of the current transaction). */
  sentAt?: Date;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

async function updateReport(
  db: Database,
  reportId: string,
  values: { status: 'sent' | 'failed'; errorMessage: string | null },
  options: MarkEmailReportOptions,
): Promise<EmailReport> {
  // A string that is no UUID names no report; asking the database would only fail with a type error.
  if (!UUID.test(reportId)) throw new NotFoundError('email report', reportId);
  const sentAt: Date | SQL = options.sentAt ?? sql`now()`;
  let rows: EmailReport[];
  try {
    rows = await db
      .update(emailReports)
      .set({ ...values, sentAt, claimedUntil: null })
      .where(eq(emailReports.id, reportId))
      .returning();
  } catch (error) {
    throw translateDatabaseError(error);
  }
  const [row] = rows;
  if (!row) throw new NotFoundError('email report', reportId);
  return row;
}

/**
 * Records that an email report was sent: sets `status` to `'sent'`, clears `error_message` and stamps `sent_at`.
 * Returns the updated row.
 *
 * SQL: `update email_reports set status = 'sent', error_message = null, sent_at = $2 (or now())
 * where id = $1 returning *`
 *
 * @throws {NotFoundError} no email report has that id.
 * @throws {ConstraintViolationError} the database refused the update.
 * @example
 * const report = await markSent(db, reportId);
 * report.status; // 'sent'
 * await markSent(db, reportId, { sentAt: new Date('2025-01-06T16:05:00Z') });
 */
export async function markSent(
  db: Database,
  reportId: string,
  options: MarkEmailReportOptions = {},
): Promise<EmailReport> {
  return updateReport(db, reportId, { status: 'sent', errorMessage: null }, options);
}

/**
 * Records that sending an email report failed: sets `status` to `'failed'`, stores `errorMessage` in
 * `error_message` and stamps `sent_at` with the time of the attempt. Returns the updated row. The audit log keeps
 * one row per attempt: to retry, insert a new report rather than marking this one sent.
 *
 * SQL: `update email_reports set status = 'failed', error_message = $2, sent_at = $3 (or now())
 * where id = $1 returning *`
 *
 * @throws {NotFoundError} no email report has that id.
 * @throws {ConstraintViolationError} the database refused the update (e.g. `email_reports_error_message_when_failed`
 * for a null message).
 * @example
 * const report = await markFailed(db, reportId, 'SMTP 550: mailbox unavailable');
 * report.status;       // 'failed'
 * report.errorMessage; // 'SMTP 550: mailbox unavailable'
 */
export async function markFailed(
  db: Database,
  reportId: string,
  errorMessage: string,
  options: MarkEmailReportOptions = {},
): Promise<EmailReport> {
  return updateReport(db, reportId, { status: 'failed', errorMessage }, options);
}

/** Options of {@link claimPendingEmailReports}. */
export interface ClaimEmailReportsOptions {
  /** How many reports to take at most. Default 10. */
  limit?: number;
  /**
   * How long the claim holds, in milliseconds: a report neither marked sent nor failed by then (its worker died) is
   * pending again and another worker may take it. Default 5 minutes.
   */
  leaseMs?: number;
}

/**
 * Takes up to `limit` pending email reports for one worker, oldest first: each is claimed until `now() + leaseMs`,
 * so no other worker takes it meanwhile. Close each with {@link markSent} or {@link markFailed}, which clear the
 * claim; a claim left open (the worker died) lapses after the lease and the report is taken again. Workers running at
 * once never wait for each other and never take the same report (`for update skip locked`).
 *
 * ```sql
 * update email_reports set claimed_until = now() + $leaseMs * interval '1 millisecond'
 * where id in (select id from email_reports
 *              where status = 'pending' and (claimed_until is null or claimed_until <= now())
 *              order by created_at, id limit $limit for update skip locked)
 * returning *
 * ```
 *
 * @example
 * for (const report of await claimPendingEmailReports(db, { limit: 20, leaseMs: 60_000 })) {
 *   try {
 *     await mailer.send(report.recipientEmail, ...);
 *     await markSent(db, report.id);
 *   } catch (error) {
 *     await markFailed(db, report.id, String(error));
 *   }
 * }
 */
export async function claimPendingEmailReports(db: Database, options: ClaimEmailReportsOptions = {}): Promise<EmailReport[]> {
  const limit = options.limit ?? 10;
  const leaseMs = options.leaseMs ?? 5 * 60_000;
  if (!Number.isSafeInteger(limit) || limit < 1 || limit > 10_000) {
    throw new InvalidOptionError('limit', `claimPendingEmailReports: limit must be a whole number from 1 to 10000 (got ${String(limit)})`);
  }
  if (!Number.isSafeInteger(leaseMs) || leaseMs < 1 || leaseMs > 7 * 86_400_000) {
    throw new InvalidOptionError('leaseMs', `claimPendingEmailReports: leaseMs must be a whole number of milliseconds from 1 to 604800000 (got ${String(leaseMs)})`);
  }
  const claimable = db
    .select({ id: emailReports.id })
    .from(emailReports)
    .where(
      and(
        eq(emailReports.status, 'pending'),
        or(isNull(emailReports.claimedUntil), lte(emailReports.claimedUntil, sql`now()`)),
      ),
    )
    .orderBy(emailReports.createdAt, emailReports.id)
    .limit(limit)
    .for('update', { skipLocked: true });
  try {
    return await db
      .update(emailReports)
      .set({ claimedUntil: sql`now() + ${leaseMs}::float8 * interval '1 millisecond'` })
      .where(inArray(emailReports.id, claimable))
      .returning();
  } catch (error) {
    throw translateDatabaseError(error);
  }
}
