import type { RateBand, RiskTier, TierRates } from './dataset';

/**
 * The risk tiers, from the lowest rates to the highest.
 *
 * @example
 * for (const tier of riskTiers) console.log(tier, defaultGenerateOptions.tierRates[tier]);
 */
export const riskTiers = ['low', 'medium', 'high'] as const satisfies readonly RiskTier[];

/**
 * The highest rate, in percent, of each risk category a score is put in: low up to 10 %, medium up
 * to 20 %, high above. `tutor_scores.risk_category` is derived from the highest of a score's rates with these bounds.
 *
 * @example
 * riskCategoryBounds.low; // 10
 */
export const riskCategoryBounds = { low: 10, medium: 20 } as const;

/**
 * The risk category of a score whose highest rate is `rate` (null when no window holds a session).
 *
 * @example
 * riskCategoryOf(10);    // 'low'
 * riskCategoryOf(10.01); // 'medium'
 * riskCategoryOf(null);  // null
 */
export function riskCategoryOf(rate: number | null): RiskTier | null {
  if (rate === null) return null;
  return rate <= riskCategoryBounds.low ? 'low' : rate <= riskCategoryBounds.medium ? 'medium' : 'high';
}

/**
 * The number of tutor-initiated reschedules among `sessions` sessions for a target rate: the nearest whole number,
 * moved into the band when some whole number lies in it (a band holds `(min, max]`, or `[0, max]` when min is 0).
 *
 * @example
 * rescheduleCount(15, 30, { min: 10, max: 20 });   // 5 (16.7 %)
 * rescheduleCount(10.2, 30, { min: 10, max: 20 }); // 4: 3 would be 10 %, outside (10, 20]
 */
export function rescheduleCount(targetRate: number, sessions: number, band: RateBand): number {
  if (sessions === 0) return 0;
  const k = Math.round((targetRate * sessions) / 100);
  // The bounds are checked with the very expression a rate is measured with, so rounding cannot put one outside.
  const rateOf = (count: number) => (100 * count) / sessions;
  let lowest = band.min === 0 ? 0 : Math.floor((band.min * sessions) / 100);
  while (band.min > 0 && rateOf(lowest) <= band.min) lowest++;
  let highest = Math.floor((band.max * sessions) / 100) + 1;
  while (highest > 0 && rateOf(highest) > band.max) highest--;
  if (lowest > highest) {
    // No whole count fits (the band falls between two neighbouring rates): the one nearer the target.
    return Math.abs(rateOf(lowest) - targetRate) < Math.abs(rateOf(highest) - targetRate) ? lowest : highest;
  }
  return Math.min(Math.max(k, lowest), highest);
}

/**
 * The tier whose band holds `rate` (percent), with the band semantics of {@link RateBand}: `(min, max]`, or
 * `[0, max]` when min is 0. A rate in `veryHighRate` counts as high. Undefined when no band holds it.
 *
 * @example
 * const { tierRates, veryHighRate } = defaultGenerateOptions;
 * tierForRate(10, tierRates);              // 'low'
 * tierForRate(10.01, tierRates);           // 'medium'
 * tierForRate(55, tierRates, veryHighRate); // 'high'
 */
export function tierForRate(rate: number, tierRates: TierRates, veryHighRate?: RateBand): RiskTier | undefined {
  const inBand = (band: RateBand) => (band.min === 0 ? rate >= 0 : rate > band.min) && rate <= band.max;
  for (const tier of riskTiers) if (inBand(tierRates[tier])) return tier;
  if (veryHighRate && inBand(veryHighRate)) return 'high';
  return undefined;
}
