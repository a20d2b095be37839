export type {
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
export { maxGeneratedRows, PGLITE_MAX_SESSIONS } from './size-limits';
export { INSTANT_FORMATS, parseInstant } from './iso-8601';
