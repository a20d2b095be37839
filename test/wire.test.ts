import { eq, sql, TransactionRollbackError } from 'drizzle-orm';
import type { PgTable } from 'drizzle-orm/pg-core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { z } from 'zod';
import {
  type Database,
  emailReportCreateRequestObject,
  emailReportResponseSchema,
  emailReports,
  isoTimestamptz,
  parseIsoInstant,
  reschedules,
  rescheduleCreateRequestObject,
  rescheduleResponseSchema,
  sessionCreateRequestObject,
  sessionCreateRequestSchema,
  sessionResponseSchema,
  sessions,
  type TqsDatabase,
  tutorCreateRequestObject,
  tutorResponseSchema,
  tutors,
  tutorScoreCreateRequestObject,
  tutorScoreResponseSchema,
  tutorScores,
  tutorScoreUpdateRequestSchema,
  withEmailReportRules,
  withRescheduleRules,
  withSessionRules,
  withTutorRules,
  withTutorScoreRules,
} from '../src';
import { describeEachBackend, useDatabase } from './support/databases';

/*
 * The JSON contract, on both backends:
 * - round trip: a row read from the database → its response schema → JSON text → the create request schema → insert
 *   (after deleting the original) gives back an equal row, for timestamps anywhere in the years 1–9999;
 * - agreement: for ISO 8601 text in every timestamp column of every table (valid, near misses, impossible dates,
 *   offsets at and past PostgreSQL's limit, the years 1 and 9999 crossed by an offset), the request schema accepts the
 *   body if and only if PostgreSQL accepts the same text in that column.
 * TQS_WIRE_RUNS sets the cases per table (default 40, 100 with TQS_RELIABILITY=1).
 */

const RUNS = Number(process.env.TQS_WIRE_RUNS ?? (process.env.TQS_RELIABILITY ? 100 : 40));
const SEED = 20_261_202;

const TUTOR = '5d1f8a3c-2b7e-4c19-9a60-3e8f1b2c4d5e';
const SESSION = '9b2e4f6a-8c1d-4e3f-b5a7-c9d0e1f2a3b4';
const FIRST = Date.parse('0001-01-01T00:00:00.000Z');
const LAST = Date.parse('9999-12-31T23:59:59.999Z');
const DAY = 86_400_000;

type Row = Record<string, unknown>;
type Json = Record<string, unknown>;

interface WireSpec {
  name: string;
  table: PgTable;
  parents: 'none' | 'tutor' | 'session';
  request: z.ZodType;
  response: z.ZodType;
  /** A valid row from an instant anywhere in the storable range. */
  row: (at: number) => Row;
  /** The timestamp columns (TypeScript key, SQL name) a JSON body may carry. */
  timestamps: [string, string][];
}

/**
 * A request that restores a whole row from its JSON, the server-owned columns included (the create requests strip
 * them): the create request's object extended with them, its rules added back. A data import would do the same.
 */
const restoring = <S extends z.ZodObject>(object: S, withRules: (schema: S) => S, keys: string[]) =>
  withRules(object.extend(Object.fromEntries(keys.map((key) => [key, key === 'id' ? tutorCreateRequestObject.shape.id : isoTimestamptz(key).optional()]))) as unknown as S);

const clampStart = (at: number, span: number) => Math.min(at, LAST - span);

const specs: WireSpec[] = [
  {
    name: 'tutors',
    table: tutors,
    parents: 'none',
    request: restoring(tutorCreateRequestObject, withTutorRules, ['createdAt', 'updatedAt']),
    response: tutorResponseSchema,
    row: (at) => ({ id: '0A1B2C3D-4E5F-4A6B-8C7D-8E9FA0B1C2D3', name: 'Ada', email: 'Ada@Example.org', createdAt: new Date(at), updatedAt: new Date(at) }),
    timestamps: [['createdAt', 'created_at'], ['updatedAt', 'updated_at']],
  },
  {
    name: 'sessions',
    table: sessions,
    parents: 'tutor',
    request: restoring(sessionCreateRequestObject, withSessionRules, ['createdAt', 'updatedAt']),
    response: sessionResponseSchema,
    row: (at) => {
      const start = clampStart(at, DAY);
      return { tutorId: TUTOR, studentId: 's-1', scheduledTime: new Date(start), status: 'completed', completedTime: new Date(start + 3_600_123), durationMinutes: 60 };
    },
    timestamps: [['scheduledTime', 'scheduled_time'], ['createdAt', 'created_at']],
  },
  {
    name: 'reschedules',
    table: reschedules,
    parents: 'session',
    request: restoring(rescheduleCreateRequestObject, withRescheduleRules, ['id', 'createdAt']),
    response: rescheduleResponseSchema,
    row: (at) => {
      const start = Math.max(FIRST + DAY, clampStart(at, DAY));
      return { sessionId: SESSION, initiator: 'tutor', originalTime: new Date(start), newTime: new Date(start + 7_200_000), reasonCode: 'illness', cancelledAt: new Date(start - 5_400_321) };
    },
    timestamps: [['cancelledAt', 'cancelled_at'], ['createdAt', 'created_at']],
  },
  {
    name: 'tutor_scores',
    table: tutorScores,
    parents: 'tutor',
    request: restoring(tutorScoreCreateRequestObject, withTutorScoreRules, ['id', 'createdAt', 'updatedAt']),
    response: tutorScoreResponseSchema,
    row: (at) => ({ tutorId: TUTOR, totalSessions7d: 3, totalSessions30d: 7, totalSessions90d: 9, tutorReschedules7d: 1, tutorReschedules30d: 2, tutorReschedules90d: 2, riskThreshold: 12.5, asOf: new Date(at), lastCalculatedAt: new Date(at) }),
    timestamps: [['asOf', 'as_of'], ['lastCalculatedAt', 'last_calculated_at']],
  },
  {
    name: 'email_reports',
    table: emailReports,
    parents: 'session',
    request: restoring(emailReportCreateRequestObject, withEmailReportRules, ['id', 'createdAt']),
    response: emailReportResponseSchema,
    row: (at) => ({ sessionId: SESSION, recipientEmail: 'ops@example.org', sentAt: new Date(at), status: 'pending', errorMessage: null, claimedUntil: new Date(at), availableAt: new Date(at) }),
    timestamps: [['sentAt', 'sent_at'], ['claimedUntil', 'claimed_until'], ['availableAt', 'available_at']],
  },
];

/** Runs `body` in a transaction with the spec's parent rows, always rolled back; returns what `body` returned. */
async function inRolledBack<T>(db: Database, spec: WireSpec, parentTime: Date, body: (tx: Database) => Promise<T>): Promise<T> {
  let result: { value: T } | undefined;
  await db
    .transaction(async (tx) => {
      if (spec.parents !== 'none') await tx.insert(tutors).values({ id: TUTOR, name: 'Parent' });
      if (spec.parents === 'session') {
        await tx.insert(sessions).values({ id: SESSION, tutorId: TUTOR, studentId: 'p', scheduledTime: parentTime, status: 'rescheduled' });
      }
      result = { value: await body(tx) };
      tx.rollback();
    })
    .catch((error: unknown) => {
      if (!(error instanceof TransactionRollbackError)) throw error;
    });
  if (!result) throw new Error('the transaction ended without a result');
  return result.value;
}

// ---------------------------------------------------------------------------------------------------------------
// ISO 8601 text: valid instants anywhere, and the near misses around each rule
// ---------------------------------------------------------------------------------------------------------------

const pad = (n: number, width = 2) => String(n).padStart(width, '0');
const isoText = fc
  .record({
    year: fc.oneof(fc.integer({ min: 1, max: 9999 }), fc.constantFrom(0, 1, 2, 99, 100, 1999, 2000, 9999)),
    month: fc.oneof(fc.integer({ min: 1, max: 12 }), fc.constantFrom(0, 13)),
    day: fc.oneof(fc.integer({ min: 1, max: 28 }), fc.constantFrom(0, 29, 30, 31, 32)),
    hour: fc.oneof(fc.integer({ min: 0, max: 23 }), fc.constantFrom(24, 25)),
    minute: fc.oneof(fc.integer({ min: 0, max: 59 }), fc.constant(60)),
    second: fc.option(fc.oneof(fc.integer({ min: 0, max: 59 }), fc.constantFrom(60, 61)), { nil: undefined }),
    fraction: fc.option(fc.constantFrom('0', '5', '12', '999', '001'), { nil: undefined }),
    zone: fc.oneof(
      fc.constantFrom('Z', 'z', '+00:00', '-00:00'),
      fc
        .record({ sign: fc.constantFrom('+', '-'), h: fc.oneof(fc.integer({ min: 0, max: 14 }), fc.constantFrom(15, 16, 23)), m: fc.constantFrom(0, 30, 45, 59, 60), form: fc.constantFrom('hh:mm', 'hhmm', 'hh') })
        .map(({ sign, h, m, form }) => (form === 'hh' ? `${sign}${pad(h)}` : `${sign}${pad(h)}${form === 'hh:mm' ? ':' : ''}${pad(m)}`)),
    ),
    t: fc.constantFrom('T', 't'),
  })
  .map(({ year, month, day, hour, minute, second, fraction, zone, t }) => {
    const time = `${pad(hour)}:${pad(minute)}${second === undefined ? '' : `:${pad(second)}${fraction === undefined ? '' : `.${fraction}`}`}`;
    return `${pad(year, 4)}-${pad(month)}-${pad(day)}${t}${time}${zone}`;
  });
/** Text right at the storable edges, crossed or not by an offset. */
const edgeText = fc.constantFrom(
  '0001-01-01T00:00:00Z', '0001-01-01T00:00:00+01:00', '0001-01-01T00:59:59.999+01:00', '0001-01-01T01:00:00+01:00',
  '9999-12-31T23:59:59.999Z', '9999-12-31T23:00:00-05:00', '9999-12-31T18:59:59.999-05:00', '2024-02-29T12:00:00Z',
  '2023-02-29T12:00:00Z', '1900-02-29T00:00:00Z', '2000-02-29T00:00:00Z', '2026-01-15T24:00:00Z', '2026-12-31T24:00:00Z',
  '2026-01-15T23:59:60Z', '2026-01-15T12:00:00+15:59', '2026-01-15T12:00:00-15:59', '2026-01-15T12:00:00+16:00',
);

describe('parseIsoInstant', () => {
  it('reads ISO 8601 text as PostgreSQL does, and refuses what it refuses', () => {
    expect(parseIsoInstant('2026-01-15T07:00:00-05:00')?.toISOString()).toBe('2026-01-15T12:00:00.000Z');
    expect(parseIsoInstant('0001-01-01T00:00:00.001Z')?.toISOString()).toBe('0001-01-01T00:00:00.001Z');
    expect(parseIsoInstant('0099-12-31T23:59:59.999Z')?.toISOString()).toBe('0099-12-31T23:59:59.999Z');
    expect(parseIsoInstant('2026-01-15T24:00:00Z')?.toISOString()).toBe('2026-01-16T00:00:00.000Z');
    expect(parseIsoInstant('2026-01-15T23:59:60Z')?.toISOString()).toBe('2026-01-16T00:00:00.000Z');
    for (const refused of ['2026-02-30T00:00:00Z', '2026-04-31T00:00:00Z', '0000-01-01T00:00:00Z', '2026-01-15T25:00:00Z', '2026-01-15T12:00:00+16:00', '2026-01-15', '2026-01-15T12:00:00', '2026-01-15T12:00:00.1234Z', '+010000-01-01T00:00:00Z', '']) {
      expect(parseIsoInstant(refused), refused).toBeUndefined();
    }
  });

  it('gives request issues that name the field and say the format', () => {
    const result = sessionCreateRequestSchema.safeParse({ tutorId: TUTOR, studentId: 's', status: 'no_show', scheduledTime: '2026-02-30T10:00:00Z' });
    expect(result.success).toBe(false);
    expect(result.error?.issues.map((i) => i.message)).toEqual([
      'scheduledTime: must be an ISO 8601 date and time with an offset, e.g. 2026-01-15T12:00:00Z (timestamptz)',
    ]);
    const partial = tutorScoreUpdateRequestSchema.parse({ asOf: '2026-01-15T12:00:00+01:00', updatedAt: '2026-01-15T12:00:00Z' });
    expect(partial).toEqual({ asOf: new Date('2026-01-15T11:00:00Z') }); // updatedAt is the server's: stripped
  });
});

describeEachBackend('JSON request and response schemas', (backend) => {
  let db: TqsDatabase;
  useDatabase(backend, (opened) => (db = opened));

  for (const spec of specs) {
    it(`${spec.name}: row → response → JSON → request → insert gives back an equal row, years 1–9999`, async () => {
      let tried = 0;
      await fc.assert(
        fc.asyncProperty(fc.oneof(fc.integer({ min: FIRST + DAY, max: LAST - DAY }), fc.constantFrom(FIRST + DAY, LAST - DAY, Date.parse('0050-06-15T12:34:56.789Z'))), async (at) => {
          const row = spec.row(at);
          const parentTime = (row.originalTime as Date | undefined) ?? new Date(at);
          await inRolledBack(db, spec, parentTime, async (tx) => {
            const [stored] = (await tx.insert(spec.table).values(row as never).returning()) as Row[];
            const text = JSON.stringify(spec.response.parse(stored));
            const body = JSON.parse(text) as Json;
            for (const [key] of spec.timestamps) if (body[key] !== null) expect(typeof body[key]).toBe('string');
            expect(body.id).toBe(String(stored?.id).toLowerCase());
            await tx.delete(spec.table).where(eq((spec.table as unknown as { id: never }).id, stored?.id as never));
            const [again] = (await tx.insert(spec.table).values(spec.request.parse(body) as never).returning()) as Row[];
            expect(again).toEqual(stored);
          });
          tried++;
        }),
        { numRuns: RUNS, seed: SEED },
      );
      console.log(`wire round trip [${backend.name}] ${spec.name}: ${tried} rows`);
    });

    it(`${spec.name}: the request schema accepts ISO 8601 text in a timestamp if and only if PostgreSQL does`, async () => {
      const tally = { cases: 0, accepted: 0, refused: 0 };
      const base = JSON.parse(JSON.stringify(spec.row(Date.parse('2025-03-01T12:00:00Z')))) as Json;
      const parentTime = new Date(Date.parse('2025-03-01T12:00:00Z'));
      await fc.assert(
        fc.asyncProperty(fc.constantFrom(...spec.timestamps), fc.oneof(isoText, edgeText), async ([key, column], text) => {
          // Rules across columns would refuse a far-off instant for other reasons: the body keeps only this timestamp
          // where the others would bind it (a completed session's completedTime follows its scheduledTime).
          const body: Json = { ...base, [key]: text };
          if (spec.name === 'sessions' && key === 'scheduledTime') Object.assign(body, { status: 'no_show', completedTime: null, durationMinutes: null });
          if (spec.name === 'reschedules' && key === 'cancelledAt') body.newTime = null;
          const zod = spec.request.safeParse(body);
          const sent = spec.request.safeParse({ ...body, [key]: base[key] ?? '2025-03-01T12:00:00Z' });
          if (!sent.success) throw new Error(`the base body is refused: ${sent.error.issues.map((i) => i.message).join('; ')}`);
          const accepted = await inRolledBack(db, spec, parentTime, async (tx) => {
            try {
              await tx.execute(sql`savepoint probe`);
              const [inserted] = (await tx.insert(spec.table).values(sent.data as never).returning()) as Row[];
              await tx.execute(sql`update ${spec.table} set ${sql.identifier(column)} = ${text}::timestamptz where id = ${inserted?.id}`);
              return true;
            } catch {
              await tx.execute(sql`rollback to savepoint probe`);
              return false;
            }
          });
          if (zod.success !== accepted) {
            throw new Error(`request/postgres disagreement on ${spec.name}.${key} = ${JSON.stringify(text)}: request ${zod.success ? 'accepted' : `refused (${zod.error.issues.map((i) => i.message).join('; ')})`}, postgres ${accepted ? 'accepted' : 'refused'}`);
          }
          tally.cases++;
          if (accepted) tally.accepted++;
          else tally.refused++;
        }),
        { numRuns: RUNS * 2, seed: SEED },
      );
      console.log(`wire agreement [${backend.name}] ${spec.name}: ${tally.cases} bodies (${tally.accepted} accepted by both, ${tally.refused} refused by both)`);
      expect(tally.accepted).toBeGreaterThan(tally.cases / 5);
      expect(tally.refused).toBeGreaterThan(tally.cases / 10);
    });
  }
});
