export { clearDatabase, type ClearDatabaseOptions, type ClearDatabaseResult } from './clear-database';
export {
  insertDataset,
  type InsertDatasetOptions,
  type InsertDatasetResult,
  type InsertProgress,
  type InsertTable,
} from './insert-dataset';
export { insertDatasetStream } from './insert-stream';
