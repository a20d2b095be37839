import { INSTANT_FORMATS, parseInstant } from '../domain';
import { isTimeZone } from '../domain/time';
import { parseArgs } from 'node:util';

/** One option of a command, as `util.parseArgs` takes it, with the text `--help` prints. */
export interface OptionSpec {
  type: 'string' | 'boolean';
  short?: string;
  /** The placeholder in `--help`, e.g. `N` for `--steps N`. */
  value?: string;
  description: string;
}

/** What a command writes to and reads from; tests hand in their own. */
export interface CommandIo {
  stdout: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
  stdin: NodeJS.ReadableStream & { isTTY?: boolean };
  env: NodeJS.ProcessEnv;
  /** Aborted when the user asks the CLI to stop (SIGINT/SIGTERM): a load then rolls back at its next chunk. */
  signal?: AbortSignal;
}

export type ParsedOptions = Record<string, string | boolean | undefined>;

/**
 * The `signal` option of a long library call, from `io`: SIGINT/SIGTERM abort it (its statement cancelled on the
 * server, its transaction rolled back).
 *
 * @example
 * await migrate(db, { ...signalOf(io) });
 */
export const signalOf = (io: Pick<CommandIo, 'signal'>): { signal?: AbortSignal } => (io.signal ? { signal: io.signal } : {});

/** A subcommand of `tqs-data`: a thin layer over the programmatic API. */
export interface Command {
  name: string;
  summary: string;
  /** Extra lines for `--help`, after the options. */
  details?: string;
  options: Record<string, OptionSpec>;
  /** The one argument it takes after its options, if any (e.g. `FILE`): given to `run` as `options[positional.name]`. */
  positional?: { name: string; description: string };
  /** Returns the exit code (0 when omitted). */
  run(options: ParsedOptions, io: CommandIo): Promise<number | void>;
}

/** Bad arguments: the CLI prints the message on one line and exits with code 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** The options every command that opens a database takes. */
export const databaseOptions: Record<string, OptionSpec> = {
  'database-url': {
    type: 'string',
    value: 'URL',
    description: 'PostgreSQL connection string (default: $DATABASE_URL, else the embedded PGlite database)',
  },
  'data-dir': {
    type: 'string',
    value: 'DIR',
    description: 'embedded PGlite data directory when no URL is given (default: .tqs/pglite)',
  },
  'socket-timeout': {
    type: 'string',
    value: 'S',
    description: 'PostgreSQL: fail when the server sends nothing for S seconds while a query waits (default 120)',
  },
  'lock-timeout': {
    type: 'string',
    value: 'S',
    description: "PostgreSQL: fail with LOCK_TIMEOUT when a statement waits S seconds for another session's lock (default 60; 0: the server's setting)",
  },
};

const helpOption: OptionSpec = { type: 'boolean', short: 'h', description: 'show this help' };

/** Parses a command's arguments; unknown flags and stray positionals are usage errors. */
export function parseCommandArgs(command: Command, argv: string[]): ParsedOptions {
  const options = { ...command.options, help: helpOption };
  try {
    const { values, positionals } = parseArgs({
      args: argv,
      options: Object.fromEntries(
        Object.entries(options).map(([name, spec]) => [
          name,
          { type: spec.type, ...(spec.short ? { short: spec.short } : {}) },
        ]),
      ),
      strict: true,
      allowPositionals: command.positional !== undefined,
    });
    if (command.positional === undefined || values.help === true) return values as ParsedOptions;
    if (positionals.length !== 1) {
      throw new UsageError(`${command.name} takes one ${command.positional.name} (got ${positionals.length})`);
    }
    return { ...values, [command.positional.name]: positionals[0] } as ParsedOptions;
  } catch (error) {
    // parseArgs' messages are long and mention internals; keep the part that names the argument.
    const message = error instanceof Error ? error.message.split('. ')[0] ?? error.message : String(error);
    throw new UsageError(message.replace(/^Unknown option/, 'unknown option'));
  }
}

/** The `--help` text of a command. */
export function commandHelp(command: Command): string {
  const rows = Object.entries({ ...command.options, help: helpOption }).map(([name, spec]) => {
    const flag = `${spec.short ? `-${spec.short}, ` : '    '}--${name}${spec.value ? ` ${spec.value}` : ''}`;
    return [flag, spec.description] as const;
  });
  const width = Math.max(...rows.map(([flag]) => flag.length));
  return [
    `Usage: tqs-data ${command.name} [options]${command.positional ? ` ${command.positional.name}` : ''}`,
    '',
    command.summary,
    '',
    ...(command.positional ? [`${command.positional.name}: ${command.positional.description}`, ''] : []),
    'Options:',
    ...rows.map(([flag, text]) => `  ${flag.padEnd(width)}  ${text}`),
    ...(command.details ? ['', command.details] : []),
    '',
  ].join('\n');
}

/**
 * Reads a whole-number option. Absent: `fallback`. Present but not a whole number within [min, max]: a usage error
 * naming the option and the value given.
 */
export function integerOption(
  options: ParsedOptions,
  name: string,
  fallback: number | undefined,
  { min = Number.MIN_SAFE_INTEGER, max = Number.MAX_SAFE_INTEGER }: { min?: number; max?: number } = {},
): number | undefined {
  const raw = options[name];
  if (raw === undefined) return fallback;
  // Not trimmed: '12\n' is not a number someone meant to type.
  const text = String(raw);
  // Digits only: every integer option is a count, a size or a seed, and '+5' or '-0' is a typo, not a number.
  const value = /^\d+$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `at least ${min}` : `from ${min} to ${max}`;
    throw new UsageError(`--${name} must be a whole number ${range} (got ${quoteValue(raw)})`);
  }
  return value;
}

/** Reads a decimal-number option within [min, max]. */
export function numberOption(
  options: ParsedOptions,
  name: string,
  fallback: number | undefined,
  { min = -Infinity, max = Infinity }: { min?: number; max?: number } = {},
): number | undefined {
  const raw = options[name];
  if (raw === undefined) return fallback;
  const text = String(raw);
  const value = /^[+-]?(\d+\.?\d*|\.\d+)$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isFinite(value) || value < min || value > max) {
    throw new UsageError(`--${name} must be a number from ${min} to ${max} (got ${quoteValue(raw)})`);
  }
  return value;
}

/** A value quoted in a one-line message: at most 60 characters, line breaks and control characters escaped. */
export function quoteValue(raw: unknown): string {
  const text = String(raw);
  const cut = text.length > 60 ? `${text.slice(0, 60)}… (${text.length} characters)` : text;
  return `'${JSON.stringify(cut).slice(1, -1).replace(/\\"/g, '"')}'`;
}

/**
 * Reads an ISO 8601 instant option: a real calendar date, or a date and time with its offset. `2026-02-30` or
 * `2026-01-15 jun` is a usage error naming the option, never moved to another day.
 *
 * @example
 * dateOption({ now: '2026-01-15T12:00:00Z' }, 'now'); // 2026-01-15T12:00:00.000Z
 * dateOption({ now: '2026-02-30' }, 'now');           // throws UsageError: --now: 2026-02 has 28 days ...
 */
export function dateOption(options: ParsedOptions, name: string): Date | undefined {
  const raw = options[name];
  if (raw === undefined) return undefined;
  const parsed = parseInstant(String(raw));
  const year = parsed.date?.getUTCFullYear();
  if (parsed.date && year !== undefined && year >= 1 && year <= 9999) return parsed.date;
  if (parsed.date) {
    throw new UsageError(
      `--${name} must lie between 0001-01-01 and 9999-12-31 UTC, the instants the package stores (got ${quoteValue(raw)}, in the year ${year} UTC)`,
    );
  }
  throw new UsageError(
    `--${name} must be an ISO 8601 date or instant that exists, ${INSTANT_FORMATS}, e.g. 2026-11-24T12:00:00Z: ${parsed.problem} (got ${quoteValue(raw)})`,
  );
}

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
  if (isTimeZone(raw)) return raw;
  throw new UsageError(`--time-zone must be an IANA time zone name such as Europe/Paris (got ${quoteValue(raw)})`);
}
