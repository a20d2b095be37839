import { riskTiers } from '../domain/risk-tiers';
import type { RiskTier } from '../domain/dataset';
import { formatCount } from '../util/format';
import type { ReportTargets, TargetResult } from './types';

/*
 * The four ways a target is judged: a share against its expected value, a tier mix by its largest deviation, a
 * per-day comparison, and a size. Each takes the target's identity (`TargetBase`) and returns its row of the report.
 */

/** What names a target in the report, and an optional note. */
export type TargetBase = Pick<TargetResult, 'id' | 'spec' | 'description' | 'target'> & { note?: string };

/** The sum of `values`. @example sum([1, 2, 3]); // 6 */
export const sum = (values: readonly number[]) => values.reduce((a, b) => a + b, 0);
/** A share as a percentage. @example pct(0.255); // '25.5%' */
export const pct = (share: number, digits = 1) => `${(100 * share).toFixed(digits)}%`;
const pp = (share: number) => `±${(100 * share).toFixed(1)} pp`;
/** A tier mix as whole percentages. @example mix({ low: 0.6, medium: 0.25, high: 0.15 }); // '60/25/15' */
export const mix = (shares: Record<RiskTier, number>) =>
  riskTiers.map((tier) => Math.round(100 * shares[tier])).join('/');

/**
 * A share judged against its target. `sampled`: the share comes from independent draws, so the tolerance widens to
 * three standard errors on small samples; otherwise the generator sets it by rounding, and one unit is the slack.
 *
 * @example
 * shareTarget(base, 90, 100, 0.9, 0.01, false).status; // 'pass'
 */
export function shareTarget(
  base: TargetBase,
  part: number,
  total: number,
  expected: number,
  minTolerance: number,
  sampled: boolean,
): TargetResult {
  if (total === 0) return { ...base, achieved: 'no data', value: null, tolerance: pp(minTolerance), status: 'n/a' };
  const value = part / total;
  const spread = sampled ? 3 * Math.sqrt((expected * (1 - expected)) / total) : 1 / total;
  const tolerance = Math.max(minTolerance, spread);
  return {
    ...base,
    achieved: `${pct(value)} (${formatCount(part)}/${formatCount(total)})`,
    value,
    tolerance: pp(tolerance),
    status: Math.abs(value - expected) <= tolerance + 1e-12 ? 'pass' : 'fail',
  };
}

/**
 * A tier mix judged by its largest deviation from the target.
 *
 * @example
 * mixTarget(base, { low: 60, medium: 25, high: 15 }, targets.tierMix, 0.01, 1).achieved; // '60/25/15%'
 */
export function mixTarget(
  base: TargetBase,
  counts: Record<RiskTier, number>,
  expected: Record<RiskTier, number>,
  minTolerance: number,
  units: number,
): TargetResult {
  const total = sum(riskTiers.map((tier) => counts[tier]));
  if (total === 0) return { ...base, achieved: 'no data', value: null, tolerance: pp(minTolerance), status: 'n/a' };
  const shares = Object.fromEntries(riskTiers.map((tier) => [tier, counts[tier] / total])) as Record<RiskTier, number>;
  const deviation = Math.max(...riskTiers.map((tier) => Math.abs(shares[tier] - expected[tier])));
  const tolerance = Math.max(minTolerance, units / total);
  return {
    ...base,
    achieved: `${mix(shares)}%`,
    value: deviation,
    tolerance: pp(tolerance),
    status: deviation <= tolerance + 1e-12 ? 'pass' : 'fail',
  };
}

/**
 * A "more per day here than there" comparison; n/a when either side has too few days in the range.
 *
 * @example
 * perDayTarget(base, { sessions: 500, days: 5 }, { sessions: 100, days: 2 }, 1, 'too short').status; // 'pass'
 */
export function perDayTarget(
  base: TargetBase,
  more: { sessions: number; days: number },
  fewer: { sessions: number; days: number },
  minDays: number,
  shortNote: string,
): TargetResult {
  if (more.days < minDays || fewer.days < minDays) {
    return {
      ...base,
      achieved: `${more.days} vs ${fewer.days} days`,
      value: null,
      tolerance: '-',
      status: 'n/a',
      note: shortNote,
    };
  }
  const a = more.sessions / more.days;
  const b = fewer.sessions / fewer.days;
  return {
    ...base,
    achieved: `${a.toFixed(1)} vs ${b.toFixed(1)} a day`,
    value: b > 0 ? a / b : null,
    tolerance: 'ratio > 1',
    status: a > b ? 'pass' : 'fail',
  };
}

/**
 * A size (tutors, sessions) met or not; only informative when the sizes were chosen on purpose.
 *
 * @example
 * sizeTarget(base, '100', 100, true, targets).status; // 'pass'
 */
export function sizeTarget(
  base: TargetBase,
  achieved: string,
  value: number,
  met: boolean,
  t: Pick<ReportTargets, 'sizesInformative'>,
): TargetResult {
  return {
    ...base,
    achieved,
    value,
    tolerance: '-',
    status: met ? 'pass' : t.sizesInformative ? 'info' : 'fail',
    ...(t.sizesInformative && !met ? { note: 'sizes chosen on purpose (not the defaults): informative only' } : {}),
  };
}
