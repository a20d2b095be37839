import { tutors } from '../schema/tutors';
import { boolean, emailVarchar, notBlankVarchar, timestamptz, uuid } from './column-types';
import { type ColumnSchemas, tableSchemas } from './row-rules';
import { wireSchemas } from './wire-schemas';
import { lazySchema, once } from './lazy-schema';
import type { z } from 'zod';

/**
 * The Zod schema of each column of `tutors`, from its key and its Drizzle column; every column needs one.
 *
 * @example
 * tutorColumnSchemas.id('id', tutors.id).parse(crypto.randomUUID());
 */
export const tutorColumnSchemas = {
  id: uuid,
  name: (field, column) => notBlankVarchar(field, column, 'tutors_name_not_blank'),
  email: (field, column) => emailVarchar(field, column, 'tutors_email_format'),
  createdAt: timestamptz,
  updatedAt: timestamptz,
  isActive: boolean,
} satisfies ColumnSchemas<typeof tutors>;

const schemas = once(() => tableSchemas(tutors, tutorColumnSchemas, []));

/**
 * What `db.insert(tutors).values(row)` accepts: Zod accepts a row if and only if PostgreSQL does (apart from the
 * unique `email`, which only the database can see). Its output is what PostgreSQL stores.
 *
 * @example
 * const row = parseRow(tutorInsertSchema, { name: 'Ada Lovelace', email: 'ada@example.com' }, 'tutor');
 * await db.insert(tutors).values(row);
 */
export const tutorInsertSchema = lazySchema(() => schemas().insert);

/**
 * A `tutors` row as read from the database.
 *
 * @example
 * const tutor = tutorSelectSchema.parse(await db.query.tutors.findFirst());
 */
export const tutorSelectSchema = lazySchema(() => schemas().select);

/**
 * The columns of a `db.update(tutors).set(changes)`: every column optional, each checked as on insert.
 *
 * @example
 * await db.update(tutors).set(parseRow(tutorUpdateSchema, { isActive: false })).where(eq(tutors.id, id));
 */
export const tutorUpdateSchema = lazySchema(() => schemas().update);

const wire = once(() => wireSchemas(schemas(), ['createdAt', 'updatedAt']));

/**
 * A JSON request that creates a tutor: the insert schema's rules, with timestamps as ISO 8601 text with an offset
 * (`2026-01-15T12:00:00Z`), which it turns into `Date`s. Its output is the row to insert. The server-owned columns (`createdAt`, `updatedAt`) are not part of it: a client that sends them has them stripped, and the database sets them; its id may be the caller's own (the platform's tutor id).
 *
 * @example
 * const row = parseRow(tutorCreateRequestSchema, await request.json(), 'tutor');
 */
export const tutorCreateRequestSchema = lazySchema(() => wire().createRequest);

/**
 * A JSON request that changes some columns of a tutor (a partial update), with timestamps as ISO 8601 text. The id, `createdAt` and `updatedAt` are the
 * server's: stripped when sent.
 *
 * @example
 * const changes = parseRow(tutorUpdateRequestSchema, await request.json(), 'tutor');
 */
export const tutorUpdateRequestSchema = lazySchema(() => wire().updateRequest);

/**
 * A tutor row as the API sends it: checked by the select schema, then made ready for JSON (timestamps as ISO 8601 text
 * in UTC; ids in lower case, as the database writes them; numbers as numbers).
 *
 * @example
 * response.json(tutorResponseSchema.parse(row)); // { ..., "createdAt": "2026-01-15T12:00:00.000Z" }
 */
export const tutorResponseSchema = lazySchema(() => wire().response);

/**
 * Tutor create request as a plain object schema, without the cross-column rules: compose it with `.omit`, `.pick`,
 * `.partial` or `.extend`, then add the rules back with {@link withTutorRules}.
 *
 * @example
 * const body = withTutorRules(tutorCreateRequestObject.omit({ id: true }));
 */
export const tutorCreateRequestObject = lazySchema(() => wire().createRequestObject);

/**
 * Tutor update request as a plain object schema, without the cross-column rules (see {@link tutorCreateRequestObject}).
 *
 * @example
 * const patch = withTutorRules(tutorUpdateRequestObject.pick({ name: true }), 'update');
 */
export const tutorUpdateRequestObject = lazySchema(() => wire().updateRequestObject);

/**
 * Tutor response as a plain object schema over its JSON (timestamps as ISO 8601 text in UTC): what a client checks a
 * response body with, and the shape the JSON Schema of the response is made from. Composable like the request objects.
 *
 * @example
 * const body = tutorResponseObject.parse(await response.json());
 */
export const tutorResponseObject = lazySchema(() => wire().responseObject);

/**
 * `schema` (a shape made from {@link tutorCreateRequestObject} or {@link tutorUpdateRequestObject}) with the tutors'
 * cross-column rules checked on its output, as the create (`'create'`, the default) or update request checks them: a
 * rule is checked when every column it reads is present.
 *
 * @example
 * const schema = withTutorRules(tutorUpdateRequestObject.partial(), 'update');
 */
export const withTutorRules: ReturnType<typeof wire>['withRules'] = (schema, kind) => wire().withRules(schema, kind);

/** The JSON body of a create request for tutors, as a client sends it ({@link tutorCreateRequestSchema}'s input). */
export type TutorCreateRequest = z.input<typeof tutorCreateRequestSchema>;

/** The JSON body of an update request for tutors, every field optional ({@link tutorUpdateRequestSchema}'s input). */
export type TutorUpdateRequest = z.input<typeof tutorUpdateRequestSchema>;

/** The JSON body of a response with one of the tutors ({@link tutorResponseSchema}'s output). */
export type TutorResponse = z.output<typeof tutorResponseSchema>;
