import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import { describe, expect, expectTypeOf, it } from 'vitest';
import {
  computeTutorScore,
  createDatabase,
  DatabaseClosedError,
  DatabaseError,
  isTqsError,
  listHighRiskTutors,
  listTutors,
  migrate,
  NotFoundError,
  queryRows,
  refreshDueScores,
  refreshTutorScores,
  type TqsDatabase,
  TqsError,
  tqsErrorCodes,
} from '../src';
import { createTestDatabase, TEST_NOW } from '../src/testing';
import { createScratchDatabase } from '../bench/support/scratch-database';
import { describeEachBackend, type TestBackend } from './support/databases';

const repoRoot = join(import.meta.dirname, '..');

/** The codes in the first column of the markdown tables of `file` whose header starts with `| code |`. */
function tableCodes(file: string): string[] {
  const text = readFileSync(join(repoRoot, file), 'utf8');
  return [...text.matchAll(/^\| `([A-Z_]+)` \|/gm)].map((m) => m[1] as string);
}

/** Every code literal that src/ gives a TqsError: `TqsError<'CODE'>` and `super('CODE', …)`. */
function codesInSource(dir = join(repoRoot, 'src')): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return codesInSource(path);
    if (!entry.name.endsWith('.ts')) return [];
    const text = readFileSync(path, 'utf8');
    return [...text.matchAll(/TqsError<'([A-Z_]+)'>|super\('([A-Z_]+)'/g)].map((m) => (m[1] ?? m[2]) as string);
  });
}

describe('error codes', () => {
  it('the README and docs/errors.md each list every code of tqsErrorCodes once, and no other', () => {
    const codes = [...tqsErrorCodes].sort();
    expect(tableCodes('README.md').sort()).toEqual(codes);
    expect(tableCodes('docs/errors.md').sort()).toEqual(codes);
  });

  it('every code a class of src/ uses is in tqsErrorCodes', () => {
    const used = new Set(codesInSource());
    expect([...used].filter((code) => !(tqsErrorCodes as readonly string[]).includes(code))).toEqual([]);
  });

  it("each class's code is its own literal, so a check on code narrows", () => {
    const error: unknown = new NotFoundError('tutor', 'x');
    expectTypeOf(new NotFoundError('tutor', 'x').code).toEqualTypeOf<'NOT_FOUND'>();
    expectTypeOf(new DatabaseClosedError('closed').code).toEqualTypeOf<'DATABASE_CLOSED'>();
    if (error instanceof TqsError && error.code === 'NOT_FOUND') expect(error.message).toMatch(/does not exist/);
    else throw new Error('not narrowed');
  });
});

/** A migrated database of its own, opened with createDatabase (so close() takes its options), and its drop. */
async function openOwn(backend: TestBackend): Promise<{ db: TqsDatabase; drop: () => Promise<void> }> {
  if (backend.name === 'pglite') return { db: await createTestDatabase({ dataset: { tutors: 20, sessions: 400 } }), drop: async () => {} };
  const scratch = await createScratchDatabase(backend.url as string, 'tqs_test');
  const db = await createDatabase({ url: scratch.url, max: 4 });
  await migrate(db);
  return { db, drop: () => scratch.drop() };
}

const codeOf = (error: unknown) => (isTqsError(error) ? error.code : error);

describeEachBackend('errors of helpers, and close({ timeout })', (backend) => {
  it('a server error in a helper is a DatabaseError with the SQLSTATE, not the query', async () => {
    const { db, drop } = await openOwn(backend);
    try {
      const error: unknown = await queryRows(db, sql`select * from no_such_table where id = ${'secret-param'}`).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(DatabaseError);
      expect(error).toMatchObject({ code: 'DATABASE_ERROR', sqlState: '42P01' });
      expect((error as Error).message).not.toMatch(/secret-param|select/);
    } finally {
      await db.close();
      await drop();
    }
  });

  it('close() lets a running refresh finish, then refuses every helper with DATABASE_CLOSED', async () => {
    const { db, drop } = await openOwn(backend);
    try {
      const refresh = refreshTutorScores(db, { asOf: TEST_NOW });
      const due = refreshDueScores(db, { asOf: TEST_NOW });
      const closed = db.close({ timeout: 60 });
      const late = await computeTutorScore(db, '00000000-0000-4000-8000-000000000001').catch((e: unknown) => e);
      expect(late).toBeInstanceOf(DatabaseClosedError);
      await expect(refresh).resolves.toMatchObject({ asOf: TEST_NOW });
      await expect(due).resolves.toBeTruthy();
      await closed;
      const after = await Promise.all([
        listHighRiskTutors(db).catch(codeOf),
        listTutors(db).catch(codeOf),
        refreshTutorScores(db).catch(codeOf),
        queryRows(db, sql`select 1`).catch(codeOf),
      ]);
      expect(after).toEqual(['DATABASE_CLOSED', 'DATABASE_CLOSED', 'DATABASE_CLOSED', 'DATABASE_CLOSED']);
    } finally {
      await db.close();
      await drop();
    }
  });

  it.skipIf(backend.name === 'pglite')('after the timeout, a call still running is ended with DATABASE_CLOSED', async () => {
    const { db, drop } = await openOwn(backend);
    try {
      const sleeper = queryRows(db, sql`select pg_sleep(60)`).catch((e: unknown) => e);
      await db.close({ timeout: 0.2 });
      expect(codeOf(await sleeper)).toBe('DATABASE_CLOSED');
    } finally {
      await drop();
    }
  });

  it('close refuses a timeout that is not a number of seconds', async () => {
    const { db, drop } = await openOwn(backend);
    try {
      await expect(db.close({ timeout: -1 })).rejects.toMatchObject({ code: 'INVALID_OPTION', option: 'timeout' });
    } finally {
      await db.close();
      await drop();
    }
  });
});
