import { sql } from 'drizzle-orm';
import postgres from 'postgres';
import { expect, it } from 'vitest';
import {
  claimPendingEmailReports,
  computeTutorScore,
  createDatabase,
  emailReports,
  findTutorByEmail,
  listHighRiskTutors,
  markFailed,
  markSent,
  queryRows,
  refreshTutorScores,
  sessions,
  type TqsDatabase,
  tutors,
  tutorScores,
} from '../src';
import { TEST_NOW } from '../src/testing';
import { describeEachBackend, openTestDatabase, postgresUrl, useDatabase } from './support/databases';
import { uuid } from './support/ids';

const DAY = 86_400_000;

/** A tutor with `sessions` sessions in the last week, `rescheduled` of them rescheduled by the tutor. */
async function tutorWithRate(db: TqsDatabase, n: number, total: number, rescheduled: number): Promise<string> {
  const id = uuid(n);
  await db.insert(tutors).values({ id, name: `Tutor ${n}`, email: `t${n}@example.org` });
  for (let i = 0; i < total; i++) {
    const scheduledTime = new Date(TEST_NOW.getTime() - (i + 1) * 3_600_000);
    // A rescheduled session and its reschedule commit together (reschedule_status_rule).
    await db.transaction(async (tx) => {
      const [session] = await tx
        .insert(sessions)
        .values({ tutorId: id, studentId: `s${i}`, scheduledTime, status: i < rescheduled ? 'rescheduled' : 'no_show' })
        .returning();
      if (i < rescheduled) {
        await tx.execute(
          sql`insert into reschedules (session_id, initiator, original_time, cancelled_at) values (${session?.id}, 'tutor', ${scheduledTime.toISOString()}::timestamptz, ${new Date(scheduledTime.getTime() - DAY).toISOString()}::timestamptz)`,
        );
      }
    });
  }
  return id;
}

describeEachBackend('API contract', (backend) => {
  let db: TqsDatabase;
  useDatabase(backend, (opened) => (db = opened));

  it('ids come back as the database writes them, whatever spelling was asked for', async () => {
    const id = await tutorWithRate(db, 1, 4, 1);
    const score = await computeTutorScore(db, id.toUpperCase(), { asOf: TEST_NOW });
    expect(score.tutorId).toBe(id);
    expect(score.riskCategory).toBe('high'); // 25 % in the 7-day window
  });

  it('emails are unique regardless of case, and the look-up by email ignores case through the index', async () => {
    await db.insert(tutors).values({ name: 'Ada', email: 'Ada@Example.org' });
    await expect(db.insert(tutors).values({ name: 'Ada 2', email: 'ada@example.ORG' })).rejects.toThrow();
    expect((await findTutorByEmail(db, 'ADA@EXAMPLE.ORG'))?.email).toBe('Ada@Example.org');
    expect(await findTutorByEmail(db, 'nobody@example.org')).toBeUndefined();
    const plan = await db.transaction(async (tx) => {
      await tx.execute(sql`set local enable_seqscan = off`);
      return queryRows<Record<string, string>>(tx, sql`explain select * from tutors where lower(email) = lower('ada@example.org')`);
    });
    expect(plan.map((row) => Object.values(row)[0]).join('\n')).toContain('tutors_email_unique');
  });

  it('risk_category is derived by the database from the highest rate, at the spec’s tier bounds', async () => {
    // 10 % is low, 20 % is medium, above 20 % high; no session at all gives no category.
    const low = await tutorWithRate(db, 10, 10, 1);
    const medium = await tutorWithRate(db, 11, 10, 2);
    const high = await tutorWithRate(db, 12, 9, 2);
    const none = uuid(13);
    await db.insert(tutors).values({ id: none, name: 'Idle' });
    await refreshTutorScores(db, { asOf: TEST_NOW, threshold: 5 });
    const rows = await db.select({ tutorId: tutorScores.tutorId, riskCategory: tutorScores.riskCategory }).from(tutorScores);
    const category = new Map(rows.map((r) => [r.tutorId, r.riskCategory]));
    expect([category.get(low), category.get(medium), category.get(high), category.get(none)]).toEqual(['low', 'medium', 'high', null]);
    const highOnly = await listHighRiskTutors(db, { riskCategories: ['high'], limit: 100 });
    expect(highOnly.tutors.every((t) => t.riskCategory === 'high')).toBe(true);
    expect(highOnly.tutors.map((t) => t.tutorId)).toContain(high);
  });

  it('listHighRiskTutors pages by cursor without skipping or repeating a tutor while scores refresh', async () => {
    for (let n = 20; n < 32; n++) await tutorWithRate(db, n, 4, 1 + (n % 3));
    await refreshTutorScores(db, { asOf: TEST_NOW, threshold: 5 });
    const all = (await listHighRiskTutors(db, { limit: 1000 })).tutors.map((t) => t.tutorId);
    const seen: string[] = [];
    let after: string | undefined;
    for (let page = 0; page < 100; page++) {
      const result = await listHighRiskTutors(db, { limit: 4, ...(after ? { after } : {}) });
      seen.push(...result.tutors.map((t) => t.tutorId));
      // A refresh between pages that changes nothing must not move the pages.
      await refreshTutorScores(db, { asOf: TEST_NOW, threshold: 5 });
      after = result.nextCursor;
      if (!after) break;
    }
    expect(seen).toEqual(all);
    await expect(listHighRiskTutors(db, { after: 'not-a-cursor' })).rejects.toThrow(/nextCursor/);
  });

  it('claimPendingEmailReports takes pending reports once, and a lapsed claim is taken again', async () => {
    const tutorId = await tutorWithRate(db, 40, 1, 0);
    const [session] = await db.select({ id: sessions.id }).from(sessions).where(sql`${sessions.tutorId} = ${tutorId}`);
    await db.insert(emailReports).values(
      Array.from({ length: 5 }, (_, i) => ({ sessionId: session!.id, recipientEmail: 'ops@example.org', sentAt: TEST_NOW, status: 'pending' as const, createdAt: new Date(TEST_NOW.getTime() + i) })),
    );
    const first = await claimPendingEmailReports(db, { limit: 3, leaseMs: 60_000 });
    const second = await claimPendingEmailReports(db, { limit: 3, leaseMs: 1 });
    expect(first).toHaveLength(3);
    expect(second).toHaveLength(2);
    expect(new Set([...first, ...second].map((r) => r.id)).size).toBe(5);
    await new Promise((resolve) => setTimeout(resolve, 20));
    const again = await claimPendingEmailReports(db, { limit: 10, leaseMs: 60_000 });
    expect(again.map((r) => r.id).sort()).toEqual(second.map((r) => r.id).sort());
    const sent = await markSent(db, first[0]!.id, { claimToken: first[0]!.claimToken });
    expect(sent).toMatchObject({ status: 'sent', claimedUntil: null });
    expect(await markFailed(db, first[1]!.id, 'mailbox full', { claimToken: first[1]!.claimToken })).toMatchObject({ status: 'pending', claimedUntil: null, errorMessage: 'mailbox full' });
    await expect(claimPendingEmailReports(db, { limit: 0 })).rejects.toThrow(/limit/);
  });
});

it.skipIf(!postgresUrl)('claimPendingEmailReports: 6 workers at once handle every report exactly once [postgres]', async () => {
  const db = await openTestDatabase({ name: 'postgres', url: postgresUrl as string });
  const REPORTS = 600;
  const WORKERS = 6;
  try {
    const tutorId = await tutorWithRate(db, 1, 1, 0);
    const [session] = await db.select({ id: sessions.id }).from(sessions).where(sql`${sessions.tutorId} = ${tutorId}`);
    await db.insert(emailReports).values(
      Array.from({ length: REPORTS }, () => ({ sessionId: session!.id, recipientEmail: 'ops@example.org', sentAt: TEST_NOW, status: 'pending' as const })),
    );
    const url = ((db as unknown as { $client: unknown }).$client as unknown as { options: { host: string[]; port: number[]; database: string; user: string } }).options;
    const handled = new Map<string, number>();
    const workers = await Promise.all(
      Array.from({ length: WORKERS }, async () => {
        const sql2 = postgres({ host: url.host[0], port: url.port[0], database: url.database, username: url.user, max: 2, onnotice: () => {} });
        const worker = await createDatabase({ client: sql2, closeClient: true });
        let rounds = 0;
        try {
          for (; rounds < 500; rounds++) {
            const claimed = await claimPendingEmailReports(worker, { limit: 7, leaseMs: 60_000 });
            if (claimed.length === 0) break;
            for (const report of claimed) {
              handled.set(report.id, (handled.get(report.id) ?? 0) + 1);
              await markSent(worker, report.id, { claimToken: report.claimToken });
            }
          }
        } finally {
          await worker.close();
        }
        return rounds;
      }),
    );
    const twice = [...handled.values()].filter((n) => n > 1).length;
    const [left] = await queryRows<{ n: number }>(db, sql`select count(*)::int as n from email_reports where status <> 'sent'`);
    console.log(`claim queue [postgres]: ${WORKERS} workers, ${REPORTS} reports, ${handled.size} handled, ${twice} handled twice, rounds ${workers.join('/')}`);
    expect(handled.size).toBe(REPORTS);
    expect(twice).toBe(0);
    expect(left?.n).toBe(0);
  } finally {
    await db.close();
  }
});
