import { sql } from 'drizzle-orm';
import { z } from 'zod';
import { lazySchema } from '../validation/lazy-schema';
import type { Database } from '../db';
import { emailReports, emailReportStatusCounts, tutorScoreChanges, tutorScoreRefreshes, tutorScores } from '../schema';
import { instantOption, instantParam, isoText, parseOptions, readJson } from './options';

/**
 * The options of {@link operationsStatus}.
 *
 * @example
 * const options = operationsStatusOptionsSchema.parse(query); // a bad option throws before operationsStatus runs
 */
export const operationsStatusOptionsSchema = lazySchema(() =>
  z
    .object({
      /** The instant due scores and the last 24 hours are measured at. Default: now. */
      now: instantOption.optional(),
    })
    .strict(),
);
/** Options of {@link operationsStatus} ({@link operationsStatusOptionsSchema}'s input). */
export type OperationsStatusOptions = z.input<typeof operationsStatusOptionsSchema>;

/**
 * The answer of {@link operationsStatus}, JSON-ready.
 *
 * @example
 * response.json(operationsStatusSchema.parse(await operationsStatus(db)));
 */
export const operationsStatusSchema = lazySchema(() =>
  z.object({
    now: z.iso.datetime(),
    scoreQueue: z.object({
      /** Tutors waiting in the score change queue. */
      depth: z.number().int(),
      /** Rows of the queue (a tutor may have several). */
      rows: z.number().int(),
      /** When the oldest waiting change was written; null when the queue is empty. */
      oldestAt: z.iso.datetime().nullable(),
    }),
    /** Tutors the next due refresh would score: queued, or whose score changes by time alone by `now`. */
    dueScores: z.number().int(),
    /**
     * When a refresh last wrote or verified scores: the later of the latest `last_calculated_at` of any score (the due
     * refresh and scoped refreshes write every row they score) and the latest refresh of every tutor recorded in
     * `tutor_score_refreshes` (which leaves unchanged rows as they were); null before the first refresh.
     */
    lastRefreshAt: z.iso.datetime().nullable(),
    emailReports: z.object({
      /** Pending reports no worker holds (or whose claim lapsed). */
      pending: z.number().int(),
      /** Pending reports a worker holds now. */
      claimed: z.number().int(),
      /** Of the pending reports no worker holds, those waiting for a retry after a failed attempt. */
      retrying: z.number().int(),
      sent: z.number().int(),
      /** Reports marked failed directly (outside the claim queue, whose failures are retried or end dead). */
      failed: z.number().int(),
      /** Reports the claim queue gave up on after their last attempt (listDeadEmailReports lists them). */
      dead: z.number().int(),
      oldestPendingAt: z.iso.datetime().nullable(),
      /** Failed reports attempted in the 24 hours before `now`. */
      failedLast24h: z.number().int(),
    }),
  }),
);
/** The answer of {@link operationsStatus}, JSON-ready ({@link operationsStatusSchema}). */
export type OperationsStatus = z.infer<typeof operationsStatusSchema>;

/**
 * The workers' monitoring figures in one query, for a health check: the score change queue (depth, oldest change),
 * the scores due, the time of the last refresh, and the email reports by status with the oldest pending and the
 * failures of the last 24 hours. The email figures read the pending reports alone (a partial index) and the counts
 * the database keeps by status (`email_report_status_counts`), so they cost the same at any size of `email_reports`.
 *
 * @throws {InvalidOptionError} an unknown option or an invalid `now`.
 * @example
 * const status = await operationsStatus(db);
 * if (status.scoreQueue.oldestAt && Date.parse(status.scoreQueue.oldestAt) < Date.now() - 3_600_000) console.warn('score worker behind');
 *
 * ```sql
 * select json_build_object(
 *   'scoreQueue', (select count(distinct tutor_id), count(*), min(created_at) from tutor_score_changes),
 *   'dueScores', (select count(*) from (select tutor_id from tutor_score_changes
 *                 union select tutor_id from tutor_scores where next_change_at <= $now) d),
 *   'lastRefreshAt', greatest((select max(last_calculated_at) from tutor_scores),
 *                             (select max(refreshed_at) from tutor_score_refreshes)),
 *   'emailReports', (select count(*) filter (where claim lapsed), ... from email_reports where status = 'pending'),
 *                   (select sum(reports) filter (where status = 'sent'), ... from email_report_status_counts))
 * ```
 */
export async function operationsStatus(db: Database, options: OperationsStatusOptions = {}): Promise<OperationsStatus> {
  const o = parseOptions('operationsStatus', operationsStatusOptionsSchema, options);
  const now = instantParam(o.now ?? new Date());
  const q = tutorScoreChanges;
  const e = emailReports;
  const c = emailReportStatusCounts;
  const held = sql`${e.claimedUntil} > ${now}`;
  // The queue is read once, by one scan of its pages (short in steady state: the due refresh drains it), for its
  // depth, its oldest change and the due scores; not through its tutor_id index, whose entries for rows a refresh or
  // a load just deleted each cost a heap visit until vacuum.
  const query = sql`with "queued" as materialized (select ${q.tutorId} as "tutor_id", ${q.createdAt} as "created_at" from ${q}
), "q" as (
  select count(distinct "tutor_id")::int as "depth", count(*)::int as "rows", min("created_at") as "oldest" from "queued"
), "d" as (
  select count(*)::int as "due" from (select "tutor_id" from "queued" union select ${tutorScores.tutorId} from ${tutorScores}
    where ${tutorScores.nextChangeAt} <= ${now}) "due"
), "e" as (
  select count(*) filter (where not coalesce(${held}, false))::int as "pending",
    count(*) filter (where ${held})::int as "claimed",
    count(*) filter (where not coalesce(${held}, false) and ${e.attempts} > 0)::int as "retrying",
    min(${e.createdAt}) as "oldest_pending"
  from ${e} where ${e.status} = 'pending'
), "c" as (
  select coalesce(sum(${c.reports}) filter (where ${c.status} = 'sent'), 0)::int as "sent",
    coalesce(sum(${c.reports}) filter (where ${c.status} = 'failed'), 0)::int as "failed",
    coalesce(sum(${c.reports}) filter (where ${c.status} = 'dead'), 0)::int as "dead",
    (select count(*) from ${e} where ${e.status} = 'failed' and ${e.sentAt} > ${now} - interval '24 hours' and ${e.sentAt} <= ${now})::int as "failed_24h"
  from ${c}
)
select json_build_object('now', ${isoText(now)},
  'scoreQueue', json_build_object('depth', "q"."depth", 'rows', "q"."rows", 'oldestAt', ${isoText(sql`"q"."oldest"`)}),
  'dueScores', "d"."due",
  'lastRefreshAt', ${isoText(sql`greatest((select max(${tutorScores.lastCalculatedAt}) from ${tutorScores}), (select max(${tutorScoreRefreshes.refreshedAt}) from ${tutorScoreRefreshes}))`)},
  'emailReports', json_build_object('pending', "e"."pending", 'claimed', "e"."claimed", 'retrying', "e"."retrying",
    'sent', "c"."sent", 'failed', "c"."failed", 'dead', "c"."dead", 'oldestPendingAt', ${isoText(sql`"e"."oldest_pending"`)},
    'failedLast24h', "c"."failed_24h")
)::text as "result" from "q", "d", "e", "c"`;
  return readJson<OperationsStatus>(db, query);
}
