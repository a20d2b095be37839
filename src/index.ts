export * from './schema';
export {
  type AbortableOptions,
  assertDatabaseTimeZone,
  assertMigrated,
  type Backend,
  type CloseOptions,
  type ConnectionHost,
  type ConnectionUrl,
  countTableRows,
  createDatabase,
  type CreateDatabaseOptions,
  type Database,
  DEFAULT_PARTITIONS_AHEAD,
  defaultMigrationsFolder,
  ensurePartitions,
  type EnsurePartitionsOptions,
  type EnsurePartitionsResult,
  type ExistingClient,
  listPartitions,
  MAX_PARTITIONS_AHEAD,
  migrate,
  type MigrateOptions,
  type MigrateResult,
  type MigrationFile,
  MIGRATIONS_SCHEMA,
  MIGRATIONS_TABLE,
  migrationStatus,
  type MigrationStatus,
  type MigrationStatusOptions,
  parseConnectionUrl,
  type PostgresOptions,
  queryRows,
  rawClient,
  type RawClient,
  readMigrations,
  readReplicaOf,
  type ReadRoutingStatus,
  replicaStatus,
  type ReplicaStatus,
  rollback,
  type RollbackOptions,
  type RollbackResult,
  type SessionPartition,
  type TableCounts,
  type TqsDatabase,
} from './db';
export * from './errors';
export * from './scoring';
export * from './ingest';
export * from './validation';
export * from './records';
export * from './domain';
export * from './generator';
export * from './load';
export * from './report';
export * from './read-model';
export * from './contract';
