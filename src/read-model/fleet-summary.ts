import { sql } from 'drizzle-orm';
import type { PgColumn } from 'drizzle-orm/pg-core';
import { z } from 'zod';
import { lazySchema } from '../validation/lazy-schema';
import type { Database } from '../db';
import { reschedules, sessions, tutors, tutorScores } from '../schema';
import { fleetCountRows } from './fleet-count-rows';
import { instantOption, instantParam, isoText, parseOptions, readJson } from './options';

/**
 * The options of {@link fleetSummary}.
 *
 * @example
 * const options = fleetSummaryOptionsSchema.parse(query); // a bad option throws before fleetSummary runs
 */
export const fleetSummaryOptionsSchema = lazySchema(() =>
  z
    .object({
      /** The end of the 30-day totals. Default: now. */
      asOf: instantOption.optional(),
    })
    .strict(),
);
/** Options of {@link fleetSummary} ({@link fleetSummaryOptionsSchema}'s input). */
export type FleetSummaryOptions = z.input<typeof fleetSummaryOptionsSchema>;

const rate = lazySchema(() => z.number().min(0).max(100).nullable());
const rates = lazySchema(() => z.object({ rescheduleRate7d: rate, rescheduleRate30d: rate, rescheduleRate90d: rate }));

/**
 * The answer of {@link fleetSummary}, JSON-ready.
 *
 * @example
 * response.json(fleetSummarySchema.parse(await fleetSummary(db)));
 */
export const fleetSummarySchema = lazySchema(() =>
  z.object({
    asOf: z.iso.datetime(),
    tutors: z.number().int(),
    activeTutors: z.number().int(),
    scored: z.number().int(),
    unscored: z.number().int(),
    flagged: z.number().int(),
    byRiskCategory: z.object({ low: z.number().int(), medium: z.number().int(), high: z.number().int() }),
    /** The mean of the stored rates of the tutors that have one, 2 decimals; null when none has. */
    averageRates: rates,
    /** Their median (the mean of the two middle values for an even count), 2 decimals. */
    medianRates: rates,
    /** Sessions scheduled in `(asOf − 30 days, asOf]`, by the sessions themselves (not the stored scores). */
    last30Days: z.object({
      sessions: z.number().int(),
      completed: z.number().int(),
      noShows: z.number().int(),
      reschedules: z.number().int(),
      tutorReschedules: z.number().int(),
      studentReschedules: z.number().int(),
    }),
  }),
);
/** The answer of {@link fleetSummary}, JSON-ready ({@link fleetSummarySchema}). */
export type FleetSummary = z.infer<typeof fleetSummarySchema>;

/**
 * The dashboard's summary cards in one query: tutors (active, scored, unscored, flagged, by risk category), the mean
 * and median of the stored 7/30/90-day rates, and the 30-day totals of sessions, no-shows and reschedules counted
 * from the sessions. Computed over the whole fleet, however many tutors.
 *
 * @throws {InvalidOptionError} an unknown option or an invalid `asOf`.
 * @example
 * const summary = await fleetSummary(db);
 * // { tutors: 10000, scored: 9990, flagged: 412, byRiskCategory: { low: 8012, medium: 1302, high: 676 }, averageRates: {...}, last30Days: {...} }
 *
 * ```sql
 * select json_build_object(
 *   'tutors', (select count(*) from tutors), ...,
 *   'scores', (select count(*), count(*) filter (where is_high_risk), ..., avg(reschedule_rate_7d),
 *              percentile_cont(0.5) within group (order by reschedule_rate_7d), ... from tutor_scores),
 *   -- the 30 days from the counts the database keeps per quarter-hour (fleet_counts), and the rows of the
 *   -- partial quarter-hours at either end from the sessions and reschedules themselves:
 *   'last30Days', (select sum(n), sum(n) filter (where key = 'no_show'), ... from (
 *                    select key, count as n from fleet_counts where kind = 'status' and bucket >= $first and bucket < $end
 *                    union all select status, 1 from sessions where scheduled_time > $asOf - 30 days and scheduled_time < $first
 *                    union all select status, 1 from sessions where scheduled_time >= $end and scheduled_time <= $asOf) c),
 *   'reschedules', (the same over fleet_counts of kind 'initiator' and the reschedules' original_time))
 * ```
 */
export async function fleetSummary(db: Database, options: FleetSummaryOptions = {}): Promise<FleetSummary> {
  const o = parseOptions('fleetSummary', fleetSummaryOptionsSchema, options);
  const asOf = o.asOf ?? new Date();
  const period = { from: new Date(asOf.getTime() - 30 * 86_400_000), to: asOf, upperClosed: true };
  const ts = tutorScores;
  const avg = (column: PgColumn) => sql`round(avg(${column}), 2)`;
  const median = (column: PgColumn) =>
    sql`round((percentile_cont(0.5) within group (order by ${column}))::numeric, 2)`;
  const query = sql`with "t" as (
  select count(*)::int as "tutors", count(*) filter (where ${tutors.isActive})::int as "active" from ${tutors}
), "sc" as (
  select count(*)::int as "scored", count(*) filter (where ${ts.isHighRisk})::int as "flagged",
    count(*) filter (where ${ts.riskCategory} = 'low')::int as "low",
    count(*) filter (where ${ts.riskCategory} = 'medium')::int as "medium",
    count(*) filter (where ${ts.riskCategory} = 'high')::int as "high",
    ${avg(ts.rescheduleRate7d)} as "a7", ${avg(ts.rescheduleRate30d)} as "a30", ${avg(ts.rescheduleRate90d)} as "a90",
    ${median(ts.rescheduleRate7d)} as "m7", ${median(ts.rescheduleRate30d)} as "m30", ${median(ts.rescheduleRate90d)} as "m90"
  from ${ts} -- every score has its tutor (tutor_scores_tutor_id_fk): no join
), "s" as (
  select coalesce(sum("n"), 0)::int as "sessions",
    coalesce(sum("n") filter (where "key" = 'completed'), 0)::int as "completed",
    coalesce(sum("n") filter (where "key" = 'no_show'), 0)::int as "no_shows"
  from (${fleetCountRows(period, { kind: 'status', table: sessions, time: sessions.scheduledTime, rowKey: sql`${sessions.status}` })}) "c"
), "r" as (
  -- A reschedule's original time is its session's scheduled time: the same 30 days.
  select coalesce(sum("n"), 0)::int as "reschedules",
    coalesce(sum("n") filter (where "key" = 'tutor'), 0)::int as "tutor_reschedules",
    coalesce(sum("n") filter (where "key" = 'student'), 0)::int as "student_reschedules"
  from (${fleetCountRows(period, { kind: 'initiator', table: reschedules, time: reschedules.originalTime, rowKey: sql`${reschedules.initiator}` })}) "c"
)
select json_build_object('asOf', ${isoText(instantParam(asOf))}, 'tutors', "t"."tutors", 'activeTutors', "t"."active",
  'scored', "sc"."scored", 'unscored', "t"."tutors" - "sc"."scored", 'flagged', "sc"."flagged",
  'byRiskCategory', json_build_object('low', "sc"."low", 'medium', "sc"."medium", 'high', "sc"."high"),
  'averageRates', json_build_object('rescheduleRate7d', "a7", 'rescheduleRate30d', "a30", 'rescheduleRate90d', "a90"),
  'medianRates', json_build_object('rescheduleRate7d', "m7", 'rescheduleRate30d', "m30", 'rescheduleRate90d', "m90"),
  'last30Days', json_build_object('sessions', "s"."sessions", 'completed', "s"."completed", 'noShows', "s"."no_shows",
    'reschedules', "r"."reschedules", 'tutorReschedules', "r"."tutor_reschedules", 'studentReschedules', "r"."student_reschedules")
)::text as "result" from "t", "sc", "s", "r"`;
  return readJson<FleetSummary>(db, query);
}
