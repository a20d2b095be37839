import { eq, inArray, sql } from 'drizzle-orm';
import { abortable, abortPoint, type AbortableOptions, type Database, inCall } from '../db';
import { isTqsError, translateDatabaseError, type TqsError, ValidationError } from '../errors';
import { type Reschedule, reschedules, type Session, sessions, tutors } from '../schema';
import { sqlStateOf } from '../util';
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

/**
 * Inserts the session unless its id is stored: `[]` when it is. The same id at the same time waits for its writer's
 * commit, then does nothing (the `(id, scheduled_time)` key is the conflict target: sessions are partitioned by month,
 * so no key holds `id` alone); the same id at another time is refused by `session_ids` as `sessions_pkey`, caught in
 * a savepoint, and left to the comparison that follows, which names the field.
 */
async function insertUnlessStored(tx: Tx, session: Rows['session']): Promise<{ id: string }[]> {
  try {
    return await tx.transaction((sp) =>
      sp.insert(sessions).values(session).onConflictDoNothing({ target: [sessions.id, sessions.scheduledTime] })
        .returning({ id: sessions.id }),
    );
  } catch (caught) {
    const error = translateDatabaseError(caught);
    if (isTqsError(error) && 'constraint' in error && error.constraint === 'sessions_pkey') return [];
    throw caught;
  }
}

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
    const inserted = await insertUnlessStored(tx, session);
    if (inserted.length > 0) {
      if (reschedule) await tx.insert(reschedules).values(reschedule);
      return 'inserted';
    }
    // Stored by another worker meanwhile: lock it, so that the comparison and the update below see the same row as
    // every other delivery of this session.
    [stored] = await lockSession(tx, id);
    if (!stored) throw new SessionConflictError(id, 'id', 'was deleted while this payload was written; send it again');
  }
  const storedReschedule =
    reschedule && stored.status === session.status
      ? (await tx.select().from(reschedules).where(eq(reschedules.sessionId, id)))[0]
      : undefined;
  const outcome = decide(stored, storedReschedule, rows);
  if (outcome === 'updated') {
    // Forward: the booked session gets its outcome. Its reschedule in the same transaction (reschedule_status_rule).
    await tx
      .update(sessions)
      .set({ status: session.status, completedTime: session.completedTime, durationMinutes: session.durationMinutes })
      .where(eq(sessions.id, id));
    if (reschedule) await tx.insert(reschedules).values(reschedule);
  }
  return outcome;
}

/** What a stored reschedule is compared on. */
type StoredReschedule = Pick<Reschedule, 'initiator' | 'newTime' | 'reason' | 'reasonCode' | 'cancelledAt'>;

/**
 * What a payload does to its stored session, without touching the database: `unchanged`, `updated` (a `scheduled`
 * session gets its outcome), or a {@link SessionConflictError} naming the field that contradicts it.
 */
function decide(stored: Session, storedReschedule: StoredReschedule | undefined, rows: Rows): 'unchanged' | 'updated' {
  const { session, reschedule } = rows;
  const id = session.id;
  const conflict = firstDifference(id, [
    ['tutorId', stored.tutorId, session.tutorId],
    ['studentId', stored.studentId, session.studentId],
    ['scheduledTime', stored.scheduledTime, session.scheduledTime],
  ]);
  if (conflict) throw conflict;
  if (stored.status === session.status) {
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
  return 'updated';
}

const sessionIdOf = (payload: unknown): string | null => {
  const id = payload !== null && typeof payload === 'object' ? (payload as { id?: unknown }).id : undefined;
  return typeof id === 'string' ? id : null;
};

/** Payloads written per transaction: one commit (one flush of the log) for this many sessions. */
const GROUP_SIZE = 250;
/** How often one payload is tried again after its savepoint lost a deadlock to another writer. */
const MAX_ATTEMPTS = 5;
/** deadlock_detected, serialization_failure: another writer won; the payload is tried again in a new transaction. */
const RETRYABLE = new Set(['40P01', '40001']);

interface Pending {
  index: number;
  rows: Rows;
}

const isRefusal = (error: unknown): error is TqsError =>
  isTqsError(error) && (error.code === 'VALIDATION_FAILED' || error.code === 'CONSTRAINT_VIOLATION');

/**
 * One payload in its own savepoint of `tx`. A payload that writes a reschedule (or the status `rescheduled`) has the
 * check at commit of reschedule_status_rule run before its savepoint is released, so a refusal costs only this payload
 * and the commit of the group can no longer fail.
 */
async function writeInSavepoint(tx: Tx, rows: Rows): Promise<Exclude<IngestOutcome, 'refused'>> {
  const checksRule = rows.reschedule !== undefined || rows.session.status === 'rescheduled';
  try {
    return await tx.transaction(async (savepoint) => {
      const outcome = await write(savepoint, rows);
      if (checksRule) await savepoint.execute(sql`set constraints reschedule_status_rule immediate`);
      return outcome;
    });
  } finally {
    if (checksRule) await tx.execute(sql`set constraints reschedule_status_rule deferred`);
  }
}

/**
 * The tutors to create before the sessions of a group: those whose details come with a payload that is not the
 * first of its tutor in the group's order (an earlier payload of that tutor may name it by id alone).
 */
function tutorsFirst(group: readonly Pending[]): NonNullable<Rows['tutor']>[] {
  const first = new Map<string, Pending>();
  const created: NonNullable<Rows['tutor']>[] = [];
  for (const entry of group) {
    const tutorId = entry.rows.session.tutorId;
    const head = first.get(tutorId);
    if (!head) first.set(tutorId, entry);
    else if (!head.rows.tutor && entry.rows.tutor && !created.some((t) => t.id === tutorId)) created.push(entry.rows.tutor);
  }
  return created;
}

/**
 * The common case of a group in a few statements: every tutor with details, then the first delivery of every session,
 * then their reschedules, each one multi-row insert (`on conflict … do nothing`, on `(id)` for tutors and on
 * `(id, scheduled_time)` for sessions), so that the statement-level triggers (change capture, reschedule rule) run
 * once per group instead of once per session. Returns the entries
 * whose session it inserted; the others (stored already, or a second delivery) go to {@link writeStored}. When any
 * row is refused, the savepoint is rolled back, nothing is taken and it returns undefined: every payload then goes
 * one by one, so the refusal is reported by its own payload.
 */
async function insertNewSessions(tx: Tx, group: readonly Pending[]): Promise<Set<Pending> | undefined> {
  const firsts = new Map<string, Pending>();
  for (const entry of group) if (!firsts.has(entry.rows.session.id)) firsts.set(entry.rows.session.id, entry);
  const details = new Map<string, NonNullable<Rows['tutor']>>();
  for (const { rows } of group) {
    if (rows.tutor && !details.has(rows.session.tutorId)) details.set(rows.session.tutorId, rows.tutor);
  }
  try {
    return await tx.transaction(async (sp) => {
      if (details.size > 0) await sp.insert(tutors).values([...details.values()]).onConflictDoNothing({ target: tutors.id });
      const ids = await sp
        .insert(sessions)
        .values([...firsts.values()].map((e) => e.rows.session))
        .onConflictDoNothing({ target: [sessions.id, sessions.scheduledTime] })
        .returning({ id: sessions.id });
      const inserted = new Set(ids.map((r) => firsts.get(r.id)!));
      const newReschedules = [...inserted].flatMap((e) => (e.rows.reschedule ? [e.rows.reschedule] : []));
      if (newReschedules.length > 0) await sp.insert(reschedules).values(newReschedules);
      if ([...inserted].some((e) => e.rows.session.status === 'rescheduled')) {
        await sp.execute(sql`set constraints reschedule_status_rule immediate`);
      }
      return inserted;
    });
  } catch (caught) {
    if (!isRefusal(translateDatabaseError(caught)) && !RETRYABLE.has(sqlStateOf(caught) ?? '')) throw caught;
    return undefined;
  } finally {
    await tx.execute(sql`set constraints reschedule_status_rule deferred`);
  }
}

/**
 * The payloads of a group whose session is stored already (or came earlier in the group), in a few statements: the
 * sessions locked and read at once (in the order every writer locks them), each payload decided against the state the
 * ones before it left, then one `update … from (values …)` for the sessions that got their outcome and one insert of
 * their reschedules. Returns a result per payload, or undefined when a statement was refused (nothing taken: the
 * payloads then go one by one).
 */
async function writeStored(tx: Tx, rest: readonly Pending[]): Promise<Map<Pending, IngestResult> | undefined> {
  const ids = [...new Set(rest.map((e) => e.rows.session.id))];
  let checksRule = false;
  try {
    return await tx.transaction(async (sp) => {
      const locked = await sp.select().from(sessions).where(inArray(sessions.id, ids)).orderBy(sessions.tutorId, sessions.id).for('update');
      if (locked.length !== ids.length) return undefined; // deleted meanwhile: one by one says so
      const state = new Map(locked.map((row) => [row.id, row]));
      const storedReschedules = new Map<string, StoredReschedule>(
        (await sp.select().from(reschedules).where(inArray(reschedules.sessionId, ids))).map((r) => [r.sessionId, r]),
      );
      const results = new Map<Pending, IngestResult>();
      const moved = new Map<string, Rows>();
      for (const entry of rest) {
        const { session, reschedule } = entry.rows;
        const stored = state.get(session.id)!;
        try {
          const outcome = decide(stored, storedReschedules.get(session.id), entry.rows);
          if (outcome === 'updated') {
            state.set(session.id, { ...stored, status: session.status, completedTime: session.completedTime ?? null, durationMinutes: session.durationMinutes ?? null });
            if (reschedule) storedReschedules.set(session.id, reschedule as StoredReschedule);
            moved.set(session.id, entry.rows);
          }
          results.set(entry, { sessionId: session.id, outcome });
        } catch (error) {
          if (!(error instanceof SessionConflictError)) throw error;
          results.set(entry, { sessionId: session.id, outcome: 'refused', error });
        }
      }
      if (moved.size > 0) {
        const values = [...moved.values()].map(
          ({ session: m }) =>
            sql`(${m.id}::uuid, ${m.status}::varchar, ${m.completedTime?.toISOString() ?? null}::timestamptz, ${m.durationMinutes}::int)`,
        );
        await sp.execute(sql`update "sessions" s set "status" = v.status, "completed_time" = v.completed_time, "duration_minutes" = v.duration_minutes
          from (values ${sql.join(values, sql`, `)}) as v(id, status, completed_time, duration_minutes) where s."id" = v.id`);
        const added = [...moved.values()].flatMap((r) => (r.reschedule ? [r.reschedule] : []));
        if (added.length > 0) await sp.insert(reschedules).values(added);
        if ([...moved.values()].some((r) => r.session.status === 'rescheduled')) {
          checksRule = true;
          await sp.execute(sql`set constraints reschedule_status_rule immediate`);
        }
      }
      return results;
    });
  } catch (caught) {
    if (!isRefusal(translateDatabaseError(caught)) && !RETRYABLE.has(sqlStateOf(caught) ?? '')) throw caught;
    return undefined;
  } finally {
    if (checksRule) await tx.execute(sql`set constraints reschedule_status_rule deferred`);
  }
}

/**
 * Stores sessions as the platform sends them, a few hundred per transaction (one commit for many sessions), in a few
 * multi-row statements per group; when a statement is refused, each payload of the group in a savepoint of its own,
 * so a refusal costs only its own payload (docs/ingest.md). For each payload: the tutor found by id
 * (or created from `tutor`), the session inserted, or moved forward in its lifecycle (`scheduled` to an outcome, with
 * its reschedule), or left as it is when the payload says what is stored already. A payload that contradicts the
 * stored session is refused with the field named. The change capture sees every write, so `refreshDueScores` picks
 * it up. Returns one result per payload, in order, once every write it reports is committed.
 *
 * Several workers may deliver the same sessions at once: payloads are written in the order of (tutor id, session id),
 * the order every worker takes its locks in, so two workers never wait on each other in a cycle; the deliveries of
 * one session keep their order. Within one call, a tutor's details in any payload serve all of that tutor's payloads.
 * Errors that are not about a payload (the connection lost) are thrown, and the payloads of the transaction that was
 * open are not stored: deliver them again, as ingest is idempotent.
 *
 * @example
 * const results = await ingestSessions(db, payloads);
 * const refused = results.filter((r) => r.outcome === 'refused'); // each with error.message naming the field
 *
 * ```sql
 * -- a transaction per few hundred payloads; first the new sessions of the group, one statement each:
 * insert into tutors (id, name, email) values (...), (...) on conflict (id) do nothing;
 * insert into sessions (...) values (...), (...) on conflict (id, scheduled_time) do nothing returning id;
 * insert into reschedules (...) values (...), (...);
 * -- then the payloads of sessions stored already (or earlier in the group), decided in order:
 * select * from sessions where id in (...) order by tutor_id, id for update;
 * select * from reschedules where session_id in (...);
 * update sessions s set status = v.status, completed_time = v.completed_time, duration_minutes = v.duration_minutes
 *   from (values (...), (...)) as v(id, status, completed_time, duration_minutes) where s.id = v.id;
 * insert into reschedules (...) values (...), (...);
 * -- when a statement is refused: each payload in a savepoint of its own, the same statements for one session
 * ```
 */
export async function ingestSessions(
  db: Database,
  payloads: Iterable<unknown>,
  options: IngestSessionsOptions = {},
): Promise<IngestResult[]> {
  let stored = 0;
  const outcome = () =>
    stored === 0
      ? 'the running transaction was rolled back, nothing was stored'
      : `the running transaction was rolled back; the ${stored} payloads committed before stay (deliver the rest again: ingest is idempotent)`;
  return inCall(db, 'ingestSessions', () => abortable('ingestSessions', options.signal, () => ingestAll(db, payloads, (n) => (stored += n)), outcome));
}

/** Options of {@link ingestSessions}: `signal` stops it (the transaction open rolls back, those committed stay). */
export type IngestSessionsOptions = AbortableOptions;

/** {@link ingestSessions} itself; `onStored` counts the payloads of each committed transaction. */
async function ingestAll(db: Database, payloads: Iterable<unknown>, onStored: (count: number) => void): Promise<IngestResult[]> {
  const results: IngestResult[] = [];
  const pending = parsePayloads(payloads, results);
  const attempts = new Map<number, number>();
  let start = 0;
  while (start < pending.length) {
    const group = pending.slice(start, start + GROUP_SIZE);
    const written: IngestResult[] = [];
    let lostTo: unknown;
    await abortPoint(); // PGlite: an abort takes effect here, between transactions
    await db.transaction(async (tx) => {
      const bulk = await insertNewSessions(tx, group);
      const inserted = bulk ?? new Set<Pending>();
      const rest = group.filter((entry) => !inserted.has(entry));
      const settled = bulk && rest.length > 0 ? await writeStored(tx, rest) : undefined;
      for (const tutor of bulk ? [] : tutorsFirst(group)) {
        // Only to serve the payloads that name it by id alone: a failure here is reported by the payload it came with.
        await tx.transaction((sp) => sp.insert(tutors).values(tutor).onConflictDoNothing({ target: tutors.id })).catch(() => undefined);
      }
      for (const entry of group) {
        const { rows } = entry;
        if (inserted.has(entry)) {
          written.push({ sessionId: rows.session.id, outcome: 'inserted' });
          continue;
        }
        const result = settled?.get(entry);
        if (result) {
          written.push(result);
          continue;
        }
        try {
          written.push({ sessionId: rows.session.id, outcome: await writeInSavepoint(tx, rows) });
        } catch (caught) {
          if (RETRYABLE.has(sqlStateOf(caught) ?? '')) {
            lostTo = caught;
            break; // commit what is written; this payload starts the next transaction
          }
          const error = translateDatabaseError(caught);
          if (!isRefusal(error)) throw error;
          written.push({ sessionId: rows.session.id, outcome: 'refused', error });
        }
      }
    });
    for (const [i, result] of written.entries()) results[group[i]!.index] = result;
    onStored(written.length);
    start += written.length;
    if (lostTo !== undefined) {
      const index = pending[start]!.index;
      const tries = (attempts.get(index) ?? 0) + 1;
      attempts.set(index, tries);
      if (tries >= MAX_ATTEMPTS) throw translateDatabaseError(lostTo);
    }
  }
  return results;
}

/**
 * Parses every payload, recording a refusal in `results` (one entry per payload, in order) for those the schema
 * refuses, and returns the others in lock order: (tutor id, session id), then delivery order.
 */
function parsePayloads(payloads: Iterable<unknown>, results: IngestResult[]): Pending[] {
  const pending: Pending[] = [];
  for (const payload of payloads) {
    const index = results.length;
    const sessionId = sessionIdOf(payload);
    results.push({ sessionId, outcome: 'refused' });
    try {
      const rows = parseRow(sessionPayloadSchema, payload, sessionId === null ? 'payload' : `payload of session ${sessionId}`);
      pending.push({ index, rows });
    } catch (error) {
      if (!isTqsError(error)) throw error;
      results[index] = { sessionId, outcome: 'refused', error };
    }
  }
  const key = (p: Pending) => [p.rows.session.tutorId, p.rows.session.id] as const;
  pending.sort((a, b) => {
    const [ka, kb] = [key(a), key(b)];
    return ka[0] < kb[0] ? -1 : ka[0] > kb[0] ? 1 : ka[1] < kb[1] ? -1 : ka[1] > kb[1] ? 1 : a.index - b.index;
  });
  return pending;
}

/**
 * Stores one session as the platform sends it, in one transaction: {@link ingestSessions} for one payload. A refusal
 * is returned, not thrown.
 *
 * @example
 * const result = await ingestSession(db, {
 *   id: '5b3c…', tutorId: '9f1e…', tutor: { name: 'Ada Byron', email: 'ada@example.org' },
 *   studentId: 'student-42', scheduledTime: '2026-01-15T16:00:00Z', status: 'scheduled',
 * });
 * // { sessionId: '5b3c…', outcome: 'inserted' }
 *
 * ```sql
 * -- that of ingestSessions, for one payload
 * insert into sessions (...) values (...) on conflict (id, scheduled_time) do nothing returning id;
 * ```
 */
export async function ingestSession(db: Database, payload: unknown): Promise<IngestResult> {
  const [result] = await ingestSessions(db, [payload]);
  return result!;
}
