import { sql } from 'drizzle-orm';
import { type Database, queryRows } from '../db/client';
import { readFromReplica } from '../db/replicas';
import { staleTutorIdsQuery } from './score-query';

/**
 * The ids of the tutors whose stored score is stale, sorted: no score yet, or a session or reschedule of theirs
 * created or updated since the score was last written or verified by a refresh of every tutor. It cannot see
 * deletes, moved sessions, back-dated writes or time passing (docs/scoring.md).
 *
 * ```sql
 * select "stale".id from (select st.id from tutors st left join tutor_scores sts ... left join (newest change per
 *   tutor) changes ... where sts.tutor_id is null or changes.changed_at >= greatest(sts.last_calculated_at,
 *   (select max(refreshed_at) from tutor_score_refreshes))) "stale" order by 1
 * ```
 *
 * @deprecated Misses all of the above: use {@link refreshDueScores}, which works from captured changes.
 * @example
 * await findStaleTutorIds(db); // ['0b6f…', '9c1e…']
 */
export async function findStaleTutorIds(db: Database): Promise<string[]> {
  const rows = await readFromReplica(db, 'findStaleTutorIds', (reader) =>
    queryRows<{ id: string }>(reader, sql`select "stale"."id" from (${staleTutorIdsQuery()}) "stale" order by 1`),
  );
  return rows.map((row) => row.id);
}
