import { ensurePostgresDatabase, migrate } from '../../db';
import { type QualityReport, qualityReportFromDatabase } from '../../report';
import { type Command, type CommandIo, databaseOptions, type ParsedOptions, signalOf } from '../command';
import { describeTarget, resolveTarget, type Target, withTarget } from '../target';
import { checkTargetSize, checkTimeZone, generateOptions, parseGenerateFlags } from '../dataset-options';
import { afterCommit, confirmClear, countRows, type GenerateOutcome, generateInto, reportAfterGenerate, summarize, summaryJson } from '../seed';
import { htmlOption, htmlTarget, writeHtmlReport } from '../html-file';
import { integrityFailure, writeReport } from '../output';

interface SetupOutcome {
  created: boolean;
  applied: string[];
  seeded: GenerateOutcome | undefined;
  /** Why nothing was seeded although --seed-data was given. */
  kept: string | undefined;
  /** Undefined when the connection was lost after the seed was committed (already said on stderr). */
  report: QualityReport | undefined;
}

async function setup(target: Target, options: ParsedOptions, io: CommandIo): Promise<SetupOutcome> {
  // Checked even without --seed-data: a mistyped value is an error, not something silently ignored.
  const checked = parseGenerateFlags(options);
  const resolved = options['seed-data'] === true ? checked : undefined;
  if (resolved) checkTargetSize(target, resolved);
  const created = target.kind === 'postgres' ? await ensurePostgresDatabase(target.url) : false;
  return withTarget(target, async (db) => {
    await checkTimeZone(db, options);
    const { applied } = await migrate(db, signalOf(io));
    let seeded: GenerateOutcome | undefined;
    let kept: string | undefined;
    if (resolved) {
      const rows = await countRows(db);
      if (rows.total > 0 && options['clear-existing'] !== true) {
        kept = `the database already holds ${rows.text}: kept them (--clear-existing replaces them)`;
      } else {
        await confirmClear(io, options, rows);
        seeded = await generateInto(db, io, options, resolved);
      }
    }
    const report = seeded
      ? await afterCommit(io, target, seeded, () => reportAfterGenerate(db, seeded!.dataset))
      : await qualityReportFromDatabase(db, signalOf(io));
    return { created, applied, seeded, kept, report };
  });
}

/**
 * `tqs-data setup`: create the database if missing, migrate, optionally seed, verify.
 *
 * @example
 * await runCli(['setup', '--init', '--seed-data'], io); // the embedded .tqs/pglite
 */
export const setupCommand: Command = {
  name: 'setup',
  summary: 'Create the database if missing, migrate, optionally seed it (--seed-data), then verify and report.',
  details: [
    'On PostgreSQL, a missing database is created through the server\'s "postgres" database (same credentials).',
    'With --seed-data, a dataset is generated and loaded (generate\'s options apply) unless the database already',
    'holds rows: those are kept, unless --clear-existing. Verification: every integrity check of the quality report',
    'must pass, else the exit code is 1. --init is accepted for the spec\'s setup_db.py --init: setup always migrates.',
  ].join('\n'),
  options: {
    init: { type: 'boolean', description: 'create and migrate the database (always done; kept for the spec)' },
    'seed-data': { type: 'boolean', description: 'generate and load a dataset into an empty database' },
    ...generateOptions,
    ...htmlOption,
    ...databaseOptions,
  },
  async run(options, io) {
    const target = resolveTarget(options, io.env);
    const html = htmlTarget(options);
    const where = describeTarget(target); // before setup: says '(new)' for a PGlite directory it creates
    const outcome = await setup(target, options, io);
    if (outcome.report === undefined) return 0;
    const failure = integrityFailure(outcome.report);
    if (options.json === true) {
      writeReport(io, outcome.report, true, {
        database: { target: where, created: outcome.created, migrationsApplied: outcome.applied },
        ...(outcome.seeded ? summaryJson(outcome.seeded) : {}),
        ...(outcome.kept ? { kept: outcome.kept } : {}),
        verified: failure === undefined,
      });
    } else {
      const lines = [
        `database: ${where}${outcome.created ? ' (created)' : ''}`,
        `migrations: ${outcome.applied.length > 0 ? `applied ${outcome.applied.join(', ')}` : 'up to date'}`,
        ...(outcome.kept ? [`seed data: ${outcome.kept}`] : []),
      ];
      io.stdout.write(`${lines.join('\n')}\n`);
      if (outcome.seeded) io.stdout.write(summarize(target, outcome.seeded));
      else io.stdout.write('\n');
      writeReport(io, outcome.report, false);
      io.stdout.write(`\nverification: ${failure ?? 'every integrity check passed'}\n`);
    }
    if (html) writeHtmlReport(io, outcome.report, html, options.json === true);
    if (failure) io.stderr.write(`tqs-data: verification failed: ${failure}\n`);
    return failure ? 1 : 0;
  },
};
