import type { Session } from '../schema';

/**
 * The fields of a session that {@link isRescheduled} and {@link isCompleted} read: a whole `Session` row will do.
 *
 * @example
 * const session: SessionStatusLike = { status: 'no_show' };
 */
export type SessionStatusLike = Pick<Session, 'status'>;

/**
 * The fields of a session that {@link getDuration} reads: a whole `Session` row will do.
 *
 * @example
 * const session: SessionDurationLike = { scheduledTime, completedTime: null, durationMinutes: 45 };
 */
export type SessionDurationLike = Pick<Session, 'scheduledTime' | 'completedTime' | 'durationMinutes'>;

/**
 * Whether the session was rescheduled (or cancelled): its status is `'rescheduled'`.
 *
 * @example
 * isRescheduled({ status: 'rescheduled' }); // true
 * isRescheduled({ status: 'no_show' });     // false
 */
export function isRescheduled(session: SessionStatusLike): boolean {
  return session.status === 'rescheduled';
}

/**
 * Whether the session took place: its status is `'completed'` (the database guarantees that such a session has a
 * `completedTime`).
 *
 * @example
 * isCompleted({ status: 'completed' }); // true
 */
export function isCompleted(session: SessionStatusLike): boolean {
  return session.status === 'completed';
}

const MS_PER_MINUTE = 60_000;

/**
 * How long the session lasted, in whole minutes: the recorded `durationMinutes`, else `scheduledTime` to
 * `completedTime` rounded; `null`, never 0, for a session that did not complete, so averages leave it out.
 *
 * @example
 * getDuration({ scheduledTime, completedTime, durationMinutes: 55 });              // 55
 * getDuration({ scheduledTime: new Date('2025-01-06T15:00:00Z'),
 *               completedTime: new Date('2025-01-06T16:00:00Z'), durationMinutes: null }); // 60
 * getDuration({ scheduledTime, completedTime: null, durationMinutes: null });      // null
 */
export function getDuration(session: SessionDurationLike): number | null {
  if (session.durationMinutes !== null && session.durationMinutes !== undefined) return session.durationMinutes;
  if (!session.completedTime) return null;
  return Math.round((session.completedTime.getTime() - session.scheduledTime.getTime()) / MS_PER_MINUTE);
}
