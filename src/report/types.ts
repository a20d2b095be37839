import type { HourRange, RateBand, RiskTier, TierMix, TierRates } from '../domain/dataset';

/**
 * The result of one integrity check: `n/a` when the source cannot say (a dataset has no stored scores).
 *
 * @example
 * const failed = report.integrity.checks.filter((c) => c.status === ('fail' satisfies CheckStatus));
 */
export type CheckStatus = 'pass' | 'fail' | 'n/a';

/**
 * The result of one target: `info` when a size target is missed because the caller asked for other sizes, `n/a`
 * when the data cannot show it (too short a range, a target that docs/design.md overrides).
 *
 * @example
 * const judged = report.targets.results.filter((t) => !(['n/a', 'info'] as TargetStatus[]).includes(t.status));
 */
export type TargetStatus = 'pass' | 'fail' | 'n/a' | 'info';

/**
 * The integrity checks of a quality report, by stable id.
 *
 * @example
 * const id: IntegrityCheckId = 'stored_scores_differ';
 * report.integrity.checks.find((c) => c.id === id)?.violations; // 0
 */
export type IntegrityCheckId =
  | 'sessions_without_tutor'
  | 'reschedules_without_session'
  | 'email_reports_without_session'
  | 'tutor_scores_without_tutor'
  | 'reschedule_original_time_mismatch'
  | 'completed_time_mismatch'
  | 'completed_before_scheduled'
  | 'rescheduled_status_mismatch'
  | 'booked_session_overdue'
  | 'tutors_without_score'
  | 'stored_scores_differ';

/**
 * One integrity check: how many rows break the rule (0 to pass), or `null` when it does not apply.
 *
 * @example
 * const check: IntegrityCheck = { id: 'sessions_without_tutor', description: 'orphan sessions (no tutor)', violations: 0, status: 'pass' };
 */
export interface IntegrityCheck {
  id: IntegrityCheckId;
  description: string;
  violations: number | null;
  status: CheckStatus;
  note?: string;
}

/**
 * The spec targets of a quality report, by stable id.
 *
 * @example
 * const id: TargetId = 'tutor_initiated_share';
 * report.targets.results.find((t) => t.id === id)?.achieved; // '98.3% (349/355)'
 */
export type TargetId =
  | 'tutors'
  | 'sessions'
  | 'tier_mix_intended'
  | 'tier_mix_measured'
  | 'very_high_rates'
  | 'active_share'
  | 'rescheduled_share'
  | 'tutor_initiated_share'
  | 'completed_no_show_ratio'
  | 'last_minute_share'
  | 'weekday_vs_weekend'
  | 'peak_hours_share'
  | 'season'
  | 'durations';

/**
 * One spec target beside what the data achieved.
 *
 * @example
 * const result: TargetResult = {
 *   id: 'tutor_initiated_share', spec: '§5.2.2', description: 'tutor-initiated', target: '98.2%',
 *   achieved: '98.3% (349/355)', value: 0.983, tolerance: '±0.5 pp', status: 'pass',
 * };
 */
export interface TargetResult {
  id: TargetId;
  /** The spec section it comes from, e.g. `§5.2.2`. */
  spec: string;
  description: string;
  /** The target in words, e.g. `98.2%`. */
  target: string;
  /** What the data holds, in words, e.g. `98.1% (362 of 369)`. */
  achieved: string;
  /** The measured number the status is decided on (a share 0–1, a ratio or a count), when there is one. */
  value: number | null;
  /** How far `value` may be from the target, in words, e.g. `±0.5 pp`. */
  tolerance: string;
  status: TargetStatus;
  note?: string;
}

/**
 * One bar of a histogram.
 *
 * @example
 * report.hours.map((bin: HistogramBin) => `${bin.label}:00 ${bin.count}`);
 */
export interface HistogramBin {
  label: string;
  count: number;
}

/**
 * One weekday of the weekday histogram, with the number of such local days in the covered range.
 *
 * @example
 * const monday: WeekdayBin = report.weekdays[0]!; // { label: 'Mon', count: 496, days: 13, perDay: 38.2 }
 */
export interface WeekdayBin extends HistogramBin {
  days: number;
  /** `count / days`, or null when the range holds no such day. */
  perDay: number | null;
}

/**
 * The 90-day reschedule-rate distribution of a report, and where its rates and flags come from.
 *
 * @example
 * const rates: RateDistribution = report.rescheduleRates;
 * rates.bands.map((b) => `${b.label}: ${b.count}`); // ['0–10%: 60', '10–20%: 25', ...]
 */
export interface RateDistribution {
  /** `stored`: the `tutor_scores` rows; `computed`: counted from the sessions as of `asOf`. */
  source: 'stored' | 'computed';
  /** The end of the windows: the (latest) stored `as_of`, or the `asOf` computed at. Null with no scores. */
  asOf: Date | null;
  /** Whether the stored scores were computed as of different instants. */
  mixedAsOf: boolean;
  /** The risk threshold of the flags (the highest stored one), in percent. Null with no scores. */
  threshold: number | null;
  /** Tutors by 90-day rate: 0–10, 10–20, 20–40, 40–60, 60+ (each band `(min, max]`, the first `[0, 10]`), then none. */
  bands: HistogramBin[];
  /** Tutors with a score. */
  scored: number;
  /** Tutors without a `tutor_scores` row (database, stored scores only). */
  unscored: number;
}

/**
 * How the flags of a tier's tutors came out.
 *
 * @example
 * const high: TierAgreement = report.groundTruth!.byTier.high; // { tutors: 15, flagged: 15, notFlagged: 0, ... }
 */
export interface TierAgreement {
  tutors: number;
  flagged: number;
  notFlagged: number;
  /** Tutors of the ground truth with no score (not in the database, or never scored). */
  unscored: number;
  /** The tier each tutor's 90-day rate falls in (`none`: no session in 90 days). */
  measured: Record<RiskTier | 'none', number>;
}

/**
 * How well the flags and the 90-day rates recover the tiers the generator intended.
 *
 * @example
 * const { precision, recall }: GroundTruthAgreement = report.groundTruth!; // 0.38, 1
 */
export interface GroundTruthAgreement {
  byTier: Record<RiskTier, TierAgreement>;
  /** Flagged tutors that were intended high, among flagged tutors; null when none is flagged. */
  precision: number | null;
  /** Intended-high tutors that are flagged, among scored intended-high tutors; null when there are none. */
  recall: number | null;
  /** Scored tutors whose 90-day rate falls in their intended tier's band, among scored tutors. */
  tierAgreement: number | null;
  note: string;
}

/**
 * A quality report over a generated dataset or a database: counts, date coverage, integrity checks, each
 * spec target beside what was achieved, the reschedule-rate distribution, weekday and hour histograms, and how well
 * the risk flags recover the intended tiers. Plain data: `JSON.stringify` gives its JSON form (dates as ISO strings).
 *
 * @example
 * const report: QualityReport = qualityReport(generateDataset({ now: new Date('2026-01-15T12:00:00Z') }));
 * report.integrity.passed;                       // true
 * report.targets.results.map((t) => t.status);   // ['pass', 'pass', ...]
 */
export interface QualityReport {
  source: 'dataset' | 'database';
  /** The IANA time zone of the weekday, hour and month figures. */
  timeZone: string;
  counts: {
    tutors: number;
    activeTutors: number;
    sessions: number;
    reschedules: number;
    emailReports: number;
    /** Rows of `tutor_scores`; null for a dataset, which has no such table. */
    tutorScores: number | null;
  };
  sessionsByStatus: { completed: number; rescheduled: number; noShow: number };
  reschedules: { tutorInitiated: number; studentInitiated: number; lastMinute: number; cancelled: number };
  coverage: {
    firstScheduled: Date | null;
    lastScheduled: Date | null;
    /** Local calendar days from the first session's to the last session's, both included. */
    days: number;
    /** Local calendar days with at least one session. */
    daysWithSessions: number;
  };
  integrity: { passed: boolean; checks: IntegrityCheck[] };
  /** `passed`: no target failed (`info` and `n/a` do not fail). */
  targets: { passed: boolean; results: TargetResult[] };
  rescheduleRates: RateDistribution;
  /** Monday first. */
  weekdays: WeekdayBin[];
  /** 24 bins, `00` to `23`, local hours. */
  hours: HistogramBin[];
  highRisk: { flagged: number; scored: number; threshold: number | null };
  /** Null when the intended tiers are unknown (a database report without `groundTruth`). */
  groundTruth: GroundTruthAgreement | null;
  /** The flagged tutors, worst first as `listHighRiskTutors` orders them (highest rate, 90-day rate, id), at most 10. */
  highRiskTutors: FlaggedTutor[];
  /** Sessions and tutor reschedules per local week, Monday first, empty weeks included, oldest first. */
  weeklyTrend: WeekBin[];
  /** Reschedules by reason code, most first (ties by code); `(none)` for those without one. */
  reasonCodes: HistogramBin[];
  /** Reschedules by how long before the session they came: under 24 h, 1–3 days, 3–7 days, 7 days or more. */
  leadTimes: HistogramBin[];
}


/**
 * What a quality report compares the data with. `specTargets` holds the spec's; `reportTargets(options)`
 * those of a generation's options. Shares are fractions 0–1.
 *
 * @example
 * const targets: ReportTargets = { ...specTargets, lastMinuteShare: 0.3 };
 */
export interface ReportTargets {
  tutors: { min: number; max: number };
  /** At least `min` sessions over `days` days. */
  sessions: { min: number; days: number };
  /** Missed size targets are `info`, not `fail`: the sizes were chosen on purpose. */
  sizesInformative: boolean;
  tierMix: TierMix;
  tierRates: TierRates;
  veryHighRate: RateBand;
  /** Share of the high tier meant to be in `veryHighRate`: "some" such tutors are expected when it is above 0. */
  veryHighShare: number;
  activeShare: number;
  /** The spec's 25%: reported, never judged (docs/design.md: the tiers win). */
  rescheduledShare: number;
  tutorInitiatedShare: number;
  /** Share of no-shows among sessions that were not rescheduled: 5 / 75 for the spec's 70:5. */
  noShowShare: number;
  lastMinuteShare: number;
  lastMinuteHours: number;
  peakHours: HourRange;
  peakShare: number;
  /** Months 1–12 of the busy season (autumn and winter). */
  busyMonths: number[];
  /** The range every duration should fall in, in minutes. */
  durations: { min: number; max: number };
}

/**
 * One local week of the fleet trend: the sessions scheduled in it and the tutor reschedules among them.
 *
 * @example
 * const week: WeekBin = report.weeklyTrend[0]!; // { week: '2025-10-13', sessions: 240, tutorReschedules: 28, rate: 11.67 }
 */
export interface WeekBin {
  /** The week's local Monday, `YYYY-MM-DD`. */
  week: string;
  sessions: number;
  /** Tutor-initiated reschedules of the week's sessions (by the session's scheduled time). */
  tutorReschedules: number;
  /** `tutorReschedules / sessions` in percent, rounded as the scores are; null for a week without sessions. */
  rate: number | null;
}

/**
 * A flagged tutor of the report's high-risk list, with its three rates.
 *
 * @example
 * const worst: FlaggedTutor = report.highRiskTutors[0]!; // { tutorId: '…', name: 'Ada Lovelace', rate7d: 50, rate30d: 42.5, rate90d: 38.1 }
 */
export interface FlaggedTutor {
  tutorId: string;
  name: string;
  rate7d: number | null;
  rate30d: number | null;
  rate90d: number | null;
}
