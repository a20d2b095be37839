import { sql } from 'drizzle-orm';
import { abortable, type AbortableOptions, inCall } from '../db';
import type { Database } from '../db/client';
import { countTableRows } from '../db/table-counts';
import { DestructiveOperationRefusedError } from '../errors';
import { checkOptions, isSignal } from '../errors/check-options';
import { truncateAllTables } from './truncate-tables';

const LOCK_ALL =
  'lock table "email_reports", "reschedules", "tutor_scores", "tutor_score_changes", "sessions", "tutors" in access exclusive mode';

/** Options of {@link clearDatabase}. */
export interface ClearDatabaseOptions extends AbortableOptions {
  /** Must be `true`: emptying every table is never a default. */
  confirm: boolean;
}

/** What {@link clearDatabase} removed. */
export interface ClearDatabaseResult {
  rowsDeleted: { tutors: number; sessions: number; reschedules: number; tutorScores: number; emailReports: number };
}

/**
 * Empties the five tables of the schema (`tutors`, `sessions`, `reschedules`, `tutor_scores`, `email_reports`) in one
 * transaction, and says how many rows each held. Refuses unless called with `{ confirm: true }`: destructive
 * operations are explicit. The schema and the migration journal are untouched. Inside a transaction you opened
 * (`db.transaction(async (tx) => clearDatabase(tx, ...))`) it runs in a savepoint of it, and your commit keeps it.
 *
 * SQL it runs, in one transaction:
 * ```sql
 * lock table email_reports, reschedules, tutor_scores, tutor_score_changes, sessions, tutors in access exclusive mode;
 * select (select count(*) from tutors) as tutors, ... ;
 * truncate table email_reports, reschedules, tutor_scores, tutor_score_changes, tutor_score_refreshes, sessions, tutors, session_ids restart identity;
 * ```
 *
 * @throws {InvalidOptionError} an unknown option (a typo of `confirm`); nothing is changed.
 * @throws {DestructiveOperationRefusedError} `confirm` is not `true` (code `DESTRUCTIVE_OPERATION_REFUSED`); nothing
 *   is changed.
 * @example
 * const { rowsDeleted } = await clearDatabase(db, { confirm: true });
 * // { tutors: 100, sessions: 3000, reschedules: 357, tutorScores: 100, emailReports: 357 }
 */
export async function clearDatabase(db: Database, options: ClearDatabaseOptions): Promise<ClearDatabaseResult> {
  // An unknown key (`{ confirmed: true }`) is refused as such; any `confirm` but `true` is refused just below.
  checkOptions('clearDatabase', options, { confirm: () => undefined, signal: isSignal });
  if ((options as ClearDatabaseOptions | undefined)?.confirm !== true) {
    throw new DestructiveOperationRefusedError(
      'clearDatabase empties every table of the schema; pass { confirm: true } to do it. Nothing was changed.',
    );
  }
  const clear = () =>
    db.transaction(async (tx) => {
      // Locked first, so the counts are exactly the rows the truncate removes.
      await tx.execute(sql.raw(LOCK_ALL));
      const rowsDeleted = await countTableRows(tx);
      await truncateAllTables(tx);
      return { rowsDeleted };
    });
  return inCall(db, 'clearDatabase', () => abortable('clearDatabase', options.signal, clear, () => 'nothing was deleted'));
}
