import { buildCalendar } from './calendar';
import { resolveGenerateOptions } from '../domain/generate-options';
import { Prng } from './prng';
import { createSessionContext, generateTutorSessions } from './sessions';
import { allocateSessions, planTutors } from './tutors';
import type { GenerateOptions, ResolvedGenerateOptions } from '../domain/dataset';
import type { Dataset } from '../records/dataset';

/**
 * Generates a realistic synthetic dataset (spec §5.2) in memory: tutors, sessions, reschedules and email reports,
 * with every id and timestamp filled in, plus each tutor's intended risk tier (`groundTruth`). Pure: it touches no
 * database, and the same options, `seed` and `now` give a deep-equal dataset on any machine. Without `now` it reads
 * the clock once and records the instant in `dataset.options.now`, so `generateDataset(dataset.options)` always
 * makes the same dataset again.
 *
 * Every row satisfies the tables' constraints: sessions lie in `(now − days, now]` and their slot ends by `now`
 * (a completed session's `completed_time` = start + duration ≤ `now`); `created_at` ≤ `updated_at` ≤ `now`; a
 * session is booked after its tutor's account was created and before it starts (or before it was rescheduled);
 * `reschedules.original_time` is its session's `scheduled_time`, `cancelled_at` before it and `new_time` after it.
 *
 * **Targets that cannot all hold** (DESIGN.md, "The generator"): tiers of 60/25/15 % with rates of 0–10, 10–20 and
 * 20–40 % (some 40–60 %) make about 12 % of sessions rescheduled, not the spec's 25 %. The risk tiers win: each
 * tutor gets a target rate drawn from its tier's band and exactly that share of its sessions (rounded, kept in the
 * band when its session count allows) is rescheduled by the tutor; student-initiated reschedules are added so that
 * `tutorInitiatedShare` (98.2 %) of all reschedules are the tutor's; the remaining sessions keep the spec's 70:5
 * completed:no-show ratio (`noShowShare` = 1/15). At the defaults that gives about 82 % completed, 12 % rescheduled
 * and 6 % no-show.
 *
 * **Frequency by tier** (spec §5.2.3: high weekly, medium monthly, low quarterly) is not an option of its own: it
 * follows from the rates and each tutor's volume. Volumes vary (`tutorVolumeSpread`, and a shorter span for tutors
 * who joined or left during the window): at the defaults a tutor has 25 sessions in 90 days at the median, 13 at
 * the 10th percentile and 57 at the 90th. So a high-risk tutor reschedules about 10 times in 90 days (0.8 a week:
 * roughly weekly, the busiest ones more), a medium one about 4.5 times (1.5 a month: monthly) and a low one about
 * 1.5 times (quarterly). Busier tutors reschedule more often at the same rate; raising `sessions` per tutor raises
 * every frequency.
 *
 * Randomness comes from one seeded PRNG ({@link Prng}, sfc32), passed explicitly; names come from a Faker instance
 * of its own seeded from it. Runs in linear time and memory: a million sessions take about ten seconds and 0.7 GB
 * of heap (their `Date`s are most of it).
 *
 * @param options every option is optional; see {@link GenerateOptions} for each one and its default (the spec's
 *   targets). Invalid options throw a `TypeError` or `RangeError` naming the option in its message and in its
 *   `option` property.
 * @example
 * import { generateDataset, insertDataset } from '@tqs/data';
 *
 * const dataset = generateDataset({ seed: 7, now: new Date('2026-01-15T12:00:00Z') });
 * dataset.tutors.length;   // 100
 * dataset.sessions.length; // 3000
 * dataset.groundTruth[0];  // { tutorId: '…', tier: 'low', targetRate: 4.2, favouriteReasonCode: 'family_issue' }
 *
 * // New York afternoons, a year of history, a thousand tutors:
 * generateDataset({ now, tutors: 1000, sessions: 60_000, days: 365, timeZone: 'America/New_York' });
 */
export function generateDataset(options: GenerateOptions = {}): Dataset {
  // The one place the clock may be read: only when the caller gave no reference time.
  const now = options?.now ?? new Date();
  return generateFromResolved(resolveGenerateOptions(options, now));
}

/** The generation proper, over options already checked. */
function generateFromResolved(o: ResolvedGenerateOptions): Dataset {
  const prng = new Prng(o.seed);
  const calendar = buildCalendar(o);
  const plans = planTutors(o, calendar, prng);
  allocateSessions(o, calendar, plans, prng);
  const ctx = createSessionContext(o, calendar, prng);
  for (const plan of plans) generateTutorSessions(ctx, plan);
  return {
    options: o,
    tutors: plans.map((p) => p.row),
    sessions: ctx.sessions,
    reschedules: ctx.reschedules,
    emailReports: ctx.emailReports,
    groundTruth: plans.map((p) => p.truth),
  };
}
