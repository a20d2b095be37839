import { migrate } from '../../db';
import { type Command, databaseOptions, signalOf } from '../command';
import { describeTarget, resolveTarget, withTarget } from '../target';

export const migrateCommand: Command = {
  name: 'migrate',
  summary: 'Apply every pending migration of drizzle/ (all in one transaction).',
  options: { ...databaseOptions },
  async run(options, io) {
    const target = resolveTarget(options, io.env);
    const { applied } = await withTarget(target, (db) => migrate(db, signalOf(io)));
    io.stdout.write(
      applied.length === 0
        ? `${describeTarget(target)}: already up to date\n`
        : `${describeTarget(target)}: applied ${applied.join(', ')}\n`,
    );
  },
};
