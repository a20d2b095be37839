import { DEFAULT_RISK_THRESHOLD, type TutorScore } from '../schema';
import { assertRiskThreshold, describe } from './arguments';
import { InvalidOptionError } from '../errors';

export { riskThresholdProblem } from './arguments';

/**
 * The three rates of a score, named as in `tutor_scores`, so a score row (or a {@link computeTutorScore} result)
 * can be passed as it is.
 */
export type RescheduleRates = Pick<TutorScore, 'rescheduleRate7d' | 'rescheduleRate30d' | 'rescheduleRate90d'>;

/** The six counts of a score, named as in `tutor_scores`: sessions and tutor-initiated reschedules per window. */
export type WindowCounts = Pick<
  TutorScore,
  | 'totalSessions7d'
  | 'totalSessions30d'
  | 'totalSessions90d'
  | 'tutorReschedules7d'
  | 'tutorReschedules30d'
  | 'tutorReschedules90d'
>;

function wholeCount(fn: string, name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value)) {
    throw new InvalidOptionError(name, `${fn}: ${name} must be a whole number (got ${describe(value)})`);
  }
  if (value < 0) throw new InvalidOptionError(name, `${fn}: ${name} must not be negative (got ${value})`);
  return value;
}

/**
 * The percentage of sessions a tutor rescheduled, rounded to 2 decimals, or `null` when there are no sessions. It
 * rounds the exact quotient on integers, as the generated `reschedule_rate_*` columns do, so the two always agree.
 *
 * @throws {InvalidOptionError} an argument is not a whole number, is negative, or `tutorReschedules > totalSessions`.
 * @example
 * rescheduleRate(1, 3);  // 33.33
 * rescheduleRate(1, 8);  // 12.5  (PostgreSQL: 12.50)
 * rescheduleRate(0, 0);  // null  (no sessions: no rate, not 0)
 */
export function rescheduleRate(tutorReschedules: number, totalSessions: number): number | null {
  const r = wholeCount('rescheduleRate', 'tutorReschedules', tutorReschedules);
  const s = wholeCount('rescheduleRate', 'totalSessions', totalSessions);
  if (r > s) {
    throw new InvalidOptionError('tutorReschedules', `rescheduleRate: tutorReschedules must not exceed totalSessions (got ${r} > ${s})`);
  }
  if (s === 0) return null;
  // round(10000 r / s) half up, in hundredths: floor((20000 r + s) / 2s). Exact in doubles while 20001 s is safe.
  if (20_001 * s <= Number.MAX_SAFE_INTEGER) return Math.floor((20_000 * r + s) / (2 * s)) / 100;
  const hundredths = (20_000n * BigInt(r) + BigInt(s)) / (2n * BigInt(s));
  return Number(hundredths) / 100;
}

/**
 * Whether a tutor is high risk: any non-null rate strictly greater than `threshold`, the rule of the generated
 * `tutor_scores.is_high_risk` column (docs/design.md, "High risk").
 *
 * @param rates the rates, keyed as the columns of `tutor_scores`: a score row or a {@link computeTutorScore} result.
 * @param threshold a percentage from 0 to 100 with at most 2 decimals; default {@link DEFAULT_RISK_THRESHOLD} (15).
 * @throws {InvalidOptionError} the threshold is out of range, or a rate or the threshold is not a number.
 * @example
 * isHighRisk({ rescheduleRate7d: null, rescheduleRate30d: 15, rescheduleRate90d: 12.5 });     // false (15 is not > 15)
 * isHighRisk({ rescheduleRate7d: 50, rescheduleRate30d: 15, rescheduleRate90d: 12.5 });       // true
 * isHighRisk({ rescheduleRate7d: 50, rescheduleRate30d: null, rescheduleRate90d: null }, 60); // false
 */
export function isHighRisk(rates: RescheduleRates, threshold: number = DEFAULT_RISK_THRESHOLD): boolean {
  assertRiskThreshold('isHighRisk', threshold);
  if (rates === null || typeof rates !== 'object') {
    throw new InvalidOptionError('rates', 'isHighRisk: rates must be an object with rescheduleRate7d, rescheduleRate30d, rescheduleRate90d');
  }
  let flagged = false;
  for (const key of ['rescheduleRate7d', 'rescheduleRate30d', 'rescheduleRate90d'] as const) {
    const rate: unknown = rates[key];
    if (rate === null) continue;
    if (typeof rate !== 'number' || !Number.isFinite(rate)) {
      throw new InvalidOptionError(`rates.${key}`, `isHighRisk: rates.${key} must be a number or null (got ${describe(rate)})`);
    }
    if (rate > threshold) flagged = true;
  }
  return flagged;
}
