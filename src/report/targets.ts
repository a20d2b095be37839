import { deepFreeze } from '../util/freeze';
import { defaultGenerateOptions } from '../domain/generate-options';
import type { GenerateOptions, ResolvedGenerateOptions } from '../domain/dataset';
import type { ReportTargets } from './types';

const d = defaultGenerateOptions;


const durationRange = (durations: readonly { minutes: number; weight: number }[]) => {
  const minutes = durations.filter((x) => x.weight > 0).map((x) => x.minutes);
  return { min: Math.min(...minutes), max: Math.max(...minutes) };
};

/**
 * The spec's targets (§5.2), as the quality report judges them. The generator's defaults realize them, apart from
 * the rescheduled share, which docs/design.md overrides (the risk tiers win). Frozen; spread it to change one.
 *
 * @example
 * qualityReportFromDatabase(db, { targets: { ...specTargets, peakShare: 0.5 } });
 */
export const specTargets: Readonly<ReportTargets> = deepFreeze({
  tutors: { min: 75, max: 100 },
  sessions: { min: 3000, days: 90 },
  sizesInformative: false,
  tierMix: { ...d.tierMix },
  tierRates: { low: { ...d.tierRates.low }, medium: { ...d.tierRates.medium }, high: { ...d.tierRates.high } },
  veryHighRate: { ...d.veryHighRate },
  veryHighShare: d.veryHighShare,
  activeShare: d.activeShare,
  rescheduledShare: 0.25,
  tutorInitiatedShare: d.tutorInitiatedShare,
  noShowShare: d.noShowShare,
  lastMinuteShare: d.lastMinuteShare,
  lastMinuteHours: d.lastMinuteHours,
  peakHours: { ...d.peakHours },
  peakShare: d.peakShare,
  busyMonths: [...d.busyMonths],
  durations: { min: 30, max: 120 },
});


/**
 * The targets a dataset generated with `options` should meet: the spec's, with every option the caller changed
 * taken as the target instead (a generation asked for 30% last-minute reschedules is judged against 30%). Sizes
 * (tutors, sessions, days) other than the defaults make the size targets informative.
 *
 * @example
 * const dataset = generateDataset({ now, tutors: 20, sessions: 400 });
 * reportTargets(dataset.options).sizesInformative; // true
 * await qualityReportFromDatabase(db, { targets: reportTargets(dataset.options), groundTruth: dataset.groundTruth });
 */
export function reportTargets(options: GenerateOptions | ResolvedGenerateOptions = {}): ReportTargets {
  const pick = <K extends keyof typeof d & keyof GenerateOptions>(key: K) =>
    (options[key] ?? d[key]) as (typeof d)[K];
  const sizesInformative = pick('tutors') !== d.tutors || pick('sessions') !== d.sessions || pick('days') !== d.days;
  const rates = options.tierRates ?? {};
  return {
    ...specTargets,
    sizesInformative,
    tierMix: { ...d.tierMix, ...options.tierMix },
    tierRates: {
      low: { ...d.tierRates.low, ...rates.low },
      medium: { ...d.tierRates.medium, ...rates.medium },
      high: { ...d.tierRates.high, ...rates.high },
    },
    veryHighRate: { ...d.veryHighRate, ...options.veryHighRate },
    veryHighShare: pick('veryHighShare'),
    activeShare: pick('activeShare'),
    tutorInitiatedShare: pick('tutorInitiatedShare'),
    noShowShare: pick('noShowShare'),
    lastMinuteShare: pick('lastMinuteShare'),
    lastMinuteHours: pick('lastMinuteHours'),
    peakHours: { ...d.peakHours, ...options.peakHours },
    peakShare: pick('peakShare'),
    busyMonths: [...pick('busyMonths')],
    durations: options.durations ? durationRange(options.durations) : { ...specTargets.durations },
  };
}
