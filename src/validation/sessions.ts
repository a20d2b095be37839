import { sessions } from '../schema/sessions';
import type { Session } from '../schema';
import { check, int32, notBlankVarchar, oneOf, timestamptz, uuid } from './column-types';
import { type ColumnSchemas, type RowRule, tableSchemas } from './row-rules';
import { wireSchemas } from './wire-schemas';
import { lazySchema, once } from './lazy-schema';
import type { z } from 'zod';

const rules: RowRule<Session>[] = [
  {
    constraint: 'sessions_completed_time_matches_status',
    field: 'completedTime',
    reads: ['status', 'completedTime'],
    requirement: "must be set exactly when status is 'completed'",
    holds: (row) => (row.status === 'completed') === (row.completedTime !== null),
  },
  {
    constraint: 'sessions_completed_after_scheduled',
    field: 'completedTime',
    reads: ['completedTime', 'scheduledTime'],
    requirement: 'must not be before scheduledTime',
    holds: (row) => row.completedTime === null || row.completedTime.getTime() >= row.scheduledTime.getTime(),
  },
  {
    constraint: 'sessions_duration_only_when_completed',
    field: 'durationMinutes',
    reads: ['durationMinutes', 'status'],
    requirement: "must be null unless status is 'completed'",
    holds: (row) => row.durationMinutes === null || row.status === 'completed',
  },
];

/**
 * The Zod schema of each column of `sessions`, from its key and its Drizzle column; every column needs one.
 *
 * @example
 * sessionColumnSchemas.id('id', sessions.id).parse(crypto.randomUUID());
 */
export const sessionColumnSchemas = {
  id: uuid,
  tutorId: uuid,
  studentId: (field, column) => notBlankVarchar(field, column, 'sessions_student_id_not_blank'),
  scheduledTime: timestamptz,
  completedTime: timestamptz,
  status: (field, column) => oneOf(field, column.enumValues, 'sessions_status_valid'),
  durationMinutes: (field) =>
    int32(field).refine(...check(field, (n: number) => n > 0, 'must be greater than 0', 'sessions_duration_positive')).meta({ minimum: 1 }),
  createdAt: timestamptz,
  updatedAt: timestamptz,
} satisfies ColumnSchemas<typeof sessions>;

const schemas = once(() => tableSchemas(sessions, sessionColumnSchemas, rules));

/**
 * What `db.insert(sessions).values(row)` accepts: Zod accepts a row if and only if PostgreSQL does, apart from the
 * foreign key to `tutors`, which only the database can see. Its output is what PostgreSQL stores. A `rescheduled`
 * session also needs its reschedule by the time the transaction commits (`reschedule_status_rule`), which no schema
 * of one row can see.
 *
 * @example
 * const row = parseRow(sessionInsertSchema, {
 *   tutorId, studentId: 'student-42', scheduledTime: new Date('2025-03-03T16:00:00Z'),
 *   status: 'completed', completedTime: new Date('2025-03-03T17:00:00Z'), durationMinutes: 60,
 * }, 'session');
 * await db.insert(sessions).values(row);
 */
export const sessionInsertSchema = lazySchema(() => schemas().insert);

/**
 * A `sessions` row as read from the database.
 *
 * @example
 * const session = sessionSelectSchema.parse(await db.query.sessions.findFirst());
 */
export const sessionSelectSchema = lazySchema(() => schemas().select);

/**
 * The columns of a `db.update(sessions).set(changes)`. A rule across columns is checked when the update sets all of
 * them (status and completedTime together, for example); the database checks the rest against the stored row.
 *
 * @example
 * const changes = parseRow(sessionUpdateSchema, { status: 'no_show', completedTime: null, durationMinutes: null });
 * await db.update(sessions).set(changes).where(eq(sessions.id, id));
 */
export const sessionUpdateSchema = lazySchema(() => schemas().update);

const wire = once(() => wireSchemas(schemas(), ['createdAt', 'updatedAt']));

/**
 * A JSON request that creates a session: the insert schema's rules, with timestamps as ISO 8601 text with an offset
 * (`2026-01-15T12:00:00Z`), which it turns into `Date`s. Its output is the row to insert. The server-owned columns (`createdAt`, `updatedAt`) are not part of it: a client that sends them has them stripped, and the database sets them; its id may be the caller's own (the platform's session id).
 *
 * @example
 * const row = parseRow(sessionCreateRequestSchema, await request.json(), 'session');
 */
export const sessionCreateRequestSchema = lazySchema(() => wire().createRequest);

/**
 * A JSON request that changes some columns of a session (a partial update), with timestamps as ISO 8601 text. The id, `createdAt` and `updatedAt` are the
 * server's: stripped when sent.
 *
 * @example
 * const changes = parseRow(sessionUpdateRequestSchema, await request.json(), 'session');
 */
export const sessionUpdateRequestSchema = lazySchema(() => wire().updateRequest);

/**
 * A session row as the API sends it: checked by the select schema, then made ready for JSON (timestamps as ISO 8601 text
 * in UTC; ids in lower case, as the database writes them; numbers as numbers).
 *
 * @example
 * response.json(sessionResponseSchema.parse(row)); // { ..., "createdAt": "2026-01-15T12:00:00.000Z" }
 */
export const sessionResponseSchema = lazySchema(() => wire().response);

/**
 * Session create request as a plain object schema, without the cross-column rules: compose it with `.omit`, `.pick`,
 * `.partial` or `.extend`, then add the rules back with {@link withSessionRules}.
 *
 * @example
 * const body = withSessionRules(sessionCreateRequestObject.omit({ id: true }));
 */
export const sessionCreateRequestObject = lazySchema(() => wire().createRequestObject);

/**
 * Session update request as a plain object schema, without the cross-column rules (see {@link sessionCreateRequestObject}).
 *
 * @example
 * const patch = withSessionRules(sessionUpdateRequestObject.pick({ status: true }), 'update');
 */
export const sessionUpdateRequestObject = lazySchema(() => wire().updateRequestObject);

/**
 * Session response as a plain object schema over its JSON (timestamps as ISO 8601 text in UTC): what a client checks a
 * response body with, and the shape the JSON Schema of the response is made from. Composable like the request objects.
 *
 * @example
 * const body = sessionResponseObject.parse(await response.json());
 */
export const sessionResponseObject = lazySchema(() => wire().responseObject);

/**
 * `schema` (a shape made from {@link sessionCreateRequestObject} or {@link sessionUpdateRequestObject}) with the sessions'
 * cross-column rules checked on its output, as the create (`'create'`, the default) or update request checks them: a
 * rule is checked when every column it reads is present.
 *
 * @example
 * const schema = withSessionRules(sessionUpdateRequestObject.partial(), 'update');
 */
export const withSessionRules: ReturnType<typeof wire>['withRules'] = (schema, kind) => wire().withRules(schema, kind);

/** The JSON body of a create request for sessions, as a client sends it ({@link sessionCreateRequestSchema}'s input). */
export type SessionCreateRequest = z.input<typeof sessionCreateRequestSchema>;

/** The JSON body of an update request for sessions, every field optional ({@link sessionUpdateRequestSchema}'s input). */
export type SessionUpdateRequest = z.input<typeof sessionUpdateRequestSchema>;

/** The JSON body of a response with one of the sessions ({@link sessionResponseSchema}'s output). */
export type SessionResponse = z.output<typeof sessionResponseSchema>;
