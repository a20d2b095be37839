import { sql } from 'drizzle-orm';
import { check, foreignKey, index, integer, pgTable, text, uuid, varchar } from 'drizzle-orm/pg-core';
import { createdAtColumn, idColumn, timestampsInRange, timestamptz } from './columns';
import { sessions } from './sessions';

/**
 * The values `email_reports.status` may take: `pending` (waiting, held by a worker, or waiting for a retry),
 * `sent`, `failed` (marked failed directly, outside the claim queue) and `dead` (the claim queue gave up on it).
 */
export const emailReportStatuses = ['sent', 'failed', 'pending', 'dead'] as const;
/** The status of an email report: one of {@link emailReportStatuses}. */
export type EmailReportStatus = (typeof emailReportStatuses)[number];

/**
 * The audit log of email reports about a session. A session may have several rows: a failed attempt,
 * then a sent one (docs/design.md). Deleting a session that has reports is refused, so the audit log is never lost as a
 * side effect.
 */
export const emailReports = pgTable(
  'email_reports',
  {
    id: idColumn(),
    sessionId: uuid('session_id').notNull(),
    recipientEmail: varchar('recipient_email', { length: 255 }).notNull(),
    sentAt: timestamptz('sent_at').notNull(),
    status: varchar('status', { length: 50, enum: emailReportStatuses }).notNull(),
    errorMessage: text('error_message'),
    /** Set while a worker holds a pending report (claimPendingEmailReports); past it, the claim has lapsed. */
    claimedUntil: timestamptz('claimed_until'),
    createdAt: createdAtColumn(),
    /** How many times the claim queue has claimed this report (each claim is one attempt). */
    attempts: integer('attempts').notNull().default(0),
    /**
     * The fencing token of the latest claim: `markSent`/`markFailed` close the report only with it, so a worker whose
     * lease lapsed and whose report was claimed again cannot close it. Null until the report is first claimed.
     */
    claimToken: uuid('claim_token'),
    /** A pending report is not claimed before this instant: set by a failed attempt to delay the retry. */
    availableAt: timestamptz('available_at'),
  },
  (t) => [
    foreignKey({ name: 'email_reports_session_id_fk', columns: [t.sessionId], foreignColumns: [sessions.id] }).onDelete(
      'restrict',
    ),
    index('email_reports_session_id_idx').on(t.sessionId),
    index('email_reports_sent_at_idx').on(t.sentAt),
    index('email_reports_status_idx').on(t.status),
    check('email_reports_status_valid', sql`${t.status} in ('sent', 'failed', 'pending', 'dead')`),
    check('email_reports_recipient_email_format', sql`${t.recipientEmail} ~ '^[^@ \\t\\r\\n]+@[^@ \\t\\r\\n]+$'`),
    // A failed or dead report says why; a sent one has no error; a pending one may carry its last attempt's error.
    check(
      'email_reports_error_message_when_failed',
      sql`(${t.status} <> 'sent' or ${t.errorMessage} is null) and (${t.status} not in ('failed', 'dead') or ${t.errorMessage} is not null)`,
    ),
    check('email_reports_attempts_valid', sql`${t.attempts} >= 0`),
    check('email_reports_available_only_when_pending', sql`${t.availableAt} is null or ${t.status} = 'pending'`),
    check('email_reports_claim_only_when_pending', sql`${t.claimedUntil} is null or ${t.status} = 'pending'`),
    index('email_reports_pending_idx').on(t.createdAt).where(sql`${t.status} = 'pending'`),
    // listDeadEmailReports pages through the dead reports alone; failedLast24h reads the failed ones alone.
    index('email_reports_dead_idx').on(t.createdAt, t.id).where(sql`${t.status} = 'dead'`),
    index('email_reports_failed_idx').on(t.sentAt).where(sql`${t.status} = 'failed'`),
    timestampsInRange('email_reports_timestamps_in_range', t.sentAt, t.createdAt, t.claimedUntil, t.availableAt),
  ],
);
