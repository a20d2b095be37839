export { type Backend, type Database, queryRows, rawClient, type RawClient } from './client';
export {
  createDatabase,
  type CreateDatabaseOptions,
  type ExistingClient,
  type PostgresOptions,
  type TqsDatabase,
} from './create-database';
export { migrate, type MigrateOptions, type MigrateResult } from './migrate';
export {
  assertMigrated,
  migrationStatus,
  type MigrationStatus,
  type MigrationStatusOptions,
} from './migration-status';
export { defaultMigrationsFolder, MIGRATIONS_SCHEMA, MIGRATIONS_TABLE, readMigrations, type MigrationFile } from './migrations';
export { countTableRows, type TableCounts } from './table-counts';
export { readReplicaOf } from './replicas';
export { rollback, type RollbackOptions, type RollbackResult } from './rollback';
export { type ConnectionHost, type ConnectionUrl, parseConnectionUrl } from './connection-url';
export { assertDatabaseTimeZone } from './time-zone';
export { runAbortable } from './postgres-js/abort-scope';
