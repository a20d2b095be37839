import { type QualityReport, qualityReportFromDatabase, renderQualityReport } from '../../report';
import { type Command, type CommandIo, databaseOptions, dateOption, type ParsedOptions, UsageError } from '../command';
import { resolveTarget, withTarget } from '../target';

/**
 * `--time-zone`: an IANA name the runtime knows, else a usage error.
 *
 * @example
 * timeZoneOption({ 'time-zone': 'Europe/Paris' }); // 'Europe/Paris'
 * timeZoneOption({ 'time-zone': 'Mars/Olympus' }); // throws UsageError
 */
export function timeZoneOption(options: ParsedOptions): string | undefined {
  const raw = options['time-zone'];
  if (raw === undefined) return undefined;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: String(raw) });
    return String(raw);
  } catch {
    throw new UsageError(`--time-zone must be an IANA time zone name such as Europe/Paris (got '${String(raw)}')`);
  }
}

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

/**
 * The SQLSTATE of a database error, looked up through its causes (Drizzle wraps the driver's error).
 *
 * @example
 * sqlStateOf(new Error('query failed', { cause: { code: '42P01' } })); // '42P01'
 */
export const sqlStateOf = (error: unknown): unknown =>
  error !== null && typeof error === 'object'
    ? ((error as { code?: unknown }).code ?? sqlStateOf((error as { cause?: unknown }).cause))
    : undefined;

/** PostgreSQL's SQLSTATE for "relation does not exist". */
const UNDEFINED_TABLE = '42P01';

/**
 * `tqs-data report`: {@link qualityReportFromDatabase}, rendered or as JSON.
 *
 * @example
 * await runCli(['report', '--json', '--time-zone', 'Europe/London'], io);
 */
export const reportCommand: Command = {
  name: 'report',
  summary: 'Print the quality report of the database: counts, integrity checks, spec targets, histograms.',
  details: [
    'Reads only. Rates and flags come from tutor_scores as stored, or are computed as of --as-of (nothing is written).',
    'Exit code 1 when an integrity check fails (e.g. stored scores that no longer match the sessions: run',
    "'tqs-data score'). The intended risk tiers are known only right after generating: see 'tqs-data generate'.",
  ].join('\n'),
  options: {
    'as-of': { type: 'string', value: 'ISO', description: 'compute rates and flags as of this instant instead of reading tutor_scores' },
    'time-zone': { type: 'string', value: 'ZONE', description: 'IANA time zone of the weekday and hour histograms (default UTC)' },
    json: { type: 'boolean', description: 'print the report as JSON (dates as ISO 8601 strings)' },
    ...databaseOptions,
  },
  async run(options, io) {
    const asOf = dateOption(options, 'as-of');
    const timeZone = timeZoneOption(options);
    const report = await withTarget(resolveTarget(options, io.env), (db) =>
      qualityReportFromDatabase(db, { ...(asOf ? { asOf } : {}), ...(timeZone ? { timeZone } : {}) }),
    ).catch((error: unknown) => {
      if (sqlStateOf(error) !== UNDEFINED_TABLE) throw error;
      throw new Error("the database has no tables yet: run 'tqs-data setup' (or 'tqs-data migrate') first", { cause: error });
    });
    writeReport(io, report, options.json === true);
    const failure = integrityFailure(report);
    if (failure) {
      io.stderr.write(`tqs-data: ${failure}\n`);
      return 1;
    }
    return 0;
  },
};
