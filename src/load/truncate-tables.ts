import { sql } from 'drizzle-orm';
import type { Database } from '../db';

/** Every table of the schema (and the log of full refreshes of the scores it empties), children first: one TRUNCATE statement empties them all. */
const TRUNCATE_ALL =
  'truncate table "email_reports", "reschedules", "tutor_scores", "tutor_score_changes", "tutor_score_refreshes", "sessions", "tutors" restart identity';

/**
 * Empties the five tables of the schema in one statement, in whatever transaction `db` is (no confirmation: for
 * callers that have one already, {@link clearDatabase} and `insertDataset`'s `clearExisting`).
 *
 * ```sql
 * truncate table email_reports, reschedules, tutor_scores, tutor_score_changes, tutor_score_refreshes, sessions, tutors restart identity;
 * ```
 *
 * @example
 * await db.transaction(async (tx) => truncateAllTables(tx));
 */
export async function truncateAllTables(db: Database): Promise<void> {
  await db.execute(sql.raw(TRUNCATE_ALL));
}
