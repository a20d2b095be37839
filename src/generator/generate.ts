import { buildCalendar } from './calendar';
import { resolveGenerateOptions } from '../domain/generate-options';
import { Prng } from './prng';
import { createSessionContext, generateTutorSessions } from './sessions';
import { allocateSessions, planTutors } from './tutors';
import type { GenerateOptions, ResolvedGenerateOptions } from '../domain/dataset';
import type { Dataset, DatasetChunk, DatasetStream } from '../records/dataset';

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
 * of heap (their `Date`s are most of it). For more than memory holds, {@link generateDatasetStream} yields the same
 * rows chunk by chunk (this function is that stream collected into one chunk).
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
  const o = resolveGenerateOptions(options, now);
  // One chunk: the stream's own code path, with nothing to concatenate.
  const dataset: Dataset = { options: o, tutors: [], sessions: [], reschedules: [], emailReports: [], groundTruth: [] };
  for (const chunk of generateChunks(o, Number.POSITIVE_INFINITY)) {
    append(dataset.tutors, chunk.tutors);
    append(dataset.sessions, chunk.sessions);
    append(dataset.reschedules, chunk.reschedules);
    append(dataset.emailReports, chunk.emailReports);
    append(dataset.groundTruth, chunk.groundTruth);
  }
  return dataset;
}

/** `to.push(...from)` without spreading (a spread of a million rows overflows the stack); `to = from` when empty. */
function append<T>(to: T[], from: readonly T[]): void {
  if (to === from) return;
  for (let i = 0; i < from.length; i++) to.push(from[i]!);
}

/** Options of {@link generateDatasetStream}. */
export interface DatasetStreamOptions {
  /**
   * A chunk is cut once it holds at least this many sessions, at a tutor boundary (a tutor's sessions are never split
   * across chunks). Default 50,000: about 25 MB of rows.
   */
  chunkSessions?: number;
}

const DEFAULT_CHUNK_SESSIONS = 50_000;

/**
 * The dataset of {@link generateDataset} made chunk by chunk, so that only one chunk of sessions (with their
 * reschedules and email reports) is in memory at a time: for datasets too large to hold, such as 10 million
 * sessions, and to feed `insertDatasetStream`. Row for row the same data as `generateDataset(options)`: the chunks'
 * arrays, concatenated table by table, are deep-equal to its dataset (`generateDataset` collects this very stream).
 *
 * The first chunk holds every tutor and all the ground truth (they are planned before any session is drawn: at most
 * `maxGeneratedRows()` tutors), then sessions follow tutor by tutor, about `chunkSessions` per chunk. Memory is
 * the tutors (~1 KB each), one chunk, and the student ids handed out so far (one short string per
 * `sessionsPerStudent` sessions). Sessions have no `maxGeneratedRows()` bound here.
 *
 * Options are checked, and the clock read when `now` is not given, when this is called; generation happens as the
 * stream is iterated, and each iteration starts again from the seed.
 *
 * @throws {RangeError|TypeError} invalid options, as {@link generateDataset}; a `chunkSessions` that is not a positive integer.
 * @example
 * const stream = generateDatasetStream({ tutors: 50_000, sessions: 10_000_000, seed: 7 });
 * let sessions = 0;
 * for (const chunk of stream) sessions += chunk.sessions.length; // 200 chunks of ~50,000 sessions
 * await insertDatasetStream(db, stream); // loads the same rows, generating them again as it goes
 */
export function generateDatasetStream(options: GenerateOptions = {}, streamOptions: DatasetStreamOptions = {}): DatasetStream {
  const chunkSessions = streamOptions.chunkSessions ?? DEFAULT_CHUNK_SESSIONS;
  if (!Number.isInteger(chunkSessions) || chunkSessions < 1) {
    throw Object.assign(
      new RangeError(`generateDatasetStream: option 'chunkSessions' must be an integer >= 1 (got ${String(chunkSessions)})`),
      { option: 'chunkSessions' },
    );
  }
  const now = options?.now ?? new Date();
  const o = resolveGenerateOptions(options, now, { streaming: true });
  return { options: o, [Symbol.iterator]: () => generateChunks(o, chunkSessions) };
}

/**
 * The generation proper, over options already checked: the tutors are planned and their sessions allocated (every
 * draw of that happens first), then each tutor's sessions are drawn in turn from the same PRNG. A chunk is cut after
 * the tutor that brings it to `chunkSessions` sessions; the last chunk takes the rest (there is always at least one).
 */
function* generateChunks(o: ResolvedGenerateOptions, chunkSessions: number): Generator<DatasetChunk, void, undefined> {
  const prng = new Prng(o.seed);
  const calendar = buildCalendar(o);
  const plans = planTutors(o, calendar, prng);
  allocateSessions(o, calendar, plans, prng);
  const ctx = createSessionContext(o, calendar, prng);
  let tutors = plans.map((p) => p.row);
  let groundTruth = plans.map((p) => p.truth);
  const take = (): DatasetChunk => {
    const chunk = { tutors, sessions: ctx.sessions, reschedules: ctx.reschedules, emailReports: ctx.emailReports, groundTruth };
    tutors = [];
    groundTruth = [];
    ctx.sessions = [];
    ctx.reschedules = [];
    ctx.emailReports = [];
    return chunk;
  };
  for (let i = 0; i < plans.length; i++) {
    generateTutorSessions(ctx, plans[i]!);
    if (ctx.sessions.length >= chunkSessions && i < plans.length - 1) yield take();
  }
  yield take();
}
