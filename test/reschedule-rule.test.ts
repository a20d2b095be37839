import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eq, sql } from 'drizzle-orm';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  clearDatabase,
  ConstraintViolationError,
  createDatabase,
  type Database,
  generateDataset,
  insertDataset,
  migrate,
  MigrationError,
  queryRows,
  readMigrations,
  reschedules,
  rollback,
  sessions,
  type TqsDatabase,
  translateDatabaseError,
  tutors,
} from '../src';
import { catalogSnapshot } from './support/catalog';
import { describeEachBackend, useDatabase } from './support/databases';
import { uuid } from './support/ids';

const HOUR = 3_600_000;
const TUTOR = uuid(1);
const OTHER_TUTOR = uuid(2);
const at = (hours: number) => new Date(Date.UTC(2025, 0, 6, 15) + hours * HOUR);

/** This migration's tag, found by name: its number is the journal's business (it may change at a merge). */
const tags = readMigrations().map((m) => m.tag);
const ruleIndex = tags.findIndex((tag) => tag.endsWith('_reschedule_status_rule'));
const ruleTag = tags[ruleIndex] as string;
const beforeRule = tags[ruleIndex - 1] as string;

let next = 100;
/** A session row of TUTOR (or `tutorId`) with a fresh id and time. */
function sessionRow(status: 'completed' | 'rescheduled' | 'no_show', tutorId = TUTOR) {
  next += 1;
  const scheduledTime = at(next);
  return {
    id: uuid(next),
    tutorId,
    studentId: 'student',
    scheduledTime,
    status,
    completedTime: status === 'completed' ? new Date(scheduledTime.getTime() + HOUR) : null,
    durationMinutes: status === 'completed' ? 60 : null,
  };
}

/** The reschedule of `session`, which it must reference by (id, scheduled_time). */
const rescheduleOf = (session: { id: string; scheduledTime: Date }) => ({
  sessionId: session.id,
  initiator: 'tutor' as const,
  originalTime: session.scheduledTime,
  cancelledAt: new Date(session.scheduledTime.getTime() - 5 * HOUR),
});

/** The error `work` ends with (its commit included), translated as the package translates it; undefined if none. */
async function failureOf(work: () => Promise<unknown>): Promise<unknown> {
  try {
    await work();
    return undefined;
  } catch (error) {
    return translateDatabaseError(error);
  }
}

function expectRuleViolation(error: unknown, sessionId: string | undefined, says: RegExp): ConstraintViolationError {
  expect(error).toBeInstanceOf(ConstraintViolationError);
  const violation = error as ConstraintViolationError;
  expect(violation.code).toBe('CONSTRAINT_VIOLATION');
  expect(violation.constraint).toBe('reschedule_status_rule');
  expect(violation.sqlState).toBe('23T01');
  expect(violation.message).not.toContain('\n');
  expect(violation.message).toMatch(/^reschedule_status_rule: a session has a reschedules row exactly when its status is 'rescheduled'/);
  expect(violation.message).toMatch(/\(session [0-9a-f-]{36} has .*\)$/);
  if (sessionId) expect(violation.message).toContain(`session ${sessionId}`);
  expect(violation.message).toMatch(says);
  return violation;
}

async function count(db: Database, table: 'sessions' | 'reschedules' | 'reschedule_rule_pending' | 'reschedule_rule_checks') {
  const [row] = await queryRows<{ n: number }>(db, sql`select count(*)::int as n from ${sql.identifier(table)}`);
  return row!.n;
}

async function bulkNotes(): Promise<number> {
  const [row] = await queryRows<{ n: number }>(currentDb!, sql`select count(*)::int as n from tqs_bulk_load_notes`);
  return row!.n;
}
let currentDb: Database | undefined;

async function statusOf(db: Database, id: string) {
  const [row] = await db.select({ status: sessions.status }).from(sessions).where(eq(sessions.id, id));
  const [r] = await db.select({ id: reschedules.id }).from(reschedules).where(eq(reschedules.sessionId, id));
  return { status: row?.status, hasReschedule: r !== undefined };
}

describeEachBackend('reschedule_status_rule', (backend) => {
  let db: TqsDatabase;

  useDatabase(backend, (opened) => (currentDb = db = opened));
  beforeAll(async () => {
    await db.insert(tutors).values([
      { id: TUTOR, name: 'Ann Tutor' },
      { id: OTHER_TUTOR, name: 'Ben Tutor' },
    ]);
  });
  beforeEach(async () => {
    // Whatever a test did, no note of the check outlives its transaction.
    expect(await count(db, 'reschedule_rule_pending')).toBe(0);
    expect(await count(db, 'reschedule_rule_checks')).toBe(0);
  });

  describe('written in either order in one transaction', () => {
    it('a rescheduled session, then its reschedule', async () => {
      const session = sessionRow('rescheduled');
      await db.transaction(async (tx) => {
        await tx.insert(sessions).values(session);
        await tx.insert(reschedules).values(rescheduleOf(session));
      });
      expect(await statusOf(db, session.id)).toEqual({ status: 'rescheduled', hasReschedule: true });
    });

    it('a reschedule, then its new session (the foreign key deferred for it)', async () => {
      const session = sessionRow('rescheduled');
      await db.transaction(async (tx) => {
        await tx.execute(sql`set constraints reschedules_session_fk deferred`);
        await tx.insert(reschedules).values(rescheduleOf(session));
        await tx.insert(sessions).values(session);
      });
      expect(await statusOf(db, session.id)).toEqual({ status: 'rescheduled', hasReschedule: true });
    });

    it('an existing session: its reschedule then its status, or its status then its reschedule', async () => {
      const first = sessionRow('no_show');
      const second = sessionRow('completed');
      await db.insert(sessions).values([first, second]);
      await db.transaction(async (tx) => {
        await tx.insert(reschedules).values(rescheduleOf(first));
        await tx.update(sessions).set({ status: 'rescheduled' }).where(eq(sessions.id, first.id));
      });
      await db.transaction(async (tx) => {
        await tx
          .update(sessions)
          .set({ status: 'rescheduled', completedTime: null, durationMinutes: null })
          .where(eq(sessions.id, second.id));
        await tx.insert(reschedules).values(rescheduleOf(second));
      });
      expect(await statusOf(db, first.id)).toEqual({ status: 'rescheduled', hasReschedule: true });
      expect(await statusOf(db, second.id)).toEqual({ status: 'rescheduled', hasReschedule: true });
    });

    it('many pairs in two statements, and a reschedule moved to another session with both statuses following', async () => {
      const many = Array.from({ length: 500 }, () => sessionRow('rescheduled'));
      await db.transaction(async (tx) => {
        await tx.insert(sessions).values(many);
        await tx.insert(reschedules).values(many.map(rescheduleOf));
      });
      // A reschedule's session_id moves only with its original_time (the foreign key): to a session at the same time.
      const from = many[0]!;
      const to = { ...sessionRow('no_show'), scheduledTime: from.scheduledTime };
      await db.insert(sessions).values(to);
      await db.transaction(async (tx) => {
        await tx.update(reschedules).set({ sessionId: to.id }).where(eq(reschedules.sessionId, from.id));
        await tx.update(sessions).set({ status: 'no_show' }).where(eq(sessions.id, from.id));
        await tx.update(sessions).set({ status: 'rescheduled' }).where(eq(sessions.id, to.id));
      });
      expect(await statusOf(db, from.id)).toEqual({ status: 'no_show', hasReschedule: false });
      expect(await statusOf(db, to.id)).toEqual({ status: 'rescheduled', hasReschedule: true });
    });
  });

  describe('refused at commit when they disagree, naming the rule, the session and which way', () => {
    it("a session written as 'rescheduled' without its reschedule", async () => {
      const session = sessionRow('rescheduled');
      const error = await failureOf(() => db.insert(sessions).values(session));
      expectRuleViolation(error, session.id, /has status 'rescheduled' but no reschedules row/);
      expect(await statusOf(db, session.id)).toEqual({ status: undefined, hasReschedule: false });
    });

    it("a reschedule of a 'completed' session; the count of the others that disagree", async () => {
      const completed = [sessionRow('completed'), sessionRow('completed')];
      await db.insert(sessions).values(completed);
      const error = await failureOf(() => db.insert(reschedules).values(completed.map(rescheduleOf)));
      const first = [...completed].sort((a, b) => a.id.localeCompare(b.id))[0]!;
      expectRuleViolation(error, first.id, /has a reschedules row \([0-9a-f-]{36}\) but its status is 'completed', not 'rescheduled' \(and 1 more sessions disagree\)/);
      for (const session of completed) expect(await statusOf(db, session.id)).toEqual({ status: 'completed', hasReschedule: false });
    });

    it("a status changed away from 'rescheduled' while its reschedule stays", async () => {
      const session = await pair();
      const error = await failureOf(() => db.update(sessions).set({ status: 'no_show' }).where(eq(sessions.id, session.id)));
      expectRuleViolation(error, session.id, /but its status is 'no_show'/);
      expect(await statusOf(db, session.id)).toEqual({ status: 'rescheduled', hasReschedule: true });
    });

    it('the reschedule deleted alone; deleted with its session, or with the status changed, it passes', async () => {
      const [kept, gone, changed] = [await pair(), await pair(), await pair()];
      const error = await failureOf(() => db.delete(reschedules).where(eq(reschedules.sessionId, kept.id)));
      expectRuleViolation(error, kept.id, /has status 'rescheduled' but no reschedules row/);
      expect(await statusOf(db, kept.id)).toEqual({ status: 'rescheduled', hasReschedule: true });

      await db.transaction(async (tx) => {
        await tx.delete(reschedules).where(eq(reschedules.sessionId, gone.id));
        await tx.delete(sessions).where(eq(sessions.id, gone.id));
        await tx.delete(reschedules).where(eq(reschedules.sessionId, changed.id));
        await tx.update(sessions).set({ status: 'no_show' }).where(eq(sessions.id, changed.id));
      });
      expect(await statusOf(db, gone.id)).toEqual({ status: undefined, hasReschedule: false });
      expect(await statusOf(db, changed.id)).toEqual({ status: 'no_show', hasReschedule: false });
      // A session deleted alone takes its reschedule with it (ON DELETE CASCADE): nothing disagrees.
      await db.delete(sessions).where(eq(sessions.id, kept.id));
      expect(await statusOf(db, kept.id)).toEqual({ status: undefined, hasReschedule: false });
    });

    it('the reschedule deleted after its session moved in time (the foreign key deferred): still refused', async () => {
      // The trigger looks the session up by (id, time) first (0016); one moved in this transaction is found by id alone.
      const moved = await pair();
      const error = await failureOf(() =>
        db.transaction(async (tx) => {
          await tx.execute(sql`set constraints reschedules_session_fk deferred`);
          await tx.update(sessions).set({ scheduledTime: new Date(moved.scheduledTime.getTime() + HOUR) }).where(eq(sessions.id, moved.id));
          await tx.delete(reschedules).where(eq(reschedules.sessionId, moved.id));
        }),
      );
      expectRuleViolation(error, moved.id, /has status 'rescheduled' but no reschedules row/);
      expect(await statusOf(db, moved.id)).toEqual({ status: 'rescheduled', hasReschedule: true });
    });

    it('SET CONSTRAINTS ALL IMMEDIATE checks at the end of each statement instead', async () => {
      const session = sessionRow('rescheduled');
      const error = await failureOf(() =>
        db.transaction(async (tx) => {
          await tx.execute(sql`set constraints all immediate`);
          await tx.insert(sessions).values(session);
          throw new Error('not reached: the insert itself is refused');
        }),
      );
      expectRuleViolation(error, session.id, /no reschedules row/);
    });

    it('inside a savepoint the check still waits for the commit; a savepoint rolled back takes its writes and notes', async () => {
      const refused = sessionRow('rescheduled');
      const undone = sessionRow('rescheduled');
      const kept = sessionRow('no_show');
      const error = await failureOf(() =>
        db.transaction(async (tx) => {
          await tx.transaction(async (savepoint) => savepoint.insert(sessions).values(refused));
        }),
      );
      expectRuleViolation(error, refused.id, /no reschedules row/);

      await db.transaction(async (tx) => {
        await tx
          .transaction(async (savepoint) => {
            await savepoint.insert(sessions).values(undone);
            throw new Error('roll the savepoint back');
          })
          .catch(() => {});
        await tx.insert(sessions).values(kept);
      });
      expect(await statusOf(db, undone.id)).toEqual({ status: undefined, hasReschedule: false });
      expect(await statusOf(db, kept.id)).toEqual({ status: 'no_show', hasReschedule: false });
    });

    it('TRUNCATE of reschedules alone is refused; clearDatabase (every table at once) is not', async () => {
      const session = await pair();
      // Every 'rescheduled' session loses its row: the error names the first of them.
      const error = await failureOf(() => db.execute(sql`truncate reschedules`));
      expectRuleViolation(error, undefined, /has status 'rescheduled' but no reschedules row \(and \d+ more sessions disagree\)/);
      expect(await statusOf(db, session.id)).toEqual({ status: 'rescheduled', hasReschedule: true });
      await clearDatabase(db, { confirm: true });
      expect(await count(db, 'sessions')).toBe(0);
      await db.insert(tutors).values([
        { id: TUTOR, name: 'Ann Tutor' },
        { id: OTHER_TUTOR, name: 'Ben Tutor' },
      ]);
    });
  });

  describe('insertDataset', () => {
    it('loads a generated dataset (which keeps the rule), and refuses one that breaks it at commit, writing nothing', async () => {
      const dataset = generateDataset({ tutors: 5, sessions: 300, seed: 7, now: new Date('2025-06-01T00:00:00Z') });
      const rescheduledIds = dataset.sessions.filter((s) => s.status === 'rescheduled').map((s) => s.id).sort();
      expect(dataset.reschedules.map((r) => r.sessionId).sort()).toEqual(rescheduledIds);
      expect(rescheduledIds.length).toBeGreaterThan(0);

      const kept = await pair();
      const broken = { ...dataset, reschedules: dataset.reschedules.slice(1) };
      const error = await failureOf(() => insertDataset(db, broken, { clearExisting: true }));
      const violation = error as ConstraintViolationError;
      expect(violation).toBeInstanceOf(ConstraintViolationError);
      expect(violation.constraint).toBe('reschedule_status_rule');
      expect(violation.message).toMatch(/^insertDataset: at the end of the load: reschedule_status_rule: /);
      expect(violation.message).toContain(`session ${dataset.reschedules[0]!.sessionId} has status 'rescheduled' but no reschedules row`);
      expect(await statusOf(db, kept.id)).toEqual({ status: 'rescheduled', hasReschedule: true }); // not cleared
      expect(await count(db, 'sessions')).toBe(1);

      const result = await insertDataset(db, dataset, { clearExisting: true, refreshScores: false });
      expect(result.rows.reschedules).toBe(rescheduledIds.length);
      expect(await count(db, 'reschedules')).toBe(rescheduledIds.length);
      await clearDatabase(db, { confirm: true });
      await db.insert(tutors).values([
        { id: TUTOR, name: 'Ann Tutor' },
        { id: OTHER_TUTOR, name: 'Ben Tutor' },
      ]);
    });
  });

  describe('bulk load mode (tqs_begin_bulk_load, migration 0013)', () => {
    it('a load whose reschedule belongs to a session that is not rescheduled is refused at the end of the load', async () => {
      const dataset = generateDataset({ tutors: 5, sessions: 300, seed: 8, now: new Date('2025-06-01T00:00:00Z') });
      const target = dataset.reschedules[0]!.sessionId;
      const broken = {
        ...dataset,
        sessions: dataset.sessions.map((row) =>
          row.id === target ? { ...row, status: 'no_show' as const, completedTime: null, durationMinutes: null } : row,
        ),
      };
      const error = await failureOf(() => insertDataset(db, broken, { refreshScores: false }));
      const violation = error as ConstraintViolationError;
      expect(violation).toBeInstanceOf(ConstraintViolationError);
      expect(violation.constraint).toBe('reschedule_status_rule');
      expect(violation.sqlState).toBe('23T01');
      expect(violation.message).toMatch(/^insertDataset: at the end of the load: reschedule_status_rule: /);
      expect(violation.message).toMatch(new RegExp(`session ${target} has a reschedules row .* but its status is 'no_show'`));
      expect(await count(db, 'reschedules')).toBe(0);
      expect(await bulkNotes()).toBe(0);
    });

    it('a session that enters load mode itself cannot commit a violation, even deleting its load note', async () => {
      const lonely = sessionRow('rescheduled');
      const error = await failureOf(() =>
        db.transaction(async (tx) => {
          await tx.execute(sql`select tqs_begin_bulk_load()`);
          await tx.insert(sessions).values(lonely);
          // Nothing was noted per statement: the check is the one pass queued by tqs_begin_bulk_load.
          expect(await count(tx, 'reschedule_rule_pending')).toBe(0);
        }),
      );
      expectRuleViolation(error, lonely.id, /no reschedules row/);

      const again = sessionRow('rescheduled');
      const tampered = await failureOf(() =>
        db.transaction(async (tx) => {
          await tx.execute(sql`select tqs_begin_bulk_load()`);
          await tx.insert(sessions).values(again);
          await tx.execute(sql`delete from tqs_bulk_load_notes where kind = 'load'`);
          await tx.execute(sql`set constraints all deferred`);
        }),
      );
      expectRuleViolation(tampered, again.id, /no reschedules row/);
      expect(await statusOf(db, lonely.id)).toEqual({ status: undefined, hasReschedule: false });
      expect(await statusOf(db, again.id)).toEqual({ status: undefined, hasReschedule: false });
      expect(await bulkNotes()).toBe(0);
    });

    it('in load mode a pair commits, and the fleet counts and the score queue come out as without it', async () => {
      const session = sessionRow('rescheduled', OTHER_TUTOR);
      await db.transaction(async (tx) => {
        await tx.execute(sql`select tqs_begin_bulk_load()`);
        await tx.insert(sessions).values(session);
        await tx.insert(reschedules).values(rescheduleOf(session));
      });
      expect(await statusOf(db, session.id)).toEqual({ status: 'rescheduled', hasReschedule: true });
      const kept = await queryRows<{ kind: string; bucket: string; key: string; count: string }>(
        db,
        sql`select kind, bucket::text, key, count::text from fleet_counts order by 1, 2, 3`,
      );
      await db.execute(sql`select tqs_recount_fleet_counts()`);
      const recounted = await queryRows<{ kind: string; bucket: string; key: string; count: string }>(
        db,
        sql`select kind, bucket::text, key, count::text from fleet_counts order by 1, 2, 3`,
      );
      expect(kept).toEqual(recounted);
      expect(kept.filter((r) => r.kind !== 'status').length).toBe(3);
      const queued = await queryRows<{ n: number }>(db, sql`select count(*)::int as n from tutor_score_changes where tutor_id = ${OTHER_TUTOR}`);
      expect(queued[0]!.n).toBeGreaterThan(0);
      expect(await bulkNotes()).toBe(0);
    });
  });

  if (backend.name === 'postgres') {
    it('two writers of different tutors do not wait on each other', async () => {
      const mine = sessionRow('rescheduled', TUTOR);
      const theirs = sessionRow('rescheduled', OTHER_TUTOR);
      let release!: () => void;
      const released = new Promise<void>((resolve) => {
        release = resolve;
      });
      let started!: () => void;
      const isOpen = new Promise<void>((resolve) => {
        started = resolve;
      });
      // The first writer has noted its session and queued its check, and stays open.
      const first = db.transaction(async (tx) => {
        await tx.insert(sessions).values(mine);
        started();
        await released;
        await tx.insert(reschedules).values(rescheduleOf(mine));
      });
      await isOpen;
      // The second commits its own pair meanwhile, without waiting for any lock of the first.
      await db.transaction(async (tx) => {
        await tx.execute(sql`set local lock_timeout = '2s'`);
        await tx.insert(sessions).values(theirs);
        await tx.insert(reschedules).values(rescheduleOf(theirs));
      });
      expect(await statusOf(db, theirs.id)).toEqual({ status: 'rescheduled', hasReschedule: true });
      release();
      await first;
      expect(await statusOf(db, mine.id)).toEqual({ status: 'rescheduled', hasReschedule: true });
    });
  }

  /** A committed rescheduled session with its reschedule. */
  async function pair() {
    const session = sessionRow('rescheduled');
    await db.transaction(async (tx) => {
      await tx.insert(sessions).values(session);
      await tx.insert(reschedules).values(rescheduleOf(session));
    });
    return session;
  }
});

describeEachBackend('reschedule_status_rule migration', (backend) => {
  let db: TqsDatabase;

  useDatabase(backend, (opened) => (db = opened));

  it('refuses when rows already break the rule, counting both kinds, and changes nothing', async () => {
    await rollback(db, { to: beforeRule });
    const before = await catalogSnapshot(db);
    await db.insert(tutors).values({ id: TUTOR, name: 'Ann Tutor' });
    const lonely = [sessionRow('rescheduled'), sessionRow('rescheduled')];
    const completed = sessionRow('completed');
    const fine = sessionRow('rescheduled');
    await db.insert(sessions).values([...lonely, completed, fine]);
    await db.insert(reschedules).values([rescheduleOf(completed), rescheduleOf(fine)]);

    const error = await migrate(db).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(MigrationError);
    const refused = error as MigrationError;
    expect(refused.migration).toBe(ruleTag);
    expect(refused.message).toContain('cannot add reschedule_status_rule');
    expect(refused.message).toContain(`2 sessions have status 'rescheduled' but no reschedules row (e.g. session ${lonely[0]!.id})`);
    expect(refused.message).toContain(`1 reschedules rows belong to a session whose status is not 'rescheduled' (e.g. session ${completed.id})`);
    expect(await catalogSnapshot(db)).toEqual(before);
    expect(await count(db, 'sessions')).toBe(4);
    expect(await count(db, 'reschedules')).toBe(2);

    // Corrected, the same migrations apply.
    await db.delete(reschedules).where(eq(reschedules.sessionId, completed.id));
    await db.update(sessions).set({ status: 'no_show' }).where(eq(sessions.id, lonely[0]!.id));
    await db.update(sessions).set({ status: 'no_show' }).where(eq(sessions.id, lonely[1]!.id));
    expect((await migrate(db)).applied).toEqual(tags.slice(ruleIndex));
  });

  it('down then up: the rule goes with its down file and comes back with the migration, rows kept', async () => {
    const migrated = await catalogSnapshot(db);
    const sessionsBefore = await count(db, 'sessions');
    expect(await rollback(db, { to: beforeRule })).toEqual({ rolledBack: tags.slice(ruleIndex).reverse(), rowsDropped: [] });
    const down = await catalogSnapshot(db);
    expect(down.relations.map((r) => r.name).filter((name) => name.startsWith('reschedule_rule'))).toEqual([]);
    expect(down.functions.map((f) => f.name).filter((name) => name.startsWith('tqs_reschedule_rule'))).toEqual([]);
    // Without the rule, a lonely rescheduled session commits (and is removed again before migrating).
    const lonely = sessionRow('rescheduled');
    await db.insert(sessions).values(lonely);
    await db.delete(sessions).where(eq(sessions.id, lonely.id));

    await migrate(db);
    expect(await catalogSnapshot(db)).toEqual(migrated);
    expect(await count(db, 'sessions')).toBe(sessionsBefore);
    const again = sessionRow('rescheduled');
    expectRuleViolation(await failureOf(() => db.insert(sessions).values(again)), again.id, /no reschedules row/);
  });
});

describe('reschedule_status_rule on a PGlite data directory reopened', () => {
  it('holds after a restart (the unlogged note tables come back empty)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tqs-rule-'));
    try {
      const first = await createDatabase({ dataDir: join(dir, 'pglite') });
      await migrate(first);
      await first.insert(tutors).values({ id: TUTOR, name: 'Ann Tutor' });
      await first.close();
      const second = await createDatabase({ dataDir: join(dir, 'pglite') });
      try {
        const session = sessionRow('rescheduled');
        expectRuleViolation(await failureOf(() => second.insert(sessions).values(session)), session.id, /no reschedules row/);
      } finally {
        await second.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
