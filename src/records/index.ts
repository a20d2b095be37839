export type {
  Dataset,
  DatasetChunk,
  DatasetChunkSource,
  DatasetEmailReport,
  DatasetReschedule,
  DatasetStream,
} from './dataset';
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
export {
  ARCHIVE_SCHEMA,
  archiveHistory,
  type ArchiveHistoryOptions,
  type ArchiveHistoryResult,
  DEFAULT_ARCHIVE_BATCH_SIZE,
  type HistoryMoveProgress,
  type HistoryMoveResult,
  MAX_ARCHIVE_BATCH_SIZE,
  restoreHistory,
  type RestoreHistoryOptions,
} from './archive-history';
