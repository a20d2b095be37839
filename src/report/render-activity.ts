import { formatCount, renderTable } from '../util/format';
import type { SectionRenderer } from './render-sections';
import { barChart, rateText, section } from './text-charts';

/*
 * The text sections of what happened over time and why: the flagged tutors, the weekly fleet trend, reason codes and
 * lead times. The HTML report draws the same figures.
 */

/**
 * The flagged tutors by name, worst first.
 *
 * @example
 * highRiskTutors(report, { width: 80, paint: (text) => text });
 */
export const highRiskTutors: SectionRenderer = ({ highRiskTutors: tutors, highRisk }, { paint }) =>
  section(
    `High-risk tutors (worst ${formatCount(tutors.length)} of ${formatCount(highRisk.flagged)} flagged)`,
    tutors.length === 0
      ? 'none flagged'
      : renderTable(
          ['tutor', '7-day', '30-day', '90-day'],
          tutors.map((t) => [t.name, rateText(t.rate7d), rateText(t.rate30d), rateText(t.rate90d)]),
          { align: ['left', 'right', 'right', 'right'] },
        ),
    paint,
  );

/**
 * Sessions per week (the bars) with the tutor reschedules among them and their rate.
 *
 * @example
 * weeklyTrend(report, { width: 80, paint: (text) => text });
 */
export const weeklyTrend: SectionRenderer = (r, { paint, width }) => {
  const counts = r.weeklyTrend.map((w) => formatCount(w.tutorReschedules));
  const rates = r.weeklyTrend.map((w) => rateText(w.rate));
  const countWidth = Math.max(0, ...counts.map((c) => c.length));
  const rateWidth = Math.max(0, ...rates.map((c) => c.length));
  return section(
    `Sessions (bars) and tutor reschedules by week (weeks from Monday, ${r.timeZone})`,
    r.weeklyTrend.length === 0
      ? 'no sessions'
      : barChart(
          r.weeklyTrend.map((w, i) => ({
            label: w.week,
            count: w.sessions,
            extra: `${counts[i]!.padStart(countWidth)} by tutors ${rates[i]!.padStart(rateWidth)}`,
          })),
          width - 2,
          paint,
        ),
    paint,
  );
};

/**
 * Reschedules by reason code, most first.
 *
 * @example
 * reasonCodes(report, { width: 80, paint: (text) => text });
 */
export const reasonCodes: SectionRenderer = (r, { paint, width }) =>
  section(
    'Reschedules by reason code',
    r.reasonCodes.length === 0 ? 'no reschedules' : barChart(r.reasonCodes, width - 2, paint),
    paint,
  );

/**
 * Reschedules by how long before the session they came.
 *
 * @example
 * leadTimes(report, { width: 80, paint: (text) => text });
 */
export const leadTimes: SectionRenderer = (r, { paint, width }) =>
  section('Reschedules by lead time (before the session)', barChart(r.leadTimes, width - 2, paint), paint);
