import { riskTiers } from '../../domain/risk-tiers';
import { formatCount } from '../../util/format';
import { RATE_BAND_BOUNDS } from '../facts';
import { countRows, reportSubject } from '../render-sections';
import { mark, pct, rateText, when } from '../text-charts';
import type { HistogramBin, QualityReport, TargetStatus } from '../types';
import { escapeHtml as esc } from './escape';
import { REPORT_CSS } from './styles';
import { barRows, type ChartBin, type ChartFrame, columnChart, lineChart, stackedRows } from './svg-charts';

/*
 * The HTML report: one self-contained page (inline CSS and SVG, no script, no external resource) that shows the same
 * figures as the text report, written with the same formatting helpers so the two say the same numbers.
 */

/**
 * Options of {@link renderReportHtml}.
 *
 * @example
 * const options: RenderReportHtmlOptions = { title: 'Fixtures of the staging database' };
 */
export interface RenderReportHtmlOptions {
  /** The page's title and heading. Default `Quality report`. */
  title?: string;
}

type Cell = string | { html: string } | { num: string };

/** A table; cells are text, numbers (right-aligned) or trusted HTML. */
function table(id: string, headers: readonly Cell[], rows: readonly (readonly Cell[])[]): string {
  const cell = (c: Cell, tag: 'td' | 'th') =>
    typeof c === 'string'
      ? `<${tag}>${esc(c)}</${tag}>`
      : 'num' in c
        ? `<${tag} class="num">${esc(c.num)}</${tag}>`
        : `<${tag}>${c.html}</${tag}>`;
  return (
    `<table id="${id}"><thead><tr>${headers.map((h) => cell(h, 'th')).join('')}</tr></thead>` +
    `<tbody>${rows.map((r) => `<tr>${r.map((c) => cell(c, 'td')).join('')}</tr>`).join('')}</tbody></table>`
  );
}

/** A PASS/FAIL/INFO/n/a mark with a symbol, so it reads without its colour. */
const status = (s: TargetStatus): Cell => {
  const symbol = { pass: '✓', fail: '✗', info: 'ℹ', 'n/a': '–' }[s];
  return { html: `<span class="status ${s === 'n/a' ? 'na' : s}">${symbol} ${esc(mark(s))}</span>` };
};

const section = (id: string, title: string, body: string) =>
  `<section id="${id}" aria-labelledby="${id}-h"><h2 id="${id}-h">${esc(title)}</h2>${body}</section>`;

/** A chart's frame whose description is its figures in words: `Mon 496, Tue 502, ...`. */
const frameOf = (id: string, title: string, bins: readonly HistogramBin[], unit = ''): ChartFrame => ({
  id,
  title,
  description: bins.map((b) => `${b.label}${unit} ${formatCount(b.count)}`).join(', '),
});

/** The marks of a histogram, each count written as the text report writes it. */
const marksOf = (bins: readonly HistogramBin[], hatched: (index: number) => boolean = () => false): ChartBin[] =>
  bins.map((b, i) => ({ label: b.label, value: b.count, text: formatCount(b.count), hatched: hatched(i) }));

const figure = (svg: string, caption: string) => `<figure>${svg}<figcaption>${esc(caption)}</figcaption></figure>`;

function overview(r: QualityReport): string {
  const c = r.coverage;
  const rows = countRows(r).map(([name, n, details]) => [name!, { num: n! }, details!]);
  const counts = table('counts', ['table', { num: 'rows' }, 'details'], rows);
  const coverage = table('coverage', ['', ''], [
    ['first session', when(c.firstScheduled)],
    ['last session', when(c.lastScheduled)],
    ['days covered', `${formatCount(c.days)} local days (${formatCount(c.daysWithSessions)} with sessions)`],
  ]);
  return section('overview', 'Counts and coverage', `<div class="grid"><div>${counts}</div><div>${coverage}</div></div>`);
}

function targets(r: QualityReport): string {
  const { results, passed } = r.targets;
  const tally = (s: TargetStatus) => results.filter((x) => x.status === s).length;
  const rows = results.map((x) => [x.description, x.target, x.achieved, x.tolerance, status(x.status), x.note ?? '']);
  const verdict =
    `${passed ? 'PASS' : 'FAIL'} (${tally('pass')} passed, ${tally('fail')} failed, ` +
    `${tally('info')} informative, ${tally('n/a')} n/a)`;
  const headers = ['', 'target', 'achieved', 'tolerance', 'result', 'note'];
  return section(
    'targets',
    'Spec targets (§5.2): target beside achieved',
    `<p class="verdict">${esc(verdict)}</p>${table('targets-table', headers, rows)}`,
  );
}

function integrity(r: QualityReport): string {
  const { checks, passed } = r.integrity;
  const rows = checks.map((x) => [
    x.description,
    { num: x.violations === null ? '-' : formatCount(x.violations) },
    status(x.status),
  ]);
  const ok = checks.filter((x) => x.status === 'pass').length;
  const failed = checks.filter((x) => x.status === 'fail').length;
  const verdict = `${passed ? 'PASS' : 'FAIL'} (${ok} passed${failed ? `, ${failed} failed` : ''}, ${checks.length - ok - failed} n/a)`;
  return section(
    'integrity',
    'Integrity checks',
    `<p class="verdict">${esc(verdict)}</p>${table('integrity-table', ['check', { num: 'violations' }, 'result'], rows)}`,
  );
}

function calendar(r: QualityReport): string {
  const weekdaysTitle = `Sessions by weekday (${r.timeZone})`;
  const weekdays = columnChart(frameOf('weekdays', weekdaysTitle, r.weekdays), marksOf(r.weekdays), { height: 240 });
  const perDay = r.weekdays.map((d) => `${d.label} ${d.perDay === null ? '-' : `${d.perDay.toFixed(1)}/day`}`);
  const peak = r.hours.reduce((best, b) => (b.count > best.count ? b : best), r.hours[0] ?? { label: '-', count: 0 });
  const hoursTitle = `Sessions by hour of day (${r.timeZone})`;
  const hours = columnChart(frameOf('hours', hoursTitle, r.hours, ':00'), marksOf(r.hours));
  const tallest = `tallest: ${formatCount(peak.count)} sessions at ${peak.label}:00`;
  return (
    section('weekdays-section', weekdaysTitle, figure(weekdays, `Sessions per local day of the range: ${perDay.join(', ')}.`)) +
    section('hours-section', hoursTitle, figure(hours, `Local hour the session was scheduled at; ${tallest}.`))
  );
}

function trend(r: QualityReport): string {
  const weeks = r.weeklyTrend;
  if (weeks.length === 0) return section('trend', 'Sessions and tutor reschedules by week', '<p>No sessions.</p>');
  const title = `Sessions and tutor reschedules by week (weeks from Monday, ${r.timeZone})`;
  const description = `${weeks.length} weeks from ${weeks[0]!.week} to ${weeks.at(-1)!.week}`;
  const chart = lineChart(
    { id: 'weekly-trend', title, description },
    weeks.map((w) => w.week),
    [
      { name: 'sessions', values: weeks.map((w) => w.sessions), style: 'circle' },
      { name: 'tutor reschedules', values: weeks.map((w) => w.tutorReschedules), style: 'square' },
    ],
  );
  const rows = weeks.map((w) => [
    w.week,
    { num: formatCount(w.sessions) },
    { num: formatCount(w.tutorReschedules) },
    { num: rateText(w.rate) },
  ]);
  const caption =
    'Circles on a solid line: sessions; squares on a dashed line: tutor-initiated reschedules of those sessions. ' +
    'The first and last weeks may be partial.';
  return section(
    'trend',
    title,
    figure(chart, caption) +
      table('trend-table', ['week', { num: 'sessions' }, { num: 'by tutors' }, { num: 'rate' }], rows),
  );
}

function rates(r: QualityReport): string {
  const d = r.rescheduleRates;
  const bounds = [0, ...RATE_BAND_BOUNDS, 100]; // the last band, 60%+, drawn as ending at 100%
  const t = d.threshold;
  // The threshold's place on the x axis: inside the band holding it, in proportion to the band's range.
  const upper = t === null ? -1 : bounds.findIndex((bound, i) => i > 0 && t <= bound);
  const band = upper - 1;
  const at =
    t === null ? null : upper === -1 ? bounds.length - 1 : band + (t - bounds[band]!) / (bounds[upper]! - bounds[band]!);
  const aboveThreshold = (i: number) => t !== null && i < bounds.length - 1 && bounds[i]! >= t;
  const chart = columnChart(
    frameOf('rate-distribution', 'Tutors by 90-day reschedule rate', d.bands),
    marksOf(d.bands, aboveThreshold),
    { height: 260, ...(at === null ? {} : { marker: { at, label: `threshold ${t}%` } }) },
  );
  const unscored = d.unscored ? `, ${d.unscored} without a score` : '';
  const caption =
    'Hatched: bands wholly above the risk threshold (the dashed rule). ' +
    'A tutor is flagged when any of its 7-, 30- or 90-day rates is above it.';
  return section('rates', `Reschedule rates, 90-day window (${d.scored} tutors scored${unscored})`, figure(chart, caption));
}

function highRisk(r: QualityReport): string {
  const { flagged, scored, threshold } = r.highRisk;
  const above = threshold === null ? '-' : `${threshold}%`;
  const line = `${formatCount(flagged)} of ${formatCount(scored)} scored tutors flagged (a rate above ${above})`;
  const tutors = r.highRiskTutors;
  const list =
    tutors.length === 0
      ? '<p>None flagged.</p>'
      : `<h3>Worst ${formatCount(tutors.length)} of ${formatCount(flagged)} flagged</h3>` +
        table(
          'high-risk-table',
          ['tutor', { num: '7-day' }, { num: '30-day' }, { num: '90-day' }],
          tutors.map((x) => [x.name, ...[x.rate7d, x.rate30d, x.rate90d].map((rate) => ({ num: rateText(rate) }))]),
        );
  return section('high-risk', 'High-risk tutors', `<p id="high-risk-line">${esc(line)}</p>${list}`);
}

function groundTruth(r: QualityReport): string {
  const g = r.groundTruth;
  if (g === null) {
    const why = 'the intended tiers are kept in the generated dataset, not in a table (known right after generating)';
    return section('tiers', 'Risk tiers and the ground truth', `<p>Unknown: ${esc(why)}.</p>`);
  }
  const description = riskTiers.map((t) => `${t}: ${g.byTier[t].flagged} of ${g.byTier[t].tutors} flagged`).join(', ');
  const chart = stackedRows(
    { id: 'tiers-chart', title: 'Flags by intended risk tier', description },
    riskTiers.map((tier) => ({
      label: tier,
      segments: [
        { label: 'flagged', value: g.byTier[tier].flagged, fill: 'hatch' as const },
        { label: 'not flagged', value: g.byTier[tier].notFlagged, fill: 'solid' as const },
        { label: 'no score', value: g.byTier[tier].unscored, fill: 'dots' as const },
      ],
    })),
  );
  const rows = riskTiers.map((tier) => {
    const a = g.byTier[tier];
    const { low, medium, high, none } = a.measured;
    const counts = [a.tutors, a.flagged, a.notFlagged, a.unscored, low, medium, high, none];
    return [tier, ...counts.map((n) => ({ num: formatCount(n) }))];
  });
  const fixed = (x: number | null) => (x === null ? '-' : x.toFixed(2));
  const summary =
    `flagged vs intended high: precision ${fixed(g.precision)}, recall ${fixed(g.recall)}; ` +
    `tiers recovered by the 90-day rate: ${pct(g.tierAgreement)}`;
  const columns = ['tutors', 'flagged', 'not flagged', 'no score', 'rate: low', 'medium', 'high', 'none'];
  const caption = 'Each bar: the tutors the generator meant for that tier. Hatched: flagged; plain: not flagged; dotted: no score.';
  return section(
    'tiers',
    'Risk tiers: flags and 90-day rates vs intended tiers',
    figure(chart, caption) +
      table('tiers-table', ['intended', ...columns.map((h) => ({ num: h }))], rows) +
      `<p id="agreement">${esc(summary)}</p><p class="note">${esc(g.note)}</p>`,
  );
}

function reschedules(r: QualityReport): string {
  const reasons =
    r.reasonCodes.length === 0
      ? '<p>No reschedules.</p>'
      : barRows(frameOf('reason-codes', 'Reschedules by reason code', r.reasonCodes), marksOf(r.reasonCodes));
  const leads = barRows(
    frameOf('lead-times', 'Reschedules by lead time', r.leadTimes),
    marksOf(r.leadTimes, (i) => i === 0),
  );
  const caption = 'Hatched: last-minute (under 24 hours before the session).';
  return (
    section('reasons', 'Reschedules by reason code', reasons) +
    section('lead-times-section', 'Reschedules by lead time (before the session)', figure(leads, caption))
  );
}

/**
 * Renders a {@link QualityReport} as one self-contained HTML page: the spec's targets beside what was achieved,
 * sessions by weekday and hour, the reschedule-rate distribution with the threshold marked, risk tiers against the
 * ground truth, the high-risk tutors, the weekly fleet trend, reason codes and lead times. Charts are inline SVG with
 * their values written on them; the page has no script, loads nothing, and has a print stylesheet.
 *
 * @example
 * const report = await qualityReportFromDatabase(db);
 * writeFileSync('report.html', renderReportHtml(report));
 */
export function renderReportHtml(report: QualityReport, options: RenderReportHtmlOptions = {}): string {
  const title = options.title ?? 'Quality report';
  const body = [
    overview(report),
    targets(report),
    calendar(report),
    trend(report),
    rates(report),
    groundTruth(report),
    highRisk(report),
    reschedules(report),
    integrity(report),
  ].join('\n');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="tqs-data">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<title>${esc(title)}</title>
<style>${REPORT_CSS}</style>
</head>
<body>
<main>
<header><h1>${esc(title)}</h1><p class="subject" id="subject">${esc(reportSubject(report))}</p></header>
${body}
<footer>Written by tqs-data report --html. The text report (tqs-data report) shows the same figures.</footer>
</main>
</body>
</html>
`;
}
