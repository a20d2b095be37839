import { type SQL, sql } from 'drizzle-orm';
import { countTableRows, type Database, queryRows } from '../db';
import type { RiskTier, TutorGroundTruth } from '../domain/dataset';
import { scoreWindows } from '../schema';
import { countExpressions, scoredTutor, scoredTutorsFrom, timestamptz } from '../scoring/score-query';
import {
  HIGH_RISK_LIST_LIMIT,
  LEAD_TIME_BOUNDS,
  RATE_BAND_BOUNDS,
  type ReportFacts,
  type TruthCell,
  type WeekCount,
} from './facts';
import type { FlaggedTutor, ReportTargets } from './types';

/*
 * The named queries of the database report, each reading one part of `ReportFacts` with a set-based aggregate. They
 * run in the report's one read-only snapshot (`databaseFacts` in from-database.ts).
 */

/** What the queries share: the targets, the time zone, and the score source (stored, or computed as of an instant). */
export interface FactsQueryContext {
  targets: ReportTargets;
  timeZone: string;
  asOf: Date | undefined;
  threshold: number;
}

const num = (value: unknown): number => Number(value ?? 0);
const date = (ms: unknown): Date | null => (ms === null || ms === undefined ? null : new Date(Number(ms)));
/** An instant as epoch milliseconds: a plain number on every driver, whatever its timestamp parsers. */
const epochMs = (expression: SQL) => sql`round(extract(epoch from ${expression}) * 1000)::float8`;
/** A rate as the `tutor_scores` columns generate it. */
const rate = (sessions: SQL, reschedules: SQL) =>
  sql`case when ${sessions} > 0 then round(100.0 * ${reschedules} / ${sessions}, 2) end`;
const hours = (days: number) => sql.raw(`interval '${days * 24} hours'`);

/**
 * `scores (tutor_id, rate_7d, rate_30d, rate_90d, flagged, as_of, risk_threshold)`: the stored `tutor_scores` of existing tutors, or, with
 * `asOf`, every tutor's score counted as `refreshTutorScores` would store it (the same SQL), written nowhere.
 */
function scoresQuery(asOf: Date | undefined, threshold: number): SQL {
  if (asOf === undefined) {
    return sql`select ts.tutor_id, ts.reschedule_rate_7d as rate_7d, ts.reschedule_rate_30d as rate_30d,
        ts.reschedule_rate_90d as rate_90d, ts.is_high_risk as flagged, ts.as_of, ts.risk_threshold
      from tutor_scores ts join tutors tt on tt.id = ts.tutor_id`;
  }
  const counts = countExpressions(asOf);
  const inner = sql`select ${scoredTutor.id} as tutor_id, ${sql.join(
    counts.map(([c, expression]) => sql`${expression} as ${sql.identifier(c.name)}`),
    sql`, `,
  )} from ${scoredTutorsFrom(asOf)} group by ${scoredTutor.id}`;
  const rates = scoreWindows.map((days) =>
    rate(sql.raw(`c."total_sessions_${days}d"`), sql.raw(`c."tutor_reschedules_${days}d"`)),
  );
  return sql`select c.tutor_id, ${rates[scoreWindows.indexOf(7)]} as rate_7d, ${rates[scoreWindows.indexOf(30)]} as rate_30d,
      ${rates[scoreWindows.indexOf(90)]} as rate_90d,
      coalesce(${sql.join(
        rates.map((r) => sql`${r} > ${threshold}::numeric`),
        sql` or `,
      )}, false) as flagged,
      ${timestamptz(asOf)} as as_of, ${threshold}::numeric as risk_threshold
    from (${inner}) c`;
}

/**
 * How many `tutor_scores` rows differ from a recomputation as of their own `as_of` and threshold: counts, rates or
 * flag. One grouped pass; windows are exact hours, as the scoring code's are.
 */
function storedScoresDifferQuery(): SQL {
  const windows = scoreWindows.map((days) => {
    const inWindow = sql`s.scheduled_time > ts.as_of - ${hours(days)}`;
    return {
      days,
      sessions: sql`count(s.id) filter (where ${inWindow})`,
      reschedules: sql`count(r.id) filter (where ${inWindow})`,
    };
  });
  const largest = Math.max(...scoreWindows);
  const differs = windows.flatMap(({ days }) => {
    const stored = (name: string) => sql.raw(`x."${name}_${days}d"`);
    const s = sql.raw(`x.s${days}`);
    const r = sql.raw(`x.r${days}`);
    return [
      sql`${stored('total_sessions')} is distinct from ${s}`,
      sql`${stored('tutor_reschedules')} is distinct from ${r}`,
      sql`${stored('reschedule_rate')} is distinct from ${rate(s, r)}`,
    ];
  });
  const flag = sql.join(
    scoreWindows.map((days) => sql`${rate(sql.raw(`x.s${days}`), sql.raw(`x.r${days}`))} > x.risk_threshold`),
    sql` or `,
  );
  return sql`select count(*) from (
      select ts.*, ${sql.join(
        windows.map((w) => sql`${w.sessions} as ${sql.raw(`s${w.days}`)}, ${w.reschedules} as ${sql.raw(`r${w.days}`)}`),
        sql`, `,
      )}
      from tutor_scores ts
      left join sessions s on s.tutor_id = ts.tutor_id and s.scheduled_time > ts.as_of - ${hours(largest)} and s.scheduled_time <= ts.as_of
      left join reschedules r on r.session_id = s.id and r.initiator = 'tutor'
      group by ts.id
    ) x
    where ${sql.join(differs, sql` or `)} or x.is_high_risk is distinct from coalesce(${flag}, false)`;
}

/** A session's `scheduled_time` in the report's time zone. */
const localTime = (timeZone: string) => sql`(scheduled_time at time zone ${timeZone})`;

/** The tier a 90-day rate falls in (`'none'` without sessions), by the targets' tier bounds. */
const measuredTier = (targets: ReportTargets) => {
  const { low, medium } = targets.tierRates;
  return sql`case when rate_90d is null then 'none' when rate_90d <= ${low.max}::numeric then 'low'
    when rate_90d <= ${medium.max}::numeric then 'medium' else 'high' end`;
};

/**
 * Rows per table ({@link countTableRows}), and the active tutors; both read the caller's one snapshot.
 *
 * @example
 * await tableCounts(tx); // { tutors: 100, activeTutors: 90, sessions: 3000, ... }
 */
export async function tableCounts(tx: Database): Promise<ReportFacts['counts']> {
  const counts = await countTableRows(tx);
  const [active] = await queryRows(tx, sql`select count(*)::int as active_tutors from tutors where is_active`);
  const { tutors, sessions, reschedules, emailReports, tutorScores } = counts;
  return { tutors, activeTutors: num(active?.active_tutors), sessions, reschedules, emailReports, tutorScores };
}

/** The session facts: statuses, durations, the covered range and the local days with sessions. */
export type SessionFacts = Pick<
  ReportFacts,
  'sessionsByStatus' | 'durations' | 'firstScheduled' | 'lastScheduled' | 'daysWithSessions'
>;

/**
 * Sessions by status, the first and last scheduled time, local days with sessions, and durations in the target range,
 * over the sessions with an outcome (the booked ones are checked by `booked_session_overdue`).
 *
 * @example
 * (await sessionFacts(tx, context)).sessionsByStatus; // { completed: 2300, rescheduled: 370, noShow: 160 }
 */
export async function sessionFacts(tx: Database, { targets, timeZone }: FactsQueryContext): Promise<SessionFacts> {
  const [stats] = await queryRows(
    tx,
    sql`select (count(*) filter (where status = 'completed'))::int as completed,
      (count(*) filter (where status = 'rescheduled'))::int as rescheduled,
      (count(*) filter (where status = 'no_show'))::int as no_show,
      ${epochMs(sql`min(scheduled_time)`)} as first, ${epochMs(sql`max(scheduled_time)`)} as last,
      count(distinct ${localTime(timeZone)}::date)::int as days_with_sessions,
      count(duration_minutes)::int as durations,
      (count(*) filter (where duration_minutes between ${targets.durations.min} and ${targets.durations.max}))::int as durations_within
    from sessions where status <> 'scheduled'`,
  );
  return {
    sessionsByStatus: {
      completed: num(stats?.completed),
      rescheduled: num(stats?.rescheduled),
      noShow: num(stats?.no_show),
    },
    durations: { measured: num(stats?.durations), withinRange: num(stats?.durations_within) },
    firstScheduled: date(stats?.first),
    lastScheduled: date(stats?.last),
    daysWithSessions: num(stats?.days_with_sessions),
  };
}

/**
 * Reschedules by initiator, the last-minute ones (by the targets' hours) and the cancelled ones (no new time).
 *
 * @example
 * await rescheduleFacts(tx, context); // { tutorInitiated: 363, studentInitiated: 7, lastMinute: 150, cancelled: 40 }
 */
export async function rescheduleFacts(tx: Database, { targets }: FactsQueryContext): Promise<ReportFacts['reschedules']> {
  const lastMinuteMs = targets.lastMinuteHours * 3_600_000;
  const [stats] = await queryRows(
    tx,
    sql`select (count(*) filter (where initiator = 'tutor'))::int as tutor,
      (count(*) filter (where initiator <> 'tutor'))::int as student,
      (count(*) filter (where original_time - cancelled_at < ${lastMinuteMs}::float8 * interval '1 millisecond'))::int as last_minute,
      (count(*) filter (where new_time is null))::int as cancelled
    from reschedules`,
  );
  return {
    tutorInitiated: num(stats?.tutor),
    studentInitiated: num(stats?.student),
    lastMinute: num(stats?.last_minute),
    cancelled: num(stats?.cancelled),
  };
}

/**
 * Sessions with an outcome by local weekday, hour and month, from one grouped pass.
 *
 * @example
 * (await calendarFacts(tx, context)).hours.length; // 24
 */
export async function calendarFacts(
  tx: Database,
  { timeZone }: FactsQueryContext,
): Promise<Pick<ReportFacts, 'weekdays' | 'hours' | 'months'>> {
  const histogram = await queryRows(
    tx,
    sql`select extract(dow from l)::int as dow, extract(hour from l)::int as hour, extract(month from l)::int as month,
      count(*)::int as n
    from (select ${localTime(timeZone)} as l from sessions where status <> 'scheduled') x group by 1, 2, 3`,
  );
  const weekdays = new Array<number>(7).fill(0);
  const hours = new Array<number>(24).fill(0);
  const months = new Array<number>(12).fill(0);
  for (const row of histogram) {
    weekdays[num(row.dow)]! += num(row.n);
    hours[num(row.hour)]! += num(row.n);
    months[num(row.month) - 1]! += num(row.n);
  }
  return { weekdays, hours, months };
}

/**
 * The rows breaking each integrity check, one count per check, named after it.
 *
 * @example
 * (await integrityViolations(tx)).sessions_without_tutor; // 0
 */
export async function integrityViolations(tx: Database, asOf?: Date): Promise<ReportFacts['violations']> {
  // Booked sessions overdue at the report's as-of (the database's clock without one).
  const at = asOf === undefined ? sql`now()` : sql`${asOf.toISOString()}::timestamptz`;
  const [violations] = await queryRows(
    tx,
    sql`select
      (select count(*) from sessions s where not exists (select 1 from tutors tt where tt.id = s.tutor_id))::int as sessions_without_tutor,
      (select count(*) from reschedules r where not exists (select 1 from sessions s where s.id = r.session_id))::int as reschedules_without_session,
      (select count(*) from email_reports e where not exists (select 1 from sessions s where s.id = e.session_id))::int as email_reports_without_session,
      (select count(*) from tutor_scores ts where not exists (select 1 from tutors tt where tt.id = ts.tutor_id))::int as tutor_scores_without_tutor,
      (select count(*) from reschedules r join sessions s on s.id = r.session_id where r.original_time <> s.scheduled_time)::int as reschedule_original_time_mismatch,
      (select count(*) from sessions s where (s.status = 'completed') <> (s.completed_time is not null))::int as completed_time_mismatch,
      (select count(*) from sessions s where s.completed_time < s.scheduled_time)::int as completed_before_scheduled,
      (select count(*) from sessions s left join reschedules r on r.session_id = s.id
         where (s.status = 'rescheduled') <> (r.id is not null))::int as rescheduled_status_mismatch,
      (select count(*) from sessions s where s.status = 'scheduled' and s.scheduled_time <= ${at})::int as booked_session_overdue,
      (select count(*) from tutors tt where not exists (select 1 from tutor_scores ts where ts.tutor_id = tt.id))::int as tutors_without_score,
      (${storedScoresDifferQuery()})::int as stored_scores_differ`,
  );
  const v = violations ?? {};
  // The query names each count after its check.
  return Object.fromEntries(Object.keys(v).map((id) => [id, num(v[id])])) as ReportFacts['violations'];
}

/**
 * The distribution of the scores (stored, or computed as of `asOf`): rate bands, flags, measured tiers, the very-high
 * band, and the as-of instants and threshold they were computed with. `tutors`: the tutor count, for the unscored.
 *
 * @example
 * (await scoreFacts(tx, context, 100)).scored; // 100
 */
export async function scoreFacts(
  tx: Database,
  { targets, asOf, threshold }: FactsQueryContext,
  tutors: number,
): Promise<ReportFacts['scores']> {
  const measured = measuredTier(targets);
  const veryHigh = targets.veryHighRate;
  const bands = [...RATE_BAND_BOUNDS, null].map((upper, i) => {
    const lower = i === 0 ? null : RATE_BAND_BOUNDS[i - 1]!;
    const conditions = [
      ...(lower === null ? [sql`rate_90d >= 0`] : [sql`rate_90d > ${sql.raw(String(lower))}`]),
      ...(upper === null ? [] : [sql`rate_90d <= ${sql.raw(String(upper))}`]),
    ];
    return sql`(count(*) filter (where ${sql.join(conditions, sql` and `)}))::int as ${sql.raw(`band${i}`)}`;
  });
  const [distribution] = await queryRows(
    tx,
    sql`with scores as (${scoresQuery(asOf, threshold)})
    select count(*)::int as scored, (count(*) filter (where flagged))::int as flagged,
      ${sql.join(bands, sql`, `)}, (count(*) filter (where rate_90d is null))::int as band_none,
      (count(*) filter (where ${measured} = 'low'))::int as low,
      (count(*) filter (where ${measured} = 'medium'))::int as medium,
      (count(*) filter (where ${measured} = 'high'))::int as high,
      (count(*) filter (where rate_90d ${veryHigh.min === 0 ? sql`>=` : sql`>`} ${veryHigh.min}::numeric
         and rate_90d <= ${veryHigh.max}::numeric))::int as very_high,
      ${epochMs(sql`max(as_of)`)} as as_of, count(distinct as_of)::int as as_of_count,
      max(risk_threshold)::float8 as threshold
    from scores`,
  );
  const d = distribution ?? {};
  const scored = num(d.scored);
  return {
    source: asOf === undefined ? 'stored' : 'computed',
    asOf: date(d.as_of),
    mixedAsOf: num(d.as_of_count) > 1,
    threshold: d.threshold === null || d.threshold === undefined ? null : num(d.threshold),
    bands: [0, 1, 2, 3, 4].map((i) => num(d[`band${i}`])).concat(num(d.band_none)),
    scored,
    unscored: asOf === undefined ? tutors - scored : 0,
    flagged: num(d.flagged),
    measuredTiers: { low: num(d.low), medium: num(d.medium), high: num(d.high) },
    veryHigh: num(d.very_high),
  };
}

/**
 * The intended tiers against the scores: tutors per (intended tier, flagged, measured tier), null without a ground
 * truth.
 *
 * @example
 * await truthFacts(tx, context, dataset.groundTruth); // [{ tier: 'high', flagged: true, measured: 'high', tutors: 14 }, ...]
 */
export async function truthFacts(
  tx: Database,
  { targets, asOf, threshold }: FactsQueryContext,
  groundTruth: readonly Pick<TutorGroundTruth, 'tutorId' | 'tier'>[] | undefined,
): Promise<TruthCell[] | null> {
  if (!groundTruth || groundTruth.length === 0) return null;
  const ids = groundTruth.map((g) => g.tutorId);
  const tiers = groundTruth.map((g) => g.tier);
  const rows = await queryRows<{ tier: RiskTier; flagged: boolean | null; measured: TruthCell['measured']; tutors: number }>(
    tx,
    sql`with scores as (${scoresQuery(asOf, threshold)}),
      truth as (select * from unnest(${sql.param(ids)}::uuid[], ${sql.param(tiers)}::text[]) as g(tutor_id, tier))
    select truth.tier, scores.flagged, case when scores.tutor_id is null then null else ${measuredTier(targets)} end as measured,
      count(*)::int as tutors
    from truth left join scores on scores.tutor_id = truth.tutor_id
    group by 1, 2, 3`,
  );
  return rows.map((row) => ({ tier: row.tier, flagged: row.flagged, measured: row.measured, tutors: num(row.tutors) }));
}

/** A numeric rate column as a number, null kept. */
const nullableNum = (value: unknown): number | null => (value === null || value === undefined ? null : Number(value));

/**
 * The flagged tutors, worst first (the highest of the three rates, then the 90-day rate, then id, as
 * `listHighRiskTutors` orders them), at most `HIGH_RISK_LIST_LIMIT`.
 *
 * ```sql
 * with scores as (...) select scores.tutor_id, t.name, rate_7d, rate_30d, rate_90d
 * from scores join tutors t on t.id = scores.tutor_id where flagged
 * order by greatest(rate_7d, rate_30d, rate_90d) desc, rate_90d desc nulls last, scores.tutor_id limit 10
 * ```
 *
 * @example
 * (await highRiskTutorFacts(tx, context))[0]; // { tutorId: '…', name: 'Ada Lovelace', rate7d: 50, rate30d: 42.5, rate90d: 38.1 }
 */
export async function highRiskTutorFacts(tx: Database, { asOf, threshold }: FactsQueryContext): Promise<FlaggedTutor[]> {
  const rows = await queryRows(
    tx,
    sql`with scores as (${scoresQuery(asOf, threshold)})
    select scores.tutor_id, t.name, rate_7d::float8 as rate_7d, rate_30d::float8 as rate_30d, rate_90d::float8 as rate_90d
    from scores join tutors t on t.id = scores.tutor_id
    where flagged
    order by greatest(rate_7d, rate_30d, rate_90d) desc, rate_90d desc nulls last, scores.tutor_id
    limit ${HIGH_RISK_LIST_LIMIT}`,
  );
  return rows.map((row) => ({
    tutorId: String(row.tutor_id),
    name: String(row.name),
    rate7d: nullableNum(row.rate_7d),
    rate30d: nullableNum(row.rate_30d),
    rate90d: nullableNum(row.rate_90d),
  }));
}

/**
 * The fleet trend: sessions and tutor reschedules per local week (by the session's scheduled time), weeks with
 * sessions only (the report fills the gaps). Kept on its own so a read-model trend can replace it.
 *
 * ```sql
 * select (date_trunc('week', s.scheduled_time at time zone $1)::date - date '1970-01-01') as monday,
 *   count(*)::int as sessions, count(r.id)::int as tutor_reschedules
 * from sessions s left join reschedules r on r.session_id = s.id and r.initiator = 'tutor' group by 1
 * ```
 *
 * @example
 * await weeklyTrendFacts(tx, context); // [{ monday: 20466, sessions: 240, tutorReschedules: 28 }, ...]
 */
export async function weeklyTrendFacts(tx: Database, { timeZone }: FactsQueryContext): Promise<WeekCount[]> {
  const rows = await queryRows(
    tx,
    sql`select (date_trunc('week', s.scheduled_time at time zone ${timeZone})::date - date '1970-01-01')::int as monday,
      count(*)::int as sessions, count(r.id)::int as tutor_reschedules
    from sessions s left join reschedules r on r.session_id = s.id and r.initiator = 'tutor'
    group by 1`,
  );
  return rows.map((row) => ({ monday: num(row.monday), sessions: num(row.sessions), tutorReschedules: num(row.tutor_reschedules) }));
}

/**
 * Reschedules by reason code and by lead time (how long before the session they came, in `LEAD_TIME_BOUNDS` bands),
 * from one grouped pass.
 *
 * ```sql
 * select reason_code, count(*)::int as n,
 *   (count(*) filter (where original_time - cancelled_at < $1::float8 * interval '1 millisecond'))::int as lead0, ...
 * from reschedules group by reason_code
 * ```
 *
 * @example
 * (await rescheduleBreakdownFacts(tx)).leadTimes; // [150, 90, 70, 60]
 */
export async function rescheduleBreakdownFacts(tx: Database): Promise<Pick<ReportFacts, 'reasonCodes' | 'leadTimes'>> {
  const leadBands = LEAD_TIME_BOUNDS.map(
    (hours, i) =>
      sql`(count(*) filter (where original_time - cancelled_at < ${hours * 3_600_000}::float8 * interval '1 millisecond'))::int as ${sql.raw(`under${i}`)}`,
  );
  const rows = await queryRows(
    tx,
    sql`select reason_code, count(*)::int as n, ${sql.join(leadBands, sql`, `)} from reschedules group by reason_code`,
  );
  // Each band's count is "under its upper bound" minus "under the one before".
  const under = LEAD_TIME_BOUNDS.map((_, i) => rows.reduce((total, row) => total + num(row[`under${i}`]), 0));
  const total = rows.reduce((n, row) => n + num(row.n), 0);
  return {
    reasonCodes: rows.map((row) => ({ code: row.reason_code === null ? null : String(row.reason_code), count: num(row.n) })),
    leadTimes: [...under, total].map((n, i) => n - (i === 0 ? 0 : (under[i - 1] ?? 0))),
  };
}
