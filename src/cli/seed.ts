import { countTableRows, type Database } from '../db';
import type { ResolvedGenerateOptions, TutorGroundTruth } from '../domain';
import { DestructiveOperationRefusedError } from '../errors';
import { generateDatasetStream } from '../generator';
import { type InsertDatasetResult, insertDatasetStream } from '../load';
import type { Dataset, DatasetStream } from '../records/dataset';
import { qualityReportFromDatabase, reportTargets } from '../report';
import { dataTableNames } from '../schema';
import { formatCount } from '../util';
import { signalOf } from './command';
import { connectionLost } from '../util/error-chain';
import type { CommandIo, ParsedOptions } from './command';
import { confirm } from './confirm';
import { loadProgress } from './progress';
import { describeTarget, type Target } from './target';

/**
 * Rows per table, from one statement: their sum, a sentence naming the non-empty tables, and the sessions.
 *
 * @example
 * await countRows(db); // { total: 533, text: '533 rows (tutors 20, sessions 400, ...)', sessions: 400 }
 */
export async function countRows(db: Database): Promise<{ total: number; text: string; sessions: number }> {
  const counts = await countTableRows(db);
  const entries = Object.entries(dataTableNames).map(([key, table]) => [table, counts[key as keyof typeof dataTableNames]] as const);
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
  const load = await insertDatasetStream(db, stream, { clearExisting, onProgress: loadProgress(io), ...signalOf(io) });
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
 * io.stdout.write(summarize(target, outcome)); // generated 100 tutors, 3,000 sessions, ... loaded into ... in … ms
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
