import { type SQL, sql } from 'drizzle-orm';
import { type Database, queryRows } from '../db/client';
import { runAbortable } from '../db';
import { AbortedError, InvalidOptionError } from '../errors';
import { DEFAULT_RISK_THRESHOLD, tutors, tutorScoreChanges, tutorScores } from '../schema';
import { resolveAsOf } from './as-of';
import type { ScoreOptions } from './compute-tutor-score';
import { assertRiskThreshold } from './arguments';
import { checkMaxRetries, DEFAULT_MAX_RETRIES, withRetries } from './retries';
import { scoredTutor, timestamptz } from './score-query';
import { scoreUpsert } from './score-upsert';

/** Options of {@link refreshDueScores}. */
export interface RefreshDueScoresOptions extends ScoreOptions {
  /** The most tutors one call refreshes (a whole number ≥ 1). Default 1,000; `more` says when a call stopped at it. */
  limit?: number;
  /** As in {@link refreshTutorScores}: reruns after a deadlock or serialization failure, never inside your transaction. */
  maxRetries?: number;
  /** As in {@link refreshTutorScores}: aborting it cancels the statement and rejects with `AbortedError`. */
  signal?: AbortSignal;
}

/** What {@link refreshDueScores} did. */
export interface RefreshDueScoresResult {
  /** Tutors whose score was written, sorted. */
  tutorIds: string[];
  /** How many: `tutorIds.length`. */
  refreshed: number;
  /** How many of those are now high risk. */
  flagged: number;
  /** Captured change rows consumed (deleted), those of tutors deleted since included. */
  changesConsumed: number;
  /** The call stopped at `limit`: more tutors may be due now. Call again before sleeping. */
  more: boolean;
  /** The end of the windows used, stored as `as_of`. */
  asOf: Date;
  /** The threshold used, stored as `risk_threshold`. */
  threshold: number;
}

/** Options of {@link refreshDueStatement}. */
export interface RefreshDueStatementOptions {
  asOf: Date;
  threshold?: number;
  limit?: number;
}

const DEFAULT_LIMIT = 1_000;

function checkLimit(fn: string, limit: number): number {
  if (!Number.isSafeInteger(limit) || limit < 1) {
    throw new InvalidOptionError('limit', `${fn}: limit must be a whole number of at least 1 (got ${limit})`);
  }
  return limit;
}

/**
 * The due refresh as one SQL statement, without running it, for `EXPLAIN`: exactly what {@link refreshDueScores}
 * runs. It returns one row `{ claimed, refreshed, flagged, consumed, tutor_ids }`.
 *
 * @throws {InvalidOptionError} `threshold` outside 0–100 or with more than 2 decimals; `asOf` an invalid date; `limit` < 1.
 * @example
 * await db.execute(sql`explain ${refreshDueStatement({ asOf: new Date('2026-01-15T12:00:00Z') })}`);
 */
export function refreshDueStatement(options: RefreshDueStatementOptions): SQL {
  const threshold = assertRiskThreshold('refreshDueStatement', options.threshold ?? DEFAULT_RISK_THRESHOLD);
  if (options.asOf === undefined) throw new InvalidOptionError('asOf', 'refreshDueStatement: asOf is required');
  const asOf = resolveAsOf('refreshDueStatement', options.asOf);
  const limit = checkLimit('refreshDueStatement', options.limit ?? DEFAULT_LIMIT);
  // One snapshot for every part: the changes deleted are exactly those read, and one committed meanwhile stays for
  // the next call. FOR NO KEY UPDATE SKIP LOCKED splits the work between workers without blocking writers' key
  // checks; `= any(array(...))` keeps index look-ups whatever the queue's (often wrong) statistics say.
  return sql`with "due" as materialized (
  select ${tutorScoreChanges.tutorId} as "tutor_id" from ${tutorScoreChanges}
  union
  select ${tutorScores.tutorId} from ${tutorScores} where ${tutorScores.nextChangeAt} <= ${timestamptz(asOf)}
), "claimed" as materialized (
  select ${scoredTutor.id} from ${tutors} ${scoredTutor}
  where ${scoredTutor.id} in (select "tutor_id" from "due")
  order by ${scoredTutor.id}
  limit ${limit}
  for no key update of ${scoredTutor} skip locked
), "upserted" as (
  ${scoreUpsert({ asOf, threshold, where: sql`${scoredTutor.id} = any(array(select "id" from "claimed"))`, overwritten: 'skip' })}
), "consumed" as (
  delete from ${tutorScoreChanges}
  where ${tutorScoreChanges.tutorId} = any(array(select ${sql.identifier(tutorScores.tutorId.name)} from "upserted"))
  returning 1
), "orphaned" as (
  delete from ${tutorScoreChanges}
  where ${tutorScoreChanges.id} = any(array(
    select "gone".${sql.identifier(tutorScoreChanges.id.name)} from ${tutorScoreChanges} "gone"
    where "gone".${sql.identifier(tutorScoreChanges.tutorId.name)} = any(array(
      select "tutor_id" from "due" where not exists (select 1 from ${tutors} where ${tutors.id} = "due"."tutor_id")
    ))
    for update of "gone" skip locked
  ))
  returning 1
)
select (select count(*)::int from "claimed") as "claimed",
       (select count(*)::int from "upserted") as "refreshed",
       (select count(*)::int from "upserted" where ${sql.identifier(tutorScores.isHighRisk.name)}) as "flagged",
       (select count(*)::int from "consumed") + (select count(*)::int from "orphaned") as "consumed",
       (select coalesce(array_agg(${sql.identifier(tutorScores.tutorId.name)}::text order by ${sql.identifier(tutorScores.tutorId.name)}), '{}') from "upserted") as "tutor_ids"`;
}

/**
 * Refreshes exactly the tutors whose score may be wrong: those with a change captured since their last refresh (any
 * write to their sessions or reschedules, whoever made it) and those whose `next_change_at` has come. Several workers
 * may call it at once: each claims up to `limit` due tutors with `FOR NO KEY UPDATE SKIP LOCKED`, so they split the
 * work and writers never wait for them. When nothing is due, one small query answers and the call ends there.
 * A change of `threshold` alone makes no tutor due: run {@link refreshTutorScores} for that (docs/scoring.md).
 *
 * ```sql
 * select not exists (select 1 from tutor_score_changes) and not exists (... where next_change_at <= $asOf) as idle;
 * with due as materialized (...), claimed as materialized (... for no key update of t skip locked),
 *   upserted as (insert into tutor_scores ... on conflict (tutor_id) do update ... returning ...),
 *   consumed as (delete from tutor_score_changes ...), orphaned as (delete ... skip locked)
 * select count(claimed), count(upserted), ..., array_agg(upserted.tutor_id)
 * ```
 *
 * @throws {InvalidOptionError} `threshold` outside 0–100 or with more than 2 decimals; `asOf` an invalid date; `limit` < 1.
 * @example
 * const { refreshed, more } = await refreshDueScores(db); // call again while `more`, then wait a little
 */
export async function refreshDueScores(
  db: Database,
  options: RefreshDueScoresOptions = {},
): Promise<RefreshDueScoresResult> {
  const threshold = assertRiskThreshold('refreshDueScores', options.threshold ?? DEFAULT_RISK_THRESHOLD);
  const limit = checkLimit('refreshDueScores', options.limit ?? DEFAULT_LIMIT);
  const maxRetries = checkMaxRetries('refreshDueScores', options.maxRetries ?? DEFAULT_MAX_RETRIES);
  const asOf = resolveAsOf('refreshDueScores', options.asOf);
  const statement = refreshDueStatement({ asOf, threshold, limit });
  const refresh = () => withRetries(db, maxRetries, async () => {
    // Most calls find nothing due: answer that without planning the refresh.
    const [probe] = await queryRows<{ idle: boolean }>(db, nothingDueQuery(asOf));
    if (probe?.idle === true) return { tutorIds: [], refreshed: 0, flagged: 0, changesConsumed: 0, more: false, asOf, threshold };
    const [row] = await queryRows<{
      claimed: number;
      refreshed: number;
      flagged: number;
      consumed: number;
      tutor_ids: string[] | string;
    }>(db, statement);
    if (!row) throw new Error('refreshDueScores: the statement returned no row');
    return {
      tutorIds: parseTextArray(row.tutor_ids),
      refreshed: Number(row.refreshed),
      flagged: Number(row.flagged),
      changesConsumed: Number(row.consumed),
      more: Number(row.claimed) >= limit,
      asOf,
      threshold,
    };
  });
  return runAbortable(options.signal, refresh, (reason, cause) => new AbortedError('refreshDueScores', reason, { cause }));
}

/** `idle`: no change queued and no `next_change_at` come by `asOf`, read from the queue's first row and one index range. */
function nothingDueQuery(asOf: Date): SQL {
  return sql`select not exists (select 1 from ${tutorScoreChanges})
  and not exists (select 1 from ${tutorScores} where ${tutorScores.nextChangeAt} <= ${timestamptz(asOf)}) as "idle"`;
}

/** A `text[]` of UUIDs as the driver returns it: an array, or PostgreSQL's `{a,b}` literal when it does not parse arrays. */
function parseTextArray(value: string[] | string): string[] {
  if (Array.isArray(value)) return value;
  const inner = value.replace(/^\{|\}$/g, '');
  return inner === '' ? [] : inner.split(',');
}
