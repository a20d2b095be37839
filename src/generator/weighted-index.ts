import type { Prng } from './prng';

/**
 * A sampler over weighted choices: `pick(prng)` returns an index with probability proportional to its weight.
 * Built once per option, so the hot loops draw with one float and a short search, without closures per row.
 *
 * @example
 * const durations = new WeightedIndex([15, 20, 40, 15, 10]);
 * const minutes = [30, 45, 60, 90, 120][durations.pick(prng)];
 */
export class WeightedIndex {
  /** `cumulative[i]` is the sum of the weights before and including `i`. */
  private readonly cumulative: Float64Array;
  private readonly total: number;

  constructor(weights: readonly number[]) {
    this.cumulative = new Float64Array(weights.length);
    let sum = 0;
    for (let i = 0; i < weights.length; i++) {
      sum += weights[i]!;
      this.cumulative[i] = sum;
    }
    this.total = sum;
  }

  /** An index drawn with probability weight ÷ total weight; never an index whose weight is 0. */
  pick(prng: Prng): number {
    const u = prng.next() * this.total;
    const c = this.cumulative;
    let lo = 0;
    let hi = c.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (c[mid]! > u) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }
}
