import { type SQL, sql } from 'drizzle-orm';
import { alias } from 'drizzle-orm/pg-core';
import { type Database, queryRows } from '../db/client';
import { readFromReplica } from '../db/replicas';
import { reschedules, sessions, tutors, tutorScores } from '../schema';

const st = alias(tutors, 'st');
const sts = alias(tutorScores, 'sts');
const ss = alias(sessions, 'ss');
const sr = alias(reschedules, 'sr');

/**
 * `select st.id from tutors st ...`: the ids of the tutors whose score is stale, for `where id in (...)`.
 *
 * A score is stale when it is missing, or when its `last_calculated_at` (the database clock of the refresh that
 * wrote it) is not later than a `created_at`/`updated_at` of one of the tutor's sessions or a `created_at` of one of
 * their reschedules. The timestamps come from the same database clock, so client clocks never enter the comparison.
 * A tie counts as stale: a clock may tick in milliseconds (PGlite's does), and a write in the same tick as the refresh
 * may not have been seen by it; refreshing a tutor once too often is cheap, missing a change is not.
 *
 * The newest change of every tutor is one grouped pass over sessions and reschedules (hash joins), not a look-up per
 * tutor: per-tutor `exists` subqueries cost more than the refresh itself once tutors have a few dozen sessions.
 */
export function staleTutorIdsQuery(): SQL {
  return sql`select ${st.id} from ${tutors} ${st}
    left join ${tutorScores} ${sts} on ${sts.tutorId} = ${st.id}
    left join (
      select ${ss.tutorId} as tutor_id, max(greatest(${ss.createdAt}, ${ss.updatedAt}, ${sr.createdAt})) as changed_at
      from ${sessions} ${ss} left join ${reschedules} ${sr} on ${sr.sessionId} = ${ss.id}
      group by ${ss.tutorId}
    ) "changes" on "changes"."tutor_id" = ${st.id}
    where ${sts.tutorId} is null or "changes"."changed_at" >= ${sts.lastCalculatedAt}`;
}

/**
 * The ids of the tutors whose stored score is stale, sorted: no `tutor_scores` row yet, or a session or reschedule
 * of theirs created or updated since the score was last calculated (or in the same clock tick). `refreshTutorScores(db, { staleOnly: true })`
 * refreshes exactly these.
 *
 * What staleness cannot see, because it compares timestamps of rows that still exist:
 * - deleted sessions and reschedules, and a session moved to another tutor (the tutor it left is not stale);
 * - rows written with a back-dated `created_at`/`updated_at` (a bulk load that copies historical timestamps);
 * - a write whose transaction began before a refresh and committed after it: its rows carry a timestamp older than
 *   that refresh's `last_calculated_at`, yet the refresh did not see them;
 * - time passing: a score as of yesterday is not stale for having windows that have since moved on.
 * Run a full refresh (no `staleOnly`) on a schedule to catch all of these.
 *
 * @deprecated It misses all of the above: use {@link refreshDueScores}, which refreshes from changes the database
 *   captures, whoever wrote them, and from the instant each score next changes by time.
 * @example
 * await findStaleTutorIds(db); // ['0b6f…', '9c1e…']
 *
 * // SQL shape:
 * // select st.id from tutors st
 * // left join tutor_scores sts on sts.tutor_id = st.id
 * // left join (select ss.tutor_id, max(greatest(ss.created_at, ss.updated_at, sr.created_at)) as changed_at
 * //            from sessions ss left join reschedules sr on sr.session_id = ss.id group by ss.tutor_id) changes
 * //   on changes.tutor_id = st.id
 * // where sts.tutor_id is null or changes.changed_at >= sts.last_calculated_at
 * // order by st.id
 */
export async function findStaleTutorIds(db: Database): Promise<string[]> {
  const rows = await readFromReplica(db, 'findStaleTutorIds', (reader) =>
    queryRows<{ id: string }>(reader, sql`select "stale"."id" from (${staleTutorIdsQuery()}) "stale" order by 1`),
  );
  return rows.map((row) => row.id);
}
