import { formatCount } from '../util/format';
import { renderTable } from '../util/format';
import { riskTiers } from '../domain/risk-tiers';
import type { HistogramBin, QualityReport } from './types';

/**
 * Options of {@link renderQualityReport}.
 *
 * @example
 * const options: RenderQualityReportOptions = { color: process.stdout.isTTY, width: process.stdout.columns };
 */
export interface RenderQualityReportOptions {
  /** ANSI colours for the PASS/FAIL marks and the bars. Default false. */
  color?: boolean;
  /** The width the histograms are scaled to, in columns. Default 80 (at least 40 is used). */
  width?: number;
}

const ansi = { green: '32', red: '31', yellow: '33', dim: '2', bold: '1', cyan: '36' } as const;
type Paint = (text: string, style: keyof typeof ansi) => string;

const pct = (share: number | null, digits = 1) => (share === null ? '-' : `${(100 * share).toFixed(digits)}%`);
const when = (date: Date | null) => (date === null ? '-' : `${date.toISOString().slice(0, 16).replace('T', ' ')} UTC`);
const mark = (status: string) => (status === 'n/a' ? 'n/a' : status.toUpperCase());
const indent = (text: string) =>
  text
    .split('\n')
    .map((line) => (line ? `  ${line}` : line))
    .join('\n');

/** Word-wraps `text` to `width` columns, every line after the first indented by `hang`. */
function wrap(text: string, width: number, hang: string): string {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/)) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line);
      line = hang + word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) lines.push(line);
  return lines.join('\n');
}

/** Colours the PASS/FAIL/INFO/n/a mark at the end of each line of a rendered table. */
function paintMarks(table: string, paint: Paint): string {
  const styles = { PASS: 'green', FAIL: 'red', INFO: 'yellow', 'n/a': 'dim' } as const;
  return table.replace(/(PASS|FAIL|INFO|n\/a)$/gm, (m) => paint(m, styles[m as keyof typeof styles]));
}

/** A horizontal bar of `value / max × width` columns, in eighths of a block. */
function hbar(value: number, max: number, width: number): string {
  if (max <= 0 || value <= 0) return '';
  const eighths = Math.max(1, Math.round((value / max) * width * 8));
  return '█'.repeat(Math.floor(eighths / 8)) + (eighths % 8 ? ' ▏▎▍▌▋▊▉'[eighths % 8] : '');
}

/** Rows of `label  count  [extra]  bar`, the bars scaled so the longest fills what `width` leaves. */
function barChart(bins: { label: string; count: number; extra?: string }[], width: number, paint: Paint): string {
  const labelWidth = Math.max(...bins.map((b) => b.label.length));
  const countWidth = Math.max(...bins.map((b) => formatCount(b.count).length));
  const extraWidth = Math.max(0, ...bins.map((b) => b.extra?.length ?? 0));
  const barWidth = Math.max(10, width - 2 - labelWidth - countWidth - (extraWidth ? extraWidth + 2 : 0) - 4);
  const max = Math.max(...bins.map((b) => b.count));
  return bins
    .map((b) => {
      const extra = extraWidth ? `  ${(b.extra ?? '').padStart(extraWidth)}` : '';
      const bar = hbar(b.count, max, barWidth);
      return `${b.label.padEnd(labelWidth)}  ${formatCount(b.count).padStart(countWidth)}${extra}  ${bar ? paint(bar, 'cyan') : ''}`.trimEnd();
    })
    .join('\n');
}

/** A column chart of the 24 hours, 8 rows high, each row in eighths of a block (▁▂▃▄▅▆▇█). */
function hourChart(bins: HistogramBin[], width: number, paint: Paint): string {
  const height = 8;
  const column = Math.max(1, Math.min(3, Math.floor((width - 2) / bins.length)));
  const max = Math.max(...bins.map((b) => b.count));
  const levels = bins.map((b) => (max > 0 ? Math.round((b.count / max) * height * 8) : 0));
  const rows: string[] = [];
  for (let row = height - 1; row >= 0; row--) {
    const cells = levels.map((level) => {
      const fill = Math.max(0, Math.min(8, level - row * 8));
      const glyph = fill === 0 ? ' ' : ' ▁▂▃▄▅▆▇█'[fill]!;
      return glyph.repeat(Math.max(1, column - 1)).padEnd(column);
    });
    rows.push(paint(cells.join('').trimEnd(), 'cyan'));
  }
  const every = column >= 3 ? 1 : column === 2 ? 3 : 6;
  const labels = Array.from({ length: column * bins.length + 2 }, () => ' ');
  bins.forEach((b, i) => {
    if (i % every === 0) [...b.label].forEach((ch, k) => (labels[i * column + k] = ch));
  });
  rows.push(labels.join('').trimEnd());
  const peak = bins.reduce((best, b) => (b.count > best.count ? b : best), bins[0] ?? { label: '-', count: 0 });
  rows.unshift(`tallest: ${formatCount(max)} sessions at ${peak.label}:00`);
  return rows.join('\n');
}

function section(title: string, body: string, paint: Paint, status?: string): string {
  const head = status ? `${paint(title, 'bold')}  ${status}` : paint(title, 'bold');
  return `${head}\n${indent(body.trimEnd())}\n`;
}

/**
 * Renders a {@link QualityReport} as text for a terminal: sections with aligned tables, PASS/FAIL marks, and
 * histograms drawn with block characters scaled to `width`. `color` adds ANSI colours; leave it off for files and
 * pipes. For machines, use `JSON.stringify(report)` instead.
 *
 * @example
 * const report = await qualityReportFromDatabase(db);
 * process.stdout.write(renderQualityReport(report, { color: process.stdout.isTTY, width: process.stdout.columns }));
 */
export function renderQualityReport(report: QualityReport, options: RenderQualityReportOptions = {}): string {
  const width = Math.max(40, Math.floor(options.width ?? 80));
  const paint: Paint = options.color ? (text, style) => (text ? `\x1b[${ansi[style]}m${text}\x1b[0m` : text) : (text) => text;
  const r = report;
  const rates = r.rescheduleRates;
  const scoresFrom =
    rates.source === 'stored'
      ? `stored scores as of ${when(rates.asOf)}${rates.mixedAsOf ? ' (latest of several)' : ''}`
      : `scores computed as of ${when(rates.asOf)}`;
  const out: string[] = [
    `${paint('Quality report', 'bold')}: ${r.source}, times in ${r.timeZone}, ${scoresFrom}\n`,
  ];

  const { counts, sessionsByStatus: st, reschedules: rs } = r;
  const countRows: string[][] = [
    ['tutors', formatCount(counts.tutors), `${formatCount(counts.activeTutors)} active`],
    [
      'sessions',
      formatCount(counts.sessions),
      `${formatCount(st.completed)} completed, ${formatCount(st.rescheduled)} rescheduled, ${formatCount(st.noShow)} no-show`,
    ],
    [
      'reschedules',
      formatCount(counts.reschedules),
      `${formatCount(rs.tutorInitiated)} by tutors, ${formatCount(rs.studentInitiated)} by students; ${formatCount(rs.lastMinute)} last-minute, ${formatCount(rs.cancelled)} cancelled`,
    ],
    ['email_reports', formatCount(counts.emailReports), ''],
    ...(counts.tutorScores === null ? [] : [['tutor_scores', formatCount(counts.tutorScores), '']]),
  ];
  out.push(section('Counts', renderTable(['table', 'rows', 'details'], countRows, { align: ['left', 'right', 'left'] }), paint));

  const c = r.coverage;
  out.push(
    section(
      'Date coverage',
      [
        `first session  ${when(c.firstScheduled)}`,
        `last session   ${when(c.lastScheduled)}`,
        `days covered   ${formatCount(c.days)} local days (${formatCount(c.daysWithSessions)} with sessions)`,
      ].join('\n'),
      paint,
    ),
  );

  const checks = r.integrity.checks;
  const passed = checks.filter((x) => x.status === 'pass').length;
  const failed = checks.filter((x) => x.status === 'fail').length;
  const integrityTable = renderTable(
    ['check', 'violations', 'result'],
    checks.map((x) => [x.description, x.violations === null ? '-' : formatCount(x.violations), mark(x.status)]),
    { align: ['left', 'right', 'left'] },
  );
  out.push(
    section(
      'Integrity checks',
      paintMarks(integrityTable, paint).trimEnd(),
      paint,
      `${paint(r.integrity.passed ? 'PASS' : 'FAIL', r.integrity.passed ? 'green' : 'red')} (${passed} passed${failed ? `, ${failed} failed` : ''}, ${checks.length - passed - failed} n/a)`,
    ),
  );

  const results = r.targets.results;
  const tally = (s: string) => results.filter((x) => x.status === s).length;
  const noted = results.filter((x) => x.note);
  const targetTable = renderTable(
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
  out.push(
    section(
      'Spec targets (§5.2)',
      [paintMarks(targetTable, paint).trimEnd(), ...(notes.length ? ['', ...notes] : [])].join('\n'),
      paint,
      `${paint(r.targets.passed ? 'PASS' : 'FAIL', r.targets.passed ? 'green' : 'red')} (${tally('pass')} passed, ${tally('fail')} failed, ${tally('info')} informative, ${tally('n/a')} n/a)`,
    ),
  );

  out.push(
    section(
      `Reschedule rates, 90-day window (${rates.scored} tutors scored${rates.unscored ? `, ${rates.unscored} without a score` : ''})`,
      barChart(rates.bands, width - 2, paint),
      paint,
    ),
  );

  out.push(
    section(
      `Sessions by weekday (${r.timeZone})`,
      barChart(
        r.weekdays.map((d) => ({ ...d, extra: d.perDay === null ? '-' : `${d.perDay.toFixed(1)}/day` })),
        width - 2,
        paint,
      ),
      paint,
    ),
  );
  out.push(section(`Sessions by hour of day (${r.timeZone})`, hourChart(r.hours, width - 2, paint), paint));

  const { flagged, scored, threshold } = r.highRisk;
  out.push(
    section(
      'High risk',
      `${formatCount(flagged)} of ${formatCount(scored)} scored tutors flagged (a rate above ${threshold === null ? '-' : `${threshold}%`})`,
      paint,
    ),
  );

  const g = r.groundTruth;
  if (g === null) {
    out.push(
      section(
        'Ground truth',
        wrap('unknown: the intended tiers are kept in the generated dataset, not in a table (known right after generating)', width - 2, ''),
        paint,
      ),
    );
  } else {
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
    out.push(
      section(
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
      ),
    );
  }
  return out.join('\n');
}
