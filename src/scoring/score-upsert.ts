import { type SQL, sql } from 'drizzle-orm';
import type { PgColumn } from 'drizzle-orm/pg-core';
import { tutorScoreRefreshes, tutorScores, tutors } from '../schema';
import { highRiskExpression } from '../schema/tutor-scores';
import { countExpressions, nextChangeExpression, scoredTutor, scoredTutorsFrom, timestamptz } from './score-query';

/** How {@link scoreUpsert} treats a score row written by another transaction after its statement began. */
type Overwritten = 'mark-due' | 'skip';

/** The columns every refresh writes, in order: the six counts, `next_change_at`, `risk_threshold`, `as_of`, `last_calculated_at`. */
function writtenColumns(asOf: Date): PgColumn[] {
  return [
    ...countExpressions(asOf).map(([column]) => column),
    tutorScores.nextChangeAt,
    tutorScores.riskThreshold,
    tutorScores.asOf,
    tutorScores.lastCalculatedAt,
  ];
}

const name = (column: { name: string }) => sql.identifier(column.name);

/**
 * `order by t.id on conflict (tutor_id) do update set ...`: concurrent refreshes lock score rows in one order, so they
 * wait instead of deadlocking. A score row written by another transaction after this snapshot (recognised by its
 * `xmin`) may be newer than what this statement saw: `'skip'` leaves it alone, `'mark-due'` overwrites it but makes it
 * due again (`next_change_at = as_of`).
 */
function conflictClause(asOf: Date, overwritten: Overwritten): SQL {
  const written = writtenColumns(asOf);
  const seen = sql`${tutorScores}.xmin = (select "seen".xmin from ${tutorScores} "seen" where "seen".${name(tutorScores.tutorId)} = excluded.${name(tutorScores.tutorId)})`;
  const assign = (column: PgColumn) =>
    overwritten === 'mark-due' && column === tutorScores.nextChangeAt
      ? sql`${name(column)} = case when ${seen} then excluded.${name(column)} else excluded.${name(tutorScores.asOf)} end`
      : sql`${name(column)} = excluded.${name(column)}`;
  return sql`on conflict (${name(tutorScores.tutorId)}) do update set ${sql.join(written.map(assign), sql`, `)}
  ${overwritten === 'skip' ? sql`where ${seen}` : sql``}`;
}

/**
 * `insert into tutor_scores ... select ... on conflict (tutor_id) do update ... returning tutor_id, is_high_risk`: the
 * scores of the tutors `t` that `where` keeps, as of `asOf`, their sessions joined tutor by tutor. The refresh of some
 * tutors and the due refresh write through it; see {@link conflictClause} for a row another transaction wrote.
 *
 * @example
 * sql`with upserted as (${scoreUpsert({ asOf, threshold: 15, where: sql`t.id = any(${ids})`, overwritten: 'skip' })}) select count(*) from upserted`;
 */
export function scoreUpsert(input: { asOf: Date; threshold: number; where: SQL; overwritten: Overwritten }): SQL {
  const { asOf, threshold, where, overwritten } = input;
  const counts = countExpressions(asOf);
  // `last_calculated_at` = now(): staleness compares it with timestamps the same database clock wrote.
  const settings = sql`${threshold.toFixed(2)}::numeric, ${timestamptz(asOf)}, now()`;
  // A tutor deleted by a transaction that commits while this statement runs is still in its snapshot, and its score
  // would break tutor_scores_tutor_id_fk: the key-share lock waits for such a delete and then drops the tutor, and
  // holds back a later delete until this transaction ends. Either way: the result of a refresh before or after it.
  const tutorStillThere = sql`exists (select from ${tutors} "still" where "still".${name(tutors.id)} = ${scoredTutor.id} for key share of "still")`;
  return sql`insert into ${tutorScores} (${name(tutorScores.tutorId)}, ${sql.join(writtenColumns(asOf).map(name), sql`, `)})
  select ${scoredTutor.id}, ${sql.join(
    counts.map(([, expression]) => expression),
    sql`, `,
  )}, ${nextChangeExpression(asOf)}, ${settings}
  from ${scoredTutorsFrom(asOf)}
  where ${where}
  group by ${scoredTutor.id}
  having ${tutorStillThere}
  order by ${scoredTutor.id}
  ${conflictClause(asOf, overwritten)}
  returning ${tutorScores.tutorId}, ${tutorScores.isHighRisk}`;
}

/**
 * The refresh of every tutor as one statement returning `{ scored, flagged, written }`. The counts come from
 * `tqs_score_counts(asOf)` (migration 0012), which PostgreSQL may run with parallel workers; every tutor is locked
 * (`for key share`, in id order) and joined to them. A row that already holds the same counts, threshold and
 * `next_change_at` for an `as_of` not after this one is left as it is: those values hold at `asOf` too
 * (docs/scoring.md, "What a refresh writes"), so rewriting it would change only `as_of` and `last_calculated_at`.
 * One row in `tutor_score_refreshes` records the refresh (its `now()`, `asOf`, threshold, scored and written).
 *
 * ```sql
 * with computed as materialized (
 *   select t.id as tutor_id, coalesce(c.total_sessions_7d, 0) ..., c.next_change_at, $threshold as risk_threshold
 *   from (select id from tutors order by id for key share) t left join tqs_score_counts($asOf) c on c.tutor_id = t.id),
 * upserted as (insert into tutor_scores (...) select ..., $asOf, now() from computed c
 *   where not exists (select from tutor_scores k where k.tutor_id = c.tutor_id and k.as_of <= $asOf
 *     and (k.total_sessions_7d, ..., k.next_change_at, k.risk_threshold) is not distinct from (c. ...))
 *   order by c.tutor_id on conflict (tutor_id) do update set ... returning tutor_id),
 * logged as (insert into tutor_score_refreshes (refreshed_at, as_of, risk_threshold, scored, written) select now(), ...)
 * select count(computed) as scored, count(computed where <is_high_risk>) as flagged, count(upserted) as written
 * ```
 *
 * @example
 * await db.execute(everyTutorRefresh({ asOf: new Date('2026-01-15T12:00:00Z'), threshold: 15 }));
 */
export function everyTutorRefresh(input: { asOf: Date; threshold: number }): SQL {
  const { asOf, threshold } = input;
  const counts = countExpressions(asOf).map(([column]) => column);
  const compared = [...counts, tutorScores.nextChangeAt, tutorScores.riskThreshold];
  const column = (table: string, c: { name: string }) => sql`${sql.identifier(table)}.${name(c)}`;
  const list = (table: string) => sql.join(compared.map((c) => column(table, c)), sql`, `);
  const ts = tutorScores;
  return sql`with "computed" as materialized (
  select "t"."id" as ${name(ts.tutorId)}, ${sql.join(
    counts.map((c) => sql`coalesce("c".${name(c)}, 0) as ${name(c)}`),
    sql`, `,
  )}, "c".${name(ts.nextChangeAt)}, ${threshold.toFixed(2)}::numeric(5, 2) as ${name(ts.riskThreshold)}
  from (select "l".${name(tutors.id)} from ${tutors} "l" order by "l".${name(tutors.id)} for key share of "l") "t"
  left join tqs_score_counts(${timestamptz(asOf)}) "c" on "c"."tutor_id" = "t"."id"
), "upserted" as (
  insert into ${ts} (${name(ts.tutorId)}, ${sql.join(writtenColumns(asOf).map(name), sql`, `)})
  select "computed".${name(ts.tutorId)}, ${list('computed')}, ${timestamptz(asOf)}, now()
  from "computed"
  where not exists (
    select from ${ts} "kept" where "kept".${name(ts.tutorId)} = "computed".${name(ts.tutorId)}
      and "kept".${name(ts.asOf)} <= ${timestamptz(asOf)} and (${list('kept')}) is not distinct from (${list('computed')})
  )
  order by "computed".${name(ts.tutorId)}
  ${conflictClause(asOf, 'mark-due')}
  returning ${ts.tutorId}
), "logged" as (
  insert into ${tutorScoreRefreshes} (${sql.join(
    [tutorScoreRefreshes.refreshedAt, tutorScoreRefreshes.asOf, tutorScoreRefreshes.riskThreshold, tutorScoreRefreshes.scored, tutorScoreRefreshes.written].map(name),
    sql`, `,
  )})
  select now(), ${timestamptz(asOf)}, ${threshold.toFixed(2)}::numeric, (select count(*) from "computed"), (select count(*) from "upserted")
)
select (select count(*)::int from "computed") as "scored",
  (select count(*)::int from "computed" where ${sql.raw(highRiskExpression)}) as "flagged",
  (select count(*)::int from "upserted") as "written"`;
}
