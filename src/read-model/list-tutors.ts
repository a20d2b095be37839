import { type SQL, sql } from 'drizzle-orm';
import { z } from 'zod';
import { lazySchema } from '../validation/lazy-schema';
import { emailText, nameText, uuidText } from './json-fields';
import type { Database } from '../db';
import { riskTiers } from '../domain';
import { tutors, tutorScores } from '../schema';
import { decodeCursor, isoText, keysetPage, limitOption, parseOptions, readJson } from './options';

/**
 * The orders {@link listTutors} sorts by.
 *
 * @example
 * tutorSortKeys.includes('name'); // true
 */
export const tutorSortKeys = [
  'rescheduleRate7d',
  'rescheduleRate30d',
  'rescheduleRate90d',
  'totalSessions7d',
  'totalSessions30d',
  'totalSessions90d',
  'name',
  'lastCalculatedAt',
] as const;
/** A column {@link listTutors} sorts by: one of {@link tutorSortKeys}. */
export type TutorSortKey = (typeof tutorSortKeys)[number];

/**
 * The options of {@link listTutors}, as a Zod schema: an API service can validate its query with it.
 *
 * @example
 * const options = listTutorsOptionsSchema.parse(query); // a bad option throws before listTutors runs
 */
export const listTutorsOptionsSchema = lazySchema(() =>
  z
    .object({
      /** Only tutors whose score is in one of these categories (unscored tutors have none). */
      riskCategories: z.array(z.enum(riskTiers)).min(1).optional(),
      /** `true`: flagged tutors only; `false`: tutors not flagged (the unscored included). */
      flagged: z.boolean().optional(),
      /** `true`: scored tutors only; `false`: unscored only. Default: both. */
      scored: z.boolean().optional(),
      /** Case-insensitive substring (so also prefix) of the name or the email. */
      search: z.string().trim().min(1).max(255).optional(),
      /** Default `{ by: 'name', direction: 'asc' }`. Rows without a value (unscored) come last either way. */
      sort: z.object({ by: z.enum(tutorSortKeys), direction: z.enum(['asc', 'desc']).default('asc') }).strict().optional(),
      /** Page size, 1–500. Default 20. */
      limit: limitOption.optional(),
      /** The `nextCursor` of the previous page. */
      after: z.string().min(1).max(1000).optional(),
    })
    .strict(),
);
/** Options of {@link listTutors} ({@link listTutorsOptionsSchema}'s input). */
export type ListTutorsOptions = z.input<typeof listTutorsOptionsSchema>;

const rate = lazySchema(() => z.number().min(0).max(100).nullable());
const count = lazySchema(() => z.number().int().min(0).nullable());
const instant = lazySchema(() => z.iso.datetime());

/**
 * One row of {@link listTutors}: the tutor and its stored score (score fields null when unscored).
 *
 * @example
 * response.json(tutorListRowSchema.parse((await listTutors(db)).tutors[0]));
 */
export const tutorListRowSchema = lazySchema(() =>
  z.object({
    tutorId: uuidText,
    name: nameText,
    email: emailText,
    isActive: z.boolean(),
    isHighRisk: z.boolean().nullable(),
    riskCategory: z.enum(riskTiers).nullable(),
    rescheduleRate7d: rate,
    rescheduleRate30d: rate,
    rescheduleRate90d: rate,
    totalSessions7d: count,
    totalSessions30d: count,
    totalSessions90d: count,
    tutorReschedules7d: count,
    tutorReschedules30d: count,
    tutorReschedules90d: count,
    riskThreshold: z.number().nullable(),
    asOf: instant.nullable(),
    lastCalculatedAt: instant.nullable(),
    nextChangeAt: instant.nullable(),
  }),
);
/** One tutor of a {@link listTutors} page ({@link tutorListRowSchema}). */
export type TutorListRow = z.infer<typeof tutorListRowSchema>;

/**
 * A page of {@link listTutors}, JSON-ready.
 *
 * @example
 * response.json(tutorListPageSchema.parse(await listTutors(db)));
 */
export const tutorListPageSchema = lazySchema(() =>
  z.object({
    tutors: z.array(tutorListRowSchema),
    /** Every tutor the filter matches, across pages. */
    total: z.number().int().min(0),
    limit: z.number().int(),
    /** Pass as `after` for the next page; absent on the last page. */
    nextCursor: z.string().optional(),
  }),
);
/** A page of {@link listTutors}, JSON-ready ({@link tutorListPageSchema}). */
export type TutorListPage = z.infer<typeof tutorListPageSchema>;

// The cursor holds the sort value as the database's text; each cast reads it back as the column's type.
const asNumeric = (text: string) => sql`${text}::numeric`;
const asInt = (text: string) => sql`${text}::int4`;
const asText = (text: string) => sql`${text}::text`;
const asInstant = (text: string) => sql`${text}::timestamptz`;
const sortColumns = {
  rescheduleRate7d: [tutorScores.rescheduleRate7d, asNumeric],
  rescheduleRate30d: [tutorScores.rescheduleRate30d, asNumeric],
  rescheduleRate90d: [tutorScores.rescheduleRate90d, asNumeric],
  totalSessions7d: [tutorScores.totalSessions7d, asInt],
  totalSessions30d: [tutorScores.totalSessions30d, asInt],
  totalSessions90d: [tutorScores.totalSessions90d, asInt],
  name: [tutors.name, asText],
  lastCalculatedAt: [tutorScores.lastCalculatedAt, asInstant],
} as const;

/** `%`, `_` and `\` stand for themselves in a LIKE pattern once escaped. */
const likeSubstring = (text: string) => `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

/**
 * Every tutor with its stored score, filtered, searched, sorted and paged: the dashboard's tutor list.
 *
 * Rows are ordered by the sort value (rows without one, the unscored, last), then by tutor id. Paging is by keyset:
 * `after` starts the page right after the previous page's last row in that order, so a page neither repeats nor
 * skips a tutor while scores refresh between pages (a tutor whose score moved past the cursor shows up where its new
 * value puts it). `total` counts every tutor the filter matches, from the same snapshot as the page.
 *
 * @throws {InvalidOptionError} an unknown option, a bad value, or a cursor of another sort.
 * @example
 * const first = await listTutors(db, { scored: true, sort: { by: 'rescheduleRate30d', direction: 'desc' }, limit: 25 });
 * const next = first.nextCursor ? await listTutors(db, { scored: true, sort: { by: 'rescheduleRate30d', direction: 'desc' }, limit: 25, after: first.nextCursor }) : undefined;
 *
 * ```sql
 * with "matched" as materialized (
 *   select t.id, <sort column> as "key" from tutors t left join tutor_scores ts on ts.tutor_id = t.id
 *   where <filters> and (t.name ilike $search or t.email ilike $search)),
 * "page" as (select * from "matched" where <after the cursor: key beyond $key, or equal with id > $id; null keys last>
 *            order by "key" is null, "key" <direction>, id limit $limit + 1),
 * "t" as (select * from tutors where id = any(array(select id from "page"))),
 * "sc" as (select * from tutor_scores where tutor_id = any(array(select id from "page")))
 * select json_build_object('total', (select count(*) from "matched"),
 *   'rows', (select json_agg(...) from "page" join "t" using (id) left join "sc" on sc.tutor_id = page.id))
 * ```
 */
export async function listTutors(db: Database, options: ListTutorsOptions = {}): Promise<TutorListPage> {
  const o = parseOptions('listTutors', listTutorsOptionsSchema, options);
  const by = o.sort?.by ?? 'name';
  const direction = o.sort?.direction ?? 'asc';
  const limit = o.limit ?? 20;
  const [column, cast] = sortColumns[by];
  const filters = listFilters(o);
  const after = o.after === undefined ? sql`true` : afterCursor(o.after, by, direction, cast);
  const dir = direction === 'asc' ? sql`asc` : sql`desc`;
  const order = sql`"key" is null, "key" ${dir}, "id"`;
  const pageOrder = sql`"page"."key" is null, "page"."key" ${dir}, "page"."id"`;
  // Only ids and sort values for every matching tutor (the total needs them all); the page's rows are then looked
  // up by id (`= any(array(...))`), so the width of a row is paid for the page alone.
  const ts = tutorScores;
  const query = sql`with "matched" as materialized (
  select ${tutors.id} as "id", ${column} as "key"
  from ${tutors} left join ${ts} on ${ts.tutorId} = ${tutors.id}
  where ${sql.join(filters, sql` and `)}
), "page" as materialized (
  select * from "matched" where ${after} order by ${order} limit ${limit + 1}
), "t" as materialized (
  select ${tutors.id} as "id", ${tutors.name} as "name", ${tutors.email} as "email", ${tutors.isActive} as "is_active"
  from ${tutors} where ${tutors.id} = any(array(select "id" from "page"))
), "sc" as materialized (
  select ${ts.tutorId} as "tutor_id", ${ts.isHighRisk} as "is_high_risk", ${ts.riskCategory} as "risk_category",
    ${ts.rescheduleRate7d} as "r7", ${ts.rescheduleRate30d} as "r30", ${ts.rescheduleRate90d} as "r90",
    ${ts.totalSessions7d} as "s7", ${ts.totalSessions30d} as "s30", ${ts.totalSessions90d} as "s90",
    ${ts.tutorReschedules7d} as "t7", ${ts.tutorReschedules30d} as "t30", ${ts.tutorReschedules90d} as "t90",
    ${ts.riskThreshold} as "risk_threshold", ${ts.asOf} as "as_of", ${ts.lastCalculatedAt} as "last_calculated_at",
    ${ts.nextChangeAt} as "next_change_at"
  from ${ts} where ${ts.tutorId} = any(array(select "id" from "page"))
)
select json_build_object(
  'total', (select count(*) from "matched"),
  'rows', (select coalesce(json_agg(json_build_object(
      'tutorId', "page"."id", 'name', "name", 'email', "email", 'isActive', "is_active", 'isHighRisk', "is_high_risk",
      'riskCategory', "risk_category", 'rescheduleRate7d', "r7", 'rescheduleRate30d', "r30", 'rescheduleRate90d', "r90",
      'totalSessions7d', "s7", 'totalSessions30d', "s30", 'totalSessions90d', "s90",
      'tutorReschedules7d', "t7", 'tutorReschedules30d', "t30", 'tutorReschedules90d', "t90",
      'riskThreshold', "risk_threshold", 'asOf', ${isoText(sql`"as_of"`)},
      'lastCalculatedAt', ${isoText(sql`"last_calculated_at"`)}, 'nextChangeAt', ${isoText(sql`"next_change_at"`)},
      '_key', "page"."key"::text) order by ${pageOrder}), '[]')
    from "page" join "t" on "t"."id" = "page"."id" left join "sc" on "sc"."tutor_id" = "page"."id")
)::text as "result"`;
  const { total, rows } = await readJson<{ total: number; rows: (TutorListRow & { _key: string | null })[] }>(db, query);
  const { page, nextCursor } = keysetPage(rows, limit, (last) => [by, direction, last._key, last.tutorId]);
  const result: TutorListPage = { tutors: page.map(({ _key, ...row }) => row), total, limit };
  if (nextCursor) result.nextCursor = nextCursor;
  return result;
}

/** The `where` terms of {@link listTutors}'s filters and search. */
function listFilters(o: ListTutorsOptions): SQL[] {
  const filters: SQL[] = [sql`true`];
  if (o.riskCategories) filters.push(sql`${tutorScores.riskCategory} in (${sql.join(o.riskCategories.map((c) => sql`${c}`), sql`, `)})`);
  if (o.flagged !== undefined) filters.push(sql`coalesce(${tutorScores.isHighRisk}, false) = ${o.flagged}`);
  if (o.scored !== undefined) filters.push(o.scored ? sql`${tutorScores.tutorId} is not null` : sql`${tutorScores.tutorId} is null`);
  if (o.search !== undefined) {
    const pattern = likeSubstring(o.search);
    filters.push(sql`(${tutors.name} ilike ${pattern} or ${tutors.email} ilike ${pattern})`);
  }
  return filters;
}

/** The keyset condition for the rows after `cursor` in `(key, id)` order, unscored (null keys) last. */
function afterCursor(cursor: string, by: string, direction: 'asc' | 'desc', cast: (key: string) => SQL): SQL {
  const [, , key, id] = decodeCursor(
    'listTutors',
    cursor,
    (v) => v.length === 4 && v[0] === by && v[1] === direction && (v[2] === null || typeof v[2] === 'string') && typeof v[3] === 'string' && /^[0-9a-f-]{36}$/.test(v[3]),
  ) as [string, string, string | null, string];
  const k = sql`"key"`;
  if (key === null) return sql`(${k} is null and "id" > ${id}::uuid)`;
  const typed = cast(key);
  const beyond = direction === 'asc' ? sql`${k} > ${typed}` : sql`${k} < ${typed}`;
  return sql`(${k} is null or ${beyond} or (${k} = ${typed} and "id" > ${id}::uuid))`;
}
