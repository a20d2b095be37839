import { DEFAULT_PARTITIONS_AHEAD, ensurePartitions, listPartitions, MAX_PARTITIONS_AHEAD } from '../../db';
import { type Command, databaseOptions, integerOption, signalOf } from '../command';
import { describeTarget, resolveTarget, withTarget } from '../target';

const day = (at: Date | null) => (at ? at.toISOString().slice(0, 10) : '');

/**
 * `tqs-data partitions`: {@link ensurePartitions} (the current month, `--ahead` months after it, and every month
 * waiting in the default partition), then {@link listPartitions} with their row counts.
 *
 * @example
 * await runCli(['partitions', '--ahead', '6'], io);
 */
export const partitionsCommand: Command = {
  name: 'partitions',
  summary: 'Create the missing monthly partitions of sessions, then list them with their row counts.',
  details: [
    'Sessions are partitioned by month of scheduled_time (UTC). This creates the current month and --ahead months after',
    'it, and a partition for every month whose rows wait in sessions_default (moving them; the same rows, scores',
    'unchanged). Idempotent; several callers at once take turns. Run it from a daily job: nothing in the database does.',
  ].join('\n'),
  options: {
    ahead: { type: 'string', value: 'N', description: `months after the current one to create, 0-${MAX_PARTITIONS_AHEAD} (default ${DEFAULT_PARTITIONS_AHEAD})` },
    json: { type: 'boolean', description: 'print the partitions as JSON' },
    ...databaseOptions,
  },
  async run(options, io) {
    const ahead = integerOption(options, 'ahead', DEFAULT_PARTITIONS_AHEAD, { min: 0, max: MAX_PARTITIONS_AHEAD }) ?? DEFAULT_PARTITIONS_AHEAD;
    const target = resolveTarget(options, io.env);
    const { result, partitions } = await withTarget(target, async (db) => {
      const result = await ensurePartitions(db, { ahead, ...signalOf(io) });
      return { result, partitions: await listPartitions(db) };
    });
    if (options.json === true) {
      io.stdout.write(`${JSON.stringify({ database: describeTarget(target), ...result, partitions }, null, 2)}\n`);
      return;
    }
    const width = Math.max(...partitions.map((p) => p.name.length));
    const lines = [
      `${describeTarget(target)}: ${result.created.length === 0 ? 'no partition missing' : `created ${result.created.join(', ')}`}` +
        (result.moved > 0 ? ` (${result.moved} sessions moved out of sessions_default)` : ''),
      ...partitions.map((p) => `${p.name.padEnd(width)}  ${p.from ? `${day(p.from)} to ${day(p.to)}` : 'any other time      '}  ${p.rows.toLocaleString('en-US').padStart(11)} rows`),
    ];
    io.stdout.write(`${lines.join('\n')}\n`);
  },
};
