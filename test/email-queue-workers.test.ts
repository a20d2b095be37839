import { eq, sql } from 'drizzle-orm';
import postgres from 'postgres';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { withAdminClient } from '../bench/support/scratch-database';
import {
  claimPendingEmailReports,
  ClaimLostError,
  type ClaimedEmailReport,
  createDatabase,
  emailReports,
  markFailed,
  markSent,
  migrate,
  Prng,
  queryRows,
  type TqsDatabase,
  waitForEmailReports,
} from '../src';
import { seedReports } from './support/email-reports';
import { postgresUrl, useScratchDatabase } from './support/databases';
import type { ScratchServerDatabase } from '../bench/support/scratch-database';

/*
 * The claim queue under faults, on PostgreSQL: 8 workers, each on a client (and connections) of its own, with leases of
 * 50–200 ms, handle 240 reports while some of them fail, some take longer than their lease, some workers die in the
 * middle of a report (leaving it claimed) and some have their connections terminated by the server
 * (pg_terminate_backend). A dead worker is replaced by a new one on a new client. At the end every report is sent
 * exactly once or dead (given up), none is pending, and no report ever left `sent` or `dead` (a trigger records
 * every status change).
 */

const REPORTS = 240;
const WORKERS = 8;
const POISON_EVERY = 20; // every 20th report always fails: it must end dead
const RETRY = { maxAttempts: 5, retryDelayMs: 20, maxRetryDelayMs: 100 };
const DEADLINE_MS = 90_000;

interface Tally {
  claims: number;
  sentCalls: Map<string, number>;
  retries: number;
  deadByWorker: number;
  claimsLost: number;
  abandoned: number;
  terminated: number;
  workersStarted: number;
}

/** The worker died (abandoned its reports, or lost its connection): it stops, and a new one takes its place. */
class WorkerDied extends Error {}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms)); // a send that takes this long

async function handle(db: TqsDatabase, report: ClaimedEmailReport, random: () => number, tally: Tally, kill: () => Promise<void>): Promise<void> {
  const roll = random();
  const poison = report.recipientEmail.startsWith('poison');
  const token = { claimToken: report.claimToken };
  try {
    if (roll < 0.04) {
      tally.abandoned++;
      throw new WorkerDied('abandoned');
    }
    if (roll < 0.08) {
      tally.terminated++;
      await kill(); // the server ends this worker's connections while it holds the report
    } else if (roll < 0.14) {
      await pause(250); // longer than any lease: another worker may have claimed the report meanwhile
    }
    if (poison || roll > 0.9) {
      const row = await markFailed(db, report.id, poison ? 'SMTP 550: no such mailbox' : 'SMTP 451: try again later', { ...token, ...RETRY });
      if (row.status === 'dead') tally.deadByWorker++;
      else tally.retries++;
      return;
    }
    await markSent(db, report.id, token);
    tally.sentCalls.set(report.id, (tally.sentCalls.get(report.id) ?? 0) + 1);
  } catch (error) {
    if (error instanceof ClaimLostError) {
      tally.claimsLost++;
      return;
    }
    if (error instanceof WorkerDied) throw error;
    throw new WorkerDied(`connection lost: ${String(error)}`); // a terminated connection: the worker dies
  }
}

/** One worker's life: claims and handles until no report is pending, or it dies (then `false`). */
async function live(url: string, n: number, random: () => number, tally: Tally, done: () => boolean): Promise<boolean> {
  const name = `tqs-queue-worker-${n}`;
  const client = postgres(url, { max: 2, connection: { application_name: name }, onnotice: () => {} });
  const db = await createDatabase({ client, closeClient: true });
  const kill = () =>
    withAdminClient(url, (admin) => admin`select pg_terminate_backend(pid) from pg_stat_activity where application_name = ${name}`).then(() => undefined);
  tally.workersStarted++;
  try {
    while (!done()) {
      const leaseMs = 50 + Math.floor(random() * 151);
      let claimed: ClaimedEmailReport[];
      try {
        claimed = await claimPendingEmailReports(db, { limit: 3, leaseMs, maxAttempts: RETRY.maxAttempts });
      } catch {
        return false; // its connection was terminated between two reports
      }
      tally.claims += claimed.length;
      if (claimed.length === 0) {
        const [left] = await queryRows<{ n: number }>(db, sql`select count(*)::int as n from email_reports where status = 'pending'`).catch(() => [{ n: 1 }]);
        if (left!.n === 0) return true;
        await waitForEmailReports(db, { timeoutMs: 100 }).catch(() => undefined);
        continue;
      }
      for (const report of claimed) await handle(db, report, random, tally, kill);
    }
    return true;
  } catch (error) {
    if (error instanceof WorkerDied) return false;
    throw error;
  } finally {
    await client.end({ timeout: 0 }).catch(() => undefined);
  }
}

let scratch: ScratchServerDatabase | undefined;
let db: TqsDatabase | undefined;
useScratchDatabase(postgresUrl, (created) => (scratch = created));
beforeAll(async () => {
  if (!scratch) return;
  db = await createDatabase({ url: scratch.url, max: 2 });
  await migrate(db);
});
afterAll(async () => {
  await db?.close();
});

it.skipIf(!postgresUrl)('8 workers, short leases and random kills: every report ends sent exactly once or dead, none lost, none flipped back [postgres]', async () => {
  const url = scratch!.url;
  // Every status change, recorded by the database itself.
  await db!.execute(sql`create table status_changes (report_id uuid, old_status text, new_status text, at timestamptz default clock_timestamp())`);
  await db!.execute(sql`create function record_status_change() returns trigger language plpgsql as $$
    begin
      if old.status is distinct from new.status then insert into status_changes values (new.id, old.status, new.status); end if;
      return null;
    end $$`);
  await db!.execute(sql`create trigger record_status_change after update on email_reports for each row execute function record_status_change()`);
  const ids = await seedReports(db!, REPORTS, (i) => (i % POISON_EVERY === 0 ? `poison-${i}@bounce.invalid` : `r${i}@example.org`));
  const poison = new Set(ids.filter((_, i) => i % POISON_EVERY === 0));

  const seed = Number(process.env.QUEUE_SEED ?? Date.now() % 1_000_000);
  // Seeded, so that a failing run can be replayed: QUEUE_SEED=<seed>.
  const prng = new Prng(seed);
  const random = () => prng.next();
  const tally: Tally = { claims: 0, sentCalls: new Map(), retries: 0, deadByWorker: 0, claimsLost: 0, abandoned: 0, terminated: 0, workersStarted: 0 };
  const started = Date.now();
  const timedOut = () => Date.now() - started > DEADLINE_MS;
  let finished = false;
  // Each slot runs a worker, and a new one (new client, new connections) whenever its worker dies.
  await Promise.all(
    Array.from({ length: WORKERS }, async (_, slot) => {
      for (let life = 0; !finished && !timedOut(); life++) {
        if (await live(url, slot * 1000 + life, random, tally, () => finished || timedOut())) finished = true;
      }
    }),
  );
  const elapsedMs = Date.now() - started;

  const rows = await db!.select({ id: emailReports.id, status: emailReports.status, attempts: emailReports.attempts }).from(emailReports);
  const byStatus = (status: string) => rows.filter((r) => r.status === status);
  const changes = await queryRows<{ report_id: string; old_status: string; new_status: string }>(db!, sql`select report_id, old_status, new_status from status_changes order by at`);
  const flippedBack = changes.filter((c) => c.old_status === 'sent' || c.old_status === 'dead');
  const sentTwice = [...tally.sentCalls.values()].filter((n) => n > 1).length;
  const lapsedBurials = byStatus('dead').length - tally.deadByWorker;
  console.log(
    `claim queue under faults [postgres, seed ${seed}]: ${REPORTS} reports, ${WORKERS} workers (${tally.workersStarted} started), ` +
      `sent ${byStatus('sent').length}, dead ${byStatus('dead').length} (${poison.size} reports poison; ${tally.deadByWorker} given up by markFailed, ${lapsedBurials} by a claim after a lapsed last attempt), ` +
      `pending ${byStatus('pending').length}, claims ${tally.claims}, claims lost ${tally.claimsLost}, retries ${tally.retries}, ` +
      `abandoned ${tally.abandoned}, connections terminated ${tally.terminated}, sent twice ${sentTwice}, flipped back ${flippedBack.length}, ${elapsedMs} ms`,
  );
  expect(timedOut()).toBe(false);
  expect(byStatus('pending')).toEqual([]); // none lost
  expect(rows).toHaveLength(REPORTS);
  expect(flippedBack).toEqual([]); // never flipped back
  for (const row of byStatus('sent')) {
    expect(tally.sentCalls.get(row.id), `report ${row.id}`).toBe(1); // sent exactly once
    expect(changes.filter((c) => c.report_id === row.id && c.new_status === 'sent')).toHaveLength(1);
  }
  for (const row of byStatus('dead')) expect(tally.sentCalls.has(row.id)).toBe(false);
  for (const id of poison) expect(rows.find((r) => r.id === id)?.status).toBe('dead');
  expect(rows.every((r) => r.attempts >= 1 && r.attempts <= RETRY.maxAttempts)).toBe(true);
  const [kept] = await queryRows<{ ok: boolean }>(db!, sql`select (select jsonb_object_agg(status, reports) from email_report_status_counts where reports <> 0)
      = (select jsonb_object_agg(status, n) from (select status, count(*) as n from email_reports group by status) s) as ok`);
  expect(kept?.ok).toBe(true);
  expect(await db!.$count(emailReports, eq(emailReports.status, 'pending'))).toBe(0);
});
