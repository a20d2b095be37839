import { z } from 'zod';
import { lazySchema } from '../validation/lazy-schema';
import { rescheduleCreateRequestSchema, sessionCreateRequestSchema, tutorCreateRequestSchema } from '../validation';

/**
 * One session as the tutoring platform sends it (JSON, camelCase). Timestamps are ISO 8601 text with an offset; the
 * reschedule's original time is the session's `scheduledTime`. Every field is checked by the same rules as the rows
 * (docs/ingest.md has the table).
 */
export interface SessionPayload {
  id: string;
  tutorId: string;
  /** The tutor's details, used to create the tutor when `tutorId` is not known yet (ignored when it is). */
  tutor?: { name: string; email?: string | null | undefined } | undefined;
  studentId: string;
  scheduledTime: string;
  /** Set exactly when `status` is `completed`. */
  completedTime?: string | null | undefined;
  status: 'scheduled' | 'completed' | 'rescheduled' | 'no_show';
  /** Only when `status` is `completed`. */
  durationMinutes?: number | null | undefined;
  /** Given exactly when `status` is `rescheduled`; `newTime` null is a cancellation. */
  reschedule?:
    | {
        initiator: 'tutor' | 'student';
        newTime: string | null;
        reason?: string | null | undefined;
        reasonCode?: string | null | undefined;
        cancelledAt: string;
      }
    | undefined;
}

const field = lazySchema(() => z.unknown().optional());

/*
 * The payload's shape alone: unknown keys refused (a misspelt `completedTme` must not be dropped silently), values
 * left to the row schemas below, which hold every rule of the tables. Mapping each part onto its row schema keeps one
 * definition of what a valid session, tutor and reschedule is.
 */
const shape = lazySchema(() =>
  z.strictObject({
    id: field,
    tutorId: field,
    tutor: z.strictObject({ name: field, email: field }).optional(),
    studentId: field,
    scheduledTime: field,
    completedTime: field,
    status: field,
    durationMinutes: field,
    reschedule: z
      .strictObject({ initiator: field, newTime: field, reason: field, reasonCode: field, cancelledAt: field })
      .optional(),
  }),
);

/** Copies the issues of a nested parse under `prefix`, leaving out the keys reported elsewhere. */
function copyIssues(ctx: z.core.$RefinementCtx, issues: readonly z.core.$ZodIssue[], prefix: string, skip: readonly string[]) {
  for (const issue of issues) {
    const [first] = issue.path;
    if (typeof first === 'string' && skip.includes(first)) continue;
    const path = prefix ? [prefix, ...issue.path] : [...issue.path];
    const shown = issue.path.map(String).join('.');
    // The row schemas start their messages with the field's own name: say the payload's path instead.
    const message = shown !== '' && issue.message.startsWith(`${shown}: `) ? issue.message.slice(shown.length + 2) : issue.message;
    ctx.addIssue({ code: 'custom', path, message });
  }
}

/**
 * The JSON wire schema of {@link SessionPayload}: checks a payload with the same rules as the `sessions`, `tutors`
 * and `reschedules` rows (each issue names the payload's field, e.g. `reschedule.newTime`), and gives the rows to
 * write. A reschedule is required exactly when `status` is `rescheduled` (`reschedule_status_rule`).
 *
 * @example
 * const { session, tutor, reschedule } = parseRow(sessionPayloadSchema, JSON.parse(line), 'payload');
 */
export const sessionPayloadSchema = lazySchema(() =>
  shape.transform((p, ctx) => {
    if (p.id === undefined) ctx.addIssue({ code: 'custom', path: ['id'], message: 'is required (the platform\'s session id)' });
    const session = sessionCreateRequestSchema.safeParse({
      id: p.id,
      tutorId: p.tutorId,
      studentId: p.studentId,
      scheduledTime: p.scheduledTime,
      completedTime: p.completedTime ?? null,
      status: p.status,
      durationMinutes: p.durationMinutes ?? null,
    });
    if (!session.success) copyIssues(ctx, session.error.issues, '', []);
    const tutor =
      p.tutor === undefined
        ? undefined
        : tutorCreateRequestSchema.safeParse({ id: p.tutorId, name: p.tutor.name, email: p.tutor.email ?? null });
    if (tutor && !tutor.success) copyIssues(ctx, tutor.error.issues, 'tutor', ['id']);
    const reschedule =
      p.reschedule === undefined
        ? undefined
        : rescheduleCreateRequestSchema.safeParse({
            sessionId: p.id,
            initiator: p.reschedule.initiator,
            originalTime: p.scheduledTime,
            newTime: p.reschedule.newTime ?? null,
            reason: p.reschedule.reason ?? null,
            reasonCode: p.reschedule.reasonCode ?? null,
            cancelledAt: p.reschedule.cancelledAt,
          });
    if (reschedule && !reschedule.success) copyIssues(ctx, reschedule.error.issues, 'reschedule', ['sessionId', 'originalTime']);
    if ((p.status === 'rescheduled') !== (p.reschedule !== undefined)) {
      ctx.addIssue({
        code: 'custom',
        path: ['reschedule'],
        message: "must be given exactly when status is 'rescheduled' (reschedule_status_rule)",
      });
    }
    if (!session.success || (tutor && !tutor.success) || (reschedule && !reschedule.success) || p.id === undefined) return z.NEVER;
    return {
      session: { ...session.data, id: session.data.id as string },
      tutor: tutor?.success ? tutor.data : undefined,
      reschedule: reschedule?.success ? reschedule.data : undefined,
    };
  }),
);

/** The rows of one valid payload, as {@link sessionPayloadSchema} gives them. */
export type ParsedSessionPayload = z.output<typeof sessionPayloadSchema>;
