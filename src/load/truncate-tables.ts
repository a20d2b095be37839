import { sql } from 'drizzle-orm';
import type { Database } from '../db';

const TABLES = '"email_reports", "reschedules", "tutor_scores", "tutor_score_changes", "tutor_score_refreshes", "sessions", "tutors"';

/**
 * Every table of the schema (and the log of full refreshes of the scores it empties), children first: one TRUNCATE
 * statement empties them all. From migration 0015 on, with `session_ids` (the ids of the partitioned sessions), which
 * the sessions' truncate trigger would otherwise empty row by row.
 */
const TRUNCATE_ALL = `do $$ begin
  if to_regclass('session_ids') is null then truncate table ${TABLES} restart identity;
  else truncate table ${TABLES}, "session_ids" restart identity; end if;
end $$`;

/**
 * Empties the five tables of the schema in one statement, in whatever transaction `db` is (no confirmation: for
 * callers that have one already, {@link clearDatabase} and `insertDataset`'s `clearExisting`).
 *
 * ```sql
 * truncate table email_reports, reschedules, tutor_scores, tutor_score_changes, tutor_score_refreshes, sessions, tutors, session_ids restart identity;
 * ```
 *
 * @example
 * await db.transaction(async (tx) => truncateAllTables(tx));
 */
export async function truncateAllTables(db: Database): Promise<void> {
  await db.execute(sql.raw(TRUNCATE_ALL));
}
