import { archiveHistory, type HistoryMoveResult, MAX_ARCHIVE_BATCH_SIZE, restoreHistory } from '../../records';
import { formatCount } from '../../util/format';
import { type Command, databaseOptions, dateOption, integerOption, signalOf, UsageError } from '../command';
import { historyMoveProgress } from '../progress';
import { describeTarget, resolveTarget, withMigratedTarget } from '../target';

const plural = (n: number, word: string, many = `${word}s`) => `${formatCount(n)} ${n === 1 ? word : many}`;

function movedRows(result: HistoryMoveResult): string {
  return (
    `${plural(result.sessions, 'session')}, ${plural(result.reschedules, 'reschedule')} and ` +
    `${plural(result.emailReports, 'email report')} in ${plural(result.batches, 'batch', 'batches')}` +
    (result.months > 0 ? `, ${result.months === result.batches ? 'each' : `${formatCount(result.months)} of them`} a whole month moved by its partition` : '')
  );
}

/** `tqs-data archive`: {@link archiveHistory}, or with `--restore` {@link restoreHistory}, with progress on stderr. */
export const archiveCommand: Command = {
  name: 'archive',
  summary: 'Move sessions scheduled before --before, with their reschedules and email reports, into the archive tables.',
  details: [
    'Rows move to tqs_archive.sessions, .reschedules and .email_reports (same columns, every value kept), oldest first,',
    'one transaction per batch: stopped half-way, the batches done stay moved and the same command continues.',
    'A cutoff later than 90 days before the oldest stored score (or before now) would change scores: refused unless --force.',
    'With --before on the first instant of a month (UTC), each whole month before it moves by its partition, one',
    'transaction a month (--by-rows: every session in batches instead).',
    'With --restore, archived sessions (all, or those in [--from, --before)) come back into the live tables.',
  ].join('\n'),
  options: {
    before: { type: 'string', value: 'ISO', description: 'archive the sessions scheduled before this instant, ISO 8601 (required unless --restore)' },
    'dry-run': { type: 'boolean', description: 'count what would move; change nothing' },
    force: { type: 'boolean', description: 'archive even when stored scores count sessions before --before' },
    'batch-size': { type: 'string', value: 'N', description: `sessions per transaction, 1-${MAX_ARCHIVE_BATCH_SIZE} (default 5000)` },
    'by-rows': { type: 'boolean', description: 'move every session in batches, never a whole month by its partition' },
    restore: { type: 'boolean', description: 'bring archived sessions back instead (with --from and --before to pick a range)' },
    from: { type: 'string', value: 'ISO', description: 'with --restore: only sessions scheduled at or after this instant' },
    ...databaseOptions,
  },
  async run(options, io) {
    // Every argument is checked before the database is opened.
    const restore = options.restore === true;
    const before = dateOption(options, 'before');
    const from = dateOption(options, 'from');
    const batchSize = integerOption(options, 'batch-size', undefined, { min: 1, max: MAX_ARCHIVE_BATCH_SIZE });
    const dryRun = options['dry-run'] === true;
    if (restore && options.force === true) throw new UsageError('--force applies to archiving, not to --restore (which never changes a stored score)');
    if (!restore && from !== undefined) throw new UsageError('--from applies to --restore only: archiving takes every session before --before');
    if (!restore && before === undefined) throw new UsageError('--before is required: the instant before which sessions are archived, e.g. --before 2025-01-01');
    if (from !== undefined && before !== undefined && from.getTime() >= before.getTime()) {
      throw new UsageError(`--from (${from.toISOString()}) must be before --before (${before.toISOString()})`);
    }
    const target = resolveTarget(options, io.env);
    const common = {
      ...(batchSize !== undefined ? { batchSize } : {}),
      dryRun,
      ...(options['by-rows'] === true ? { wholeMonths: false } : {}),
      ...signalOf(io),
      ...(dryRun ? {} : { onProgress: historyMoveProgress(io, restore ? 'restored' : 'archived') }),
    };
    if (restore) {
      const result = await withMigratedTarget(target, (db) =>
        restoreHistory(db, { ...common, ...(from ? { from } : {}), ...(before ? { before } : {}) }),
      );
      io.stdout.write(
        dryRun
          ? `${describeTarget(target)}: would restore ${movedRows(result)}; nothing was changed\n`
          : `${describeTarget(target)}: restored ${movedRows(result)}\n`,
      );
      return;
    }
    const result = await withMigratedTarget(target, (db) =>
      archiveHistory(db, { ...common, before: before as Date, force: options.force === true }),
    );
    const cutoff = `scheduled before ${result.before.toISOString()}`;
    io.stdout.write(
      dryRun
        ? `${describeTarget(target)}: would archive ${movedRows(result)} (${cutoff}); nothing was changed\n`
        : `${describeTarget(target)}: archived ${movedRows(result)} (${cutoff})\n`,
    );
  },
};
