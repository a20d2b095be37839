import { timestamp, uuid } from 'drizzle-orm/pg-core';

/** `timestamp with time zone`, read and written as a JS `Date` (DESIGN.md: every timestamp is stored in UTC). */
export const timestamptz = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' });

/** The primary key every table shares: a UUID the database draws when the row does not bring one. */
export const idColumn = () => uuid('id').primaryKey().defaultRandom();

/** `created_at`, set by the database on insert. */
export const createdAtColumn = () => timestamptz('created_at').notNull().defaultNow();

/** `updated_at`, set on insert and moved forward on every update by the `tqs_touch_updated_at` trigger. */
export const updatedAtColumn = () => timestamptz('updated_at').notNull().defaultNow();
