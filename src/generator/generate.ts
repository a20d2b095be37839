import { buildCalendar } from './calendar';
import { resolveGenerateOptions } from '../domain/generate-options';
import { Prng } from './prng';
import { createSessionContext, generateTutorSessions } from './sessions';
import { allocateSessions, planTutors } from './tutors';
import type { GenerateOptions, ResolvedGenerateOptions } from '../domain/dataset';
import type { Dataset, DatasetChunk, DatasetStream } from '../records/dataset';
import { InvalidOptionError } from '../errors';

/**
 * Generates a synthetic dataset in memory: tutors, sessions, reschedules, email reports and each tutor's
 * intended risk tier (`groundTruth`). Pure and seeded: the same options, `seed` and `now` give a deep-equal dataset
 * on any machine, and every row satisfies the tables' constraints. Where the spec's targets cannot all hold, the risk
 * tiers win (docs/design.md, "The generator's targets"; docs/synthetic-data.md for frequencies and sizes).
 *
 * @param options all optional, defaults are the spec's targets (see {@link GenerateOptions}); an invalid one throws a
 *   an `InvalidOptionError` naming it in its message and its `option` property.
 * @example
 * const dataset = generateDataset({ seed: 7, now: new Date('2026-01-15T12:00:00Z') });
 * dataset.sessions.length; // 3000
 * dataset.groundTruth[0];  // { tutorId: '…', tier: 'low', targetRate: 4.2, favouriteReasonCode: 'family_issue' }
 */
export function generateDataset(options: GenerateOptions = {}): Dataset {
  // The one place the clock may be read: only when the caller gave no reference time.
  const now = options?.now ?? new Date();
  const o = resolved(options, now);
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
   * A chunk is cut at the first tutor boundary past this many sessions. Default 2,000: small enough that a chunk's
   * rows die young (V8 collects them in its young generation instead of promoting them), which is what keeps a
   * stream of a million sessions under 200 MiB; larger chunks only hold more rows at once.
   */
  chunkSessions?: number;
}

const DEFAULT_CHUNK_SESSIONS = 2_000;

/**
 * The dataset of {@link generateDataset} made chunk by chunk, row for row the same, so that only one chunk of
 * sessions is in memory at a time (for datasets too large to hold, and to feed `insertDatasetStream`). The first
 * chunk holds every tutor and the ground truth; sessions follow tutor by tutor, never split across chunks. Options
 * are checked now; each iteration generates again from the seed.
 *
 * @throws {InvalidOptionError} invalid options, as {@link generateDataset}, or a `chunkSessions` below 1.
 * @example
 * const stream = generateDatasetStream({ tutors: 50_000, sessions: 10_000_000, seed: 7 });
 * await insertDatasetStream(db, stream); // generates the rows as it loads them
 */
export function generateDatasetStream(options: GenerateOptions = {}, streamOptions: DatasetStreamOptions = {}): DatasetStream {
  const chunkSessions = streamOptions.chunkSessions ?? DEFAULT_CHUNK_SESSIONS;
  if (!Number.isInteger(chunkSessions) || chunkSessions < 1) {
    throw Object.assign(
      new InvalidOptionError('chunkSessions', `generateDatasetStream: option 'chunkSessions' must be an integer >= 1 (got ${String(chunkSessions)})`),
      { option: 'chunkSessions' },
    );
  }
  const now = options?.now ?? new Date();
  const o = resolved(options, now, { streaming: true });
  return { options: o, [Symbol.iterator]: () => generateChunks(o, chunkSessions) };
}

/**
 * The generation proper: every tutor is planned and allocated its sessions first (all of those draws), then each
 * tutor's sessions are drawn in turn from the same PRNG, which is why chunking cannot change the rows.
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

/** {@link resolveGenerateOptions}, its refusal (which names the option) as an {@link InvalidOptionError}. */
function resolved(...args: Parameters<typeof resolveGenerateOptions>): ReturnType<typeof resolveGenerateOptions> {
  try {
    return resolveGenerateOptions(...args);
  } catch (error) {
    const option = (error as { option?: unknown }).option;
    if (error instanceof Error && typeof option === 'string') throw new InvalidOptionError(option, error.message);
    throw error;
  }
}
