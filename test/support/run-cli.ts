import { Readable, Writable } from 'node:stream';
import { expect } from 'vitest';
import { runCli } from '../../src/cli/run';

/** What one CLI run printed, and its exit code. */
export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

function sink(): Writable & { text: string } {
  const stream = new Writable({
    write(chunk, _encoding, done) {
      stream.text += String(chunk);
      done();
    },
  }) as Writable & { text: string };
  stream.text = '';
  return stream;
}

/**
 * Runs the CLI in-process with captured io: `env` is its whole environment, `input` what the user types, `tty`
 * whether stdin is a terminal, `signal` what a SIGINT/SIGTERM would abort.
 */
export async function runCliCaptured(
  argv: string[],
  {
    env = {},
    tty = false,
    input = '',
    signal,
  }: { env?: NodeJS.ProcessEnv; tty?: boolean; input?: string; signal?: AbortSignal } = {},
): Promise<CliRun> {
  const stdout = sink();
  const stderr = sink();
  const stdin = Object.assign(Readable.from(input ? [input] : []), { isTTY: tty });
  const code = await runCli(argv, { stdout, stderr, stdin, env, ...(signal ? { signal } : {}) });
  return { code, stdout: stdout.text, stderr: stderr.text };
}

/** What `report --json` says of the database `target` names: enough to tell whether anything changed. */
export async function reportFingerprint(target: string[], env: NodeJS.ProcessEnv = {}) {
  const { code, stdout, stderr } = await runCliCaptured(['report', '--json', ...target], { env });
  expect(code, stderr).toBe(0);
  const report = JSON.parse(stdout);
  return { counts: report.counts, coverage: report.coverage, rates: report.rescheduleRates };
}
