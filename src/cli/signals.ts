import { TqsError } from '../errors';

/** The exit status of a process stopped by a signal, as shells report it: 128 + the signal's number. */
const EXIT_STATUS: Record<StopSignal, number> = { SIGINT: 130, SIGTERM: 143 };

type StopSignal = 'SIGINT' | 'SIGTERM';

/**
 * The CLI was stopped by SIGINT or SIGTERM at a safe point: a load in progress was rolled back, nothing of it was
 * written, and the database was closed.
 *
 * @example
 * throw new InterruptedError('SIGINT'); // stopped by SIGINT: the load was rolled back, nothing was written
 */
export class InterruptedError extends TqsError<'INTERRUPTED'> {
  override name = 'InterruptedError';
  readonly signal: StopSignal;

  /** `outcome` says what became of the work; by default, a load's: rolled back, nothing written. */
  constructor(signal: StopSignal, outcome = 'the load was rolled back, nothing of it was written') {
    super('INTERRUPTED', `stopped by ${signal}: ${outcome}`);
    this.signal = signal;
  }
}

/** What {@link stopOnSignals} hands the CLI. */
export interface SignalStop {
  /** Aborted at the first SIGINT/SIGTERM, with the signal's name as reason. */
  readonly signal: AbortSignal;
  /** 130 or 143 once a signal came, else undefined. */
  exitStatus(): number | undefined;
  /** Restores the default handlers. */
  dispose(): void;
  /** Exits with `status` once stderr is flushed; a signal meanwhile exits with the same status, silently. */
  exit(status: number): void;
}

/**
 * Turns SIGINT and SIGTERM into a stop at the next safe point: the first one aborts `signal`, which a running load
 * checks between chunks of rows (it then rolls back and the command closes the database and prints one line); the
 * second one exits at once. That is safe too: JavaScript handles a signal only between two calls into PGlite or
 * between two socket reads, never in the middle of a write, and a transaction not committed is never kept.
 *
 * @example
 * const stop = stopOnSignals(process.stderr);
 * const code = await runCli(argv, { ...stdio, signal: stop.signal });
 * process.exitCode = stop.exitStatus() ?? code;
 */
export function stopOnSignals(stderr: NodeJS.WritableStream): SignalStop {
  const controller = new AbortController();
  let received: StopSignal | undefined;
  let exiting = false;
  const onSignal = (name: StopSignal) => {
    if (received === undefined) {
      received = name;
      controller.abort(name);
      return;
    }
    // Once the command has reported its stop and is exiting, another signal only hurries the same exit.
    if (exiting) process.exit(EXIT_STATUS[received]);
    stderr.write(`tqs-data: stopped at once by a second ${name}; no uncommitted row is kept\n`);
    process.exit(EXIT_STATUS[name]);
  };
  const onInt = () => onSignal('SIGINT');
  const onTerm = () => onSignal('SIGTERM');
  process.on('SIGINT', onInt);
  process.on('SIGTERM', onTerm);
  return {
    signal: controller.signal,
    exitStatus: () => (received ? EXIT_STATUS[received] : undefined),
    exit(status) {
      exiting = true;
      // The handlers stay until the process is gone: a signal in between must not kill it with its default action.
      stderr.write('', () => process.exit(status));
    },
    dispose() {
      process.off('SIGINT', onInt);
      process.off('SIGTERM', onTerm);
    },
  };
}

/**
 * Throws an {@link InterruptedError} when `signal` was aborted by {@link stopOnSignals}; a load's `onProgress` calls
 * it, so that the load stops and rolls back.
 *
 * @example
 * throwIfInterrupted(io.signal);
 */
export function throwIfInterrupted(signal: AbortSignal | undefined, outcome?: string): void {
  if (signal?.aborted) throw new InterruptedError(signal.reason === 'SIGTERM' ? 'SIGTERM' : 'SIGINT', outcome);
}
