import { type SQL, sql } from 'drizzle-orm';
import { type Database, queryRows } from '../db/client';
import { runAbortable } from '../db';
import { AbortedError, InvalidOptionError } from '../errors';
import { DEFAULT_RISK_THRESHOLD, tutorScores } from '../schema';
import { assertRiskThreshold, isUuid } from './arguments';
import { resolveAsOf } from './as-of';
import type { ScoreOptions } from './compute-tutor-score';
import { checkMaxRetries, DEFAULT_MAX_RETRIES, withRetries } from './retries';
import { scoredTutor, staleTutorIdsQuery } from './score-query';
import { scoreUpsert } from './score-upsert';

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
  /** Reruns after a deadlock (40P01) or serialization failure (40001). Default 3; never inside your transaction. */
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

function checkScope(fn: string, scope: RefreshScope): void {
  if (scope.tutorIds !== undefined) {
    if (!Array.isArray(scope.tutorIds)) throw new InvalidOptionError('tutorIds', `${fn}: tutorIds must be an array of tutor ids`);
    const bad = scope.tutorIds.find((id) => !isUuid(id));
    if (bad !== undefined) throw new InvalidOptionError('tutorIds', `${fn}: tutorIds must hold UUIDs only (got ${JSON.stringify(bad)})`);
  }
}

/**
 * The refresh as one SQL statement, without running it: for `EXPLAIN` or your own batch. It is exactly what
 * {@link refreshTutorScores} runs and returns one row `{ scored, flagged }`; `asOf` is required (it reads no clock).
 *
 * @throws {InvalidOptionError} `threshold` outside 0–100 or with more than 2 decimals; `asOf` an invalid date.
 * @throws {InvalidOptionError} `tutorIds` holds something that is not a UUID.
 * @example
 * await db.execute(sql`explain (analyze, buffers) ${refreshStatement({ asOf: new Date('2026-01-15T12:00:00Z') })}`);
 */
export function refreshStatement(options: RefreshStatementOptions): SQL {
  const threshold = assertRiskThreshold('refreshStatement', options.threshold ?? DEFAULT_RISK_THRESHOLD);
  if (options.asOf === undefined) throw new InvalidOptionError('asOf', 'refreshStatement: asOf is required');
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

/**
 * Recomputes and upserts the `tutor_scores` row of every tutor (or of `tutorIds`, or of the stale ones) in one
 * set-based statement, and says how many were scored and flagged. Any number of workers may run it at once: rows are
 * written in tutor id order so refreshes wait rather than deadlock, and a deadlock or serialization failure is retried
 * up to `maxRetries` times (never inside your transaction). A score another transaction wrote after this snapshot is
 * marked due instead of trusted (docs/scoring.md).
 *
 * ```sql
 * with upserted as (
 *   insert into tutor_scores (tutor_id, total_sessions_7d, ..., next_change_at, risk_threshold, as_of, last_calculated_at)
 *   select t.id, coalesce(a.total_sessions_7d, 0), ..., least(...), $threshold, $asOf, now()
 *   from tutors t left join (select s.tutor_id, count(s.id) filter (where s.scheduled_time > $start7), ...
 *     from sessions s left join reschedules r on ... where ... group by s.tutor_id) a on a.tutor_id = t.id
 *   where exists (select from tutors where id = t.id for key share) order by t.id
 *   on conflict (tutor_id) do update set ... returning tutor_id, is_high_risk)
 * select count(*) as scored, count(*) filter (where is_high_risk) as flagged from upserted
 * ```
 * (With `tutorIds` or `staleOnly`: `from tutors t left join sessions s ... where ... group by t.id having exists
 * (...)`, the sessions of those tutors only.)
 *
 * @throws {InvalidOptionError} `threshold` outside 0–100 or with more than 2 decimals; `asOf` an invalid date.
 * @throws {InvalidOptionError} `tutorIds` holds something that is not a UUID.
 * @example
 * const { scored, flagged } = await refreshTutorScores(db, { asOf: new Date('2026-01-15T12:00:00Z'), threshold: 20 });
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
