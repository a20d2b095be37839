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
  type ClaimedEmailReport,
  type EmailRetryOptions,
  releaseEmailReport,
} from './email-claim';
export { type DeadEmailReportsPage, listDeadEmailReports, type ListDeadEmailReportsOptions, reviveEmailReport } from './email-dead';
export { markFailed, type MarkEmailReportOptions, type MarkFailedOptions, markSent } from './email-reports';
export { EMAIL_REPORTS_CHANNEL, type EmailReportsWakeUp, waitForEmailReports, type WaitForEmailReportsOptions } from './email-wait';
export { type EmailWorkerOptions, type EmailWorkerStats, runEmailWorker } from './email-worker';
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
