import type { TutorScore } from '../schema';
import { type ScoreWindow, scoreWindows, tutorScores } from '../schema/tutor-scores';
import { riskCategoryOf } from '../domain/risk-tiers';
import { boolean, check, int32, numeric, roundedQuotient, oneOf, scaledDecimal, timestamptz, unscale, uuid } from './column-types';
import { type ColumnSchemas, type RowRule, tableSchemas } from './row-rules';
import { wireSchemas } from './wire-schemas';
import { lazySchema, once } from './lazy-schema';
import type { z } from 'zod';

type CountKey = `${'totalSessions' | 'tutorReschedules'}${ScoreWindow}d`;
const total = (days: ScoreWindow) => `totalSessions${days}d` as const;
const tutorReschedules = (days: ScoreWindow) => `tutorReschedules${days}d` as const;
const rate = (days: ScoreWindow) => `rescheduleRate${days}d` as const;

/** The generated rate in hundredths of a percent: `round(100.0 * reschedules / sessions, 2)`, null without sessions. */
const scaledRate = (row: TutorScore, days: ScoreWindow): bigint | null =>
  row[total(days)] > 0 ? roundedQuotient(10_000n * BigInt(row[tutorReschedules(days)]), BigInt(row[total(days)])) : null;

/** `a <= b`, a rule of `tutor_scores_windows_nested`, reported on the wider window `b`. */
const nested = (narrow: CountKey, wide: CountKey): RowRule<TutorScore> => ({
  constraint: 'tutor_scores_windows_nested',
  field: wide,
  reads: [narrow, wide],
  requirement: `must be at least ${narrow}`,
  holds: (row) => row[narrow] <= row[wide],
});

const rules: RowRule<TutorScore>[] = [
  ...scoreWindows.map(
    (days): RowRule<TutorScore> => ({
      constraint: `tutor_scores_${days}d_counts_valid`,
      field: tutorReschedules(days),
      reads: [tutorReschedules(days), total(days)],
      requirement: `must not exceed ${total(days)}`,
      holds: (row) => row[tutorReschedules(days)] <= row[total(days)],
    }),
  ),
  nested('totalSessions7d', 'totalSessions30d'),
  nested('totalSessions30d', 'totalSessions90d'),
  nested('tutorReschedules7d', 'tutorReschedules30d'),
  nested('tutorReschedules30d', 'tutorReschedules90d'),
  ...scoreWindows.map(
    (days): RowRule<TutorScore> => ({
      constraint: 'generated column',
      field: rate(days),
      reads: [rate(days), tutorReschedules(days), total(days)],
      requirement: `must equal 100 × ${tutorReschedules(days)} ÷ ${total(days)} rounded to 2 decimals, or null when ${total(days)} is 0`,
      holds: (row) => {
        const expected = scaledRate(row, days);
        return expected === null ? row[rate(days)] === null : row[rate(days)] === unscale(expected, 2);
      },
      selectOnly: true,
    }),
  ),
  {
    constraint: 'generated column',
    field: 'isHighRisk',
    reads: ['isHighRisk', 'riskThreshold', ...scoreWindows.flatMap((days) => [total(days), tutorReschedules(days)])],
    requirement: 'must be true exactly when a window with sessions has a rate above riskThreshold',
    holds: (row) => {
      const threshold = scaledDecimal(String(row.riskThreshold), 2) ?? 0n;
      return row.isHighRisk === scoreWindows.some((days) => (scaledRate(row, days) ?? -1n) > threshold);
    },
    selectOnly: true,
  },
  {
    constraint: 'generated column',
    field: 'riskCategory',
    reads: ['riskCategory', ...scoreWindows.flatMap((days) => [total(days), tutorReschedules(days)])],
    requirement: "must be 'low' (highest rate up to 10), 'medium' (up to 20) or 'high' (above), or null without sessions",
    holds: (row) => {
      const rates = scoreWindows.map((days) => scaledRate(row, days)).filter((r): r is bigint => r !== null);
      const highest = rates.length === 0 ? null : Number(rates.reduce((a, b) => (a > b ? a : b))) / 100;
      return row.riskCategory === riskCategoryOf(highest);
    },
    selectOnly: true,
  },
];

const rescheduleCount = (days: ScoreWindow) => (field: string) =>
  int32(field).refine(...check(field, (n: number) => n >= 0, 'must be at least 0', `tutor_scores_${days}d_counts_valid`)).meta({ minimum: 0 });

/**
 * The Zod schema of each column of `tutorScores`, from its key and its Drizzle column; every column needs one.
 *
 * @example
 * tutorScoreColumnSchemas.id('id', tutorScores.id).parse(crypto.randomUUID());
 */
export const tutorScoreColumnSchemas = {
  id: uuid,
  tutorId: uuid,
  rescheduleRate7d: numeric,
  rescheduleRate30d: numeric,
  rescheduleRate90d: numeric,
  totalSessions7d: int32,
  totalSessions30d: int32,
  totalSessions90d: int32,
  tutorReschedules7d: rescheduleCount(7),
  tutorReschedules30d: rescheduleCount(30),
  tutorReschedules90d: rescheduleCount(90),
  isHighRisk: boolean,
  riskCategory: (field, column) => oneOf(field, column.enumValues, 'generated column'),
  riskThreshold: (field, column) =>
    numeric(field, column).refine(
      ...check(
        field,
        (n: number) => n >= 0 && n <= 100,
        'must be between 0 and 100 once rounded to 2 decimals',
        'tutor_scores_risk_threshold_in_range',
      ),
    ).meta({ minimum: 0, maximum: 100 }),
  asOf: timestamptz,
  lastCalculatedAt: timestamptz,
  nextChangeAt: timestamptz,
  createdAt: timestamptz,
  updatedAt: timestamptz,
} satisfies ColumnSchemas<typeof tutorScores>;

const schemas = once(() => tableSchemas(tutorScores, tutorScoreColumnSchemas, rules));

/**
 * What `db.insert(tutorScores).values(row)` accepts: Zod accepts a row if and only if PostgreSQL does, apart from
 * the foreign key to `tutors` and the one-row-per-tutor rule, which only the database can see. Counts left out
 * default to 0 and `riskThreshold` to 15, and the rules are checked with those defaults. The rates and
 * `isHighRisk` are generated, so they are not part of an insert.
 *
 * @example
 * const row = parseRow(tutorScoreInsertSchema, {
 *   tutorId, totalSessions7d: 4, totalSessions30d: 20, totalSessions90d: 60,
 *   tutorReschedules7d: 1, tutorReschedules30d: 3, tutorReschedules90d: 9,
 * }, 'tutor score');
 * await db.insert(tutorScores).values(row);
 */
export const tutorScoreInsertSchema = lazySchema(() => schemas().insert);

/**
 * A `tutor_scores` row as read from the database, the generated rates and `isHighRisk` included and checked against
 * the counts and the threshold.
 *
 * @example
 * const score = tutorScoreSelectSchema.parse(await db.query.tutorScores.findFirst());
 */
export const tutorScoreSelectSchema = lazySchema(() => schemas().select);

/**
 * The columns of a `db.update(tutorScores).set(changes)`.
 *
 * @example
 * await db.update(tutorScores).set(parseRow(tutorScoreUpdateSchema, { riskThreshold: 20 })).where(eq(tutorScores.tutorId, id));
 */
export const tutorScoreUpdateSchema = lazySchema(() => schemas().update);

const wire = once(() => wireSchemas(schemas(), ['id', 'createdAt', 'updatedAt']));

/**
 * A JSON request that creates a tutor score: the insert schema's rules, with timestamps as ISO 8601 text with an offset
 * (`2026-01-15T12:00:00Z`), which it turns into `Date`s. Its output is the row to insert. The server-owned columns (`id`, `createdAt`, `updatedAt`) are not part of it: a client that sends them has them stripped, and the database sets them; the database draws its id.
 *
 * @example
 * const row = parseRow(tutorScoreCreateRequestSchema, await request.json(), 'tutor score');
 */
export const tutorScoreCreateRequestSchema = lazySchema(() => wire().createRequest);

/**
 * A JSON request that changes some columns of a tutor score (a partial update), with timestamps as ISO 8601 text. The id, `createdAt` and `updatedAt` are the
 * server's: stripped when sent.
 *
 * @example
 * const changes = parseRow(tutorScoreUpdateRequestSchema, await request.json(), 'tutor score');
 */
export const tutorScoreUpdateRequestSchema = lazySchema(() => wire().updateRequest);

/**
 * A tutor score row as the API sends it: checked by the select schema, then made ready for JSON (timestamps as ISO 8601 text
 * in UTC; ids in lower case, as the database writes them; numbers as numbers).
 *
 * @example
 * response.json(tutorScoreResponseSchema.parse(row)); // { ..., "createdAt": "2026-01-15T12:00:00.000Z" }
 */
export const tutorScoreResponseSchema = lazySchema(() => wire().response);

/**
 * TutorScore create request as a plain object schema, without the cross-column rules: compose it with `.omit`, `.pick`,
 * `.partial` or `.extend`, then add the rules back with {@link withTutorScoreRules}.
 *
 * @example
 * const body = withTutorScoreRules(tutorScoreCreateRequestObject.omit({ nextChangeAt: true }));
 */
export const tutorScoreCreateRequestObject = lazySchema(() => wire().createRequestObject);

/**
 * TutorScore update request as a plain object schema, without the cross-column rules (see {@link tutorScoreCreateRequestObject}).
 *
 * @example
 * const patch = withTutorScoreRules(tutorScoreUpdateRequestObject.pick({ riskThreshold: true }), 'update');
 */
export const tutorScoreUpdateRequestObject = lazySchema(() => wire().updateRequestObject);

/**
 * TutorScore response as a plain object schema over its JSON (timestamps as ISO 8601 text in UTC): what a client checks a
 * response body with, and the shape the JSON Schema of the response is made from. Composable like the request objects.
 *
 * @example
 * const body = tutorScoreResponseObject.parse(await response.json());
 */
export const tutorScoreResponseObject = lazySchema(() => wire().responseObject);

/**
 * `schema` (a shape made from {@link tutorScoreCreateRequestObject} or {@link tutorScoreUpdateRequestObject}) with the tutor scores'
 * cross-column rules checked on its output, as the create (`'create'`, the default) or update request checks them: a
 * rule is checked when every column it reads is present.
 *
 * @example
 * const schema = withTutorScoreRules(tutorScoreUpdateRequestObject.partial(), 'update');
 */
export const withTutorScoreRules: ReturnType<typeof wire>['withRules'] = (schema, kind) => wire().withRules(schema, kind);

/** The JSON body of a create request for tutor scores, as a client sends it ({@link tutorScoreCreateRequestSchema}'s input). */
export type TutorScoreCreateRequest = z.input<typeof tutorScoreCreateRequestSchema>;

/** The JSON body of an update request for tutor scores, every field optional ({@link tutorScoreUpdateRequestSchema}'s input). */
export type TutorScoreUpdateRequest = z.input<typeof tutorScoreUpdateRequestSchema>;

/** The JSON body of a response with one of the tutor scores ({@link tutorScoreResponseSchema}'s output). */
export type TutorScoreResponse = z.output<typeof tutorScoreResponseSchema>;
