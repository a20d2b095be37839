export { qualityReport, type QualityReportOptions } from './from-dataset';
export { type DatabaseReportOptions, qualityReportFromDatabase } from './from-database';
export { renderQualityReport, type RenderQualityReportOptions } from './render';
export { reportTargets, specTargets } from './targets';
export type {
  CheckStatus,
  GroundTruthAgreement,
  HistogramBin,
  IntegrityCheck,
  IntegrityCheckId,
  QualityReport,
  RateDistribution,
  ReportTargets,
  TargetId,
  TargetResult,
  TargetStatus,
  TierAgreement,
  WeekdayBin,
} from './types';
