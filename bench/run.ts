/**
 * `npm run bench`: the package's speed at three scales, each figure a median printed beside a floor measured in the
 * same run (the machine may be busy with other work, so only ratios carry over between runs).
 *
 *   npm run bench                                   # PGlite small + medium
 *   TQS_BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test npm run bench   # + PostgreSQL, all three scales
 *   npm run bench -- --quick                        # small scale, fewer runs
 *   npm run bench -- --only import                  # only the cold-import figures (a fresh node per sample)
 *   TQS_BENCH_DATABASE_URL=... npm run bench -- --only read-model --scales large --backends postgres
 *   TQS_BENCH_DATABASE_URL=... npm run bench -- --only refresh --scales medium,large --backends postgres --no-history
 *   npm run bench -- --drizzle-seed-large           # also drizzle-seed at 1M sessions (~3 more minutes)
 *   npm run bench -- --scales medium --backends postgres --runs 3 --compare bench/results/<earlier>.json
 *   TQS_BENCH_DATABASE_URL=... npm run bench -- --history-only   # the refresh with 900 vs 90 days of history
 *   TQS_BENCH_DATABASE_URL=... npm run bench -- --scales xl --no-history   # 10M sessions streamed vs bare COPY
 *   TQS_BENCH_DATABASE_URL=... npm run bench -- --only generate-cli --runs 3   # the CLI at 1M sessions vs psql \copy
 *
 * Progress goes to stderr; the final table to stdout; the results to bench/results/<ISO timestamp>.json (and .md).
 */
import { partitionFigures } from './partition-figures';
import { generateDataset, insertDataset, redactUrl } from '../src';
import type { Figure } from './figure';
import { dataDirFigures } from './data-dir-figures';
import { fixtureFigure } from './fixture-figure';
import { generateCliFigures } from './generate-cli-figure';
import { growthFigures, growthScales } from './growth-figures';
import { datasetOptions, generateFigure } from './generate-figure';
import { importFigures } from './import-figures';
import { ingestFigures } from './ingest-figure';
import { historyFigure } from './history-figure';
import { loadFigures } from './load-figures';
import { describeMachine, machineInfo } from './machine';
import { formatMs, progress } from './measure';
import { type BenchOptions, parseOptions, scales, usage, UsageError } from './options';
import { formatComparison, formatTable, writeResults } from './report';
import { fleetCountCostFigures } from './fleet-count-figures';
import { readModelFigures } from './read-model-figures';
import { recordingCost } from './recording-figures';
import { scoreFigures } from './score-figures';
import { xlFigures } from './xl-figure';
import { dropAllScratch, openScratch } from './scratch';

const PGLITE_LARGE =
  'PGlite: large scale (1,000,000 sessions) skipped. PGlite slows sharply past ~100k rows: a million sessions ' +
  'takes minutes to load and GBs of memory in its WebAssembly heap. The large scale runs on PostgreSQL ' +
  '(set TQS_BENCH_DATABASE_URL).';

function commandLine(argv: string[], options: BenchOptions): string {
  const env = options.postgresUrl ? `TQS_BENCH_DATABASE_URL=${redactUrl(options.postgresUrl)} ` : '';
  return `${env}npm run bench${argv.length > 0 ? ` -- ${argv.join(' ')}` : ''}`;
}

async function bench(argv: string[], options: BenchOptions): Promise<void> {
  const startedAt = new Date().toISOString();
  const machine = await machineInfo(options.postgresUrl);
  const notes: string[] = [];
  const figures: Figure[] = [];
  const command = commandLine(argv, options);
  process.stderr.write(`${command}\n${describeMachine(machine).join('\n')}\n`);
  const started = performance.now();
  // `--scales xl` alone measures the 10M load only: the cold-import and history figures belong to the other scales.
  const xlOnly = options.only === undefined && options.scales.length > 0 && options.scales.every((s) => s === 'xl');
  if (xlOnly) {
    notes.push('--scales xl alone: the cold-import and history figures are left out (run them without xl).');
  } else if (options.only === undefined || options.only === 'import') {
    progress('import: cold import of @tqs/data and of the production baseline');
    figures.push(...(await importFigures(options.runs('small').importCold)));
  }
  if (options.only === 'import') return finish({ startedAt, command, machine, notes, figures, started, options });
  if (options.only === 'data-dir' || (options.only === undefined && !xlOnly && options.backends.includes('pglite'))) {
    progress('data dir: a new PGlite data directory and first test databases, each in a process of its own');
    figures.push(...(await dataDirFigures(options.runs('small').fixtureScratch)));
    if (options.only === 'data-dir') return finish({ startedAt, command, machine, notes, figures, started, options });
  }
  if (options.only === 'generate-cli') {
    // Checked by parseOptions: PostgreSQL is set. xl has its own CLI figure (bench/xl-figure.ts).
    for (const scaleName of options.scales.filter((s) => s !== 'xl')) {
      progress(`generate cli ${scaleName}: tqs-data generate --database-url vs psql \\copy, each in a process of its own`);
      figures.push(...(await generateCliFigures(scales[scaleName], options.postgresUrl as string, options.runs(scaleName).loadFull)));
    }
    return finish({ startedAt, command, machine, notes, figures, started, options });
  }
  if (options.only === 'load') {
    for (const scaleName of options.scales.filter((s) => s !== 'xl')) {
      const scale = scales[scaleName];
      const runs = options.runs(scaleName);
      const generated = await generateFigure(scale, runs.generate);
      for (const backend of options.backends.filter((b) => !(b === 'pglite' && scaleName === 'large'))) {
        const load = await loadFigures(backend, scale, generated.dataset, runs, options.postgresUrl, generated.figure.median);
        figures.push(...load.figures);
        await load.loaded.close();
      }
    }
    return finish({ startedAt, command, machine, notes, figures, started, options });
  }
  if (options.only === 'read-model') {
    for (const scaleName of options.scales.filter((s) => s !== 'xl')) {
      const scale = scales[scaleName];
      const dataset = generateDataset(datasetOptions(scale));
      for (const backend of options.backends.filter((b) => !(b === 'pglite' && scaleName === 'large'))) {
        progress(`read model ${backend} ${scaleName}: loading ${scale.sessions.toLocaleString('en-US')} sessions (untimed)`);
        const loaded = await openScratch(backend, options.postgresUrl);
        try {
          await insertDataset(loaded.db, dataset);
          figures.push(...(await readModelFigures(backend, scale, loaded.db)));
          figures.push(...(await recordingCost(backend, scale, dataset, options.runs(scaleName), options.postgresUrl)));
        } finally {
          await loaded.close();
        }
        if (options.fleetCountCost) figures.push(...(await fleetCountCostFigures(backend, scale, dataset, options.postgresUrl)));
      }
    }
    return finish({ startedAt, command, machine, notes, figures, started, options });
  }
  if (options.only === 'partitions') {
    for (const scaleName of options.scales.filter((s) => s !== 'xl')) {
      for (const backend of options.backends.filter((b) => !(b === 'pglite' && scaleName === 'large'))) {
        figures.push(...(await partitionFigures(backend, scales[scaleName], options.postgresUrl)));
      }
    }
    return finish({ startedAt, command, machine, notes, figures, started, options });
  }
  if (options.only === 'refresh') {
    figures.push(...(await refreshOnlyFigures(options, notes)));
    return finish({ startedAt, command, machine, notes, figures, started, options });
  }
  process.stderr.write(`scales: ${options.scales.join(', ')}; backends: ${options.backends.join(', ')}\n`);
  if (options.backends.includes('pglite') && options.scales.includes('large')) {
    notes.push(PGLITE_LARGE);
    process.stderr.write(`${PGLITE_LARGE}\n`);
  }
  if (options.scales.includes('large') && options.backends.includes('postgres') && !options.drizzleSeedLarge) {
    const note =
      'drizzle-seed: not timed at the large scale (it takes about 3 minutes there on 2 cores); ' +
      'add --drizzle-seed-large to include it.';
    notes.push(note);
    process.stderr.write(`${note}\n`);
  }
  if (!options.postgresUrl) {
    const note = 'PostgreSQL: not measured (set TQS_BENCH_DATABASE_URL to include it).';
    notes.push(note);
    process.stderr.write(`${note}\n`);
  }

  for (const scaleName of growthScales(options.scales, notes)) {
    const scale = scales[scaleName];
    if (scaleName === 'xl') {
      // Checked by parseOptions: xl needs PostgreSQL.
      progress(`scale xl: ${scale.tutors.toLocaleString('en-US')} tutors, ${scale.sessions.toLocaleString('en-US')} sessions (streamed)`);
      figures.push(...(await xlFigures(scale, options.postgresUrl as string)));
      progress(`scale xl done (${formatMs(performance.now() - started)} so far)`);
      continue;
    }
    const base = options.runs(scaleName);
    const runs = scaleName === 'large' && !options.drizzleSeedLarge ? { ...base, drizzleSeed: 0 } : base;
    const backends = options.backends.filter((b) => !(b === 'pglite' && scaleName === 'large'));
    if (backends.length === 0) continue;
    progress(`scale ${scaleName}: ${scale.tutors.toLocaleString('en-US')} tutors, ${scale.sessions.toLocaleString('en-US')} sessions`);
    const generated = await generateFigure(scale, runs.generate);
    figures.push(generated.figure);
    for (const backend of backends) {
      const load = await loadFigures(
        backend,
        scale,
        generated.dataset,
        runs,
        options.postgresUrl,
        generated.figure.median,
      );
      figures.push(...load.figures);
      try {
        const score = await scoreFigures(backend, scale, load.loaded, generated.dataset, runs, options.loopSample);
        figures.push(...score.figures);
        figures.push(...(await readModelFigures(backend, scale, load.loaded.db)));
        figures.push(...(await recordingCost(backend, scale, generated.dataset, runs, options.postgresUrl)));
        if (options.fleetCountCost) figures.push(...(await fleetCountCostFigures(backend, scale, generated.dataset, options.postgresUrl)));
        if (scaleName !== 'small') {
          progress(`ingest ${backend} ${scaleName}: ingestSessions of 10,000 payloads, then the due refresh`);
          figures.push(...(await ingestFigures(backend, scale, load.loaded, generated.dataset, score.refreshSamples)));
        }
      } finally {
        await load.loaded.close();
      }
    }
    if (scaleName === 'small' && options.backends.includes('pglite')) figures.push(await fixtureFigure(runs));
    progress(`scale ${scaleName} done (${formatMs(performance.now() - started)} so far)`);
  }

  figures.push(...growthFigures(figures, options.backends));

  if (options.historyRuns > 0 && options.postgresUrl && !xlOnly) {
    progress('history: full refresh with 900 vs 90 days of history (PostgreSQL)');
    figures.push(await historyFigure(options.postgresUrl, options.historyRuns));
  }

  finish({ startedAt, command, machine, notes, figures, started, options });
}

/**
 * `--only refresh`: at each scale and backend, the dataset loaded once by insertDataset (untimed), then the score
 * figures (full refresh vs the bare aggregate, due refresh vs full), the recording cost of score history and risk
 * events, and the growth figures between scales: the rows of the refresh, side by side, without the load figures.
 */
async function refreshOnlyFigures(options: BenchOptions, notes: string[]): Promise<Figure[]> {
  const figures: Figure[] = [];
  for (const scaleName of growthScales(options.scales.filter((s) => s !== 'xl'), notes)) {
    const scale = scales[scaleName];
    const dataset = generateDataset(datasetOptions(scale));
    for (const backend of options.backends.filter((b) => !(b === 'pglite' && scaleName === 'large'))) {
      progress(`refresh ${backend} ${scaleName}: loading ${scale.sessions.toLocaleString('en-US')} sessions (untimed)`);
      const loaded = await openScratch(backend, options.postgresUrl);
      try {
        await insertDataset(loaded.db, dataset);
        const runs = options.runs(scaleName);
        const score = await scoreFigures(backend, scale, loaded, dataset, runs, options.loopSample);
        figures.push(...score.figures);
        figures.push(...(await recordingCost(backend, scale, dataset, runs, options.postgresUrl)));
      } finally {
        await loaded.close();
      }
    }
  }
  figures.push(...growthFigures(figures, options.backends));
  return figures;
}

/** Prints the table and the notes, and writes the results files. */
function finish(run: {
  startedAt: string;
  command: string;
  machine: Awaited<ReturnType<typeof machineInfo>>;
  notes: string[];
  figures: Figure[];
  started: number;
  options: BenchOptions;
}): void {
  const { startedAt, command, machine, notes, figures, started, options } = run;
  const table = formatTable(figures);
  process.stdout.write(`\n${table}\n\n`);
  for (const note of notes) process.stdout.write(`note: ${note}\n`);
  const file = writeResults({ startedAt, finishedAt: new Date().toISOString(), command, machine, notes, figures });
  process.stdout.write(`results written to ${file} (and the table as Markdown beside it)\n`);
  process.stdout.write(`total time: ${formatMs(performance.now() - started)}\n`);
  if (options.compare) process.stdout.write(`\n${formatComparison(options.compare, figures)}\n`);
}

async function main(): Promise<number> {
  const argv = process.argv.slice(2);
  let options: ReturnType<typeof parseOptions>;
  try {
    options = parseOptions(argv, process.env);
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(`bench: ${error.message}\n\n${usage}\n`);
      return 2;
    }
    throw error;
  }
  if (options.help) {
    process.stdout.write(`${usage}\n`);
    return 0;
  }
  const interrupted = () => {
    process.stderr.write('\nbench: interrupted, dropping scratch databases\n');
    void dropAllScratch().finally(() => process.exit(130));
  };
  process.once('SIGINT', interrupted);
  try {
    await bench(argv, options);
    return 0;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    process.stderr.write(`bench: ${options.postgresUrl ? message.split(options.postgresUrl).join(redactUrl(options.postgresUrl)) : message}\n`);
    if (error instanceof Error && error.stack && process.env.TQS_BENCH_DEBUG) process.stderr.write(`${error.stack}\n`);
    return 1;
  } finally {
    process.off('SIGINT', interrupted);
    await dropAllScratch();
  }
}

main().then((code) => {
  process.exitCode = code;
});
