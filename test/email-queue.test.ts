import { eq, sql } from 'drizzle-orm';
import { expect, it } from 'vitest';
import {
  claimPendingEmailReports,
  ClaimLostError,
  emailReports,
  listDeadEmailReports,
  markFailed,
  markSent,
  operationsStatus,
  EMAIL_REPORTS_CHANNEL,
  queryRows,
  rawClient,
  releaseEmailReport,
  reviveEmailReport,
  runEmailWorker,
  type TqsDatabase,
  waitForEmailReports,
} from '../src';
import { describeEachBackend, useDatabase } from './support/databases';
import { seedReports, T0, until } from './support/email-reports';
import { uuid } from './support/ids';

const refusal = (promise: Promise<unknown>) =>
  promise.then(
    () => undefined,
    (error: unknown) => error,
  );

describeEachBackend('email claim queue', (backend) => {
  let db: TqsDatabase;
  useDatabase(backend, (opened) => (db = opened), { clearBeforeEach: true });
  const read = async (id: string) => (await db.select().from(emailReports).where(eq(emailReports.id, id)))[0]!;

  it('fencing: a late close after the lease lapsed and another worker claimed is refused with CLAIM_LOST and changes nothing', async () => {
    const [id] = await seedReports(db, 1);
    const [first] = await claimPendingEmailReports(db, { leaseMs: 50 });
    expect(first).toMatchObject({ id, attempts: 1, status: 'pending' });
    expect(first!.claimToken).toMatch(/^[0-9a-f-]{36}$/);
    const second = await until(async () => (await claimPendingEmailReports(db, { leaseMs: 60_000 }))[0], 'the lease to lapse');
    expect(second).toMatchObject({ id, attempts: 2 });
    expect(second.claimToken).not.toBe(first!.claimToken);
    const held = await read(id!);

    for (const late of [
      () => markSent(db, id!, { claimToken: first!.claimToken }),
      () => markFailed(db, id!, 'late', { claimToken: first!.claimToken }),
      () => markSent(db, id!), // no token on a report that went through the queue
      () => releaseEmailReport(db, id!, { claimToken: first!.claimToken }),
    ]) {
      const error = await refusal(late());
      expect(error).toBeInstanceOf(ClaimLostError);
      expect(error).toMatchObject({ code: 'CLAIM_LOST', reportId: id, status: 'pending' });
      expect(await read(id!)).toEqual(held);
    }
    const sent = await markSent(db, id!, { claimToken: second.claimToken });
    expect(sent).toMatchObject({ status: 'sent', claimedUntil: null, errorMessage: null, attempts: 2 });
    // Repeating the close that succeeded (its answer was lost) returns the row unchanged; anything else is refused.
    expect(await markSent(db, id!, { claimToken: second.claimToken })).toEqual(sent);
    expect(await refusal(markFailed(db, id!, 'after sent', { claimToken: second.claimToken }))).toMatchObject({ code: 'CLAIM_LOST', status: 'sent' });
    expect(await refusal(markSent(db, id!, { claimToken: first!.claimToken }))).toMatchObject({ code: 'CLAIM_LOST' });
    expect(await read(id!)).toEqual(sent);
  });

  it('a foreign token (another report’s) is refused; a malformed one is an INVALID_OPTION; an unknown id NOT_FOUND', async () => {
    const [a, b] = await seedReports(db, 2);
    const claimed = await claimPendingEmailReports(db, { limit: 2 });
    const tokenOf = (id: string) => claimed.find((r) => r.id === id)!.claimToken;
    expect(await refusal(markSent(db, a!, { claimToken: tokenOf(b!) }))).toMatchObject({ code: 'CLAIM_LOST' });
    expect(await refusal(markSent(db, a!, { claimToken: 'nope' }))).toMatchObject({ code: 'INVALID_OPTION', option: 'claimToken' });
    expect(await refusal(markSent(db, uuid(9), { claimToken: tokenOf(a!) }))).toMatchObject({ code: 'NOT_FOUND' });
    expect(await refusal(markSent(db, a!, { claimToken: tokenOf(a!), sentat: T0 } as never))).toMatchObject({ code: 'INVALID_OPTION' });
    expect((await read(a!)).status).toBe('pending');
  });

  it('a report never claimed is closed without a token, as before the queue had tokens', async () => {
    const [a, b] = await seedReports(db, 2);
    expect(await markSent(db, a!)).toMatchObject({ status: 'sent', attempts: 0 });
    expect(await markFailed(db, b!, 'SMTP 550')).toMatchObject({ status: 'failed', errorMessage: 'SMTP 550', availableAt: null });
  });

  it('a failed attempt is retried after a delay that doubles up to the cap, then given up as dead after maxAttempts', async () => {
    const [id] = await seedReports(db, 1);
    const retry = { maxAttempts: 4, retryDelayMs: 1000, maxRetryDelayMs: 3000 };
    const delays: number[] = [];
    for (let attempt = 1; attempt <= 3; attempt++) {
      const [report] = await claimPendingEmailReports(db, { maxAttempts: 4 });
      expect(report).toMatchObject({ id, attempts: attempt });
      const failed = await markFailed(db, id!, `SMTP 451 (${attempt})`, { claimToken: report!.claimToken, ...retry });
      expect(failed).toMatchObject({ status: 'pending', errorMessage: `SMTP 451 (${attempt})`, claimedUntil: null });
      // That claim is closed: neither a later markSent nor a second markFailed of it changes the report.
      expect(await refusal(markSent(db, id!, { claimToken: report!.claimToken }))).toMatchObject({ code: 'CLAIM_LOST', status: 'pending' });
      expect(await refusal(markFailed(db, id!, 'again', { claimToken: report!.claimToken }))).toMatchObject({ code: 'CLAIM_LOST' });
      delays.push(failed.availableAt!.getTime() - failed.sentAt.getTime());
      // Not claimable before its delay ends; then made due at once for the test.
      expect(await claimPendingEmailReports(db, { maxAttempts: 4 })).toEqual([]);
      await db.update(emailReports).set({ availableAt: sql`now()` }).where(eq(emailReports.id, id!));
    }
    expect(delays).toEqual([1000, 2000, 3000]);
    const [last] = await claimPendingEmailReports(db, { maxAttempts: 4 });
    const dead = await markFailed(db, id!, 'SMTP 451 (4)', { claimToken: last!.claimToken, ...retry });
    expect(dead).toMatchObject({ status: 'dead', attempts: 4, availableAt: null, errorMessage: 'SMTP 451 (4)' });
    expect(await claimPendingEmailReports(db, { maxAttempts: 4 })).toEqual([]);
    expect((await listDeadEmailReports(db)).reports.map((r) => r.id)).toEqual([id]);
  });

  it('giveUp ends a report at once; revive puts it back with fresh attempts, and its old tokens stay stale', async () => {
    const [id] = await seedReports(db, 1);
    const [report] = await claimPendingEmailReports(db);
    expect(await markFailed(db, id!, 'SMTP 550: no such mailbox', { claimToken: report!.claimToken, giveUp: true })).toMatchObject({ status: 'dead', attempts: 1 });
    expect(await refusal(reviveEmailReport(db, uuid(9)))).toMatchObject({ code: 'NOT_FOUND' });
    expect(await reviveEmailReport(db, id!)).toMatchObject({ status: 'pending', attempts: 0, claimToken: null, errorMessage: 'SMTP 550: no such mailbox' });
    expect(await refusal(reviveEmailReport(db, id!))).toMatchObject({ code: 'INVALID_OPTION' });
    expect(await refusal(markSent(db, id!, { claimToken: report!.claimToken }))).toMatchObject({ code: 'CLAIM_LOST' });
    const [again] = await claimPendingEmailReports(db);
    expect(await markSent(db, id!, { claimToken: again!.claimToken })).toMatchObject({ status: 'sent', attempts: 1, errorMessage: null });
  });

  it('a report whose last attempt’s claim lapsed (its worker died each time) is given up by the next claim', async () => {
    const [id] = await seedReports(db, 1);
    const [report] = await claimPendingEmailReports(db, { leaseMs: 20, maxAttempts: 1 });
    const dead = await until(async () => {
      await claimPendingEmailReports(db, { maxAttempts: 1 });
      const row = await read(id!);
      return row.status === 'dead' ? row : undefined;
    }, 'the lapsed last attempt to be given up');
    expect(dead).toMatchObject({ attempts: 1, claimedUntil: null });
    expect(dead.errorMessage).toMatch(/gave up after 1 attempts: the last claim lapsed/);
    expect(await refusal(markSent(db, id!, { claimToken: report!.claimToken }))).toMatchObject({ code: 'CLAIM_LOST', status: 'dead' });
  });

  it('release hands a report back untried (its attempt not counted); dead reports page by cursor', async () => {
    const ids = await seedReports(db, 5);
    const claimed = await claimPendingEmailReports(db, { limit: 5 });
    expect(await releaseEmailReport(db, ids[0]!, { claimToken: claimed[0]!.claimToken })).toMatchObject({ attempts: 0, claimedUntil: null, claimToken: null });
    for (const report of claimed.slice(1)) await markFailed(db, report.id, 'x', { claimToken: report.claimToken, giveUp: true });
    const pages: string[][] = [];
    let after: string | undefined;
    do {
      const page = await listDeadEmailReports(db, { limit: 3, ...(after ? { after } : {}) });
      pages.push(page.reports.map((r) => r.id));
      after = page.nextCursor;
    } while (after);
    expect(pages).toEqual([ids.slice(1, 4), ids.slice(4)]);
    await expect(listDeadEmailReports(db, { after: 'bogus' })).rejects.toMatchObject({ code: 'INVALID_OPTION', option: 'after' });
  });

  it('operationsStatus counts the email reports by status, dead included, from the counts the database keeps', async () => {
    const ids = await seedReports(db, 6);
    const [a, b, c] = await claimPendingEmailReports(db, { limit: 3 });
    await markSent(db, a!.id, { claimToken: a!.claimToken });
    await markFailed(db, b!.id, 'x', { claimToken: b!.claimToken, giveUp: true });
    await markFailed(db, c!.id, 'x', { claimToken: c!.claimToken, retryDelayMs: 0 });
    await markFailed(db, ids[5]!, 'direct');
    await db.delete(emailReports).where(eq(emailReports.id, ids[4]!));
    const status = (await operationsStatus(db)).emailReports;
    expect(status).toMatchObject({ pending: 2, claimed: 0, retrying: 1, sent: 1, failed: 1, dead: 1 });
    const kept = await queryRows<{ status: string; reports: number }>(db, sql`select status, reports::int as reports from email_report_status_counts where reports <> 0 order by status`);
    const actual = await queryRows<{ status: string; reports: number }>(db, sql`select status, count(*)::int as reports from email_reports group by status order by status`);
    expect(kept).toEqual(actual);
  });

  it('waitForEmailReports: ready at once, woken by a new report (NOTIFY), timed out, or aborted', async () => {
    expect(await waitForEmailReports(db, { timeoutMs: 20 })).toBe('timeout');
    const waiting = waitForEmailReports(db, { timeoutMs: 60_000 });
    if (backend.name === 'postgres') {
      const listening = sql`select 1 as "on" from pg_stat_activity where datname = current_database() and query ilike 'listen%'`;
      await until(async () => (await queryRows(db, listening))[0], 'the LISTEN of the wait');
    }
    await seedReports(db, 1);
    // Woken by the NOTIFY of the insert, or (when the insert beat the wait's first look) ready at once.
    expect(['notified', 'ready']).toContain(await waiting);
    expect(await waitForEmailReports(db, { timeoutMs: 60_000 })).toBe('ready');
    const controller = new AbortController();
    const [report] = await claimPendingEmailReports(db);
    const aborted = waitForEmailReports(db, { signal: controller.signal, timeoutMs: 60_000 });
    controller.abort(new Error('shutting down'));
    await expect(aborted).rejects.toMatchObject({ code: 'ABORTED' });
    await markSent(db, report!.id, { claimToken: report!.claimToken });
  });

  it('runEmailWorker sends, retries, gives up, and stops on its signal', async () => {
    await seedReports(db, 6, (i) => (i === 1 ? 'gone@bounce.invalid' : i === 2 ? 'flaky@example.org' : `r${i}@example.org`));
    const controller = new AbortController();
    const tries = new Map<string, number>();
    const stats = await runEmailWorker(db, {
      signal: controller.signal,
      limit: 2,
      pollMs: 50,
      retryDelayMs: 0,
      maxAttempts: 3,
      isPermanent: (error) => String(error).includes('550'),
      handler: async (report) => {
        const n = (tries.get(report.recipientEmail) ?? 0) + 1;
        tries.set(report.recipientEmail, n);
        if (report.recipientEmail.endsWith('.invalid')) throw new Error('SMTP 550: no such mailbox');
        if (report.recipientEmail.startsWith('flaky') && n < 3) throw new Error('SMTP 451: try later');
        const [left] = await queryRows<{ n: number }>(db, sql`select count(*)::int as n from email_reports where status = 'pending'`);
        if (left!.n <= 1) controller.abort();
      },
    });
    expect(stats).toMatchObject({ sent: 5, dead: 1, retried: 2, claimsLost: 0 });
    const rows = await queryRows<{ status: string; n: number }>(db, sql`select status, count(*)::int as n from email_reports group by status order by status`);
    expect(rows).toEqual([{ status: 'dead', n: 1 }, { status: 'sent', n: 5 }]);
    await expect(runEmailWorker(db, { signal: controller.signal } as never)).rejects.toMatchObject({ code: 'INVALID_OPTION', option: 'handler' });
  });

  it('runEmailWorker stopped in the middle of a batch releases the reports it did not handle', async () => {
    await seedReports(db, 3);
    const controller = new AbortController();
    const stats = await runEmailWorker(db, {
      signal: controller.signal,
      limit: 3,
      handler: async () => controller.abort(),
    });
    expect(stats).toMatchObject({ sent: 1, released: 2 });
    const rows = await db.select().from(emailReports).where(eq(emailReports.status, 'pending'));
    expect(rows.map((r) => [r.attempts, r.claimedUntil, r.claimToken])).toEqual([[0, null, null], [0, null, null]]);
  });

  it('every statement that leaves a report claimable at once NOTIFYs tqs_email_reports', async () => {
    const heard: string[] = [];
    const client = rawClient(db);
    const stop =
      client.backend === 'pglite'
        ? await client.pglite.listen(EMAIL_REPORTS_CHANNEL, (payload) => heard.push(payload))
        : await client.sql.listen(EMAIL_REPORTS_CHANNEL, (payload) => heard.push(payload)).then((meta) => () => meta.unlisten());
    try {
      await seedReports(db, 2);
      await until(async () => (heard.length > 0 ? heard.length : undefined), 'the NOTIFY of an insert');
      const [report] = await claimPendingEmailReports(db, { limit: 1 });
      const before = heard.length;
      await releaseEmailReport(db, report!.id, { claimToken: report!.claimToken });
      await until(async () => (heard.length > before ? heard.length : undefined), 'the NOTIFY of a release');
    } finally {
      await stop();
    }
  });
});
