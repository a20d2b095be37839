export { generateDataset } from './generate';
export { defaultGenerateOptions, resolveGenerateOptions } from './options';
export { MAX_SEED, Prng } from './prng';
export { riskTiers, tierForRate } from './risk-tiers';
export type {
  Dataset,
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
} from './types';
export { clearDatabase, type ClearDatabaseOptions, type ClearDatabaseResult, insertDataset, type InsertDatasetOptions, type InsertDatasetResult, type InsertProgress, type InsertTable } from './insert-dataset';
