import { type SQL, sql } from 'drizzle-orm';
import { z } from 'zod';
import { lazySchema } from '../validation/lazy-schema';
import type { Database } from '../db';
import { reschedules, sessions } from '../schema';
import { fleetCountRows } from './fleet-count-rows';
import { instantOption, instantParam, isoText, parseOptions, periodRefinement, readJson, timeZoneOption, uuidOption } from './options';

/**
 * The bucket sizes of {@link rescheduleTrend}; a week starts on Monday.
 *
 * @example
 * trendBuckets; // ['day', 'week', 'month']
 */
export const trendBuckets = ['day', 'week', 'month'] as const;
/** The size of a bucket of {@link rescheduleTrend}: one of {@link trendBuckets}. */
export type TrendBucket = (typeof trendBuckets)[number];

/**
 * The most buckets one trend returns: ten years of days.
 *
 * @example
 * rescheduleTrend(db, { from, to, bucket: 'day' }); // to - from at most MAX_TREND_BUCKETS days
 */
export const MAX_TREND_BUCKETS = 3660;

const BUCKET_MS: Record<TrendBucket, number> = { day: 86_400_000, week: 7 * 86_400_000, month: 28 * 86_400_000 };

/**
 * The options of {@link rescheduleTrend}.
 *
 * @example
 * const options = rescheduleTrendOptionsSchema.parse(query); // a bad option throws before rescheduleTrend runs
 */
export const rescheduleTrendOptionsSchema = lazySchema(() =>
  z
    .object({
      /** One tutor; default: the whole fleet. */
      tutorId: uuidOption.optional(),
      /** The period `[from, to)` on the sessions' scheduled time. */
      from: instantOption,
      to: instantOption,
      bucket: z.enum(trendBuckets),
      /** The IANA time zone buckets start in (midnight, Monday, the 1st). Default `UTC`. */
      timeZone: timeZoneOption.optional(),
    })
    .strict()
    .superRefine(periodRefinement)
    .superRefine((value, ctx) => {
      if (value.to.getTime() - value.from.getTime() > MAX_TREND_BUCKETS * BUCKET_MS[value.bucket]) {
        ctx.addIssue({ code: 'custom', path: ['to'], message: `within ${MAX_TREND_BUCKETS} ${value.bucket}s of from` });
      }
    }),
);
/** Options of {@link rescheduleTrend} ({@link rescheduleTrendOptionsSchema}'s input). */
export type RescheduleTrendOptions = z.input<typeof rescheduleTrendOptionsSchema>;

/**
 * The answer of {@link rescheduleTrend}, JSON-ready.
 *
 * @example
 * response.json(rescheduleTrendSchema.parse(await rescheduleTrend(db, { from, to, bucket: 'day' })));
 */
export const rescheduleTrendSchema = lazySchema(() =>
  z.object({
    buckets: z.array(
      z.object({
        /** The bucket's first instant (local midnight, Monday or 1st in the time zone), in UTC. */
        start: z.iso.datetime(),
        /** Sessions scheduled in the bucket and in `[from, to)`. */
        sessions: z.number().int().min(0),
        /** Their tutor-initiated reschedules. */
        tutorReschedules: z.number().int().min(0),
        /** 100 × tutorReschedules ÷ sessions, 2 decimals; null with no session. */
        rate: z.number().min(0).max(100).nullable(),
      }),
    ),
  }),
);
/** The answer of {@link rescheduleTrend}, JSON-ready ({@link rescheduleTrendSchema}). */
export type RescheduleTrend = z.infer<typeof rescheduleTrendSchema>;

/** The buckets of `[from, to)` in `timeZone`, each with its local start, as SQL rows `"local_start"`. */
function bucketSeries(from: Date, to: Date, bucket: TrendBucket, timeZone: string): SQL {
  return sql`select generate_series(
    date_trunc(${bucket}, ${instantParam(from)} at time zone ${timeZone}),
    (${instantParam(to)} - interval '1 microsecond') at time zone ${timeZone},
    ${`1 ${bucket}`}::interval) as "local_start"`;
}

/**
 * Sessions, tutor reschedules and the rate per day, week (starting Monday) or month, in a time zone the caller
 * names, for one tutor or the whole fleet, with every bucket of the period present (empty ones with 0 sessions and
 * a null rate): the trend chart, in one query. Counts only sessions scheduled in `[from, to)`, so a first or last
 * bucket that reaches outside the period counts its part inside.
 *
 * @throws {InvalidOptionError} an unknown option, `to` not after `from`, too many buckets, or a time zone the
 *   database does not know.
 * @example
 * const { buckets } = await rescheduleTrend(db, { from: new Date('2026-01-05T00:00:00Z'), to: new Date('2026-04-06T00:00:00Z'), bucket: 'week', timeZone: 'America/New_York' });
 * // buckets[0]: { start: '2026-01-05T05:00:00.000Z', sessions: 812, tutorReschedules: 37, rate: 4.56 }
 *
 * ```sql
 * with "buckets" as (select generate_series(date_trunc($bucket, $from at time zone $tz), ($to - 1 µs) at time zone $tz, '1 <bucket>') as local_start),
 *   -- the fleet: the kept quarter-hour counts inside the period, and the rows of its partial quarter-hours
 *   "s" as (select date_trunc($bucket, t at time zone $tz) as local_start, sum(n) from (
 *             select bucket as t, count as n from fleet_counts where kind = 'status' and bucket >= $first and bucket < $end
 *             union all select scheduled_time, 1 from sessions where scheduled_time >= $from and scheduled_time < $first
 *             union all select scheduled_time, 1 from sessions where scheduled_time >= $end and scheduled_time < $to) c group by 1),
 *   "r" as (the same over fleet_counts of kind 'initiator', key 'tutor', and the tutor reschedules' original_time)
 *   -- one tutor: its sessions of the period (tutor_id = $id), and their tutor reschedules by session id
 * select json_agg(json_build_object('start', local_start at time zone $tz, 'sessions', coalesce(s.count, 0), ...) order by local_start)
 * from "buckets" left join "s" using (local_start) left join "r" using (local_start)
 * ```
 */
export async function rescheduleTrend(db: Database, options: RescheduleTrendOptions): Promise<RescheduleTrend> {
  const o = parseOptions('rescheduleTrend', rescheduleTrendOptionsSchema, options);
  const tz = o.timeZone ?? 'UTC';
  const [from, to] = [instantParam(o.from), instantParam(o.to)];
  const period = { from: o.from, to: o.to };
  const local = (column: SQL) => sql`date_trunc(${o.bucket}, ${column} at time zone ${tz})`;
  // One tutor: its sessions of the period once, and their tutor reschedules looked up by session id (`= any(array(...))`,
  // however the planner estimates the sessions). The fleet: the counts the database keeps per quarter-hour, which
  // fall wholly within one local day, week or month, and the rows of the partial quarter-hours at either end.
  const parts = o.tutorId
    ? sql`"own" as materialized (
  select ${sessions.id} as "id", ${sessions.scheduledTime} as "time" from ${sessions}
  where ${sessions.tutorId} = ${o.tutorId.toLowerCase()}::uuid and ${sessions.scheduledTime} >= ${from} and ${sessions.scheduledTime} < ${to}
), "s" as (select ${local(sql`"time"`)} as "local_start", count(*)::int as "n" from "own" group by 1),
"r" as (
  select ${local(sql`${reschedules.originalTime}`)} as "local_start", count(*)::int as "n" from ${reschedules}
  where ${reschedules.initiator} = 'tutor' and ${reschedules.sessionId} = any(array(select "id" from "own")) group by 1
)`
    : sql`"s" as (
  select ${local(sql`"t"`)} as "local_start", sum("n")::int as "n" from (${fleetCountRows(period, { kind: 'status', table: sessions, time: sessions.scheduledTime, rowKey: sql`${sessions.status}` })}) "c" group by 1
), "r" as (
  select ${local(sql`"t"`)} as "local_start", sum("n")::int as "n" from (${fleetCountRows(period, { kind: 'initiator', key: 'tutor', table: reschedules, time: reschedules.originalTime, rowKey: sql`${reschedules.initiator}`, rowFilter: sql`${reschedules.initiator} = 'tutor'` })}) "c" group by 1
)`;
  const query = sql`with "buckets" as (${bucketSeries(o.from, o.to, o.bucket, tz)}), ${parts}
select json_build_object('buckets', coalesce(json_agg(json_build_object(
    'start', ${isoText(sql`"b"."local_start" at time zone ${tz}`)},
    'sessions', coalesce("s"."n", 0), 'tutorReschedules', coalesce("r"."n", 0),
    'rate', case when "s"."n" > 0 then round(100.0 * coalesce("r"."n", 0) / "s"."n", 2) end)
  order by "b"."local_start"), '[]'))::text as "result"
from "buckets" "b" left join "s" on "s"."local_start" = "b"."local_start" left join "r" on "r"."local_start" = "b"."local_start"`;
  return readJson<RescheduleTrend>(db, query, tz);
}
