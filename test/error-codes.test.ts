import { randomUUID } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import { describe, expect, expectTypeOf, it } from 'vitest';
import {
  archiveHistory,
  computeTutorScore,
  countTableRows,
  createDatabase,
  DatabaseClosedError,
  DatabaseError,
  type ExistingClient,
  findTutorByEmail,
  generateDataset,
  ingestSessions,
  insertDataset,
  isTqsError,
  listHighRiskTutors,
  listTutors,
  migrate,
  NotFoundError,
  queryRows,
  refreshDueScores,
  refreshTutorScores,
  rollback,
  runEmailWorker,
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

  it('close() lets a running ingest and archive finish; after it, every wrapped helper is refused with DATABASE_CLOSED', async () => {
    const { db, drop } = await openOwn(backend);
    try {
      const tutor = { id: randomUUID(), tutor: { name: 'Ada Byron', email: `ada-${randomUUID().slice(0, 8)}@example.org` } };
      const payload = (day: number) => ({
        id: randomUUID(),
        tutorId: tutor.id,
        tutor: tutor.tutor,
        studentId: 'student-1',
        scheduledTime: new Date(Date.UTC(2020, 0, day, 15)).toISOString(),
        status: 'completed',
        completedTime: new Date(Date.UTC(2020, 0, day, 16)).toISOString(),
        durationMinutes: 60,
      });
      await ingestSessions(db, [1, 2, 3].map(payload));
      const ingest = ingestSessions(db, [4, 5, 6, 7].map(payload));
      const archive = archiveHistory(db, { before: new Date('2020-01-04T00:00:00Z') });
      const closed = db.close({ timeout: 60 });
      await expect(ingest).resolves.toHaveLength(4);
      await expect(archive).resolves.toMatchObject({ sessions: 3 });
      await closed;
      const controller = new AbortController();
      const after = await Promise.all([
        ingestSessions(db, [payload(8)]).catch(codeOf),
        archiveHistory(db, { before: new Date('2020-01-04T00:00:00Z') }).catch(codeOf),
        countTableRows(db).catch(codeOf),
        findTutorByEmail(db, tutor.tutor.email).catch(codeOf),
        runEmailWorker(db, { signal: controller.signal, handler: async () => {}, onError: () => {} }).catch(codeOf),
      ]);
      expect(after).toEqual(['DATABASE_CLOSED', 'DATABASE_CLOSED', 'DATABASE_CLOSED', 'DATABASE_CLOSED', 'DATABASE_CLOSED']);
    } finally {
      await db.close();
      await drop();
    }
  });

  it('close() ends a waiting mail worker at once with DATABASE_CLOSED instead of waiting for it', async () => {
    const { db: own, drop } = await openOwn(backend);
    // The worker's look-up of the next due report, seen issued: close() lets it finish, so the worker then waits
    // (a day's poll) unless close() wakes it.
    let issued!: () => void;
    const waiting = new Promise<void>((resolve) => (issued = resolve));
    const logger = { logQuery: (query: string) => void (/extract\(epoch from min/.test(query) && issued()) };
    const db = await createDatabase({ client: (own as unknown as { $client: ExistingClient }).$client, logger });
    try {
      const errors: unknown[] = [];
      const worker = runEmailWorker(db, { signal: new AbortController().signal, handler: async () => {}, pollMs: 86_400_000, onError: (e) => errors.push(e) });
      const settled = worker.catch((e: unknown) => e);
      await waiting;
      await db.close({ timeout: 60 });
      expect(codeOf(await settled)).toBe('DATABASE_CLOSED');
      expect(errors).toEqual([]);
    } finally {
      await db.close();
      await own.close();
      await drop();
    }
  });

  it('a server error in a wrapped helper (a table dropped by a rollback) is a coded DatabaseError', async () => {
    const { db, drop } = await openOwn(backend);
    try {
      await rollback(db, { to: 'base', force: true });
      const errors = await Promise.all([
        findTutorByEmail(db, 'ada@example.org').catch((e: unknown) => e),
        insertDataset(db, generateDataset({ tutors: 1, sessions: 2, now: TEST_NOW })).catch((e: unknown) => e),
      ]);
      for (const error of errors) {
        expect(error).toBeInstanceOf(DatabaseError);
        expect(error).toMatchObject({ code: 'DATABASE_ERROR' });
      }
      expect(errors[0]).toMatchObject({ sqlState: '42P01' }); // relation "tutors" does not exist
      expect(errors[1]).toMatchObject({ sqlState: '42883' }); // function tqs_begin_bulk_load() does not exist: the load's first statement
      expect((errors[0] as Error).message).toMatch(/^findTutorByEmail: /);
    } finally {
      await db.close();
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
