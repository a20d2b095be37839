import { migrate, migrationStatus } from '../../db';
import { DestructiveOperationRefusedError } from '../../errors';
import { type Command, databaseOptions, signalOf, UsageError } from '../command';
import { checkTargetSize, checkTimeZone, generateOptions, parseGenerateFlags } from '../dataset-options';
import { integrityFailure, writeReport } from '../output';
import { afterCommit, confirmClear, countRows, generateInto, reportAfterGenerate, summarize, summaryJson } from '../seed';
import { resolveTarget, withTarget } from '../target';

/**
 * `tqs-data generate`.
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
        throw new DestructiveOperationRefusedError(
          `the database already holds ${rows.text}: pass --clear-existing to replace them, or --append to add ` +
            'to them (with another --seed). Nothing was changed.',
        );
      }
      await confirmClear(io, options, rows);
      const { applied } = await migrate(db, signalOf(io));
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
