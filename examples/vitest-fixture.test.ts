/**
 * A vitest fixture built on createTestDatabase: every test gets its own migrated PGlite, filled with a generated
 * dataset, in a fraction of a second after the first one (a snapshot, cached in memory and on disk).
 *
 *   npx vitest run --config examples/vitest.config.ts
 */
import { type Database, listHighRiskTutors, refreshTutorScores, tutors } from '@tqs/data';
import { createTestDatabase, TEST_NOW, type TestDatabase } from '@tqs/data/testing';
import { count, eq } from 'drizzle-orm';
import { afterEach, beforeEach, describe, expect, test as base } from 'vitest';

/*
 * Options shared by every test of the suite, so they share one snapshot. The cache folder lets parallel workers and
 * later runs reuse it; it is rebuilt by itself when the package's migrations or version change.
 */
const options = {
  dataset: { tutors: 30, sessions: 900, seed: 11 }, // generated as of TEST_NOW unless `now` is given
  cacheDir: 'node_modules/.cache/tqs-data',
};

// 1. As a fixture: `db` is created for the tests that use it, and closed after each of them.
const test = base.extend<{ db: TestDatabase }>({
  // The empty pattern is vitest's: it reads which other fixtures this one needs from the first parameter.
  db: async ({}, use) => {
    const db = await createTestDatabase(options);
    await use(db);
    await db.close();
  },
});

async function tutorCount(db: Database): Promise<number> {
  const [row] = await db.select({ n: count() }).from(tutors);
  return row?.n ?? 0;
}

test('starts from the dataset', async ({ db }) => {
  expect(await tutorCount(db)).toBe(30);
  expect(db.dataset?.sessions).toHaveLength(900);
});

test('may change anything: the next test starts from the same rows', async ({ db }) => {
  const tutor = db.dataset?.tutors[0];
  if (!tutor) throw new Error('no tutor in the dataset');
  await db.update(tutors).set({ isActive: false, name: 'Renamed' }).where(eq(tutors.id, tutor.id));
  expect((await db.query.tutors.findFirst({ where: eq(tutors.id, tutor.id) }))?.name).toBe('Renamed');
});

test('finds the high-risk tutors of the ground truth', async ({ db }) => {
  await refreshTutorScores(db, { asOf: TEST_NOW });
  const { tutors: flagged } = await listHighRiskTutors(db, { limit: 100 });
  const high = new Set(db.dataset?.groundTruth.filter((t) => t.tier === 'high').map((t) => t.tutorId));
  // Every tutor generated as high risk is flagged (others may be too: a 7-day window is noisy).
  for (const id of high) expect(flagged.map((t) => t.tutorId)).toContain(id);
});

// 2. The same with hooks, for suites that prefer them: a new database before each test, closed after it.
describe('with beforeEach/afterEach', () => {
  let db: TestDatabase;
  beforeEach(async () => {
    db = await createTestDatabase(options);
  });
  afterEach(async () => {
    await db.close();
  });

  test('sees none of the other tests’ changes', async () => {
    const renamed = await db.select({ n: count() }).from(tutors).where(eq(tutors.name, 'Renamed'));
    expect(renamed[0]?.n).toBe(0);
  });
});

// 3. And for a single test: `await using` closes the database when the test's block ends.
base('an empty database, closed by await using', async () => {
  await using db = await createTestDatabase();
  expect(await tutorCount(db)).toBe(0);
});
