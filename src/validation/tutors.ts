import { tutors } from '../schema/tutors';
import { boolean, emailVarchar, notBlankVarchar, timestamptz, uuid } from './column-types';
import { type ColumnSchemas, tableSchemas } from './row-rules';
import { wireSchemas } from './wire-schemas';

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

const schemas = tableSchemas(tutors, tutorColumnSchemas, []);

/**
 * What `db.insert(tutors).values(row)` accepts: Zod accepts a row if and only if PostgreSQL does (apart from the
 * unique `email`, which only the database can see). Its output is what PostgreSQL stores.
 *
 * @example
 * const row = parseRow(tutorInsertSchema, { name: 'Ada Lovelace', email: 'ada@example.com' }, 'tutor');
 * await db.insert(tutors).values(row);
 */
export const tutorInsertSchema = schemas.insert;

/**
 * A `tutors` row as read from the database.
 *
 * @example
 * const tutor = tutorSelectSchema.parse(await db.query.tutors.findFirst());
 */
export const tutorSelectSchema = schemas.select;

/**
 * The columns of a `db.update(tutors).set(changes)`: every column optional, each checked as on insert.
 *
 * @example
 * await db.update(tutors).set(parseRow(tutorUpdateSchema, { isActive: false })).where(eq(tutors.id, id));
 */
export const tutorUpdateSchema = schemas.update;

const wire = wireSchemas(schemas);

/**
 * A JSON request that creates a tutor: the insert schema's rules, with timestamps as ISO 8601 text with an offset
 * (`2026-01-15T12:00:00Z`), which it turns into `Date`s. Its output is the row to insert.
 *
 * @example
 * const row = parseRow(tutorCreateRequestSchema, await request.json(), 'tutor');
 */
export const tutorCreateRequestSchema = wire.createRequest;

/**
 * A JSON request that changes some columns of a tutor (a partial update), with timestamps as ISO 8601 text.
 *
 * @example
 * const changes = parseRow(tutorUpdateRequestSchema, await request.json(), 'tutor');
 */
export const tutorUpdateRequestSchema = wire.updateRequest;

/**
 * A tutor row as the API sends it: checked by the select schema, then made ready for JSON (timestamps as ISO 8601 text
 * in UTC; ids in lower case, as the database writes them; numbers as numbers).
 *
 * @example
 * response.json(tutorResponseSchema.parse(row)); // { ..., "createdAt": "2026-01-15T12:00:00.000Z" }
 */
export const tutorResponseSchema = wire.response;
