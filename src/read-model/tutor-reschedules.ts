import { type SQL, sql } from 'drizzle-orm';
import { z } from 'zod';
import { lazySchema } from '../validation/lazy-schema';
import { uuidText } from './json-fields';
import type { Database } from '../db';
import { rescheduleInitiators, reschedules, sessions } from '../schema';
import {
  checkId,
  decodeCursor,
  instantOption,
  instantParam,
  isoText,
  keysetPage,
  limitOption,
  parseOptions,
  periodRefinement,
  readJson,
} from './options';

/**
 * The options of {@link listTutorReschedules}.
 *
 * @example
 * const options = listTutorReschedulesOptionsSchema.parse(query); // a bad option throws before listTutorReschedules runs
 */
export const listTutorReschedulesOptionsSchema = lazySchema(() =>
  z
    .object({
      /** The period `[from, to)` on the session's time (the reschedule's original time). Default: all time. */
      from: instantOption.optional(),
      to: instantOption.optional(),
      /** Page size, 1–500. Default 20. */
      limit: limitOption.optional(),
      /** The `nextCursor` of the previous page. */
      after: z.string().min(1).max(1000).optional(),
    })
    .strict()
    .superRefine(periodRefinement),
);
/** Options of {@link listTutorReschedules} ({@link listTutorReschedulesOptionsSchema}'s input). */
export type ListTutorReschedulesOptions = z.input<typeof listTutorReschedulesOptionsSchema>;

/**
 * One reschedule of {@link listTutorReschedules}.
 *
 * @example
 * response.json(tutorRescheduleRowSchema.parse((await listTutorReschedules(db, tutorId)).reschedules[0]));
 */
export const tutorRescheduleRowSchema = lazySchema(() =>
  z.object({
    rescheduleId: uuidText,
    sessionId: uuidText,
    /** The session's scheduled time, which the reschedule moved from. */
    sessionTime: z.iso.datetime(),
    /** Null for a cancellation. */
    newTime: z.iso.datetime().nullable(),
    initiator: z.enum(rescheduleInitiators),
    reason: z.string().nullable(),
    reasonCode: z.string().nullable(),
    cancelledAt: z.iso.datetime(),
    /** How long before the session it came, in hours (2 decimals; negative when after). */
    hoursBefore: z.number().nullable(),
  }),
);
/** One reschedule of a {@link listTutorReschedules} page ({@link tutorRescheduleRowSchema}). */
export type TutorRescheduleRow = z.infer<typeof tutorRescheduleRowSchema>;

/**
 * A page of {@link listTutorReschedules}, JSON-ready.
 *
 * @example
 * response.json(tutorReschedulePageSchema.parse(await listTutorReschedules(db, tutorId)));
 */
export const tutorReschedulePageSchema = lazySchema(() =>
  z.object({
    reschedules: z.array(tutorRescheduleRowSchema),
    /** Every reschedule of the tutor in the period, across pages. */
    total: z.number().int().min(0),
    limit: z.number().int(),
    nextCursor: z.string().optional(),
  }),
);
/** A page of {@link listTutorReschedules}, JSON-ready ({@link tutorReschedulePageSchema}). */
export type TutorReschedulePage = z.infer<typeof tutorReschedulePageSchema>;

/**
 * A tutor's reschedules in a period, newest session first (ties by reschedule id), a page at a time: the detail
 * page's history, with reason, reason code, initiator and how long before the session each came. Reads the tutor's
 * sessions through `sessions (tutor_id, scheduled_time)` and their reschedules by session id.
 *
 * @throws {NotFoundError} `tutorId` is not a UUID (an unknown UUID gives an empty page).
 * @throws {InvalidOptionError} an unknown option, `to` not after `from`, or a bad cursor.
 * @example
 * const page = await listTutorReschedules(db, tutorId, { from: new Date('2026-01-01T00:00:00Z'), limit: 10 });
 * // page.reschedules[0]: { sessionTime: '2026-02-27T15:00:00.000Z', initiator: 'tutor', reasonCode: 'illness', hoursBefore: 3.5, ... }
 *
 * ```sql
 * with "own" as (select id, scheduled_time from sessions where tutor_id = $id and scheduled_time >= $from and scheduled_time < $to),
 *   "r" as (select r.*, own.scheduled_time from reschedules r join "own" on own.id = r.session_id
 *           where r.session_id = any(array(select id from "own")))
 * select json_build_object('total', (select count(*) from "r"),
 *   'rows', (select json_agg(...) from (select * from "r" where (scheduled_time, id) after the cursor
 *            order by scheduled_time desc, id limit $limit + 1) "page"))
 * ```
 */
export async function listTutorReschedules(
  db: Database,
  tutorId: string,
  options: ListTutorReschedulesOptions = {},
): Promise<TutorReschedulePage> {
  const id = checkId('tutor', tutorId);
  const o = parseOptions('listTutorReschedules', listTutorReschedulesOptionsSchema, options);
  const limit = o.limit ?? 20;
  const period: SQL[] = [sql`${sessions.tutorId} = ${id}::uuid`];
  if (o.from) period.push(sql`${sessions.scheduledTime} >= ${instantParam(o.from)}`);
  if (o.to) period.push(sql`${sessions.scheduledTime} < ${instantParam(o.to)}`);
  let after = sql`true`;
  if (o.after !== undefined) {
    const [time, rescheduleId] = decodeCursor(
      'listTutorReschedules',
      o.after,
      (v) => v.length === 2 && typeof v[0] === 'string' && typeof v[1] === 'string' && /^[0-9a-f-]{36}$/.test(v[1]),
    ) as [string, string];
    after = sql`("time" < ${time}::timestamptz or ("time" = ${time}::timestamptz and "id" > ${rescheduleId}::uuid))`;
  }
  // `= any(array(...))`: the reschedules are looked up by session id, however the planner estimates the sessions.
  const query = sql`with "own" as materialized (
  select ${sessions.id} as "id", ${sessions.scheduledTime} as "time" from ${sessions} where ${sql.join(period, sql` and `)}
), "r" as materialized (
  select ${reschedules.id} as "id", "own"."id" as "session_id", "own"."time",
    ${reschedules.newTime} as "new_time", ${reschedules.initiator} as "initiator", ${reschedules.reason} as "reason",
    ${reschedules.reasonCode} as "reason_code", ${reschedules.cancelledAt} as "cancelled_at",
    ${reschedules.hoursBeforeSession} as "hours"
  from ${reschedules} join "own" on "own"."id" = ${reschedules.sessionId}
  where ${reschedules.sessionId} = any(array(select "id" from "own"))
)
select json_build_object(
  'total', (select count(*) from "r"),
  'rows', (select coalesce(json_agg(json_build_object('rescheduleId', "id", 'sessionId', "session_id",
      'sessionTime', ${isoText(sql`"time"`)}, 'newTime', ${isoText(sql`"new_time"`)}, 'initiator', "initiator",
      'reason', "reason", 'reasonCode', "reason_code", 'cancelledAt', ${isoText(sql`"cancelled_at"`)}, 'hoursBefore', "hours",
      '_key', "time"::text) order by "time" desc, "id"), '[]')
    from (select * from "r" where ${after} order by "time" desc, "id" limit ${limit + 1}) "page")
)::text as "result"`;
  const { total, rows } = await readJson<{ total: number; rows: (TutorRescheduleRow & { _key: string })[] }>(db, query);
  const { page, nextCursor } = keysetPage(rows, limit, (last) => [last._key, last.rescheduleId]);
  const result: TutorReschedulePage = { reschedules: page.map(({ _key, ...row }) => row), total, limit };
  if (nextCursor) result.nextCursor = nextCursor;
  return result;
}
