import { z } from 'zod';
import { rescheduleCreateRequestObject, sessionCreateRequestObject, tutorCreateRequestObject } from '../validation';
import { lazySchema } from '../validation/lazy-schema';

/**
 * The JSON shape of a session payload ({@link SessionPayload}), field by field from the row schemas' fields: what its
 * JSON Schema shows and a client may check a payload with before sending it. `sessionPayloadSchema` parses the same
 * JSON into rows and adds what one field cannot show: the rules across fields (`completedTime` exactly when
 * `completed`, a reschedule exactly when `rescheduled`, …).
 *
 * @example
 * sessionPayloadObject.safeParse(JSON.parse(line)).success;
 */
export const sessionPayloadObject = lazySchema(() => {
  const session = sessionCreateRequestObject.shape;
  const reschedule = rescheduleCreateRequestObject.shape;
  return z.strictObject({
    id: session.id.unwrap().meta({ description: "The platform's session id." }),
    tutorId: session.tutorId,
    tutor: z
      .strictObject({ name: tutorCreateRequestObject.shape.name, email: tutorCreateRequestObject.shape.email })
      .optional()
      .meta({ description: "The tutor's details, used to create the tutor when tutorId is not known yet." }),
    studentId: session.studentId,
    scheduledTime: session.scheduledTime,
    completedTime: session.completedTime,
    status: session.status,
    durationMinutes: session.durationMinutes,
    reschedule: z
      .strictObject({
        initiator: reschedule.initiator,
        newTime: reschedule.newTime.unwrap(),
        reason: reschedule.reason,
        reasonCode: reschedule.reasonCode,
        cancelledAt: reschedule.cancelledAt,
      })
      .optional()
      .meta({ description: "Given exactly when status is 'rescheduled'; newTime null is a cancellation." }),
  });
});
