import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { eq, inArray, sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import {
  computeTutorScore,
  ConstraintViolationError,
  type Database,
  type Dataset,
  type EmailReport,
  emailReports,
  insertDataset,
  listHighRiskTutors,
  markFailed,
  markSent,
  NotFoundError,
  qualityReportFromDatabase,
  queryRows,
  refreshTutorScores,
  resolveGenerateOptions,
  reschedules,
  sessions,
  type TqsDatabase,
  translateDatabaseError,
  tutors,
  tutorScores,
  InvalidOptionError,
} from '../src';
import { TEST_NOW } from '../src/testing';
import { ourTables } from './support/catalog';
import { describeEachBackend, useDatabase } from './support/databases';

/*
 * SQL safety: every value that reaches SQL goes as a parameter (or, for bulk loads, as COPY data escaped for COPY's
 * text format), never spliced into statement text. Strings that would change a statement if they were spliced in go
 * through every string column of every table, through drizzle inserts and through insertDataset's COPY path, and
 * through the helpers that take strings; each must come back exactly as sent, with every table still there. The
 * last block reads src/ and checks every raw-SQL call site against a reviewed allowlist.
 */

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/** Strings that change a statement (or a COPY stream) when spliced into it instead of sent as data. */
const payloads: readonly string[] = [
  "'); drop table tutors; --",
  "' or '1'='1",
  "'' or ''1''=''1",
  '"; drop table "sessions"; --',
  '$$',
  '$$; drop table reschedules; $$',
  '$tqs$ drop table email_reports $tqs$',
  '\\',
  '\\\\',
  "\\'",
  "\\'; drop table tutors; --",
  "E'\\x27; drop table tutors; --'",
  "e'\\''",
  'E\'\\\\\'',
  '\\x00', // a backslash, an x and two zeros: four characters, no NUL
  '\\0',
  '\\N', // COPY's NULL marker
  '\\.', // COPY's end-of-data marker
  'tab\there',
  'line\nbreak',
  'carriage\r\nreturn',
  '\\\t\\\n\\\r',
  '‘smart’ “quotes” ＇fullwidth＇ ʼmodifierʼ ′prime′ ‛reversed‛',
  '%',
  '_',
  '%_%',
  "100% of '_' and \\% and \\_",
  '$1',
  '$1 or 1=1',
  '?',
  ':name',
  '/* comment */ select 1',
  '-- comment',
  "; select pg_sleep(5); --",
  "'; copy tutors to program 'id'; --",
  "\\'; select set_config('x', 'y', false); --",
  'Émile 日本語 Ελληνικά 🎓👩‍🏫',
  "'".repeat(255), // varchar(255) holds 255 characters: the longest value of a name or student id
  '\\'.repeat(255),
];

/** The longest value of the text columns used here: 100,000 characters of the nastiest bits. */
const longText = "'); drop table tutors; -- \\ $$ \t\n\r \\N ".repeat(2_500).slice(0, 100_000);

/** A value PostgreSQL cannot store in text: NUL. It must be refused with a clean error, never truncated. */
const withNul = "before\u0000'); drop table tutors; --";

const uuid = (tag: number, kind: number, n: number) =>
  `${tag.toString(16).padStart(8, '0')}-000${kind}-4000-8000-${n.toString(16).padStart(12, '0')}`;

/** An email the format check accepts, made from the payload (minus the characters the check forbids). */
function emailFor(tag: number, i: number, payload: string): string {
  const local = Array.from(payload.replace(/[@ \t\r\n]/g, '')).slice(0, 200).join('');
  return `t${tag}p${i}.${local}@example.org`;
}

interface PayloadRows {
  tutors: (typeof tutors.$inferInsert & { id: string; name: string; email: string })[];
  sessions: (typeof sessions.$inferInsert & { id: string; studentId: string })[];
  reschedules: (typeof reschedules.$inferInsert & { id: string; reason: string })[];
  emailReports: (typeof emailReports.$inferInsert & { id: string; recipientEmail: string; errorMessage: string })[];
}

/**
 * One tutor, session, reschedule and failed email report per payload, the payload in every free string column
 * (name, email, student_id, reason, recipient_email, error_message), plus one row whose text columns hold
 * {@link longText}. Every session was rescheduled by its tutor in the last week, so each tutor is flagged.
 */
function payloadRows(tag: number): PayloadRows {
  const rows: PayloadRows = { tutors: [], sessions: [], reschedules: [], emailReports: [] };
  const values = [...payloads, longText];
  values.forEach((payload, i) => {
    const short = i < payloads.length ? payload : "'); drop table tutors; --";
    const scheduledTime = new Date(TEST_NOW.getTime() - DAY + i * 60_000);
    rows.tutors.push({ id: uuid(tag, 1, i), name: short, email: emailFor(tag, i, short) });
    rows.sessions.push({
      id: uuid(tag, 2, i),
      tutorId: uuid(tag, 1, i),
      studentId: short,
      scheduledTime,
      status: 'rescheduled',
      completedTime: null,
      durationMinutes: null,
    });
    rows.reschedules.push({
      id: uuid(tag, 3, i),
      sessionId: uuid(tag, 2, i),
      initiator: 'tutor',
      originalTime: scheduledTime,
      newTime: new Date(scheduledTime.getTime() + 2 * DAY),
      reason: payload,
      reasonCode: 'scheduling_conflict',
      cancelledAt: new Date(scheduledTime.getTime() - 2 * HOUR),
    });
    rows.emailReports.push({
      id: uuid(tag, 4, i),
      sessionId: uuid(tag, 2, i),
      recipientEmail: emailFor(tag, i, short),
      sentAt: TEST_NOW,
      status: 'failed',
      errorMessage: payload,
    });
  });
  return rows;
}

/** The same rows as a complete {@link Dataset}, for insertDataset (every column given, timestamps included). */
function payloadDataset(tag: number): Dataset {
  const rows = payloadRows(tag);
  const stamp = new Date(TEST_NOW.getTime() - 30 * DAY);
  return {
    options: resolveGenerateOptions({ tutors: rows.tutors.length, sessions: rows.sessions.length }, TEST_NOW),
    tutors: rows.tutors.map((t) => ({ ...t, createdAt: stamp, updatedAt: stamp, isActive: true })),
    sessions: rows.sessions.map((s) => ({
      ...s,
      completedTime: null,
      durationMinutes: null,
      createdAt: stamp,
      updatedAt: stamp,
    })) as Dataset['sessions'],
    reschedules: rows.reschedules.map((r) => ({ ...r, newTime: r.newTime ?? null, createdAt: stamp })) as Dataset['reschedules'],
    emailReports: rows.emailReports.map((e) => ({ ...e, createdAt: stamp })) as Dataset['emailReports'],
    groundTruth: [],
  };
}

/** Reads every string column back and expects exactly what was written, character for character. */
async function expectStoredVerbatim(db: Database, rows: PayloadRows): Promise<void> {
  const byId = <T extends { id: string }>(list: T[]) => new Map(list.map((row) => [row.id, row]));

  const storedTutors = byId(
    await db.select().from(tutors).where(inArray(tutors.id, rows.tutors.map((t) => t.id))),
  );
  for (const expected of rows.tutors) {
    const stored = storedTutors.get(expected.id);
    expect(stored?.name).toBe(expected.name);
    expect(stored?.email).toBe(expected.email);
  }
  const storedSessions = byId(
    await db.select().from(sessions).where(inArray(sessions.id, rows.sessions.map((s) => s.id))),
  );
  for (const expected of rows.sessions) expect(storedSessions.get(expected.id)?.studentId).toBe(expected.studentId);
  const storedReschedules = byId(
    await db.select().from(reschedules).where(inArray(reschedules.id, rows.reschedules.map((r) => r.id))),
  );
  for (const expected of rows.reschedules) {
    const stored = storedReschedules.get(expected.id);
    expect(stored?.reason).toBe(expected.reason);
    expect(stored?.reasonCode).toBe('scheduling_conflict');
    expect(stored?.initiator).toBe('tutor');
  }
  const storedReports = byId(
    await db.select().from(emailReports).where(inArray(emailReports.id, rows.emailReports.map((e) => e.id))),
  );
  for (const expected of rows.emailReports) {
    const stored = storedReports.get(expected.id);
    expect(stored?.recipientEmail).toBe(expected.recipientEmail);
    expect(stored?.errorMessage).toBe(expected.errorMessage);
  }

  // The database's own view, with no driver decoding in the way: character counts agree with what was sent.
  const lengths = await queryRows<{ id: string; n: number }>(
    db,
    sql`select id::text as id, char_length(reason)::int as n from reschedules
        where id = any(${sql.param(rows.reschedules.map((r) => r.id))}::uuid[])`,
  );
  const expectedLength = new Map(rows.reschedules.map((r) => [r.id, Array.from(r.reason).length]));
  expect(lengths).toHaveLength(rows.reschedules.length);
  for (const { id, n } of lengths) expect(Number(n)).toBe(expectedLength.get(id));
}

/** Every table of the schema (and the migration journal) is still there and readable. */
async function expectTablesIntact(db: Database): Promise<void> {
  const [present] = await queryRows<Record<string, string | null>>(
    db,
    sql`select ${sql.join(
      [...ourTables, 'drizzle.__drizzle_migrations'].map(
        (name, i) => sql`to_regclass(${name.includes('.') ? name : `public.${name}`})::text as ${sql.identifier(`t${i}`)}`,
      ),
      sql`, `,
    )}`,
  );
  expect(Object.values(present ?? {}).every((oid) => oid !== null)).toBe(true);
  for (const name of ourTables) {
    await expect(queryRows(db, sql`select count(*) from ${sql.identifier(name)}`)).resolves.toHaveLength(1);
  }
}

/** A rejected write, as the package reports it: translated to a ConstraintViolationError (SQLSTATE class 22/23). */
async function expectRefused(write: Promise<unknown>, sqlStateClass?: '22' | '23'): Promise<ConstraintViolationError> {
  const error = await write.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error, 'the write should have been refused').toBeDefined();
  const translated = translateDatabaseError(error);
  expect(translated).toBeInstanceOf(ConstraintViolationError);
  const violation = translated as ConstraintViolationError;
  if (sqlStateClass) expect(violation.sqlState?.slice(0, 2)).toBe(sqlStateClass);
  return violation;
}

const countWhere = async (db: Database, table: string, ids: string[]) => {
  const [row] = await queryRows<{ n: number }>(
    db,
    sql`select count(*)::int as n from ${sql.identifier(table)} where id = any(${sql.param(ids)}::uuid[])`,
  );
  return Number(row?.n);
};

describeEachBackend('SQL safety', (backend) => {
  let db: TqsDatabase;

  useDatabase(backend, (opened) => (db = opened));

  it('drizzle inserts store every payload verbatim in every free string column', async () => {
    const rows = payloadRows(1);
    await db.insert(tutors).values(rows.tutors);
    await db.transaction(async (tx) => {
      // The rescheduled sessions and their reschedules commit together (reschedule_status_rule).
      await tx.insert(sessions).values(rows.sessions);
      await tx.insert(reschedules).values(rows.reschedules);
    });
    await db.insert(emailReports).values(rows.emailReports);
    await expectStoredVerbatim(db, rows);
    await expectTablesIntact(db);
  });

  it('insertDataset (COPY) stores every payload verbatim in every free string column', async () => {
    const dataset = payloadDataset(2);
    const result = await insertDataset(db, dataset, { refreshScores: false });
    expect(result.rows.tutors).toBe(payloads.length + 1);
    await expectStoredVerbatim(db, {
      tutors: dataset.tutors as PayloadRows['tutors'],
      sessions: dataset.sessions as PayloadRows['sessions'],
      reschedules: dataset.reschedules as PayloadRows['reschedules'],
      emailReports: dataset.emailReports as PayloadRows['emailReports'],
    });
    await expectTablesIntact(db);
  });

  it('updates and lookups by a payload match it exactly (no pattern, no escape processing)', async () => {
    // `%` and `_` are LIKE wildcards and `\` an escape in E'' strings: as parameters of `=` they are plain characters.
    for (const payload of ['%', '_', '%_%', '\\', "' or '1'='1"]) {
      const found = await db.select({ id: tutors.id }).from(tutors).where(eq(tutors.name, payload));
      const expected = [1, 2].map((tag) => uuid(tag, 1, payloads.indexOf(payload))).sort();
      expect(found.map((r) => r.id).sort()).toEqual(expected);
    }
    const target = uuid(1, 2, 0);
    for (const payload of payloads) {
      await db.update(sessions).set({ studentId: payload }).where(eq(sessions.id, target));
      const [row] = await db.select({ studentId: sessions.studentId }).from(sessions).where(eq(sessions.id, target));
      expect(row?.studentId).toBe(payload);
    }
    await expectTablesIntact(db);
  });

  it('columns with a CHECK refuse every payload as a constraint violation, and nothing is written', async () => {
    const tutorId = uuid(1, 1, 0);
    const sessionId = uuid(1, 2, 1);
    for (const [i, payload] of payloads.entries()) {
      const id = uuid(3, 2, i);
      await expectRefused(
        db.insert(sessions).values({ id, tutorId, studentId: 's', scheduledTime: TEST_NOW, status: payload as never }),
      );
      await expectRefused(
        db.insert(reschedules).values({
          id: uuid(3, 3, i),
          sessionId: uuid(1, 2, i),
          initiator: payload as never,
          originalTime: TEST_NOW,
          cancelledAt: TEST_NOW,
        }),
      );
      await expectRefused(
        db.insert(emailReports).values({
          id: uuid(3, 4, i),
          sessionId,
          recipientEmail: 'a@example.org',
          sentAt: TEST_NOW,
          status: payload as never,
          errorMessage: 'x',
        }),
      );
      await expectRefused(
        db.insert(tutors).values({ id: uuid(3, 1, i), name: 'n', email: `${payload} @example.org` }),
      );
    }
    // reason_code must be snake_case: each payload is refused by the check (or, when longer than 100, by the type).
    const moved = uuid(2, 2, 0);
    for (const payload of payloads) {
      await expectRefused(db.update(reschedules).set({ reasonCode: payload }).where(eq(reschedules.sessionId, moved)));
    }
    const written = payloads.map((_, i) => uuid(3, 2, i));
    expect(await countWhere(db, 'sessions', written)).toBe(0);
    expect(await countWhere(db, 'tutors', payloads.map((_, i) => uuid(3, 1, i)))).toBe(0);
    await expectTablesIntact(db);
  });

  it('uuid columns refuse payloads with a clean error (invalid input, class 22)', async () => {
    for (const payload of payloads.slice(0, 12)) {
      await expectRefused(
        db.insert(sessions).values({ tutorId: payload, studentId: 's', scheduledTime: TEST_NOW, status: 'no_show' }),
        '22',
      );
      await expectRefused(db.select().from(tutors).where(eq(tutors.id, payload)), '22');
    }
    await expectTablesIntact(db);
  });

  it('a NUL byte is refused with a clean error and nothing is stored, on every path', async () => {
    const id = uuid(4, 1, 0);
    await expectRefused(db.insert(tutors).values({ id, name: withNul, email: 'nul@example.org' }), '22');
    expect(await countWhere(db, 'tutors', [id])).toBe(0);

    const dataset = payloadDataset(5);
    (dataset.reschedules[3] as { reason: string }).reason = withNul;
    const refused = await expectRefused(insertDataset(db, dataset, { refreshScores: false }), '22');
    expect(refused.message).toContain('reschedules[3]');
    expect(await countWhere(db, 'tutors', dataset.tutors.map((t) => t.id))).toBe(0);
    expect(await countWhere(db, 'reschedules', dataset.reschedules.map((r) => r.id))).toBe(0);

    const reportId = uuid(1, 4, 0);
    await expectRefused(markFailed(db, reportId, withNul), '22');
    const [report] = await db.select().from(emailReports).where(eq(emailReports.id, reportId));
    expect(report?.errorMessage).toBe(payloads[0]);
    await expectTablesIntact(db);
  });

  it('markFailed stores every error message verbatim; markSent/markFailed treat a payload id as unknown', async () => {
    const reportId = uuid(2, 4, 1);
    for (const payload of [...payloads, longText]) {
      const returned: EmailReport = await markFailed(db, reportId, payload, { sentAt: TEST_NOW });
      expect(returned.errorMessage).toBe(payload);
      const [stored] = await db.select().from(emailReports).where(eq(emailReports.id, reportId));
      expect(stored?.errorMessage).toBe(payload);
      expect(stored?.status).toBe('failed');
    }
    for (const payload of payloads) {
      await expect(markFailed(db, payload, payload)).rejects.toBeInstanceOf(NotFoundError);
      await expect(markSent(db, payload)).rejects.toBeInstanceOf(NotFoundError);
    }
    await expectTablesIntact(db);
  });

  it('computeTutorScore, refreshTutorScores and listHighRiskTutors keep payloads as data', async () => {
    for (const payload of payloads) {
      await expect(computeTutorScore(db, payload, { asOf: TEST_NOW })).rejects.toBeInstanceOf(NotFoundError);
      await expect(refreshTutorScores(db, { asOf: TEST_NOW, tutorIds: [payload] })).rejects.toBeInstanceOf(InvalidOptionError);
      await expect(
        refreshTutorScores(db, { asOf: TEST_NOW, tutorIds: [uuid(1, 1, 0), payload] }),
      ).rejects.toBeInstanceOf(InvalidOptionError);
      await expect(listHighRiskTutors(db, { limit: payload as never })).rejects.toBeInstanceOf(InvalidOptionError);
      await expect(listHighRiskTutors(db, { offset: payload as never })).rejects.toBeInstanceOf(InvalidOptionError);
      await expect(qualityReportFromDatabase(db, { timeZone: payload })).rejects.toThrow();
    }
    expect(await db.select().from(tutorScores)).toHaveLength(0);

    // The tutors with payload names, scored by id, come back from the listing exactly as stored.
    const rows = payloadRows(1);
    const ids = rows.tutors.map((t) => t.id);
    const refreshed = await refreshTutorScores(db, { asOf: TEST_NOW, tutorIds: ids });
    expect(refreshed.scored).toBe(ids.length);
    expect(refreshed.flagged).toBe(ids.length);
    const score = await computeTutorScore(db, ids[0] as string, { asOf: TEST_NOW });
    expect(score.tutorReschedules7d).toBe(1);
    const { tutors: listed, total } = await listHighRiskTutors(db, { limit: 1_000 });
    expect(total).toBe(ids.length);
    const listedById = new Map(listed.map((t) => [t.tutorId, t]));
    for (const expected of rows.tutors) {
      expect(listedById.get(expected.id)?.name).toBe(expected.name);
      expect(listedById.get(expected.id)?.email).toBe(expected.email);
    }
    await expectTablesIntact(db);
  });
});

/*
 * Raw SQL in src/: every place where SQL text is built from strings instead of Drizzle's parameterized `sql`
 * template. Each call site must be on the allowlist below, which says what its SQL text is built from; a new call
 * site, or a changed argument, fails until it is reviewed and listed. Entries are keyed by file and the exact text
 * of the argument (whitespace collapsed), not by line number: lines move with every edit, and an argument that
 * changes on the same line must be reviewed again.
 *
 * Scanned: every `sql.raw(` (Drizzle's unescaped SQL), every `.unsafe(` (postgres.js's unescaped SQL), and every
 * `.exec(`/`.query(` whose first argument is a template literal with `${` (PGlite's raw SQL built by interpolation;
 * a plain string literal is constant by construction).
 */
interface AllowedCall {
  file: string;
  call: string;
  /** How many times this exact call appears in the file. */
  count?: number;
  buildsFrom: string;
}

const allowedSqlRaw: AllowedCall[] = [
  {
    file: 'src/schema/tutor-scores.ts',
    call: 'category',
    buildsFrom: 'the rate(7|30|90) expressions (literals) and the numeric constants of riskCategoryBounds',
  },
  {
    file: 'src/scoring/score-query.ts',
    call: "`interval '${days * 86_400} seconds'`",
    buildsFrom: 'days from scoreWindows (the literals 7, 30, 90) times a constant: a whole number',
  },
  {
    file: 'src/schema/tutor-scores.ts',
    call: 'rate(7)',
    buildsFrom: 'rate(days) interpolates only the literal window (7) into column-name literals of the generated-column expression',
  },
  { file: 'src/schema/tutor-scores.ts', call: 'rate(30)', buildsFrom: 'as rate(7): the literal 30' },
  { file: 'src/schema/tutor-scores.ts', call: 'rate(90)', buildsFrom: 'as rate(7): the literal 90' },
  {
    file: 'src/schema/tutor-scores.ts',
    call: 'highRiskExpression',
    buildsFrom: 'exceeds(days) over scoreWindows (the literals 7, 30, 90): column-name literals of the generated is_high_risk',
  },
  {
    file: 'src/scoring/score-upsert.ts',
    call: 'highRiskExpression',
    buildsFrom: 'the generated is_high_risk expression of src/schema/tutor-scores.ts (literals only), over the computed rows'
  },
  {
    file: 'src/report/database-queries.ts',
    call: "`interval '${days * 24} hours'`",
    buildsFrom:
      'hours(days), module-private; its only callers pass a value of the constant scoreWindows ([7, 30, 90]) or their maximum',
  },
  {
    file: 'src/report/database-queries.ts',
    call: '`c."total_sessions_${days}d"`',
    buildsFrom: 'days from scoreWindows.map (the constant [7, 30, 90]): a column name of tutor_scores',
  },
  {
    file: 'src/report/database-queries.ts',
    call: '`c."tutor_reschedules_${days}d"`',
    buildsFrom: 'days from scoreWindows.map: a column name of tutor_scores',
  },
  {
    file: 'src/report/database-queries.ts',
    call: '`x."${name}_${days}d"`',
    buildsFrom:
      "stored(name): its only callers pass the literals 'total_sessions', 'tutor_reschedules', 'reschedule_rate'; days from scoreWindows",
  },
  {
    file: 'src/report/database-queries.ts',
    call: '`x.s${days}`',
    count: 2,
    buildsFrom: 'days from scoreWindows: the alias of a computed column (s7, s30, s90)',
  },
  {
    file: 'src/report/database-queries.ts',
    call: '`x.r${days}`',
    count: 2,
    buildsFrom: 'days from scoreWindows: the alias of a computed column (r7, r30, r90)',
  },
  { file: 'src/report/database-queries.ts', call: '`s${w.days}`', buildsFrom: 'w from windows, built from scoreWindows' },
  { file: 'src/report/database-queries.ts', call: '`r${w.days}`', buildsFrom: 'w from windows, built from scoreWindows' },
  {
    file: 'src/report/database-queries.ts',
    call: 'String(lower)',
    buildsFrom: 'lower from the constant RATE_BAND_BOUNDS ([10, 20, 40, 60]): a numeric literal',
  },
  {
    file: 'src/report/database-queries.ts',
    call: 'String(upper)',
    buildsFrom: 'upper from the constant RATE_BAND_BOUNDS: a numeric literal',
  },
  {
    file: 'src/report/database-queries.ts',
    call: '`under${i}`',
    buildsFrom: 'i, the index in the constant lead-time bounds: a column alias (under0..under3)',
  },
  {
    file: 'src/report/database-queries.ts',
    call: '`band${i}`',
    buildsFrom: 'i, the index in the constant band list: a column alias (band0..band4)',
  },
  {
    file: 'src/load/clear-database.ts',
    call: 'LOCK_ALL',
    buildsFrom: 'a module constant: lock table of the five table names',
  },
  {
    file: 'src/load/truncate-tables.ts',
    call: 'TRUNCATE_ALL',
    buildsFrom: 'a module constant: truncate of the five table names (clearDatabase, and insertDataset with clearExisting)',
  },
  {
    file: 'src/db/migrate.ts',
    call: 'statement',
    buildsFrom:
      "a statement of a migration file (the package's drizzle/ folder, or the folder the caller names as migrationsFolder): SQL code by design, never a data value",
  },
  {
    file: 'src/db/rollback.ts',
    call: 'statement',
    buildsFrom: 'a statement of a down-migration file of the same folder: SQL code by design, never a data value',
  },
];

const allowedDriverRaw: AllowedCall[] = [
  {
    file: 'src/db/postgres-js/lock-timeout.ts',
    call: 'setting',
    buildsFrom:
      "`set local lock_timeout = '${ms}ms'`, where ms is lockTimeoutMs(options): a finite positive number of seconds checked by createDatabase, times 1000, rounded to a whole number",
  },
  {
    file: 'src/db/postgres-js/lock-timeout.ts',
    call: '...args',
    buildsFrom:
      "the arguments of the pool's own unsafe(), passed through unchanged inside a transaction: this package's reviewed unsafe call sites (listed here) and postgres.js internals",
  },
  {
    file: 'src/db/postgres-js/reserved-transaction.ts',
    call: 'setting',
    buildsFrom:
      "transactionSetting(pool): the same `set local lock_timeout = '${ms}ms'` string as lock-timeout.ts builds from a checked whole number of ms",
  },
  {
    file: 'src/db/replica-probe.ts',
    call: "'select pg_current_wal_lsn()::text as lsn'",
    buildsFrom: 'a string literal: the primary WAL position the replica probe compares against',
  },
  {
    file: 'src/db/replica-probe.ts',
    call: "`select pg_is_in_recovery() as standby, pg_last_wal_replay_lsn()::text as replay_lsn, coalesce(extract(epoch from clock_timestamp() - pg_last_xact_replay_timestamp()) * 1000, 'Infinity')::float8 as behind_ms`,",
    buildsFrom: 'a template literal with no interpolation: the replica probe reads its recovery state, replay position and lag',
  },
  {
    file: 'src/db/postgres-js/reserved-transaction.ts',
    call: "'begin'",
    buildsFrom: 'a string literal: a transaction of its own on a reserved postgres.js connection (the load)',
  },
  {
    file: 'src/db/postgres-js/reserved-transaction.ts',
    call: "'commit'",
    buildsFrom: 'a string literal: commits the transaction on the reserved connection',
  },
  {
    file: 'src/db/postgres-js/reserved-transaction.ts',
    call: "'rollback'",
    buildsFrom: 'a string literal: rolls back the transaction on the reserved connection',
  },
  {
    file: 'src/db/postgres-js/copy.ts',
    call: 'statement',
    buildsFrom:
      "its only caller, src/db/postgres-js/loader.ts, passes `copy ${target} from stdin`: target is copyTarget(table name literal, column names from the Drizzle schema, quoted); the row values go as COPY data, escaped by copy-format.ts",
  },
  {
    file: 'src/db/pglite/loader.ts',
    call: "`copy ${target} from '/dev/blob'`, [], { blob }",
    buildsFrom: 'the same target as the postgres.js COPY (copyTarget of the load plan); the rows go in the blob, as COPY data',
  },
  {
    file: 'src/db/postgres-js/admin.ts',
    call: '`create database ${quoteIdent(name)}`',
    buildsFrom:
      'the database name of the URL the user gave, through quoteIdent (double quotes doubled): CREATE DATABASE takes no parameters, so an identifier is quoted, never spliced raw',
  },
  {
    file: 'src/testing/snapshot.ts',
    call: "`alter system set ${name} = '${value}'`",
    buildsFrom: 'name and value from the module constant SNAPSHOT_SETTINGS (PGlite settings of the snapshot cluster)',
  },
];

const srcRoot = fileURLToPath(new URL('../src', import.meta.url));

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.isFile() && entry.name.endsWith('.ts') ? [path] : [];
  });
}

/** The text between the parenthesis at `open` and its match (strings and templates may hold parentheses). */
function argumentText(text: string, open: number): string {
  let depth = 0;
  let quote: string | undefined;
  for (let i = open; i < text.length; i++) {
    const ch = text[i] as string;
    if (quote) {
      if (ch === '\\') i++;
      else if (ch === quote) quote = undefined;
      else if (quote === '`' && ch === '$' && text[i + 1] === '{') {
        // `${ ... }` inside a template: count its braces with the parentheses, as code.
        quote = undefined;
        const close = matching(text, i + 1, '{', '}');
        i = close;
        quote = '`';
      }
      continue;
    }
    if (ch === "'" || ch === '"' || ch === '`') quote = ch;
    else if (ch === '(') depth++;
    else if (ch === ')' && --depth === 0) return text.slice(open + 1, i);
  }
  throw new Error(`unbalanced call at offset ${open}`);
}

function matching(text: string, open: number, left: string, right: string): number {
  let depth = 0;
  for (let i = open; i < text.length; i++) {
    if (text[i] === left) depth++;
    else if (text[i] === right && --depth === 0) return i;
  }
  throw new Error(`unbalanced ${left} at offset ${open}`);
}

interface CallSite {
  file: string;
  line: number;
  call: string;
}

const lineOf = (text: string, index: number) => text.slice(0, index).split('\n').length;
const isCommentLine = (text: string, index: number) => {
  const start = text.lastIndexOf('\n', index) + 1;
  return /^\s*(\/\/|\*|\/\*)/.test(text.slice(start, index));
};

function findCalls(pattern: RegExp, accept: (argument: string) => boolean): CallSite[] {
  const found: CallSite[] = [];
  for (const path of sourceFiles(srcRoot)) {
    const text = readFileSync(path, 'utf8');
    for (const match of text.matchAll(pattern)) {
      const index = match.index as number;
      if (isCommentLine(text, index)) continue;
      const open = index + match[0].length - 1;
      const call = argumentText(text, open).replace(/\s+/g, ' ').trim();
      if (!accept(call)) continue;
      found.push({ file: relative(join(srcRoot, '..'), path).split('\\').join('/'), line: lineOf(text, index), call });
    }
  }
  return found;
}

function unreviewed(found: CallSite[], allowed: AllowedCall[]): { unknown: string[]; stale: string[] } {
  const unknown: string[] = [];
  const used = new Map<AllowedCall, number>();
  for (const site of found) {
    const entry = allowed.find((a) => a.file === site.file && a.call === site.call);
    if (!entry) unknown.push(`${site.file}:${site.line}: ${site.call}`);
    else used.set(entry, (used.get(entry) ?? 0) + 1);
  }
  const stale = allowed
    .filter((a) => (used.get(a) ?? 0) !== (a.count ?? 1))
    .map((a) => `${a.file}: ${a.call} (expected ${a.count ?? 1}, found ${used.get(a) ?? 0})`);
  return { unknown, stale };
}

describe('raw SQL call sites in src/', () => {
  it('every sql.raw( builds its text from constants only (reviewed allowlist)', () => {
    const found = findCalls(/\bsql\.raw\(/g, () => true);
    expect(found.length).toBeGreaterThan(0);
    const { unknown, stale } = unreviewed(found, allowedSqlRaw);
    expect(unknown, 'sql.raw( call sites not on the allowlist: review what they build from, then list them').toEqual([]);
    expect(stale, 'allowlist entries that no longer match a call site').toEqual([]);
    for (const entry of allowedSqlRaw) expect(entry.buildsFrom.length).toBeGreaterThan(20);
  });

  it('sql.raw is never taken as a value (an alias would escape the scan)', () => {
    for (const path of sourceFiles(srcRoot)) {
      const text = readFileSync(path, 'utf8');
      for (const match of text.matchAll(/\bsql\s*\.\s*raw\b(?!\()|\bsql\s*\[\s*['"]raw['"]\s*\]/g)) {
        if (isCommentLine(text, match.index as number)) continue;
        expect.fail(`${relative(srcRoot, path)}:${lineOf(text, match.index as number)} takes sql.raw as a value`);
      }
    }
  });

  it('every raw driver call (postgres.js unsafe, PGlite exec/query with interpolation) is reviewed', () => {
    const found = [
      ...findCalls(/\.unsafe\(/g, () => true),
      ...findCalls(/\.(?:exec|query)\(/g, (argument) => /^`[^`]*\$\{/.test(argument)),
    ];
    const { unknown, stale } = unreviewed(found, allowedDriverRaw);
    expect(unknown, 'raw driver calls not on the allowlist: review what they build from, then list them').toEqual([]);
    expect(stale, 'allowlist entries that no longer match a call site').toEqual([]);
  });
});
