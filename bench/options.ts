/** The command line of `npm run bench`. */

export type ScaleName = 'small' | 'medium' | 'large' | 'xl';
export type BenchBackend = 'pglite' | 'postgres';

export interface Scale {
  name: ScaleName;
  tutors: number;
  sessions: number;
}

export const scales: Record<ScaleName, Scale> = {
  small: { name: 'small', tutors: 100, sessions: 3_000 },
  medium: { name: 'medium', tutors: 2_000, sessions: 100_000 },
  large: { name: 'large', tutors: 10_000, sessions: 1_000_000 },
  /** Only when asked for (`--scales xl`, PostgreSQL): streamed, too large to hold in memory; see bench/xl-figure.ts. */
  xl: { name: 'xl', tutors: 50_000, sessions: 10_000_000 },
};

/** Runs per measurement and scale. Large measurements take tens of seconds each: fewer of them. */
export interface Runs {
  generate: number;
  /** Runs of the bare COPY floor and of insertDataset without the refresh (the ratio against COPY). */
  load: number;
  /** Runs of insertDataset as called by default, with the score refresh. */
  loadFull: number;
  drizzleSeed: number;
  score: number;
  perTutorLoop: number;
  fixture: number;
  fixtureScratch: number;
  /** Fresh processes per side of the import figures. */
  importCold: number;
}

/** A group of figures `--only` can pick. */
export type FigureGroup = 'import' | 'read-model' | 'data-dir' | 'generate-cli' | 'refresh' | 'load' | 'partitions';

export interface BenchOptions {
  scales: ScaleName[];
  backends: BenchBackend[];
  postgresUrl: string | undefined;
  runs: (scale: ScaleName) => Runs;
  quick: boolean;
  compare: string | undefined;
  /** Tutors timed one by one at the large scale; the per-tutor loop is extrapolated from them. */
  loopSample: number;
  /** Run drizzle-seed at the large scale too (about 3 minutes on 2 cores, so not by default). */
  drizzleSeedLarge: boolean;
  /** Run only this group of figures (`--only import`: the cold-import figures, no database). */
  only: FigureGroup | undefined;
  /** Timed refreshes of each database of the history figure (PostgreSQL only); 0 leaves the figure out. */
  historyRuns: number;
  /** The fleet counts' cost figures (four loads per scale and backend: minutes at the large scale); off with --no-fleet-count-cost. */
  fleetCountCost: boolean;
  /** Only the history figure, no scale. */
  historyOnly: boolean;
}

const defaultRuns: Record<ScaleName, Runs> = {
  small: { generate: 7, load: 9, loadFull: 5, drizzleSeed: 3, score: 9, perTutorLoop: 3, fixture: 10, fixtureScratch: 5, importCold: 9 },
  medium: { generate: 3, load: 3, loadFull: 3, drizzleSeed: 1, score: 5, perTutorLoop: 1, fixture: 10, fixtureScratch: 5, importCold: 9 },
  // A large load takes ~45 s and drizzle-seed ~200 s on 2 cores: the default run stays well under 15 minutes.
  large: { generate: 2, load: 2, loadFull: 3, drizzleSeed: 1, score: 3, perTutorLoop: 1, fixture: 10, fixtureScratch: 5, importCold: 9 },
  // One run of each side: about 10 minutes on 2 cores.
  xl: { generate: 1, load: 1, loadFull: 1, drizzleSeed: 0, score: 1, perTutorLoop: 1, fixture: 1, fixtureScratch: 1, importCold: 9 },
};

const quickRuns: Runs = {
  generate: 2,
  load: 2,
  loadFull: 1,
  drizzleSeed: 1,
  score: 3,
  perTutorLoop: 1,
  fixture: 5,
  fixtureScratch: 3,
  importCold: 5,
};

export const usage = `usage: npm run bench -- [options]

  --scales small,medium,large   scales to run (default: these three; large runs on PostgreSQL only)
  --scales xl                   50,000 tutors / 10,000,000 sessions on PostgreSQL: tqs-data generate (streamed) in a
                                process of its own vs bare COPY of the same rows; time, rows/s, peak RSS (~10 min)
  --backends pglite,postgres    backends (default: pglite, plus postgres when TQS_BENCH_DATABASE_URL is set)
  --runs N                      runs per measurement (default: 2-10 depending on measurement and scale)
  --quick                       small scale only (unless --scales), 1-5 runs per measurement
  --drizzle-seed-large          also time drizzle-seed at the large scale (about 3 more minutes on 2 cores)
  --only import                 only the cold-import figures (@tqs/data vs drizzle-orm, postgres, zod); needs dist/
  --only read-model             only the read-model figures (each scale loaded once with insertDataset, untimed)
  --only load                   only the load figures (bare COPY, insertDataset with and without the capture and the
                                rule, drizzle-seed) of each scale and backend
  --only data-dir               only a new PGlite data dir and first createTestDatabase calls (processes); needs dist/
  --only generate-cli           only tqs-data generate --database-url (dist/cli.js, a process of its own) vs psql \\copy
                                of the same rows, wall time and peak RSS, at each --scales (default large; PostgreSQL)
  --only refresh                only the score refresh figures (full and due refresh, recording cost, growth), each
                                scale loaded once with insertDataset, untimed
  --only partitions             only partitioned sessions vs the single table (0015 rolled back), in one run: load,
                                full and due refresh over 24 months, at each --scales and backend
  --history-only                only the history figure: full refresh with 900 vs 90 days of history (PostgreSQL)
  --no-history                  leave the history figure out (it runs whenever PostgreSQL does, ~1-2 minutes)
  --no-fleet-count-cost         leave out the fleet counts' cost figures (insertDataset and ingestSessions with and
                                without the counting triggers: four more loads per scale, ~8 minutes at large)
  --compare FILE                print the change of every figure against an earlier bench/results/*.json
  --help                        this text

PostgreSQL: TQS_BENCH_DATABASE_URL=postgres://user@host:5432/db. Every measurement runs in a scratch database
created next to that one and dropped afterwards.`;

export class UsageError extends Error {}

function list<T extends string>(flag: string, value: string | undefined, allowed: readonly T[]): T[] {
  if (!value) throw new UsageError(`${flag} needs a value (${allowed.join(',')})`);
  const items = value.split(',').map((s) => s.trim()).filter(Boolean);
  for (const item of items) {
    if (!allowed.includes(item as T)) throw new UsageError(`${flag}: unknown value '${item}' (${allowed.join(',')})`);
  }
  return [...new Set(items)] as T[];
}

/** Parses the arguments after `npm run bench --`; throws UsageError on anything it does not know. */
export function parseOptions(argv: string[], env: NodeJS.ProcessEnv): BenchOptions & { help: boolean } {
  let scaleList: ScaleName[] | undefined;
  let backendList: BenchBackend[] | undefined;
  let runs: number | undefined;
  let quick = false;
  let compare: string | undefined;
  let drizzleSeedLarge = false;
  let history = true;
  let fleetCountCost = true;
  let historyOnly = false;
  let help = false;
  let only: FigureGroup | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    const [flag, inline] = arg.startsWith('--') && arg.includes('=') ? arg.split(/=(.*)/s, 2) : [arg, undefined];
    const value = () => inline ?? argv[++i];
    switch (flag) {
      case '--scales':
        scaleList = list('--scales', value(), ['small', 'medium', 'large', 'xl'] as const);
        break;
      case '--backends':
        backendList = list('--backends', value(), ['pglite', 'postgres'] as const);
        break;
      case '--runs': {
        const raw = value();
        const n = Number(raw);
        if (!Number.isInteger(n) || n < 1) throw new UsageError(`--runs must be a whole number of at least 1 (got ${raw})`);
        runs = n;
        break;
      }
      case '--quick':
        quick = true;
        break;
      case '--drizzle-seed-large':
        drizzleSeedLarge = true;
        break;
      case '--history-only':
        historyOnly = true;
        break;
      case '--no-history':
        history = false;
        break;
      case '--no-fleet-count-cost':
        fleetCountCost = false;
        break;
      case '--compare':
        compare = value();
        if (!compare) throw new UsageError('--compare needs a results file');
        break;
      case '--only':
        [only] = list('--only', value(), ['import', 'read-model', 'data-dir', 'generate-cli', 'refresh', 'load', 'partitions'] as const);
        break;
      case '--help':
      case '-h':
        help = true;
        break;
      default:
        throw new UsageError(`unknown argument '${arg}'`);
    }
  }
  const postgresUrl = env.TQS_BENCH_DATABASE_URL || undefined;
  const backends = backendList ?? (postgresUrl ? ['pglite', 'postgres'] : ['pglite']);
  if (backends.includes('postgres') && !postgresUrl) {
    throw new UsageError('--backends postgres needs TQS_BENCH_DATABASE_URL (e.g. postgres://postgres@127.0.0.1:5432/test)');
  }
  if (historyOnly && !history) throw new UsageError('--history-only and --no-history contradict each other');
  if (historyOnly && !postgresUrl) throw new UsageError('--history-only needs TQS_BENCH_DATABASE_URL (the figure runs on PostgreSQL)');
  const order: ScaleName[] = ['small', 'medium', 'large', 'xl'];
  if (only === 'generate-cli' && !postgresUrl) throw new UsageError('--only generate-cli needs TQS_BENCH_DATABASE_URL (it loads PostgreSQL)');
  const chosen = scaleList ?? (only === 'generate-cli' ? ['large'] : quick ? ['small'] : ['small', 'medium', 'large']);
  if (chosen.includes('xl') && !postgresUrl) {
    throw new UsageError('--scales xl needs TQS_BENCH_DATABASE_URL (10 million sessions run on PostgreSQL only)');
  }
  return {
    scales: historyOnly ? [] : order.filter((s) => chosen.includes(s)),
    backends: (['pglite', 'postgres'] as const).filter((b) => backends.includes(b)),
    postgresUrl,
    runs: (scale) => {
      const base = quick ? quickRuns : defaultRuns[scale];
      if (runs === undefined) return base;
      return Object.fromEntries(Object.keys(base).map((k) => [k, runs])) as unknown as Runs;
    },
    quick,
    compare,
    loopSample: 1_000,
    drizzleSeedLarge,
    only,
    fleetCountCost,
    historyRuns: history && backends.includes('postgres') ? (runs ?? (quick ? 3 : 5)) : 0,
    historyOnly,
    help,
  };
}
