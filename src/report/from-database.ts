import { isTimeZone } from '../domain/time';
import { type SQL, sql } from 'drizzle-orm';
import { type Database, queryRows } from '../db/client';
import type { RiskTier, TutorGroundTruth } from '../domain/dataset';
import { DEFAULT_RISK_THRESHOLD, scoreWindows } from '../schema';
import { resolveAsOf } from '../scoring/as-of';
import { isUuid } from '../scoring/compute-tutor-score';
import { assertRiskThreshold } from '../scoring/rates';
import { countExpressions, scoredTutor, scoredTutorsFrom, timestamptz } from '../scoring/score-query';
import { buildReport } from './build-report';
import { RATE_BAND_BOUNDS, type ReportFacts, type TruthCell } from './facts';
import { withSpecTargets } from './targets';
import type { QualityReport, ReportTargets } from './types';

/**
 * Options of {@link qualityReportFromDatabase}.
 *
 * @example
 * const options: DatabaseReportOptions = { groundTruth: dataset.groundTruth, timeZone: 'Europe/London' };
 */
export interface DatabaseReportOptions {
  /** The intended tier of each tutor (`dataset.groundTruth`): enables the tier mix and the confusion table. */
  groundTruth?: readonly Pick<TutorGroundTruth, 'tutorId' | 'tier'>[];
  /**
   * Compute the rates and flags as of this instant instead of reading `tutor_scores` (which is left untouched).
   * Default: the stored scores, as the dashboard sees them.
   */
  asOf?: Date;
  /** The risk threshold of the flags computed with `asOf`, in percent. Default 15. */
  threshold?: number;
  /** IANA time zone of the weekday, hour and month figures. Default `'UTC'`. */
  timeZone?: string;
  /** What to judge the data against, merged over `specTargets`; `reportTargets(dataset.options)` for a generation. */
  targets?: Partial<ReportTargets>;
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
 * `scores (tutor_id, rate_90d, flagged, as_of, risk_threshold)`: the stored `tutor_scores` of existing tutors, or, with
 * `asOf`, every tutor's score counted as `refreshTutorScores` would store it (the same SQL), written nowhere.
 */
function scoresQuery(asOf: Date | undefined, threshold: number): SQL {
  if (asOf === undefined) {
    return sql`select ts.tutor_id, ts.reschedule_rate_90d as rate_90d, ts.is_high_risk as flagged, ts.as_of, ts.risk_threshold
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
  return sql`select c.tutor_id, ${rates[scoreWindows.indexOf(90)]} as rate_90d,
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

async function databaseFacts(
  db: Database,
  options: DatabaseReportOptions,
  targets: ReportTargets,
  timeZone: string,
  asOf: Date | undefined,
  threshold: number,
): Promise<ReportFacts> {
  const scores = scoresQuery(asOf, threshold);
  const lastMinuteMs = targets.lastMinuteHours * 3_600_000;
  const local = sql`(scheduled_time at time zone ${timeZone})`;
  const { low, medium } = targets.tierRates;
  const veryHigh = targets.veryHighRate;
  const measured = sql`case when rate_90d is null then 'none' when rate_90d <= ${low.max}::numeric then 'low'
    when rate_90d <= ${medium.max}::numeric then 'medium' else 'high' end`;
  const bands = [...RATE_BAND_BOUNDS, null].map((upper, i) => {
    const lower = i === 0 ? null : RATE_BAND_BOUNDS[i - 1]!;
    const conditions = [
      ...(lower === null ? [sql`rate_90d >= 0`] : [sql`rate_90d > ${sql.raw(String(lower))}`]),
      ...(upper === null ? [] : [sql`rate_90d <= ${sql.raw(String(upper))}`]),
    ];
    return sql`(count(*) filter (where ${sql.join(conditions, sql` and `)}))::int as ${sql.raw(`band${i}`)}`;
  });

  // One read-only snapshot: every figure describes the same rows, whatever writes run meanwhile.
  return db.transaction(
    async (tx) => {
      const [counts] = await queryRows(
        tx,
        sql`select (select count(*) from tutors)::int as tutors,
          (select count(*) from tutors where is_active)::int as active_tutors,
          (select count(*) from sessions)::int as sessions,
          (select count(*) from reschedules)::int as reschedules,
          (select count(*) from email_reports)::int as email_reports,
          (select count(*) from tutor_scores)::int as tutor_scores`,
      );
      const [sessionStats] = await queryRows(
        tx,
        sql`select (count(*) filter (where status = 'completed'))::int as completed,
          (count(*) filter (where status = 'rescheduled'))::int as rescheduled,
          (count(*) filter (where status = 'no_show'))::int as no_show,
          ${epochMs(sql`min(scheduled_time)`)} as first, ${epochMs(sql`max(scheduled_time)`)} as last,
          count(distinct ${local}::date)::int as days_with_sessions,
          count(duration_minutes)::int as durations,
          (count(*) filter (where duration_minutes between ${targets.durations.min} and ${targets.durations.max}))::int as durations_within
        from sessions`,
      );
      const [rescheduleStats] = await queryRows(
        tx,
        sql`select (count(*) filter (where initiator = 'tutor'))::int as tutor,
          (count(*) filter (where initiator <> 'tutor'))::int as student,
          (count(*) filter (where original_time - cancelled_at < ${lastMinuteMs}::float8 * interval '1 millisecond'))::int as last_minute,
          (count(*) filter (where new_time is null))::int as cancelled
        from reschedules`,
      );
      const histogram = await queryRows(
        tx,
        sql`select extract(dow from l)::int as dow, extract(hour from l)::int as hour, extract(month from l)::int as month,
          count(*)::int as n
        from (select ${local} as l from sessions) x group by 1, 2, 3`,
      );
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
          (select count(*) from tutors tt where not exists (select 1 from tutor_scores ts where ts.tutor_id = tt.id))::int as tutors_without_score,
          (${storedScoresDifferQuery()})::int as stored_scores_differ`,
      );
      const [distribution] = await queryRows(
        tx,
        sql`with scores as (${scores})
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
      let truth: TruthCell[] | null = null;
      if (options.groundTruth && options.groundTruth.length > 0) {
        const ids = options.groundTruth.map((g) => g.tutorId);
        const tiers = options.groundTruth.map((g) => g.tier);
        const rows = await queryRows<{ tier: RiskTier; flagged: boolean | null; measured: TruthCell['measured']; tutors: number }>(
          tx,
          sql`with scores as (${scores}),
            truth as (select * from unnest(${sql.param(ids)}::uuid[], ${sql.param(tiers)}::text[]) as g(tutor_id, tier))
          select truth.tier, scores.flagged, case when scores.tutor_id is null then null else ${measured} end as measured,
            count(*)::int as tutors
          from truth left join scores on scores.tutor_id = truth.tutor_id
          group by 1, 2, 3`,
        );
        truth = rows.map((row) => ({ tier: row.tier, flagged: row.flagged, measured: row.measured, tutors: num(row.tutors) }));
      }

      const weekdays = new Array<number>(7).fill(0);
      const hourCounts = new Array<number>(24).fill(0);
      const months = new Array<number>(12).fill(0);
      for (const row of histogram) {
        weekdays[num(row.dow)]! += num(row.n);
        hourCounts[num(row.hour)]! += num(row.n);
        months[num(row.month) - 1]! += num(row.n);
      }
      const v = violations ?? {};
      const d = distribution ?? {};
      const scored = num(d.scored);
      return {
        source: 'database',
        timeZone,
        counts: {
          tutors: num(counts?.tutors),
          activeTutors: num(counts?.active_tutors),
          sessions: num(counts?.sessions),
          reschedules: num(counts?.reschedules),
          emailReports: num(counts?.email_reports),
          tutorScores: num(counts?.tutor_scores),
        },
        sessionsByStatus: {
          completed: num(sessionStats?.completed),
          rescheduled: num(sessionStats?.rescheduled),
          noShow: num(sessionStats?.no_show),
        },
        reschedules: {
          tutorInitiated: num(rescheduleStats?.tutor),
          studentInitiated: num(rescheduleStats?.student),
          lastMinute: num(rescheduleStats?.last_minute),
          cancelled: num(rescheduleStats?.cancelled),
        },
        durations: { measured: num(sessionStats?.durations), withinRange: num(sessionStats?.durations_within) },
        firstScheduled: date(sessionStats?.first),
        lastScheduled: date(sessionStats?.last),
        daysWithSessions: num(sessionStats?.days_with_sessions),
        weekdays,
        hours: hourCounts,
        months,
        // The query names each count after its check.
        violations: Object.fromEntries(Object.keys(v).map((id) => [id, num(v[id])])) as ReportFacts['violations'],
        scores: {
          source: asOf === undefined ? 'stored' : 'computed',
          asOf: date(d.as_of),
          mixedAsOf: num(d.as_of_count) > 1,
          threshold: d.threshold === null || d.threshold === undefined ? null : num(d.threshold),
          bands: [0, 1, 2, 3, 4].map((i) => num(d[`band${i}`])).concat(num(d.band_none)),
          scored,
          unscored: asOf === undefined ? num(counts?.tutors) - scored : 0,
          flagged: num(d.flagged),
          measuredTiers: { low: num(d.low), medium: num(d.medium), high: num(d.high) },
          veryHigh: num(d.very_high),
        },
        truth,
      };
    },
    { isolationLevel: 'repeatable read', accessMode: 'read only' },
  );
}

function checkTimeZone(timeZone: unknown): string {
  if (isTimeZone(timeZone)) return timeZone;
  throw new RangeError(`qualityReportFromDatabase: timeZone must be an IANA time zone name such as "Europe/Paris" (got ${JSON.stringify(timeZone)})`);
}

/**
 * The quality report (spec §5.4) of what a database holds, from set-based SQL aggregates in one read-only snapshot
 * (a handful of queries; no table is loaded into memory): counts, date coverage, integrity checks (orphans,
 * `original_time` = the session's `scheduled_time`, completed ⇔ `completed_time`, stored scores equal to a
 * recomputation as of their `as_of`), each spec target beside what was achieved, the 90-day rate distribution, weekday
 * and hour histograms in `timeZone`, and, given the dataset's `groundTruth`, how well the flags recover the intended
 * tiers. Over the rows of a dataset loaded with `insertDataset`, it agrees with {@link qualityReport} of that dataset.
 *
 * @throws {RangeError} an invalid `asOf`, `threshold` or `timeZone`. {@link TypeError} a ground-truth id that is not a UUID.
 * @example
 * const dataset = generateDataset({ seed: 7, now: new Date('2026-01-15T12:00:00Z') });
 * await insertDataset(db, dataset);
 * const report = await qualityReportFromDatabase(db, {
 *   groundTruth: dataset.groundTruth,
 *   targets: reportTargets(dataset.options),
 * });
 * report.integrity.checks.find((c) => c.id === 'stored_scores_differ')?.status; // 'pass'
 *
 * // SQL shape of the stored-score check (one grouped pass):
 * // select count(*) from (
 * //   select ts.*, count(s.id) filter (where s.scheduled_time > ts.as_of - interval '168 hours') as s7, ...
 * //   from tutor_scores ts
 * //   left join sessions s on s.tutor_id = ts.tutor_id and s.scheduled_time > ts.as_of - interval '2160 hours'
 * //                        and s.scheduled_time <= ts.as_of
 * //   left join reschedules r on r.session_id = s.id and r.initiator = 'tutor'
 * //   group by ts.id) x
 * // where (x.total_sessions_7d is distinct from x.s7) or ... or x.is_high_risk is distinct from (...)
 */
export async function qualityReportFromDatabase(db: Database, options: DatabaseReportOptions = {}): Promise<QualityReport> {
  const asOf = options.asOf === undefined ? undefined : resolveAsOf('qualityReportFromDatabase', options.asOf);
  const threshold = assertRiskThreshold('qualityReportFromDatabase', options.threshold ?? DEFAULT_RISK_THRESHOLD);
  const timeZone = checkTimeZone(options.timeZone ?? 'UTC');
  const bad = options.groundTruth?.find((g) => !isUuid(g.tutorId));
  if (bad !== undefined) {
    throw new TypeError(`qualityReportFromDatabase: groundTruth holds a tutorId that is not a UUID (${JSON.stringify(bad.tutorId)})`);
  }
  const targets = withSpecTargets(options.targets);
  return buildReport(await databaseFacts(db, options, targets, timeZone, asOf, threshold), targets);
}
