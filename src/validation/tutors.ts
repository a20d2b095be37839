import { tutors } from '../schema/tutors';
import { boolean, emailVarchar, notBlankVarchar, timestamptz, uuid } from './column-types';
import { type ColumnSchemas, tableSchemas } from './row-rules';

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
