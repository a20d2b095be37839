export type {
  Dataset,
  DatasetEmailReport,
  DatasetReschedule,
  DayRange,
  GenerateOptions,
  HourRange,
  RateBand,
  RescheduleReason,
  ResolvedGenerateOptions,
  RiskTier,
  SessionDuration,
  TierMix,
  TierRates,
  TutorGroundTruth,
} from './dataset';
export { defaultGenerateOptions, MAX_SEED, resolveGenerateOptions } from './generate-options';
export { riskCategoryBounds, riskCategoryOf, riskTiers, tierForRate } from './risk-tiers';
