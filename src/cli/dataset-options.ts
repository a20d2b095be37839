import { assertDatabaseTimeZone, type Database } from '../db';
import { MAX_SEED, PGLITE_MAX_SESSIONS, type ResolvedGenerateOptions, resolveGenerateOptions } from '../domain';
import { formatCount } from '../util/format';
import { dateOption, integerOption, type OptionSpec, type ParsedOptions, timeZoneOption, UsageError } from './command';
import type { Target } from './target';

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
 * (the generator's own option error, which names the option, is turned into one).
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
    if (error instanceof Error && typeof option === 'string' && error.message.startsWith('generateDataset: ')) {
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
