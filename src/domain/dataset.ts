/** The risk tier a generated tutor was built to fall in: the ground truth the scores should recover. */
export type RiskTier = 'low' | 'medium' | 'high';

/** What the generator intended for one tutor; kept in the dataset, never in a table. */
export interface TutorGroundTruth {
  tutorId: string;
  tier: RiskTier;
  /**
   * The tutor-initiated reschedule rate, in percent, drawn from the tier's band. The tutor's sessions hold
   * `round(targetRate × sessions / 100)` tutor-initiated reschedules, moved into the band when the tutor's session
   * count allows it, so the realized rate is as close to this as whole sessions permit.
   */
  targetRate: number;
  /** The reason code the tutor gives most of its reschedules (see `favouriteReasonShare`). */
  favouriteReasonCode: string;
}

/**
 * A band of reschedule rates, in percent (0–100), as the scores state them. A band holds the rates in `(min, max]`,
 * or `[0, max]` when `min` is 0, so adjacent bands (0–10, 10–20, 20–40) never share a rate.
 */
export interface RateBand {
  min: number;
  max: number;
}

/** The share of tutors in each risk tier: fractions 0–1 that add up to 1. */
export interface TierMix {
  low: number;
  medium: number;
  high: number;
}

/** The band each tier's tutors draw their target rate from. */
export interface TierRates {
  low: RateBand;
  medium: RateBand;
  high: RateBand;
}

/** Whole hours of the local day, `start` included and `end` excluded (`{ start: 15, end: 20 }` is 15:00–19:59). */
export interface HourRange {
  start: number;
  end: number;
}

/** A range of whole days, both ends included. */
export interface DayRange {
  min: number;
  max: number;
}

/** A reschedule reason: the text stored in `reschedules.reason`, its `reason_code`, and how often it is given. */
export interface RescheduleReason {
  /** Lowercase snake_case (`^[a-z][a-z0-9_]*$`), as the `reschedules_reason_code_format` check requires. */
  code: string;
  text: string;
  /** Relative weight; weights need not add up to 1. */
  weight: number;
}

/** A session length and how often it is booked, relative to the others. */
export interface SessionDuration {
  minutes: number;
  weight: number;
}

/**
 * Every option of `generateDataset`, resolved. "Share" options are fractions 0–1; "rate" options are percentages
 * 0–100, as the scores state them. See {@link GenerateOptions} for what each one means and its default.
 */
export interface ResolvedGenerateOptions {
  seed: number;
  now: Date;
  tutors: number;
  sessions: number;
  days: number;
  bookedDays: number;
  timeZone: string;
  tierMix: TierMix;
  tierRates: TierRates;
  veryHighShare: number;
  veryHighRate: RateBand;
  tutorInitiatedShare: number;
  noShowShare: number;
  lastMinuteShare: number;
  lastMinuteHours: number;
  cancelledShare: number;
  rescheduleDelayDays: DayRange;
  reasons: RescheduleReason[];
  favouriteReasonShare: number;
  weekendWeight: number;
  openHours: HourRange;
  peakHours: HourRange;
  peakShare: number;
  busyMonths: number[];
  busyMonthWeight: number;
  durations: SessionDuration[];
  activeShare: number;
  tutorEmailShare: number;
  tutorCreatedDaysAgo: DayRange;
  tutorVolumeSpread: number;
  sessionsPerStudent: number;
  sharedStudentShare: number;
  emailReportShare: number;
  emailFailureShare: number;
  emailPendingShare: number;
}

/**
 * The options of `generateDataset`. Every one is optional; the defaults are the spec's targets and are listed
 * in `defaultGenerateOptions`. Object options (`tierMix`, `tierRates`, the ranges) are merged key by key with their
 * default; arrays (`reasons`, `durations`, `busyMonths`) replace it.
 *
 * @example
 * const options: GenerateOptions = {
 *   seed: 7,
 *   now: '2026-01-15T12:00:00Z',
 *   tutors: 500,
 *   sessions: 20_000,
 *   timeZone: 'Europe/London',
 *   tierMix: { low: 0.5, medium: 0.3, high: 0.2 },
 *   tierRates: { high: { max: 35 } }, // min stays 20
 * };
 */
export interface GenerateOptions {
  /** Seed of the one PRNG every random choice comes from: an integer 0–4294967295. Default `42`. */
  seed?: number;
  /**
   * The reference time (a `Date`, an ISO string or epoch milliseconds): every session lies in the `days` before it,
   * and nothing later than it is generated. Default: the clock, read once when `generateDataset` is called and
   * recorded in `dataset.options.now`. Pass it to make the output deterministic.
   */
  now?: Date | string | number;
  /** Number of tutors, a non-negative integer. Default `100` (spec: 75–100). */
  tutors?: number;
  /** Number of sessions, a non-negative integer, spread over the tutors. Default `3000`. */
  sessions?: number;
  /** Length of the window `(now − days, now]` the sessions lie in, a positive integer. Default `90`. */
  days?: number;
  /**
   * Days ahead of `now` with booked sessions (status `scheduled`, in `(now, now + bookedDays days]`), for the active
   * tutors at each one's own pace, on top of `sessions` (which stay the past ones). An integer 0–366; default `0`:
   * none. Drawn from a PRNG of their own, so the past rows are the same with or without them.
   */
  bookedDays?: number;
  /**
   * IANA time zone of the local calendar: weekdays, peak hours, opening hours and busy months are in this zone.
   * Default `'UTC'`.
   */
  timeZone?: string;
  /** Share of tutors in each risk tier; counts are rounded, not drawn. Default `{ low: 0.6, medium: 0.25, high: 0.15 }`. */
  tierMix?: Partial<TierMix>;
  /**
   * Band of each tier's tutor-initiated reschedule rate, in percent. Default
   * `{ low: { min: 0, max: 10 }, medium: { min: 10, max: 20 }, high: { min: 20, max: 40 } }`.
   */
  tierRates?: { [T in RiskTier]?: Partial<RateBand> };
  /** Share of the high tier drawn from `veryHighRate` instead of `tierRates.high`. Default `0.2`. */
  veryHighShare?: number;
  /** The band of the very-high-rate tutors ("some 40–60%"). Default `{ min: 40, max: 60 }`. */
  veryHighRate?: Partial<RateBand>;
  /** Share of reschedules initiated by the tutor, above 0. Default `0.982`. */
  tutorInitiatedShare?: number;
  /**
   * Share of no-shows among the sessions that are not rescheduled. Default `1 / 15`: the spec's 70:5
   * completed:no-show ratio.
   */
  noShowShare?: number;
  /** Share of reschedules made less than `lastMinuteHours` before the session. Default `0.4`. */
  lastMinuteShare?: number;
  /** What "last minute" means, in hours before the session. Default `24`. */
  lastMinuteHours?: number;
  /** Share of reschedules that cancel the session (`new_time` null). Default `0.05`. */
  cancelledShare?: number;
  /**
   * How many whole days (at least 1) after the original time a rescheduled session moves to, give or take two
   * hours; `new_time` may lie after `now`. Default `{ min: 1, max: 7 }`.
   */
  rescheduleDelayDays?: Partial<DayRange>;
  /**
   * The reasons given for reschedules. Default: "Personal emergency", "Scheduling conflict", "Family issue" (common)
   * and "Technical issues", "Health concern" (less common), with their snake_case codes.
   */
  reasons?: RescheduleReason[];
  /** Chance that a tutor-initiated reschedule gives the tutor's favourite reason. Default `0.6`. */
  favouriteReasonShare?: number;
  /** Sessions on a Saturday or Sunday, relative to a weekday (1 = no difference). Default `0.5`. */
  weekendWeight?: number;
  /** Local hours in which sessions start. Default `{ start: 7, end: 22 }`. */
  openHours?: Partial<HourRange>;
  /** The peak, within `openHours`. Default `{ start: 15, end: 20 }` (3–8 PM). */
  peakHours?: Partial<HourRange>;
  /** Share of sessions that start in `peakHours`. Default `0.6`. */
  peakShare?: number;
  /** Months (1–12) of the busy season. Default `[9, 10, 11, 12, 1, 2]` (autumn and winter). */
  busyMonths?: number[];
  /** Sessions per day in a busy month, relative to another month. Default `1.3`. */
  busyMonthWeight?: number;
  /** Session lengths (whole minutes, 1–480) and their weights. Default 30/45/60/90/120 minutes weighted 15/20/40/15/10. */
  durations?: SessionDuration[];
  /** Share of active tutors; counts are rounded, not drawn. Default `0.9`. */
  activeShare?: number;
  /** Share of tutors with an email address (`tutors.email` is nullable). Default `0.95`. */
  tutorEmailShare?: number;
  /**
   * How long ago tutors joined, in whole days, `min` at least 3 (spec: "past 6 months"). Ages are denser toward
   * `max` (the density rises linearly), so most tutors predate the window. A tutor's first session is at least two
   * days after it joined. Default `{ min: 7, max: 182 }`, with `max` raised to `days + 30` when that is larger, so
   * that tutors have sessions over the whole window.
   */
  tutorCreatedDaysAgo?: Partial<DayRange>;
  /**
   * How unequal tutors' workloads are, 0–1: a tutor's booking intensity is `1 − s + 3s·u²` for a uniform `u`, so
   * 0 makes every tutor equally busy and the default `0.6` ranges from 0.4× to 2.2× the mean.
   */
  tutorVolumeSpread?: number;
  /** Average number of sessions each of a tutor's students books with that tutor, at least 1. Default `4`. */
  sessionsPerStudent?: number;
  /** Share of a tutor's students who also study with another tutor. Default `0.1`. */
  sharedStudentShare?: number;
  /** Share of rescheduled sessions (of tutors with an email) that get an email report. Default `1`. */
  emailReportShare?: number;
  /** Share of email reports whose first attempt fails (a later attempt is then sent). Default `0.05`. */
  emailFailureShare?: number;
  /** Share of email reports still pending. Default `0.02`. */
  emailPendingShare?: number;
}
