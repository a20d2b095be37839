import type { Session } from '../schema';
import { DAY, HOUR, MINUTE } from '../domain/time';
import { type Calendar, drawStart } from './calendar';
import { pushEmailReports } from './email-reports';
import { Prng } from './prng';
import { WeightedIndex } from './weighted-index';
import { buildReschedule, drawCancelledAt } from './reschedules';
import type { TutorPlan } from './tutors';
import type { ResolvedGenerateOptions } from '../domain/dataset';
import type { DatasetEmailReport, DatasetReschedule } from '../records/dataset';

/** Sessions start on quarter hours; a tutor's sessions are kept from overlapping by marking the quarters they use. */
const SLOT = 15 * MINUTE;
/** Draws of a start time before giving up on avoiding the tutor's other sessions, then on the calendar weights. */
const FREE_SLOT_ATTEMPTS = 30;
const ATTEMPTS = 40;

/** What happened to a session, by position in the tutor's time-ordered sessions. */
const COMPLETED = 0;
const NO_SHOW = 1;
const TUTOR_RESCHEDULED = 2;
const STUDENT_RESCHEDULED = 3;

/**
 * The rows generated since the stream last took them (a chunk) and what every tutor's generation shares. The
 * student ids are kept for the whole generation: a later tutor may draw a student of an earlier one.
 */
export interface SessionContext {
  o: ResolvedGenerateOptions;
  calendar: Calendar;
  prng: Prng;
  durations: WeightedIndex;
  reasons: WeightedIndex;
  /** Every student id handed out so far; sessions share these strings. */
  studentIds: string[];
  /** The quarter-hour slots taken by the current tutor's sessions. */
  occupied: Set<number>;
  sessions: Session[];
  reschedules: DatasetReschedule[];
  emailReports: DatasetEmailReport[];
  /** The booked sessions' own PRNG (option `bookedDays`): the past rows are the same with or without them. */
  booked: Prng;
}

/** A fresh context: no rows yet, the weighted pickers built once from the options. */
export function createSessionContext(o: ResolvedGenerateOptions, calendar: Calendar, prng: Prng): SessionContext {
  return {
    o,
    calendar,
    prng,
    durations: new WeightedIndex(o.durations.map((d) => d.weight)),
    reasons: new WeightedIndex(o.reasons.map((r) => r.weight)),
    studentIds: [],
    occupied: new Set(),
    sessions: [],
    reschedules: [],
    emailReports: [],
    // A stream of its own, derived from the seed.
    booked: new Prng((o.seed ^ 0x5ca1ab1e) >>> 0),
  };
}

/**
 * A start time for a session of `length` ms within the tutor's span, drawn from the calendar (day weights, hour
 * weights, quarter hours) and clear of the tutor's other sessions when that can be had in a few draws.
 */
function drawSessionStart(ctx: SessionContext, plan: TutorPlan, length: number): number {
  const { calendar, prng, occupied } = ctx;
  const latest = plan.spanEnd - length;
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    const start = drawStart(calendar, prng, plan.firstDay, plan.lastDay);
    if (start < plan.spanStart || start > latest) continue;
    const first = Math.floor(start / SLOT);
    const end = Math.ceil((start + length) / SLOT);
    let free = true;
    if (attempt < FREE_SLOT_ATTEMPTS) {
      for (let s = first; s < end && free; s++) free = !occupied.has(s);
    }
    if (!free) continue;
    for (let s = first; s < end; s++) occupied.add(s);
    return start;
  }
  // The span holds few open hours (e.g. a tutor who left after a day): any quarter hour of it will do.
  const firstSlot = Math.ceil(plan.spanStart / SLOT);
  const lastSlot = Math.floor(latest / SLOT);
  return lastSlot < firstSlot ? plan.spanStart : (firstSlot + prng.int(lastSlot - firstSlot + 1)) * SLOT;
}

/** A pool of students for one tutor: new ids, and with probability `sharedStudentShare` a student of another tutor. */
function studentPool(ctx: SessionContext, sessions: number): Int32Array {
  const { o, prng, studentIds } = ctx;
  const pool = new Int32Array(Math.max(1, Math.round(sessions / o.sessionsPerStudent)));
  for (let i = 0; i < pool.length; i++) {
    if (studentIds.length > 0 && prng.chance(o.sharedStudentShare)) {
      pool[i] = prng.int(studentIds.length);
    } else {
      pool[i] = studentIds.length;
      studentIds.push(`student-${String(studentIds.length + 1).padStart(6, '0')}`);
    }
  }
  return pool;
}

/**
 * Outcomes by position in the tutor's time-ordered sessions: exactly `tutorReschedules` and `studentReschedules`
 * reschedules at random positions, then no-shows among the rest (`noShowShare` of them, rounded at random), and the
 * others completed.
 */
function drawOutcomes(ctx: SessionContext, plan: TutorPlan): Uint8Array {
  const { o, prng } = ctx;
  const n = plan.sessions;
  const rest = n - plan.tutorReschedules - plan.studentReschedules;
  const expected = rest * o.noShowShare;
  const noShows = Math.floor(expected) + (prng.chance(expected - Math.floor(expected)) ? 1 : 0);
  const marked = plan.tutorReschedules + plan.studentReschedules + noShows;
  const positions = new Int32Array(n);
  for (let i = 0; i < n; i++) positions[i] = i;
  const outcomes = new Uint8Array(n).fill(COMPLETED);
  for (let i = 0; i < marked; i++) {
    const j = i + prng.int(n - i);
    const p = positions[j]!;
    positions[j] = positions[i]!;
    positions[i] = p;
    outcomes[p] =
      i < plan.tutorReschedules
        ? TUTOR_RESCHEDULED
        : i < plan.tutorReschedules + plan.studentReschedules
          ? STUDENT_RESCHEDULED
          : NO_SHOW;
  }
  return outcomes;
}

/** When the session was booked: 1 hour to 21 days before `before` (skewed to the shorter), not before the tutor. */
function bookedAt(prng: Prng, before: number, tutorCreatedAt: number): number {
  const u = prng.next();
  return Math.max(tutorCreatedAt, before - HOUR - Math.floor((u * u * (21 * DAY - HOUR)) / MINUTE) * MINUTE);
}

/**
 * Generates one tutor's sessions, in time order, with their reschedules and email reports, appending the rows to
 * the context. Every session's slot ends by `now`, so its outcome is known: a completed session's
 * `completed_time` (start + duration) is never in the future.
 */
export function generateTutorSessions(ctx: SessionContext, plan: TutorPlan): void {
  const { o, prng } = ctx;
  const n = plan.sessions;
  if (n === 0) return;
  const pool = studentPool(ctx, n);

  ctx.occupied.clear();
  const starts = new Float64Array(n);
  const minutes = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    minutes[i] = o.durations[ctx.durations.pick(prng)]!.minutes;
    starts[i] = drawSessionStart(ctx, plan, minutes[i]! * MINUTE);
  }
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  order.sort((a, b) => starts[a]! - starts[b]! || a - b);
  const outcomes = drawOutcomes(ctx, plan);

  const tutorId = plan.row.id;
  const tutorCreatedAt = plan.row.createdAt.getTime();
  const email = plan.row.email;
  for (let j = 0; j < n; j++) {
    const start = starts[order[j]!]!;
    const length = minutes[order[j]!]!;
    const outcome = outcomes[j]!;
    const id = prng.uuid();
    const studentId = ctx.studentIds[pool[prng.int(pool.length)]!]!;
    if (outcome === COMPLETED || outcome === NO_SHOW) {
      const completed = outcome === COMPLETED;
      const end = start + length * MINUTE;
      ctx.sessions.push({
        id,
        tutorId,
        studentId,
        scheduledTime: new Date(start),
        completedTime: completed ? new Date(end) : null,
        status: completed ? 'completed' : 'no_show',
        durationMinutes: completed ? length : null,
        createdAt: new Date(bookedAt(prng, start, tutorCreatedAt)),
        // A no-show is recorded after a quarter hour's wait (or at the end of a shorter slot).
        updatedAt: new Date(completed ? end : start + Math.min(length, 15) * MINUTE),
      });
      continue;
    }
    const cancelledAt = drawCancelledAt(o, prng, start, tutorCreatedAt);
    ctx.sessions.push({
      id,
      tutorId,
      studentId,
      scheduledTime: new Date(start),
      completedTime: null,
      status: 'rescheduled',
      durationMinutes: null,
      createdAt: new Date(bookedAt(prng, cancelledAt, tutorCreatedAt)),
      updatedAt: new Date(cancelledAt),
    });
    const favourite = outcome === TUTOR_RESCHEDULED ? plan.favouriteReason : undefined;
    ctx.reschedules.push(buildReschedule(o, prng, ctx.reasons, id, start, cancelledAt, favourite));
    if (email !== null && prng.chance(o.emailReportShare)) {
      pushEmailReports(o, prng, ctx.emailReports, id, email, cancelledAt);
    }
  }
  if (o.bookedDays > 0 && plan.row.isActive) bookSessions(ctx, plan, pool);
}

/**
 * The tutor's booked sessions of the next `bookedDays` days (status `scheduled`), at its own pace over the past
 * window, on quarter hours after `now`, booked up to three weeks before (not before the tutor joined, not after `now`).
 */
function bookSessions(ctx: SessionContext, plan: TutorPlan, pool: ArrayLike<number>): void {
  const { o, booked } = ctx;
  const now = o.now.getTime();
  const expected = (plan.sessions * o.bookedDays) / o.days;
  const n = Math.floor(expected) + (booked.next() < expected % 1 ? 1 : 0);
  const tutorCreatedAt = plan.row.createdAt.getTime();
  const slots = Math.floor((o.bookedDays * DAY) / SLOT);
  const first = Math.floor(now / SLOT) + 1;
  for (let i = 0; i < n; i++) {
    const start = (first + booked.int(slots)) * SLOT;
    const createdAt = new Date(Math.max(tutorCreatedAt, now - booked.int(21 * 24) * HOUR));
    ctx.sessions.push({
      id: booked.uuid(),
      tutorId: plan.row.id,
      studentId: ctx.studentIds[pool[booked.int(pool.length)]!]!,
      scheduledTime: new Date(start),
      completedTime: null,
      status: 'scheduled',
      durationMinutes: null,
      createdAt,
      updatedAt: createdAt,
    });
  }
}
