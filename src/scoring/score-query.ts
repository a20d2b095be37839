import { type SQL, sql } from 'drizzle-orm';
import { alias, type PgColumn } from 'drizzle-orm/pg-core';
import { reschedules, type ScoreWindow, scoreWindows, sessions, tutors, tutorScores } from '../schema';

/*
 * The SQL that computeTutorScore and refreshTutorScores share, so that the two can never count differently.
 *
 * A window of N days ending at asOf holds the sessions with scheduled_time in (asOf - N days, asOf]. The start is
 * computed here as an exact instant (asOf - N × 86,400,000 ms) and sent as a parameter: `asOf - interval 'N days'`
 * would step over calendar days in the session's TimeZone, so across a DST change the window would be an hour
 * longer or shorter depending on the server's setting.
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
 * The six counts as `[column, expression]` pairs, in the order of `countColumns`: every session of the window
 * whatever its status, and the tutor-initiated reschedules of those sessions (a cancellation, `new_time` null,
 * included). One pass: each aggregate filters the joined rows of the largest window.
 */
export function countExpressions(asOf: Date): [PgColumn, SQL][] {
  const starts = windowStarts(asOf);
  return scoreWindows.flatMap((days) => {
    // The join already keeps the largest window only: its counts need no filter.
    const count = (column: PgColumn) =>
      days === largestWindow
        ? sql`count(${column})::int`
        : sql`(count(${column}) filter (where ${windowSession.scheduledTime} > ${timestamptz(starts[days])}))::int`;
    // The reschedules are counted by `r.session_id` (non-null in every joined row), not `r.id`: the hash of the
    // reschedules then carries one uuid a row instead of two, and at 1M sessions it fits in memory instead of
    // spilling both sides of the join to disk in batches.
    return [
      [countColumns[days].sessions, count(windowSession.id)],
      [countColumns[days].reschedules, count(tutorReschedule.sessionId)],
    ] as [PgColumn, SQL][];
  });
}

/**
 * `tutors t`, each with its sessions of the largest window ending at `asOf` and their tutor-initiated reschedules.
 * Sessions after `asOf` never join, nor do sessions still `scheduled`: a booking whose time has passed without an
 * outcome says nothing yet about its tutor, and counting it would dilute the rates (docs/ingest.md). Its outcome, when
 * it comes, is an update that the change capture sees. A tutor without sessions still gives one row (of nulls), so it is scored.
 *
 * Both sides read the window alone, whatever the history: the sessions through `sessions_window_idx`
 * `(scheduled_time, tutor_id, id, status)` and the reschedules through `reschedules_tutor_window_idx`
 * `(original_time, session_id, id) where initiator = 'tutor'`, both index-only range scans. The range on
 * `r.original_time` changes no count (the database keeps `original_time` equal to its session's `scheduled_time`);
 * without it the join hashes every tutor-initiated reschedule ever made, and the refresh slows as history grows.
 */
export function scoredTutorsFrom(asOf: Date): SQL {
  const start = windowStarts(asOf)[largestWindow];
  return sql`${tutors} ${scoredTutor}
    left join ${sessions} ${windowSession} on ${windowSession.tutorId} = ${scoredTutor.id} and ${windowSession.scheduledTime} > ${timestamptz(start)} and ${windowSession.scheduledTime} <= ${timestamptz(asOf)} and ${windowSession.status} <> 'scheduled'
    left join ${reschedules} ${tutorReschedule} on ${tutorReschedule.sessionId} = ${windowSession.id} and ${tutorReschedule.initiator} = 'tutor' and ${tutorReschedule.originalTime} > ${timestamptz(start)} and ${tutorReschedule.originalTime} <= ${timestamptz(asOf)}`;
}

/** `instant + N days` as an exact interval (seconds only), so no TimeZone's daylight-saving change stretches it. */
const plusDays = (instant: SQL, days: number): SQL => sql`${instant} + ${sql.raw(`interval '${days * 86_400} seconds'`)}`;

/**
 * The next instant after `asOf` at which the counts of `t` change by time alone, for `tutor_scores.next_change_at`:
 * the earliest of its first session after `asOf` that has an outcome (which enters every window when `asOf` reaches it;
 * a session still `scheduled` never counts, and its outcome arrives as a captured update) and, per window
 * N, its earliest session in the window plus N days (when that session leaves it). Null when there is neither. To be
 * selected from {@link scoredTutorsFrom} grouped by `t.id`: the window minimums come from the joined rows, the next
 * session from one look-up on `sessions (tutor_id, scheduled_time)` per tutor, so no session is read twice.
 */
export function nextChangeExpression(asOf: Date): SQL {
  const starts = windowStarts(asOf);
  const next = alias(sessions, 'next_session');
  const leaving = scoreWindows.map((days) =>
    plusDays(
      days === largestWindow
        ? sql`min(${windowSession.scheduledTime})`
        : sql`min(${windowSession.scheduledTime}) filter (where ${windowSession.scheduledTime} > ${timestamptz(starts[days])})`,
      days,
    ),
  );
  const entering = sql`(select min(${next.scheduledTime}) from ${sessions} ${next} where ${next.tutorId} = ${scoredTutor.id} and ${next.scheduledTime} > ${timestamptz(asOf)} and ${next.status} <> 'scheduled')`;
  return sql`least(${entering}, ${sql.join(leaving, sql`, `)})`;
}
