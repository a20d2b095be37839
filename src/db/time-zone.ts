import { sql } from 'drizzle-orm';
import { InvalidOptionError } from '../errors';
import { type Database, queryRows } from './client';

/**
 * Refuses a time zone the database does not know by that exact name, before anything is written: Node and
 * PostgreSQL ship different time zone databases (Node knows `US/Pacific-New`, PostgreSQL 16 does not), and a zone
 * only Node knows would otherwise fail the first query that uses it, after a load has committed.
 *
 * @throws {InvalidOptionError} the database does not know `timeZone` (the message names the spelling it knows, if
 *   only the case differs).
 * @example
 * await assertDatabaseTimeZone(db, 'Europe/Paris'); // fine
 * await assertDatabaseTimeZone(db, 'US/Pacific-New'); // throws InvalidOptionError
 *
 * ```sql
 * select name from pg_timezone_names where lower(name) = lower($1)
 * ```
 */
export async function assertDatabaseTimeZone(db: Database, timeZone: string, option = 'timeZone'): Promise<void> {
  const rows = await queryRows<{ name: string }>(
    db,
    sql`select name from pg_timezone_names where lower(name) = lower(${timeZone})`,
  );
  if (rows.some((row) => row.name === timeZone)) return;
  const spelled = rows[0]?.name;
  throw new InvalidOptionError(
    option,
    spelled
      ? `${option} '${timeZone}' is spelled '${spelled}' in the database's time zone list: use that spelling`
      : `${option} '${timeZone}' is not in the database's time zone list (pg_timezone_names), although the JavaScript runtime knows it: use a current IANA name such as America/Los_Angeles`,
  );
}
