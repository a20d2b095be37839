import { assertDatabaseTimeZone } from '../../db';
import { qualityReportFromDatabase } from '../../report';
import { type Command, databaseOptions, dateOption, signalOf, timeZoneOption } from '../command';
import { htmlOption, htmlTarget, writeHtmlReport } from '../html-file';
import { integrityFailure, writeReport } from '../output';
import { resolveTarget, withMigratedTarget } from '../target';

/**
 * `tqs-data report`: {@link qualityReportFromDatabase}, rendered or as JSON.
 *
 * @example
 * await runCli(['report', '--json', '--time-zone', 'Europe/London'], io);
 * await runCli(['report', '--html', 'report.html'], io); // the text report, and the page of charts
 */
export const reportCommand: Command = {
  name: 'report',
  summary: 'Print the quality report of the database: counts, integrity checks, spec targets, histograms.',
  details: [
    'Reads only (creates nothing; a database with pending migrations is refused). Rates and flags come from tutor_scores as stored, or are computed as of --as-of (nothing is written).',
    'Exit code 1 when an integrity check fails (e.g. stored scores that no longer match the sessions: run',
    "'tqs-data score'). The intended risk tiers are known only right after generating: see 'tqs-data generate'.",
  ].join('\n'),
  options: {
    'as-of': { type: 'string', value: 'ISO', description: 'compute rates and flags as of this instant instead of reading tutor_scores' },
    'time-zone': { type: 'string', value: 'ZONE', description: 'IANA time zone of the weekday and hour histograms (default UTC)' },
    json: { type: 'boolean', description: 'print the report as JSON (dates as ISO 8601 strings)' },
    ...htmlOption,
    ...databaseOptions,
  },
  async run(options, io) {
    const asOf = dateOption(options, 'as-of');
    const timeZone = timeZoneOption(options);
    const html = htmlTarget(options);
    const report = await withMigratedTarget(resolveTarget(options, io.env), async (db) => {
      if (timeZone) await assertDatabaseTimeZone(db, timeZone, '--time-zone');
      return qualityReportFromDatabase(db, { ...(asOf ? { asOf } : {}), ...(timeZone ? { timeZone } : {}), ...signalOf(io) });
    });
    writeReport(io, report, options.json === true);
    if (html) writeHtmlReport(io, report, html, options.json === true);
    const failure = integrityFailure(report);
    if (failure) {
      io.stderr.write(`tqs-data: ${failure}\n`);
      return 1;
    }
    return 0;
  },
};
