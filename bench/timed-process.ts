import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';

/** GNU time, for a child's peak RSS; without it the figure has no RSS. */
const TIME = '/usr/bin/time';

/** What {@link runTimed} saw of the child. */
export interface TimedRun {
  code: number | null;
  stdout: string;
  stderr: string;
  wallMs: number;
  /** Peak resident set size from GNU time, undefined where it is not installed. */
  maxRssBytes: number | undefined;
}

/**
 * Runs `node <args>` in a process of its own (under GNU time when installed) and returns its output, wall time and
 * peak RSS; `onStderr` sees the standard error as it comes (for progress lines).
 *
 * @example
 * const run = await runTimed(['--import', 'tsx', 'src/cli/main.ts', 'status']);
 */
export async function runTimed(args: string[], onStderr: (text: string) => void = () => {}): Promise<TimedRun> {
  const [command, argv] = existsSync(TIME) ? [TIME, ['-v', process.execPath, ...args]] : [process.execPath, args];
  const started = performance.now();
  const child = spawn(command, argv, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env } });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (text: string) => {
    stdout += text;
  });
  child.stderr.setEncoding('utf8').on('data', (text: string) => {
    stderr += text;
    onStderr(text);
  });
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  const wallMs = performance.now() - started;
  const rss = /Maximum resident set size \(kbytes\): (\d+)/.exec(stderr);
  return { code, stdout, stderr, wallMs, maxRssBytes: rss ? Number(rss[1]) * 1024 : undefined };
}
