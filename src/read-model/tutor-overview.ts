import { sql } from 'drizzle-orm';
import { z } from 'zod';
import { lazySchema } from '../validation/lazy-schema';
import { emailText, nameText, uuidText } from './json-fields';
import type { Database } from '../db';
import { riskTiers } from '../domain';
import { NotFoundError } from '../errors';
import { reschedules, scoreWindows, sessions, tutors, tutorScores } from '../schema';
import { checkId, instantOption, instantParam, isoText, parseOptions, readJson } from './options';
import { tutorListRowSchema } from './list-tutors';

const DAY_MS = 86_400_000;

/**
 * The options of {@link getTutorOverview}.
 *
 * @example
 * const options = tutorOverviewOptionsSchema.parse(query); // a bad option throws before getTutorOverview runs
 */
export const tutorOverviewOptionsSchema = lazySchema(() =>
  z
    .object({
      /** The end of the windows (a `Date` or ISO text). Default: now. */
      asOf: instantOption.optional(),
    })
    .strict(),
);
/** Options of {@link getTutorOverview} ({@link tutorOverviewOptionsSchema}'s input). */
export type TutorOverviewOptions = z.input<typeof tutorOverviewOptionsSchema>;

const share = lazySchema(() => z.number().min(0).max(100).nullable());

/**
 * The statistics of one window of {@link getTutorOverview}.
 *
 * @example
 * response.json(tutorWindowStatsSchema.parse((await getTutorOverview(db, tutorId)).windows[0]));
 */
export const tutorWindowStatsSchema = lazySchema(() =>
  z.object({
    days: z.number().int(),
    sessions: z.number().int(),
    completed: z.number().int(),
    rescheduled: z.number().int(),
    noShows: z.number().int(),
    tutorReschedules: z.number().int(),
    studentReschedules: z.number().int(),
    /** Reschedules without a new time. */
    cancellations: z.number().int(),
    /** Reschedules made less than 24 hours before the session. */
    lastMinuteReschedules: z.number().int(),
    /** `lastMinuteReschedules` in percent of all reschedules, 2 decimals; null with no reschedule. */
    lastMinuteShare: share,
    /** The commonest reason code of the window's reschedules (ties: the first in code order); null with none. */
    mostCommonReasonCode: z.string().nullable(),
    /** The tutor reschedule rate over the window, as the score computes it; null with no session. */
    rescheduleRate: share,
  }),
);
/** A tutor's figures in one scoring window, in {@link TutorOverview} ({@link tutorWindowStatsSchema}). */
export type TutorWindowStats = z.infer<typeof tutorWindowStatsSchema>;

/**
 * The answer of {@link getTutorOverview}, JSON-ready.
 *
 * @example
 * response.json(tutorOverviewSchema.parse(await getTutorOverview(db, tutorId)));
 */
export const tutorOverviewSchema = lazySchema(() =>
  z.object({
    tutor: z.object({
      tutorId: uuidText,
      name: nameText,
      email: emailText,
      isActive: z.boolean(),
      createdAt: z.iso.datetime(),
    }),
    /** The stored score (as `listTutors` shows it), null when the tutor has none yet. */
    score: tutorListRowSchema
      .pick({
        isHighRisk: true,
        rescheduleRate7d: true,
        rescheduleRate30d: true,
        rescheduleRate90d: true,
        totalSessions7d: true,
        totalSessions30d: true,
        totalSessions90d: true,
        tutorReschedules7d: true,
        tutorReschedules30d: true,
        tutorReschedules90d: true,
        riskThreshold: true,
        asOf: true,
        lastCalculatedAt: true,
      })
      .extend({ riskCategory: z.enum(riskTiers).nullable() })
      .nullable(),
    asOf: z.iso.datetime(),
    /** One entry per scoring window (7, 30, 90 days), computed from the sessions now, not from the stored score. */
    windows: z.array(tutorWindowStatsSchema),
  }),
);
/** The answer of {@link getTutorOverview}, JSON-ready ({@link tutorOverviewSchema}). */
export type TutorOverview = z.infer<typeof tutorOverviewSchema>;

/**
 * A tutor's detail page in one call: the tutor, its stored score, and its statistics over each window ending at
 * `asOf` (sessions by status, tutor and student reschedules, cancellations, the last-minute share, the commonest
 * reason), computed from its own sessions through `sessions (tutor_id, scheduled_time)`.
 *
 * A window of N days holds the sessions scheduled in `(asOf − N days, asOf]`, as the scores count them.
 *
 * @throws {NotFoundError} no tutor has this id.
 * @throws {InvalidOptionError} an unknown option or an invalid `asOf`.
 * @example
 * const overview = await getTutorOverview(db, tutorId, { asOf: new Date('2026-03-01T00:00:00Z') });
 * overview.windows[1]; // { days: 30, sessions: 41, noShows: 2, tutorReschedules: 5, lastMinuteShare: 40, ... }
 *
 * ```sql
 * with "own" as (select id, status, scheduled_time from sessions
 *                where tutor_id = $id and scheduled_time > $asOf - 90 days and scheduled_time <= $asOf),
 *   "moved" as (select * from reschedules where session_id = any(array(select id from "own"))),
 *   "s" as (select * from "own" left join "moved" on "moved".session_id = "own".id)
 * select json_build_object('tutor', (select ... from tutors where id = $id),
 *   'score', (select ... from tutor_scores where tutor_id = $id),
 *   'windows', (select json_agg(...) from unnest(array[7, 30, 90]) "w"("days")
 *     cross join lateral (select count(*) filter (where ...), ... from "s" where scheduled_time > $start_of_window)))
 * ```
 */
export async function getTutorOverview(db: Database, tutorId: string, options: TutorOverviewOptions = {}): Promise<TutorOverview> {
  const id = checkId('tutor', tutorId);
  const o = parseOptions('getTutorOverview', tutorOverviewOptionsSchema, options);
  const asOf = o.asOf ?? new Date();
  const starts = scoreWindows.map((days) => instantParam(new Date(asOf.getTime() - days * DAY_MS)));
  const largest = starts[starts.length - 1]!;
  const windows = scoreWindows.map(
    (days, i) => sql`select ${days}::int as "days", ${starts[i]!} as "start"`,
  );
  // `= any(array(...))`: the reschedules are looked up by session id, however the planner estimates the sessions.
  const query = sql`with "own" as materialized (
  select ${sessions.id} as "id", ${sessions.status} as "status", ${sessions.scheduledTime} as "scheduled_time" from ${sessions}
  where ${sessions.tutorId} = ${id}::uuid and ${sessions.scheduledTime} > ${largest} and ${sessions.scheduledTime} <= ${instantParam(asOf)}
), "moved" as materialized (
  select ${reschedules.sessionId} as "session_id", ${reschedules.initiator} as "initiator", ${reschedules.newTime} as "new_time",
    ${reschedules.reasonCode} as "reason_code", ${reschedules.hoursBeforeSession} as "hours"
  from ${reschedules} where ${reschedules.sessionId} = any(array(select "id" from "own"))
), "s" as materialized (
  select "own"."status", "own"."scheduled_time", "moved"."initiator", "moved"."new_time", "moved"."reason_code", "moved"."hours"
  from "own" left join "moved" on "moved"."session_id" = "own"."id"
), "w" as (${sql.join(windows, sql` union all `)}),
"stats" as (
  select "w"."days", "c".*, (
    select "reason_code" from "s" where "s"."scheduled_time" > "w"."start" and "reason_code" is not null
    group by "reason_code" order by count(*) desc, "reason_code" limit 1) as "reason"
  from "w" cross join lateral (
    select count(*)::int as "sessions",
      count(*) filter (where "status" = 'completed')::int as "completed",
      count(*) filter (where "status" = 'rescheduled')::int as "rescheduled",
      count(*) filter (where "status" = 'no_show')::int as "no_shows",
      count(*) filter (where "initiator" = 'tutor')::int as "tutor_reschedules",
      count(*) filter (where "initiator" = 'student')::int as "student_reschedules",
      count(*) filter (where "initiator" is not null and "new_time" is null)::int as "cancellations",
      count(*) filter (where "hours" < 24)::int as "last_minute",
      count("initiator")::int as "reschedules"
    from "s" where "s"."scheduled_time" > "w"."start") "c"
)
select json_build_object(
  'tutor', (select json_build_object('tutorId', ${tutors.id}, 'name', ${tutors.name}, 'email', ${tutors.email},
      'isActive', ${tutors.isActive}, 'createdAt', ${isoText(sql`${tutors.createdAt}`)}) from ${tutors} where ${tutors.id} = ${id}::uuid),
  'score', (select json_build_object('isHighRisk', ${tutorScores.isHighRisk}, 'riskCategory', ${tutorScores.riskCategory},
      'rescheduleRate7d', ${tutorScores.rescheduleRate7d}, 'rescheduleRate30d', ${tutorScores.rescheduleRate30d},
      'rescheduleRate90d', ${tutorScores.rescheduleRate90d}, 'totalSessions7d', ${tutorScores.totalSessions7d},
      'totalSessions30d', ${tutorScores.totalSessions30d}, 'totalSessions90d', ${tutorScores.totalSessions90d},
      'tutorReschedules7d', ${tutorScores.tutorReschedules7d}, 'tutorReschedules30d', ${tutorScores.tutorReschedules30d},
      'tutorReschedules90d', ${tutorScores.tutorReschedules90d}, 'riskThreshold', ${tutorScores.riskThreshold},
      'asOf', ${isoText(sql`${tutorScores.asOf}`)}, 'lastCalculatedAt', ${isoText(sql`${tutorScores.lastCalculatedAt}`)})
    from ${tutorScores} where ${tutorScores.tutorId} = ${id}::uuid),
  'asOf', ${isoText(instantParam(asOf))},
  'windows', (select json_agg(json_build_object('days', "days", 'sessions', "sessions", 'completed', "completed",
      'rescheduled', "rescheduled", 'noShows', "no_shows", 'tutorReschedules', "tutor_reschedules",
      'studentReschedules', "student_reschedules", 'cancellations', "cancellations", 'lastMinuteReschedules', "last_minute",
      'lastMinuteShare', case when "reschedules" > 0 then round(100.0 * "last_minute" / "reschedules", 2) end,
      'mostCommonReasonCode', "reason",
      'rescheduleRate', case when "sessions" > 0 then round(100.0 * "tutor_reschedules" / "sessions", 2) end)
    order by "days") from "stats")
)::text as "result"`;
  const result = await readJson<TutorOverview>(db, query);
  if (result.tutor === null) throw new NotFoundError('tutor', id);
  return result;
}
