export { clearDatabase, type ClearDatabaseOptions, type ClearDatabaseResult } from './clear-database';
export { insertDataset } from './insert-dataset';
export { insertDatasetStream } from './insert-stream';
export { type InsertDatasetOptions, type InsertDatasetResult, type InsertProgress, type InsertTable } from './load-options';
