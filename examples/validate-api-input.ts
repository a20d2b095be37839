/**
 * Validating API input with the JSON request schemas before it reaches the database, answering with the response
 * schemas, and turning the database's own refusals into errors an API can answer with. JSON has no dates: the request
 * schemas read ISO 8601 text with an offset and give `Date`s; the response schemas give ISO 8601 text back.
 *
 *   npx tsx examples/validate-api-input.ts
 */
import {
  ConstraintViolationError,
  createDatabase,
  migrate,
  parseRow,
  reschedules,
  rescheduleCreateRequestSchema,
  sessionCreateRequestSchema,
  sessions,
  translateDatabaseError,
  tutorCreateRequestSchema,
  tutorResponseSchema,
  tutors,
  tutorUpdateRequestSchema,
  ValidationError,
} from '@tqs/data';
import { eq } from 'drizzle-orm';

/** What an API handler would answer: 201 with the row, or 400/409 with the field or constraint at fault. */
function respond(status: number, body: unknown): void {
  console.log(status, JSON.stringify(body));
}

/** The error-to-response mapping an API would share between its routes. */
function errorResponse(error: unknown): void {
  const translated = translateDatabaseError(error); // a raw driver/Drizzle error becomes a ConstraintViolationError
  if (translated instanceof ValidationError) {
    respond(400, { code: translated.code, issues: translated.issues });
  } else if (translated instanceof ConstraintViolationError) {
    respond(409, { code: translated.code, constraint: translated.constraint, message: translated.message });
  } else {
    throw translated;
  }
}

await using db = await createDatabase();
await migrate(db);

// POST /tutors: parse the JSON body with the insert schema. parseRow returns the typed row or throws a
// ValidationError whose issues name each field and the rule (and constraint) it breaks.
const tutor = parseRow(tutorCreateRequestSchema, JSON.parse('{ "name": "Ada Lovelace", "email": "ada@example.org" }'), 'tutor');
const [created] = await db.insert(tutors).values(tutor).returning();
if (!created) throw new Error('insert returned no row');
respond(201, tutorResponseSchema.parse(created)); // createdAt/updatedAt as ISO 8601 text in UTC

// A body the schema rejects: every broken rule is reported, not only the first, each with its field and constraint.
try {
  const body: unknown = JSON.parse(`{
    "tutorId": "${created.id}",
    "studentId": "   ",
    "scheduledTime": "2026-01-10T15:00:00Z",
    "status": "completed",
    "durationMinutes": -30
  }`); // blank student, negative duration, and 'completed' without a completedTime
  parseRow(sessionCreateRequestSchema, body, 'session');
} catch (error) {
  errorResponse(error);
}

// PATCH /tutors/:id: the update schema makes every column optional but still checks the ones present.
try {
  const patch = parseRow(tutorUpdateRequestSchema, JSON.parse('{ "email": "not an email" }'), 'tutor');
  await db.update(tutors).set(patch).where(eq(tutors.id, created.id));
} catch (error) {
  errorResponse(error);
}

// What Zod cannot see from one row, the database still enforces. A rescheduled session and its reschedule are
// written in one transaction (reschedule_status_rule: a session has a reschedule exactly when its status is
// 'rescheduled', checked at commit). Here the reschedule's original_time does not match its session's scheduled_time
// (reschedules_session_fk): both rows are valid on their own, so parseRow accepts them; the transaction rolls back.
const rescheduledSession = (scheduledTime: string) =>
  parseRow(
    sessionCreateRequestSchema,
    { tutorId: created.id, studentId: 'student-1', scheduledTime, status: 'rescheduled' },
    'session',
  );
try {
  await db.transaction(async (tx) => {
    const [session] = await tx.insert(sessions).values(rescheduledSession('2026-01-10T15:00:00Z')).returning();
    if (!session) throw new Error('insert returned no row');
    const reschedule = parseRow(
      rescheduleCreateRequestSchema,
      {
        sessionId: session.id,
        initiator: 'tutor',
        originalTime: '2026-01-10T17:00:00+01:00', // 16:00 UTC: an hour off
        newTime: '2026-01-12T16:00:00Z',
        cancelledAt: '2026-01-09T20:00:00Z',
        reasonCode: 'scheduling_conflict',
      },
      'reschedule',
    );
    await tx.insert(reschedules).values(reschedule);
  });
} catch (error) {
  errorResponse(error);
}

// A 'rescheduled' session written without its reschedule: refused when the transaction commits.
try {
  await db.insert(sessions).values(rescheduledSession('2026-01-11T15:00:00Z'));
} catch (error) {
  errorResponse(error);
}
