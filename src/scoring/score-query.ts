import { type SQL, sql } from 'drizzle-orm';
import { alias, type PgColumn } from 'drizzle-orm/pg-core';
import { reschedules, type ScoreWindow, scoreWindows, sessions, tutors, tutorScoreRefreshes, tutorScores } from '../schema';

/*
 * The SQL that computeTutorScore and both refreshes share, so they can never count differently. Window starts are
 * exact instants sent as parameters: `asOf - interval 'N days'` would follow the session's TimeZone across a DST
 * change.
 */

const DAY_MS = 86_400_000;
const largestWindow = Math.max(...scoreWindows) as ScoreWindow;

/**
 * The table aliases of the scoring queries, as their SQL reads: `tutors t`, `sessions s` (a tutor's sessions in the
 * largest window) and `reschedules r` (the tutor-initiated reschedules of those sessions).
 */
export const scoredTutor = alias(tutors, 't');
export const windowSession = alias(sessions, 's');
export const tutorReschedule = alias(reschedules, 'r');

/** An instant as a `timestamptz` parameter, sent as ISO 8601 UTC text so that no driver or TimeZone reinterprets it. */
export const timestamptz = (date: Date): SQL => sql`${date.toISOString()}::timestamptz`;

/** The first instant after the start of each window: a session counts in window N when `scheduled_time > start`. */
export function windowStarts(asOf: Date): Record<ScoreWindow, Date> {
  return Object.fromEntries(scoreWindows.map((days) => [days, new Date(asOf.getTime() - days * DAY_MS)])) as Record<
    ScoreWindow,
    Date
  >;
}

/** The count columns of `tutor_scores`, window by window. */
export const countColumns: Record<ScoreWindow, { sessions: PgColumn; reschedules: PgColumn }> = {
  7: { sessions: tutorScores.totalSessions7d, reschedules: tutorScores.tutorReschedules7d },
  30: { sessions: tutorScores.totalSessions30d, reschedules: tutorScores.tutorReschedules30d },
  90: { sessions: tutorScores.totalSessions90d, reschedules: tutorScores.tutorReschedules90d },
};

/**
 * The six counts as `[column, expression]` pairs: the window's sessions whatever their status, and their
 * tutor-initiated reschedules (cancellations included), each aggregate filtering the joined rows of the largest window.
 *
 * @example
 * countExpressions(asOf).map(([column]) => column.name); // ['total_sessions_7d', 'tutor_reschedules_7d', ...]
 */
export function countExpressions(asOf: Date): [PgColumn, SQL][] {
  const starts = windowStarts(asOf);
  return scoreWindows.flatMap((days) => {
    // The join already keeps the largest window only: its counts need no filter.
    const count = (column: PgColumn) =>
      days === largestWindow
        ? sql`count(${column})::int`
        : sql`(count(${column}) filter (where ${windowSession.scheduledTime} > ${timestamptz(starts[days])}))::int`;
    // Reschedules counted by `r.session_id`, not `r.id`: the join's hash then carries one uuid a row, not two.
    return [
      [countColumns[days].sessions, count(windowSession.id)],
      [countColumns[days].reschedules, count(tutorReschedule.sessionId)],
    ] as [PgColumn, SQL][];
  });
}

/**
 * `tutors t`, each with its sessions of the largest window ending at `asOf` that have an outcome, and their
 * tutor-initiated reschedules (a tutor without sessions still gives one row, so it is scored). A session still
 * `scheduled` never joins: a booking without an outcome says nothing yet about its tutor (docs/ingest.md). Both joins
 * are index-only range scans of the window; the range on `r.original_time` changes no count (it equals the session's
 * time) but keeps the join from reading the whole history.
 *
 * @example
 * sql`select ${scoredTutor.id} from ${scoredTutorsFrom(asOf)} group by ${scoredTutor.id}`;
 */
export function scoredTutorsFrom(asOf: Date): SQL {
  return sql`${tutors} ${scoredTutor}
    left join ${sessions} ${windowSession} on ${windowSession.tutorId} = ${scoredTutor.id} and ${sessionInWindow(asOf)}
    left join ${reschedules} ${tutorReschedule} on ${tutorRescheduleOf(asOf)}`;
}

/** `s` is in the largest window ending at `asOf` and has an outcome. */
function sessionInWindow(asOf: Date): SQL {
  const start = windowStarts(asOf)[largestWindow];
  return sql`${windowSession.scheduledTime} > ${timestamptz(start)} and ${windowSession.scheduledTime} <= ${timestamptz(asOf)} and ${windowSession.status} <> 'scheduled'`;
}

/** `r` is a tutor-initiated reschedule of `s`, its original time in the largest window (a range the index reads). */
function tutorRescheduleOf(asOf: Date): SQL {
  const start = windowStarts(asOf)[largestWindow];
  return sql`${tutorReschedule.sessionId} = ${windowSession.id} and ${tutorReschedule.initiator} = 'tutor' and ${tutorReschedule.originalTime} > ${timestamptz(start)} and ${tutorReschedule.originalTime} <= ${timestamptz(asOf)}`;
}

/** `instant + N days` as an exact interval (seconds only), so no TimeZone's daylight-saving change stretches it. */
const plusDays = (instant: SQL, days: number): SQL => sql`${instant} + ${sql.raw(`interval '${days * 86_400} seconds'`)}`;

/**
 * The instants at which a tutor's sessions leave the 7-, 30- and 90-day windows ending at `asOf`: its earliest session
 * in each window plus that window's length (null for an empty window). Aggregates over `s`, grouped by tutor.
 */
export function leavingExpressions(asOf: Date): SQL[] {
  const starts = windowStarts(asOf);
  return scoreWindows.map((days) =>
    plusDays(
      days === largestWindow
        ? sql`min(${windowSession.scheduledTime})`
        : sql`min(${windowSession.scheduledTime}) filter (where ${windowSession.scheduledTime} > ${timestamptz(starts[days])})`,
      days,
    ),
  );
}

/** The first session with an outcome of `t` after `asOf`: when it enters the windows (a subquery on `t.id`). */
export function enteringExpression(asOf: Date): SQL {
  const next = alias(sessions, 'next_session');
  return sql`(select min(${next.scheduledTime}) from ${sessions} ${next} where ${next.tutorId} = ${scoredTutor.id} and ${next.scheduledTime} > ${timestamptz(asOf)} and ${next.status} <> 'scheduled')`;
}

/**
 * The next instant after `asOf` at which the counts of `t` change by time alone (`tutor_scores.next_change_at`): its
 * first session with an outcome after `asOf`, or its earliest session of a window plus that window's length, whichever
 * comes first (a booked session's outcome arrives as a captured update). To be selected from {@link scoredTutorsFrom}
 * grouped by `t.id`.
 *
 * @example
 * sql`select ${nextChangeExpression(asOf)} from ${scoredTutorsFrom(asOf)} group by ${scoredTutor.id}`;
 */
export function nextChangeExpression(asOf: Date): SQL {
  return sql`least(${enteringExpression(asOf)}, ${sql.join(leavingExpressions(asOf), sql`, `)})`;
}

/**
 * Every tutor's counts and `next_change_at` as of `asOf`, the sessions aggregated per tutor first and then joined to
 * `tutors t` (one hash join of one row per tutor instead of every session of the window): the same values as
 * {@link countExpressions} and {@link nextChangeExpression} over {@link scoredTutorsFrom} grouped by `t.id`, for the
 * refresh of every tutor. Selects `t.id`, the six counts (0 for a tutor without sessions), `next_change_at` and
 * `extra`, in that order, from `tutors t` and the aggregate `"a"`: add a `where` on `t`.
 *
 * @example
 * sql`${aggregatedScores(asOf, sql`now()`)} order by ${scoredTutor.id}`;
 */
export function aggregatedScores(asOf: Date, extra: SQL): SQL {
  const counts = countExpressions(asOf);
  const leaving = leavingExpressions(asOf);
  const name = (i: number) => sql.identifier(`leaves_${scoreWindows[i]}d`);
  return sql`select ${scoredTutor.id}, ${sql.join(
    counts.map(([column]) => sql`coalesce("a".${sql.identifier(column.name)}, 0)`),
    sql`, `,
  )}, least(${enteringExpression(asOf)}, ${sql.join(leaving.map((_, i) => sql`"a".${name(i)}`), sql`, `)}), ${extra}
  from ${tutors} ${scoredTutor} left join (
    select ${windowSession.tutorId} as "tutor_id", ${sql.join(
      [
        ...counts.map(([column, expression]) => sql`${expression} as ${sql.identifier(column.name)}`),
        ...leaving.map((expression, i) => sql`${expression} as ${name(i)}`),
      ],
      sql`, `,
    )}
    from ${sessions} ${windowSession}
    left join ${reschedules} ${tutorReschedule} on ${tutorRescheduleOf(asOf)}
    where ${sessionInWindow(asOf)}
    group by ${windowSession.tutorId}
  ) "a" on "a"."tutor_id" = ${scoredTutor.id}`;
}

const st = alias(tutors, 'st');
const sts = alias(tutorScores, 'sts');
const ss = alias(sessions, 'ss');
const sr = alias(reschedules, 'sr');

/**
 * The ids of the tutors whose score is stale, for `where id in (...)`: no score, or a session or reschedule timestamp
 * at or after the time its values were last written or verified: the later of `last_calculated_at` and the latest
 * refresh of every tutor in `tutor_score_refreshes`, which leaves rows it finds unchanged as they were (a tie counts:
 * both come from the database clock, which may tick in milliseconds).
 * One grouped pass over the history, not a look-up per tutor, which costs more than the refresh once tutors have
 * many sessions.
 *
 * @example
 * sql`select count(*) from (${staleTutorIdsQuery()}) stale`;
 */
export function staleTutorIdsQuery(): SQL {
  return sql`select ${st.id} from ${tutors} ${st}
    left join ${tutorScores} ${sts} on ${sts.tutorId} = ${st.id}
    left join (
      select ${ss.tutorId} as tutor_id, max(greatest(${ss.createdAt}, ${ss.updatedAt}, ${sr.createdAt})) as changed_at
      from ${sessions} ${ss} left join ${reschedules} ${sr} on ${sr.sessionId} = ${ss.id}
      group by ${ss.tutorId}
    ) "changes" on "changes"."tutor_id" = ${st.id}
    where ${sts.tutorId} is null or "changes"."changed_at" >= greatest(${sts.lastCalculatedAt},
      (select max(${tutorScoreRefreshes.refreshedAt}) from ${tutorScoreRefreshes}))`;
}
