import { and, asc, count, eq, getTableColumns, inArray, type SQL, sql } from 'drizzle-orm';
import type { RiskTier } from '../domain/dataset';
import { riskTiers } from '../domain/risk-tiers';
import { isUuid } from './arguments';
import type { Database } from '../db/client';
import { readFromReplica } from '../db/replicas';
import { InvalidOptionError } from '../errors';
import { decodeCursor, encodeCursor } from '../util';
import { type TutorScore, tutors, tutorScores } from '../schema';
import type { RescheduleRates, WindowCounts } from './rates';

/** One flagged tutor of {@link listHighRiskTutors}: who they are, and their stored score. */
export type HighRiskTutor = Pick<TutorScore, 'tutorId' | 'riskThreshold' | 'riskCategory' | 'asOf' | 'lastCalculatedAt'> &
  RescheduleRates &
  WindowCounts & {
    name: string;
    email: string | null;
    isActive: boolean;
  };

/** Options of {@link listHighRiskTutors}. */
export interface ListHighRiskTutorsOptions {
  /** Page size. Default 20. */
  limit?: number;
  /** Rows to skip. Default 0. Prefer `after` for a dashboard that pages while scores refresh. */
  offset?: number;
  /**
   * The `nextCursor` of the previous page: the page starts right after that tutor in the order, so paging while the
   * scores refresh neither repeats nor skips a tutor whose place did not change. Not with `offset`.
   */
  after?: string;
  /** Only these risk categories (`tutor_scores.risk_category`). Default: every flagged tutor. */
  riskCategories?: readonly RiskTier[];
}

/** A page of {@link listHighRiskTutors}. */
export interface HighRiskTutorPage {
  tutors: HighRiskTutor[];
  /** How many tutors are flagged in all, across pages. */
  total: number;
  limit: number;
  offset: number;
  /** Pass as `after` for the next page; undefined on the last page. */
  nextCursor: string | undefined;
}

/** Where a page ends in the order: the highest rate, the 90-day rate and the tutor id of its last row. */
interface CursorKey {
  highest: number;
  rate90: number;
  tutorId: string;
}

const encodeKey = (key: CursorKey) => encodeCursor([key.highest, key.rate90, key.tutorId]);

function decodeKey(cursor: string): CursorKey {
  const values = decodeCursor(
    cursor,
    (v): v is [number, number, string] => typeof v[0] === 'number' && typeof v[1] === 'number' && isUuid(v[2]),
  );
  if (values) return { highest: values[0], rate90: values[1], tutorId: values[2] };
  throw new InvalidOptionError('after', "listHighRiskTutors: option 'after' must be the nextCursor of a previous page");
}

function wholeNumber(name: string, value: number, min: number): number {
  if (!Number.isSafeInteger(value) || value < min) {
    throw new InvalidOptionError(name, `listHighRiskTutors: ${name} must be a whole number of at least ${min} (got ${String(value)})`);
  }
  return value;
}

/**
 * The flagged tutors with their stored scores, worst first (highest rate, then 90-day rate, then id, so pages never
 * overlap or skip a row), a page at a time. Reads `tutor_scores` as the last refresh left it; `total` counts every
 * flagged tutor the filter matches (the same on every page, whatever `after` or `offset`), and `nextCursor` is
 * undefined on the last page (also when it is full).
 *
 * ```sql
 * select t.id, t.name, t.email, t.is_active, ts.reschedule_rate_7d, ...,
 *        (select count(*) from tutor_scores where is_high_risk = true) as total
 * from tutor_scores ts join tutors t on t.id = ts.tutor_id
 * where ts.is_high_risk = true and <after the cursor>
 * order by greatest(ts.reschedule_rate_7d, ts.reschedule_rate_30d, ts.reschedule_rate_90d) desc,
 *          ts.reschedule_rate_90d desc nulls last, ts.tutor_id
 * limit $limit + 1 offset $offset  -- the extra row says whether a next page exists
 * ```
 *
 * @throws {InvalidOptionError} `limit` or `offset` is not a whole number (limit ≥ 0, offset ≥ 0), `after` is not a
 * cursor of this call, `after` with `offset`, or an unknown risk category.
 * @example
 * const { tutors, total } = await listHighRiskTutors(db, { limit: 10 });
 * // tutors[0]: { tutorId, name: 'Ada Byron', email, isActive, rescheduleRate7d: 50, ..., riskThreshold: 15, asOf, lastCalculatedAt }
 * const page2 = await listHighRiskTutors(db, { limit: 10, offset: 10 });
 */
export async function listHighRiskTutors(
  db: Database,
  options: ListHighRiskTutorsOptions = {},
): Promise<HighRiskTutorPage> {
  const limit = wholeNumber('limit', options.limit ?? 20, 0);
  const offset = wholeNumber('offset', options.offset ?? 0, 0);
  if (options.after !== undefined && offset > 0) throw new InvalidOptionError('after', 'listHighRiskTutors: give after or offset, not both');
  const highest = sql`greatest(${tutorScores.rescheduleRate7d}, ${tutorScores.rescheduleRate30d}, ${tutorScores.rescheduleRate90d})`;
  const { id: _id, isHighRisk: _flag, createdAt: _created, updatedAt: _updated, ...scoreColumns } =
    getTableColumns(tutorScores);
  const filters: SQL[] = [eq(tutorScores.isHighRisk, true)];
  if (options.riskCategories !== undefined) {
    const unknown = options.riskCategories.filter((c) => !(riskTiers as readonly string[]).includes(c));
    if (unknown.length > 0) {
      throw new InvalidOptionError('riskCategories', `listHighRiskTutors: riskCategories must be among 'low', 'medium', 'high' (got ${JSON.stringify(unknown)})`);
    }
    filters.push(inArray(tutorScores.riskCategory, [...options.riskCategories]));
  }
  const flagged = and(...filters) as SQL;
  const page: SQL[] = [];
  if (options.after !== undefined) {
    // The row order, as a keyset: flagged rows have a 90-day rate (their sessions are in every wider window).
    const key = decodeKey(options.after);
    const [g, r] = [sql`${key.highest}::numeric`, sql`${key.rate90}::numeric`];
    page.push(
      sql`(${highest} < ${g} or (${highest} = ${g} and (${tutorScores.rescheduleRate90d} < ${r} or (${tutorScores.rescheduleRate90d} = ${r} and ${tutorScores.tutorId} > ${key.tutorId}))))`,
    );
  }
  // The page and, when it is empty, the count come from the same replica.
  return readFromReplica(db, 'listHighRiskTutors', async (reader) => {
    const rows = await reader
      .select({
        ...scoreColumns,
        name: tutors.name,
        email: tutors.email,
        isActive: tutors.isActive,
        // Every flagged tutor of the filter, not only those after the cursor: the same on every page. A subquery of
        // the same statement, so the page and its total come from the same snapshot.
        total: sql<number>`(select count(*)::int from ${tutorScores} where ${flagged})`.mapWith(Number),
      })
      .from(tutorScores)
      .innerJoin(tutors, eq(tutors.id, tutorScores.tutorId))
      .where(and(flagged, ...page))
      .orderBy(
        sql`${highest} desc`,
        sql`${tutorScores.rescheduleRate90d} desc nulls last`,
        asc(tutorScores.tutorId),
      )
      // One row more than the page: it only says that another page follows, so a full last page has no cursor.
      .limit(limit + 1)
      .offset(offset);
    let total = rows[0]?.total;
    if (total === undefined) {
      // An empty page (past the end) carries no total: count on its own.
      const [row] = await reader.select({ n: count() }).from(tutorScores).where(flagged);
      total = row?.n ?? 0;
    }
    const shown = rows.slice(0, limit);
    const last = rows.length > limit ? shown[shown.length - 1] : undefined;
    const nextCursor = last ? encodeKey(cursorKey(last)) : undefined;
    return { tutors: shown.map(({ total: _total, ...tutor }) => tutor), total, limit, offset, nextCursor };
  });
}

/** The cursor key of a row: its highest rate, its 90-day rate and its tutor id. */
const cursorKey = (row: RescheduleRates & { tutorId: string }): CursorKey => ({
  highest: Math.max(...[row.rescheduleRate7d, row.rescheduleRate30d, row.rescheduleRate90d].filter((r): r is number => r !== null)),
  rate90: row.rescheduleRate90d ?? 0,
  tutorId: row.tutorId,
});
