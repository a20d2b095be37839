import type { Database } from '../db';
import type { Dataset } from '../records/dataset';
import { checkClearExisting, type InsertDatasetOptions, type InsertDatasetResult, scoresAsOf } from './load-options';
import { runLoad } from './load-run';
import { planLoad } from './load-plan';

/**
 * Loads a dataset (from `generateDataset()`, or built by hand with the same shape) into the four tables it fills,
 * then refreshes `tutor_scores`, all in ONE transaction: should anything fail half-way (a constraint, an error thrown
 * by `onProgress`, a dropped connection), the database is left exactly as it was. Rows go in with PostgreSQL's own
 * bulk path, COPY, on both backends. Every row must be complete apart from the generated
 * `reschedules.hours_before_session`; a column that no row of a table gives is left to its database default.
 *
 * `db` is one from `createDatabase()` or a `drizzle(client, { schema })` over PGlite or postgres.js; the load opens
 * its own transaction (on PostgreSQL, one pooled connection for its duration). Or `db` is a transaction you opened
 * with `db.transaction(async (tx) => insertDataset(tx, dataset))`: the load then runs in a savepoint of it, on its
 * connection, and commits with it (should the load fail, none of it is left and your transaction can go on).
 *
 * SQL it runs, in one transaction (COPY's text format; PostgreSQL streams each table through one `from stdin`,
 * PGlite runs one `from '/dev/blob'` per chunk of rows):
 * ```sql
 * begin;                                    -- in your transaction: savepoint
 * truncate table email_reports, reschedules, tutor_scores, tutor_score_changes, sessions, tutors restart identity; -- clearExisting only
 * copy "tutors" ("id", "name", "email", "created_at", "updated_at", "is_active") from stdin;
 * copy "sessions" ("id", "tutor_id", "student_id", "scheduled_time", ...) from stdin;
 * copy "reschedules" ("id", "session_id", "initiator", "original_time", ...) from stdin;
 * copy "email_reports" ("id", "session_id", "recipient_email", "sent_at", ...) from stdin;
 * analyze tutors, sessions, reschedules;
 * -- refreshTutorScores(tx, { asOf: dataset.options.now })
 * delete from tutor_score_changes where xmin = pg_current_xact_id()::xid;
 * commit;                                   -- in your transaction: release savepoint
 * ```
 *
 * @throws {ConstraintViolationError} a row broke a constraint (a duplicate email or id, a session of an unknown
 *   tutor, ...); the message names the constraint and the dataset row (`reschedules[12]`), `table` the table. Nothing
 *   was written.
 * @throws {ConnectionError} the connection to PostgreSQL was lost (code `CONNECTION_FAILED`); the message says
 *   whether that happened before the commit (nothing written) or during it (outcome unknown).
 * @throws {DiskFullError} into a PGlite data directory: the load obviously does not fit on its file system (refused
 *   before anything is written), or the disk filled up during the load (rolled back); the message says how much it
 *   needed and where.
 * @throws {TypeError} the dataset is malformed (a table is not an array, a value cannot be stored); nothing written.
 * @example
 * const dataset = generateDataset({ seed: 7, now: new Date('2026-01-15T12:00:00Z') });
 * const result = await insertDataset(db, dataset, {
 *   clearExisting: true,
 *   onProgress: ({ table, rowsDone, rowsTotal }) => console.log(`${table} ${rowsDone}/${rowsTotal}`),
 * });
 * // { rows: { tutors: 100, sessions: 3000, reschedules: 357, emailReports: 357 }, scored: 100, flagged: 36, elapsedMs }
 */
export async function insertDataset(
  db: Database,
  dataset: Dataset,
  options: InsertDatasetOptions = {},
): Promise<InsertDatasetResult> {
  checkClearExisting(options);
  const tables = planLoad(dataset);
  const asOf = scoresAsOf(dataset, options);
  return runLoad(db, options, {
    fn: 'insertDataset',
    asOf,
    sessions: dataset.sessions.length,
    rows: dataset.tutors.length + dataset.sessions.length + dataset.reschedules.length + dataset.emailReports.length,
    tables,
  });
}
