import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { Validator } from '@seriousme/openapi-schema-validator';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createApp } from '../examples/api-service/app';
import {
  fleetSummarySchema,
  generateDataset,
  insertDataset,
  listTutors,
  operationsStatusSchema,
  refreshTutorScores,
  rescheduleBreakdownSchema,
  rescheduleTrendSchema,
  riskEventPageSchema,
  riskEventSchema,
  scoreHistorySchema,
  type TqsDatabase,
  tutorListPageSchema,
  tutorOverviewSchema,
  tutorReschedulePageSchema,
} from '../src';
import { describeEachBackend, openTestDatabase } from './support/databases';

const NOW = new Date('2026-03-15T12:00:00.000Z');
const DAY = 86_400_000;

/* The example API service (examples/api-service), served over real HTTP on a free port, against a generated database. */
describeEachBackend('examples/api-service', (backend) => {
  let db: TqsDatabase;
  let base: string;
  let server: ReturnType<typeof serve>;

  beforeAll(async () => {
    db = await openTestDatabase(backend);
    await insertDataset(db, generateDataset({ seed: 31, tutors: 12, sessions: 600, days: 120, now: NOW }));
    await refreshTutorScores(db, { asOf: new Date(NOW.getTime() - 20 * DAY) });
    await refreshTutorScores(db, { asOf: NOW });
    await new Promise<void>((resolve) => {
      server = serve({ fetch: createApp(db).fetch, port: 0, hostname: '127.0.0.1' }, (info: AddressInfo) => {
        base = `http://127.0.0.1:${info.port}`;
        resolve();
      });
    });
  });
  afterAll(async () => {
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    await db?.close();
  });

  const get = async (path: string, init?: RequestInit) => {
    const response = await fetch(`${base}${path}`, init);
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };

  it('GET /tutors pages every tutor once, sorted and filtered as the library lists them', async () => {
    const seen: string[] = [];
    let after: string | undefined;
    for (let page = 0; page < 20; page += 1) {
      const query = new URLSearchParams({ sortBy: 'rescheduleRate30d', direction: 'desc', limit: '5', ...(after ? { after } : {}) });
      const { status, body } = await get(`/tutors?${query}`);
      expect(status).toBe(200);
      const parsed = tutorListPageSchema.parse(body);
      expect(parsed.total).toBe(12);
      seen.push(...parsed.tutors.map((t) => t.tutorId));
      after = parsed.nextCursor;
      if (!after) break;
    }
    const direct = await listTutors(db, { sort: { by: 'rescheduleRate30d', direction: 'desc' }, limit: 500 });
    expect(seen).toEqual(direct.tutors.map((t) => t.tutorId));
    const flagged = tutorListPageSchema.parse((await get('/tutors?flagged=true&riskCategories=medium,high&scored=true')).body);
    expect(flagged.tutors.every((t) => t.isHighRisk && (t.riskCategory === 'medium' || t.riskCategory === 'high'))).toBe(true);
  });

  it('GET a tutor, its reschedules and its score history; trends, breakdowns, summary and health', async () => {
    const [tutor] = (await listTutors(db, { sort: { by: 'totalSessions90d', direction: 'desc' }, limit: 1 })).tutors;
    const id = tutor!.tutorId;
    const overview = tutorOverviewSchema.parse((await get(`/tutors/${id}?asOf=${NOW.toISOString()}`)).body);
    expect(overview.tutor.tutorId).toBe(id);
    expect(overview.windows.map((w) => w.days)).toEqual([7, 30, 90]);
    const reschedules = tutorReschedulePageSchema.parse((await get(`/tutors/${id}/reschedules?limit=2`)).body);
    expect(reschedules.reschedules.length).toBeLessThanOrEqual(2);
    expect(scoreHistorySchema.parse((await get(`/tutors/${id}/score-history`)).body).entries.length).toBeGreaterThan(0);
    const period = `from=${new Date(NOW.getTime() - 28 * DAY).toISOString()}&to=${NOW.toISOString()}`;
    const trend = rescheduleTrendSchema.parse((await get(`/trends?${period}&bucket=week&timeZone=Europe/Paris`)).body);
    expect(trend.buckets.length).toBeGreaterThanOrEqual(4);
    const weekdays = rescheduleBreakdownSchema.parse((await get(`/breakdowns?${period}&by=weekday&tutorId=${id}`)).body);
    expect(weekdays.groups.map((g) => g.key)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    const summary = fleetSummarySchema.parse((await get(`/summary?asOf=${NOW.toISOString()}`)).body);
    expect(summary.tutors).toBe(12);
    expect(operationsStatusSchema.parse((await get('/health')).body).lastRefreshAt).not.toBeNull();
  });

  it('GET /risk-events and POST /risk-events/:id/acknowledge', async () => {
    const page = riskEventPageSchema.parse((await get('/risk-events?unacknowledged=true&limit=50')).body);
    expect(page.events.length).toBeGreaterThan(0);
    const event = page.events[0]!;
    const { status, body } = await get(`/risk-events/${event.id}/acknowledge`, { method: 'POST' });
    expect(status).toBe(200);
    expect(riskEventSchema.parse(body).acknowledgedAt).not.toBeNull();
    const after = riskEventPageSchema.parse((await get('/risk-events?unacknowledged=true&limit=50')).body);
    expect(after.events.map((e) => e.id)).not.toContain(event.id);
    expect((await get('/risk-events/999999999/acknowledge', { method: 'POST' })).status).toBe(404);
  });

  it('bad requests: 400 naming the parameter; unknown ids and routes: 404', async () => {
    expect(await get('/tutors?sortBy=rating')).toMatchObject({ status: 400, body: { code: 'INVALID_OPTION', option: 'sort.by' } });
    expect(await get('/tutors?limit=0')).toMatchObject({ status: 400, body: { option: 'limit' } });
    expect(await get('/tutors?limit=ten')).toMatchObject({ status: 400, body: { option: 'limit' } });
    expect(await get('/tutors?flagged=yes')).toMatchObject({ status: 400, body: { option: 'flagged' } });
    expect(await get('/tutors?page=2')).toMatchObject({ status: 400, body: { option: 'page' } });
    expect(await get(`/trends?from=${NOW.toISOString()}&to=${NOW.toISOString()}&bucket=day`)).toMatchObject({ status: 400, body: { option: 'to' } });
    expect(await get(`/breakdowns?from=2026-01-01T00:00:00Z&to=2026-02-01T00:00:00Z&by=hour&timeZone=Mars/Base`)).toMatchObject({
      status: 400,
      body: { option: 'timeZone' },
    });
    expect(await get('/tutors/00000000-0000-4000-8000-000000000000')).toMatchObject({ status: 404, body: { code: 'NOT_FOUND' } });
    expect(await get('/tutors/not-a-uuid')).toMatchObject({ status: 404 });
    expect((await get('/nowhere')).status).toBe(404);
  });
  it('GET /openapi.json: a valid OpenAPI 3.1 document, and the answers match the schemas it references', async () => {
    const { status, body } = await get('/openapi.json');
    expect(status).toBe(200);
    const result = await new Validator().validate(body as never);
    expect(result.errors ?? []).toEqual([]);
    const paths = body.paths as Record<string, Record<string, { responses: Record<string, { content?: Record<string, { schema: { $ref: string } }> }> }>>;
    expect(Object.keys(paths)).toContain('/tutors/{id}/reschedules');
    const ajv = new Ajv2020({ strict: true });
    (addFormats as unknown as (a: Ajv2020) => void)(ajv);
    const components = (body.components as { schemas: Record<string, object> }).schemas;
    for (const path of ['/tutors', '/summary', '/health', '/risk-events']) {
      const ref = paths[path]!.get!.responses['200']!.content!['application/json']!.schema.$ref;
      const validate = ajv.compile(components[ref.replace('#/components/schemas/', '')]!);
      expect(validate((await get(path)).body), `${path}: ${JSON.stringify(validate.errors)}`).toBe(true);
    }
  });
});
