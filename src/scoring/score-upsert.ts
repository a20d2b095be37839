import { type SQL, sql } from 'drizzle-orm';
import type { PgColumn } from 'drizzle-orm/pg-core';
import { tutorScores } from '../schema';
import { countExpressions, nextChangeExpression, scoredTutor, scoredTutorsFrom, timestamptz } from './score-query';

/** How {@link scoreUpsert} treats a score row written by another transaction after its statement began. */
type Overwritten = 'mark-due' | 'skip';

/**
 * `insert into tutor_scores ... select ... on conflict (tutor_id) do update ... returning tutor_id, is_high_risk`:
 * the scores of the tutors `t` that `where` keeps, as of `asOf`, with `next_change_at`. The statement both refreshes
 * share, so they can never write a score differently.
 *
 * A score row another transaction wrote after this statement's snapshot (a due refresh that committed meanwhile)
 * may hold newer data than this statement saw, and that transaction may have consumed the captured changes behind
 * it. `'skip'` leaves such a row alone (not returned); `'mark-due'` overwrites it but sets `next_change_at` to
 * `as_of`, so the next due refresh recomputes it. The row this statement saw is recognised by its `xmin` (the
 * transaction that wrote that version), read once through the snapshot and once as the row stands now.
 */
export function scoreUpsert(input: { asOf: Date; threshold: number; where: SQL | undefined; overwritten: Overwritten }): SQL {
  const { asOf, threshold, where, overwritten } = input;
  const counts = countExpressions(asOf);
  const written = [
    ...counts.map(([column]) => column),
    tutorScores.riskThreshold,
    tutorScores.asOf,
    tutorScores.lastCalculatedAt,
    tutorScores.nextChangeAt,
  ];
  const name = (column: { name: string }) => sql.identifier(column.name);
  const seen = sql`${tutorScores}.xmin = (select "seen".xmin from ${tutorScores} "seen" where "seen".${name(tutorScores.tutorId)} = excluded.${name(tutorScores.tutorId)})`;
  const assign = (column: PgColumn) =>
    overwritten === 'mark-due' && column === tutorScores.nextChangeAt
      ? sql`${name(column)} = case when ${seen} then excluded.${name(column)} else excluded.${name(tutorScores.asOf)} end`
      : sql`${name(column)} = excluded.${name(column)}`;
  // `order by t.id`: every concurrent refresh inserts and locks score rows in the same order, so two of them wait
  // for each other instead of deadlocking. `last_calculated_at` is the database's transaction time: staleness
  // compares it with `created_at`/`updated_at`, which the same clock wrote.
  return sql`insert into ${tutorScores} (${name(tutorScores.tutorId)}, ${sql.join(written.map(name), sql`, `)})
  select ${scoredTutor.id}, ${sql.join(
    counts.map(([, expression]) => expression),
    sql`, `,
  )}, ${threshold.toFixed(2)}::numeric, ${timestamptz(asOf)}, now(), ${nextChangeExpression(asOf)}
  from ${scoredTutorsFrom(asOf)}
  ${where ? sql`where ${where}` : sql``}
  group by ${scoredTutor.id}
  order by ${scoredTutor.id}
  on conflict (${name(tutorScores.tutorId)}) do update set ${sql.join(written.map(assign), sql`, `)}
  ${overwritten === 'skip' ? sql`where ${seen}` : sql``}
  returning ${tutorScores.tutorId}, ${tutorScores.isHighRisk}`;
}
