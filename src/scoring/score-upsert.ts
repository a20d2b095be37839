import { type SQL, sql } from 'drizzle-orm';
import type { PgColumn } from 'drizzle-orm/pg-core';
import { tutorScores, tutors } from '../schema';
import { aggregatedScores, countExpressions, nextChangeExpression, scoredTutor, scoredTutorsFrom, timestamptz } from './score-query';

/** How {@link scoreUpsert} treats a score row written by another transaction after its statement began. */
type Overwritten = 'mark-due' | 'skip';

/**
 * `insert into tutor_scores ... select ... on conflict (tutor_id) do update ... returning tutor_id, is_high_risk`: the
 * scores of the tutors `t` that `where` keeps, as of `asOf`. Both refreshes write through it, so they cannot differ.
 * A score row written by another transaction after this snapshot (recognised by its `xmin`) may be newer than what
 * this statement saw: `'skip'` leaves it alone, `'mark-due'` overwrites it but makes it due again.
 *
 * @example
 * sql`with upserted as (${scoreUpsert({ asOf, threshold: 15, where: undefined, overwritten: 'mark-due' })}) select count(*) from upserted`;
 */
export function scoreUpsert(input: { asOf: Date; threshold: number; where: SQL | undefined; overwritten: Overwritten }): SQL {
  const { asOf, threshold, where, overwritten } = input;
  const counts = countExpressions(asOf);
  const written = [
    ...counts.map(([column]) => column),
    tutorScores.nextChangeAt,
    tutorScores.riskThreshold,
    tutorScores.asOf,
    tutorScores.lastCalculatedAt,
  ];
  const name = (column: { name: string }) => sql.identifier(column.name);
  const seen = sql`${tutorScores}.xmin = (select "seen".xmin from ${tutorScores} "seen" where "seen".${name(tutorScores.tutorId)} = excluded.${name(tutorScores.tutorId)})`;
  const assign = (column: PgColumn) =>
    overwritten === 'mark-due' && column === tutorScores.nextChangeAt
      ? sql`${name(column)} = case when ${seen} then excluded.${name(column)} else excluded.${name(tutorScores.asOf)} end`
      : sql`${name(column)} = excluded.${name(column)}`;
  // `last_calculated_at` = now(): staleness compares it with timestamps the same database clock wrote.
  const settings = sql`${threshold.toFixed(2)}::numeric, ${timestamptz(asOf)}, now()`;
  // A tutor deleted by a transaction that commits while this statement runs is still in its snapshot, and its score
  // would break tutor_scores_tutor_id_fk: the key-share lock waits for such a delete and then drops the tutor, and
  // holds back a later delete until this transaction ends. Either way: the result of a refresh before or after it.
  const tutorStillThere = sql`exists (select from ${tutors} "still" where "still".${name(tutors.id)} = ${scoredTutor.id} for key share of "still")`;
  // Every tutor: sessions aggregated per tutor, then joined to tutors. Some tutors: their sessions joined per tutor.
  const rows = where
    ? sql`select ${scoredTutor.id}, ${sql.join(
        counts.map(([, expression]) => expression),
        sql`, `,
      )}, ${nextChangeExpression(asOf)}, ${settings}
  from ${scoredTutorsFrom(asOf)}
  where ${where}
  group by ${scoredTutor.id}
  having ${tutorStillThere}`
    : sql`${aggregatedScores(asOf, settings)}
  where ${tutorStillThere}`;
  // `order by t.id`: concurrent refreshes lock score rows in one order, so they wait instead of deadlocking.
  return sql`insert into ${tutorScores} (${name(tutorScores.tutorId)}, ${sql.join(written.map(name), sql`, `)})
  ${rows}
  order by ${scoredTutor.id}
  on conflict (${name(tutorScores.tutorId)}) do update set ${sql.join(written.map(assign), sql`, `)}
  ${overwritten === 'skip' ? sql`where ${seen}` : sql``}
  returning ${tutorScores.tutorId}, ${tutorScores.isHighRisk}`;
}
