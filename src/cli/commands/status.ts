import { type MigrationStatus, migrationStatus, readMigrations } from '../../db';
import { type Command, databaseOptions } from '../command';
import { describeTarget, migrateCommandFor, resolveTarget, targetExists, withTarget } from '../target';

const list = (tags: string[]) => (tags.length === 0 ? 'none' : tags.join(', '));

/**
 * `tqs-data status`: {@link migrationStatus} of the target, applied and pending; exit code 1 when any is pending.
 *
 * @example
 * await runCli(['status', '--json'], io); // {"database": "...", "applied": [...], "pending": [], ...}
 */
export const statusCommand: Command = {
  name: 'status',
  summary: 'Print the applied and the pending migrations. Exit code 0 when up to date, 1 when any is pending.',
  details: [
    'Reads only: it creates nothing, not even a missing PGlite data directory (whose migrations are then all pending).',
    "Exit code 0 when every migration is applied, 1 when some are pending (apply them with 'tqs-data migrate').",
  ].join('\n'),
  options: {
    json: { type: 'boolean', description: 'print the status as JSON' },
    ...databaseOptions,
  },
  async run(options, io) {
    const target = resolveTarget(options, io.env);
    const exists = targetExists(target);
    const status: MigrationStatus = exists
      ? await withTarget(target, (db) => migrationStatus(db))
      : { applied: [], pending: readMigrations().map((m) => m.tag), current: null, unknown: [] };
    const database =
      target.kind === 'pglite' && !exists
        ? `embedded PGlite ${target.dataDir} (does not exist)`
        : describeTarget(target);
    const upToDate = status.pending.length === 0;
    if (options.json === true) {
      io.stdout.write(`${JSON.stringify({ database, ...status, upToDate }, null, 2)}\n`);
    } else {
      const lines = [
        `database: ${database}`,
        `applied: ${list(status.applied)}`,
        `pending: ${list(status.pending)}`,
        ...(status.unknown.length > 0
          ? [
              `unknown: ${status.unknown.length} applied migration(s) this version of @tqs/data does not ship ` +
                '(a newer version applied them)',
            ]
          : []),
        upToDate ? 'up to date' : `run '${migrateCommandFor(target)}' to apply the pending migrations`,
      ];
      io.stdout.write(`${lines.join('\n')}\n`);
    }
    return upToDate ? 0 : 1;
  },
};
