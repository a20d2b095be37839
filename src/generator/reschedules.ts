import { DAY, MINUTE } from '../domain/time';
import type { Prng } from './prng';
import type { WeightedIndex } from './weighted-index';
import type { ResolvedGenerateOptions } from '../domain/dataset';
import type { DatasetReschedule } from '../records/dataset';

/**
 * When a reschedule was asked for, `start − lead`: with probability `lastMinuteShare` a lead under
 * `lastMinuteHours` (from 15 minutes, uniform), otherwise a lead above it, up to 9 days more and skewed toward the
 * shorter ones. Never before `notBefore` (the tutor's account creation).
 */
export function drawCancelledAt(o: ResolvedGenerateOptions, prng: Prng, start: number, notBefore: number): number {
  const limit = Math.ceil(o.lastMinuteHours * 60); // minutes
  let lead: number;
  if (prng.chance(o.lastMinuteShare)) {
    lead = prng.intBetween(Math.min(15, Math.floor(limit / 2)), limit - 1);
  } else {
    const u = prng.next();
    lead = limit + 1 + Math.floor(u * u * 9 * 24 * 60);
  }
  return Math.max(start - lead * MINUTE, notBefore + MINUTE);
}

/**
 * A reschedule row for the session `sessionId` that was to start at `start`. The reason is the tutor's favourite
 * with probability `favouriteReasonShare` for a tutor-initiated one, and otherwise drawn by the reasons' weights;
 * the new time lies `rescheduleDelayDays` later, give or take two hours, or is null (cancelled) with probability
 * `cancelledShare`.
 */
export function buildReschedule(
  o: ResolvedGenerateOptions,
  prng: Prng,
  reasons: WeightedIndex,
  sessionId: string,
  start: number,
  cancelledAt: number,
  favouriteReason: number | undefined,
): DatasetReschedule {
  const reasonIndex =
    favouriteReason !== undefined && prng.chance(o.favouriteReasonShare) ? favouriteReason : reasons.pick(prng);
  const reason = o.reasons[reasonIndex]!;
  const newTime = prng.chance(o.cancelledShare)
    ? null
    : new Date(
        start +
          prng.intBetween(o.rescheduleDelayDays.min, o.rescheduleDelayDays.max) * DAY +
          prng.intBetween(-8, 8) * 15 * MINUTE,
      );
  return {
    id: prng.uuid(),
    sessionId,
    initiator: favouriteReason === undefined ? 'student' : 'tutor',
    originalTime: new Date(start),
    newTime,
    reason: reason.text,
    reasonCode: reason.code,
    cancelledAt: new Date(cancelledAt),
    createdAt: new Date(cancelledAt),
  };
}
