export {
  clearTestDatabaseCache,
  createTestDatabase,
  type CreateTestDatabaseOptions,
  TEST_NOW,
  type TestDatabase,
} from './test-database';
