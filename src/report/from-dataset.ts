import type { RateBand, RiskTier, TierRates } from '../domain/dataset';
import type { Dataset } from '../records/dataset';
import { DEFAULT_RISK_THRESHOLD, scoreWindows } from '../schema';
import { isHighRisk, rescheduleRate } from '../scoring/rates';
import { buildReport } from './build-report';
import {
  HIGH_RISK_LIST_LIMIT,
  LEAD_TIME_LABELS,
  leadTimeIndex,
  RATE_BAND_LABELS,
  rateBandIndex,
  type ReportFacts,
  type TruthCell,
  type WeekCount,
} from './facts';
import { localClock } from './local-time';
import { withSpecTargets } from './merge-targets';
import { reportTargets } from './targets';
import type { FlaggedTutor, QualityReport, ReportTargets } from './types';

const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;

/**
 * Options of {@link qualityReport}.
 *
 * @example
 * const options: QualityReportOptions = { asOf: new Date('2026-01-01T00:00:00Z'), threshold: 20 };
 */
export interface QualityReportOptions {
  /** The end of the scoring windows. Default: the dataset's `now` (what `insertDataset` scores as of). */
  asOf?: Date;
  /** The risk threshold of the flags, in percent. Default 15. */
  threshold?: number;
  /** What to judge the data against. Default: `reportTargets(dataset.options)`. */
  targets?: Partial<ReportTargets>;
}

/** The tier a 90-day rate falls in: at most the low band's top, at most the medium band's top, or above. */
function measuredTier(rate: number | null, tierRates: TierRates): RiskTier | 'none' {
  if (rate === null) return 'none';
  return rate <= tierRates.low.max ? 'low' : rate <= tierRates.medium.max ? 'medium' : 'high';
}

/** Whether a rate lies in a band: `(min, max]`, or `[0, max]` when min is 0 (see `RateBand`). */
const inBand = (rate: number | null, band: RateBand) =>
  rate !== null && (band.min === 0 ? rate >= 0 : rate > band.min) && rate <= band.max;

/** Every tutor's three rates and flag as of `asOf`, counted as `computeTutorScore` counts them. */
function scoreTutors(dataset: Dataset, asOf: number, threshold: number) {
  const tutorReschedule = new Set(dataset.reschedules.filter((r) => r.initiator === 'tutor').map((r) => r.sessionId));
  const counts = new Map(dataset.tutors.map((t) => [t.id, scoreWindows.map(() => ({ sessions: 0, reschedules: 0 }))]));
  for (const s of dataset.sessions) {
    const windows = counts.get(s.tutorId);
    const t = s.scheduledTime.getTime();
    // As the scores do: a session still scheduled has no outcome to count (docs/ingest.md).
    if (!windows || t > asOf || s.status === 'scheduled') continue;
    scoreWindows.forEach((days, i) => {
      if (t <= asOf - days * DAY_MS) return;
      windows[i]!.sessions++;
      if (tutorReschedule.has(s.id)) windows[i]!.reschedules++;
    });
  }
  return new Map(
    [...counts].map(([tutorId, windows]) => {
      const [r7, r30, r90] = windows.map((w) => rescheduleRate(w.reschedules, w.sessions)) as [
        number | null,
        number | null,
        number | null,
      ];
      const rates = { rescheduleRate7d: r7, rescheduleRate30d: r30, rescheduleRate90d: r90 };
      return [tutorId, { rate7d: r7, rate30d: r30, rate90d: r90, flagged: isHighRisk(rates, threshold) }];
    }),
  );
}

type TutorScores = ReturnType<typeof scoreTutors>;

/** The session facts of a dataset, and the integrity checks that read sessions. */
type SessionPass = Pick<
  ReportFacts,
  'sessionsByStatus' | 'durations' | 'firstScheduled' | 'lastScheduled' | 'daysWithSessions' | 'weekdays' | 'hours' | 'months'
> & {
  violations: Pick<
    ReportFacts['violations'],
    'sessions_without_tutor' | 'completed_time_mismatch' | 'completed_before_scheduled' | 'rescheduled_status_mismatch' | 'booked_session_overdue'
  >;
};

/** One pass over the sessions: statuses, covered range, local calendar, durations, and their integrity checks. */
function sessionPass(dataset: Dataset, targets: ReportTargets): SessionPass {
  const { tutors, sessions, reschedules } = dataset;
  const tutorIds = new Set(tutors.map((t) => t.id));
  const rescheduled = new Set(reschedules.map((r) => r.sessionId));
  const byStatus = { completed: 0, rescheduled: 0, noShow: 0 };
  const weekdays = new Array<number>(7).fill(0);
  const hours = new Array<number>(24).fill(0);
  const months = new Array<number>(12).fill(0);
  const localDays = new Set<number>();
  const clock = localClock(dataset.options.timeZone);
  const durations = { measured: 0, withinRange: 0 };
  let first: number | undefined;
  let last: number | undefined;
  const v = { noTutor: 0, completedMismatch: 0, completedEarly: 0, statusMismatch: 0, bookedOverdue: 0 };
  const now = dataset.options.now.getTime();
  for (const s of sessions) {
    if (!tutorIds.has(s.tutorId)) v.noTutor++;
    if ((s.status === 'rescheduled') !== rescheduled.has(s.id)) v.statusMismatch++;
    if (s.status === 'scheduled') {
      // Booked ahead: checked to lie after now; the spec's distributions are measured over the past sessions.
      if (s.scheduledTime.getTime() <= now) v.bookedOverdue++;
      if (s.completedTime !== null) v.completedMismatch++;
      continue;
    }
    if (s.status === 'completed') byStatus.completed++;
    else if (s.status === 'rescheduled') byStatus.rescheduled++;
    else if (s.status === 'no_show') byStatus.noShow++;
    const t = s.scheduledTime.getTime();
    first = first === undefined || t < first ? t : first;
    last = last === undefined || t > last ? t : last;
    const local = clock(t);
    weekdays[local.weekday]!++;
    hours[local.hour]!++;
    months[local.month - 1]!++;
    localDays.add(local.day);
    if (s.durationMinutes !== null) {
      durations.measured++;
      if (s.durationMinutes >= targets.durations.min && s.durationMinutes <= targets.durations.max) durations.withinRange++;
    }
    if ((s.status === 'completed') !== (s.completedTime !== null)) v.completedMismatch++;
    if (s.completedTime !== null && s.completedTime.getTime() < t) v.completedEarly++;
  }
  return {
    sessionsByStatus: byStatus,
    durations,
    firstScheduled: first === undefined ? null : new Date(first),
    lastScheduled: last === undefined ? null : new Date(last),
    daysWithSessions: localDays.size,
    weekdays,
    hours,
    months,
    violations: {
      sessions_without_tutor: v.noTutor,
      completed_time_mismatch: v.completedMismatch,
      completed_before_scheduled: v.completedEarly,
      rescheduled_status_mismatch: v.statusMismatch,
      booked_session_overdue: v.bookedOverdue,
    },
  };
}

/** One pass over the reschedules: initiators, last-minute and cancelled ones, and their integrity checks. */
function reschedulePass(
  dataset: Dataset,
  targets: ReportTargets,
): {
  reschedules: ReportFacts['reschedules'];
  violations: Pick<ReportFacts['violations'], 'reschedules_without_session' | 'reschedule_original_time_mismatch'>;
} {
  const sessionById = new Map(dataset.sessions.map((s) => [s.id, s]));
  const lastMinuteMs = targets.lastMinuteHours * HOUR_MS;
  const r = { tutorInitiated: 0, studentInitiated: 0, lastMinute: 0, cancelled: 0 };
  let noSession = 0;
  let timeMismatch = 0;
  for (const x of dataset.reschedules) {
    if (x.initiator === 'tutor') r.tutorInitiated++;
    else r.studentInitiated++;
    if (x.originalTime.getTime() - x.cancelledAt.getTime() < lastMinuteMs) r.lastMinute++;
    if (x.newTime === null) r.cancelled++;
    const session = sessionById.get(x.sessionId);
    if (!session) noSession++;
    else if (session.scheduledTime.getTime() !== x.originalTime.getTime()) timeMismatch++;
  }
  return {
    reschedules: r,
    violations: { reschedules_without_session: noSession, reschedule_original_time_mismatch: timeMismatch },
  };
}

/** The distribution of the computed scores: rate bands, measured tiers, the very-high band and the flags. */
function scoreDistribution(
  scores: TutorScores,
  targets: ReportTargets,
): Pick<ReportFacts['scores'], 'bands' | 'measuredTiers' | 'veryHigh' | 'flagged'> {
  const bands = new Array<number>(RATE_BAND_LABELS.length).fill(0);
  const measuredTiers = { low: 0, medium: 0, high: 0 };
  let flagged = 0;
  let veryHigh = 0;
  for (const { rate90d, flagged: isFlagged } of scores.values()) {
    bands[rateBandIndex(rate90d)]!++;
    const tier = measuredTier(rate90d, targets.tierRates);
    if (tier !== 'none') measuredTiers[tier]++;
    if (inBand(rate90d, targets.veryHighRate)) veryHigh++;
    if (isFlagged) flagged++;
  }
  return { bands, measuredTiers, veryHigh, flagged };
}

/** Tutors per (intended tier, flagged, measured tier); null without a ground truth. */
function truthCells(dataset: Dataset, scores: TutorScores, targets: ReportTargets): TruthCell[] | null {
  if (dataset.groundTruth.length === 0) return null;
  const cells = new Map<string, TruthCell>();
  for (const truth of dataset.groundTruth) {
    const score = scores.get(truth.tutorId);
    const cell: TruthCell = {
      tier: truth.tier,
      flagged: score ? score.flagged : null,
      measured: score ? measuredTier(score.rate90d, targets.tierRates) : null,
      tutors: 0,
    };
    const key = `${cell.tier}|${cell.flagged}|${cell.measured}`;
    (cells.get(key) ?? cells.set(key, cell).get(key)!).tutors++;
  }
  return [...cells.values()];
}

/** The flagged tutors, worst first as the database query orders them: highest rate, 90-day rate, then id. */
function flaggedTutors(dataset: Dataset, scores: TutorScores): FlaggedTutor[] {
  const highest = (t: FlaggedTutor) => Math.max(...[t.rate7d, t.rate30d, t.rate90d].filter((r) => r !== null));
  return dataset.tutors
    .flatMap((tutor) => {
      const score = scores.get(tutor.id);
      if (!score?.flagged) return [];
      const { rate7d, rate30d, rate90d } = score;
      return [{ tutorId: tutor.id, name: tutor.name, rate7d, rate30d, rate90d }];
    })
    .sort(
      (a, b) =>
        highest(b) - highest(a) ||
        (b.rate90d ?? -1) - (a.rate90d ?? -1) ||
        (a.tutorId < b.tutorId ? -1 : a.tutorId > b.tutorId ? 1 : 0),
    )
    .slice(0, HIGH_RISK_LIST_LIMIT);
}

/** Sessions and tutor reschedules per local week (by the session's scheduled time), weeks with sessions only. */
function weeklyCounts(dataset: Dataset): WeekCount[] {
  const tutorReschedule = new Set(dataset.reschedules.filter((r) => r.initiator === 'tutor').map((r) => r.sessionId));
  const clock = localClock(dataset.options.timeZone);
  const weeks = new Map<number, WeekCount>();
  for (const s of dataset.sessions) {
    const local = clock(s.scheduledTime.getTime());
    const monday = local.day - ((local.weekday + 6) % 7);
    const week = weeks.get(monday) ?? weeks.set(monday, { monday, sessions: 0, tutorReschedules: 0 }).get(monday)!;
    week.sessions++;
    if (tutorReschedule.has(s.id)) week.tutorReschedules++;
  }
  return [...weeks.values()];
}

/** Reschedules by reason code and by lead-time band. */
function rescheduleBreakdown(dataset: Dataset): Pick<ReportFacts, 'reasonCodes' | 'leadTimes'> {
  const codes = new Map<string | null, number>();
  const leadTimes = new Array<number>(LEAD_TIME_LABELS.length).fill(0);
  for (const r of dataset.reschedules) {
    codes.set(r.reasonCode, (codes.get(r.reasonCode) ?? 0) + 1);
    leadTimes[leadTimeIndex(r.originalTime.getTime() - r.cancelledAt.getTime())]!++;
  }
  return { reasonCodes: [...codes].map(([code, count]) => ({ code, count })), leadTimes };
}

/** The facts of a dataset, from one pass over each table and the scores computed as of `asOf`. */
function datasetFacts(dataset: Dataset, asOf: Date, threshold: number, targets: ReportTargets): ReportFacts {
  const { tutors, sessions, reschedules, emailReports } = dataset;
  const { violations: sessionViolations, ...sessionFacts } = sessionPass(dataset, targets);
  const rescheduleFacts = reschedulePass(dataset, targets);
  const sessionIds = new Set(sessions.map((s) => s.id));
  const scores = scoreTutors(dataset, asOf.getTime(), threshold);
  const { bands, measuredTiers, veryHigh, flagged } = scoreDistribution(scores, targets);
  return {
    source: 'dataset',
    timeZone: dataset.options.timeZone,
    counts: {
      tutors: tutors.length,
      activeTutors: tutors.filter((t) => t.isActive).length,
      sessions: sessions.length,
      reschedules: reschedules.length,
      emailReports: emailReports.length,
      tutorScores: null,
    },
    ...sessionFacts,
    reschedules: rescheduleFacts.reschedules,
    violations: {
      sessions_without_tutor: sessionViolations.sessions_without_tutor,
      reschedules_without_session: rescheduleFacts.violations.reschedules_without_session,
      email_reports_without_session: emailReports.filter((e) => !sessionIds.has(e.sessionId)).length,
      tutor_scores_without_tutor: null,
      reschedule_original_time_mismatch: rescheduleFacts.violations.reschedule_original_time_mismatch,
      completed_time_mismatch: sessionViolations.completed_time_mismatch,
      completed_before_scheduled: sessionViolations.completed_before_scheduled,
      rescheduled_status_mismatch: sessionViolations.rescheduled_status_mismatch,
      booked_session_overdue: sessionViolations.booked_session_overdue,
      tutors_without_score: null,
      stored_scores_differ: null,
    },
    scores: {
      source: 'computed',
      asOf: new Date(asOf.getTime()),
      mixedAsOf: false,
      threshold,
      bands,
      scored: scores.size,
      unscored: 0,
      flagged,
      measuredTiers,
      veryHigh,
    },
    truth: truthCells(dataset, scores, targets),
    highRiskTutors: flaggedTutors(dataset, scores),
    weeks: weeklyCounts(dataset),
    ...rescheduleBreakdown(dataset),
  };
}

/**
 * The quality report of a generated dataset, in memory, with scores computed as `refreshTutorScores`
 * would store them as of the dataset's `now`: it agrees with {@link qualityReportFromDatabase} over the same rows
 * once loaded. Checks of stored scores are `n/a`.
 *
 * @example
 * const dataset = generateDataset({ seed: 7, now: new Date('2026-01-15T12:00:00Z') });
 * const report = qualityReport(dataset);
 * report.integrity.passed;                // true
 * report.groundTruth?.recall;             // 1
 * console.log(renderQualityReport(report));
 */
export function qualityReport(dataset: Dataset, options: QualityReportOptions = {}): QualityReport {
  const targets = withSpecTargets({ ...reportTargets(dataset.options), ...options.targets });
  const asOf = options.asOf ?? dataset.options.now;
  return buildReport(datasetFacts(dataset, asOf, options.threshold ?? DEFAULT_RISK_THRESHOLD, targets), targets);
}
