import { tutors } from '../schema/tutors';
import { boolean, emailVarchar, notBlankVarchar, timestamptz, uuid } from './column-types';
import { tableSchemas } from './row-rules';

const schemas = tableSchemas(
  tutors,
  {
    id: () => uuid('id'),
    name: () => notBlankVarchar('name', 'tutors_name_not_blank'),
    email: () => emailVarchar('email', 'tutors_email_format'),
    createdAt: () => timestamptz('createdAt'),
    updatedAt: () => timestamptz('updatedAt'),
    isActive: () => boolean('isActive'),
  },
  [],
);

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
