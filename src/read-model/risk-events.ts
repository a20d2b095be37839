import { type SQL, sql } from 'drizzle-orm';
import { z } from 'zod';
import { lazySchema } from '../validation/lazy-schema';
import { uuidText } from './json-fields';
import { type Database, queryRows } from '../db';
import { riskTiers } from '../domain';
import { NotFoundError } from '../errors';
import { tutorRiskEvents, tutors } from '../schema';
import { decodeCursor, instantOption, instantParam, isoText, keysetPage, limitOption, parseOptions, readJson, uuidOption } from './options';

/**
 * The options of {@link listRiskEvents}.
 *
 * @example
 * const options = listRiskEventsOptionsSchema.parse(query); // a bad option throws before listRiskEvents runs
 */
export const listRiskEventsOptionsSchema = lazySchema(() =>
  z
    .object({
      /** One tutor's events; default: the whole fleet's. */
      tutorId: uuidOption.optional(),
      /** Only events recorded by a refresh at or after this instant. */
      since: instantOption.optional(),
      /** Only events nobody has acknowledged. */
      unacknowledged: z.boolean().optional(),
      /** Page size, 1–500. Default 20. */
      limit: limitOption.optional(),
      /** The `nextCursor` of the previous page. */
      after: z.string().min(1).max(1000).optional(),
    })
    .strict(),
);
/** Options of {@link listRiskEvents} ({@link listRiskEventsOptionsSchema}'s input). */
export type ListRiskEventsOptions = z.input<typeof listRiskEventsOptionsSchema>;

const rate = lazySchema(() => z.number().min(0).max(100).nullable());
const state = lazySchema(() =>
  z.object({
    /** Null in `before` when the tutor had no score yet. */
    isHighRisk: z.boolean().nullable(),
    riskCategory: z.enum(riskTiers).nullable(),
  }),
);

/**
 * One risk event, JSON-ready.
 *
 * @example
 * response.json(riskEventSchema.parse(await acknowledgeRiskEvent(db, id)));
 */
export const riskEventSchema = lazySchema(() =>
  z.object({
    id: z.number().int(),
    tutorId: uuidText,
    tutorName: z.string(),
    /** When the refresh that changed the score ran. */
    at: z.iso.datetime(),
    asOf: z.iso.datetime(),
    before: state,
    after: state,
    rescheduleRate7d: rate,
    rescheduleRate30d: rate,
    rescheduleRate90d: rate,
    riskThreshold: z.number(),
    acknowledgedAt: z.iso.datetime().nullable(),
  }),
);
/** One risk event (a tutor flagged or cleared), JSON-ready ({@link riskEventSchema}). */
export type RiskEvent = z.infer<typeof riskEventSchema>;

/**
 * A page of {@link listRiskEvents}, JSON-ready.
 *
 * @example
 * response.json(riskEventPageSchema.parse(await listRiskEvents(db)));
 */
export const riskEventPageSchema = lazySchema(() =>
  z.object({
    events: z.array(riskEventSchema),
    limit: z.number().int(),
    nextCursor: z.string().optional(),
  }),
);
/** A page of {@link listRiskEvents}, JSON-ready ({@link riskEventPageSchema}). */
export type RiskEventPage = z.infer<typeof riskEventPageSchema>;

const eventJson = (e: typeof tutorRiskEvents) => sql`json_build_object('id', ${e.id}, 'tutorId', ${e.tutorId}, 'tutorName', ${tutors.name},
  'at', ${isoText(sql`${e.at}`)}, 'asOf', ${isoText(sql`${e.asOf}`)},
  'before', json_build_object('isHighRisk', ${e.beforeIsHighRisk}, 'riskCategory', ${e.beforeRiskCategory}),
  'after', json_build_object('isHighRisk', ${e.afterIsHighRisk}, 'riskCategory', ${e.afterRiskCategory}),
  'rescheduleRate7d', ${e.rescheduleRate7d}, 'rescheduleRate30d', ${e.rescheduleRate30d}, 'rescheduleRate90d', ${e.rescheduleRate90d},
  'riskThreshold', ${e.riskThreshold}, 'acknowledgedAt', ${isoText(sql`${e.acknowledgedAt}`)})`;

/**
 * The risk events (a tutor's flag or risk category changed, as a refresh recorded it), newest first, fleet-wide or
 * of one tutor, a page at a time: the dashboard's "recent alerts". Newest means most recently recorded (by event
 * id, which the database assigns in recording order), so paging is a keyset on the id and never skips or repeats an
 * event while refreshes record new ones.
 *
 * @throws {InvalidOptionError} an unknown option, a bad value or a bad cursor.
 * @example
 * const { events } = await listRiskEvents(db, { unacknowledged: true, limit: 10 });
 * // events[0]: { id: 412, tutorName: 'Ada Byron', before: { isHighRisk: false, riskCategory: 'medium' }, after: { isHighRisk: true, riskCategory: 'high' }, ... }
 *
 * ```sql
 * with e as (select * from tutor_risk_events where [tutor_id = $id and] [acknowledged_at is null and] [at >= $since and]
 *             id < $after order by id desc limit $limit + 1),
 *   t as (select id, name from tutors where id = any(array(select distinct tutor_id from e)))
 * select json_agg(json_build_object('id', e.id, ..., 'tutorName', t.name) order by e.id desc) from e join t on t.id = e.tutor_id
 * ```
 */
export async function listRiskEvents(db: Database, options: ListRiskEventsOptions = {}): Promise<RiskEventPage> {
  const o = parseOptions('listRiskEvents', listRiskEventsOptionsSchema, options);
  const limit = o.limit ?? 20;
  const e = tutorRiskEvents;
  const where: SQL[] = [sql`true`];
  if (o.tutorId) where.push(sql`${e.tutorId} = ${o.tutorId.toLowerCase()}::uuid`);
  if (o.since) where.push(sql`${e.at} >= ${instantParam(o.since)}`);
  if (o.unacknowledged) where.push(sql`${e.acknowledgedAt} is null`);
  if (o.after !== undefined) {
    const [id] = decodeCursor('listRiskEvents', o.after, (v) => v.length === 1 && Number.isSafeInteger(v[0])) as [number];
    where.push(sql`${e.id} < ${id}`);
  }
  // The page first, then its tutors' names by id (`= any(array(...))`: one look-up per tutor on the page).
  const query = sql`with ${e} as materialized (
  select * from ${e} where ${sql.join(where, sql` and `)} order by ${e.id} desc limit ${limit + 1}
), ${tutors} as materialized (
  select ${tutors.id}, ${tutors.name} from ${tutors} where ${tutors.id} = any(array(select distinct ${e.tutorId} from ${e}))
)
select json_build_object('rows', coalesce(json_agg(${eventJson(e)} order by ${e.id} desc), '[]'))::text as "result"
from ${e} join ${tutors} on ${tutors.id} = ${e.tutorId}`;
  const { rows } = await readJson<{ rows: RiskEvent[] }>(db, query);
  const { page, nextCursor } = keysetPage(rows, limit, (last) => [last.id]);
  const result: RiskEventPage = { events: page, limit };
  if (nextCursor) result.nextCursor = nextCursor;
  return result;
}

/**
 * Marks a risk event as seen, on the primary. Acknowledging it again keeps the first time. Returns the event.
 *
 * @throws {NotFoundError} no event has this id.
 * @example
 * const event = await acknowledgeRiskEvent(db, 412);
 * event.acknowledgedAt; // '2026-03-02T09:15:00.000Z'
 *
 * ```sql
 * update tutor_risk_events set acknowledged_at = coalesce(acknowledged_at, now()) where id = $id returning ...
 * ```
 */
export async function acknowledgeRiskEvent(db: Database, id: number): Promise<RiskEvent> {
  if (!Number.isSafeInteger(id) || id < 1) throw new NotFoundError('risk event', String(id));
  const e = tutorRiskEvents;
  const rows = await queryRows<{ result: string }>(
    db,
    sql`with ${e} as (update ${e} set ${sql.identifier(e.acknowledgedAt.name)} = coalesce(${e.acknowledgedAt}, now())
  where ${e.id} = ${id} returning *)
select ${eventJson(e)}::text as "result" from ${e} join ${tutors} on ${tutors.id} = ${e.tutorId}`,
  );
  const row = rows[0];
  if (!row) throw new NotFoundError('risk event', String(id));
  return JSON.parse(row.result) as RiskEvent;
}
