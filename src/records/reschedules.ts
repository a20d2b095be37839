import type { Reschedule } from '../schema';

/**
 * The fields of a reschedule that {@link calculateHoursBefore} and {@link isLastMinute} read: a whole `Reschedule`
 * row will do, and so will a `NewReschedule` before it is inserted.
 *
 * @example
 * const times: RescheduleTimesLike = { originalTime: session.scheduledTime, cancelledAt: new Date() };
 */
export type RescheduleTimesLike = Pick<Reschedule, 'originalTime' | 'cancelledAt'>;

/**
 * What "last minute" means for {@link isLastMinute}, in hours before the session.
 *
 * @example
 * // The same test in SQL: on the exact times, like isLastMinute, not on the rounded hours_before_session.
 * sql`select count(*) from reschedules
 *     where original_time - cancelled_at < make_interval(hours => ${LAST_MINUTE_HOURS})`;
 */
export const LAST_MINUTE_HOURS = 24;

const MS_PER_HUNDREDTH_HOUR = 36_000;
const MS_PER_HOUR = 3_600_000;

/**
 * How many hours before the session the reschedule was made: `originalTime − cancelledAt` in hours, rounded to 2
 * decimals with halves away from zero. It is the value of the generated column `hours_before_session`, computed the
 * same way as PostgreSQL's `round(extract(epoch from (original_time - cancelled_at)) / 3600, 2)`, so the two always
 * agree. Negative when the reschedule was made after the session's start.
 *
 * @example
 * calculateHoursBefore({
 *   originalTime: new Date('2025-01-06T15:00:00Z'),
 *   cancelledAt: new Date('2025-01-05T09:30:00Z'),
 * }); // 29.5
 */
export function calculateHoursBefore(reschedule: RescheduleTimesLike): number {
  // Whole milliseconds in, so integer arithmetic on hundredths of an hour is exact: no binary rounding before ours.
  const ms = reschedule.originalTime.getTime() - reschedule.cancelledAt.getTime();
  const magnitude = Math.abs(ms);
  const remainder = magnitude % MS_PER_HUNDREDTH_HOUR;
  const hundredths = (magnitude - remainder) / MS_PER_HUNDREDTH_HOUR + (remainder * 2 >= MS_PER_HUNDREDTH_HOUR ? 1 : 0);
  if (hundredths === 0) return 0; // never -0: PostgreSQL's numeric has no negative zero
  return ((ms < 0 ? -1 : 1) * hundredths) / 100;
}

/**
 * Whether the reschedule was made less than 24 hours before the session's original time. The exact times decide,
 * not the rounded `hours_before_session`: 23 h 59 min 59.999 s before is last minute, even though it rounds to 24.00.
 * A reschedule made after the session started (negative hours) is last minute too.
 *
 * @example
 * isLastMinute({
 *   originalTime: new Date('2025-01-06T15:00:00Z'),
 *   cancelledAt: new Date('2025-01-06T09:00:00Z'),
 * }); // true (6 hours before)
 */
export function isLastMinute(reschedule: RescheduleTimesLike): boolean {
  return reschedule.originalTime.getTime() - reschedule.cancelledAt.getTime() < LAST_MINUTE_HOURS * MS_PER_HOUR;
}
