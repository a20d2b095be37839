/*
 * The read model: every list, detail, trend, summary, breakdown and status the API service and its dashboard show,
 * one typed call each (one round trip, on a read replica when the database has them), with Zod schemas for its
 * options and its JSON-ready answer. docs/read-model.md documents each call.
 */
export {
  listTutors,
  listTutorsOptionsSchema,
  type ListTutorsOptions,
  type TutorListPage,
  tutorListPageSchema,
  type TutorListRow,
  tutorListRowSchema,
  type TutorSortKey,
  tutorSortKeys,
} from './list-tutors';
export {
  getTutorOverview,
  type TutorOverview,
  type TutorOverviewOptions,
  tutorOverviewOptionsSchema,
  tutorOverviewSchema,
  type TutorWindowStats,
  tutorWindowStatsSchema,
} from './tutor-overview';
export {
  listTutorReschedules,
  type ListTutorReschedulesOptions,
  listTutorReschedulesOptionsSchema,
  type TutorReschedulePage,
  tutorReschedulePageSchema,
  type TutorRescheduleRow,
  tutorRescheduleRowSchema,
} from './tutor-reschedules';
export {
  MAX_TREND_BUCKETS,
  rescheduleTrend,
  type RescheduleTrend,
  type RescheduleTrendOptions,
  rescheduleTrendOptionsSchema,
  rescheduleTrendSchema,
  type TrendBucket,
  trendBuckets,
} from './reschedule-trend';
export {
  type BreakdownKey,
  breakdownKeys,
  leadTimeGroups,
  rescheduleBreakdown,
  type RescheduleBreakdown,
  type RescheduleBreakdownOptions,
  rescheduleBreakdownOptionsSchema,
  rescheduleBreakdownSchema,
} from './reschedule-breakdown';
export {
  pruneScoreHistory,
  type PruneScoreHistoryOptions,
  pruneScoreHistoryOptionsSchema,
  scoreHistory,
  type ScoreHistory,
  type ScoreHistoryOptions,
  scoreHistoryOptionsSchema,
  scoreHistorySchema,
} from './score-history';
export {
  acknowledgeRiskEvent,
  listRiskEvents,
  type ListRiskEventsOptions,
  listRiskEventsOptionsSchema,
  type RiskEvent,
  type RiskEventPage,
  riskEventPageSchema,
  riskEventSchema,
} from './risk-events';
export {
  fleetSummary,
  type FleetSummary,
  type FleetSummaryOptions,
  fleetSummaryOptionsSchema,
  fleetSummarySchema,
} from './fleet-summary';
export {
  operationsStatus,
  type OperationsStatus,
  type OperationsStatusOptions,
  operationsStatusOptionsSchema,
  operationsStatusSchema,
} from './operations-status';
