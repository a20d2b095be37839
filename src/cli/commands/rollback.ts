import { rollback } from '../../db';
import { type Command, databaseOptions, integerOption, UsageError } from '../command';
import { describeTarget, resolveTarget, targetExists, withTarget } from '../target';

export const rollbackCommand: Command = {
  name: 'rollback',
  summary: 'Undo the newest migrations with their down files. Refuses to drop rows unless --force.',
  options: {
    steps: { type: 'string', value: 'N', description: 'how many migrations to undo (default 1)' },
    to: { type: 'string', value: 'base', description: "'base' undoes every migration" },
    force: { type: 'boolean', description: 'undo even when rows would be dropped' },
    ...databaseOptions,
  },
  async run(options, io) {
    if (options.to !== undefined && options.to !== 'base') {
      throw new UsageError(`--to takes only 'base' (got '${String(options.to)}')`);
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
        ...(options.to === 'base' ? { to: 'base' as const } : { steps: steps ?? 1 }),
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
