import { type Database, inCall } from '../db';
import type { Dataset } from '../records/dataset';
import type { InsertDatasetOptions, InsertDatasetResult } from './load-options';
import { checkClearExisting, runLoad, scoresAsOf } from './load-run';
import { planLoad } from './load-plan';

/**
 * Loads a dataset (from `generateDataset()`, or built by hand with the same shape) into the four tables it fills by
 * COPY, then refreshes `tutor_scores`, all in ONE transaction: should anything fail half-way (a constraint, a throwing
 * `onProgress`, a dropped connection), the database is left exactly as it was. Rows must be complete apart from the
 * generated `reschedules.hours_before_session`; a column no row of a table gives is left to its default. Given a
 * transaction you opened (`db.transaction(async (tx) => insertDataset(tx, dataset))`), the load runs in a savepoint
 * of it and commits with it.
 *
 * ```sql
 * begin;                                    -- in your transaction: savepoint
 * truncate table email_reports, reschedules, tutor_scores, tutor_score_changes, tutor_score_refreshes, sessions, tutors restart identity; -- clearExisting only
 * copy "tutors" ("id", "name", "email", "created_at", "updated_at", "is_active") from stdin; -- PGlite: from '/dev/blob', per chunk
 * copy "sessions" ("id", "tutor_id", "student_id", "scheduled_time", ...) from stdin;
 * copy "reschedules" ("id", "session_id", "initiator", "original_time", ...) from stdin;
 * copy "email_reports" ("id", "session_id", "recipient_email", "sent_at", ...) from stdin;
 * analyze tutors, sessions, reschedules;
 * -- refreshTutorScores(tx, { asOf: dataset.options.now })
 * delete from tutor_score_changes where xmin = pg_current_xact_id()::xid;
 * commit;                                   -- in your transaction: release savepoint
 * ```
 *
 * @throws {ConstraintViolationError} a row broke a constraint; the message names it and the dataset row
 *   (`reschedules[12]`). Nothing was written.
 * @throws {ConnectionError} the connection was lost; the message says whether before the commit (nothing written) or
 *   during it (outcome unknown).
 * @throws {DiskFullError} into a PGlite data directory, the load does not fit (refused first) or the disk filled up
 *   (rolled back).
 * @throws {InvalidOptionError} more than PGlite's 100,000 sessions without `exceedPgliteLimit`, or a bad
 *   `clearExisting`; nothing written.
 * @throws {InvalidOptionError} the dataset is malformed (a table is not an array, a value cannot be stored); nothing written.
 * @example
 * const dataset = generateDataset({ seed: 7, now: new Date('2026-01-15T12:00:00Z') });
 * const result = await insertDataset(db, dataset, {
 *   clearExisting: true,
 *   onProgress: ({ table, rowsDone, rowsTotal }) => console.log(`${table} ${rowsDone}/${rowsTotal}`),
 * });
 * result.rows; // { tutors: 100, sessions: 3000, reschedules: 357, emailReports: 357 }
 */
export async function insertDataset(
  db: Database,
  dataset: Dataset,
  options: InsertDatasetOptions = {},
): Promise<InsertDatasetResult> {
  checkClearExisting(options);
  const tables = planLoad(dataset);
  const asOf = scoresAsOf(dataset, options);
  const rows = dataset.tutors.length + dataset.sessions.length + dataset.reschedules.length + dataset.emailReports.length;
  const sessionTimes = sessionTimeSpan(dataset.sessions);
  return inCall(db, 'insertDataset', () => runLoad(db, options, { fn: 'insertDataset', asOf, sessions: dataset.sessions.length, rows, tables, sessionTimes }));
}

/** The first and the last scheduled time of `rows` (undefined when there is none, or a time is not a valid Date). */
function sessionTimeSpan(rows: readonly { scheduledTime?: unknown }[]): { from: Date; to: Date } | undefined {
  let lo = Infinity;
  let hi = -Infinity;
  for (const row of rows) {
    const at = row.scheduledTime instanceof Date ? row.scheduledTime.getTime() : Number.NaN;
    if (Number.isNaN(at)) return undefined;
    if (at < lo) lo = at;
    if (at > hi) hi = at;
  }
  return rows.length === 0 ? undefined : { from: new Date(lo), to: new Date(hi) };
}
