import { reschedules } from '../schema/reschedules';
import type { Reschedule } from '../schema';
import { check, numeric, oneOf, roundedQuotient, text, timestamptz, unscale, uuid, varchar } from './column-types';
import { type ColumnSchemas, type RowRule, tableSchemas } from './row-rules';
import { wireSchemas } from './wire-schemas';
import { lazySchema, once } from './lazy-schema';
import type { z } from 'zod';

/** `round(extract(epoch from (original_time - cancelled_at)) / 3600, 2)`, as the generated column computes it. */
const hoursBefore = (originalTime: Date, cancelledAt: Date): number =>
  unscale(roundedQuotient(BigInt(originalTime.getTime() - cancelledAt.getTime()), 36_000n), 2); // ms per 0.01 h

const rules: RowRule<Reschedule>[] = [
  {
    constraint: 'reschedules_new_time_after_original',
    field: 'newTime',
    reads: ['newTime', 'originalTime'],
    requirement: 'must be after originalTime (or null for a cancellation)',
    holds: (row) => row.newTime === null || row.newTime.getTime() > row.originalTime.getTime(),
  },
  {
    constraint: 'generated column',
    field: 'hoursBeforeSession',
    reads: ['hoursBeforeSession', 'originalTime', 'cancelledAt'],
    requirement: 'must equal originalTime − cancelledAt in hours, rounded to 2 decimals',
    holds: (row) => row.hoursBeforeSession === hoursBefore(row.originalTime, row.cancelledAt),
    selectOnly: true,
  },
];

/**
 * The Zod schema of each column of `reschedules`, from its key and its Drizzle column; every column needs one.
 *
 * @example
 * rescheduleColumnSchemas.id('id', reschedules.id).parse(crypto.randomUUID());
 */
export const rescheduleColumnSchemas = {
  id: uuid,
  sessionId: uuid,
  initiator: (field, column) => oneOf(field, column.enumValues, 'reschedules_initiator_valid'),
  originalTime: timestamptz,
  newTime: timestamptz,
  reason: (field) => text(field),
  reasonCode: (field, column) =>
    varchar(field, column).refine(
      ...check(
        field,
        (s: string) => /^[a-z][a-z0-9_]*$/.test(s),
        'must be lowercase snake_case: a letter a-z, then only a-z, 0-9 and _',
        'reschedules_reason_code_format',
      ),
    ),
  cancelledAt: timestamptz,
  hoursBeforeSession: numeric,
  createdAt: timestamptz,
} satisfies ColumnSchemas<typeof reschedules>;

const schemas = once(() => tableSchemas(reschedules, rescheduleColumnSchemas, rules));

/**
 * What `db.insert(reschedules).values(row)` accepts: Zod accepts a row if and only if PostgreSQL does, apart from
 * what only the database can see: `(sessionId, originalTime)` must match an existing session's
 * `(id, scheduled_time)`, a session has at most one reschedule, and its session's status is `rescheduled` by the time
 * the transaction commits (`reschedule_status_rule`). `hoursBeforeSession` is generated, so it is not part of an
 * insert.
 *
 * @example
 * const row = parseRow(rescheduleInsertSchema, {
 *   sessionId: session.id, initiator: 'tutor', originalTime: session.scheduledTime,
 *   newTime: null, reasonCode: 'illness', cancelledAt: new Date('2025-03-02T09:00:00Z'),
 * }, 'reschedule');
 * await db.insert(reschedules).values(row);
 */
export const rescheduleInsertSchema = lazySchema(() => schemas().insert);

/**
 * A `reschedules` row as read from the database, `hoursBeforeSession` included and checked against the two times.
 *
 * @example
 * const reschedule = rescheduleSelectSchema.parse(await db.query.reschedules.findFirst());
 */
export const rescheduleSelectSchema = lazySchema(() => schemas().select);

/**
 * The columns of a `db.update(reschedules).set(changes)`.
 *
 * @example
 * await db.update(reschedules).set(parseRow(rescheduleUpdateSchema, { reasonCode: 'traffic' })).where(eq(reschedules.id, id));
 */
export const rescheduleUpdateSchema = lazySchema(() => schemas().update);

const wire = once(() => wireSchemas(schemas(), ['id', 'createdAt']));

/**
 * A JSON request that creates a reschedule: the insert schema's rules, with timestamps as ISO 8601 text with an offset
 * (`2026-01-15T12:00:00Z`), which it turns into `Date`s. Its output is the row to insert. The server-owned columns (`id`, `createdAt`) are not part of it: a client that sends them has them stripped, and the database sets them; the database draws its id.
 *
 * @example
 * const row = parseRow(rescheduleCreateRequestSchema, await request.json(), 'reschedule');
 */
export const rescheduleCreateRequestSchema = lazySchema(() => wire().createRequest);

/**
 * A JSON request that changes some columns of a reschedule (a partial update), with timestamps as ISO 8601 text. The id, `createdAt` and `updatedAt` are the
 * server's: stripped when sent.
 *
 * @example
 * const changes = parseRow(rescheduleUpdateRequestSchema, await request.json(), 'reschedule');
 */
export const rescheduleUpdateRequestSchema = lazySchema(() => wire().updateRequest);

/**
 * A reschedule row as the API sends it: checked by the select schema, then made ready for JSON (timestamps as ISO 8601 text
 * in UTC; ids in lower case, as the database writes them; numbers as numbers).
 *
 * @example
 * response.json(rescheduleResponseSchema.parse(row)); // { ..., "createdAt": "2026-01-15T12:00:00.000Z" }
 */
export const rescheduleResponseSchema = lazySchema(() => wire().response);

/**
 * Reschedule create request as a plain object schema, without the cross-column rules: compose it with `.omit`, `.pick`,
 * `.partial` or `.extend`, then add the rules back with {@link withRescheduleRules}.
 *
 * @example
 * const body = withRescheduleRules(rescheduleCreateRequestObject.omit({ reason: true }));
 */
export const rescheduleCreateRequestObject = lazySchema(() => wire().createRequestObject);

/**
 * Reschedule update request as a plain object schema, without the cross-column rules (see {@link rescheduleCreateRequestObject}).
 *
 * @example
 * const patch = withRescheduleRules(rescheduleUpdateRequestObject.pick({ reasonCode: true }), 'update');
 */
export const rescheduleUpdateRequestObject = lazySchema(() => wire().updateRequestObject);

/**
 * Reschedule response as a plain object schema over its JSON (timestamps as ISO 8601 text in UTC): what a client checks a
 * response body with, and the shape the JSON Schema of the response is made from. Composable like the request objects.
 *
 * @example
 * const body = rescheduleResponseObject.parse(await response.json());
 */
export const rescheduleResponseObject = lazySchema(() => wire().responseObject);

/**
 * `schema` (a shape made from {@link rescheduleCreateRequestObject} or {@link rescheduleUpdateRequestObject}) with the reschedules'
 * cross-column rules checked on its output, as the create (`'create'`, the default) or update request checks them: a
 * rule is checked when every column it reads is present.
 *
 * @example
 * const schema = withRescheduleRules(rescheduleUpdateRequestObject.partial(), 'update');
 */
export const withRescheduleRules: ReturnType<typeof wire>['withRules'] = (schema, kind) => wire().withRules(schema, kind);

/** The JSON body of a create request for reschedules, as a client sends it ({@link rescheduleCreateRequestSchema}'s input). */
export type RescheduleCreateRequest = z.input<typeof rescheduleCreateRequestSchema>;

/** The JSON body of an update request for reschedules, every field optional ({@link rescheduleUpdateRequestSchema}'s input). */
export type RescheduleUpdateRequest = z.input<typeof rescheduleUpdateRequestSchema>;

/** The JSON body of a response with one of the reschedules ({@link rescheduleResponseSchema}'s output). */
export type RescheduleResponse = z.output<typeof rescheduleResponseSchema>;
