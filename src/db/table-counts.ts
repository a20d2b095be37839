import { sql } from 'drizzle-orm';
import { inCall } from './call';
import { type Database, queryRows } from './client';

/** Rows in each table of the schema, keyed by the table's TypeScript name. */
export interface TableCounts {
  tutors: number;
  sessions: number;
  reschedules: number;
  tutorScores: number;
  emailReports: number;
}

/**
 * Counts the rows of every table of the schema in one statement (one snapshot on every backend).
 *
 * ```sql
 * select (select count(*) from tutors)::int as "tutors", (select count(*) from sessions)::int as "sessions", ...
 * ```
 *
 * @example
 * await countTableRows(db); // { tutors: 100, sessions: 3000, reschedules: 357, tutorScores: 100, emailReports: 357 }
 */
export async function countTableRows(db: Database): Promise<TableCounts> {
  const [row] = await inCall(db, 'countTableRows', () =>
    queryRows<Record<keyof TableCounts, number>>(
      db,
      sql`select (select count(*) from tutors)::int as "tutors",
               (select count(*) from sessions)::int as "sessions",
               (select count(*) from reschedules)::int as "reschedules",
               (select count(*) from tutor_scores)::int as "tutorScores",
               (select count(*) from email_reports)::int as "emailReports"`,
    ),
  );
  return {
    tutors: Number(row?.tutors ?? 0),
    sessions: Number(row?.sessions ?? 0),
    reschedules: Number(row?.reschedules ?? 0),
    tutorScores: Number(row?.tutorScores ?? 0),
    emailReports: Number(row?.emailReports ?? 0),
  };
}
