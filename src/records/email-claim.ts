import { and, asc, eq, gte, inArray, isNull, lt, lte, or, sql } from 'drizzle-orm';
import { inCall } from '../db/call';
import type { Database } from '../db/client';
import { ClaimLostError, NotFoundError } from '../errors';
import { checkOptions } from '../errors/check-options';
import type { EmailReport } from '../schema';
import { emailReports } from '../schema/email-reports';
import { type EmailRetryOptions, isLeaseMs, isWholeNumberUpTo, retryChecks, retryPolicy, UUID } from './email-queue-options';

export type { EmailRetryOptions } from './email-queue-options';

/** Options of {@link claimPendingEmailReports}. */
export interface ClaimEmailReportsOptions extends Pick<EmailRetryOptions, 'maxAttempts'> {
  /** How many reports to take at most, from 1 to 10 000. Default 10. */
  limit?: number;
  /**
   * How long the claim holds, in milliseconds: a report neither marked sent nor failed by then (its worker died) is
   * pending again and another worker may take it, which makes the first worker's token stale. Default 5 minutes.
   */
  leaseMs?: number;
}

/** A report as a claim returns it: held until `claimedUntil`, closed with its `claimToken`. */
export type ClaimedEmailReport = EmailReport & { claimToken: string; claimedUntil: Date; status: 'pending' };

const e = emailReports;
/** Pending and held by no live claim. */
const unheld = () => and(eq(e.status, 'pending'), or(isNull(e.claimedUntil), lte(e.claimedUntil, sql`now()`)));

/**
 * Gives up, as `dead`, the pending reports that used every attempt and whose last claim lapsed (their worker died
 * on each of them), so that no claim takes them again.
 */
async function buryExhausted(db: Database, maxAttempts: number): Promise<void> {
  const exhausted = db
    .select({ id: e.id })
    .from(e)
    .where(and(unheld(), gte(e.attempts, maxAttempts)))
    .for('update', { skipLocked: true });
  const lapsed = sql`'gave up after ' || ${e.attempts} || ' attempts: the last claim lapsed (its worker stopped without closing it)'`;
  await db
    .update(e)
    .set({
      status: 'dead',
      claimedUntil: null,
      availableAt: null,
      errorMessage: sql`${lapsed} || coalesce('; the attempt before: ' || ${e.errorMessage}, '')`,
    })
    .where(inArray(e.id, exhausted));
}

/**
 * Takes up to `limit` claimable email reports for one worker, oldest first: pending, held by no live claim, and past
 * their retry delay (`available_at`). Each is claimed until `now() + leaseMs`, its `attempts` counted, and given a
 * new `claimToken`: close it with {@link markSent} or {@link markFailed} passing that token. A claim left open (the
 * worker died) lapses after the lease; the report is taken again with a new token, so the first worker's late close
 * is refused (`ClaimLostError`). A report whose last claim lapsed with no attempt left is given up as `dead` first.
 * Workers running at once never wait for each other and never take the same report (`for update skip locked`).
 *
 * ```sql
 * update email_reports set claimed_until = now() + $leaseMs * interval '1 millisecond',
 *   claim_token = gen_random_uuid(), attempts = attempts + 1
 * where id in (select id from email_reports
 *              where status = 'pending' and (claimed_until is null or claimed_until <= now())
 *                and (available_at is null or available_at <= now()) and attempts < $maxAttempts
 *              order by created_at, id limit $limit for update skip locked)
 * returning *
 * ```
 *
 * @throws {InvalidOptionError} an unknown option, or `limit`, `leaseMs` or `maxAttempts` out of range.
 * @example
 * for (const report of await claimPendingEmailReports(db, { limit: 20, leaseMs: 60_000 })) {
 *   try {
 *     await mailer.send(report.recipientEmail, ...);
 *     await markSent(db, report.id, { claimToken: report.claimToken });
 *   } catch (error) {
 *     await markFailed(db, report.id, String(error), { claimToken: report.claimToken });
 *   }
 * }
 */
export async function claimPendingEmailReports(db: Database, options: ClaimEmailReportsOptions = {}): Promise<ClaimedEmailReport[]> {
  checkOptions('claimPendingEmailReports', options, {
    limit: isWholeNumberUpTo(1, 10_000),
    leaseMs: isLeaseMs,
    maxAttempts: retryChecks.maxAttempts,
  });
  const limit = options.limit ?? 10;
  const leaseMs = options.leaseMs ?? 5 * 60_000;
  const { maxAttempts } = retryPolicy(options);
  const claimable = db
    .select({ id: e.id })
    .from(e)
    .where(and(unheld(), or(isNull(e.availableAt), lte(e.availableAt, sql`now()`)), lt(e.attempts, maxAttempts)))
    .orderBy(asc(e.createdAt), asc(e.id))
    .limit(limit)
    .for('update', { skipLocked: true });
  return inCall(db, 'claimPendingEmailReports', async () => {
    await buryExhausted(db, maxAttempts);
    const rows = await db
      .update(e)
      .set({
        claimedUntil: sql`now() + ${leaseMs}::float8 * interval '1 millisecond'`,
        claimToken: sql`gen_random_uuid()`,
        attempts: sql`${e.attempts} + 1`,
        availableAt: null,
      })
      .where(inArray(e.id, claimable))
      .returning();
    return rows.sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime() || a.id.localeCompare(b.id)) as ClaimedEmailReport[];
  });
}

/**
 * Hands a claimed report back untried (a worker shutting down): the claim is cleared and its attempt not counted, so
 * any worker may take it at once. Fenced like {@link markSent}: a stale or foreign token throws `ClaimLostError` and
 * changes nothing.
 *
 * @throws {NotFoundError} no email report has that id.
 * @throws {ClaimLostError} the token is not the report's latest pending claim.
 * @example
 * await releaseEmailReport(db, report.id, { claimToken: report.claimToken });
 */
export async function releaseEmailReport(db: Database, reportId: string, options: { claimToken: string }): Promise<EmailReport> {
  checkOptions('releaseEmailReport', options, { claimToken: (v) => (typeof v === 'string' && UUID.test(v) ? undefined : 'a UUID') });
  if (!UUID.test(reportId)) throw new NotFoundError('email report', reportId);
  return inCall(db, 'releaseEmailReport', async () => {
    const [row] = await db
      .update(e)
      .set({ claimedUntil: null, claimToken: null, attempts: sql`greatest(${e.attempts} - 1, 0)` })
      .where(and(eq(e.id, reportId), eq(e.claimToken, options.claimToken), eq(e.status, 'pending')))
      .returning();
    if (row) return row;
    const [now] = await db.select({ status: e.status }).from(e).where(eq(e.id, reportId));
    if (!now) throw new NotFoundError('email report', reportId);
    throw new ClaimLostError(reportId, now.status, `releaseEmailReport: email report ${reportId}: this claimToken is not the report's latest pending claim (it is now ${now.status}); nothing was changed`);
  });
}
