import { formatCount } from '../util/format';
import type { HistogramBin } from './types';

/*
 * The drawing pieces of the text report: colours, word wrap, bar and hour charts, and a titled section.
 */

export const ansi = { green: '32', red: '31', yellow: '33', dim: '2', bold: '1', cyan: '36' } as const;
/** Styles text with an ANSI colour, or returns it unchanged when colours are off. */
export type Paint = (text: string, style: keyof typeof ansi) => string;

/** A share as a percentage, `-` for none. */
export const pct = (share: number | null, digits = 1) => (share === null ? '-' : `${(100 * share).toFixed(digits)}%`);
/** An instant as `YYYY-MM-DD HH:MM UTC`, `-` for none. */
export const when = (date: Date | null) => (date === null ? '-' : `${date.toISOString().slice(0, 16).replace('T', ' ')} UTC`);
/** A status as the mark shown in tables: PASS, FAIL, INFO, n/a. */
export const mark = (status: string) => (status === 'n/a' ? 'n/a' : status.toUpperCase());
const indent = (text: string) =>
  text
    .split('\n')
    .map((line) => (line ? `  ${line}` : line))
    .join('\n');

/**
 * Word-wraps `text` to `width` columns, every line after the first indented by `hang`.
 *
 * @example
 * wrap('[1] a long note', 8, '    '); // '[1] a\n    long\n    note'
 */
export function wrap(text: string, width: number, hang: string): string {
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

/**
 * Colours the PASS/FAIL/INFO/n/a mark at the end of each line of a rendered table.
 *
 * @example
 * paintMarks(renderTable(['check', 'result'], rows), paint);
 */
export function paintMarks(table: string, paint: Paint): string {
  const styles = { PASS: 'green', FAIL: 'red', INFO: 'yellow', 'n/a': 'dim' } as const;
  return table.replace(/(PASS|FAIL|INFO|n\/a)$/gm, (m) => paint(m, styles[m as keyof typeof styles]));
}

/** A horizontal bar of `value / max × width` columns, in eighths of a block. */
function hbar(value: number, max: number, width: number): string {
  if (max <= 0 || value <= 0) return '';
  const eighths = Math.max(1, Math.round((value / max) * width * 8));
  return '█'.repeat(Math.floor(eighths / 8)) + (eighths % 8 ? ' ▏▎▍▌▋▊▉'[eighths % 8] : '');
}

/**
 * Rows of `label  count  [extra]  bar`, the bars scaled so the longest fills what `width` leaves.
 *
 * @example
 * barChart([{ label: 'Mon', count: 500, extra: '100.0/day' }], 78, paint);
 */
export function barChart(bins: { label: string; count: number; extra?: string }[], width: number, paint: Paint): string {
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

/**
 * A column chart of the 24 hours, 8 rows high, each row in eighths of a block (▁▂▃▄▅▆▇█).
 *
 * @example
 * hourChart(report.hours, 78, paint);
 */
export function hourChart(bins: HistogramBin[], width: number, paint: Paint): string {
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

/**
 * A section: its title in bold (and a status beside it), then its body, indented.
 *
 * @example
 * section('Counts', table, paint); // 'Counts\n  table ...\n'
 */
export function section(title: string, body: string, paint: Paint, status?: string): string {
  const head = status ? `${paint(title, 'bold')}  ${status}` : paint(title, 'bold');
  return `${head}\n${indent(body.trimEnd())}\n`;
}


/**
 * A rate in percent with two decimals, as the scores store it; `-` for none.
 *
 * @example
 * rateText(38.1); // '38.10%'
 */
export const rateText = (rate: number | null) => (rate === null ? '-' : `${rate.toFixed(2)}%`);
