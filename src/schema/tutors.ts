import { sql } from 'drizzle-orm';
import { boolean, check, index, pgTable, uniqueIndex, varchar } from 'drizzle-orm/pg-core';
import { createdAtColumn, idColumn, timestampsInRange, updatedAtColumn } from './columns';

/**
 * A tutor's profile.
 *
 * `email` is unique regardless of case (`Ada@Example.org` and `ada@example.org` are one address): the unique index on
 * `lower(email)` is also the index that serves email look-ups.
 */
export const tutors = pgTable(
  'tutors',
  {
    id: idColumn(),
    name: varchar('name', { length: 255 }).notNull(),
    email: varchar('email', { length: 255 }),
    createdAt: createdAtColumn(),
    updatedAt: updatedAtColumn(),
    isActive: boolean('is_active').notNull().default(true),
  },
  (t) => [
    // Unique regardless of case, and the index a look-up by `lower(email)` uses (findTutorByEmail).
    uniqueIndex('tutors_email_unique').on(sql`lower(${t.email})`),
    index('tutors_created_at_idx').on(t.createdAt),
    check('tutors_name_not_blank', sql`${t.name} ~ '[^ \\t\\r\\n]'`),
    check('tutors_email_format', sql`${t.email} ~ '^[^@ \\t\\r\\n]+@[^@ \\t\\r\\n]+$'`),
    timestampsInRange('tutors_timestamps_in_range', t.createdAt, t.updatedAt),
  ],
);
