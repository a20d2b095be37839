export {
  computeTutorScore,
  type ComputedTutorScore,
  type ScoreOptions,
} from './compute-tutor-score';
export {
  type HighRiskTutor,
  type HighRiskTutorPage,
  listHighRiskTutors,
  type ListHighRiskTutorsOptions,
} from './high-risk-tutors';
export { isHighRisk, rescheduleRate, type RescheduleRates, riskThresholdProblem, type WindowCounts } from './rates';
export {
  type RefreshScope,
  refreshStatement,
  type RefreshStatementOptions,
  refreshTutorScores,
  type RefreshTutorScoresOptions,
  type RefreshTutorScoresResult,
} from './refresh-tutor-scores';
export {
  refreshDueScores,
  type RefreshDueScoresOptions,
  type RefreshDueScoresResult,
  refreshDueStatement,
  type RefreshDueStatementOptions,
} from './refresh-due-scores';
export { findStaleTutorIds } from './stale-tutors';
