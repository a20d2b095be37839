export type { Dataset, DatasetChunk, DatasetEmailReport, DatasetReschedule, DatasetStream } from './dataset';
export {
  claimPendingEmailReports,
  type ClaimEmailReportsOptions,
  markFailed,
  type MarkEmailReportOptions,
  markSent,
} from './email-reports';
export { calculateHoursBefore, isLastMinute, LAST_MINUTE_HOURS, type RescheduleTimesLike } from './reschedules';
export { getDuration, isCompleted, isRescheduled, type SessionDurationLike, type SessionStatusLike } from './sessions';
export { findTutorByEmail } from './tutors';
