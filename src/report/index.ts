export { qualityReport, type QualityReportOptions } from './from-dataset';
export { type DatabaseReportOptions, qualityReportFromDatabase } from './from-database';
export { renderQualityReport, type RenderQualityReportOptions } from './render';
export { renderReportHtml, type RenderReportHtmlOptions } from './html';
export { reportTargets, specTargets } from './targets';
export type {
  CheckStatus,
  FlaggedTutor,
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
  WeekBin,
  WeekdayBin,
} from './types';
