import { type SQL, sql } from 'drizzle-orm';
import { type Database, queryRows } from '../db/client';
import { runAbortable } from '../db';
import { AbortedError } from '../errors';
import { DEFAULT_RISK_THRESHOLD, tutors, tutorScoreChanges, tutorScores } from '../schema';
import { resolveAsOf } from './as-of';
import type { ScoreOptions } from './compute-tutor-score';
import { assertRiskThreshold } from './rates';
import { checkMaxRetries, DEFAULT_MAX_RETRIES, scoreUpsert, withRetries } from './refresh-tutor-scores';
import { scoredTutor, timestamptz } from './score-query';

/** Options of {@link refreshDueScores}. */
export interface RefreshDueScoresOptions extends ScoreOptions {
  /**
   * The most tutors one call refreshes (a whole number ≥ 1). Default 1,000. Several workers split a large backlog
   * between them a `limit` at a time; `more` says when a call stopped at it.
   */
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
    throw new RangeError(`${fn}: limit must be a whole number of at least 1 (got ${limit})`);
  }
  return limit;
}

/**
 * The due refresh as one SQL statement, without running it: for `EXPLAIN`. {@link refreshDueScores} runs exactly
 * this (see its SQL shape); it returns one row `{ claimed, refreshed, flagged, consumed, tutor_ids }`.
 *
 * @throws {RangeError} `threshold` outside 0–100 or with more than 2 decimals; `asOf` an invalid date; `limit` < 1.
 * @example
 * const statement = refreshDueStatement({ asOf: new Date('2026-01-15T12:00:00Z') });
 * await db.execute(sql`explain (analyze, buffers) ${statement}`);
 */
export function refreshDueStatement(options: RefreshDueStatementOptions): SQL {
  const threshold = assertRiskThreshold('refreshDueStatement', options.threshold ?? DEFAULT_RISK_THRESHOLD);
  if (options.asOf === undefined) throw new TypeError('refreshDueStatement: asOf is required');
  const asOf = resolveAsOf('refreshDueStatement', options.asOf);
  const limit = checkLimit('refreshDueStatement', options.limit ?? DEFAULT_LIMIT);
  // Every part reads the statement's one snapshot: the change rows it deletes are exactly the ones it read (those
  // of the tutors it wrote, as the snapshot shows them), and the scores are computed from the same snapshot, so a
  // change committed while this runs is neither seen nor consumed, and stays for the next call. The claim locks
  // tutors rows FOR NO KEY UPDATE: it excludes other workers (SKIP LOCKED: they take the next tutors instead of
  // waiting) and never blocks a writer, whose foreign key checks take FOR KEY SHARE. `= any(array(...))` rather
  // than joins: the queue's size swings between empty and a bulk load's worth, so its statistics are often wrong,
  // and these forms stay index look-ups whatever the estimate.
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
 * Refreshes exactly the tutors whose score may be wrong, and no other: those with a change captured since their
 * last refresh (any insert, update or delete of their sessions or reschedules, by whoever wrote it, back-dated or
 * not, a new tutor), and those whose `next_change_at` has come (a session entering or leaving a window as time
 * passes). One set-based statement; without anything due, one small query reads the change queue and one index,
 * never `sessions`, and the call ends there. After it, every refreshed score equals `computeTutorScore` at `asOf`, and every other score equals it
 * too (its counts cannot have moved since its own `as_of`).
 *
 * Several workers may call it at once, on separate connections: each claims up to `limit` due tutors with
 * `FOR NO KEY UPDATE SKIP LOCKED`, so they split the work, none waits for another, and no tutor is refreshed by two
 * of them at once. A change committed while a call runs is not consumed by it and is picked up by the next call.
 * Writers never wait for a worker (their foreign key checks take `FOR KEY SHARE`, which the claim allows); a
 * transaction that updates or deletes a `tutors` row waits for the worker holding it, and a worker skips a tutor
 * whose row such a transaction holds.
 *
 * `asOf` should move forward from call to call (the default, now, does): a score is recomputed when its
 * `next_change_at` is at or before `asOf`, so a call with an earlier `asOf` than the stored scores' leaves them
 * alone. A change of `threshold` alone makes no tutor due: run {@link refreshTutorScores} for that.
 *
 * @throws {RangeError} `threshold` outside 0–100 or with more than 2 decimals; `asOf` an invalid date; `limit` < 1.
 * @example
 * // A worker's loop: refresh what is due until nothing is left, then wait a little.
 * for (;;) {
 *   const { refreshed, more } = await refreshDueScores(db);
 *   if (!more) await new Promise((resolve) => setTimeout(resolve, 1_000));
 * }
 *
 * // SQL shape: first `select not exists (queued change) and not exists (score with next_change_at <= $asOf)`,
 * // which ends the call when nothing is due; else one statement, one round trip:
 * // with due as materialized (select tutor_id from tutor_score_changes union
 * //                          select tutor_id from tutor_scores where next_change_at <= $asOf),
 * // claimed as materialized (select t.id from tutors t where t.id in (select tutor_id from due)
 * //                          order by t.id limit $limit for no key update of t skip locked),
 * // upserted as (insert into tutor_scores (...) select t.id, <counts>, $threshold, $asOf, now(), <next change>
 * //               from tutors t left join sessions s ... left join reschedules r ...
 * //               where t.id = any(array(select id from claimed)) group by t.id order by t.id
 * //               on conflict (tutor_id) do update set ... where <row unchanged since the snapshot>
 * //               returning tutor_id, is_high_risk),
 * // consumed as (delete from tutor_score_changes
 * //              where tutor_id = any(array(select tutor_id from upserted))),  -- the rows this snapshot read
 * // orphaned as (delete the pending rows of tutors deleted since, skip locked)
 * // select count(claimed), count(upserted), ..., array_agg(upserted.tutor_id)
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
    // Most calls of a worker find nothing due: two index-sized look-ups answer that, without planning the refresh.
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

/**
 * `idle`: true when no change is queued and no score's `next_change_at` has come by `asOf`. The first row of the queue
 * and one range of the `next_change_at` index; a change committed after it is read is left for the next call, as
 * with the refresh statement's own snapshot.
 */
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
