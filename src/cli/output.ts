import { type QualityReport, renderQualityReport } from '../report';
import type { CommandIo } from './command';

/**
 * Writes a quality report on stdout: rendered for people (coloured on a terminal unless NO_COLOR is set, histograms
 * as wide as the terminal), or as JSON with `json`: the report itself, or `{ ...envelope, report }` with an envelope.
 *
 * @example
 * writeReport(io, report, options.json === true);
 * writeReport(io, report, true, { generated: { seed: 42 } }); // {"generated": {...}, "report": {...}}
 */
export function writeReport(io: CommandIo, report: QualityReport, json: boolean, envelope?: object): void {
  if (json) {
    io.stdout.write(`${JSON.stringify(envelope ? { ...envelope, report } : report, null, 2)}\n`);
    return;
  }
  const color = io.stdout.isTTY === true && !io.env.NO_COLOR;
  io.stdout.write(renderQualityReport(report, { color, width: Math.min(io.stdout.columns ?? 80, 120) }));
}

/**
 * The line saying why a report fails verification, or undefined when every integrity check passed.
 *
 * @example
 * integrityFailure(report); // 'integrity checks failed: stored scores <> recomputation at as_of (1)'
 */
export function integrityFailure(report: QualityReport): string | undefined {
  const failed = report.integrity.checks.filter((c) => c.status === 'fail');
  if (failed.length === 0) return undefined;
  return `integrity checks failed: ${failed.map((c) => `${c.description} (${c.violations})`).join('; ')}`;
}
