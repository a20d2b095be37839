import { type SQL, sql } from 'drizzle-orm';
import { check, type PgColumn, timestamp, uuid } from 'drizzle-orm/pg-core';

/** PostgreSQL's text output of a `timestamptz`: `0001-01-01 00:00:00.001+00`, `2026-01-15 12:00:00-05:30`. */
const PG_TIMESTAMPTZ = /^(\d{4,})-(\d\d)-(\d\d)[ T](\d\d):(\d\d):(\d\d)(?:\.(\d{1,6}))?(?:([+-])(\d\d)(?::?(\d\d))?(?::?(\d\d))?|Z)?( BC)?$/;

/**
 * The instant of a `timestamptz` as PostgreSQL writes it, in every year the column holds. `new Date(text)`, which
 * Drizzle's own `timestamp` column uses, reads the years 1–99 as 1901–1999 or 2000–2049 (a two-digit year), so a
 * row written in year 1 would come back in 2001; this reads the year as written. Anything else (`infinity`) goes
 * to `new Date`, as before.
 *
 * @example
 * parseTimestamptz('0001-01-01 00:00:00.001+00').toISOString(); // '0001-01-01T00:00:00.001Z'
 * parseTimestamptz('2026-01-15 07:00:00-05').toISOString();     // '2026-01-15T12:00:00.000Z'
 */
export function parseTimestamptz(text: string): Date {
  const m = PG_TIMESTAMPTZ.exec(text);
  if (!m) return new Date(text);
  const [, year, month, day, hour, minute, second, fraction, sign, offsetH, offsetM, offsetS, bc] = m;
  const date = new Date(0);
  // setUTCFullYear takes the year as written; Date.UTC would move 0–99 into the 1900s.
  date.setUTCFullYear(bc ? 1 - Number(year) : Number(year), Number(month) - 1, Number(day));
  date.setUTCHours(Number(hour), Number(minute), Number(second), Number((fraction ?? '0').padEnd(3, '0').slice(0, 3)));
  if (sign) {
    const offsetMs = ((Number(offsetH) * 60 + Number(offsetM ?? 0)) * 60 + Number(offsetS ?? 0)) * 1000;
    date.setTime(date.getTime() - (sign === '+' ? offsetMs : -offsetMs));
  }
  return date;
}

/**
 * `timestamp with time zone`, read and written as a JS `Date` (docs/design.md, "Time": every timestamp is stored in UTC), in
 * every year from 1 to 9999: Drizzle's own `timestamp` column, whose built column reads the database's text with
 * {@link parseTimestamptz} instead of `new Date(text)`. Types, SQL and migrations are Drizzle's unchanged.
 */
export const timestamptz = (name: string) => {
  const builder = timestamp(name, { withTimezone: true, mode: 'date' });
  const internal = builder as unknown as { build(table: unknown): { mapFromDriverValue(value: unknown): unknown } };
  const build = internal.build.bind(builder);
  internal.build = (table) => {
    const column = build(table);
    column.mapFromDriverValue = (value) => (typeof value === 'string' ? parseTimestamptz(value) : value);
    return column;
  };
  return builder;
};

/** The primary key every table shares: a UUID the database draws when the row does not bring one. */
export const idColumn = () => uuid('id').primaryKey().defaultRandom();

/** `created_at`, set by the database on insert. */
export const createdAtColumn = () => timestamptz('created_at').notNull().defaultNow();

/** `updated_at`, set on insert and moved forward on every update by the `tqs_touch_updated_at` trigger. */
export const updatedAtColumn = () => timestamptz('updated_at').notNull().defaultNow();

/**
 * The CHECK that keeps every timestamp of a row within the years 1–9999 in UTC, the range a JavaScript `Date` read
 * from the row and the schemas agree on. Without it, text such as `0001-01-01T00:00:00+01:00` would be stored as
 * 1 BC, and `9999-12-31T23:00:00-05:00` as year 10000.
 */
export const timestampsInRange = (name: string, ...columns: PgColumn[]) =>
  check(
    name,
    sql.join(
      columns.map((column): SQL => sql`${column} >= '0001-01-01 00:00:00+00' and ${column} < '10000-01-01 00:00:00+00'`),
      sql` and `,
    ),
  );
