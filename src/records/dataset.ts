import type { ResolvedGenerateOptions, TutorGroundTruth } from '../domain/dataset';
import type { EmailReport, Reschedule, Session, Tutor } from '../schema';

/** A reschedule row as generated: every column but the generated `hours_before_session`. */
export type DatasetReschedule = Omit<Reschedule, 'hoursBeforeSession'>;

/** An email report row as generated: never claimed by a worker, so without `claimed_until`. */
export type DatasetEmailReport = Omit<EmailReport, 'claimedUntil'>;

/**
 * A generated dataset: complete rows for every table (ids and timestamps included, nothing left to database
 * defaults), in an order that respects foreign keys, plus the ground truth. Plain data: JSON-serializable apart from
 * its `Date`s, and deep-equal for equal options.
 *
 * @example
 * const dataset: Dataset = generateDataset({ now: new Date('2026-01-15T12:00:00Z') });
 * await insertDataset(db, dataset);
 * const high = dataset.groundTruth.filter((t) => t.tier === 'high').map((t) => t.tutorId);
 */
export interface Dataset {
  /** The options that made it, every default filled in: `generateDataset(dataset.options)` makes it again. */
  options: ResolvedGenerateOptions;
  tutors: Tutor[];
  sessions: Session[];
  reschedules: DatasetReschedule[];
  emailReports: DatasetEmailReport[];
  groundTruth: TutorGroundTruth[];
}
