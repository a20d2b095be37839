import { type SQL, sql } from 'drizzle-orm';
import { z } from 'zod';
import { lazySchema } from '../validation/lazy-schema';
import { type Database, queryRows } from '../db';
import { riskTiers } from '../domain';
import { tutorScoreHistory } from '../schema';
import { checkId, instantOption, instantParam, isoText, parseOptions, periodRefinement, readJson } from './options';

/**
 * The options of {@link scoreHistory}.
 *
 * @example
 * const options = scoreHistoryOptionsSchema.parse(query); // a bad option throws before scoreHistory runs
 */
export const scoreHistoryOptionsSchema = lazySchema(() =>
  z
    .object({
      /** The period `[from, to)` on when each score was calculated. Default: all the history kept. */
      from: instantOption.optional(),
      to: instantOption.optional(),
    })
    .strict()
    .superRefine(periodRefinement),
);
/** Options of {@link scoreHistory} ({@link scoreHistoryOptionsSchema}'s input). */
export type ScoreHistoryOptions = z.input<typeof scoreHistoryOptionsSchema>;

const rate = lazySchema(() => z.number().min(0).max(100).nullable());

/**
 * The answer of {@link scoreHistory}, JSON-ready.
 *
 * @example
 * response.json(scoreHistorySchema.parse(await scoreHistory(db, tutorId)));
 */
export const scoreHistorySchema = lazySchema(() =>
  z.object({
    entries: z.array(
      z.object({
        calculatedAt: z.iso.datetime(),
        asOf: z.iso.datetime(),
        rescheduleRate7d: rate,
        rescheduleRate30d: rate,
        rescheduleRate90d: rate,
        isHighRisk: z.boolean(),
        riskCategory: z.enum(riskTiers).nullable(),
        riskThreshold: z.number(),
      }),
    ),
  }),
);
/** The answer of {@link scoreHistory}, JSON-ready ({@link scoreHistorySchema}). */
export type ScoreHistory = z.infer<typeof scoreHistorySchema>;

/**
 * A tutor's scores as the refreshes computed them, oldest first: one entry for its first score and one each time a
 * refresh (full or due, whoever wrote the sessions) changed its rates, flag, category or threshold. Each entry holds
 * until the next, so the rates chart as steps. The database writes the history (triggers on `tutor_scores`); rows
 * older than a retention period go only by {@link pruneScoreHistory}.
 *
 * @throws {NotFoundError} `tutorId` is not a UUID (an unknown UUID has no entries).
 * @throws {InvalidOptionError} an unknown option, or `to` not after `from`.
 * @example
 * const { entries } = await scoreHistory(db, tutorId, { from: new Date('2026-01-01T00:00:00Z') });
 * // entries[0]: { calculatedAt: '2026-01-02T03:00:00.000Z', rescheduleRate30d: 12.5, isHighRisk: false, riskCategory: 'medium', ... }
 *
 * ```sql
 * select json_agg(json_build_object('calculatedAt', calculated_at, ...) order by calculated_at, id)
 * from tutor_score_history where tutor_id = $id and calculated_at >= $from and calculated_at < $to
 * ```
 */
export async function scoreHistory(db: Database, tutorId: string, options: ScoreHistoryOptions = {}): Promise<ScoreHistory> {
  const id = checkId('tutor', tutorId);
  const o = parseOptions('scoreHistory', scoreHistoryOptionsSchema, options);
  const h = tutorScoreHistory;
  const where: SQL[] = [sql`${h.tutorId} = ${id}::uuid`];
  if (o.from) where.push(sql`${h.calculatedAt} >= ${instantParam(o.from)}`);
  if (o.to) where.push(sql`${h.calculatedAt} < ${instantParam(o.to)}`);
  const query = sql`select json_build_object('entries', coalesce(json_agg(json_build_object(
    'calculatedAt', ${isoText(sql`${h.calculatedAt}`)}, 'asOf', ${isoText(sql`${h.asOf}`)},
    'rescheduleRate7d', ${h.rescheduleRate7d}, 'rescheduleRate30d', ${h.rescheduleRate30d}, 'rescheduleRate90d', ${h.rescheduleRate90d},
    'isHighRisk', ${h.isHighRisk}, 'riskCategory', ${h.riskCategory}, 'riskThreshold', ${h.riskThreshold})
  order by ${h.calculatedAt}, ${h.id}), '[]'))::text as "result"
from ${h} where ${sql.join(where, sql` and `)}`;
  return readJson<ScoreHistory>(db, query);
}

/**
 * The options of {@link pruneScoreHistory}.
 *
 * @example
 * const options = pruneScoreHistoryOptionsSchema.parse(query); // a bad option throws before pruneScoreHistory runs
 */
export const pruneScoreHistoryOptionsSchema = lazySchema(() =>
  z
    .object({
      /** Remove entries calculated more than this many days before `now`. Required: nothing is removed by default. */
      olderThanDays: z.number().int().min(1).max(36_500),
      /** The instant the age is measured from. Default: now. */
      now: instantOption.optional(),
    })
    .strict(),
);
/** Options of {@link pruneScoreHistory} ({@link pruneScoreHistoryOptionsSchema}'s input). */
export type PruneScoreHistoryOptions = z.input<typeof pruneScoreHistoryOptionsSchema>;

/**
 * The retention of score history: removes the entries calculated more than `olderThanDays` days ago, except each
 * tutor's newest entry (the score still in force, from which its chart starts). History is never removed otherwise.
 * Risk events are kept (they are few, and acknowledged by people). Runs on the primary.
 *
 * @throws {InvalidOptionError} `olderThanDays` is missing (nothing is removed by default) or not a whole number of days
 *   from 1, or an unknown option; nothing was removed.
 * @example
 * const { deleted } = await pruneScoreHistory(db, { olderThanDays: 400 });
 *
 * ```sql
 * delete from tutor_score_history h where h.calculated_at < $now - $days
 *   and exists (select 1 from tutor_score_history newer where newer.tutor_id = h.tutor_id
 *               and (newer.calculated_at, newer.id) > (h.calculated_at, h.id))
 * ```
 */
export async function pruneScoreHistory(db: Database, options: PruneScoreHistoryOptions): Promise<{ deleted: number }> {
  const o = parseOptions('pruneScoreHistory', pruneScoreHistoryOptionsSchema, options);
  const cutoff = new Date((o.now ?? new Date()).getTime() - o.olderThanDays * 86_400_000);
  const h = tutorScoreHistory;
  const rows = await queryRows<{ deleted: number }>(
    db,
    sql`with "gone" as (
  delete from ${h} where ${h.calculatedAt} < ${instantParam(cutoff)} and exists (
    select 1 from ${h} "newer" where "newer"."tutor_id" = ${h.tutorId}
      and ("newer"."calculated_at", "newer"."id") > (${h.calculatedAt}, ${h.id}))
  returning 1)
select count(*)::int as "deleted" from "gone"`,
  );
  return { deleted: rows[0]?.deleted ?? 0 };
}
