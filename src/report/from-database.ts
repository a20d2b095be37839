import { isTimeZone } from '../domain/time';
import { abortable, type AbortableOptions } from '../db';
import type { Database } from '../db/client';
import { readFromReplica } from '../db/replicas';
import type { TutorGroundTruth } from '../domain/dataset';
import { DEFAULT_RISK_THRESHOLD } from '../schema';
import { resolveAsOf } from '../scoring/as-of';
import { assertRiskThreshold, isUuid } from '../scoring/arguments';
import { buildReport } from './build-report';
import {
  calendarFacts,
  type FactsQueryContext,
  highRiskTutorFacts,
  integrityViolations,
  rescheduleBreakdownFacts,
  rescheduleFacts,
  scoreFacts,
  sessionFacts,
  tableCounts,
  truthFacts,
  weeklyTrendFacts,
} from './database-queries';
import type { ReportFacts } from './facts';
import { withSpecTargets } from './merge-targets';
import type { QualityReport, ReportTargets } from './types';
import { InvalidOptionError } from '../errors';

/**
 * Options of {@link qualityReportFromDatabase}.
 *
 * @example
 * const options: DatabaseReportOptions = { groundTruth: dataset.groundTruth, timeZone: 'Europe/London' };
 */
export interface DatabaseReportOptions extends AbortableOptions {
  /** The intended tier of each tutor (`dataset.groundTruth`): enables the tier mix and the confusion table. */
  groundTruth?: readonly Pick<TutorGroundTruth, 'tutorId' | 'tier'>[];
  /**
   * Compute the rates and flags as of this instant instead of reading `tutor_scores` (which is left untouched).
   * Default: the stored scores, as the dashboard sees them.
   */
  asOf?: Date;
  /** The risk threshold of the flags computed with `asOf`, in percent. Default 15. */
  threshold?: number;
  /** IANA time zone of the weekday, hour and month figures. Default `'UTC'`. */
  timeZone?: string;
  /** What to judge the data against, merged over `specTargets`; `reportTargets(dataset.options)` for a generation. */
  targets?: Partial<ReportTargets>;
}

/**
 * The facts of the database report, from the named queries of database-queries.ts, in one read-only snapshot: every
 * figure describes the same rows, whatever writes run meanwhile.
 */
async function databaseFacts(
  db: Database,
  groundTruth: DatabaseReportOptions['groundTruth'],
  context: FactsQueryContext,
): Promise<ReportFacts> {
  return readFromReplica(db, 'qualityReportFromDatabase', (reader) =>
    reader.transaction(
      async (tx) => {
        const counts = await tableCounts(tx);
        const sessions = await sessionFacts(tx, context);
        const reschedules = await rescheduleFacts(tx, context);
        const calendar = await calendarFacts(tx, context);
        const violations = await integrityViolations(tx, context.asOf);
        const scores = await scoreFacts(tx, context, counts.tutors);
        const truth = await truthFacts(tx, context, groundTruth);
        const highRiskTutors = await highRiskTutorFacts(tx, context);
        const weeks = await weeklyTrendFacts(tx, context);
        const breakdown = await rescheduleBreakdownFacts(tx);
        const { timeZone } = context;
        return {
          source: 'database',
          timeZone,
          counts,
          ...sessions,
          reschedules,
          ...calendar,
          violations,
          scores,
          truth,
          highRiskTutors,
          weeks,
          ...breakdown,
        };
      },
      { isolationLevel: 'repeatable read', accessMode: 'read only' },
    ),
  );
}

function checkTimeZone(timeZone: unknown): string {
  if (isTimeZone(timeZone)) return timeZone;
  throw new InvalidOptionError('timeZone', `qualityReportFromDatabase: timeZone must be an IANA time zone name such as "Europe/Paris" (got ${JSON.stringify(timeZone)})`);
}

/**
 * The quality report of what a database holds, from set-based aggregates in one read-only snapshot (no
 * table is loaded into memory): counts, coverage, integrity checks, spec targets, rate distribution, histograms in
 * `timeZone`, and with `groundTruth` how well the flags recover the intended tiers. Over a dataset loaded with
 * `insertDataset` it agrees with {@link qualityReport} of that dataset.
 *
 * @throws {InvalidOptionError} an invalid `asOf`, `threshold` or `timeZone`. {@link InvalidOptionError} a ground-truth id that is not a UUID.
 * @example
 * const report = await qualityReportFromDatabase(db, { groundTruth: dataset.groundTruth, targets: reportTargets(dataset.options) });
 * report.integrity.checks.find((c) => c.id === 'stored_scores_differ')?.status; // 'pass'
 */
export async function qualityReportFromDatabase(db: Database, options: DatabaseReportOptions = {}): Promise<QualityReport> {
  const asOf = options.asOf === undefined ? undefined : resolveAsOf('qualityReportFromDatabase', options.asOf);
  const threshold = assertRiskThreshold('qualityReportFromDatabase', options.threshold ?? DEFAULT_RISK_THRESHOLD);
  const timeZone = checkTimeZone(options.timeZone ?? 'UTC');
  const bad = options.groundTruth?.find((g) => !isUuid(g.tutorId));
  if (bad !== undefined) {
    throw new InvalidOptionError('groundTruth', `qualityReportFromDatabase: groundTruth holds a tutorId that is not a UUID (${JSON.stringify(bad.tutorId)})`);
  }
  const targets = withSpecTargets(options.targets);
  const facts = () => databaseFacts(db, options.groundTruth, { targets, timeZone, asOf, threshold });
  return buildReport(await abortable('qualityReportFromDatabase', options.signal, facts, () => 'its queries were cancelled'), targets);
}
