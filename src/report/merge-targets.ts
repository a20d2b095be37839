import { specTargets } from './targets';
import type { ReportTargets } from './types';

/**
 * `targets` merged over the spec's, object by object.
 *
 * @example
 * withSpecTargets({ peakShare: 0.5 }).tutors; // { min: 75, max: 100 }
 */
export function withSpecTargets(targets: Partial<ReportTargets> = {}): ReportTargets {
  return {
    ...specTargets,
    ...targets,
    tierRates: { ...specTargets.tierRates, ...targets.tierRates },
    busyMonths: [...(targets.busyMonths ?? specTargets.busyMonths)],
  } as ReportTargets;
}
