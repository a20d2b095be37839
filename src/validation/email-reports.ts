import type { EmailReport } from '../schema';
import { emailReports } from '../schema/email-reports';
import { check, emailVarchar, int32, oneOf, text, timestamptz, uuid } from './column-types';
import { type ColumnSchemas, type RowRule, tableSchemas } from './row-rules';
import { wireSchemas } from './wire-schemas';
import { lazySchema, once } from './lazy-schema';
import type { z } from 'zod';

const rules: RowRule<EmailReport>[] = [
  {
    constraint: 'email_reports_error_message_when_failed',
    field: 'errorMessage',
    reads: ['status', 'errorMessage'],
    requirement: "must be set when status is 'failed' or 'dead', and null when it is 'sent'",
    holds: (row) =>
      (row.status !== 'sent' || row.errorMessage === null) &&
      ((row.status as string) !== 'failed' && (row.status as string) !== 'dead' ? true : row.errorMessage !== null),
  },
  {
    constraint: 'email_reports_available_only_when_pending',
    field: 'availableAt',
    reads: ['status', 'availableAt'],
    requirement: "must be null unless status is 'pending'",
    holds: (row) => row.availableAt === null || row.status === 'pending',
  },
  {
    constraint: 'email_reports_claim_only_when_pending',
    field: 'claimedUntil',
    reads: ['status', 'claimedUntil'],
    requirement: "must be null unless status is 'pending'",
    holds: (row) => row.claimedUntil === null || row.status === 'pending',
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
  claimedUntil: timestamptz,
  attempts: (field) =>
    int32(field).refine(...check(field, (n: number) => n >= 0, 'must be 0 or more', 'email_reports_attempts_valid')),
  claimToken: uuid,
  availableAt: timestamptz,
} satisfies ColumnSchemas<typeof emailReports>;

const schemas = once(() => tableSchemas(emailReports, emailReportColumnSchemas, rules));

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
export const emailReportInsertSchema = lazySchema(() => schemas().insert);

/**
 * An `email_reports` row as read from the database.
 *
 * @example
 * const report = emailReportSelectSchema.parse(await db.query.emailReports.findFirst());
 */
export const emailReportSelectSchema = lazySchema(() => schemas().select);

/**
 * The columns of a `db.update(emailReports).set(changes)`.
 *
 * @example
 * await db.update(emailReports).set(parseRow(emailReportUpdateSchema, { status: 'sent', errorMessage: null })).where(eq(emailReports.id, id));
 */
export const emailReportUpdateSchema = lazySchema(() => schemas().update);

const wire = once(() => wireSchemas(schemas(), ['id', 'createdAt']));

/**
 * A JSON request that creates an email report: the insert schema's rules, with timestamps as ISO 8601 text with an offset
 * (`2026-01-15T12:00:00Z`), which it turns into `Date`s. Its output is the row to insert. The server-owned columns (`id`, `createdAt`) are not part of it: a client that sends them has them stripped, and the database sets them; the database draws its id.
 *
 * @example
 * const row = parseRow(emailReportCreateRequestSchema, await request.json(), 'email report');
 */
export const emailReportCreateRequestSchema = lazySchema(() => wire().createRequest);

/**
 * A JSON request that changes some columns of an email report (a partial update), with timestamps as ISO 8601 text. The id, `createdAt` and `updatedAt` are the
 * server's: stripped when sent.
 *
 * @example
 * const changes = parseRow(emailReportUpdateRequestSchema, await request.json(), 'email report');
 */
export const emailReportUpdateRequestSchema = lazySchema(() => wire().updateRequest);

/**
 * An email report row as the API sends it: checked by the select schema, then made ready for JSON (timestamps as ISO 8601 text
 * in UTC; ids in lower case, as the database writes them; numbers as numbers).
 *
 * @example
 * response.json(emailReportResponseSchema.parse(row)); // { ..., "createdAt": "2026-01-15T12:00:00.000Z" }
 */
export const emailReportResponseSchema = lazySchema(() => wire().response);

/**
 * EmailReport create request as a plain object schema, without the cross-column rules: compose it with `.omit`, `.pick`,
 * `.partial` or `.extend`, then add the rules back with {@link withEmailReportRules}.
 *
 * @example
 * const body = withEmailReportRules(emailReportCreateRequestObject.omit({ errorMessage: true }));
 */
export const emailReportCreateRequestObject = lazySchema(() => wire().createRequestObject);

/**
 * EmailReport update request as a plain object schema, without the cross-column rules (see {@link emailReportCreateRequestObject}).
 *
 * @example
 * const patch = withEmailReportRules(emailReportUpdateRequestObject.pick({ status: true }), 'update');
 */
export const emailReportUpdateRequestObject = lazySchema(() => wire().updateRequestObject);

/**
 * EmailReport response as a plain object schema over its JSON (timestamps as ISO 8601 text in UTC): what a client checks a
 * response body with, and the shape the JSON Schema of the response is made from. Composable like the request objects.
 *
 * @example
 * const body = emailReportResponseObject.parse(await response.json());
 */
export const emailReportResponseObject = lazySchema(() => wire().responseObject);

/**
 * `schema` (a shape made from {@link emailReportCreateRequestObject} or {@link emailReportUpdateRequestObject}) with the email reports'
 * cross-column rules checked on its output, as the create (`'create'`, the default) or update request checks them: a
 * rule is checked when every column it reads is present.
 *
 * @example
 * const schema = withEmailReportRules(emailReportUpdateRequestObject.partial(), 'update');
 */
export const withEmailReportRules: ReturnType<typeof wire>['withRules'] = (schema, kind) => wire().withRules(schema, kind);

/** The JSON body of a create request for email reports, as a client sends it ({@link emailReportCreateRequestSchema}'s input). */
export type EmailReportCreateRequest = z.input<typeof emailReportCreateRequestSchema>;

/** The JSON body of an update request for email reports, every field optional ({@link emailReportUpdateRequestSchema}'s input). */
export type EmailReportUpdateRequest = z.input<typeof emailReportUpdateRequestSchema>;

/** The JSON body of a response with one of the email reports ({@link emailReportResponseSchema}'s output). */
export type EmailReportResponse = z.output<typeof emailReportResponseSchema>;
