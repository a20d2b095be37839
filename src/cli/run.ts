import { parseConnectionUrl } from '../db';
import { describeServerError, InvalidOptionError, lockTimeoutError, TqsError } from '../errors';
import { connectionLost, isSqlState } from '../util/error-chain';
import { packageVersion } from '../util/package-info';
import { type CommandIo, commandHelp, parseCommandArgs, UsageError } from './command';
import { commands } from './commands';

function mainHelp(): string {
  const width = Math.max(...commands.map((c) => c.name.length));
  return [
    'Usage: tqs-data <command> [options]',
    '',
    'The data layer of the Tutor Quality Scoring system: migrations, synthetic data, scores and reports, on an embedded',
    'PGlite database (.tqs/pglite) or on PostgreSQL (--database-url or $DATABASE_URL).',
    '',
    'Commands:',
    ...commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    "Run 'tqs-data <command> --help' for a command's options.",
    '',
  ].join('\n');
}

/**
 * Every secret the message could carry: passwords of the URLs the CLI was given, decoded and as written. A string that
 * does not parse is never quoted by the CLI (the parser's refusal shows it redacted), so only parsed ones are needed.
 */
function redactSecrets(message: string, env: NodeJS.ProcessEnv, argv: string[]): string {
  const secrets = new Set<string>();
  for (const candidate of [env.DATABASE_URL, ...argv]) {
    if (!candidate || !candidate.includes('@')) continue;
    try {
      const { password } = parseConnectionUrl(candidate.replace(/^--database-url=/, ''));
      if (password) secrets.add(password).add(encodeURIComponent(password));
    } catch {
      // not a connection string, or one refused before use
    }
  }
  let out = message;
  for (const secret of [...secrets].sort((a, b) => b.length - a.length)) out = out.split(secret).join('***');
  return out;
}

/**
 * The one line to print for a failure: drizzle's `Failed query: <sql>` gives way to the database's own reason, and a
 * lost connection is called that, with what it means for the data.
 */
function failureLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const cause = error instanceof Error && error.cause instanceof Error ? error.cause.message : undefined;
  const reason = message.startsWith('Failed query:') && cause ? cause : message;
  if (!(error instanceof TqsError) && connectionLost(error)) {
    return `the connection to the database was lost (${reason.split('\n')[0]}): what was committed before stays, the statement that was running was rolled back`;
  }
  return reason.split('\n')[0] ?? reason;
}

/**
 * Runs the CLI with `argv` (the arguments after `tqs-data`) and returns the exit code: 0 on success, 1 when the work
 * failed, 2 for bad arguments. Errors are printed as one line on stderr, never with a stack trace or a password
 * (set TQS_DEBUG=1 for the stack).
 */
export async function runCli(argv: string[], io: CommandIo): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    io.stdout.write(mainHelp());
    return name === undefined ? 2 : 0;
  }
  if (name === '--version' || name === '-v') {
    io.stdout.write(`${packageVersion()}\n`);
    return 0;
  }
  const command = commands.find((c) => c.name === name);
  try {
    if (!command) throw new UsageError(`unknown command '${name}' (commands: ${commands.map((c) => c.name).join(', ')})`);
    const options = parseCommandArgs(command, rest);
    if (options.help) {
      io.stdout.write(commandHelp(command));
      return 0;
    }
    const code = (await command.run(options, io)) ?? 0;
    if (io.signal?.aborted) {
      io.stderr.write(`tqs-data: stopped by ${String(io.signal.reason)} after '${command.name}' had finished; its work is kept\n`);
    }
    return code;
  } catch (caught) {
    // A lock wait past lock_timeout is reported as such (LOCK_TIMEOUT), whichever call waited.
    const error = lockTimeoutError(caught);
    // A refused option (a time zone the database does not know, ...) is a bad argument, found a little later.
    const usage = error instanceof UsageError || error instanceof InvalidOptionError;
    // A server error is shown as the server's message and what to do, never as drizzle's "Failed query: <SQL>".
    // Only for the driver's and drizzle's own errors: a command's message that names a cause stays as it is.
    const fromDriver = error instanceof Error && (isSqlState((error as { code?: unknown }).code) || error.message.startsWith('Failed query: '));
    const server = fromDriver && !connectionLost(error) ? describeServerError(error) : undefined;
    const message = server ?? failureLine(error);
    const code = error instanceof TqsError && !usage ? `${error.code}: ` : '';
    const hint = usage ? ` (see 'tqs-data ${command ? `${command.name} ` : ''}--help')` : '';
    io.stderr.write(`tqs-data: ${code}${redactSecrets(message, io.env, argv)}${hint}\n`);
    if (io.env.TQS_DEBUG && error instanceof Error && error.stack) {
      io.stderr.write(`${redactSecrets(error.stack, io.env, argv)}\n`);
    }
    return usage ? 2 : 1;
  }
}
