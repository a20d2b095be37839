import { sql } from 'drizzle-orm';
import { check, foreignKey, index, pgTable, text, uuid, varchar } from 'drizzle-orm/pg-core';
import { createdAtColumn, idColumn, timestampsInRange, timestamptz } from './columns';
import { sessions } from './sessions';

/** The values `email_reports.status` may take. */
export const emailReportStatuses = ['sent', 'failed', 'pending'] as const;
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
  },
  (t) => [
    foreignKey({ name: 'email_reports_session_id_fk', columns: [t.sessionId], foreignColumns: [sessions.id] }).onDelete(
      'restrict',
    ),
    index('email_reports_session_id_idx').on(t.sessionId),
    index('email_reports_sent_at_idx').on(t.sentAt),
    index('email_reports_status_idx').on(t.status),
    check('email_reports_status_valid', sql`${t.status} in ('sent', 'failed', 'pending')`),
    check('email_reports_recipient_email_format', sql`${t.recipientEmail} ~ '^[^@ \\t\\r\\n]+@[^@ \\t\\r\\n]+$'`),
    check('email_reports_error_message_when_failed', sql`(${t.status} = 'failed') = (${t.errorMessage} is not null)`),
    check('email_reports_claim_only_when_pending', sql`${t.claimedUntil} is null or ${t.status} = 'pending'`),
    index('email_reports_pending_idx').on(t.createdAt).where(sql`${t.status} = 'pending'`),
    timestampsInRange('email_reports_timestamps_in_range', t.sentAt, t.createdAt, t.claimedUntil),
  ],
);
