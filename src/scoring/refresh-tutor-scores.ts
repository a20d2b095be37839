import { sqlStateOf } from '../util/error-chain';
import { is, type SQL, sql } from 'drizzle-orm';
import { type PgColumn, PgTransaction } from 'drizzle-orm/pg-core';
import { type Database, queryRows } from '../db/client';
import { runAbortable } from '../db';
import { AbortedError, translateDatabaseError } from '../errors';
import { DEFAULT_RISK_THRESHOLD, tutorScores, tutors } from '../schema';
import { resolveAsOf } from './as-of';
import { isUuid, type ScoreOptions } from './compute-tutor-score';
import { assertRiskThreshold } from './rates';
import { countExpressions, nextChangeExpression, scoredTutor, scoredTutorsFrom, timestamptz } from './score-query';
import { staleTutorIdsQuery } from './stale-tutors';

/** Which tutors a refresh covers. With neither option: every tutor. With both: the stale ones among `tutorIds`. */
export interface RefreshScope {
  /** Only these tutors (ids that match no tutor are ignored). Sent as one `uuid[]` parameter, however many. */
  tutorIds?: readonly string[];
  /**
   * Only tutors whose score is missing or older than their newest session or reschedule change.
   *
   * @deprecated Misses deletes, moved sessions, back-dated writes and time passing: use `refreshDueScores`.
   */
  staleOnly?: boolean;
}

/** Options of {@link refreshTutorScores}. */
export interface RefreshTutorScoresOptions extends ScoreOptions, RefreshScope {
  /**
   * How many times to run the statement again when PostgreSQL aborts it with a deadlock (40P01) or a serialization
   * failure (40001). Default 3. Never retried inside a transaction you opened: the error is yours to handle there.
   */
  maxRetries?: number;
  /** Aborting it cancels the statement on the server (PostgreSQL) and rejects with `AbortedError` (`ABORTED`). */
  signal?: AbortSignal;
}

/** What {@link refreshTutorScores} did. */
export interface RefreshTutorScoresResult {
  /** Tutors whose `tutor_scores` row was inserted or updated. */
  scored: number;
  /** How many of those are now high risk. */
  flagged: number;
  /** The end of the windows used, stored as `as_of`. */
  asOf: Date;
  /** The threshold used, stored as `risk_threshold`. */
  threshold: number;
}

/** Options of {@link refreshStatement}: those of a refresh, with `asOf` required (the statement reads no clock). */
export interface RefreshStatementOptions extends RefreshScope {
  asOf: Date;
  threshold?: number;
}

export const DEFAULT_MAX_RETRIES = 3;
const RETRYABLE_SQLSTATES = new Set(['40P01', '40001']);

function checkScope(fn: string, scope: RefreshScope): void {
  if (scope.tutorIds !== undefined) {
    if (!Array.isArray(scope.tutorIds)) throw new TypeError(`${fn}: tutorIds must be an array of tutor ids`);
    const bad = scope.tutorIds.find((id) => !isUuid(id));
    if (bad !== undefined) throw new TypeError(`${fn}: tutorIds must hold UUIDs only (got ${JSON.stringify(bad)})`);
  }
}

/**
 * The refresh as one SQL statement, without running it: for `EXPLAIN`, or to run inside your own statement batch.
 * {@link refreshTutorScores} runs exactly this (see its SQL shape); it returns one row `{ scored, flagged }`. It reads
 * no clock: `asOf` is required.
 *
 * @throws {RangeError} `threshold` outside 0–100 or with more than 2 decimals; `asOf` an invalid date.
 * @throws {TypeError} `tutorIds` holds something that is not a UUID.
 * @example
 * const statement = refreshStatement({ asOf: new Date('2026-01-15T12:00:00Z') });
 * await db.execute(sql`explain (analyze, buffers) ${statement}`);
 */
export function refreshStatement(options: RefreshStatementOptions): SQL {
  const threshold = assertRiskThreshold('refreshStatement', options.threshold ?? DEFAULT_RISK_THRESHOLD);
  if (options.asOf === undefined) throw new TypeError('refreshStatement: asOf is required');
  const asOf = resolveAsOf('refreshStatement', options.asOf);
  checkScope('refreshStatement', options);
  const filters: SQL[] = [];
  if (options.tutorIds !== undefined) filters.push(sql`${scoredTutor.id} = any(${sql.param(options.tutorIds)}::uuid[])`);
  if (options.staleOnly) filters.push(sql`${scoredTutor.id} in (${staleTutorIdsQuery()})`);
  return sql`with upserted as (
  ${scoreUpsert({ asOf, threshold, where: filters.length > 0 ? sql.join(filters, sql` and `) : undefined, overwritten: 'mark-due' })}
)
select count(*)::int as scored, (count(*) filter (where ${sql.identifier(tutorScores.isHighRisk.name)}))::int as flagged
from upserted`;
}

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
  // A tutor deleted by a transaction that commits while this statement runs is still in its snapshot, and its score
  // row would break tutor_scores_tutor_id_fk: the key-share lock (one index probe per tutor, after grouping) waits for
  // such a delete and then drops the tutor, and holds back a later delete until this transaction ends (the delete then
  // cascades to the new row). Either way the result is that of a refresh before or after the delete.
  const tutorStillThere = sql`select from ${tutors} "still" where "still".${name(tutors.id)} = ${scoredTutor.id} for key share of "still"`;
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
  having exists (${tutorStillThere})
  order by ${scoredTutor.id}
  on conflict (${name(tutorScores.tutorId)}) do update set ${sql.join(written.map(assign), sql`, `)}
  ${overwritten === 'skip' ? sql`where ${seen}` : sql``}
  returning ${tutorScores.tutorId}, ${tutorScores.isHighRisk}`;
}

/**
 * Runs `attempt` again when PostgreSQL aborts it with a deadlock (40P01) or a serialization failure (40001), up to
 * `maxRetries` times, after a short, growing, jittered pause; never inside a transaction the caller opened (a retry
 * there could only fail again: "current transaction is aborted"). Other errors are translated and thrown.
 */
export async function withRetries<T>(db: Database, maxRetries: number, attempt: () => Promise<T>): Promise<T> {
  const retryable = !is(db, PgTransaction);
  for (let tries = 0; ; tries++) {
    try {
      return await attempt();
    } catch (error) {
      const state = sqlStateOf(error);
      if (!retryable || tries >= maxRetries || state === undefined || !RETRYABLE_SQLSTATES.has(state)) {
        throw translateDatabaseError(error);
      }
      // So that the transaction that won is done before this one tries again.
      await sleep(10 * 2 ** tries * (1 + Math.random()));
    }
  }
}

/** `maxRetries` if it is a whole number of at least 0, else a RangeError naming `fn`. */
export function checkMaxRetries(fn: string, maxRetries: number): number {
  if (!Number.isInteger(maxRetries) || maxRetries < 0) {
    throw new RangeError(`${fn}: maxRetries must be a whole number of at least 0 (got ${maxRetries})`);
  }
  return maxRetries;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Recomputes and upserts the `tutor_scores` row of every tutor (or of `tutorIds`, or of the stale ones) in one
 * set-based SQL statement, and says how many were scored and flagged.
 *
 * Only the six counts, `risk_threshold`, `as_of` and `last_calculated_at` are written; PostgreSQL generates the rates
 * and `is_high_risk` from them. Every tutor in scope gets a row, active or not: without sessions its counts are 0,
 * its rates null, and it is not flagged. Windows are those of {@link computeTutorScore}.
 *
 * It also stores each score's `next_change_at` (see {@link refreshDueScores}) and consumes no captured change: a
 * worker's next due refresh recomputes those tutors once more. Should it overwrite a score that another transaction
 * wrote after its snapshot (a due refresh that committed meanwhile), it marks that score due (`next_change_at =
 * as_of`) rather than trust its own older data.
 *
 * Concurrency: any number of workers may run it at once. `on conflict (tutor_id) do update` turns a race on a new
 * tutor into an update, and rows are written in tutor id order so that concurrent refreshes wait for each other
 * rather than deadlock. Should PostgreSQL still abort the statement with a deadlock (40P01) or a serialization failure
 * (40001, under REPEATABLE READ or SERIALIZABLE), it is run again, up to `maxRetries` times, after a short pause;
 * the statement is atomic, so a retry starts from a clean slate. Inside a transaction it is never retried.
 *
 * @throws {RangeError} `threshold` outside 0–100 or with more than 2 decimals; `asOf` an invalid date.
 * @throws {TypeError} `tutorIds` holds something that is not a UUID.
 * @example
 * const { scored, flagged } = await refreshTutorScores(db);                      // everyone, as of now
 * await refreshTutorScores(db, { asOf: new Date('2026-01-15T12:00:00Z'), threshold: 20 });
 * await refreshTutorScores(db, { tutorIds: [tutorId] });                         // one tutor
 *
 * // SQL shape (one statement, one round trip):
 * // with upserted as (
 * //   insert into tutor_scores (tutor_id, total_sessions_7d, ..., risk_threshold, as_of, last_calculated_at, next_change_at)
 * //   select t.id, count(s.id) filter (where s.scheduled_time > $asOf - 7 days), ..., $threshold, $asOf, now(),
 * //          least(<first session after $asOf>, min(s.scheduled_time) filter (...) + 7 days, ...)
 * //   from tutors t
 * //   left join sessions s on s.tutor_id = t.id and s.scheduled_time > $asOf - 90 days and s.scheduled_time <= $asOf
 * //   left join reschedules r on r.session_id = s.id and r.initiator = 'tutor'
 * //   [where t.id = any($tutorIds::uuid[])] [and t.id in (<stale tutors>)]
 * //   group by t.id having exists (select from tutors where id = t.id for key share) order by t.id
 * //   on conflict (tutor_id) do update set total_sessions_7d = excluded.total_sessions_7d, ...,
 * //     next_change_at = case when <row unchanged since the snapshot> then excluded.next_change_at else $asOf end
 * //   returning is_high_risk)
 * // select count(*) as scored, count(*) filter (where is_high_risk) as flagged from upserted
 */
export async function refreshTutorScores(
  db: Database,
  options: RefreshTutorScoresOptions = {},
): Promise<RefreshTutorScoresResult> {
  const threshold = assertRiskThreshold('refreshTutorScores', options.threshold ?? DEFAULT_RISK_THRESHOLD);
  const maxRetries = checkMaxRetries('refreshTutorScores', options.maxRetries ?? DEFAULT_MAX_RETRIES);
  const asOf = resolveAsOf('refreshTutorScores', options.asOf);
  checkScope('refreshTutorScores', options);
  const statement = refreshStatement({ ...options, asOf, threshold });
  const refresh = () =>
    withRetries(db, maxRetries, async () => {
      const [row] = await queryRows<{ scored: number; flagged: number }>(db, statement);
      return { scored: Number(row?.scored ?? 0), flagged: Number(row?.flagged ?? 0), asOf, threshold };
    });
  return runAbortable(options.signal, refresh, (reason, cause) => new AbortedError('refreshTutorScores', reason, { cause }));
}
