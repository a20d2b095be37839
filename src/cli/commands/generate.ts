import { formatCount } from '../../util/format';
import { connectionLost } from '../../util/error-chain';
import { assertDatabaseTimeZone, countTableRows, type Database, migrate, migrationStatus, type TableCounts } from '../../db';
import { DestructiveOperationRefusedError } from '../../errors';
import { MAX_SEED, PGLITE_MAX_SESSIONS, type ResolvedGenerateOptions, resolveGenerateOptions } from '../../domain';
import type { Dataset, DatasetStream } from '../../records/dataset';
import type { TutorGroundTruth } from '../../domain/dataset';
import { generateDatasetStream } from '../../generator';
import { type InsertDatasetResult, insertDatasetStream } from '../../load';
import { qualityReportFromDatabase, reportTargets } from '../../report';
import {
  type Command,
  type CommandIo,
  databaseOptions,
  dateOption,
  integerOption,
  type OptionSpec,
  type ParsedOptions,
  timeZoneOption,
  UsageError,
} from '../command';
import { confirm } from '../confirm';
import { loadProgress } from '../progress';
import { describeTarget, resolveTarget, type Target, withTarget } from '../target';
import { integrityFailure, writeReport } from '../output';


/**
 * The options of `generate`, which `setup` takes too.
 *
 * @example
 * const options = { 'seed-data': { type: 'boolean', description: 'seed it' }, ...generateOptions };
 */
export const generateOptions: Record<string, OptionSpec> = {
  tutors: { type: 'string', value: 'N', description: 'number of tutors (default 100)' },
  sessions: { type: 'string', value: 'N', description: 'number of sessions (default 3000)' },
  days: { type: 'string', value: 'N', description: 'sessions lie in the N days before --now (default 90)' },
  'booked-days': { type: 'string', value: 'N', description: 'also book sessions (status scheduled) for the N days after --now, 0-366 (default 0)' },
  seed: { type: 'string', value: 'N', description: `seed of the generator, 0-${MAX_SEED} (default 42); ids derive from it` },
  now: { type: 'string', value: 'ISO', description: 'reference time, ISO 8601 (default: the clock)' },
  'time-zone': { type: 'string', value: 'ZONE', description: 'IANA time zone of weekdays and peak hours (default UTC)' },
  'clear-existing': { type: 'boolean', description: 'delete every row of the five tables first (asks on a terminal)' },
  yes: { type: 'boolean', description: 'with --clear-existing: do not ask, delete' },
  json: { type: 'boolean', description: 'print the summary and the report as JSON' },
};

/** The generator's option names, mapped to the flags that set them, so that its errors name the flag. */
const flagOf: Record<string, string> = {
  tutors: '--tutors',
  sessions: '--sessions',
  days: '--days',
  bookedDays: '--booked-days',
  seed: '--seed',
  now: '--now',
  timeZone: '--time-zone',
};

/**
 * Reads and checks the generation flags, before any database is opened: a bad value is a usage error naming its flag
 * (the generator's own RangeError/TypeError, which names the option, is turned into one).
 *
 * @example
 * parseGenerateFlags({ tutors: '20', sessions: '400' }).tutors; // 20
 * parseGenerateFlags({ days: '20000' }); // throws UsageError('--days must be an integer from 1 to 10000 (got 20000)')
 */
export function parseGenerateFlags(options: ParsedOptions): ResolvedGenerateOptions {
  const tutors = integerOption(options, 'tutors', undefined, { min: 0 });
  const sessions = integerOption(options, 'sessions', undefined, { min: 0 });
  const days = integerOption(options, 'days', undefined, { min: 1 });
  const bookedDays = integerOption(options, 'booked-days', undefined, { min: 0, max: 366 });
  const seed = integerOption(options, 'seed', undefined, { min: 0, max: MAX_SEED });
  const timeZone = timeZoneOption(options);
  const now = dateOption(options, 'now') ?? new Date();
  try {
    return resolveGenerateOptions(
      {
        ...(tutors !== undefined ? { tutors } : {}),
        ...(sessions !== undefined ? { sessions } : {}),
        ...(days !== undefined ? { days } : {}),
        ...(bookedDays !== undefined ? { bookedDays } : {}),
        ...(seed !== undefined ? { seed } : {}),
        ...(timeZone !== undefined ? { timeZone } : {}),
      },
      now,
      // The CLI generates as it loads (generateDatasetStream): only the tutors need to fit in memory at once.
      { streaming: true },
    );
  } catch (error) {
    const option = (error as { option?: unknown }).option;
    if ((error instanceof RangeError || error instanceof TypeError) && typeof option === 'string') {
      const flag = flagOf[option.split(/[.[]/)[0] ?? option] ?? option;
      throw new UsageError(error.message.replace(/^generateDataset: option '[^']*'/, flag));
    }
    throw error;
  }
}

/**
 * With `--time-zone`: refuses a zone the database does not know, before anything is written (see
 * assertDatabaseTimeZone).
 *
 * @example
 * await checkTimeZone(db, { 'time-zone': 'US/Pacific-New' }); // throws InvalidOptionError naming --time-zone
 */
export async function checkTimeZone(db: Database, options: ParsedOptions): Promise<void> {
  const zone = options['time-zone'];
  if (typeof zone === 'string') await assertDatabaseTimeZone(db, zone, '--time-zone');
}

/**
 * Refuses, before the database is opened, more sessions than the target's backend is documented to take: the
 * embedded PGlite database stops at {@link PGLITE_MAX_SESSIONS} (the library refuses it too; this says it in the CLI's
 * words, before the database is opened).
 *
 * @example
 * checkTargetSize({ kind: 'pglite', dataDir: '.tqs/pglite' }, parseGenerateFlags({ sessions: '500000' })); // throws
 */
export function checkTargetSize(target: Target, resolved: ResolvedGenerateOptions): void {
  if (target.kind !== 'pglite' || resolved.sessions <= PGLITE_MAX_SESSIONS) return;
  throw new UsageError(
    `--sessions ${formatCount(resolved.sessions)} is above the embedded PGlite database's limit of ` +
      `${formatCount(PGLITE_MAX_SESSIONS)} sessions (it slows sharply past it): load it into PostgreSQL with --database-url`,
  );
}

/** Each table's SQL name, in the order the CLI prints them. */
const tableNames: Record<keyof TableCounts, string> = {
  tutors: 'tutors',
  sessions: 'sessions',
  reschedules: 'reschedules',
  emailReports: 'email_reports',
  tutorScores: 'tutor_scores',
};

/**
 * Rows per table, from one statement: their sum, a sentence naming the non-empty tables, and the sessions.
 *
 * @example
 * await countRows(db); // { total: 533, text: '533 rows (tutors 20, sessions 400, ...)', sessions: 400 }
 */
export async function countRows(db: Database): Promise<{ total: number; text: string; sessions: number }> {
  const counts = await countTableRows(db);
  const entries = Object.entries(tableNames).map(([key, table]) => [table, counts[key as keyof TableCounts]] as const);
  const total = entries.reduce((sum, [, n]) => sum + n, 0);
  const text = `${formatCount(total)} row${total === 1 ? '' : 's'} (${entries
    .filter(([, n]) => n > 0)
    .map(([table, n]) => `${table} ${formatCount(n)}`)
    .join(', ')})`;
  return { total, text, sessions: entries.find(([table]) => table === 'sessions')?.[1] ?? 0 };
}

/**
 * With `--clear-existing` on a database that holds rows: goes on with `--yes`, asks on a terminal, and refuses
 * otherwise. Refusing throws, so nothing is changed: call it before changing anything, migrations included.
 *
 * @example
 * await confirmClear(io, options, await countRows(db)); // throws DestructiveOperationRefusedError when refused
 */
export async function confirmClear(
  io: CommandIo,
  options: ParsedOptions,
  { total, text: rows }: { total: number; text: string },
): Promise<void> {
  if (options['clear-existing'] !== true || total === 0 || options.yes === true) return;
  if (io.stdin.isTTY !== true) {
    throw new DestructiveOperationRefusedError(
      `the database holds ${rows}; --clear-existing would delete them all, and there is no terminal to ask: ` +
        'add --yes to confirm. Nothing was changed.',
    );
  }
  if (!(await confirm(io, `The database holds ${rows}. Delete them all and load a new dataset?`))) {
    throw new DestructiveOperationRefusedError('not confirmed: nothing was changed');
  }
}

/**
 * What {@link generateInto} did: the options and ground truth of the dataset (its rows went to the database as they
 * were made), the load, and the time spent generating (inside the generator, interleaved with the load).
 *
 * @example
 * const { dataset, load }: GenerateOutcome = await generateInto(db, io, options, resolved, rows);
 */
export interface GenerateOutcome {
  dataset: Pick<Dataset, 'options' | 'groundTruth'>;
  load: InsertDatasetResult;
  generateMs: number;
}

/**
 * The chunks of `stream`, timing the generator and keeping the ground truth (one entry per tutor) as they pass.
 */
function observe(stream: DatasetStream): { stream: DatasetStream; groundTruth: TutorGroundTruth[]; ms: () => number } {
  const groundTruth: TutorGroundTruth[] = [];
  let ms = 0;
  const observed: DatasetStream = {
    options: stream.options,
    *[Symbol.iterator]() {
      const iterator = stream[Symbol.iterator]();
      for (;;) {
        const started = performance.now();
        const next = iterator.next();
        ms += performance.now() - started;
        if (next.done === true) return;
        for (const truth of next.value.groundTruth) groundTruth.push(truth);
        yield next.value;
      }
    },
  };
  return { stream: observed, groundTruth, ms: () => Math.round(ms) };
}

/**
 * Generates a dataset with `resolved` and loads it into `db` as it is generated, chunk by chunk (one transaction,
 * scores refreshed; see insertDatasetStream), with progress on stderr; `--clear-existing` replaces the rows there.
 * The caller has confirmed that first (see confirmClear).
 *
 * @example
 * await confirmClear(io, options, await countRows(db));
 * const outcome = await generateInto(db, io, { 'clear-existing': true, yes: true }, parseGenerateFlags({}));
 */
export async function generateInto(
  db: Database,
  io: CommandIo,
  options: ParsedOptions,
  resolved: ResolvedGenerateOptions,
): Promise<GenerateOutcome> {
  const clearExisting = options['clear-existing'] === true;
  const { stream, groundTruth, ms } = observe(generateDatasetStream(resolved));
  const load = await insertDatasetStream(db, stream, { clearExisting, onProgress: loadProgress(io) });
  return { dataset: { options: stream.options, groundTruth }, load, generateMs: ms() };
}

/**
 * Runs what follows a committed load (the report). Should the connection be lost there, the data is in: says so on
 * one line ("committed; the connection was lost afterwards") and returns undefined, so the command exits 0.
 *
 * @example
 * const report = await afterCommit(io, target, outcome, () => reportAfterGenerate(db, outcome.dataset));
 */
export async function afterCommit<T>(
  io: CommandIo,
  target: Target,
  outcome: GenerateOutcome,
  next: () => Promise<T>,
): Promise<T | undefined> {
  try {
    return await next();
  } catch (error) {
    if (!connectionLost(error)) throw error;
    const { rows } = outcome.load;
    io.stderr.write(
      `tqs-data: committed; the connection was lost afterwards: ${formatCount(rows.tutors)} tutors and ` +
        `${formatCount(rows.sessions)} sessions are in ${describeTarget(target)}, scored; the report was not printed ` +
        "(run 'tqs-data report')\n",
    );
    return undefined;
  }
}

/**
 * The summary lines of a generation, for people.
 *
 * @example
 * io.stdout.write(summarize(target, outcome)); // generated 100 tutors, 3,000 sessions, ... loaded into ... in 827 ms
 */
export function summarize(target: Target, { dataset, load, generateMs }: GenerateOutcome): string {
  const o = dataset.options;
  return [
    `generated ${formatCount(load.rows.tutors)} tutors, ${formatCount(load.rows.sessions)} sessions, ${formatCount(load.rows.reschedules)} reschedules, ` +
      `${formatCount(load.rows.emailReports)} email reports in ${generateMs} ms`,
    `  (seed ${o.seed}, ${o.days} days to ${o.now.toISOString()}, time zone ${o.timeZone})`,
    `loaded into ${describeTarget(target)} in ${load.elapsedMs} ms; scored ${formatCount(load.scored)} tutors, ` +
      `${formatCount(load.flagged)} flagged (as of ${o.now.toISOString()})`,
    '',
    '',
  ].join('\n');
}

/**
 * The JSON form of a generation's summary.
 *
 * @example
 * summaryJson(outcome); // { generated: { seed: 42, now, tutors: 100, ... }, load: { rows, scored, flagged, elapsedMs } }
 */
export function summaryJson({ dataset, load, generateMs }: GenerateOutcome) {
  const { seed, now, tutors, sessions, days, timeZone } = dataset.options;
  return { generated: { seed, now, tutors, sessions, days, timeZone, elapsedMs: generateMs }, load };
}

/**
 * The report right after a generation: the intended tiers are known, the targets are those of its options.
 *
 * @example
 * const report = await reportAfterGenerate(db, outcome.dataset);
 */
export function reportAfterGenerate(db: Database, dataset: Pick<Dataset, 'options' | 'groundTruth'>) {
  return qualityReportFromDatabase(db, {
    groundTruth: dataset.groundTruth,
    targets: reportTargets(dataset.options),
    timeZone: dataset.options.timeZone,
  });
}

/**
 * `tqs-data generate` (spec §5.3).
 *
 * @example
 * await runCli(['generate', '--tutors', '100', '--sessions', '3000', '--days', '90', '--clear-existing', '--yes'], io);
 */
export const generateCommand: Command = {
  name: 'generate',
  summary: 'Generate a synthetic dataset, load it in one transaction, score it, and print the quality report.',
  details: [
    'Migrates first if needed. On a database that already holds rows, generate refuses unless told what to do:',
    '--clear-existing replaces them (asks on a terminal; --yes to skip the question, required without a terminal),',
    '--append adds the new rows beside them (use another --seed: ids and emails derive from it, so the same seed',
    'clashes with the rows it made before, and the load is then rolled back whole).',
    'Progress goes to stderr; the summary and the report to stdout. Exit code 1 when an integrity check fails.',
  ].join('\n'),
  options: {
    ...generateOptions,
    append: { type: 'boolean', description: 'add to the rows already in the database' },
    ...databaseOptions,
  },
  async run(options, io) {
    const resolved = parseGenerateFlags(options);
    if (options.append === true && options['clear-existing'] === true) {
      throw new UsageError('give --append or --clear-existing, not both');
    }
    const target = resolveTarget(options, io.env);
    checkTargetSize(target, resolved);
    return withTarget(target, async (db) => {
      // Every refusal comes before the migrations, so that "Nothing was changed" holds for the schema too. With no
      // migration applied there are no tables, hence no rows.
      await checkTimeZone(db, options);
      const { applied: before } = await migrationStatus(db);
      const rows = before.length > 0 ? await countRows(db) : { total: 0, text: '0 rows', sessions: 0 };
      if (rows.total > 0 && options['clear-existing'] !== true && options.append !== true) {
        throw new Error(
          `the database already holds ${rows.text}: pass --clear-existing to replace them, or --append to add ` +
            'to them (with another --seed). Nothing was changed.',
        );
      }
      await confirmClear(io, options, rows);
      const { applied } = await migrate(db);
      if (applied.length > 0) io.stderr.write(`applied migrations: ${applied.join(', ')}\n`);
      const outcome = await generateInto(db, io, options, resolved);
      const report = await afterCommit(io, target, outcome, () => reportAfterGenerate(db, outcome.dataset));
      if (report === undefined) return 0;
      if (options.json !== true) io.stdout.write(summarize(target, outcome));
      writeReport(io, report, options.json === true, summaryJson(outcome));
      const failure = integrityFailure(report);
      if (failure) io.stderr.write(`tqs-data: ${failure}\n`);
      return failure ? 1 : 0;
    });
  },
};
