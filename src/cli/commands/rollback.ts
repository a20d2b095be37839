import { readMigrations, rollback } from '../../db';
import { type Command, databaseOptions, integerOption, quoteValue, signalOf, UsageError } from '../command';
import { describeTarget, resolveTarget, targetExists, withTarget } from '../target';

export const rollbackCommand: Command = {
  name: 'rollback',
  summary: 'Undo the newest migrations with their down files. Refuses to drop rows unless --force.',
  options: {
    steps: { type: 'string', value: 'N', description: 'how many migrations to undo (default 1)' },
    to: {
      type: 'string',
      value: 'NAME',
      description: "'base' undoes every migration; a migration's name (e.g. 0000_initial_schema) undoes those after it",
    },
    force: { type: 'boolean', description: 'undo even when rows would be dropped' },
    ...databaseOptions,
  },
  async run(options, io) {
    const to = options.to as string | undefined;
    if (to !== undefined && to !== 'base') {
      const tags = readMigrations().map((m) => m.tag);
      if (!tags.includes(to)) {
        throw new UsageError(`--to takes 'base' or a migration name as written (${tags.join(', ')}) (got ${quoteValue(to)})`);
      }
    }
    if (options.to !== undefined && options.steps !== undefined) throw new UsageError('give --steps or --to, not both');
    const steps = integerOption(options, 'steps', undefined, { min: 1 });
    const target = resolveTarget(options, io.env);
    if (target.kind === 'pglite' && !targetExists(target)) {
      // Rolling back creates nothing: a missing data directory has no migration to undo.
      io.stdout.write(`embedded PGlite ${target.dataDir} does not exist: nothing to roll back\n`);
      return;
    }
    const result = await withTarget(target, (db) =>
      rollback(db, {
        ...signalOf(io),
        ...(to !== undefined ? { to } : steps !== undefined ? { steps } : {}),
        force: options.force === true,
      }),
    );
    const dropped = result.rowsDropped.map((r) => `${r.table}: ${r.rows}`).join(', ');
    io.stdout.write(
      result.rolledBack.length === 0
        ? `${describeTarget(target)}: nothing to roll back\n`
        : `${describeTarget(target)}: rolled back ${result.rolledBack.join(', ')}${dropped ? ` (dropped rows: ${dropped})` : ''}\n`,
    );
  },
};
