/**
 * An HTTP API over the read model, on Hono: each endpoint validates its query with the call's own options schema
 * (through the call, which refuses a bad option with INVALID_OPTION naming it), and its answer with the call's
 * response schema before sending it. Errors become JSON: 400 for a bad option or body, 404 for an unknown id.
 *
 *   GET  /tutors?riskCategories=medium,high&flagged=true&scored=true&search=ann&sortBy=rescheduleRate30d&direction=desc&limit=20&after=...
 *   GET  /tutors/:id?asOf=...                        GET /tutors/:id/reschedules?from=...&to=...&limit=...&after=...
 *   GET  /tutors/:id/score-history?from=...&to=...   GET /trends?from=...&to=...&bucket=week&timeZone=...&tutorId=...
 *   GET  /breakdowns?from=...&to=...&by=weekday&timeZone=...&tutorId=...
 *   GET  /risk-events?unacknowledged=true&tutorId=...&since=...&limit=...&after=...
 *   POST /risk-events/:id/acknowledge                GET /summary?asOf=...     GET /health
 *   GET  /openapi.json: the API's OpenAPI 3.1 document (openapi.ts)
 */
import {
  acknowledgeRiskEvent,
  type Database,
  fleetSummary,
  fleetSummarySchema,
  getTutorOverview,
  InvalidOptionError,
  isTqsError,
  listRiskEvents,
  listTutorReschedules,
  listTutors,
  type ListTutorsOptions,
  operationsStatus,
  operationsStatusSchema,
  rescheduleBreakdown,
  rescheduleBreakdownSchema,
  rescheduleTrend,
  rescheduleTrendSchema,
  riskEventPageSchema,
  riskEventSchema,
  scoreHistory,
  scoreHistorySchema,
  tutorListPageSchema,
  tutorOverviewSchema,
  tutorReschedulePageSchema,
} from '@tqs/data';
import { type Context, Hono } from 'hono';
import type { z } from 'zod';
import { apiDocument } from './openapi';

/** How each query parameter is read from its text before the call's schema checks it. */
type Kind = 'string' | 'number' | 'boolean' | 'list';

/**
 * The query's parameters as typed options: numbers, booleans and comma-separated lists read from their text (a value
 * that does not read as its kind is passed on as text, so the call's schema names it), unknown parameters refused.
 */
function queryOptions(c: Context, kinds: Record<string, Kind>): Record<string, unknown> {
  const options: Record<string, unknown> = {};
  for (const [name, text] of Object.entries(c.req.query())) {
    const kind = kinds[name];
    if (!kind) throw new InvalidOptionError(name, `unknown query parameter '${name}' (parameters: ${Object.keys(kinds).join(', ')})`);
    options[name] =
      kind === 'number' && /^-?\d+(\.\d+)?$/.test(text)
        ? Number(text)
        : kind === 'boolean' && (text === 'true' || text === 'false')
          ? text === 'true'
          : kind === 'list'
            ? text.split(',')
            : text;
  }
  return options;
}

/** Sends `result` once its response schema accepts it: a response that breaks the contract is a 500, never sent. */
const send = <S extends z.ZodType>(c: Context, schema: S, result: unknown) => c.json(schema.parse(result) as object);

/** The API over `db`; serve it with `@hono/node-server` (see server.ts) or any Hono adapter. */
export function createApp(db: Database): Hono {
  const app = new Hono();

  app.get('/tutors', async (c) => {
    const { sortBy, direction, ...rest } = queryOptions(c, {
      riskCategories: 'list',
      flagged: 'boolean',
      scored: 'boolean',
      search: 'string',
      sortBy: 'string',
      direction: 'string',
      limit: 'number',
      after: 'string',
    });
    const options = { ...rest, ...(sortBy !== undefined || direction !== undefined ? { sort: { by: sortBy, direction } } : {}) };
    return send(c, tutorListPageSchema, await listTutors(db, options as ListTutorsOptions));
  });
  app.get('/tutors/:id', async (c) =>
    send(c, tutorOverviewSchema, await getTutorOverview(db, c.req.param('id'), queryOptions(c, { asOf: 'string' }))),
  );
  app.get('/tutors/:id/reschedules', async (c) =>
    send(
      c,
      tutorReschedulePageSchema,
      await listTutorReschedules(db, c.req.param('id'), queryOptions(c, { from: 'string', to: 'string', limit: 'number', after: 'string' })),
    ),
  );
  app.get('/tutors/:id/score-history', async (c) =>
    send(c, scoreHistorySchema, await scoreHistory(db, c.req.param('id'), queryOptions(c, { from: 'string', to: 'string' }))),
  );
  app.get('/trends', async (c) => {
    const options = queryOptions(c, { tutorId: 'string', from: 'string', to: 'string', bucket: 'string', timeZone: 'string' });
    return send(c, rescheduleTrendSchema, await rescheduleTrend(db, options as never));
  });
  app.get('/breakdowns', async (c) => {
    const options = queryOptions(c, { tutorId: 'string', from: 'string', to: 'string', by: 'string', timeZone: 'string' });
    return send(c, rescheduleBreakdownSchema, await rescheduleBreakdown(db, options as never));
  });
  app.get('/risk-events', async (c) =>
    send(
      c,
      riskEventPageSchema,
      await listRiskEvents(db, queryOptions(c, { tutorId: 'string', since: 'string', unacknowledged: 'boolean', limit: 'number', after: 'string' })),
    ),
  );
  app.post('/risk-events/:id/acknowledge', async (c) =>
    send(c, riskEventSchema, await acknowledgeRiskEvent(db, /^\d{1,15}$/.test(c.req.param('id')) ? Number(c.req.param('id')) : -1)),
  );
  app.get('/summary', async (c) => send(c, fleetSummarySchema, await fleetSummary(db, queryOptions(c, { asOf: 'string' }))));
  app.get('/health', async (c) => send(c, operationsStatusSchema, await operationsStatus(db, queryOptions(c, {}))));
  const document = apiDocument();
  app.get('/openapi.json', (c) => c.json(document));

  app.onError((error, c) => {
    if (isTqsError(error) && error.code === 'INVALID_OPTION') {
      return c.json({ code: error.code, option: (error as InvalidOptionError).option, message: error.message }, 400);
    }
    if (isTqsError(error) && error.code === 'NOT_FOUND') return c.json({ code: error.code, message: error.message }, 404);
    console.error(error);
    return c.json({ code: 'INTERNAL', message: 'internal error' }, 500);
  });
  app.notFound((c) => c.json({ code: 'NOT_FOUND', message: `no route ${c.req.method} ${c.req.path}` }, 404));
  return app;
}
