import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import { drizzle as drizzlePostgres } from 'drizzle-orm/postgres-js';
import { asc, inArray, sql } from 'drizzle-orm';
import postgres from 'postgres';
import { describe, expect, it } from 'vitest';
import {
  clearDatabase,
  ConnectionError,
  ConstraintViolationError,
  type Database,
  type Dataset,
  DestructiveOperationRefusedError,
  emailReports,
  generateDataset,
  insertDataset,
  type InsertProgress,
  queryRows,
  rawClient,
  reschedules,
  resolveGenerateOptions,
  schema,
  sessions,
  type TqsDatabase,
  tutors,
  tutorScores,
  InvalidOptionError,
} from '../src';
import { TEST_NOW } from '../src/testing';
import { copyColumns, encodeCopyRows } from '../src/load/copy-format';
import { describeEachBackend, openTestDatabase, useDatabase } from './support/databases';

const HOUR = 3_600_000;

/** Text that COPY's text format must escape or carry through untouched. */
const trickyText = [
  'Tab\there',
  'New\nline',
  'Carriage\r\nreturn',
  'Back\\slash \\N \\. \\t',
  `Quotes "double" and 'single', commas, semi;colons`,
  'Ünïcödé 日本語 Ελληνικά',
  'Emoji 🎓👩‍🏫 and a zero-width joiner',
  '\\N',
  '  leading and trailing spaces  ',
  String.raw`C:\path\to\file.txt`,
];

const id = (tag: number, kind: number, n: number) =>
  `${tag.toString(16).padStart(8, '0')}-000${kind}-4000-8000-${n.toString(16).padStart(12, '0')}`;

/**
 * A small deterministic dataset built by hand, so that every column (nulls, Dates with milliseconds, dates before
 * 1970 and after 2038, escaped text) is exercised. `tag` keeps the ids and emails of two datasets apart.
 */
function buildDataset({ tag = 1, tutors: tutorCount = 12, sessions: sessionCount = 60 } = {}): Dataset {
  const tutorRows: Dataset['tutors'] = [];
  for (let i = 0; i < tutorCount; i++) {
    const special = trickyText[i % trickyText.length] as string;
    tutorRows.push({
      id: id(tag, 1, i),
      name: i < trickyText.length ? `${special} ${i}` : `Tutor ${tag}-${i}`,
      email: i === 3 ? null : i === 4 ? `o'brien+"quoted"\\x.${tag}@exämple.org` : `tutor${i}.${tag}@example.org`,
      createdAt: i === 5 ? new Date('1969-07-20T20:17:40.001Z') : new Date(TEST_NOW.getTime() - 200 * 24 * HOUR + i * 1001),
      updatedAt: i === 6 ? new Date('2040-02-29T23:59:59.999Z') : new Date(TEST_NOW.getTime() - 100 * 24 * HOUR + i * 7),
      isActive: i % 5 !== 2,
    });
  }
  const sessionRows: Dataset['sessions'] = [];
  const rescheduleRows: Dataset['reschedules'] = [];
  const reportRows: Dataset['emailReports'] = [];
  for (let i = 0; i < sessionCount; i++) {
    const scheduledTime = new Date(TEST_NOW.getTime() - (i + 1) * 7 * HOUR - (i % 1000));
    const kind = i % 10;
    const status = kind < 3 ? 'rescheduled' : kind === 3 ? 'no_show' : 'completed';
    const completed = status === 'completed';
    const sessionId = id(tag, 2, i);
    sessionRows.push({
      id: sessionId,
      tutorId: id(tag, 1, i % tutorCount),
      studentId: i < trickyText.length ? `student ${trickyText[i]}` : `student-${tag}-${i % 17}`,
      scheduledTime,
      completedTime: completed ? new Date(scheduledTime.getTime() + HOUR + 1) : null,
      status,
      durationMinutes: completed ? 30 + (i % 4) * 30 : null,
      createdAt: new Date(scheduledTime.getTime() - 3 * 24 * HOUR - 123),
      updatedAt: new Date(scheduledTime.getTime() + 2 * HOUR + 456),
    });
    if (status === 'rescheduled') {
      const r = rescheduleRows.length;
      rescheduleRows.push({
        id: id(tag, 3, r),
        sessionId,
        initiator: r % 4 === 3 ? 'student' : 'tutor',
        originalTime: scheduledTime,
        newTime: r % 5 === 4 ? null : new Date(scheduledTime.getTime() + 2 * 24 * HOUR + 1),
        reason: r % 6 === 5 ? null : (trickyText[r % trickyText.length] as string),
        reasonCode: r % 6 === 5 ? null : 'scheduling_conflict',
        cancelledAt: new Date(scheduledTime.getTime() - ((r * 7) % 72) * HOUR - 1_234_567),
        createdAt: new Date(scheduledTime.getTime() - ((r * 7) % 72) * HOUR - 1_234_000),
      });
    }
    if (completed && i % 3 === 0) {
      const r = reportRows.length;
      const reportStatus = r % 3 === 0 ? 'failed' : r % 3 === 1 ? 'sent' : 'pending';
      reportRows.push({
        id: id(tag, 4, r),
        sessionId,
        recipientEmail: `parent${r}.${tag}@example.org`,
        sentAt: new Date(scheduledTime.getTime() + 2 * HOUR + r),
        status: reportStatus,
        errorMessage: reportStatus === 'failed' ? `SMTP 550:\t"mailbox\\unavailable"\n${trickyText[r % 10]}` : null,
        createdAt: new Date(scheduledTime.getTime() + 2 * HOUR),
      });
    }
  }
  return {
    options: resolveGenerateOptions({ seed: tag, tutors: tutorCount, sessions: sessionCount }, TEST_NOW),
    tutors: tutorRows,
    sessions: sessionRows,
    reschedules: rescheduleRows,
    emailReports: reportRows,
    groundTruth: [],
  };
}

const byId = <T extends { id: string }>(rows: readonly T[]) => [...rows].sort((a, b) => (a.id < b.id ? -1 : 1));

/** Every row of every table, as PostgreSQL prints it: equal fingerprints mean the database is exactly as it was. */
async function fingerprint(db: Database): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const table of ['tutors', 'sessions', 'reschedules', 'tutor_scores', 'email_reports']) {
    const [row] = await queryRows<{ n: number; digest: string | null }>(
      db,
      sql`select count(*)::int as n, md5(string_agg(t::text, '|' order by t.id)) as digest
          from ${sql.identifier(table)} t`,
    );
    out[table] = `${row?.n}:${row?.digest}`;
  }
  return out;
}

async function counts(db: Database): Promise<Record<string, number>> {
  const [row] = await queryRows<Record<string, number>>(
    db,
    sql`select (select count(*) from tutors)::int as tutors, (select count(*) from sessions)::int as sessions,
               (select count(*) from reschedules)::int as reschedules,
               (select count(*) from tutor_scores)::int as tutor_scores,
               (select count(*) from email_reports)::int as email_reports`,
  );
  return row as Record<string, number>;
}

/** The counts of {@link counts} once `dataset` is loaded into an empty database and scored. */
const countsOf = (dataset: Dataset): Record<string, number> => ({
  tutors: dataset.tutors.length,
  sessions: dataset.sessions.length,
  reschedules: dataset.reschedules.length,
  tutor_scores: dataset.tutors.length,
  email_reports: dataset.emailReports.length,
});

class Boom extends Error {}

describeEachBackend('insertDataset', (backend) => {
  let db: TqsDatabase;
  useDatabase(backend, (opened) => (db = opened), { clearBeforeEach: true });

  it('round-trips every column, escaped text, nulls and millisecond Dates included', async () => {
    const dataset = buildDataset();
    const result = await insertDataset(db, dataset);
    expect(result.rows).toEqual({
      tutors: dataset.tutors.length,
      sessions: dataset.sessions.length,
      reschedules: dataset.reschedules.length,
      emailReports: dataset.emailReports.length,
    });
    expect(result.elapsedMs).toBeGreaterThanOrEqual(0);

    expect(await db.select().from(tutors).orderBy(asc(tutors.id))).toEqual(byId(dataset.tutors));
    expect(await db.select().from(sessions).orderBy(asc(sessions.id))).toEqual(byId(dataset.sessions));
    // A loaded report is not claimed by any mail worker: the claim columns, which a dataset does not carry, are unset.
    expect(await db.select().from(emailReports).orderBy(asc(emailReports.id))).toEqual(
      byId(dataset.emailReports).map((report) => ({ ...report, claimedUntil: null, attempts: 0, claimToken: null, availableAt: null })),
    );
    const storedReschedules = await db.select().from(reschedules).orderBy(asc(reschedules.id));
    expect(storedReschedules).toEqual(
      byId(dataset.reschedules).map((r) => ({
        ...r,
        // The generated column: (original_time - cancelled_at) in hours, rounded to 2 decimals.
        hoursBeforeSession: Math.round(((r.originalTime.getTime() - r.cancelledAt.getTime()) / HOUR) * 100) / 100,
      })),
    );
    // The tricky strings really went in and came back, not merely equal after a lossy round trip on both sides.
    const names = (await db.select({ name: tutors.name }).from(tutors)).map((r) => r.name);
    for (const text of trickyText) expect(names).toContain(`${text} ${trickyText.indexOf(text)}`);
  });

  it('refreshes tutor_scores in the same call, as of dataset.options.now', async () => {
    const dataset = buildDataset();
    const result = await insertDataset(db, dataset);
    expect(result.scored).toBe(dataset.tutors.length);
    const scores = await db.select().from(tutorScores);
    expect(scores).toHaveLength(dataset.tutors.length);
    expect(scores.every((s) => s.asOf.getTime() === TEST_NOW.getTime())).toBe(true);
    expect(scores.filter((s) => s.isHighRisk)).toHaveLength(result.flagged);
    const total90 = scores.reduce((sum, s) => sum + s.totalSessions90d, 0);
    const inWindow = dataset.sessions.filter((s) => s.scheduledTime.getTime() > TEST_NOW.getTime() - 90 * 24 * HOUR);
    expect(total90).toBe(inWindow.length);

    await clearDatabase(db, { confirm: true });
    const unscored = await insertDataset(db, dataset, { refreshScores: false });
    expect(unscored).toMatchObject({ scored: 0, flagged: 0 });
    expect(await db.select().from(tutorScores)).toEqual([]);
  });

  it('reports progress per table and per chunk, never per row', async () => {
    const dataset = buildDataset({ sessions: 3500 });
    const seen: InsertProgress[] = [];
    await insertDataset(db, dataset, { onProgress: (p) => void seen.push({ ...p }) });
    const tables = [...new Set(seen.map((p) => p.table))];
    expect(tables).toEqual(['tutors', 'sessions', 'reschedules', 'email_reports', 'tutor_scores']);
    const forSessions = seen.filter((p) => p.table === 'sessions');
    expect(forSessions.map((p) => [p.phase, p.rowsDone])).toEqual([
      ['start', 0],
      ['copying', 1000],
      ['copying', 2000],
      ['copying', 3000],
      ['done', 3500],
    ]);
    expect(forSessions.every((p) => p.rowsTotal === 3500)).toBe(true);
    expect(seen.filter((p) => p.table === 'tutors').map((p) => p.phase)).toEqual(['start', 'done']);
    expect(seen.at(-1)).toEqual({
      table: 'tutor_scores',
      phase: 'done',
      rowsDone: dataset.tutors.length,
      rowsTotal: dataset.tutors.length,
    });
  });

  it('adds to existing rows without clearExisting, and replaces them with it', async () => {
    const first = buildDataset({ tag: 1 });
    const second = buildDataset({ tag: 2, tutors: 5, sessions: 20 });
    await insertDataset(db, first);
    const added = await insertDataset(db, second);
    expect(added.scored).toBe(first.tutors.length + second.tutors.length);
    expect(await counts(db)).toEqual({
      tutors: first.tutors.length + second.tutors.length,
      sessions: first.sessions.length + second.sessions.length,
      reschedules: first.reschedules.length + second.reschedules.length,
      tutor_scores: first.tutors.length + second.tutors.length,
      email_reports: first.emailReports.length + second.emailReports.length,
    });

    const replaced = await insertDataset(db, second, { clearExisting: true });
    expect(replaced.scored).toBe(second.tutors.length);
    expect(await counts(db)).toEqual(countsOf(second));
    expect(await db.select().from(tutors).orderBy(asc(tutors.id))).toEqual(byId(second.tutors));
  });

  for (const prior of ['empty', 'holding rows'] as const) {
    it(`leaves a database ${prior} exactly as it was when onProgress throws, at any point of the load`, async () => {
      if (prior === 'holding rows') await insertDataset(db, buildDataset({ tag: 9, tutors: 7, sessions: 30 }));
      const before = await fingerprint(db);
      const dataset = buildDataset({ tag: 1, sessions: 3500 });
      const stops: ((p: InsertProgress) => boolean)[] = [
        (p) => p.table === 'sessions' && p.phase === 'copying' && p.rowsDone === 2000, // mid-COPY
        (p) => p.table === 'sessions' && p.phase === 'start', // tutors loaded, sessions not begun
        (p) => p.table === 'tutor_scores' && p.phase === 'start', // everything loaded, not scored
        (p) => p.table === 'tutor_scores' && p.phase === 'done', // loaded and scored, not committed
      ];
      for (const stop of stops) {
        await expect(
          insertDataset(db, dataset, {
            clearExisting: prior === 'holding rows' && stop === stops[1],
            onProgress: (p) => {
              if (stop(p)) throw new Boom('stop here');
            },
          }),
        ).rejects.toBeInstanceOf(Boom);
        expect(await fingerprint(db)).toEqual(before);
      }
      // An async callback that rejects does the same.
      await expect(
        insertDataset(db, dataset, {
          onProgress: async (p) => {
            if (p.table === 'reschedules' && p.phase === 'done') throw new Boom('later');
          },
        }),
      ).rejects.toBeInstanceOf(Boom);
      expect(await fingerprint(db)).toEqual(before);
      // And the database still takes the same dataset afterwards.
      await insertDataset(db, dataset);
      expect((await counts(db)).sessions).toBe(dataset.sessions.length + (prior === 'empty' ? 0 : 30));
    });

    it(`rolls back everything on a duplicate id in reschedules (database ${prior})`, async () => {
      if (prior === 'holding rows') await insertDataset(db, buildDataset({ tag: 9, tutors: 7, sessions: 30 }));
      const before = await fingerprint(db);
      const dataset = buildDataset({ tag: 1 });
      const duplicate = { ...(dataset.reschedules[4] as Dataset['reschedules'][number]) };
      duplicate.sessionId = (dataset.reschedules[5] as Dataset['reschedules'][number]).sessionId;
      duplicate.originalTime = (dataset.reschedules[5] as Dataset['reschedules'][number]).originalTime;
      dataset.reschedules[5] = duplicate; // same id as reschedules[4], another session
      const error = await insertDataset(db, dataset).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ConstraintViolationError);
      expect(error).toMatchObject({
        code: 'CONSTRAINT_VIOLATION',
        constraint: 'reschedules_pkey',
        table: 'reschedules',
      });
      expect((error as Error).message).toMatch(/reschedules\[5\]/);
      expect(await fingerprint(db)).toEqual(before);
    });
  }

  it('names the constraint when a row clashes with rows already stored (a duplicate email)', async () => {
    const first = buildDataset({ tag: 1 });
    await insertDataset(db, first);
    const before = await fingerprint(db);
    const second = buildDataset({ tag: 2 });
    (second.tutors[7] as Dataset['tutors'][number]).email = first.tutors[2]?.email ?? null;
    const error = await insertDataset(db, second).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConstraintViolationError);
    expect(error).toMatchObject({ constraint: 'tutors_email_unique', table: 'tutors' });
    expect((error as Error).message).toMatch(/^insertDataset: loading tutors\[7\]: tutors_email_unique: /);
    expect(await fingerprint(db)).toEqual(before);
  });

  it('names a foreign key violation found at the end of a COPY, and a check violation', async () => {
    const orphan = buildDataset();
    (orphan.sessions[10] as Dataset['sessions'][number]).tutorId = id(0xdead, 1, 1);
    await expect(insertDataset(db, orphan)).rejects.toMatchObject({
      code: 'CONSTRAINT_VIOLATION',
      constraint: 'sessions_tutor_id_fk',
    });
    const bad = buildDataset();
    const session = bad.sessions[13] as Dataset['sessions'][number];
    expect(session.status).toBe('no_show');
    session.durationMinutes = 45;
    await expect(insertDataset(db, bad)).rejects.toMatchObject({
      constraint: 'sessions_duration_only_when_completed',
      message: expect.stringMatching(/sessions\[13\]/),
    });
    expect(await counts(db)).toEqual({ tutors: 0, sessions: 0, reschedules: 0, tutor_scores: 0, email_reports: 0 });
  });

  it('refuses a value no column can hold before writing anything', async () => {
    const dataset = buildDataset();
    (dataset.sessions[3] as Dataset['sessions'][number]).scheduledTime = new Date(Number.NaN);
    await expect(insertDataset(db, dataset)).rejects.toThrow(/sessions\[3\]\.scheduledTime: invalid Date/);
    await expect(insertDataset(db, { ...dataset, sessions: undefined } as unknown as Dataset)).rejects.toThrow(
      InvalidOptionError,
    );
    expect((await counts(db)).tutors).toBe(0);
  });

  it('works on a Drizzle database the caller built with drizzle(client, { schema })', async () => {
    const client = rawClient(db);
    const own: Database =
      client.backend === 'pglite'
        ? (drizzlePglite({ client: client.pglite, schema }) as unknown as Database)
        : (drizzlePostgres({ client: client.sql, schema }) as unknown as Database);
    const dataset = buildDataset();
    const result = await insertDataset(own, dataset);
    expect(result.scored).toBe(dataset.tutors.length);
    expect((await counts(db)).sessions).toBe(dataset.sessions.length);
  });

  it('loads inside a transaction the caller opened: kept by its commit, undone by its rollback', async () => {
    const dataset = buildDataset({ tag: 1 });
    const result = await db.transaction(async (tx) => {
      const loaded = await insertDataset(tx, dataset, { clearExisting: true });
      // The caller's transaction sees the rows before its commit.
      expect((await counts(tx)).sessions).toBe(dataset.sessions.length);
      return loaded;
    });
    expect(result.scored).toBe(dataset.tutors.length);
    expect(await counts(db)).toEqual(countsOf(dataset));
    expect(await db.select().from(tutors).orderBy(asc(tutors.id))).toEqual(byId(dataset.tutors));

    const before = await fingerprint(db);
    const second = buildDataset({ tag: 2, tutors: 5, sessions: 20 });
    await expect(
      db.transaction(async (tx) => {
        await insertDataset(tx, second);
        expect((await counts(tx)).tutors).toBe(dataset.tutors.length + second.tutors.length);
        throw new Boom('the caller changes its mind');
      }),
    ).rejects.toBeInstanceOf(Boom);
    expect(await fingerprint(db)).toEqual(before);

    // clearDatabase in a caller's transaction: undone by its rollback, kept by its commit.
    await expect(
      db.transaction(async (tx) => {
        await clearDatabase(tx, { confirm: true });
        expect((await counts(tx)).tutors).toBe(0);
        throw new Boom('not yet');
      }),
    ).rejects.toBeInstanceOf(Boom);
    expect(await fingerprint(db)).toEqual(before);
    const cleared = await db.transaction(async (tx) => clearDatabase(tx, { confirm: true }));
    expect(cleared.rowsDeleted.tutors).toBe(dataset.tutors.length);
    expect((await counts(db)).tutors).toBe(0);
  });

  it('a load that fails inside a caller\'s transaction leaves none of its rows, and the transaction goes on', async () => {
    const kept = buildDataset({ tag: 3, tutors: 4, sessions: 10 });
    const bad = buildDataset({ tag: 4, sessions: 3500 });
    (bad.sessions[2500] as Dataset['sessions'][number]).tutorId = id(0xdead, 1, 1);
    await db.transaction(async (tx) => {
      await insertDataset(tx, kept);
      const error = await insertDataset(tx, bad).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ConstraintViolationError);
      expect(error).toMatchObject({ constraint: 'sessions_tutor_id_fk', table: 'sessions' });
      const thrown = await insertDataset(tx, buildDataset({ tag: 5, tutors: 6, sessions: 40 }), {
        onProgress: (p) => {
          if (p.table === 'tutor_scores' && p.phase === 'done') throw new Boom('after the scores');
        },
      }).catch((e: unknown) => e);
      expect(thrown).toBeInstanceOf(Boom);
      // The caller's transaction is still usable, with its own rows and none of the failed loads'.
      expect(await counts(tx)).toMatchObject({ tutors: kept.tutors.length, sessions: kept.sessions.length });
    });
    expect(await counts(db)).toMatchObject({
      tutors: kept.tutors.length,
      sessions: kept.sessions.length,
      tutor_scores: kept.tutors.length,
    });
  });

  it('loads a generated dataset of 20,000 sessions', async () => {
    const dataset = generateDataset({ seed: 11, now: TEST_NOW, tutors: 100, sessions: 20_000 });
    const result = await insertDataset(db, dataset, { clearExisting: true });
    expect(result.rows.sessions).toBe(20_000);
    expect(await counts(db)).toEqual(countsOf(dataset));
    expect(result.scored).toBe(dataset.tutors.length);
    const [flagged] = await queryRows<{ n: number }>(
      db,
      sql`select count(*)::int as n from tutor_scores where is_high_risk`,
    );
    expect(flagged?.n).toBe(result.flagged);
    const sample = byId(dataset.sessions).slice(0, 50);
    const stored = await db
      .select()
      .from(sessions)
      .where(inArray(sessions.id, sample.map((s) => s.id)))
      .orderBy(asc(sessions.id));
    expect(stored).toEqual(sample);
  }, 300_000);

  // Run 50 times in a row without a failure: it used to fail about 1 run in 12, when the pool
  // reconnected the killed connection and replayed the dead backend's 57P01 onto its next query (fixed by the socket
  // guard of src/db/fatal-guard.ts), and when the load rejected before the killing onProgress call had returned.
  it.runIf(backend.name === 'postgres')(
    'leaves the database as it was when the connection drops mid-COPY',
    async () => {
      await insertDataset(db, buildDataset({ tag: 9, tutors: 7, sessions: 30 }));
      const before = await fingerprint(db);
      const { sql: pool } = rawClient(db) as { backend: 'postgres'; sql: postgres.Sql };
      const dataset = buildDataset({ tag: 1, sessions: 5000 });
      // Three times: a connection lost mid-load must not poison its pool slot for later queries.
      for (let attempt = 0; attempt < 3; attempt++) {
        let killer: Promise<number> | undefined;
        let settled = false;
        // Another connection of the pool kills the backend once it runs a COPY of sessions (into a month's
        // partition or the parent): watched from the moment the load is into sessions, without holding the load up.
        const killCopy = async () => {
          for (let probe = 0; probe < 10_000 && !settled; probe++) {
            const rows = await pool`
              select pg_terminate_backend(pid) as killed from pg_stat_activity
              where datname = current_database() and pid <> pg_backend_pid() and state = 'active'
                and query ilike 'copy "sessions%'`;
            const killed = rows.filter((r) => r.killed).length;
            if (killed > 0) return killed;
          }
          return 0;
        };
        const error = await insertDataset(db, dataset, {
          onProgress: (p) => {
            if (p.table === 'sessions' && p.phase === 'start') killer = killCopy();
          },
        })
          .catch((e: unknown) => e)
          .finally(() => (settled = true));
        expect(await killer).toBe(1);
        expect(error).toBeInstanceOf(ConnectionError);
        expect(error).toMatchObject({
          code: 'CONNECTION_FAILED',
          message: expect.stringMatching(/lost while loading sessions: the transaction was not committed/),
        });
        expect(await fingerprint(db)).toEqual(before);
      }
      // Every slot of the pool (10) answers, the ones whose connection was killed included.
      const answers = await Promise.all(Array.from({ length: 12 }, () => pool`select pg_sleep(0.05), 1 as one`));
      expect(answers.map(([row]) => row?.one)).toEqual(Array(12).fill(1));
      // The pool recovers: the next load goes through.
      await insertDataset(db, buildDataset({ tag: 1, sessions: 100 }));
      expect((await counts(db)).sessions).toBe(130);
    },
    60_000,
  );
});

describeEachBackend('clearDatabase', (backend) => {
  it('refuses without { confirm: true } and empties the five tables with it', async () => {
    const db = await openTestDatabase(backend);
    try {
      const dataset = buildDataset();
      await insertDataset(db, dataset);
      const before = await fingerprint(db);
      for (const options of [undefined, {}, { confirm: false }, { confirm: 'yes' }]) {
        const error = await clearDatabase(db, options as never).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(DestructiveOperationRefusedError);
        expect(error).toMatchObject({ code: 'DESTRUCTIVE_OPERATION_REFUSED' });
      }
      expect(await fingerprint(db)).toEqual(before);
      expect(await clearDatabase(db, { confirm: true })).toEqual({
        rowsDeleted: {
          tutors: dataset.tutors.length,
          sessions: dataset.sessions.length,
          reschedules: dataset.reschedules.length,
          tutorScores: dataset.tutors.length,
          emailReports: dataset.emailReports.length,
        },
      });
      expect(await counts(db)).toEqual({ tutors: 0, sessions: 0, reschedules: 0, tutor_scores: 0, email_reports: 0 });
    } finally {
      await db.close();
    }
  });
});

describe('COPY text encoding', () => {
  const encode = (rows: object[]) =>
    Buffer.concat(encodeCopyRows(rows, copyColumns(tutors, rows), 0, rows.length, 'tutors')).toString('utf8');

  it('writes Dates exactly as toISOString does, before 1970 and far ahead included', () => {
    const instants = [0, -1, 1, -62_135_596_800_000, 253_402_300_799_999, 951_782_400_000, 4_107_542_399_999];
    for (let i = 0; i < 2000; i++) instants.push(Math.round(Math.sin(i + 1) * 8e12));
    const rows = instants.map((ms, i) => ({ id: `r${i}`, createdAt: new Date(ms) }));
    const lines = encode(rows).split('\n').slice(0, -1);
    expect(lines).toEqual(rows.map((r) => `${r.id}\t${r.createdAt.toISOString()}`));
  });

  it('escapes backslash, tab, newline and carriage return, and writes NULL, booleans and numbers', () => {
    const numbers = [
      { id: 'n', durationMinutes: 45 },
      { id: 'm', durationMinutes: -7 },
      { id: 'o', durationMinutes: 1.5 },
    ];
    const columns = copyColumns(sessions, numbers);
    expect(Buffer.concat(encodeCopyRows(numbers, columns, 0, 3, 'sessions')).toString()).toBe('n\t45\nm\t-7\no\t1.5\n');
    expect(() => encodeCopyRows([{ id: 'x', durationMinutes: Number.NaN }], columns, 0, 1, 's')).toThrow(
      /s\[0\]\.durationMinutes: NaN is not a finite number/,
    );
    const text = encode([
      { id: 'a\\b\tc\nd\re', name: null, email: undefined, isActive: true },
      { id: '\\N', name: 'ünï 🎓', email: 'x@y', isActive: false },
    ]);
    expect(text).toBe('a\\\\b\\tc\\nd\\re\t\\N\t\\N\tt\n\\\\N\tünï 🎓\tx@y\tf\n');
    expect(() => encode([{ id: 'x', isActive: { yes: true } }])).toThrow(/tutors\[0\]\.isActive/);
  });

  it('writes strings of any length the same whether ASCII, escaped or not, across its 64 KiB parts', () => {
    const long = 'a'.repeat(255);
    const ids = [long, `${long}b`, `${long}bc`, `${long}\t`, `${'é'.repeat(300)}\\`, 'x'.repeat(70_000), '', 'ü'];
    const rows = ids.map((id) => ({ id, name: id }));
    const escaped = (s: string) => s.replace(/[\\\t\n\r]/g, (ch) => ({ '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' })[ch] as string);
    const many = Array.from({ length: 400 }, () => rows).flat();
    expect(encode(many)).toBe(many.map((r) => `${escaped(r.id)}\t${escaped(r.name)}\n`).join(''));
  });
});
