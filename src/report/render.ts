import { reportSections } from './render-sections';
import { ansi, type Paint } from './text-charts';
import type { QualityReport } from './types';

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
  return reportSections.map((render) => render(report, { width, paint })).join('\n');
}
