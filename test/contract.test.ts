import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { Validator } from '@seriousme/openapi-schema-validator';
import { Ajv, type ValidateFunction } from 'ajv';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { eq } from 'drizzle-orm';
import Fastify, { type FastifyInstance } from 'fastify';
import { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, expectTypeOf, it } from 'vitest';
import {
  computedTutorScoreSchema,
  computeTutorScore,
  contractJsonSchemas,
  contractSchemas,
  fleetSummary,
  fleetSummarySchema,
  generateDataset,
  highRiskTutorPageSchema,
  insertDataset,
  listHighRiskTutors,
  listTutors,
  listUpcomingSessions,
  openApiDocument,
  parseRow,
  refreshTutorScores,
  refreshTutorScoresResultSchema,
  sessionCreateRequestObject,
  sessionCreateRequestSchema,
  sessionPayloadObject,
  sessionPayloadSchema,
  sessionResponseObject,
  sessionResponseSchema,
  sessions,
  type SessionCreateRequest,
  type SessionResponse,
  type SessionUpdateRequest,
  type TqsDatabase,
  type TutorScoreResponse,
  tutorCreateRequestSchema,
  tutorListPageSchema,
  type TutorResponse,
  tutorResponseObject,
  tutorResponseSchema,
  tutors,
  tutorScoreResponseObject,
  tutorUpdateRequestObject,
  upcomingSessionPageSchema,
  withSessionRules,
  withTutorRules,
} from '../src';
import { describeEachBackend, openTestDatabase } from './support/databases';

const NOW = new Date('2026-03-15T12:00:00.000Z');
const TUTOR = '5d1f8a3c-2b7e-4c19-9a60-3e8f1b2c4d5e';

type Json = Record<string, unknown>;

/** Ajv for one dialect, with the formats (`date-time`, `uuid`, `email`) checked, as Fastify's own Ajv checks them. */
function ajvFor(target: 'draft-2020-12' | 'draft-07') {
  const ajv = target === 'draft-07' ? new Ajv({ strict: true, allErrors: true }) : new Ajv2020({ strict: true, allErrors: true });
  (addFormats as unknown as (a: typeof ajv) => void)(ajv);
  return ajv;
}

/** A validator of each component of the contract in `target`'s dialect. */
function compileAll(target: 'draft-2020-12' | 'draft-07'): Record<string, ValidateFunction> {
  const ajv = ajvFor(target);
  return Object.fromEntries(Object.entries(contractJsonSchemas({ target })).map(([name, schema]) => [name, ajv.compile(schema)]));
}

const errorsOf = (validate: ValidateFunction) => JSON.stringify(validate.errors);

describe('the JSON contract as JSON Schema and OpenAPI 3.1', () => {
  it('openApiDocument() is a valid OpenAPI 3.1 document holding every request and response schema', async () => {
    const document = openApiDocument({ title: 'Tutor quality API', version: '1.2.3' });
    const result = await new Validator().validate(document as never);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    expect(document.openapi).toBe('3.1.0');
    expect(Object.keys(document.components.schemas).sort()).toEqual(Object.keys(contractSchemas).sort());
    expect(Object.keys(document.components.schemas).length).toBeGreaterThanOrEqual(30);
    for (const schema of Object.values(document.components.schemas)) expect(schema).not.toHaveProperty('$schema');
  });

  it('every schema converts to draft 2020-12 and draft-07, and compiles in Ajv (strict) for each', () => {
    for (const target of ['draft-2020-12', 'draft-07'] as const) {
      const validators = compileAll(target);
      expect(Object.keys(validators)).toHaveLength(Object.keys(contractSchemas).length);
    }
    expect(contractJsonSchemas({ target: 'draft-07' }).SessionResponse.$schema).toBe('http://json-schema.org/draft-07/schema#');
    expect(contractJsonSchemas().SessionResponse.$schema).toBe('https://json-schema.org/draft/2020-12/schema');
  });

  it('carries the formats and bounds of the columns', () => {
    const { SessionCreateRequest, TutorCreateRequest, TutorScoreCreateRequest, SessionResponse } = contractJsonSchemas() as Record<string, { properties: Record<string, Json>; required?: string[] }>;
    expect(SessionCreateRequest!.properties.scheduledTime).toMatchObject({ type: 'string', format: 'date-time' });
    expect(SessionCreateRequest!.properties.tutorId).toMatchObject({ type: 'string', format: 'uuid' });
    expect(SessionCreateRequest!.properties.studentId).toMatchObject({ type: 'string', maxLength: 255 });
    expect(SessionCreateRequest!.properties.durationMinutes).toEqual({ anyOf: [{ type: 'integer', minimum: 1, maximum: 2_147_483_647 }, { type: 'null' }] });
    expect(SessionCreateRequest!.required?.sort()).toEqual(['scheduledTime', 'status', 'studentId', 'tutorId']);
    expect(TutorCreateRequest!.properties.email).toEqual({ anyOf: [{ type: 'string', maxLength: 255, format: 'email' }, { type: 'null' }] });
    expect(TutorScoreCreateRequest!.properties.riskThreshold).toMatchObject({ type: 'number', minimum: 0, maximum: 100 });
    expect(TutorScoreCreateRequest!.properties.tutorReschedules7d).toMatchObject({ type: 'integer', minimum: 0 });
    expect(SessionResponse!.properties.createdAt).toMatchObject({ type: 'string', format: 'date-time' });
    // Server-owned columns: in the response, never in a request.
    expect(Object.keys(SessionCreateRequest!.properties)).not.toContain('createdAt');
    expect(Object.keys(TutorCreateRequest!.properties)).not.toContain('updatedAt');
    expect(SessionResponse!.required).toContain('createdAt');
  });

  it('the session payload of ingest is described field by field, and agrees with sessionPayloadSchema on the fields', () => {
    const validate = compileAll('draft-07').SessionPayload!;
    const payload = { id: TUTOR, tutorId: TUTOR, studentId: 's-1', scheduledTime: '2026-01-15T12:00:00Z', status: 'scheduled' };
    expect(validate(payload), errorsOf(validate)).toBe(true);
    expect(sessionPayloadSchema.safeParse(payload).success).toBe(true);
    for (const bad of [{ ...payload, completedTme: null }, { ...payload, scheduledTime: 'tomorrow' }, { ...payload, id: undefined }]) {
      expect(validate(bad)).toBe(false);
      expect(sessionPayloadObject.safeParse(bad).success).toBe(false);
      expect(sessionPayloadSchema.safeParse(bad).success).toBe(false);
    }
  });
});

describe('shapeable request and response schemas', () => {
  const completed = { tutorId: TUTOR, studentId: 's-1', scheduledTime: '2026-01-15T12:00:00Z', status: 'completed', completedTime: '2026-01-15T13:00:00Z', durationMinutes: 60 };

  it('names a TypeScript type for every wire shape: requests without the server-owned fields, responses as JSON', () => {
    expectTypeOf<SessionCreateRequest>().not.toHaveProperty('createdAt');
    expectTypeOf<SessionCreateRequest['scheduledTime']>().toEqualTypeOf<string>();
    expectTypeOf<keyof SessionUpdateRequest>().toEqualTypeOf<'tutorId' | 'studentId' | 'scheduledTime' | 'completedTime' | 'status' | 'durationMinutes'>();
    expectTypeOf<SessionResponse['createdAt']>().toEqualTypeOf<string>();
    expectTypeOf<SessionResponse['completedTime']>().toEqualTypeOf<string | null>();
    expectTypeOf<TutorScoreResponse['rescheduleRate7d']>().toEqualTypeOf<number | null>();
    const body: SessionCreateRequest = { tutorId: TUTOR, studentId: 's', scheduledTime: '2026-01-15T12:00:00Z', status: 'no_show' };
    expect(sessionCreateRequestSchema.parse(body).scheduledTime).toEqual(new Date('2026-01-15T12:00:00Z'));
  });

  it('the objects take .omit, .pick, .partial and .extend, and the rules added back still hold', () => {
    const withoutId = withSessionRules(sessionCreateRequestObject.omit({ id: true }));
    expect(withoutId.parse({ ...completed, id: TUTOR })).not.toHaveProperty('id');
    const missing = withoutId.safeParse({ ...completed, completedTime: null });
    expect(missing.error?.issues.map((i) => i.message)).toEqual([
      "completedTime: must be set exactly when status is 'completed' (sessions_completed_time_matches_status)",
    ]);
    const early = withSessionRules(sessionCreateRequestObject.partial(), 'update').safeParse({ scheduledTime: '2026-01-15T12:00:00Z', completedTime: '2026-01-15T11:00:00Z' });
    expect(early.error?.issues.map((i) => i.path.join('.'))).toEqual(['completedTime']);
    const rename = withTutorRules(tutorUpdateRequestObject.pick({ name: true }), 'update');
    expect(rename.parse({ name: 'Ada', email: 'stripped@example.org' })).toEqual({ name: 'Ada' });
    expect(() => rename.parse({ name: '\t ' })).toThrow(/tutors_name_not_blank/);
    const summary = sessionResponseObject.pick({ id: true, status: true, scheduledTime: true });
    expect(summary.parse({ id: TUTOR, status: 'no_show', scheduledTime: '2026-01-15T12:00:00.000Z', extra: 1 })).toEqual({ id: TUTOR, status: 'no_show', scheduledTime: '2026-01-15T12:00:00.000Z' });
    expect(tutorScoreResponseObject.partial().parse({})).toEqual({});
    // The schemas with their rules keep refusing a shape change, as Zod does for any refined object.
    expect(() => sessionCreateRequestSchema.omit({ id: true } as never)).toThrow(/refinements/);
  });

  it('the create and update requests strip the server-owned columns', () => {
    const row = sessionCreateRequestSchema.parse({ ...completed, id: TUTOR, createdAt: '1999-01-01T00:00:00Z', updatedAt: '1999-01-01T00:00:00Z' });
    expect(row).not.toHaveProperty('createdAt');
    expect(row).not.toHaveProperty('updatedAt');
    expect(row.id).toBe(TUTOR); // a caller's own id is kept for sessions and tutors (ingest sends the platform's)
  });
});

/** The one tutor's row, as the routes below store it. */
async function storedTutor(db: TqsDatabase, id: string) {
  const [row] = await db.select().from(tutors).where(eq(tutors.id, id));
  return row;
}

describeEachBackend('the contract served over HTTP', (backend) => {
  let db: TqsDatabase;
  let fastify: FastifyInstance;
  let fastifyBase: string;
  let honoBase: string;
  let hono: ReturnType<typeof serve>;
  const draft07 = contractJsonSchemas({ target: 'draft-07' });
  const validators = compileAll('draft-2020-12');

  beforeAll(async () => {
    db = await openTestDatabase(backend);
    await insertDataset(db, generateDataset({ seed: 7, tutors: 8, sessions: 300, days: 100, now: NOW }));
    // Fastify: its default Ajv takes draft-07; the body and the response are checked with the contract's schemas.
    fastify = Fastify();
    fastify.post('/tutors', { schema: { body: draft07.TutorCreateRequest, response: { 201: draft07.TutorResponse } } }, async (request, reply) => {
      const [row] = await db.insert(tutors).values(parseRow(tutorCreateRequestSchema, request.body, 'tutor')).returning();
      return reply.code(201).send(tutorResponseSchema.parse(row));
    });
    fastifyBase = await fastify.listen({ port: 0, host: '127.0.0.1' });
    // Hono: the Zod schemas check the body and shape the response.
    const app = new Hono();
    app.post('/sessions', async (c) => {
      const parsed = sessionCreateRequestSchema.safeParse(await c.req.json());
      if (!parsed.success) return c.json({ issues: parsed.error.issues.map((i) => i.message) }, 400);
      const [row] = await db.insert(sessions).values(parsed.data).returning();
      return c.json(sessionResponseSchema.parse(row), 201);
    });
    await new Promise<void>((resolve) => {
      hono = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, (info: AddressInfo) => {
        honoBase = `http://127.0.0.1:${info.port}`;
        resolve();
      });
    });
  });
  afterAll(async () => {
    await fastify?.close();
    await new Promise<void>((resolve) => (hono ? hono.close(() => resolve()) : resolve()));
    await db?.close();
  });

  const post = async (url: string, body: unknown) => {
    const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    return { status: response.status, body: (await response.json()) as Json };
  };

  it('Fastify: a POST is checked by the draft-07 schemas, and a createdAt sent by the client is not stored', async () => {
    const created = await post(`${fastifyBase}/tutors`, { id: TUTOR, name: 'Ada', email: 'ada@example.org', createdAt: '1999-01-01T00:00:00Z' });
    expect(created.status).toBe(201);
    expect(validators.TutorResponse!(created.body), errorsOf(validators.TutorResponse!)).toBe(true);
    const body = tutorResponseObject.parse(created.body) satisfies TutorResponse;
    const stored = await storedTutor(db, TUTOR);
    expect(stored?.createdAt.getUTCFullYear()).toBeGreaterThan(2000);
    expect(body.createdAt).toBe(stored?.createdAt.toISOString());
    for (const bad of [{ email: 'ada@example.org' }, { name: 'x'.repeat(256) }, { name: 'Bo', email: 'not an email' }, { name: 'Bo', id: 'nope' }]) {
      const refused = await post(`${fastifyBase}/tutors`, bad);
      expect(refused.status, JSON.stringify(bad)).toBe(400);
    }
  });

  it('Hono: a POST is checked by the Zod schemas, its answer matches the JSON Schema, and createdAt is not stored', async () => {
    const sent = { tutorId: TUTOR, studentId: 's-9', scheduledTime: '2026-01-15T07:00:00-05:00', status: 'no_show', createdAt: '1999-01-01T00:00:00Z' };
    const created = await post(`${honoBase}/sessions`, sent);
    expect(created.status).toBe(201);
    expect(validators.SessionResponse!(created.body), errorsOf(validators.SessionResponse!)).toBe(true);
    expect(created.body.scheduledTime).toBe('2026-01-15T12:00:00.000Z');
    expect(new Date(created.body.createdAt as string).getUTCFullYear()).toBeGreaterThan(2000);
    const [row] = await db.select().from(sessions).where(eq(sessions.id, created.body.id as string));
    expect(row?.createdAt.getUTCFullYear()).toBeGreaterThan(2000);
    const refused = await post(`${honoBase}/sessions`, { ...sent, status: 'completed' });
    expect(refused.status).toBe(400);
    expect(refused.body.issues).toEqual(["completedTime: must be set exactly when status is 'completed' (sessions_completed_time_matches_status)"]);
  });

  it('the computed results and the read model answer as their JSON Schemas say', async () => {
    const refreshed = refreshTutorScoresResultSchema.parse(await refreshTutorScores(db, { asOf: NOW }));
    const [first] = (await listTutors(db, { limit: 1 })).tutors;
    const answers: [string, unknown][] = [
      ['RefreshTutorScoresResult', refreshed],
      ['ComputedTutorScore', computedTutorScoreSchema.parse(await computeTutorScore(db, first!.tutorId, { asOf: NOW }))],
      ['HighRiskTutorPage', highRiskTutorPageSchema.parse(await listHighRiskTutors(db, { limit: 3 }))],
      ['UpcomingSessionPage', upcomingSessionPageSchema.parse(await listUpcomingSessions(db, { within: 24 * 30, now: new Date(NOW.getTime() - 30 * 86_400_000), limit: 5 }))],
      ['TutorListPage', tutorListPageSchema.parse(await listTutors(db, { limit: 3 }))],
      ['FleetSummary', fleetSummarySchema.parse(await fleetSummary(db, { asOf: NOW }))],
    ];
    for (const [name, answer] of answers) {
      const json = JSON.parse(JSON.stringify(answer)) as unknown;
      expect(validators[name]!(json), `${name}: ${errorsOf(validators[name]!)}`).toBe(true);
    }
    expect(refreshed.asOf).toBe(NOW.toISOString());
    const page = answers[2]![1] as Json;
    expect((page.tutors as unknown[]).length).toBeGreaterThan(0);
  });
});
