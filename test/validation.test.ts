import { inspect } from 'node:util';
import { and, eq, getTableColumns, getTableName, sql, TransactionRollbackError } from 'drizzle-orm';
import { DrizzleQueryError } from 'drizzle-orm/errors';
import { numeric as numericColumn, type PgColumn, type PgTable, pgTable, uuid as uuidColumn, varchar as varcharColumn } from 'drizzle-orm/pg-core';
import { createInsertSchema, createSelectSchema, createUpdateSchema } from 'drizzle-zod';
import fc from 'fast-check';
import { describe, expect, expectTypeOf, it } from 'vitest';
import type { z } from 'zod';
import {
  ConstraintViolationError,
  constraintDescriptions,
  type Database,
  type EmailReport,
  emailReportInsertSchema,
  emailReports,
  emailReportSelectSchema,
  emailReportStatuses,
  emailReportCreateRequestSchema,
  emailReportUpdateRequestSchema,
  emailReportUpdateSchema,
  type NewEmailReport,
  type NewReschedule,
  type NewSession,
  type NewTutor,
  type NewTutorScore,
  parseRow,
  type Reschedule,
  rescheduleInitiators,
  rescheduleInsertSchema,
  reschedules,
  rescheduleSelectSchema,
  rescheduleCreateRequestSchema,
  rescheduleUpdateRequestSchema,
  rescheduleUpdateSchema,
  type Session,
  sessionInsertSchema,
  sessions,
  sessionSelectSchema,
  sessionStatuses,
  sessionCreateRequestSchema,
  sessionUpdateRequestSchema,
  sessionUpdateSchema,
  type TqsDatabase,
  translateDatabaseError,
  type Tutor,
  tutorInsertSchema,
  tutors,
  type TutorScore,
  tutorScoreInsertSchema,
  tutorScores,
  tutorScoreSelectSchema,
  tutorScoreCreateRequestSchema,
  tutorScoreUpdateRequestSchema,
  tutorScoreUpdateSchema,
  tutorCreateRequestSchema,
  tutorSelectSchema,
  tutorUpdateRequestSchema,
  tutorUpdateSchema,
  ValidationError,
} from '../src';
import { clipVarchar, fitsVarchar, numeric, scaledDecimal, UUID_INPUT, uuid, varchar } from '../src/validation/column-types';
import { emailReportColumnSchemas } from '../src/validation/email-reports';
import { rescheduleColumnSchemas } from '../src/validation/reschedules';
import { tableSchemas } from '../src/validation/row-rules';
import { sessionColumnSchemas } from '../src/validation/sessions';
import { tutorScoreColumnSchemas } from '../src/validation/tutor-scores';
import { tutorColumnSchemas } from '../src/validation/tutors';
import { describeEachBackend, useDatabase } from './support/databases';

/*
 * The agreement test: random rows, valid and invalid, go to Zod (`safeParse` of the insert schema) and to the database
 * (a Drizzle insert of the same object, in a transaction that is rolled back), and the two verdicts must agree.
 *
 * What Zod cannot see is kept out of the rows on purpose: a foreign key always names the parent rows the case creates
 * inside its transaction (in some spelling of their uuid, or a broken one), a reschedule's `originalTime` is its parent
 * session's `scheduled_time`, and each case is alone in its transaction, so unique constraints never fire. Strings are
 * well-formed UTF-16: a lone surrogate is the one thing Zod refuses on purpose although the database would take it
 * (as U+FFFD), and a unit test covers it instead.
 *
 * TQS_AGREEMENT_RUNS sets the rows per table and backend (default 400, or 2,000 with TQS_RELIABILITY=1 as in CI),
 * TQS_AGREEMENT_SEED the fast-check seed.
 */

const RUNS = Number(process.env.TQS_AGREEMENT_RUNS ?? (process.env.TQS_RELIABILITY ? 2_000 : 400));
const SEED = Number(process.env.TQS_AGREEMENT_SEED ?? 20_250_301);

const PARENT_TUTOR_ID = '5d1f8a3c-2b7e-4c19-9a60-3e8f1b2c4d5e';
const PARENT_SESSION_ID = '9b2e4f6a-8c1d-4e3f-b5a7-c9d0e1f2a3b4';
const PARENT_SESSION_TIME = new Date('2025-03-01T15:00:00.000Z');

// ---------------------------------------------------------------------------------------------------------------
// Value generators. A row starts typical (valid, apart from rules across columns that the typical values of a table
// keep), then none, one or several of its columns take an edge value instead: a boundary or near miss, valid or not,
// null, or undefined (left out: the column's default, or NULL). So each edge is tried alone as well as in company.
// ---------------------------------------------------------------------------------------------------------------

type Row = Record<string, unknown>;
type Columns = Record<string, fc.Arbitrary<unknown>>;

/** Edge values of a column, null and undefined among them. */
const edges = (...values: fc.Arbitrary<unknown>[]) => fc.oneof(...values, fc.constant(null), fc.constant(undefined));

/**
 * Rows of a table: `typical` values, with the columns drawn from `edge` values instead for a random few. `finish`
 * then derives what depends on other columns (relative dates, counts moved by one); it is told which columns are
 * edges, so that it keeps their value.
 */
function rowsOf(typical: Columns, edge: Columns, finish: (row: Row, isEdge: (key: string) => boolean) => Row = (row) => row) {
  const keys = Object.keys(edge);
  const edgeKeys = fc.oneof(
    { arbitrary: fc.constant<string[]>([]), weight: 7 },
    { arbitrary: fc.constantFrom(...keys).map((key) => [key]), weight: 9 },
    { arbitrary: fc.subarray(keys, { minLength: 2 }), weight: 4 },
  );
  const edgeValues = edgeKeys.chain((chosen) => fc.record(Object.fromEntries(chosen.map((key) => [key, edge[key] as fc.Arbitrary<unknown>]))));
  return fc.record({ typical: fc.record(typical), edge: edgeValues }).map(({ typical, edge }) =>
    finish({ ...typical, ...edge }, (key) => key in edge),
  );
}

const isWellFormed = (s: string) => !/\p{Cs}/u.test(s);

const letters = fc.constantFrom(...'abcdefxyz0189ABZ'.split(''));
const specialChars = fc.constantFrom(
  ' ', '\t', '\r', '\n', '\u000b', '\f', '\u0085', '\u00a0', '\u3000', '\u2028', '\ufeff', '@', '_', '-', '.', 'é',
  'ß', '😀', '𝒜',
);
const unicodeChar = fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }).filter(isWellFormed);
const anyChar = fc.oneof(
  { arbitrary: letters, weight: 6 },
  { arbitrary: specialChars, weight: 3 },
  { arbitrary: unicodeChar, weight: 1 },
);

/** A string of `char`s, its length (in code points) drawn from `lengths`. */
const stringOf = (char: fc.Arbitrary<string>, lengths: readonly number[]) =>
  fc
    .constantFrom(...lengths)
    .chain((n) => fc.array(char, { minLength: n, maxLength: n }))
    .map((chars) => chars.join(''));

const withNul = (char: fc.Arbitrary<string>) =>
  fc.tuple(stringOf(char, [0, 3]), stringOf(char, [0, 3])).map(([a, b]) => `${a}\u0000${b}`);

/** Edge strings of a `varchar(n)`: at the limit (astral characters too), past it with trailing spaces or a tab, NUL. */
const varcharEdges = (n: number, char: fc.Arbitrary<string> = anyChar) =>
  fc.oneof(
    stringOf(char, [0, n - 1, n, n + 1]),
    fc.tuple(stringOf(char, [n - 2, n - 1, n]), fc.constantFrom(' ', '  ', '   ', '\t', ' \t')).map(([s, pad]) => s + pad),
    fc.constantFrom('😀'.repeat(n), '😀'.repeat(n + 1), `${'😀'.repeat(n)} `, `${'😀'.repeat(n - 1)}\t`, 'é'.repeat(n + 1)),
    withNul(char),
  );

const blankChar = fc.constantFrom(' ', '\t', '\r', '\n');
/** For `~ '[^ \t\r\n]'` in a varchar(255). */
const notBlank = stringOf(anyChar, [1, 2, 5, 12]).filter((s) => /[^ \t\r\n]/.test(s));
const notBlankEdges = edges(
  varcharEdges(255),
  stringOf(blankChar, [0, 1, 3, 255, 256]),
  fc
    .tuple(
      stringOf(blankChar, [0, 2]),
      fc.constantFrom('\u000b', '\f', '\u00a0', '\u3000', '\u0085', '\ufeff', 'x'),
      stringOf(blankChar, [0, 2]),
    )
    .map(([a, c, b]) => a + c + b),
);

const emailChar = fc.oneof({ arbitrary: letters, weight: 12 }, { arbitrary: specialChars, weight: 1 });
/** For `~ '^[^@ \t\r\n]+@[^@ \t\r\n]+$'` in a varchar(255): typical values may break the format too. */
const email = fc.tuple(stringOf(emailChar, [1, 3, 8]), stringOf(emailChar, [1, 3, 8])).map(([l, d]) => `${l}@${d}`);
const emailEdges = edges(
  varcharEdges(255),
  fc
    .tuple(fc.constantFrom(254, 255, 256), fc.constantFrom('b', 'é', '😀'), fc.constantFrom('', ' ', '  ', '\t'))
    .map(([length, c, pad]) => `a@${c.repeat(length - 2)}${pad}`),
  fc.constantFrom('@', 'a@', '@b', 'a@b@c', 'a @b', 'a@b\n', '\ta@b', 'a@b ', 'a\u000b@b', 'a@b\u00a0', 'a@b\u0000'),
);

/** Near misses of the values a CHECK lists: another case, padded (also past the varchar(50)), cut short, empty. */
const oneOfEdges = (values: readonly string[]) =>
  edges(
    fc
      .constantFrom(...values)
      .chain((v) =>
        fc.constantFrom(
          v.toUpperCase(),
          v.charAt(0).toUpperCase() + v.slice(1),
          ` ${v}`,
          `${v} `,
          v + ' '.repeat(50),
          v.slice(0, -1),
          v.replace('_', '-'),
          `${v}\u0000`,
          '',
        ),
      ),
  );

/** For `~ '^[a-z][a-z0-9_]*$'` in a varchar(100). */
const reasonCode = fc
  .tuple(fc.constantFrom(...'abmz'.split('')), stringOf(fc.constantFrom(...'az09_'.split('')), [0, 3, 10]))
  .map(([a, b]) => a + b);
const reasonCodeEdges = edges(
  fc.tuple(fc.constantFrom(99, 100, 101), fc.constantFrom('', ' ', '  ', '\t')).map(([n, pad]) => `r${'_'.repeat(n - 1)}${pad}`),
  fc.constantFrom('A', 'Illness', '_a', '1a', 'a-b', 'a b', 'aé', 'a\n', '', ' a', 'a\u0000', 'ａ'),
);

const text = stringOf(anyChar, [0, 1, 10, 40]);
const textEdges = edges(withNul(anyChar), text);

/** `hex32` spelled any way PostgreSQL's uuid input accepts: case, hyphens after any group of four, braces. */
const uuidSpelling = (hex32: string) =>
  fc
    .record({
      letterCase: fc.constantFrom('lower', 'lower', 'upper', 'mixed'),
      hyphens: fc.oneof(
        { arbitrary: fc.constant([false, true, true, true, true, false, false]), weight: 3 },
        { arbitrary: fc.array(fc.boolean(), { minLength: 7, maxLength: 7 }), weight: 2 },
      ),
      braces: fc.oneof({ arbitrary: fc.constant(false), weight: 3 }, { arbitrary: fc.constant(true), weight: 1 }),
    })
    .map(({ letterCase, hyphens, braces }) => {
      const groups = (hex32.match(/.{4}/g) ?? []).map((g, i) =>
        letterCase === 'upper' || (letterCase === 'mixed' && i % 2 === 0) ? g.toUpperCase() : g,
      );
      const body = groups.map((g, i) => (i < 7 && hyphens[i] ? `${g}-` : g)).join('');
      return braces ? `{${body}}` : body;
    });

/** Near misses of a spelled uuid, every one refused by PostgreSQL. */
const brokenUuid = (spelled: fc.Arbitrary<string>) =>
  fc.tuple(spelled, fc.nat(16)).map(([s, how]) => {
    const bare = s.replace(/[{}]/g, '');
    const broken = [
      ` ${s}`, `${s} `, `{${bare}`, `${bare}}`, `{{${bare}}}`, bare.slice(1), `${bare}a`, bare.replace(/[0-9a-f]/i, 'g'),
      `${bare}-`, `-${bare}`, `${bare.slice(0, 2)}-${bare.slice(2)}`, bare.replace(/^(.{4})-?/, '$1--'),
      bare.replace(/[0-9]/, '０'), `${bare.slice(0, 10)}\u0000${bare.slice(10)}`, '', 'not-a-uuid', `${bare}\n`,
    ];
    return broken[how] as string;
  });

const randomUuid = fc
  .uuid()
  .map((u) => u.replace(/-/g, ''))
  .chain(uuidSpelling);
/** A row's own `id`: typically left to the database; as an edge, a random uuid in some spelling or a broken one. */
const idEdges = edges(randomUuid, randomUuid, brokenUuid(randomUuid));

/** A foreign key to the parent row each case creates: its id in some spelling, or (edge) a broken spelling. */
const parentId = (id: string) => uuidSpelling(id.replace(/-/g, ''));
const parentIdEdges = (id: string) => edges(brokenUuid(parentId(id)));

const INT32_MIN = -2_147_483_648;
const INT32_MAX = 2_147_483_647;
const int32Edges = fc.oneof(
  fc.constantFrom(
    0, -1, 1, -0, INT32_MAX, INT32_MAX + 1, INT32_MIN, INT32_MIN - 1, 1.5, 0.5, -1.5, 2 ** 53, 1e21, Number.EPSILON,
    Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY,
  ),
  fc.integer({ min: INT32_MIN, max: INT32_MAX }),
  fc.double(),
);

const DAY = 86_400_000;
const HOUR = 3_600_000;
const BASE_TIME = Date.UTC(2025, 2, 1, 12);
const FIRST_STORABLE = new Date('0001-01-01T00:00:00.000Z').getTime();
const LAST_STORABLE = new Date('9999-12-31T23:59:59.999Z').getTime();
const JS_DATE_LIMIT = 8.64e15;

const date = fc.integer({ min: BASE_TIME - 120 * DAY, max: BASE_TIME + 120 * DAY }).map((ms) => new Date(ms));
/** The storable bounds (years 1 and 9999) ±1 ms, years 1–99, anywhere in JavaScript's range, and Invalid Date. */
const edgeDate = fc
  .oneof(
    fc.constantFrom(
      FIRST_STORABLE, FIRST_STORABLE - 1, FIRST_STORABLE + HOUR, LAST_STORABLE, LAST_STORABLE + 1, LAST_STORABLE - HOUR,
      -JS_DATE_LIMIT, JS_DATE_LIMIT, 0, Number.NaN,
    ),
    fc.integer({ min: FIRST_STORABLE, max: new Date('0100-01-01T00:00:00Z').getTime() }),
    fc.integer({ min: FIRST_STORABLE, max: LAST_STORABLE }),
    fc.integer({ min: -JS_DATE_LIMIT, max: JS_DATE_LIMIT }),
  )
  .map((ms) => new Date(ms));
const dateEdges = edges(edgeDate);

/** An offset (ms) between two dates of a row: ±1 ms, around the 0.005 h rounding step, days, huge. */
const edgeOffset = fc.oneof(
  fc.constantFrom(0, 1, -1, 18_000, -18_000, 17_999, 18_001, -17_999, -18_001, HOUR, -HOUR),
  fc.integer({ min: -90 * DAY, max: 90 * DAY }),
  fc.constantFrom(LAST_STORABLE - FIRST_STORABLE, FIRST_STORABLE - LAST_STORABLE, JS_DATE_LIMIT),
);
/** A date relative to another of the row (`{ offset }`, resolved by {@link offsetFrom}), or an edge date. */
const relativeDateEdges = edges(edgeOffset.map((offset) => ({ offset })), edgeDate);
const offsetFrom = (base: unknown, value: unknown): unknown =>
  typeof value === 'object' && value !== null && 'offset' in value
    ? new Date((base instanceof Date ? base.getTime() : BASE_TIME) + (value as { offset: number }).offset)
    : value;

const riskThreshold = fc.integer({ min: 0, max: 100_000 }).map((n) => n / 1000);
const riskThresholdEdges = edges(
  fc.constantFrom(
    99.995, 100.004, 100.005, -0.004, -0.005, 1e-7, -1e-7, 999.995, 999.994, -999.995, 5e-324, 0, -0, 100, 15, 12.345,
    2.675, 1e21, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 0.1 + 0.2,
  ),
  fc.double(),
  fc.double({ min: -200, max: 200, noNaN: true }),
);

// ---------------------------------------------------------------------------------------------------------------
// Row generators, one per table
// ---------------------------------------------------------------------------------------------------------------

/** `created_at` and the like: typically left to the database's `now()`. */
const timestampsLeftOut = (...keys: string[]) => Object.fromEntries(keys.map((key) => [key, fc.constant(undefined)]));
const timestampEdges = (...keys: string[]) => Object.fromEntries(keys.map((key) => [key, edges(date, edgeDate)]));

const tutorRows = rowsOf(
  { id: fc.constant(undefined), name: notBlank, email: fc.option(email), ...timestampsLeftOut('createdAt', 'updatedAt'), isActive: fc.boolean() },
  { id: idEdges, name: notBlankEdges, email: emailEdges, ...timestampEdges('createdAt', 'updatedAt'), isActive: edges(fc.boolean()) },
);

const sessionRows = rowsOf(
  {
    id: fc.constant(undefined),
    tutorId: parentId(PARENT_TUTOR_ID),
    studentId: notBlank,
    scheduledTime: date,
    status: fc.constantFrom(...sessionStatuses),
    completedTime: fc.integer({ min: 0, max: 3 * HOUR }).map((offset) => ({ offset })),
    durationMinutes: fc.option(fc.integer({ min: 1, max: 240 })),
    ...timestampsLeftOut('createdAt', 'updatedAt'),
  },
  {
    id: idEdges,
    tutorId: parentIdEdges(PARENT_TUTOR_ID),
    studentId: notBlankEdges,
    scheduledTime: dateEdges,
    status: oneOfEdges(sessionStatuses),
    completedTime: relativeDateEdges,
    durationMinutes: edges(int32Edges, fc.integer({ min: 1, max: 240 })),
    ...timestampEdges('createdAt', 'updatedAt'),
  },
  (row, isEdge) => {
    // Typical values keep the rules across columns: completedTime and durationMinutes only for completed sessions.
    const completed = row.status === 'completed';
    return {
      ...row,
      completedTime: isEdge('completedTime') || completed ? offsetFrom(row.scheduledTime, row.completedTime) : null,
      durationMinutes: isEdge('durationMinutes') || completed ? row.durationMinutes : null,
    };
  },
);

const rescheduleRows = rowsOf(
  {
    id: fc.constant(undefined),
    sessionId: parentId(PARENT_SESSION_ID),
    initiator: fc.constantFrom(...rescheduleInitiators),
    originalTime: date,
    newTime: fc.option(fc.integer({ min: 1, max: 30 * DAY }).map((offset) => ({ offset }))),
    reason: fc.option(text),
    reasonCode: fc.option(reasonCode),
    cancelledAt: fc.integer({ min: -60 * DAY, max: 2 * DAY }).map((offset) => ({ offset })),
    createdAt: fc.constant(undefined),
  },
  {
    id: idEdges,
    sessionId: parentIdEdges(PARENT_SESSION_ID),
    initiator: oneOfEdges(rescheduleInitiators),
    originalTime: dateEdges,
    newTime: relativeDateEdges,
    reason: textEdges,
    reasonCode: reasonCodeEdges,
    cancelledAt: relativeDateEdges,
    createdAt: edges(date, edgeDate),
  },
  (row) => ({
    ...row,
    newTime: offsetFrom(row.originalTime, row.newTime),
    cancelledAt: offsetFrom(row.originalTime, row.cancelledAt),
  }),
);

const countKeys = [
  'totalSessions7d', 'totalSessions30d', 'totalSessions90d', 'tutorReschedules7d', 'tutorReschedules30d', 'tutorReschedules90d',
] as const;

/** Counts that satisfy every CHECK: sessions and reschedules nested by window, reschedules within sessions. */
const counts = fc.oneof(
  {
    arbitrary: fc
      .record({ t7: fc.nat(40), d30: fc.nat(80), d90: fc.nat(200), a: fc.nat(), b: fc.nat(), c: fc.nat() })
      .map(({ t7, d30, d90, a, b, c }) => {
        const t30 = t7 + d30;
        const t90 = t30 + d90;
        const r7 = a % (t7 + 1);
        const r30 = r7 + (b % (t30 - r7 + 1));
        const r90 = r30 + (c % (t90 - r30 + 1));
        return [t7, t30, t90, r7, r30, r90];
      }),
    weight: 12,
  },
  { arbitrary: fc.constant(countKeys.map(() => 0)), weight: 1 },
  { arbitrary: fc.constant(countKeys.map(() => INT32_MAX)), weight: 1 },
);

const tutorScoreRows = rowsOf(
  {
    id: fc.constant(undefined),
    tutorId: parentId(PARENT_TUTOR_ID),
    counts,
    riskThreshold,
    ...timestampsLeftOut('asOf', 'lastCalculatedAt', 'createdAt', 'updatedAt'),
  },
  {
    id: idEdges,
    tutorId: parentIdEdges(PARENT_TUTOR_ID),
    // A count moved by one from its typical value, replaced by an edge, null, or left out (default 0); or all left out.
    countChange: fc.oneof(
      fc.record({ key: fc.constantFrom(...countKeys), to: edges(fc.constantFrom('+1', '-1'), int32Edges) }),
      fc.constant('all left out'),
    ),
    riskThreshold: riskThresholdEdges,
    ...timestampEdges('asOf', 'lastCalculatedAt', 'createdAt', 'updatedAt'),
  },
  ({ counts: typical, countChange: change, ...row }) => {
    if (change === 'all left out') return row;
    const result: Row = { ...row, ...Object.fromEntries(countKeys.map((key, i) => [key, (typical as number[])[i]])) };
    if (change) {
      const { key, to } = change as { key: (typeof countKeys)[number]; to: unknown };
      result[key] = to === '+1' || to === '-1' ? (result[key] as number) + (to === '+1' ? 1 : -1) : to;
    }
    return result;
  },
);

const emailReportRows = rowsOf(
  {
    id: fc.constant(undefined),
    sessionId: parentId(PARENT_SESSION_ID),
    recipientEmail: email,
    sentAt: date,
    status: fc.constantFrom(...emailReportStatuses),
    errorMessage: text,
    createdAt: fc.constant(undefined),
  },
  {
    id: idEdges,
    sessionId: parentIdEdges(PARENT_SESSION_ID),
    recipientEmail: emailEdges,
    sentAt: dateEdges,
    status: oneOfEdges(emailReportStatuses),
    errorMessage: textEdges,
    createdAt: edges(date, edgeDate),
  },
  // Typical values keep the rule across columns: an error message for failed and dead reports, none for sent ones.
  (row, isEdge) => (isEdge('errorMessage') || row.status === 'failed' || row.status === 'dead' ? row : { ...row, errorMessage: null }),
);

// ---------------------------------------------------------------------------------------------------------------
// Both verdicts
// ---------------------------------------------------------------------------------------------------------------

interface TableSpec {
  name: string;
  table: PgTable;
  insertSchema: z.ZodType;
  selectSchema: z.ZodType;
  /** The parent rows a case creates first: none, a tutor, or a tutor and its session. */
  parents: 'none' | 'tutor' | 'session';
  rows: fc.Arbitrary<Row>;
}

const tableSpecs: TableSpec[] = [
  { name: 'tutors', table: tutors, insertSchema: tutorInsertSchema, selectSchema: tutorSelectSchema, parents: 'none', rows: tutorRows },
  { name: 'sessions', table: sessions, insertSchema: sessionInsertSchema, selectSchema: sessionSelectSchema, parents: 'tutor', rows: sessionRows },
  { name: 'reschedules', table: reschedules, insertSchema: rescheduleInsertSchema, selectSchema: rescheduleSelectSchema, parents: 'session', rows: rescheduleRows },
  { name: 'tutor_scores', table: tutorScores, insertSchema: tutorScoreInsertSchema, selectSchema: tutorScoreSelectSchema, parents: 'tutor', rows: tutorScoreRows },
  { name: 'email_reports', table: emailReports, insertSchema: emailReportInsertSchema, selectSchema: emailReportSelectSchema, parents: 'session', rows: emailReportRows },
];

type DatabaseVerdict =
  | { accepted: true; stored: Row; alteredOnRead: string[] }
  | { accepted: false; error: unknown; beforeSending: boolean };

const show = (value: unknown) => inspect(value, { depth: 4, breakLength: Number.POSITIVE_INFINITY, maxStringLength: 400 });

const isStorable = (value: unknown): value is Date =>
  value instanceof Date && value.getTime() >= FIRST_STORABLE && value.getTime() <= LAST_STORABLE;

const sameValue = (a: unknown, b: unknown) => (a instanceof Date && b instanceof Date ? a.getTime() === b.getTime() : a === b);

/**
 * Checks a row PostgreSQL accepted against Zod's output for it: every value Zod output is the value stored. Where the
 * driver reads a value back differently (Drizzle parses years 1–99 as 19xx/20xx; PGlite drops a leading U+FEFF), the
 * stored value is compared in SQL instead, and the row is checked with Zod's value in its place. Returns the columns
 * the driver read back differently.
 */
async function checkStoredRow(tx: Database, spec: TableSpec, parsed: Row, stored: Row): Promise<string[]> {
  const columns = getTableColumns(spec.table) as Record<string, PgColumn>;
  const alteredOnRead: string[] = [];
  for (const [key, value] of Object.entries(parsed)) {
    if (value === undefined || sameValue(value, stored[key])) continue;
    const [match] = await tx
      .select({ n: sql<number>`1` })
      .from(spec.table)
      .where(and(eq(columns.id as PgColumn, stored.id), eq(columns[key] as PgColumn, value)));
    expect(match, `${spec.name}.${key}: Zod output ${show(value)}, PostgreSQL stored ${show(stored[key])}`).toBeDefined();
    alteredOnRead.push(key);
  }
  const row = { ...stored, ...Object.fromEntries(alteredOnRead.map((key) => [key, parsed[key]])) };
  const select = spec.selectSchema.safeParse(row);
  expect(select.success, `select schema on ${show(row)}: ${select.error?.issues.map((i) => i.message).join('; ')}`).toBe(true);
  return alteredOnRead;
}

/** Inserts `row` into `spec.table` after its parents, in a transaction that is always rolled back. */
async function databaseVerdict(db: Database, spec: TableSpec, row: Row, parsed: Row | undefined): Promise<DatabaseVerdict> {
  let verdict: DatabaseVerdict | undefined;
  try {
    await db.transaction(async (tx) => {
      if (spec.parents !== 'none') await tx.insert(tutors).values({ id: PARENT_TUTOR_ID, name: 'Parent Tutor' });
      if (spec.parents === 'session') {
        // reschedules (session_id, original_time) references sessions (id, scheduled_time).
        const scheduledTime = isStorable(row.originalTime) ? row.originalTime : PARENT_SESSION_TIME;
        await tx.insert(sessions).values({
          id: PARENT_SESSION_ID,
          tutorId: PARENT_TUTOR_ID,
          studentId: 'parent-student',
          scheduledTime,
          status: 'rescheduled',
        });
      }
      let stored: Row | undefined;
      try {
        [stored] = (await tx.insert(spec.table).values(row as never).returning()) as Row[];
      } catch (error) {
        // Anything but a DrizzleQueryError was thrown while Drizzle built the query (`toISOString()` of an Invalid
        // Date), before anything was sent: check that nothing was written.
        const beforeSending = !(error instanceof DrizzleQueryError);
        if (beforeSending) {
          const [written] = await tx.select({ n: sql<number>`count(*)::int` }).from(spec.table);
          expect(written?.n, 'rows written by an insert that threw before sending').toBe(0);
        }
        verdict = { accepted: false, error, beforeSending };
      }
      if (stored) {
        verdict = { accepted: true, stored, alteredOnRead: parsed ? await checkStoredRow(tx, spec, parsed, stored) : [] };
      }
      tx.rollback();
    });
  } catch (error) {
    if (!(error instanceof TransactionRollbackError)) throw error;
  }
  if (!verdict) throw new Error('the transaction ended without a verdict');
  return verdict;
}

/** PostgreSQL's error in full (SQLSTATE, constraint, server message with the value), or the error Drizzle threw. */
function describeDatabaseError(error: unknown): string {
  const translated = translateDatabaseError(error);
  if (translated instanceof ConstraintViolationError) {
    const server = (error as { cause?: { message?: string } }).cause?.message ?? translated.message;
    return `${translated.sqlState} ${translated.constraint ?? '(no constraint)'}: ${server}`;
  }
  return error instanceof Error ? `${error.name}: ${error.message}${error.cause ? ` (cause: ${String(error.cause)})` : ''}` : String(error);
}

interface Tally {
  cases: number;
  accepted: number;
  rejected: number;
  rejectedBeforeSending: number;
  alteredOnRead: Map<string, number>;
}

async function checkAgreement(db: Database, spec: TableSpec, row: Row, tally: Tally): Promise<void> {
  const zod = spec.insertSchema.safeParse(row);
  const database = await databaseVerdict(db, spec, row, zod.success ? (zod.data as Row) : undefined);
  if (zod.success !== database.accepted) {
    throw new Error(
      [
        `zod/postgres disagreement on ${spec.name}`,
        `row:      ${show(row)}`,
        `zod:      ${zod.success ? `accepted, output ${show(zod.data)}` : `rejected: ${zod.error.issues.map((i) => i.message).join('; ')}`}`,
        `postgres: ${
          database.accepted
            ? `accepted, stored ${show(database.stored)}`
            : `${database.beforeSending ? 'refused by Drizzle before sending: ' : 'rejected: '}${describeDatabaseError(database.error)}`
        }`,
      ].join('\n'),
    );
  }
  tally.cases++;
  if (database.accepted) {
    tally.accepted++;
    for (const key of database.alteredOnRead) tally.alteredOnRead.set(key, (tally.alteredOnRead.get(key) ?? 0) + 1);
  } else {
    tally.rejected++;
    if (database.beforeSending) tally.rejectedBeforeSending++;
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Fixtures: a valid row per table, and for each CHECK constraint a row that breaks it alone
// ---------------------------------------------------------------------------------------------------------------

const at = (iso: string) => new Date(iso);
const BASE_DATE = new Date(BASE_TIME);
const validRows = {
  tutor: { name: 'Ada Lovelace', email: 'ada@example.com' },
  session: {
    tutorId: PARENT_TUTOR_ID,
    studentId: 'student-42',
    scheduledTime: at('2025-03-03T16:00:00Z'),
    completedTime: at('2025-03-03T17:00:00Z'),
    status: 'completed',
    durationMinutes: 60,
  },
  reschedule: {
    sessionId: PARENT_SESSION_ID,
    initiator: 'tutor',
    originalTime: PARENT_SESSION_TIME,
    newTime: at('2025-03-02T15:00:00Z'),
    reasonCode: 'illness',
    cancelledAt: at('2025-02-28T09:00:00Z'),
  },
  tutorScore: {
    tutorId: PARENT_TUTOR_ID,
    totalSessions7d: 2,
    totalSessions30d: 4,
    totalSessions90d: 8,
    tutorReschedules7d: 1,
    tutorReschedules30d: 1,
    tutorReschedules90d: 2,
  },
  emailReport: { sessionId: PARENT_SESSION_ID, recipientEmail: 'ada@example.com', sentAt: at('2025-03-03T18:00:00Z'), status: 'sent' },
} satisfies Record<string, Row>;

interface Violation {
  schema: z.ZodType;
  table: PgTable;
  parents: TableSpec['parents'];
  row: Row;
  field: string;
}

/** For each CHECK constraint: a row that breaks it and nothing else, and the field Zod blames. */
const violations: Record<string, Violation> = {
  tutors_name_not_blank: { schema: tutorInsertSchema, table: tutors, parents: 'none', row: { ...validRows.tutor, name: ' \t\r\n' }, field: 'name' },
  tutors_email_format: { schema: tutorInsertSchema, table: tutors, parents: 'none', row: { ...validRows.tutor, email: 'ada @example.com' }, field: 'email' },
  sessions_status_valid: { schema: sessionInsertSchema, table: sessions, parents: 'tutor', row: { ...validRows.session, status: 'Completed', completedTime: null, durationMinutes: null }, field: 'status' },
  sessions_student_id_not_blank: { schema: sessionInsertSchema, table: sessions, parents: 'tutor', row: { ...validRows.session, studentId: '\n' }, field: 'studentId' },
  sessions_completed_time_matches_status: {
    schema: sessionInsertSchema, table: sessions, parents: 'tutor', row: { ...validRows.session, completedTime: null, durationMinutes: null }, field: 'completedTime',
  },
  sessions_completed_after_scheduled: {
    schema: sessionInsertSchema, table: sessions, parents: 'tutor', row: { ...validRows.session, completedTime: at('2025-03-03T15:59:59.999Z') }, field: 'completedTime',
  },
  sessions_duration_positive: { schema: sessionInsertSchema, table: sessions, parents: 'tutor', row: { ...validRows.session, durationMinutes: 0 }, field: 'durationMinutes' },
  sessions_duration_only_when_completed: {
    schema: sessionInsertSchema, table: sessions, parents: 'tutor', row: { ...validRows.session, status: 'no_show', completedTime: null }, field: 'durationMinutes',
  },
  reschedules_initiator_valid: { schema: rescheduleInsertSchema, table: reschedules, parents: 'session', row: { ...validRows.reschedule, initiator: 'system' }, field: 'initiator' },
  reschedules_new_time_after_original: {
    schema: rescheduleInsertSchema, table: reschedules, parents: 'session', row: { ...validRows.reschedule, newTime: PARENT_SESSION_TIME }, field: 'newTime',
  },
  reschedules_reason_code_format: {
    schema: rescheduleInsertSchema, table: reschedules, parents: 'session', row: { ...validRows.reschedule, reasonCode: 'Illness' }, field: 'reasonCode',
  },
  tutor_scores_risk_threshold_in_range: {
    schema: tutorScoreInsertSchema, table: tutorScores, parents: 'tutor', row: { ...validRows.tutorScore, riskThreshold: 100.005 }, field: 'riskThreshold',
  },
  tutor_scores_7d_counts_valid: {
    schema: tutorScoreInsertSchema, table: tutorScores, parents: 'tutor', row: { ...validRows.tutorScore, tutorReschedules7d: 3, tutorReschedules30d: 3, tutorReschedules90d: 3 }, field: 'tutorReschedules7d',
  },
  tutor_scores_30d_counts_valid: {
    schema: tutorScoreInsertSchema, table: tutorScores, parents: 'tutor', row: { ...validRows.tutorScore, tutorReschedules30d: 5, tutorReschedules90d: 5 }, field: 'tutorReschedules30d',
  },
  tutor_scores_90d_counts_valid: {
    schema: tutorScoreInsertSchema, table: tutorScores, parents: 'tutor', row: { ...validRows.tutorScore, tutorReschedules90d: 9 }, field: 'tutorReschedules90d',
  },
  tutor_scores_windows_nested: {
    schema: tutorScoreInsertSchema, table: tutorScores, parents: 'tutor', row: { ...validRows.tutorScore, totalSessions30d: 1, tutorReschedules30d: 1 }, field: 'totalSessions30d',
  },
  email_reports_status_valid: { schema: emailReportInsertSchema, table: emailReports, parents: 'session', row: { ...validRows.emailReport, status: 'SENT' }, field: 'status' },
  email_reports_recipient_email_format: {
    schema: emailReportInsertSchema, table: emailReports, parents: 'session', row: { ...validRows.emailReport, recipientEmail: 'a@b@c' }, field: 'recipientEmail',
  },
  email_reports_error_message_when_failed: {
    schema: emailReportInsertSchema, table: emailReports, parents: 'session', row: { ...validRows.emailReport, status: 'failed' }, field: 'errorMessage',
  },
  email_reports_claim_only_when_pending: {
    schema: emailReportInsertSchema, table: emailReports, parents: 'session', row: { ...validRows.emailReport, claimedUntil: at('2025-03-03T18:05:00Z') }, field: 'claimedUntil',
  },
  email_reports_attempts_valid: { schema: emailReportInsertSchema, table: emailReports, parents: 'session', row: { ...validRows.emailReport, attempts: -1 }, field: 'attempts' },
  email_reports_available_only_when_pending: {
    schema: emailReportInsertSchema, table: emailReports, parents: 'session', row: { ...validRows.emailReport, availableAt: at('2025-03-03T18:05:00Z') }, field: 'availableAt',
  },
};

// `<table>_timestamps_in_range` is left out: a Date outside the years 1–9999 never reaches it (Drizzle sends text that
// PostgreSQL refuses to parse first), and Zod names the column type for it (`timestamptz`). Text reaches it: see
// test/wire.test.ts and test/constraints.test.ts.
// The CHECK constraints a row schema mirrors: not keys, not the range check, not reschedule_status_rule, a rule
// across two tables checked at commit, which no schema of one row can see, and not sessions_status_transition, a rule
// across a row before and after an update (a schema of one row sees only the row after).
const checkConstraints = Object.keys(constraintDescriptions).filter(
  (name) =>
    !/_(pkey|unique|fk|timestamps_in_range)$/.test(name) &&
    name !== 'reschedule_status_rule' &&
    name !== 'sessions_status_transition',
);

describeEachBackend('Zod and PostgreSQL', (backend) => {
  let db: TqsDatabase;
  useDatabase(backend, (opened) => (db = opened));

  for (const spec of tableSpecs) {
    it(`${spec.name}: Zod accepts a row if and only if PostgreSQL does`, async () => {
      const tally: Tally = { cases: 0, accepted: 0, rejected: 0, rejectedBeforeSending: 0, alteredOnRead: new Map() };
      await fc.assert(
        fc.asyncProperty(spec.rows, (row) => checkAgreement(db, spec, row, tally)),
        { numRuns: RUNS, seed: SEED },
      );
      const notes = [
        tally.rejectedBeforeSending > 0
          ? `${tally.rejectedBeforeSending} of the rejections thrown by Drizzle before sending (Invalid Date)`
          : '',
        tally.alteredOnRead.size > 0
          ? `values PostgreSQL stored as Zod output them but the driver read back differently: ${[...tally.alteredOnRead].map(([key, n]) => `${key} ×${n}`).join(', ')}`
          : '',
      ].filter(Boolean);
      console.log(
        `zod/postgres agreement [${backend.name}] ${spec.name}: ${tally.cases} cases (${tally.rejected} rejected by both, ${tally.accepted} accepted by both)${notes.length > 0 ? `; ${notes.join('; ')}` : ''}`,
      );
      // The generators are worth something only if they produce plenty of both.
      expect(tally.accepted, 'rows accepted').toBeGreaterThan(tally.cases / 5);
      expect(tally.rejected, 'rows rejected').toBeGreaterThan(tally.cases / 5);
    });
  }

  it.each(Object.entries(violations))('%s: PostgreSQL names the constraint Zod names', async (constraint, { schema, table, parents, row }) => {
    const spec: TableSpec = { name: constraint, table, insertSchema: schema, selectSchema: schema, parents, rows: fc.constant(row) };
    const verdict = await databaseVerdict(db, spec, row, undefined);
    expect(verdict.accepted).toBe(false);
    if (!verdict.accepted) expect((translateDatabaseError(verdict.error) as ConstraintViolationError).constraint).toBe(constraint);
  });
});

// ---------------------------------------------------------------------------------------------------------------
// Messages, rules and types
// ---------------------------------------------------------------------------------------------------------------

function issuesOf(schema: z.ZodType, row: unknown) {
  try {
    parseRow(schema, row, 'row');
  } catch (error) {
    expect(error).toBeInstanceOf(ValidationError);
    return (error as ValidationError).issues;
  }
  return [];
}

describe('Zod schemas: messages name the field and the rule', () => {
  it('mirrors every CHECK constraint of the schema', () => {
    expect(Object.keys(violations).sort()).toEqual([...checkConstraints].sort());
  });

  it.each(Object.entries(validRows))('accepts a valid %s', (name, row) => {
    const schema = { tutor: tutorInsertSchema, session: sessionInsertSchema, reschedule: rescheduleInsertSchema, tutorScore: tutorScoreInsertSchema, emailReport: emailReportInsertSchema }[name];
    expect(schema?.safeParse(row).success).toBe(true);
  });

  it.each(Object.entries(violations))('%s: one issue, on the field at fault, naming the constraint', (constraint, { schema, row, field }) => {
    const issues = issuesOf(schema, row);
    expect(issues).toEqual([{ path: field, message: expect.stringMatching(new RegExp(`\\(${constraint}\\)$`)) }]);
    const [zodIssue] = schema.safeParse(row).error?.issues ?? [];
    expect(zodIssue?.message).toMatch(new RegExp(`^${field}: .*\\(${constraint}\\)$`));
  });

  it.each([
    ['name', { name: undefined }, 'name: is required (not null)'],
    ['name', { name: null }, 'name: must not be null (not null)'],
    ['name', { name: 42 }, 'name: must be a string (varchar(255))'],
    ['name', { name: '😀'.repeat(256) }, 'name: must be at most 255 characters (only spaces may follow, and are dropped) (varchar(255))'],
    ['name', { name: 'a\u0000b' }, 'name: must not contain the NUL character U+0000 (varchar(255))'],
    ['name', { name: 'a\ud800b' }, 'name: must be well-formed UTF-16 (no lone surrogate, which would be stored as U+FFFD) (varchar(255))'],
    ['id', { id: 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11 ' }, 'id: must be a UUID: 32 hex digits, optionally hyphenated or in braces (uuid)'],
    ['createdAt', { createdAt: new Date(Number.NaN) }, 'createdAt: must be a valid Date from year 1 to 9999 (UTC) (timestamptz)'],
    ['createdAt', { createdAt: new Date('+010000-01-01T00:00:00Z') }, 'createdAt: must be a valid Date from year 1 to 9999 (UTC) (timestamptz)'],
    ['createdAt', { createdAt: '2025-01-01' }, 'createdAt: must be a Date (timestamptz)'],
    ['isActive', { isActive: 'yes' }, 'isActive: must be true or false (boolean)'],
  ])('type rule of %s: %o', (path, change, message) => {
    expect(issuesOf(tutorInsertSchema, { ...validRows.tutor, ...change })).toEqual([{ path, message: message.slice(path.length + 2) }]);
  });

  it('names integer and numeric overflows', () => {
    expect(issuesOf(sessionInsertSchema, { ...validRows.session, durationMinutes: 2 ** 31 })).toEqual([
      { path: 'durationMinutes', message: 'must be a whole number from -2147483648 to 2147483647 (integer)' },
    ]);
    expect(issuesOf(tutorScoreInsertSchema, { ...validRows.tutorScore, riskThreshold: 999.995 })).toContainEqual({
      path: 'riskThreshold',
      message: 'must round (to 2 decimals) to less than 10^3 in absolute value (numeric(5,2))',
    });
  });

  it('parseRow returns what PostgreSQL stores, and throws ValidationError naming each field', () => {
    const parsed = parseRow(tutorInsertSchema, { id: '{A0EEBC999C0B4EF8BB6D6BB9BD380A11}', name: `${'é'.repeat(255)}   `, email: null });
    expect(parsed).toEqual({ id: 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', name: 'é'.repeat(255), email: null });
    expect(parseRow(tutorScoreInsertSchema, { ...validRows.tutorScore, riskThreshold: 12.345 }).riskThreshold).toBe(12.35);

    const error = (() => {
      try {
        parseRow(sessionInsertSchema, { ...validRows.session, status: 'no_show', durationMinutes: -5 }, 'session');
      } catch (thrown) {
        return thrown as ValidationError;
      }
      throw new Error('expected a ValidationError');
    })();
    expect(error).toBeInstanceOf(ValidationError);
    expect(error.code).toBe('VALIDATION_FAILED');
    expect(error.issues).toEqual([
      { path: 'durationMinutes', message: 'must be greater than 0 (sessions_duration_positive)' },
      { path: 'completedTime', message: "must be set exactly when status is 'completed' (sessions_completed_time_matches_status)" },
      { path: 'durationMinutes', message: "must be null unless status is 'completed' (sessions_duration_only_when_completed)" },
    ]);
    expect(error.message).toMatch(/^session is invalid: durationMinutes: must be greater than 0 \(sessions_duration_positive\); completedTime: /);
  });

  it('update schemas check a rule across columns only when the update sets all of them', () => {
    expect(sessionUpdateSchema.safeParse({ status: 'completed' }).success).toBe(true);
    expect(issuesOf(sessionUpdateSchema, { status: 'completed', completedTime: null })).toEqual([
      { path: 'completedTime', message: "must be set exactly when status is 'completed' (sessions_completed_time_matches_status)" },
    ]);
    expect(tutorScoreUpdateSchema.safeParse({ tutorReschedules7d: 5 }).success).toBe(true);
    expect(issuesOf(tutorScoreUpdateSchema, { tutorReschedules7d: -1 })).toEqual([
      { path: 'tutorReschedules7d', message: 'must be at least 0 (tutor_scores_7d_counts_valid)' },
    ]);
    expect(issuesOf(emailReportUpdateSchema, { status: 'sent', errorMessage: 'oops' })).toHaveLength(1);
    expect(rescheduleUpdateSchema.safeParse({ newTime: null }).success).toBe(true);
    expect(tutorUpdateSchema.safeParse({}).success).toBe(true);
  });

  it('insert schemas check a rule across columns with the defaults of the columns left out', () => {
    // tutor_reschedules_7d = 1 against total_sessions_7d defaulting to 0.
    expect(issuesOf(tutorScoreInsertSchema, { tutorId: PARENT_TUTOR_ID, tutorReschedules7d: 1 })).toContainEqual({
      path: 'tutorReschedules7d',
      message: 'must not exceed totalSessions7d (tutor_scores_7d_counts_valid)',
    });
    expect(tutorScoreInsertSchema.safeParse({ tutorId: PARENT_TUTOR_ID }).success).toBe(true);
  });

  it('select schemas check the generated columns against the columns they derive from', () => {
    const score = {
      id: PARENT_SESSION_ID, ...validRows.tutorScore, riskThreshold: 15, isHighRisk: true, riskCategory: 'high',
      rescheduleRate7d: 50, rescheduleRate30d: 25, rescheduleRate90d: 25,
      asOf: BASE_DATE, lastCalculatedAt: BASE_DATE, createdAt: BASE_DATE, updatedAt: BASE_DATE, nextChangeAt: null,
    };
    expect(tutorScoreSelectSchema.safeParse(score).success).toBe(true);
    expect(issuesOf(tutorScoreSelectSchema, { ...score, isHighRisk: false }).map((i) => i.path)).toEqual(['isHighRisk']);
    expect(issuesOf(tutorScoreSelectSchema, { ...score, rescheduleRate90d: 25.01 }).map((i) => i.path)).toEqual(['rescheduleRate90d']);
    expect(issuesOf(tutorScoreSelectSchema, { ...score, riskCategory: 'medium' }).map((i) => i.path)).toEqual(['riskCategory']);
    const reschedule = {
      id: PARENT_SESSION_ID, ...validRows.reschedule, reason: null, createdAt: BASE_DATE,
      hoursBeforeSession: 30, // 2025-02-28T09:00Z to 2025-03-01T15:00Z
    };
    expect(rescheduleSelectSchema.safeParse(reschedule).success).toBe(true);
    expect(issuesOf(rescheduleSelectSchema, { ...reschedule, hoursBeforeSession: 30.01 }).map((i) => i.path)).toEqual(['hoursBeforeSession']);
    expect(rescheduleInsertSchema.safeParse({ ...validRows.reschedule, hoursBeforeSession: 'ignored' }).success).toBe(true);
  });
});


describe('PostgreSQL type rules in JavaScript', () => {
  it('uuid input: hex digits in either case, a hyphen after any group of four, one pair of braces', () => {
    for (const good of [
      'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', 'A0EEBC999C0B4EF8BB6D6BB9BD380A11', '{a0eebc99-9c0b4ef8-bb6d6bb9-bd380a11}',
      'a0ee-bc99-9c0b-4ef8-bb6d-6bb9-bd38-0a11', '00000000-0000-0000-0000-000000000000',
    ]) expect(UUID_INPUT.test(good), good).toBe(true);
    for (const bad of [
      ' a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11-', '{a0eebc999c0b4ef8bb6d6bb9bd380a11',
      '{{a0eebc999c0b4ef8bb6d6bb9bd380a11}}', 'a0eebc99--9c0b4ef8bb6d6bb9bd380a11', 'a0eebc9-99c0b-4ef8-bb6d-6bb9bd380a11',
      'g0eebc999c0b4ef8bb6d6bb9bd380a11', 'a0eebc999c0b4ef8bb6d6bb9bd380a1',
    ]) expect(UUID_INPUT.test(bad), bad).toBe(false);
  });

  it('numeric rounding: half away from zero on the decimal string', () => {
    expect(
      ['12.345', '-0.005', '1e-7', '2.675', '0.125', '999.995', '-0.004', '1.5e+21', '5e-324'].map((s) => scaledDecimal(s, 2)),
    ).toEqual([1235n, -1n, 0n, 268n, 13n, 100000n, 0n, 150000000000000000000000n, 0n]);
    expect(scaledDecimal('NaN', 2)).toBeUndefined();
  });

  it('varchar(n): counts code points, and drops spaces past n', () => {
    expect(fitsVarchar('😀'.repeat(3), 3)).toBe(true);
    expect(fitsVarchar('😀'.repeat(4), 3)).toBe(false);
    expect(fitsVarchar('abc  ', 3)).toBe(true);
    expect(fitsVarchar('abc\t', 3)).toBe(false);
    expect(clipVarchar('😀😀😀 ', 3)).toBe('😀😀😀');
  });
});

describe('Zod schemas: static types', () => {
  it('line up with the Drizzle row types', () => {
    expectTypeOf<z.output<typeof tutorInsertSchema>>().toEqualTypeOf<NewTutor>();
    expectTypeOf<z.output<typeof sessionInsertSchema>>().toEqualTypeOf<NewSession>();
    expectTypeOf<z.output<typeof rescheduleInsertSchema>>().toEqualTypeOf<NewReschedule>();
    expectTypeOf<z.output<typeof tutorScoreInsertSchema>>().toEqualTypeOf<NewTutorScore>();
    expectTypeOf<z.output<typeof emailReportInsertSchema>>().toEqualTypeOf<NewEmailReport>();
    expectTypeOf<z.input<typeof sessionInsertSchema>>().toEqualTypeOf<NewSession>();

    expectTypeOf<z.output<typeof tutorSelectSchema>>().toEqualTypeOf<Tutor>();
    expectTypeOf<z.output<typeof sessionSelectSchema>>().toEqualTypeOf<Session>();
    expectTypeOf<z.output<typeof rescheduleSelectSchema>>().toEqualTypeOf<Reschedule>();
    expectTypeOf<z.output<typeof tutorScoreSelectSchema>>().toEqualTypeOf<TutorScore>();
    expectTypeOf<z.output<typeof emailReportSelectSchema>>().toEqualTypeOf<EmailReport>();

    expectTypeOf<z.output<typeof tutorUpdateSchema>>().toEqualTypeOf<Partial<NewTutor>>();
    expectTypeOf<z.output<typeof sessionUpdateSchema>>().toEqualTypeOf<Partial<NewSession>>();
    expectTypeOf<z.output<typeof rescheduleUpdateSchema>>().toEqualTypeOf<Partial<NewReschedule>>();
    expectTypeOf<z.output<typeof tutorScoreUpdateSchema>>().toEqualTypeOf<Partial<NewTutorScore>>();
    expectTypeOf<z.output<typeof emailReportUpdateSchema>>().toEqualTypeOf<Partial<NewEmailReport>>();

    // Generated columns are never insertable.
    expectTypeOf<keyof z.output<typeof tutorScoreInsertSchema>>().not.toEqualTypeOf<keyof TutorScore>();
    expect(Object.keys(tutorScoreInsertSchema.shape)).not.toContain('isHighRisk');
    expect(Object.keys(rescheduleInsertSchema.shape)).not.toContain('hoursBeforeSession');
  });
});

describe('Zod schemas: one per column, bounds read from the Drizzle columns', () => {
  it('each schema has the columns drizzle-zod gives it, each nullable and optional exactly where drizzle-zod makes it', () => {
    // The column schemas reach drizzle-zod ready-made, so src/validation/row-rules.ts applies drizzle-zod's own
    // nullable and optional rules: compared here with the schemas drizzle-zod builds by itself for each table.
    type Schema = z.ZodType & { shape: Record<string, z.ZodType> };
    // Per table: its insert, select, update, create-request and update-request schemas.
    const cases: [PgTable, Schema[]][] = [
      [tutors, [tutorInsertSchema, tutorSelectSchema, tutorUpdateSchema, tutorCreateRequestSchema, tutorUpdateRequestSchema]],
      [sessions, [sessionInsertSchema, sessionSelectSchema, sessionUpdateSchema, sessionCreateRequestSchema, sessionUpdateRequestSchema]],
      [reschedules, [rescheduleInsertSchema, rescheduleSelectSchema, rescheduleUpdateSchema, rescheduleCreateRequestSchema, rescheduleUpdateRequestSchema]],
      [tutorScores, [tutorScoreInsertSchema, tutorScoreSelectSchema, tutorScoreUpdateSchema, tutorScoreCreateRequestSchema, tutorScoreUpdateRequestSchema]],
      [emailReports, [emailReportInsertSchema, emailReportSelectSchema, emailReportUpdateSchema, emailReportCreateRequestSchema, emailReportUpdateRequestSchema]],
    ];
    const takes = (schema: Schema) =>
      Object.fromEntries(
        Object.entries(schema.shape).map(([key, column]) => [
          key,
          { undefined: column.safeParse(undefined).success, null: column.safeParse(null).success },
        ]),
      );
    let columns = 0;
    for (const [table, [insert, select, update, createRequest, updateRequest]] of cases) {
      const name = getTableName(table);
      const theirs = [createInsertSchema(table), createSelectSchema(table), createUpdateSchema(table)] as Schema[];
      // The requests leave out the server-owned columns (stripped when sent): compared without them.
      const serverOwned = (schema: Schema, keys: string[]) =>
        ({ shape: Object.fromEntries(Object.entries(schema.shape).filter(([key]) => !keys.includes(key))) }) as Schema;
      const createOwned = Object.keys(theirs[0]!.shape).filter((key) => !Object.hasOwn(createRequest!.shape, key));
      expect(createOwned.every((key) => ['id', 'createdAt', 'updatedAt'].includes(key)), name).toBe(true);
      expect(createOwned, name).toContain('createdAt');
      for (const [kind, ours, drizzleZods] of [
        ['insert', insert, theirs[0]],
        ['select', select, theirs[1]],
        ['update', update, theirs[2]],
        ['create request', createRequest, serverOwned(theirs[0]!, createOwned)],
        ['update request', updateRequest, serverOwned(theirs[2]!, ['id', 'createdAt', 'updatedAt'])],
      ] as [string, Schema, Schema][]) {
        expect(takes(ours), `${kind} schema of ${name}`).toEqual(takes(drizzleZods));
        columns += Object.keys(ours.shape).length;
      }
    }
    expect(columns).toBeGreaterThan(100);
  });

  it('every column of every table has its own Zod schema', () => {
    const pairs: [PgTable, object][] = [
      [tutors, tutorColumnSchemas],
      [sessions, sessionColumnSchemas],
      [reschedules, rescheduleColumnSchemas],
      [tutorScores, tutorScoreColumnSchemas],
      [emailReports, emailReportColumnSchemas],
    ];
    for (const [table, columns] of pairs) {
      expect(Object.keys(getTableColumns(table)).filter((key) => !Object.hasOwn(columns, key))).toEqual([]);
      expect(Object.keys(columns).filter((key) => !Object.hasOwn(getTableColumns(table), key))).toEqual([]);
    }
  });

  it('refuses a table with a column that has no Zod schema, naming it', () => {
    const widened = pgTable('tutors_widened', { id: uuidColumn('id').primaryKey(), nickname: varcharColumn('nickname', { length: 40 }) });
    expect(() => tableSchemas(widened, { id: uuid } as never, [])).toThrow(
      'tutors_widened: no Zod schema for column nickname (add one to src/validation for each column)',
    );
    expect(() => tableSchemas(widened, { id: uuid, nickname: uuid, nick: uuid } as never, [])).toThrow(
      'tutors_widened: Zod schema for nick, which is not a column of the table',
    );
  });

  it('reads varchar lengths and numeric precision and scale from the column', () => {
    const codes = pgTable('codes', {
      code: varcharColumn('code', { length: 3 }),
      ratio: numericColumn('ratio', { precision: 4, scale: 1, mode: 'number' }),
    });
    expect(varchar('code', codes.code).parse('abc  ')).toBe('abc');
    expect(varchar('code', codes.code).safeParse('abcd').error?.issues[0]?.message).toBe(
      'code: must be at most 3 characters (only spaces may follow, and are dropped) (varchar(3))',
    );
    expect(numeric('ratio', codes.ratio).parse(12.34)).toBe(12.3);
    expect(numeric('ratio', codes.ratio).safeParse(999.95).error?.issues[0]?.message).toBe(
      'ratio: must round (to 1 decimals) to less than 10^3 in absolute value (numeric(4,1))',
    );
    expect(() => varchar('ratio', codes.ratio as never)).toThrow('ratio: a varchar schema needs a varchar column, not PgNumericNumber');
  });
});
