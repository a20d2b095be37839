import { and, asc, eq, gte, inArray, lt, type SQL, sql } from 'drizzle-orm';
import type { Database } from '../db';
import { readFromReplica } from '../db/replicas';
import { type RiskTier, riskTiers } from '../domain';
import { InvalidOptionError } from '../errors';
import { sessions, tutors, tutorScores } from '../schema';
import { decodeCursor, encodeCursor } from '../util';

/** Options of {@link listUpcomingSessions}. */
export interface ListUpcomingSessionsOptions {
  /** Required. How many hours ahead of `now` to look (more than 0, at most 8,784: a leap year). */
  within: number;
  /** Only sessions whose tutor's stored score has one of these risk categories (unscored tutors left out). */
  riskCategories?: readonly RiskTier[];
  /** Only this tutor's sessions. */
  tutorId?: string;
  /** Page size, 1–1,000. Default 50. */
  limit?: number;
  /** The `nextCursor` of the previous page: the page starts right after that session. */
  after?: string;
  /** The instant the window starts at. Default: the clock. */
  now?: Date;
}

/** One booked session of {@link listUpcomingSessions}, with its tutor and the tutor's stored score (null fields when unscored). */
export interface UpcomingSession {
  sessionId: string;
  scheduledTime: Date;
  studentId: string;
  tutorId: string;
  tutorName: string;
  tutorEmail: string | null;
  /** The tutor's `tutor_scores.risk_category` as the last refresh left it; null when unscored or without sessions. */
  riskCategory: RiskTier | null;
  isHighRisk: boolean | null;
  rescheduleRate7d: number | null;
  rescheduleRate30d: number | null;
  rescheduleRate90d: number | null;
  /** The `asOf` of the tutor's stored score; null when unscored. */
  scoredAsOf: Date | null;
}

/** A page of {@link listUpcomingSessions}, soonest first. */
export interface UpcomingSessionPage {
  sessions: UpcomingSession[];
  limit: number;
  /** Pass as `after` for the next page; undefined when this page is the last. */
  nextCursor: string | undefined;
}

const HOUR_MS = 3_600_000;
const MAX_WITHIN_HOURS = 366 * 24;
const uuidText = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function checked(options: ListUpcomingSessionsOptions): { within: number; limit: number; now: Date } {
  const fail = (option: string, wanted: string, got: unknown) => {
    throw new InvalidOptionError(option, `listUpcomingSessions: ${option} must be ${wanted} (got ${String(got)})`);
  };
  const { within, limit = 50, now = new Date() } = options;
  if (typeof within !== 'number' || !(within > 0) || within > MAX_WITHIN_HOURS) fail('within', `a number of hours above 0 and at most ${MAX_WITHIN_HOURS}`, within);
  if (!Number.isSafeInteger(limit) || limit < 1 || limit > 1000) fail('limit', 'a whole number from 1 to 1000', limit);
  if (!(now instanceof Date) || Number.isNaN(now.getTime())) fail('now', 'a valid Date', now);
  if (options.tutorId !== undefined && !uuidText.test(options.tutorId)) fail('tutorId', 'a UUID', options.tutorId);
  const unknown = (options.riskCategories ?? []).filter((c) => !(riskTiers as readonly string[]).includes(c));
  if (unknown.length > 0) fail('riskCategories', "among 'low', 'medium', 'high'", JSON.stringify(unknown));
  return { within, limit, now };
}

/**
 * The booked sessions (status `scheduled`) of the next `within` hours, soonest first, each with its tutor's current
 * risk as the last refresh stored it: the early warning of which upcoming sessions belong to tutors at risk. Keyset
 * paged on `(scheduled_time, id)`, so a page never repeats or skips a session while sessions are booked or get their
 * outcome. With `readReplicas`, it reads a replica.
 *
 * @throws {InvalidOptionError} `within`, `limit`, `now`, `tutorId`, `riskCategories` or `after` is not what it takes.
 * @example
 * const { sessions, nextCursor } = await listUpcomingSessions(db, { within: 48, riskCategories: ['high'] });
 * // sessions[0]: { sessionId, scheduledTime, studentId, tutorId, tutorName, riskCategory: 'high', isHighRisk: true, ... }
 *
 * ```sql
 * -- uses sessions_scheduled_idx, (scheduled_time, id) where status = 'scheduled'
 * select s.id, s.scheduled_time, s.student_id, t.id, t.name, t.email, ts.risk_category, ts.is_high_risk, ...
 * from sessions s join tutors t on t.id = s.tutor_id left join tutor_scores ts on ts.tutor_id = s.tutor_id
 * where s.status = 'scheduled' and s.scheduled_time >= $now and s.scheduled_time < $now + $within
 *   [and s.tutor_id = $tutorId] [and ts.risk_category in ($categories)] [and (s.scheduled_time, s.id) > ($t, $id)]
 * order by s.scheduled_time, s.id
 * limit $limit + 1  -- the extra row says whether a next page exists
 * ```
 */
export async function listUpcomingSessions(db: Database, options: ListUpcomingSessionsOptions): Promise<UpcomingSessionPage> {
  const { within, limit, now } = checked(options);
  const filters: SQL[] = [
    eq(sessions.status, 'scheduled'),
    gte(sessions.scheduledTime, now),
    lt(sessions.scheduledTime, new Date(now.getTime() + within * HOUR_MS)),
  ];
  if (options.tutorId !== undefined) filters.push(eq(sessions.tutorId, options.tutorId));
  if (options.riskCategories !== undefined) filters.push(inArray(tutorScores.riskCategory, [...options.riskCategories]));
  if (options.after !== undefined) {
    const key = decodeCursor(
      options.after,
      (v): v is [string, string] => v.length === 2 && typeof v[0] === 'string' && !Number.isNaN(Date.parse(v[0])) && typeof v[1] === 'string' && uuidText.test(v[1]),
    );
    if (!key) throw new InvalidOptionError('after', 'listUpcomingSessions: after must be the nextCursor of a previous page');
    filters.push(sql`(${sessions.scheduledTime}, ${sessions.id}) > (${key[0]}::timestamptz, ${key[1]}::uuid)`);
  }
  return readFromReplica(db, 'listUpcomingSessions', async (reader) => {
    const rows = await reader
      .select({
        sessionId: sessions.id,
        scheduledTime: sessions.scheduledTime,
        studentId: sessions.studentId,
        tutorId: tutors.id,
        tutorName: tutors.name,
        tutorEmail: tutors.email,
        riskCategory: tutorScores.riskCategory,
        isHighRisk: tutorScores.isHighRisk,
        rescheduleRate7d: tutorScores.rescheduleRate7d,
        rescheduleRate30d: tutorScores.rescheduleRate30d,
        rescheduleRate90d: tutorScores.rescheduleRate90d,
        scoredAsOf: tutorScores.asOf,
      })
      .from(sessions)
      .innerJoin(tutors, eq(tutors.id, sessions.tutorId))
      .leftJoin(tutorScores, eq(tutorScores.tutorId, sessions.tutorId))
      .where(and(...filters))
      .orderBy(asc(sessions.scheduledTime), asc(sessions.id))
      // One row more than the page: a cursor only when another page has rows.
      .limit(limit + 1);
    const page = rows.slice(0, limit);
    const last = rows.length > limit ? page[page.length - 1] : undefined;
    return {
      sessions: page as UpcomingSession[],
      limit,
      nextCursor: last ? encodeCursor([last.scheduledTime.toISOString(), last.sessionId]) : undefined,
    };
  });
}
