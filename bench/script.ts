import { type BenchBackend, type Scale, type ScaleName, scales } from './options';

/*
 * What the stand-alone bench scripts (`npx tsx bench/<name>.ts`) share: their command-line settings and how they end.
 */

/** The settings of a breakdown script. */
export interface BreakdownOptions {
  scale: Scale;
  /** `--backend`; PostgreSQL by default when TQS_BENCH_DATABASE_URL is set, PGlite otherwise. */
  backend: BenchBackend;
  /** TQS_BENCH_DATABASE_URL, where scratch databases are created next to the one it names. */
  url: string | undefined;
  /** `--runs`: how many samples each median takes. */
  runs: number;
}

/**
 * Reads `--scale small|medium|large` (default medium), `--backend pglite|postgres` and `--runs N` from `argv`.
 *
 * @example
 * const { scale, backend, url, runs } = breakdownOptions(process.argv.slice(2), 5);
 */
export function breakdownOptions(argv: readonly string[], defaultRuns: number): BreakdownOptions {
  const value = (flag: string) => {
    const i = argv.indexOf(flag);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const scale = scales[(value('--scale') ?? 'medium') as ScaleName];
  if (!scale) throw new Error('--scale small|medium|large');
  const url = process.env.TQS_BENCH_DATABASE_URL || undefined;
  const backend = (value('--backend') ?? (url ? 'postgres' : 'pglite')) as BenchBackend;
  return { scale, backend, url, runs: Number(value('--runs') ?? defaultRuns) };
}

/**
 * Runs a script's `main`: its result becomes the exit code, and a failure is one line on stderr named after the script.
 *
 * @example
 * runScript('score-breakdown', main);
 */
export function runScript(name: string, main: () => Promise<number>): void {
  main().then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      process.stderr.write(`${name}: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exitCode = 1;
    },
  );
}
