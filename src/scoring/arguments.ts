import { InvalidOptionError } from '../errors';

/**
 * A value as an error message quotes it: strings in single quotes.
 *
 * @example
 * describe('15'); // "'15'"
 */
export const describe = (value: unknown) => (typeof value === 'string' ? `'${value}'` : String(value));

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Whether `id` is a UUID in PostgreSQL's text form (what the `uuid` columns hold), in either case.
 *
 * @example
 * isUuid('0b6f1c2e-8a4d-4e0f-9b1a-2c3d4e5f6a7b'); // true
 */
export const isUuid = (id: unknown): id is string => typeof id === 'string' && uuidPattern.test(id);

/**
 * Why `threshold` is not a valid risk threshold, or `undefined` when it is: a number from 0 to 100 with at most 2
 * decimals, what `tutor_scores.risk_threshold numeric(5,2)` stores without rounding it (a threshold of 15.555 would
 * be stored as 15.56, and the stored flag would disagree with the one computed in JavaScript).
 *
 * @example
 * riskThresholdProblem(15);     // undefined
 * riskThresholdProblem(15.555); // 'must be from 0 to 100 with at most 2 decimals (got 15.555)'
 * riskThresholdProblem('15');   // "must be a number (got '15')"
 */
export function riskThresholdProblem(threshold: unknown): string | undefined {
  if (typeof threshold !== 'number' || !Number.isFinite(threshold)) return `must be a number (got ${describe(threshold)})`;
  if (threshold < 0 || threshold > 100 || Math.round(threshold * 100) / 100 !== threshold) {
    return `must be from 0 to 100 with at most 2 decimals (got ${threshold})`;
  }
  return undefined;
}

/**
 * Returns `threshold` if it is a valid risk threshold, else throws an InvalidOptionError naming `fn`.
 *
 * @example
 * assertRiskThreshold('refreshTutorScores', 15.555); // throws InvalidOptionError: refreshTutorScores: threshold must be ...
 */
export function assertRiskThreshold(fn: string, threshold: unknown): number {
  const problem = riskThresholdProblem(threshold);
  if (problem === undefined) return threshold as number;
  throw new InvalidOptionError('threshold', `${fn}: threshold ${problem}`);
}

