export {
  clearDatabase,
  type ClearDatabaseOptions,
  type ClearDatabaseResult,
  insertDataset,
  type InsertDatasetOptions,
  type InsertDatasetResult,
  type InsertProgress,
  type InsertTable,
} from './insert-dataset';
