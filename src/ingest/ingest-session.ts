import { eq } from 'drizzle-orm';
import type { Database } from '../db';
import { isTqsError, translateDatabaseError, type TqsError, ValidationError } from '../errors';
import { reschedules, sessions, tutors } from '../schema';
import { parseRow } from '../validation';
import { type ParsedSessionPayload, sessionPayloadSchema } from './payload';

/** What one delivery did: the session was new, moved forward, was already so, or was refused. */
export type IngestOutcome = 'inserted' | 'updated' | 'unchanged' | 'refused';

/** The result of one payload of {@link ingestSession} / {@link ingestSessions}. */
export interface IngestResult {
  /** The payload's `id` as sent (null when it sent none, or not as text). */
  sessionId: string | null;
  outcome: IngestOutcome;
  /** Why it was refused: a {@link ValidationError} naming the field (a {@link SessionConflictError} when it contradicts the stored session) or a `ConstraintViolationError`. */
  error?: TqsError;
}

/**
 * A payload that contradicts what is stored for its session (another tutor, another time, a session with an outcome
 * sent back to `scheduled`, another outcome): `field` names the payload's field, and nothing was written.
 * Its `code` is `VALIDATION_FAILED`, as for any payload refused.
 */
export class SessionConflictError extends ValidationError {
  override name = 'SessionConflictError';
  /** The payload's field that disagrees, e.g. `tutorId`, `status` or `reschedule.newTime`. */
  readonly field: string;
  readonly sessionId: string;

  constructor(sessionId: string, field: string, problem: string) {
    super(`session ${sessionId}`, [{ path: field, message: problem }]);
    this.message = `session ${sessionId} contradicts what is stored: ${field}: ${problem}`;
    this.field = field;
    this.sessionId = sessionId;
  }
}

type Tx = Parameters<Parameters<Database['transaction']>[0]>[0];
type Rows = ParsedSessionPayload;

const show = (value: unknown): string =>
  value instanceof Date ? value.toISOString() : value === null || value === undefined ? 'null' : JSON.stringify(value);
const same = (a: unknown, b: unknown): boolean =>
  a instanceof Date && b instanceof Date ? a.getTime() === b.getTime() : (a ?? null) === (b ?? null);

/** The first field of `pairs` whose stored and sent values differ, as a conflict. */
function firstDifference(id: string, pairs: [field: string, stored: unknown, sent: unknown][]): SessionConflictError | undefined {
  for (const [field, stored, sent] of pairs) {
    if (!same(stored, sent)) {
      return new SessionConflictError(id, field, `is ${show(stored)} in the database, not ${show(sent)} (a session's ${field} never changes once stored)`);
    }
  }
  return undefined;
}

const lockSession = (tx: Tx, id: string) => tx.select().from(sessions).where(eq(sessions.id, id)).for('update');

/** Writes one parsed payload in `tx`: the tutor when new, then the session, its outcome and its reschedule. */
async function write(tx: Tx, rows: Rows): Promise<Exclude<IngestOutcome, 'refused'>> {
  const { session, tutor, reschedule } = rows;
  const id = session.id;
  // A session stored already is compared before its tutor is looked at: a payload naming another tutor is refused
  // for its tutorId, not for the new tutor's details (an email taken, say).
  let [stored] = tutor ? await lockSession(tx, id) : [];
  if (!stored) {
    // Another worker creating the same tutor (or session) makes these wait for its commit, then do nothing.
    if (tutor) await tx.insert(tutors).values(tutor).onConflictDoNothing({ target: tutors.id });
    const inserted = await tx.insert(sessions).values(session).onConflictDoNothing({ target: sessions.id }).returning({ id: sessions.id });
    if (inserted.length > 0) {
      if (reschedule) await tx.insert(reschedules).values(reschedule);
      return 'inserted';
    }
    // Stored by another worker meanwhile: lock it, so that the comparison and the update below see the same row as
    // every other delivery of this session.
    [stored] = await lockSession(tx, id);
    if (!stored) throw new SessionConflictError(id, 'id', 'was deleted while this payload was written; send it again');
  }
  const conflict = firstDifference(id, [
    ['tutorId', stored.tutorId, session.tutorId],
    ['studentId', stored.studentId, session.studentId],
    ['scheduledTime', stored.scheduledTime, session.scheduledTime],
  ]);
  if (conflict) throw conflict;
  if (stored.status === session.status) {
    const [storedReschedule] = reschedule
      ? await tx.select().from(reschedules).where(eq(reschedules.sessionId, id))
      : [];
    const differs = firstDifference(id, [
      ['completedTime', stored.completedTime, session.completedTime],
      ['durationMinutes', stored.durationMinutes, session.durationMinutes],
      ...(reschedule
        ? ([
            ['reschedule.initiator', storedReschedule?.initiator, reschedule.initiator],
            ['reschedule.newTime', storedReschedule?.newTime, reschedule.newTime],
            ['reschedule.reason', storedReschedule?.reason, reschedule.reason],
            ['reschedule.reasonCode', storedReschedule?.reasonCode, reschedule.reasonCode],
            ['reschedule.cancelledAt', storedReschedule?.cancelledAt, reschedule.cancelledAt],
          ] as [string, unknown, unknown][])
        : []),
    ]);
    if (differs) throw differs;
    return 'unchanged';
  }
  if (stored.status !== 'scheduled') {
    throw new SessionConflictError(
      id,
      'status',
      session.status === 'scheduled'
        ? `is '${stored.status}' in the database: a session with an outcome never goes back to 'scheduled' (sessions_status_transition)`
        : `is '${stored.status}' in the database, not '${session.status}': a session's outcome is ingested once (correct it with an update of sessions)`,
    );
  }
  // Forward: the booked session gets its outcome. Its reschedule in the same transaction (reschedule_status_rule).
  await tx
    .update(sessions)
    .set({ status: session.status, completedTime: session.completedTime, durationMinutes: session.durationMinutes })
    .where(eq(sessions.id, id));
  if (reschedule) await tx.insert(reschedules).values(reschedule);
  return 'updated';
}

const sessionIdOf = (payload: unknown): string | null => {
  const id = payload !== null && typeof payload === 'object' ? (payload as { id?: unknown }).id : undefined;
  return typeof id === 'string' ? id : null;
};

/**
 * Stores one session as the platform sends it, in one transaction: the tutor found by id (or created from `tutor`),
 * the session inserted, or moved forward in its lifecycle (`scheduled` to an outcome, with its reschedule), or left
 * as it is when the payload says what is stored already. A payload that contradicts the stored session is refused
 * with the field named; the change capture sees every write, so `refreshDueScores` picks it up. Safe when several
 * workers deliver the same session at once.
 *
 * A refusal is returned, not thrown. Errors that are not about the payload (the connection lost) are thrown: deliver
 * again, as ingest is idempotent.
 *
 * @example
 * const result = await ingestSession(db, {
 *   id: '5b3c…', tutorId: '9f1e…', tutor: { name: 'Ada Byron', email: 'ada@example.org' },
 *   studentId: 'student-42', scheduledTime: '2026-01-15T16:00:00Z', status: 'scheduled',
 * });
 * // { sessionId: '5b3c…', outcome: 'inserted' }
 *
 * // SQL shape, in one transaction:
 * // select * from sessions where id = $1 for update;            -- first only when tutor details are sent
 * // insert into tutors (id, name, email) values ($2, $3, $4) on conflict (id) do nothing;
 * // insert into sessions (...) values (...) on conflict (id) do nothing returning id;
 * // select * from sessions where id = $1 for update;            -- when the session is stored already
 * // update sessions set status = $2, completed_time = $3, duration_minutes = $4 where id = $1;
 * // insert into reschedules (...) values (...);
 */
export async function ingestSession(db: Database, payload: unknown): Promise<IngestResult> {
  const sessionId = sessionIdOf(payload);
  let rows: Rows;
  try {
    rows = parseRow(sessionPayloadSchema, payload, sessionId === null ? 'payload' : `payload of session ${sessionId}`);
  } catch (error) {
    if (isTqsError(error)) return { sessionId, outcome: 'refused', error };
    throw error;
  }
  try {
    const outcome = await db.transaction((tx) => write(tx, rows));
    return { sessionId: rows.session.id, outcome };
  } catch (caught) {
    const error = translateDatabaseError(caught);
    if (isTqsError(error) && (error.code === 'VALIDATION_FAILED' || error.code === 'CONSTRAINT_VIOLATION')) {
      return { sessionId: rows.session.id, outcome: 'refused', error };
    }
    throw error;
  }
}

/**
 * {@link ingestSession} for each payload in turn, each in its own transaction: one result per payload, in order. A
 * refused payload costs nothing to the others.
 *
 * @example
 * const results = await ingestSessions(db, payloads);
 * const refused = results.filter((r) => r.outcome === 'refused'); // each with error.message naming the field
 *
 * // SQL shape: the statements of ingestSession, one transaction per payload.
 */
export async function ingestSessions(db: Database, payloads: Iterable<unknown>): Promise<IngestResult[]> {
  const results: IngestResult[] = [];
  for (const payload of payloads) results.push(await ingestSession(db, payload));
  return results;
}

