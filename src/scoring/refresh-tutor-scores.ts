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
import { everyTutorRefresh, scoreUpsert } from './score-upsert';

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
  /**
   * Tutors scored: their `tutor_scores` row now holds this refresh's counts, whether it wrote the row or, in a refresh
   * of every tutor, found the same values there and left it as it was (see `written`).
   */
  scored: number;
  /** How many of those are now high risk. */
  flagged: number;
  /**
   * Score rows inserted or updated. A refresh with `tutorIds` or `staleOnly` writes every row it scores; a refresh of
   * every tutor leaves a row that already holds the same counts, threshold and `next_change_at` (for an `as_of` not
   * after this one) as it was, and records itself in `tutor_score_refreshes` (docs/scoring.md, "What a refresh writes").
   */
  written: number;
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
 * {@link refreshTutorScores} runs and returns one row `{ scored, flagged, written }`; `asOf` is required (it reads no
 * clock).
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
  if (filters.length === 0) return everyTutorRefresh({ asOf, threshold });
  return sql`with upserted as (
  ${scoreUpsert({ asOf, threshold, where: sql.join(filters, sql` and `), overwritten: 'mark-due' })}
)
select count(*)::int as scored, (count(*) filter (where ${sql.identifier(tutorScores.isHighRisk.name)}))::int as flagged,
  count(*)::int as written
from upserted`;
}

/**
 * Recomputes the `tutor_scores` row of every tutor (or of `tutorIds`, or of the stale ones) in one set-based
 * statement, and says how many were scored, flagged and written. Any number of workers may run it at once: rows are
 * written in tutor id order so refreshes wait rather than deadlock, and a deadlock or serialization failure is retried
 * up to `maxRetries` times (never inside your transaction). A score another transaction wrote after this snapshot is
 * marked due instead of trusted (docs/scoring.md). A refresh of every tutor leaves a row whose counts, threshold and
 * `next_change_at` it finds unchanged as it was (its `as_of` and `last_calculated_at` stay those of the refresh that
 * wrote the values) and records its own time in `tutor_score_refreshes`.
 *
 * ```sql
 * -- every tutor: the counts from tqs_score_counts($asOf) (parallel workers allowed), unchanged rows not rewritten
 * with computed as materialized (select t.id, coalesce(c.total_sessions_7d, 0), ..., c.next_change_at, $threshold
 *   from (select id from tutors order by id for key share) t left join tqs_score_counts($asOf) c on c.tutor_id = t.id),
 * upserted as (insert into tutor_scores (...) select ..., $asOf, now() from computed
 *   where not exists (select from tutor_scores k where k.tutor_id = computed.tutor_id and k.as_of <= $asOf
 *     and (k.total_sessions_7d, ..., k.risk_threshold) is not distinct from (computed. ...))
 *   order by tutor_id on conflict (tutor_id) do update set ... returning tutor_id),
 * logged as (insert into tutor_score_refreshes (refreshed_at, as_of, risk_threshold, scored, written) select now(), ...)
 * select count(computed) as scored, count(computed where <is_high_risk>) as flagged, count(upserted) as written
 * -- tutorIds or staleOnly: those tutors' sessions joined tutor by tutor, every row written
 * with upserted as (insert into tutor_scores (...) select t.id, count(s.id) filter (...), ..., $threshold, $asOf, now()
 *   from tutors t left join sessions s ... left join reschedules r ... where t.id = any($ids)
 *   group by t.id having exists (select from tutors where id = t.id for key share) order by t.id
 *   on conflict (tutor_id) do update set ... returning tutor_id, is_high_risk)
 * select count(*) as scored, count(*) filter (where is_high_risk) as flagged, count(*) as written from upserted
 * ```
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
      const [row] = await queryRows<{ scored: number; flagged: number; written: number }>(db, statement);
      return { scored: Number(row?.scored ?? 0), flagged: Number(row?.flagged ?? 0), written: Number(row?.written ?? 0), asOf, threshold };
    });
  return runAbortable(options.signal, refresh, (reason, cause) => new AbortedError('refreshTutorScores', reason, { cause }));
}
