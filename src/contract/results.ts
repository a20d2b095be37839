import { z } from 'zod';
import { lazySchema } from '../validation/lazy-schema';
import type { UpcomingSessionPage } from '../ingest';
import { riskTiers } from '../domain';
import { type ScoreWindow, scoreWindows } from '../schema';
import type { ComputedTutorScore, HighRiskTutorPage, RefreshTutorScoresResult } from '../scoring';
import { tutorResponseObject, tutorScoreResponseObject } from '../validation';
import { jsonResponse } from './json-value';

/*
 * Response schemas for the results the scoring and ingest calls compute (not rows of a table): each a JSON object
 * schema (`…Object`, composable, the shape its JSON Schema shows) and a schema that takes the result as the call
 * returns it and gives its JSON.
 */

type WindowKey = `${'rescheduleRate' | 'totalSessions' | 'tutorReschedules'}${ScoreWindow}d`;

/** The nine per-window columns of a score (rates, sessions, tutor reschedules), as a `.pick` mask. */
const windowed = Object.fromEntries(
  scoreWindows.flatMap((days) => (['rescheduleRate', 'totalSessions', 'tutorReschedules'] as const).map((name) => [`${name}${days}d`, true])),
) as Record<WindowKey, true>;

const instant = lazySchema(() => z.iso.datetime({ precision: 3 }));
const pageLimit = lazySchema(() => z.number().int().min(1));
const cursor = lazySchema(() => z.string().min(1).optional().meta({ description: 'Pass as `after` for the next page; absent on the last page.' }));

/**
 * The JSON of {@link computeTutorScore}'s result: the `tutor_scores` columns that depend on the data, as the
 * tutor score response carries them (a pick of `tutorScoreResponseObject`).
 *
 * @example
 * computedTutorScoreObject.parse(await response.json()).riskCategory; // 'high'
 */
export const computedTutorScoreObject = lazySchema(() =>
  tutorScoreResponseObject.pick({
    tutorId: true,
    isHighRisk: true,
    riskCategory: true,
    riskThreshold: true,
    asOf: true,
    nextChangeAt: true,
    ...windowed,
  }),
);

/**
 * {@link computeTutorScore}'s result made ready for JSON: timestamps as ISO 8601 text in UTC.
 *
 * @example
 * return Response.json(computedTutorScoreSchema.parse(await computeTutorScore(db, tutorId)));
 */
export const computedTutorScoreSchema = lazySchema(() => jsonResponse<ComputedTutorScore, typeof computedTutorScoreObject>(computedTutorScoreObject));

/** The JSON of a tutor's computed score ({@link computedTutorScoreSchema}'s output). */
export type ComputedTutorScoreResponse = z.output<typeof computedTutorScoreSchema>;

/**
 * The JSON of one tutor of a {@link listHighRiskTutors} page: the stored score and the tutor's name, email and status.
 *
 * @example
 * highRiskTutorObject.parse(body.tutors[0]).name;
 */
export const highRiskTutorObject = lazySchema(() =>
  tutorScoreResponseObject
    .pick({ tutorId: true, riskThreshold: true, riskCategory: true, asOf: true, lastCalculatedAt: true, ...windowed })
    .extend(tutorResponseObject.pick({ name: true, email: true, isActive: true }).shape),
);

/**
 * The JSON of a {@link listHighRiskTutors} page.
 *
 * @example
 * const page = highRiskTutorPageObject.parse(await response.json());
 */
export const highRiskTutorPageObject = lazySchema(() =>
  z.object({
    tutors: z.array(highRiskTutorObject),
    total: z.number().int().min(0).meta({ description: 'How many tutors are flagged in all, across pages.' }),
    limit: pageLimit,
    offset: z.number().int().min(0),
    nextCursor: cursor,
  }),
);

/**
 * A {@link listHighRiskTutors} page made ready for JSON (no `nextCursor` key on the last page).
 *
 * @example
 * return Response.json(highRiskTutorPageSchema.parse(await listHighRiskTutors(db, { limit: 20 })));
 */
export const highRiskTutorPageSchema = lazySchema(() => jsonResponse<HighRiskTutorPage, typeof highRiskTutorPageObject>(highRiskTutorPageObject));

/** The JSON of a {@link listHighRiskTutors} page ({@link highRiskTutorPageSchema}'s output). */
export type HighRiskTutorPageResponse = z.output<typeof highRiskTutorPageSchema>;

/**
 * The JSON of what {@link refreshTutorScores} did.
 *
 * @example
 * refreshTutorScoresResultObject.parse(await response.json()).scored;
 */
export const refreshTutorScoresResultObject = lazySchema(() =>
  z.object({
    scored: z
      .number()
      .int()
      .min(0)
      .meta({ description: "Tutors whose score row now holds this refresh's values (written, or found equal)." }),
    flagged: z.number().int().min(0).meta({ description: 'How many of those are now high risk.' }),
    written: z
      .number()
      .int()
      .min(0)
      .meta({ description: 'Score rows inserted or updated; a refresh of every tutor leaves rows whose values did not change as they were.' }),
    asOf: instant,
    threshold: z.number().min(0).max(100),
  }),
);

/**
 * {@link refreshTutorScores}'s result made ready for JSON.
 *
 * @example
 * return Response.json(refreshTutorScoresResultSchema.parse(await refreshTutorScores(db)));
 */
export const refreshTutorScoresResultSchema = lazySchema(() =>
  jsonResponse<RefreshTutorScoresResult, typeof refreshTutorScoresResultObject>(
    refreshTutorScoresResultObject,
  ),
);

/** The JSON of a refresh's result ({@link refreshTutorScoresResultSchema}'s output). */
export type RefreshTutorScoresResponse = z.output<typeof refreshTutorScoresResultSchema>;

const rate = lazySchema(() => z.number().min(0).max(100).nullable());

/**
 * The JSON of a {@link listUpcomingSessions} page, soonest first.
 *
 * @example
 * upcomingSessionPageObject.parse(await response.json()).sessions.length;
 */
export const upcomingSessionPageObject = lazySchema(() =>
  z.object({
    sessions: z.array(
      z.object({
        sessionId: z.string().meta({ format: 'uuid' }),
        scheduledTime: instant,
        studentId: z.string().meta({ maxLength: 255 }),
        tutorId: z.string().meta({ format: 'uuid' }),
        tutorName: z.string().meta({ maxLength: 255 }),
        tutorEmail: z.string().meta({ maxLength: 255, format: 'email' }).nullable(),
        riskCategory: z.enum(riskTiers).nullable(),
        isHighRisk: z.boolean().nullable(),
        rescheduleRate7d: rate,
        rescheduleRate30d: rate,
        rescheduleRate90d: rate,
        scoredAsOf: instant.nullable(),
      }),
    ),
    limit: pageLimit,
    nextCursor: cursor,
  }),
);

/**
 * A {@link listUpcomingSessions} page made ready for JSON.
 *
 * @example
 * return Response.json(upcomingSessionPageSchema.parse(await listUpcomingSessions(db, { within: 48 })));
 */
export const upcomingSessionPageSchema = lazySchema(() => jsonResponse<UpcomingSessionPage, typeof upcomingSessionPageObject>(upcomingSessionPageObject));

/** The JSON of an upcoming-sessions page ({@link upcomingSessionPageSchema}'s output). */
export type UpcomingSessionPageResponse = z.output<typeof upcomingSessionPageSchema>;
