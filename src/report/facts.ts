import type { RiskTier } from '../domain/dataset';
import type { FlaggedTutor, IntegrityCheckId, QualityReport, RateDistribution } from './types';

/**
 * The upper bounds of the rate bands of the distribution, in percent: 0–10, 10–20, 20–40, 40–60, then 60+.
 *
 * @example
 * RATE_BAND_BOUNDS.findIndex((bound) => 15 <= bound); // 1: the 10–20% band
 */
export const RATE_BAND_BOUNDS = [10, 20, 40, 60] as const;

/**
 * The labels of the rate bands, `no sessions` last: tutors with no session in the window.
 *
 * @example
 * RATE_BAND_LABELS[rateBandIndex(null)]; // 'no sessions'
 */
export const RATE_BAND_LABELS = ['0–10%', '10–20%', '20–40%', '40–60%', '60%+', 'no sessions'] as const;

/**
 * The tutors of one intended tier that share a flag and a measured tier.
 *
 * @example
 * const cell: TruthCell = { tier: 'medium', flagged: true, measured: 'medium', tutors: 15 };
 */
export interface TruthCell {
  tier: RiskTier;
  /** Null: the tutor has no score. */
  flagged: boolean | null;
  /** The tier its 90-day rate falls in; `none` without sessions; null without a score. */
  measured: RiskTier | 'none' | null;
  tutors: number;
}

/**
 * The raw aggregates a report is built from. A dataset and a database give the same facts for the same rows (the
 * database by SQL aggregates, the dataset by one pass over its arrays), and one pure function turns them into the
 * report, so the two reports cannot disagree on anything but what only one of them knows.
 *
 * @example
 * const report = buildReport(facts, specTargets);
 */
export interface ReportFacts {
  source: QualityReport['source'];
  timeZone: string;
  counts: QualityReport['counts'];
  sessionsByStatus: QualityReport['sessionsByStatus'];
  reschedules: QualityReport['reschedules'];
  /** Sessions with a duration, and how many of those lie in the target range. */
  durations: { measured: number; withinRange: number };
  firstScheduled: Date | null;
  lastScheduled: Date | null;
  daysWithSessions: number;
  /** Sessions by local weekday, 0 = Sunday. */
  weekdays: number[];
  /** Sessions by local hour, 0–23. */
  hours: number[];
  /** Sessions by local month, index 0 = January. */
  months: number[];
  violations: Record<IntegrityCheckId, number | null>;
  scores: Omit<RateDistribution, 'bands'> & {
    /** Tutors per rate band, as {@link RATE_BAND_LABELS}. */
    bands: number[];
    flagged: number;
    /** Scored tutors by the tier their 90-day rate falls in (rate ≤ low.max, ≤ medium.max, above). */
    measuredTiers: Record<RiskTier, number>;
    /** Scored tutors whose 90-day rate lies in the targets' very-high band. */
    veryHigh: number;
  };
  truth: TruthCell[] | null;
  /** The flagged tutors, worst first, at most {@link HIGH_RISK_LIST_LIMIT}. */
  highRiskTutors: FlaggedTutor[];
  /** Weeks with sessions, by their local Monday (days since 1970-01-01), in any order. */
  weeks: WeekCount[];
  /** Reschedules by reason code (null: none), in any order. */
  reasonCodes: { code: string | null; count: number }[];
  /** Reschedules per lead-time band, as {@link LEAD_TIME_LABELS}. */
  leadTimes: number[];
}

/**
 * The sessions of one local week and the tutor reschedules among them.
 *
 * @example
 * const week: WeekCount = { monday: 20466, sessions: 240, tutorReschedules: 28 };
 */
export interface WeekCount {
  monday: number;
  sessions: number;
  tutorReschedules: number;
}

/**
 * How many flagged tutors the report lists by name (`highRisk.flagged` counts them all).
 *
 * @example
 * report.highRiskTutors.length <= HIGH_RISK_LIST_LIMIT; // true
 */
export const HIGH_RISK_LIST_LIMIT = 10;

/**
 * The upper bounds of the lead-time bands of the reschedules, in hours before the session: under 24 h, 1–3 days,
 * 3–7 days, then 7 days or more. A band holds `[lower, upper)`.
 *
 * @example
 * LEAD_TIME_BOUNDS.findIndex((hours) => 30 < hours); // 1: the 1–3 days band
 */
export const LEAD_TIME_BOUNDS = [24, 72, 168] as const;

/**
 * The labels of the lead-time bands.
 *
 * @example
 * LEAD_TIME_LABELS[leadTimeIndex(3_600_000)]; // 'under 24 h'
 */
export const LEAD_TIME_LABELS = ['under 24 h', '1–3 days', '3–7 days', '7 days or more'] as const;

/**
 * The lead-time band index of a reschedule made `ms` milliseconds before its session.
 *
 * @example
 * leadTimeIndex(48 * 3_600_000); // 1
 */
export function leadTimeIndex(ms: number): number {
  const index = LEAD_TIME_BOUNDS.findIndex((hours) => ms < hours * 3_600_000);
  return index === -1 ? LEAD_TIME_BOUNDS.length : index;
}

/**
 * The rate band index of a 90-day rate (null: the last, "no sessions"). Bands hold `(lower, upper]`, the first `[0, 10]`.
 *
 * @example
 * rateBandIndex(10);    // 0
 * rateBandIndex(10.01); // 1
 * rateBandIndex(75);    // 4 (60%+)
 */
export function rateBandIndex(rate: number | null): number {
  if (rate === null) return RATE_BAND_BOUNDS.length + 1;
  const index = RATE_BAND_BOUNDS.findIndex((bound) => rate <= bound);
  return index === -1 ? RATE_BAND_BOUNDS.length : index;
}
