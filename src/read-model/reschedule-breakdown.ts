import { type SQL, sql } from 'drizzle-orm';
import { z } from 'zod';
import { lazySchema } from '../validation/lazy-schema';
import type { Database } from '../db';
import { type FleetCountKind, reschedules, sessions } from '../schema';
import { type CountPeriod, fleetCountRows } from './fleet-count-rows';
import { instantOption, instantParam, parseOptions, periodRefinement, readJson, timeZoneOption, uuidOption } from './options';

/**
 * What {@link rescheduleBreakdown} groups by.
 *
 * @example
 * breakdownKeys.includes('weekday'); // true
 */
export const breakdownKeys = ['reasonCode', 'weekday', 'hour', 'leadTime', 'initiator'] as const;
/** What {@link rescheduleBreakdown} groups reschedules by: one of {@link breakdownKeys}. */
export type BreakdownKey = (typeof breakdownKeys)[number];

/**
 * The lead-time groups: under 24 hours before the session (or after it), 24–72 hours, 72 hours or more.
 *
 * @example
 * leadTimeGroups[0]; // 'under24h'
 */
export const leadTimeGroups = ['under24h', '1to3days', '3daysOrMore'] as const;

/**
 * The options of {@link rescheduleBreakdown}.
 *
 * @example
 * const options = rescheduleBreakdownOptionsSchema.parse(query); // a bad option throws before rescheduleBreakdown runs
 */
export const rescheduleBreakdownOptionsSchema = lazySchema(() =>
  z
    .object({
      /** One tutor; default: the whole fleet. */
      tutorId: uuidOption.optional(),
      /** The period `[from, to)` on the session's time (the reschedule's original time). */
      from: instantOption,
      to: instantOption,
      by: z.enum(breakdownKeys),
      /** The IANA time zone of `weekday` and `hour`. Default `UTC`. */
      timeZone: timeZoneOption.optional(),
    })
    .strict()
    .superRefine(periodRefinement),
);
/** Options of {@link rescheduleBreakdown} ({@link rescheduleBreakdownOptionsSchema}'s input). */
export type RescheduleBreakdownOptions = z.input<typeof rescheduleBreakdownOptionsSchema>;

/**
 * The answer of {@link rescheduleBreakdown}, JSON-ready.
 *
 * @example
 * response.json(rescheduleBreakdownSchema.parse(await rescheduleBreakdown(db, { from, to, by: 'hour' })));
 */
export const rescheduleBreakdownSchema = lazySchema(() =>
  z.object({
    groups: z.array(
      z.object({
        /**
         * The reason code (null: none given), the ISO weekday (1 = Monday … 7), the hour (0–23), the lead-time group
         * or the initiator.
         */
        key: z.union([z.string(), z.number().int()]).nullable(),
        count: z.number().int().min(0),
      }),
    ),
  }),
);
/** The answer of {@link rescheduleBreakdown}, JSON-ready ({@link rescheduleBreakdownSchema}). */
export type RescheduleBreakdown = z.infer<typeof rescheduleBreakdownSchema>;

/**
 * Reschedules of a period (tutor and student, cancellations included), fleet-wide or of one tutor, counted by
 * reason code, by weekday or hour of the session's time in a named time zone, by lead time or by initiator: the
 * "most reschedules on Fridays" of the emails, in one query. Weekday, hour, lead time and initiator list every
 * group, empty ones with 0, in their natural order; reason codes list those present, commonest first (ties by code,
 * no code last among equals).
 *
 * @throws {InvalidOptionError} an unknown option, `to` not after `from`, or a time zone the database does not know.
 * @example
 * const { groups } = await rescheduleBreakdown(db, { from: new Date('2026-01-01T00:00:00Z'), to: new Date('2026-04-01T00:00:00Z'), by: 'weekday', timeZone: 'Europe/Paris' });
 * // [{ key: 1, count: 120 }, { key: 2, count: 98 }, ..., { key: 7, count: 15 }]
 *
 * ```sql
 * select json_agg(json_build_object('key', "k"."key", 'count', coalesce("c"."n", 0)) order by ...)
 * from (values (1), ..., (7)) "k"("key") left join (
 *   select extract(isodow from original_time at time zone $tz)::int as "key", count(*) as "n"
 *   from reschedules where original_time >= $from and original_time < $to group by 1) "c" using ("key")
 * -- the fleet: from the counts the database keeps per quarter-hour and the rows of the partial quarter-hours at either end,
 * --   select extract(isodow from t at time zone $tz)::int as "key", sum(n) from (
 * --     select bucket as t, count as n from fleet_counts where kind = 'initiator' and bucket >= $first and bucket < $end
 * --     union all select original_time, 1 from reschedules where original_time >= $from and original_time < $first
 * --     union all select original_time, 1 from reschedules where original_time >= $end and original_time < $to) c group by 1
 * -- one tutor: from reschedules where session_id = any(array(select id from sessions where tutor_id = $id and scheduled_time in the period))
 * ```
 */
export async function rescheduleBreakdown(db: Database, options: RescheduleBreakdownOptions): Promise<RescheduleBreakdown> {
  const o = parseOptions('rescheduleBreakdown', rescheduleBreakdownOptionsSchema, options);
  const tz = o.timeZone ?? 'UTC';
  const [from, to] = [instantParam(o.from), instantParam(o.to)];
  const counted = o.tutorId ? tutorCounted(o.tutorId, o.by, tz, from, to) : fleetCounted({ from: o.from, to: o.to }, o.by, tz);
  const fixed: Partial<Record<BreakdownKey, SQL>> = {
    weekday: sql`select "key", "key" as "ord" from generate_series(1, 7) "key"`,
    hour: sql`select "key", "key" as "ord" from generate_series(0, 23) "key"`,
    leadTime: sql`select * from (values ('under24h', 1), ('1to3days', 2), ('3daysOrMore', 3)) "k"("key", "ord")`,
    initiator: sql`select * from (values ('tutor', 1), ('student', 2)) "k"("key", "ord")`,
  };
  const groups = fixed[o.by];
  const query = groups
    ? sql`select json_build_object('groups', json_agg(json_build_object('key', "k"."key", 'count', coalesce("c"."n", 0)) order by "k"."ord"))::text as "result"
        from (${groups}) "k" left join (${counted}) "c" on "c"."key" = "k"."key"`
    : sql`select json_build_object('groups', coalesce(json_agg(json_build_object('key', "key", 'count', "n") order by "n" desc, "key" nulls last), '[]'))::text as "result"
        from (${counted}) "c"`;
  return readJson<RescheduleBreakdown>(db, query, tz);
}

/** The key of each reschedule, read from its own row. */
function rowKeyOf(by: BreakdownKey, tz: string): SQL {
  const keyOf: Record<BreakdownKey, SQL> = {
    reasonCode: sql`${reschedules.reasonCode}`,
    weekday: sql`extract(isodow from ${reschedules.originalTime} at time zone ${tz})::int`,
    hour: sql`extract(hour from ${reschedules.originalTime} at time zone ${tz})::int`,
    leadTime: sql`tqs_lead_time_group(${reschedules.hoursBeforeSession})`,
    initiator: sql`${reschedules.initiator}::text`,
  };
  return keyOf[by];
}

/** One tutor: its reschedules, by the ids of its sessions of the period. */
function tutorCounted(tutorId: string, by: BreakdownKey, tz: string, from: SQL, to: SQL): SQL {
  return sql`select ${rowKeyOf(by, tz)} as "key", count(*)::int as "n" from ${reschedules}
    where ${reschedules.sessionId} = any(array(select ${sessions.id} from ${sessions}
      where ${sessions.tutorId} = ${tutorId.toLowerCase()}::uuid and ${sessions.scheduledTime} >= ${from} and ${sessions.scheduledTime} < ${to}))
    group by 1`;
}

/**
 * The fleet: the counts the database keeps per quarter-hour (by reason code, lead time or initiator; weekday and hour
 * from the quarter-hour of the initiator counts), and the rows of the partial quarter-hours at either end.
 */
function fleetCounted(period: CountPeriod, by: BreakdownKey, tz: string): SQL {
  const kind: Record<BreakdownKey, FleetCountKind> = { reasonCode: 'reason', weekday: 'initiator', hour: 'initiator', leadTime: 'lead', initiator: 'initiator' };
  const rowKey: Record<BreakdownKey, SQL> = {
    reasonCode: sql`coalesce(${reschedules.reasonCode}, '')`,
    weekday: sql`${reschedules.initiator}`,
    hour: sql`${reschedules.initiator}`,
    leadTime: sql`tqs_lead_time_group(${reschedules.hoursBeforeSession})`,
    initiator: sql`${reschedules.initiator}`,
  };
  const keyOf: Record<BreakdownKey, SQL> = {
    reasonCode: sql`nullif("key", '')`,
    weekday: sql`extract(isodow from "t" at time zone ${tz})::int`,
    hour: sql`extract(hour from "t" at time zone ${tz})::int`,
    leadTime: sql`"key"`,
    initiator: sql`"key"`,
  };
  const rows = fleetCountRows(period, { kind: kind[by], table: reschedules, time: reschedules.originalTime, rowKey: rowKey[by] });
  // A kept count that fell back to 0 stays as a row: a key with no reschedule left is not listed.
  return sql`select ${keyOf[by]} as "key", sum("n")::int as "n" from (${rows}) "c" group by 1 having sum("n") > 0`;
}
