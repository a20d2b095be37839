import { riskCategoryOf } from '../domain/risk-tiers';
import { sql } from 'drizzle-orm';
import type { PgColumn } from 'drizzle-orm/pg-core';
import { type Database, queryRows } from '../db/client';
import { readFromReplica } from '../db/replicas';
import { NotFoundError } from '../errors';
import { DEFAULT_RISK_THRESHOLD, type TutorScore, tutorScores } from '../schema';
import { resolveAsOf } from './as-of';
import { assertRiskThreshold, isUuid } from './arguments';
import { isHighRisk, type RescheduleRates, rescheduleRate, type WindowCounts } from './rates';
import { countExpressions, nextChangeExpression, scoredTutor, scoredTutorsFrom } from './score-query';

/**
 * A tutor's score as {@link computeTutorScore} computes it: the columns of a `tutor_scores` row that depend on the
 * data, with the same names and types, so a stored row can be compared with it key by key.
 */
export type ComputedTutorScore = Pick<TutorScore, 'tutorId' | 'isHighRisk' | 'riskCategory' | 'riskThreshold' | 'asOf' | 'nextChangeAt'> &
  RescheduleRates &
  WindowCounts;

/** Options of {@link computeTutorScore} and {@link refreshTutorScores}. */
export interface ScoreOptions {
  /** The end of the three windows (included). Default: now, read from the clock once per call. */
  asOf?: Date;
  /** The percentage a rate must exceed to flag the tutor: 0 to 100, at most 2 decimals. Default 15. */
  threshold?: number;
}

/**
 * Computes one tutor's reschedule rates, counts and risk flag in one query, without writing anything: what
 * {@link refreshTutorScores} would store with the same `asOf` and `threshold`. Window N holds the sessions with
 * `scheduled_time` in `(asOf − N days, asOf]`. With `readReplicas` it reads a replica: pass `db.$primary` to see a
 * write just made.
 *
 * A session still `scheduled` has no outcome yet and is left out, even after its time (docs/ingest.md).
 *
 * ```sql
 * select count(s.id) filter (where s.scheduled_time > $start7), ..., count(r.session_id), least(...) as next_change_at
 * from tutors t
 * left join sessions s on s.tutor_id = t.id and s.scheduled_time > $start90 and s.scheduled_time <= $asOf
 * left join reschedules r on r.session_id = s.id and r.initiator = 'tutor'
 * where t.id = $tutorId group by t.id
 * ```
 *
 * @throws {NotFoundError} no tutor has this id (a string that is not a UUID included).
 * @throws {InvalidOptionError} `threshold` is outside 0–100 or has more than 2 decimals; `asOf` is an invalid date.
 * @example
 * const score = await computeTutorScore(db, tutorId, { asOf: new Date('2026-01-15T12:00:00Z') });
 * score.rescheduleRate30d; // 25
 */
export async function computeTutorScore(
  db: Database,
  tutorId: string,
  options: ScoreOptions = {},
): Promise<ComputedTutorScore> {
  const threshold = assertRiskThreshold('computeTutorScore', options.threshold ?? DEFAULT_RISK_THRESHOLD);
  const asOf = resolveAsOf('computeTutorScore', options.asOf);
  if (!isUuid(tutorId)) throw new NotFoundError('tutor', String(tutorId));
  const counts = countExpressions(asOf);
  const [row] = await readFromReplica(db, 'computeTutorScore', (reader) =>
    queryRows<Record<string, number | string | null>>(
      reader,
      sql`select ${sql.join(
        counts.map(([column, expression]) => sql`${expression} as ${sql.identifier(column.name)}`),
        sql`, `,
      )}, floor(extract(epoch from ${nextChangeExpression(asOf)}) * 1000)::float8 as "next_change_ms",
        ${scoredTutor.id}::text as "tutor_id"
      from ${scoredTutorsFrom(asOf)}
      where ${scoredTutor.id} = ${tutorId}
      group by ${scoredTutor.id}`,
    ),
  );
  if (!row) throw new NotFoundError('tutor', tutorId);
  const count = (column: PgColumn) => Number(row[column.name]);
  const score = {
    // As the database writes it (lower case, hyphenated), whatever spelling of the uuid was asked for.
    tutorId: String(row.tutor_id),
    totalSessions7d: count(tutorScores.totalSessions7d),
    totalSessions30d: count(tutorScores.totalSessions30d),
    totalSessions90d: count(tutorScores.totalSessions90d),
    tutorReschedules7d: count(tutorScores.tutorReschedules7d),
    tutorReschedules30d: count(tutorScores.tutorReschedules30d),
    tutorReschedules90d: count(tutorScores.tutorReschedules90d),
  };
  const rates = {
    rescheduleRate7d: rescheduleRate(score.tutorReschedules7d, score.totalSessions7d),
    rescheduleRate30d: rescheduleRate(score.tutorReschedules30d, score.totalSessions30d),
    rescheduleRate90d: rescheduleRate(score.tutorReschedules90d, score.totalSessions90d),
  };
  // As epoch milliseconds: a number reads the same from both drivers, whatever their timestamp parsing.
  const nextChangeAt = row.next_change_ms === null ? null : new Date(Number(row.next_change_ms));
  const measured = [rates.rescheduleRate7d, rates.rescheduleRate30d, rates.rescheduleRate90d].filter((r): r is number => r !== null);
  const riskCategory = riskCategoryOf(measured.length > 0 ? Math.max(...measured) : null);
  return { ...score, ...rates, isHighRisk: isHighRisk(rates, threshold), riskCategory, riskThreshold: threshold, asOf, nextChangeAt };
}
