import { createInterface } from 'node:readline';
import type { CommandIo } from './command';

/**
 * Asks a yes/no question on `io.stderr` and reads one line of `io.stdin`: true only for `y` or `yes` (any case).
 * End of input, or anything else, is a no. Callers ask only when `io.stdin.isTTY`: without a terminal there is no
 * one to answer, and commands refuse instead (see `--yes`).
 *
 * @example
 * if (!(await confirm(io, 'Delete the 3,420 rows of the database?'))) throw new Error('not confirmed');
 */
export async function confirm(io: Pick<CommandIo, 'stdin' | 'stderr'>, question: string): Promise<boolean> {
  const lines = createInterface({ input: io.stdin, terminal: false });
  try {
    io.stderr.write(`${question} [y/N] `);
    const answer = await new Promise<string | null>((resolve) => {
      lines.once('line', resolve);
      lines.once('close', () => resolve(null));
    });
    if (answer === null) io.stderr.write('\n');
    return /^\s*y(es)?\s*$/i.test(answer ?? '');
  } finally {
    lines.close();
  }
}
