import { isTimeZone } from '../domain/time';
import type { Database } from '../db/client';
import { readFromReplica } from '../db/replicas';
import type { TutorGroundTruth } from '../domain/dataset';
import { DEFAULT_RISK_THRESHOLD } from '../schema';
import { resolveAsOf } from '../scoring/as-of';
import { isUuid } from '../scoring/compute-tutor-score';
import { assertRiskThreshold } from '../scoring/rates';
import { buildReport } from './build-report';
import {
  calendarFacts,
  type FactsQueryContext,
  integrityViolations,
  rescheduleFacts,
  scoreFacts,
  sessionFacts,
  tableCounts,
  truthFacts,
} from './database-queries';
import type { ReportFacts } from './facts';
import { withSpecTargets } from './targets';
import type { QualityReport, ReportTargets } from './types';

/**
 * Options of {@link qualityReportFromDatabase}.
 *
 * @example
 * const options: DatabaseReportOptions = { groundTruth: dataset.groundTruth, timeZone: 'Europe/London' };
 */
export interface DatabaseReportOptions {
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
        const { timeZone } = context;
        return { source: 'database', timeZone, counts, ...sessions, reschedules, ...calendar, violations, scores, truth };
      },
      { isolationLevel: 'repeatable read', accessMode: 'read only' },
    ),
  );
}

function checkTimeZone(timeZone: unknown): string {
  if (isTimeZone(timeZone)) return timeZone;
  throw new RangeError(`qualityReportFromDatabase: timeZone must be an IANA time zone name such as "Europe/Paris" (got ${JSON.stringify(timeZone)})`);
}

/**
 * The quality report (spec §5.4) of what a database holds, from set-based SQL aggregates in one read-only snapshot
 * (a handful of queries; no table is loaded into memory): counts, date coverage, integrity checks (orphans,
 * `original_time` = the session's `scheduled_time`, completed ⇔ `completed_time`, stored scores equal to a
 * recomputation as of their `as_of`), each spec target beside what was achieved, the 90-day rate distribution, weekday
 * and hour histograms in `timeZone`, and, given the dataset's `groundTruth`, how well the flags recover the intended
 * tiers. Over the rows of a dataset loaded with `insertDataset`, it agrees with {@link qualityReport} of that dataset.
 *
 * @throws {RangeError} an invalid `asOf`, `threshold` or `timeZone`. {@link TypeError} a ground-truth id that is not a UUID.
 * @example
 * const dataset = generateDataset({ seed: 7, now: new Date('2026-01-15T12:00:00Z') });
 * await insertDataset(db, dataset);
 * const report = await qualityReportFromDatabase(db, {
 *   groundTruth: dataset.groundTruth,
 *   targets: reportTargets(dataset.options),
 * });
 * report.integrity.checks.find((c) => c.id === 'stored_scores_differ')?.status; // 'pass'
 *
 * // SQL shape of the stored-score check (one grouped pass):
 * // select count(*) from (
 * //   select ts.*, count(s.id) filter (where s.scheduled_time > ts.as_of - interval '168 hours') as s7, ...
 * //   from tutor_scores ts
 * //   left join sessions s on s.tutor_id = ts.tutor_id and s.scheduled_time > ts.as_of - interval '2160 hours'
 * //                        and s.scheduled_time <= ts.as_of
 * //   left join reschedules r on r.session_id = s.id and r.initiator = 'tutor'
 * //   group by ts.id) x
 * // where (x.total_sessions_7d is distinct from x.s7) or ... or x.is_high_risk is distinct from (...)
 */
export async function qualityReportFromDatabase(db: Database, options: DatabaseReportOptions = {}): Promise<QualityReport> {
  const asOf = options.asOf === undefined ? undefined : resolveAsOf('qualityReportFromDatabase', options.asOf);
  const threshold = assertRiskThreshold('qualityReportFromDatabase', options.threshold ?? DEFAULT_RISK_THRESHOLD);
  const timeZone = checkTimeZone(options.timeZone ?? 'UTC');
  const bad = options.groundTruth?.find((g) => !isUuid(g.tutorId));
  if (bad !== undefined) {
    throw new TypeError(`qualityReportFromDatabase: groundTruth holds a tutorId that is not a UUID (${JSON.stringify(bad.tutorId)})`);
  }
  const targets = withSpecTargets(options.targets);
  return buildReport(await databaseFacts(db, options.groundTruth, { targets, timeZone, asOf, threshold }), targets);
}
