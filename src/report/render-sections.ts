import { riskTiers } from '../domain/risk-tiers';
import { formatCount, renderTable } from '../util/format';
import { highRiskTutors, leadTimes, reasonCodes, weeklyTrend } from './render-activity';
import { barChart, hourChart, mark, type Paint, paintMarks, pct, section, when, wrap } from './text-charts';
import type { QualityReport } from './types';

/** How the report is drawn: the width it fits in and the colours. */
export interface View {
  width: number;
  paint: Paint;
}

/** One section of the text report. */
export type SectionRenderer = (report: QualityReport, view: View) => string;

/** `PASS (3 passed, ...)` beside a section's title. */
const verdict = (passed: boolean, paint: Paint, tally: string) =>
  `${paint(passed ? 'PASS' : 'FAIL', passed ? 'green' : 'red')} (${tally})`;

/**
 * What the report is of, in words: the source, the time zone, and where the scores come from.
 *
 * @example
 * reportSubject(report); // 'database, times in UTC, stored scores as of 2026-01-15 12:00 UTC'
 */
export function reportSubject(r: QualityReport): string {
  const rates = r.rescheduleRates;
  const scoresFrom =
    rates.source === 'stored'
      ? `stored scores as of ${when(rates.asOf)}${rates.mixedAsOf ? ' (latest of several)' : ''}`
      : `scores computed as of ${when(rates.asOf)}`;
  return `${r.source}, times in ${r.timeZone}, ${scoresFrom}`;
}

/** The title line. */
const header: SectionRenderer = (r, { paint }) => `${paint('Quality report', 'bold')}: ${reportSubject(r)}\n`;

/**
 * The rows of the counts table: table, rows, details.
 *
 * @example
 * countRows(report)[0]; // ['tutors', '100', '90 active']
 */
export function countRows(r: QualityReport): string[][] {
  const { counts: n, sessionsByStatus: st, reschedules: rs } = r;
  return [
    ['tutors', formatCount(n.tutors), `${formatCount(n.activeTutors)} active`],
    [
      'sessions',
      formatCount(n.sessions),
      `${formatCount(st.completed)} completed, ${formatCount(st.rescheduled)} rescheduled, ${formatCount(st.noShow)} no-show`,
    ],
    [
      'reschedules',
      formatCount(n.reschedules),
      `${formatCount(rs.tutorInitiated)} by tutors, ${formatCount(rs.studentInitiated)} by students; ${formatCount(rs.lastMinute)} last-minute, ${formatCount(rs.cancelled)} cancelled`,
    ],
    ['email_reports', formatCount(n.emailReports), ''],
    ...(n.tutorScores === null ? [] : [['tutor_scores', formatCount(n.tutorScores), '']]),
  ];
}

const counts: SectionRenderer = (r, { paint }) =>
  section('Counts', renderTable(['table', 'rows', 'details'], countRows(r), { align: ['left', 'right', 'left'] }), paint);

const coverage: SectionRenderer = ({ coverage: c }, { paint }) =>
  section(
    'Date coverage',
    [
      `first session  ${when(c.firstScheduled)}`,
      `last session   ${when(c.lastScheduled)}`,
      `days covered   ${formatCount(c.days)} local days (${formatCount(c.daysWithSessions)} with sessions)`,
    ].join('\n'),
    paint,
  );

const integrity: SectionRenderer = ({ integrity: { checks, passed: ok } }, { paint }) => {
  const passed = checks.filter((x) => x.status === 'pass').length;
  const failed = checks.filter((x) => x.status === 'fail').length;
  const table = renderTable(
    ['check', 'violations', 'result'],
    checks.map((x) => [x.description, x.violations === null ? '-' : formatCount(x.violations), mark(x.status)]),
    { align: ['left', 'right', 'left'] },
  );
  return section(
    'Integrity checks',
    paintMarks(table, paint).trimEnd(),
    paint,
    verdict(ok, paint, `${passed} passed${failed ? `, ${failed} failed` : ''}, ${checks.length - passed - failed} n/a`),
  );
};

/** The targets' table, with numbered notes under it. */
const targets: SectionRenderer = ({ targets: { results, passed } }, { paint, width }) => {
  const tally = (s: string) => results.filter((x) => x.status === s).length;
  const noted = results.filter((x) => x.note);
  const table = renderTable(
    ['', 'target', 'achieved', 'tolerance', 'result'],
    results.map((x) => [
      `${x.description}${x.note ? ` [${noted.indexOf(x) + 1}]` : ''}`,
      x.target,
      x.achieved,
      x.tolerance,
      mark(x.status),
    ]),
  );
  const notes = noted.map((x, i) => wrap(`[${i + 1}] ${x.description}: ${x.note}`, width - 2, '    '));
  return section(
    'Spec targets (§5.2)',
    [paintMarks(table, paint).trimEnd(), ...(notes.length ? ['', ...notes] : [])].join('\n'),
    paint,
    verdict(
      passed,
      paint,
      `${tally('pass')} passed, ${tally('fail')} failed, ${tally('info')} informative, ${tally('n/a')} n/a`,
    ),
  );
};

const rescheduleRates: SectionRenderer = ({ rescheduleRates: rates }, { paint, width }) =>
  section(
    `Reschedule rates, 90-day window (${rates.scored} tutors scored${rates.unscored ? `, ${rates.unscored} without a score` : ''})`,
    barChart(rates.bands, width - 2, paint),
    paint,
  );

const weekdays: SectionRenderer = (r, { paint, width }) =>
  section(
    `Sessions by weekday (${r.timeZone})`,
    barChart(
      r.weekdays.map((d) => ({ ...d, extra: d.perDay === null ? '-' : `${d.perDay.toFixed(1)}/day` })),
      width - 2,
      paint,
    ),
    paint,
  );

const hours: SectionRenderer = (r, { paint, width }) =>
  section(`Sessions by hour of day (${r.timeZone})`, hourChart(r.hours, width - 2, paint), paint);

const highRisk: SectionRenderer = ({ highRisk: { flagged, scored, threshold } }, { paint }) =>
  section(
    'High risk',
    `${formatCount(flagged)} of ${formatCount(scored)} scored tutors flagged (a rate above ${threshold === null ? '-' : `${threshold}%`})`,
    paint,
  );

/** The confusion table of intended tiers against flags and measured tiers, or why there is none. */
const groundTruth: SectionRenderer = ({ groundTruth: g }, { paint, width }) => {
  if (g === null) {
    return section(
      'Ground truth',
      wrap('unknown: the intended tiers are kept in the generated dataset, not in a table (known right after generating)', width - 2, ''),
      paint,
    );
  }
  const table = renderTable(
    ['intended', 'tutors', 'flagged', 'not flagged', 'no score', 'rate: low', 'medium', 'high', 'none'],
    riskTiers.map((tier) => {
      const a = g.byTier[tier];
      return [
        tier,
        formatCount(a.tutors),
        formatCount(a.flagged),
        formatCount(a.notFlagged),
        formatCount(a.unscored),
        formatCount(a.measured.low),
        formatCount(a.measured.medium),
        formatCount(a.measured.high),
        formatCount(a.measured.none),
      ];
    }),
    { align: ['left', 'right', 'right', 'right', 'right', 'right', 'right', 'right', 'right'] },
  );
  const fixed = (x: number | null) => (x === null ? '-' : x.toFixed(2));
  return section(
    'Ground truth: flags and 90-day rates vs intended tiers',
    [
      table.trimEnd(),
      '',
      wrap(
        `flagged vs intended high: precision ${fixed(g.precision)}, recall ${fixed(g.recall)}; ` +
          `tiers recovered by the 90-day rate: ${pct(g.tierAgreement)}`,
        width - 2,
        '',
      ),
      wrap(g.note, width - 2, ''),
    ].join('\n'),
    paint,
  );
};

/**
 * The sections of the text report, in order.
 *
 * @example
 * reportSections.map((render) => render(report, { width: 80, paint: (text) => text })).join('\n');
 */
export const reportSections: readonly SectionRenderer[] = [
  header,
  counts,
  coverage,
  integrity,
  targets,
  rescheduleRates,
  weekdays,
  hours,
  weeklyTrend,
  highRisk,
  highRiskTutors,
  groundTruth,
  reasonCodes,
  leadTimes,
];
