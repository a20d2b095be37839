import type { EmailReport } from '../schema';
import { emailReports } from '../schema/email-reports';
import { emailVarchar, oneOf, text, timestamptz, uuid } from './column-types';
import { type ColumnSchemas, type RowRule, tableSchemas } from './row-rules';

const rules: RowRule<EmailReport>[] = [
  {
    constraint: 'email_reports_error_message_when_failed',
    field: 'errorMessage',
    reads: ['status', 'errorMessage'],
    requirement: "must be set exactly when status is 'failed'",
    holds: (row) => (row.status === 'failed') === (row.errorMessage !== null),
  },
];

/**
 * The Zod schema of each column of `emailReports`, from its key and its Drizzle column; every column needs one.
 *
 * @example
 * emailReportColumnSchemas.id('id', emailReports.id).parse(crypto.randomUUID());
 */
export const emailReportColumnSchemas = {
  id: uuid,
  sessionId: uuid,
  recipientEmail: (field, column) => emailVarchar(field, column, 'email_reports_recipient_email_format'),
  sentAt: timestamptz,
  status: (field, column) => oneOf(field, column.enumValues, 'email_reports_status_valid'),
  errorMessage: (field) => text(field),
  createdAt: timestamptz,
} satisfies ColumnSchemas<typeof emailReports>;

const schemas = tableSchemas(emailReports, emailReportColumnSchemas, rules);

/**
 * What `db.insert(emailReports).values(row)` accepts: Zod accepts a row if and only if PostgreSQL does, apart from
 * the foreign key to `sessions`, which only the database can see.
 *
 * @example
 * const row = parseRow(emailReportInsertSchema, {
 *   sessionId, recipientEmail: 'ada@example.com', sentAt: new Date(), status: 'failed', errorMessage: 'mailbox full',
 * }, 'email report');
 * await db.insert(emailReports).values(row);
 */
export const emailReportInsertSchema = schemas.insert;

/**
 * An `email_reports` row as read from the database.
 *
 * @example
 * const report = emailReportSelectSchema.parse(await db.query.emailReports.findFirst());
 */
export const emailReportSelectSchema = schemas.select;

/**
 * The columns of a `db.update(emailReports).set(changes)`.
 *
 * @example
 * await db.update(emailReports).set(parseRow(emailReportUpdateSchema, { status: 'sent', errorMessage: null })).where(eq(emailReports.id, id));
 */
export const emailReportUpdateSchema = schemas.update;
