export { type Backend, type Database, queryRows, rawClient, type RawClient } from './client';
export { createDatabase, type CreateDatabaseOptions, type TqsDatabase } from './create-database';
export { migrate, type MigrateOptions, type MigrateResult } from './migrate';
export { defaultMigrationsFolder, MIGRATIONS_SCHEMA, MIGRATIONS_TABLE, readMigrations, type MigrationFile } from './migrations';
export { countTableRows, type TableCounts } from './table-counts';
export { readReplicaOf } from './replicas';
export { rollback, type RollbackOptions, type RollbackResult } from './rollback';
