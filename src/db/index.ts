export { type Backend, type Database, queryRows, type RawClient } from './client';
export { createDatabase } from './create-database';
export { type CloseOptions, type CreateDatabaseOptions, type ExistingClient, type PostgresOptions, type TqsDatabase } from './database';
export { rawClient } from './backend';
export { migrate, type MigrateOptions, type MigrateResult } from './migrate';
export {
  assertMigrated,
  migrationStatus,
  type MigrationStatus,
  type MigrationStatusOptions,
} from './migration-status';
export {
  defaultMigrationsFolder,
  MIGRATIONS_SCHEMA,
  MIGRATIONS_TABLE,
  readMigrations,
  readMigrationsFolder,
  type MigrationFile,
} from './migrations';
export { countTableRows, type TableCounts } from './table-counts';
export {
  DEFAULT_PARTITIONS_AHEAD,
  ensurePartitions,
  type EnsurePartitionsOptions,
  type EnsurePartitionsResult,
  listPartitions,
  MAX_PARTITIONS_AHEAD,
  type SessionPartition,
} from './partitions';
export { ensureSessionMonths, isPartitioned, partitionsOf, sessionPartitionMonths, type SessionMonthsResult, sessionsArePartitioned } from './session-months';
export { readReplicaOf } from './read-replica-of';
export { type ReadRoutingStatus, replicaStatus, type ReplicaStatus } from './replica-status';
export { rollback, type RollbackOptions, type RollbackResult } from './rollback';
export { type ConnectionHost, type ConnectionUrl, parseConnectionUrl } from './postgres-js/connection-url';
export { assertDatabaseTimeZone } from './time-zone';

// For the package's own layers above db (load, cli); the package entry leaves them out.
export { databaseBackend, type DatabaseBackend } from './backend';
export type { CopyChunk, Loader, LoadTransaction } from './loader';
export { assertDataDir } from './pglite/data-dir-kind';
export { ensurePostgresDatabase } from './postgres-js/admin';
export { isNullSocketWrite } from './postgres-js/null-socket-write';
export { abortPoint, runAbortable } from './postgres-js/abort-scope';
export { abortable, type AbortableOptions } from './abortable';
export { drainCalls, inCall, trackCalls, whenClosing } from './call';
export { withClose } from './database';
export { retryTransient } from './retries';
