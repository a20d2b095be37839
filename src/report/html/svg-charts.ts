import { escapeHtml as esc } from './escape';

/*
 * The charts of the HTML report, drawn as inline SVG with no library: columns, horizontal bars, stacked bars and a
 * line chart. Every mark carries its value as text (a label and a <title>), and emphasis is a hatch pattern, never
 * colour alone, so a chart reads in grey on paper. Each mark has class `mark` and `data-value`, which the browser test
 * counts and reads.
 */

/**
 * One mark of a chart: its label, its value, how the value is written, and whether it is hatched.
 *
 * @example
 * const bin: ChartBin = { label: 'Mon', value: 496, text: '496' };
 */
export interface ChartBin {
  label: string;
  value: number;
  text: string;
  hatched?: boolean;
}

/**
 * What every chart has: an id (unique in the page), a title and a description read by screen readers.
 *
 * @example
 * const frame: ChartFrame = { id: 'weekdays', title: 'Sessions by weekday (UTC)', description: 'Mon 496, Tue 502, ...' };
 */
export interface ChartFrame {
  id: string;
  title: string;
  description: string;
}

const fmt = (x: number) => (Math.round(x * 10) / 10).toString();

/**
 * A round axis top at or above `max`, and its whole tick step (1, 2 or 5 times a power of ten, 4 to 5 ticks).
 *
 * @example
 * niceScale(383); // { top: 400, step: 100 }
 */
export function niceScale(max: number): { top: number; step: number } {
  if (max <= 0) return { top: 1, step: 1 };
  const raw = max / 4;
  const power = 10 ** Math.floor(Math.log10(raw));
  // Whole steps: every chart counts rows.
  const step = Math.max(1, [1, 2, 5, 10].map((m) => m * power).find((s) => s >= raw) ?? 10 * power);
  return { top: Math.ceil(max / step) * step, step };
}

/** The hatch and dot patterns of one chart, ids prefixed with the chart's so several charts never share one. */
const patterns = (id: string) =>
  `<defs><pattern id="${id}-hatch" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)">` +
  `<rect width="6" height="6" class="fill-hatch-bg"/><line x1="0" y1="0" x2="0" y2="6" class="hatch-line"/></pattern>` +
  `<pattern id="${id}-dots" width="5" height="5" patternUnits="userSpaceOnUse">` +
  `<rect width="5" height="5" class="fill-hatch-bg"/><circle cx="2.5" cy="2.5" r="1" class="dot"/></pattern></defs>`;

const open = (frame: ChartFrame, width: number, height: number, kind: string) =>
  `<svg id="${frame.id}" data-chart="${frame.id}" data-kind="${kind}" role="img" aria-labelledby="${frame.id}-title ${frame.id}-desc" ` +
  `viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" xmlns="http://www.w3.org/2000/svg">` +
  `<title id="${frame.id}-title">${esc(frame.title)}</title><desc id="${frame.id}-desc">${esc(frame.description)}</desc>${patterns(frame.id)}`;

/** Horizontal grid lines and their values along the left edge of a plot area. */
function yAxis(top: number, step: number, box: { x: number; y: number; w: number; h: number }): string {
  const lines: string[] = [];
  for (let v = 0; v <= top + step / 2; v += step) {
    const y = box.y + box.h - (v / top) * box.h;
    lines.push(
      `<line x1="${box.x}" x2="${box.x + box.w}" y1="${fmt(y)}" y2="${fmt(y)}" class="${v === 0 ? 'axis' : 'grid'}"/>` +
        `<text x="${box.x - 6}" y="${fmt(y + 4)}" class="tick" text-anchor="end">${esc(v.toLocaleString('en-US'))}</text>`,
    );
  }
  return `<g aria-hidden="true">${lines.join('')}</g>`;
}

/**
 * Options of {@link columnChart}: a marker drawn at a fractional position along the x axis, e.g. a threshold.
 *
 * @example
 * const options: ColumnChartOptions = { marker: { at: 1.5, label: 'threshold 15%' }, height: 260 };
 */
export interface ColumnChartOptions {
  /** A vertical rule at `at` (0 = left edge of the first column's band, n = right edge of the last) with a label. */
  marker?: { at: number; label: string };
  width?: number;
  height?: number;
}

/**
 * A column chart: one column per bin, its value written above it (turned upright when the columns are narrow).
 *
 * @example
 * columnChart({ id: 'weekdays', title: 'Sessions by weekday', description: '…' }, report.weekdays.map(...));
 */
export function columnChart(frame: ChartFrame, bins: readonly ChartBin[], options: ColumnChartOptions = {}): string {
  const width = options.width ?? 720;
  const height = options.height ?? 260;
  const box = { x: 56, y: 28, w: width - 64, h: height - 28 - 44 };
  const { top, step } = niceScale(Math.max(0, ...bins.map((b) => b.value)));
  const band = box.w / Math.max(1, bins.length);
  const narrow = band < 34;
  const marks = bins.map((b, i) => {
    const h = (b.value / top) * box.h;
    const x = box.x + i * band + band * 0.15;
    const y = box.y + box.h - h;
    const cx = x + band * 0.35;
    const label = narrow
      ? `<text x="${fmt(cx + 3)}" y="${fmt(y - 4)}" class="value" transform="rotate(-90 ${fmt(cx + 3)} ${fmt(y - 4)})">${esc(b.text)}</text>`
      : `<text x="${fmt(cx)}" y="${fmt(y - 5)}" class="value" text-anchor="middle">${esc(b.text)}</text>`;
    return (
      `<g><rect class="mark${b.hatched ? ' hatched' : ''}" data-label="${esc(b.label)}" data-value="${b.value}" x="${fmt(x)}" y="${fmt(y)}" ` +
      `width="${fmt(band * 0.7)}" height="${fmt(h)}"${b.hatched ? ` style="fill: url(#${frame.id}-hatch)"` : ''}>` +
      `<title>${esc(`${b.label}: ${b.text}`)}</title></rect>${label}` +
      `<text x="${fmt(cx)}" y="${fmt(box.y + box.h + 16)}" class="category" text-anchor="middle">${esc(b.label)}</text></g>`
    );
  });
  const marker = options.marker
    ? (() => {
        const x = fmt(box.x + options.marker.at * band);
        return (
          `<g class="marker"><line x1="${x}" x2="${x}" y1="${box.y - 14}" y2="${box.y + box.h}" class="threshold"/>` +
          `<text x="${x}" y="${box.y - 18}" class="threshold-label" text-anchor="middle">${esc(options.marker.label)}</text></g>`
        );
      })()
    : '';
  return `${open(frame, width, height, 'columns')}${yAxis(top, step, box)}${marks.join('')}${marker}</svg>`;
}

/**
 * A horizontal bar chart: a row per bin, label on the left, value written at the end of its bar.
 *
 * @example
 * barRows({ id: 'reason-codes', title: 'Reschedules by reason code', description: '…' }, report.reasonCodes.map(...));
 */
export function barRows(frame: ChartFrame, bins: readonly ChartBin[], width = 720): string {
  const row = 26;
  const labelWidth = Math.min(260, 16 + 7.2 * Math.max(4, ...bins.map((b) => b.label.length)));
  const barMax = width - labelWidth - 90;
  const max = Math.max(0, ...bins.map((b) => b.value));
  const height = 12 + row * bins.length;
  const marks = bins.map((b, i) => {
    const y = 6 + i * row;
    const w = max > 0 ? (b.value / max) * barMax : 0;
    return (
      `<g><text x="${fmt(labelWidth - 8)}" y="${y + 17}" class="category" text-anchor="end">${esc(b.label)}</text>` +
      `<rect class="mark${b.hatched ? ' hatched' : ''}" data-label="${esc(b.label)}" data-value="${b.value}" x="${fmt(labelWidth)}" y="${y + 4}" ` +
      `width="${fmt(w)}" height="${row - 8}"${b.hatched ? ` style="fill: url(#${frame.id}-hatch)"` : ''}><title>${esc(`${b.label}: ${b.text}`)}</title></rect>` +
      `<text x="${fmt(labelWidth + w + 6)}" y="${y + 17}" class="value">${esc(b.text)}</text></g>`
    );
  });
  return `${open(frame, width, height, 'bars')}${marks.join('')}</svg>`;
}

/**
 * One segment of a stacked bar: its value, and how it is filled (solid, hatched, dotted).
 *
 * @example
 * const segment: StackSegment = { label: 'flagged', value: 15, fill: 'hatch' };
 */
export interface StackSegment {
  label: string;
  value: number;
  fill: 'solid' | 'hatch' | 'dots';
}

/**
 * Horizontal stacked bars, one row per category, scaled to the largest row total; the counts of every row are
 * written after it, so no segment has to be told apart by its fill alone.
 *
 * @example
 * stackedRows(frame, [{ label: 'high', segments: [{ label: 'flagged', value: 15, fill: 'hatch' }] }]);
 */
export function stackedRows(
  frame: ChartFrame,
  rows: readonly { label: string; segments: readonly StackSegment[] }[],
  width = 720,
): string {
  const row = 30;
  const labelWidth = 90;
  const barMax = width - labelWidth - 290;
  const max = Math.max(0, ...rows.map((r) => r.segments.reduce((a, s) => a + s.value, 0)));
  const height = 12 + row * rows.length;
  const fills = { solid: '', hatch: ` style="fill: url(#${frame.id}-hatch)"`, dots: ` style="fill: url(#${frame.id}-dots)"` };
  const marks = rows.map((r, i) => {
    const y = 6 + i * row;
    let x = labelWidth;
    const segments = r.segments
      .filter((s) => s.value > 0)
      .map((s) => {
        const w = max > 0 ? (s.value / max) * barMax : 0;
        const rect =
          `<rect class="mark segment ${s.fill}" data-label="${esc(`${r.label} ${s.label}`)}" data-value="${s.value}" x="${fmt(x)}" y="${y + 4}" ` +
          `width="${fmt(w)}" height="${row - 8}"${fills[s.fill]}><title>${esc(`${r.label}, ${s.label}: ${s.value}`)}</title></rect>`;
        x += w;
        return rect;
      });
    const summary = r.segments.map((s) => `${s.label} ${s.value.toLocaleString('en-US')}`).join(' · ');
    return (
      `<g><text x="${labelWidth - 8}" y="${y + 20}" class="category" text-anchor="end">${esc(r.label)}</text>${segments.join('')}` +
      `<text x="${fmt(labelWidth + barMax + 8)}" y="${y + 20}" class="value">${esc(summary)}</text></g>`
    );
  });
  return `${open(frame, width, height, 'stacked')}${marks.join('')}</svg>`;
}

/**
 * One line of a line chart: its name, a value per x position, and how its points are drawn.
 *
 * @example
 * const series: LineSeries = { name: 'sessions', values: [240, 251, 238], style: 'circle' };
 */
export interface LineSeries {
  name: string;
  values: readonly number[];
  /** Circles on a solid line, or squares on a dashed one: the two series differ in shape as well as colour. */
  style: 'circle' | 'square';
}

/**
 * A line chart over evenly spaced x labels (weeks), one point per value and series, with a legend naming each
 * series by its line and marker.
 *
 * @example
 * lineChart(frame, weeks.map((w) => w.week), [{ name: 'sessions', values: weeks.map((w) => w.sessions), style: 'circle' }]);
 */
export function lineChart(frame: ChartFrame, labels: readonly string[], series: readonly LineSeries[], width = 720): string {
  const height = 300;
  const box = { x: 72, y: 36, w: width - 88, h: height - 36 - 64 };
  const { top, step } = niceScale(Math.max(0, ...series.flatMap((s) => s.values)));
  const dx = labels.length > 1 ? box.w / (labels.length - 1) : 0;
  const xAt = (i: number) => box.x + (labels.length > 1 ? i * dx : box.w / 2);
  const yAt = (v: number) => box.y + box.h - (v / top) * box.h;
  const every = Math.max(1, Math.ceil(labels.length / 14));
  const xLabels = labels.map((label, i) =>
    i % every === 0 || i === labels.length - 1
      ? `<text x="${fmt(xAt(i))}" y="${box.y + box.h + 14}" class="category" text-anchor="end" transform="rotate(-35 ${fmt(xAt(i))} ${box.y + box.h + 14})">${esc(label)}</text>`
      : '',
  );
  const lines = series.map((s) => {
    const points = s.values.map((v, i) => `${fmt(xAt(i))},${fmt(yAt(v))}`).join(' ');
    const marks = s.values.map((v, i) => {
      const x = xAt(i);
      const y = yAt(v);
      const title = `<title>${esc(`${labels[i] ?? ''}: ${v.toLocaleString('en-US')} ${s.name}`)}</title>`;
      const attrs = `class="mark point ${s.style}" data-series="${esc(s.name)}" data-label="${esc(labels[i] ?? '')}" data-value="${v}"`;
      return s.style === 'circle'
        ? `<circle ${attrs} cx="${fmt(x)}" cy="${fmt(y)}" r="4">${title}</circle>`
        : `<rect ${attrs} x="${fmt(x - 4)}" y="${fmt(y - 4)}" width="8" height="8">${title}</rect>`;
    });
    return `<g class="series ${s.style}"><polyline points="${points}" class="line ${s.style}"/>${marks.join('')}</g>`;
  });
  const legend = series.map((s, i) => {
    const x = box.x + i * 220;
    const marker =
      s.style === 'circle'
        ? `<circle cx="${x + 14}" cy="14" r="4" class="point circle"/>`
        : `<rect x="${x + 10}" y="10" width="8" height="8" class="point square"/>`;
    return `<g class="legend"><line x1="${x}" x2="${x + 28}" y1="14" y2="14" class="line ${s.style}"/>${marker}<text x="${x + 36}" y="18" class="category">${esc(s.name)}</text></g>`;
  });
  return `${open(frame, width, height, 'line')}${yAxis(top, step, box)}${xLabels.join('')}${lines.join('')}${legend.join('')}</svg>`;
}
