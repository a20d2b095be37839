import { readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import {
  clearDatabase,
  ConstraintViolationError,
  createDatabase,
  type DatasetChunk,
  type DatasetStream,
  generateDataset,
  generateDatasetStream,
  type GenerateOptions,
  insertDataset,
  insertDatasetStream,
  type InsertProgress,
  InvalidOptionError,
  migrate,
  queryRows,
  type TqsDatabase,
  tutors,
} from '../src';
import { describeEachBackend, useDatabase } from './support/databases';

const now = new Date('2026-01-15T12:00:00.000Z');
const tables = ['tutors', 'sessions', 'reschedules', 'email_reports', 'tutor_scores'] as const;

/** Every row of the five tables, as one hash per table (tutor_scores without its timestamps of the refresh). */
async function fingerprint(db: TqsDatabase): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const table of tables) {
    const row = table === 'tutor_scores'
      ? `(t.tutor_id, t.total_sessions_7d, t.total_sessions_30d, t.total_sessions_90d, t.reschedule_rate_90d, t.is_high_risk, t.as_of)::text`
      : 't::text';
    const [result] = await queryRows<{ hash: string | null; n: number }>(
      db,
      sql.raw(`select md5(string_agg(${row}, '|' order by ${table === 'tutor_scores' ? 't.tutor_id' : 't.id'})) as hash, count(*)::int as n from "${table}" t`),
    );
    out[table] = `${result?.n}:${result?.hash}`;
  }
  return out;
}

const loadDirs = () => new Set(readdirSync(tmpdir()).filter((name) => name.startsWith('tqs-load-')));

class Boom extends Error {}

describeEachBackend('insertDatasetStream', (backend) => {
  let db: TqsDatabase;
  useDatabase(backend, (opened) => (db = opened), { clearBeforeEach: true });

  const optionSets: GenerateOptions[] = [
    { seed: 7, now, tutors: 30, sessions: 2_000 },
    { seed: 8, now, tutors: 12, sessions: 700, days: 200, timeZone: 'Europe/London', emailReportShare: 1 },
  ];
  for (const options of optionSets) {
    it(`writes the same rows and scores as insertDataset of generateDataset (seed ${options.seed})`, async () => {
      const whole = await insertDataset(db, generateDataset(options));
      const expected = await fingerprint(db);
      await clearDatabase(db, { confirm: true });
      const before = loadDirs();
      const streamed = await insertDatasetStream(db, generateDatasetStream(options, { chunkSessions: 150 }));
      expect(await fingerprint(db)).toEqual(expected);
      expect({ ...streamed, elapsedMs: 0 }).toEqual({ ...whole, elapsedMs: 0 });
      // The temporary files of the reschedules and email reports are gone.
      expect([...loadDirs()].filter((d) => !before.has(d))).toEqual([]);
    });
  }

  it('reports progress per table and per chunk, the totals from the options and the spilled rows', async () => {
    const stream = generateDatasetStream({ seed: 5, now, tutors: 20, sessions: 1_000 }, { chunkSessions: 300 });
    const seen: InsertProgress[] = [];
    const result = await insertDatasetStream(db, stream, { onProgress: (p) => void seen.push({ ...p }) });
    expect([...new Set(seen.map((p) => p.table))]).toEqual(['tutors', 'sessions', 'reschedules', 'email_reports', 'tutor_scores']);
    const forSessions = seen.filter((p) => p.table === 'sessions');
    expect(forSessions[0]).toEqual({ table: 'sessions', phase: 'start', rowsDone: 0, rowsTotal: 1_000 });
    expect(forSessions.at(-1)).toEqual({ table: 'sessions', phase: 'done', rowsDone: 1_000, rowsTotal: 1_000 });
    const copying = forSessions.filter((p) => p.phase === 'copying').map((p) => p.rowsDone);
    expect(copying.length).toBeGreaterThanOrEqual(2);
    expect(copying).toEqual([...copying].sort((a, b) => a - b));
    expect(seen.find((p) => p.table === 'reschedules' && p.phase === 'start')?.rowsTotal).toBe(result.rows.reschedules);
  });

  it('leaves the database exactly as it was when the load fails at any point, and removes its temporary files', async () => {
    await insertDataset(db, generateDataset({ seed: 99, now, tutors: 5, sessions: 40 }));
    const before = await fingerprint(db);
    const dirs = loadDirs();
    const options = { seed: 1, now, tutors: 20, sessions: 1_500 };
    const stops: ((p: InsertProgress) => boolean)[] = [
      (p) => p.table === 'sessions' && p.phase === 'copying', // mid-COPY, chunks still being generated
      (p) => p.table === 'reschedules' && p.phase === 'start', // sessions in, reschedules spilled
      (p) => p.table === 'email_reports' && p.phase === 'copying',
      (p) => p.table === 'tutor_scores' && p.phase === 'done', // loaded and scored, not committed
    ];
    for (const stop of stops) {
      await expect(
        insertDatasetStream(db, generateDatasetStream(options, { chunkSessions: 200 }), {
          clearExisting: stop === stops[0],
          onProgress: async (p) => {
            if (stop(p)) throw new Boom('stop here');
          },
        }),
      ).rejects.toBeInstanceOf(Boom);
      expect(await fingerprint(db)).toEqual(before);
    }
    expect([...loadDirs()].filter((d) => !dirs.has(d))).toEqual([]);
  });

  it('names the row of a constraint violation by its index in the whole stream, and rolls back', async () => {
    const before = await fingerprint(db);
    const source = generateDatasetStream({ seed: 2, now, tutors: 10, sessions: 900 }, { chunkSessions: 100 });
    const chunks = [...source];
    expect(chunks.length).toBeGreaterThan(3);
    const third = chunks[2] as DatasetChunk;
    const index = chunks[0]!.sessions.length + chunks[1]!.sessions.length + 1;
    const original = third.sessions[1]!;
    third.sessions[1] = { ...original, studentId: ' ' }; // a row the database refuses by itself
    const broken: DatasetStream = { options: source.options, [Symbol.iterator]: () => chunks[Symbol.iterator]() };
    const error = await insertDatasetStream(db, broken).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConstraintViolationError);
    expect(error).toMatchObject({ constraint: 'sessions_student_id_not_blank', table: 'sessions' });
    expect((error as Error).message).toContain(`sessions[${index}]`);
    expect(await fingerprint(db)).toEqual(before);
    // A duplicate id is found once its COPY statement is over (session_ids, 0015): named by the id, not the row.
    const taken = chunks[0]!.sessions[0]!.id;
    third.sessions[1] = { ...original, id: taken };
    const duplicate = await insertDatasetStream(db, broken).catch((e: unknown) => e);
    expect(duplicate).toMatchObject({ constraint: 'sessions_pkey', table: 'sessions' });
    expect((duplicate as Error).message).toContain(taken);
    expect(await fingerprint(db)).toEqual(before);
  });

  it('loads an async iterable of chunks the same as the stream it was made from, promised counts or not', async () => {
    const options = { seed: 9, now, tutors: 15, sessions: 900 };
    const direct = await insertDatasetStream(db, generateDatasetStream(options, { chunkSessions: 100 }));
    const expected = await fingerprint(db);
    async function* chunks(): AsyncGenerator<DatasetChunk> {
      for (const chunk of generateDatasetStream(options, { chunkSessions: 100 })) {
        await new Promise((resolve) => setImmediate(resolve));
        yield chunk;
      }
    }
    await clearDatabase(db, { confirm: true });
    const promised = await insertDatasetStream(db, { options: { now }, [Symbol.asyncIterator]: chunks });
    expect(await fingerprint(db)).toEqual(expected);
    expect({ ...promised, elapsedMs: 0 }).toEqual({ ...direct, elapsedMs: 0 });

    // No options at all: no totals to report up front, scores as of now.
    await clearDatabase(db, { confirm: true });
    const bare = await insertDatasetStream(db, chunks(), { refreshScores: false });
    expect(bare.rows).toEqual(direct.rows);
    const { tutor_scores: _scores, ...rows } = expected;
    const { tutor_scores: noScores, ...loaded } = await fingerprint(db);
    expect(loaded).toEqual(rows);
    expect(noScores).toBe('0:null');
  });

  it('rolls back when an async source throws, and closes a source it stops reading', async () => {
    await insertDataset(db, generateDataset({ seed: 99, now, tutors: 5, sessions: 40 }));
    const before = await fingerprint(db);
    const finished: string[] = [];
    const source = (name: string, chunks: DatasetChunk[], failAt?: number) => ({
      async *[Symbol.asyncIterator]() {
        try {
          for (const [i, chunk] of chunks.entries()) {
            if (i === failAt) throw new Boom(`${name} failed`);
            yield chunk;
          }
        } finally {
          finished.push(name);
        }
      },
    });
    const chunks = [...generateDatasetStream({ seed: 3, now, tutors: 10, sessions: 600 }, { chunkSessions: 100 })];
    expect(chunks.length).toBeGreaterThanOrEqual(4);
    await expect(insertDatasetStream(db, source('throwing', chunks, 3))).rejects.toThrow('throwing failed');
    expect(await fingerprint(db)).toEqual(before);

    // The load refuses the third chunk (tutors after sessions): the source, not read to its end, is closed.
    const moved = chunks.map((chunk) => ({ ...chunk, tutors: [...chunk.tutors] }));
    moved[2]!.tutors.push(moved[0]!.tutors.pop()!);
    await expect(insertDatasetStream(db, source('refused', moved))).rejects.toThrow(/chunk 2 of the stream holds tutors/);
    expect(await fingerprint(db)).toEqual(before);
    expect(finished).toEqual(['throwing', 'refused']);
  });

  it('refuses tutors after the first sessions, and a stream that is not one', async () => {
    const source = generateDatasetStream({ seed: 2, now, tutors: 10, sessions: 300 }, { chunkSessions: 100 });
    const chunks = [...source];
    const moved = chunks[0]!.tutors.pop()!;
    chunks[1]!.tutors.push(moved);
    const broken: DatasetStream = { options: source.options, [Symbol.iterator]: () => chunks[Symbol.iterator]() };
    await expect(insertDatasetStream(db, broken)).rejects.toThrow(/tutors after the first sessions/);
    await expect(insertDatasetStream(db, {} as DatasetStream)).rejects.toThrow(InvalidOptionError);
    await expect(insertDatasetStream(db, source, { clearExisting: 'yes' as unknown as boolean })).rejects.toThrow(
      InvalidOptionError,
    );
    expect((await fingerprint(db)).tutors).toBe('0:null');
  });
});

describe("PGlite's documented ceiling (PGLITE_MAX_SESSIONS)", () => {
  it('refuses more than 100,000 sessions on PGlite at once, in one line, unless told to exceed it', async () => {
    const db = await createDatabase();
    try {
      const stream = generateDatasetStream({ now, tutors: 100, sessions: 100_001 });
      const error = await insertDatasetStream(db, stream).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(InvalidOptionError);
      expect(error).toMatchObject({ option: 'exceedPgliteLimit' });
      expect((error as Error).message).toMatch(/^insertDatasetStream: 100,001 sessions is above PGlite's limit of 100,000 .*PostgreSQL.*exceedPgliteLimit: true/);
      expect((error as Error).message).not.toContain('\n');

      // A source that promises no count is refused when its sessions pass the limit, before they are copied.
      await migrate(db);
      const [first] = generateDatasetStream({ now, tutors: 1, sessions: 1 });
      const unpromised = async function* (): AsyncGenerator<DatasetChunk> {
        yield first!;
        yield { ...first!, tutors: [], reschedules: [], emailReports: [], sessions: new Array(100_000).fill(first!.sessions[0]) };
      };
      const late = await insertDatasetStream(db, unpromised()).catch((e: unknown) => e);
      expect(late).toMatchObject({ option: 'exceedPgliteLimit' });
      expect((late as Error).message).toMatch(/^insertDatasetStream: 100,001 sessions is above PGlite's limit/);
      expect(await db.$count(tutors)).toBe(0);

      const session = generateDataset({ now, tutors: 1, sessions: 1 }).sessions[0]!;
      const dataset = { ...generateDataset({ now, tutors: 1, sessions: 0 }), sessions: new Array(100_001).fill(session) };
      await expect(insertDataset(db, dataset)).rejects.toMatchObject({ option: 'exceedPgliteLimit' });
    } finally {
      await db.close();
    }
  });
});
