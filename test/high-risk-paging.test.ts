import { expect, it } from 'vitest';
import { isTqsError, listHighRiskTutors, refreshTutorScores, reschedules, sessions, type TqsDatabase, tutors } from '../src';
import { TEST_NOW } from '../src/testing';
import { describeEachBackend, useDatabase } from './support/databases';
import { uuid } from './support/ids';

const HOUR = 3_600_000;

/** `count` tutors, each with 10 sessions in the last week, 2 + (n % 5) of them rescheduled by the tutor: all flagged. */
async function flaggedTutors(db: TqsDatabase, count: number): Promise<string[]> {
  const ids = Array.from({ length: count }, (_, n) => uuid(1000 + n));
  await db.insert(tutors).values(ids.map((id, n) => ({ id, name: `Flagged ${n}` })));
  // A rescheduled session and its reschedule commit together (reschedule_status_rule).
  await db.transaction(async (tx) => {
    const rows = ids.flatMap((tutorId, n) =>
      Array.from({ length: 10 }, (_, i) => ({
        tutorId,
        studentId: `s${i}`,
        scheduledTime: new Date(TEST_NOW.getTime() - (i + 1) * HOUR),
        status: i < 2 + (n % 5) ? ('rescheduled' as const) : ('no_show' as const),
      })),
    );
    const inserted = await tx.insert(sessions).values(rows).returning();
    const moved = inserted.filter((s) => s.status === 'rescheduled');
    await tx.insert(reschedules).values(
      moved.map((s) => ({ sessionId: s.id, initiator: 'tutor' as const, originalTime: s.scheduledTime, cancelledAt: new Date(s.scheduledTime.getTime() - HOUR) })),
    );
  });
  return ids;
}

/** Every page by cursor, with a refresh between two pages; the pages' totals and cursors as they came. */
async function pageThrough(db: TqsDatabase, limit: number) {
  const pages: { ids: string[]; total: number; nextCursor: string | undefined }[] = [];
  let after: string | undefined;
  for (let n = 0; n < 100; n++) {
    const page = await listHighRiskTutors(db, { limit, ...(after ? { after } : {}) });
    pages.push({ ids: page.tutors.map((t) => t.tutorId), total: page.total, nextCursor: page.nextCursor });
    await refreshTutorScores(db, { asOf: TEST_NOW });
    after = page.nextCursor;
    if (!after) break;
  }
  return pages;
}

describeEachBackend('listHighRiskTutors paging', (backend) => {
  let db: TqsDatabase;
  let all: string[];
  useDatabase(backend, (opened) => (db = opened));

  it('counts every flagged tutor on every page, and a full last page has no cursor', async () => {
    await flaggedTutors(db, 40);
    await refreshTutorScores(db, { asOf: TEST_NOW });
    all = (await listHighRiskTutors(db, { limit: 1000 })).tutors.map((t) => t.tutorId);
    expect(all).toHaveLength(40);

    const full = await pageThrough(db, 8);
    expect(full.map((p) => p.ids.length)).toEqual([8, 8, 8, 8, 8]);
    expect(full.map((p) => p.total)).toEqual([40, 40, 40, 40, 40]);
    expect(full.map((p) => p.nextCursor === undefined)).toEqual([false, false, false, false, true]);
    expect(full.flatMap((p) => p.ids)).toEqual(all);

    const partial = await pageThrough(db, 7);
    expect(partial.map((p) => p.ids.length)).toEqual([7, 7, 7, 7, 7, 5]);
    expect(partial.map((p) => p.total)).toEqual([40, 40, 40, 40, 40, 40]);
    expect(partial.at(-1)?.nextCursor).toBeUndefined();
    expect(partial.flatMap((p) => p.ids)).toEqual(all);
  });

  it('counts the filter, not the rows after the cursor, with offset too', async () => {
    const high = await listHighRiskTutors(db, { riskCategories: ['high'], limit: 1000 });
    const second = await listHighRiskTutors(db, { riskCategories: ['high'], limit: 3, offset: 3 });
    expect(second.total).toBe(high.total);
    expect((await listHighRiskTutors(db, { limit: 5, offset: 38 })).nextCursor).toBeUndefined();
    expect(await listHighRiskTutors(db, { limit: 5, offset: 40 })).toMatchObject({ tutors: [], total: 40, nextCursor: undefined });
  });

  it('refuses a bad cursor or limit with INVALID_OPTION naming the option', async () => {
    for (const [options, option] of [
      [{ after: 'not-a-cursor' }, 'after'],
      [{ limit: -1 }, 'limit'],
      [{ offset: 1.5 }, 'offset'],
      [{ riskCategories: ['extreme'] }, 'riskCategories'],
    ] as const) {
      const error: unknown = await listHighRiskTutors(db, options as never).catch((e: unknown) => e);
      expect(isTqsError(error) && error.code === 'INVALID_OPTION' && (error as { option?: string }).option).toBe(option);
    }
  });
});
