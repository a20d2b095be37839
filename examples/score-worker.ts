/**
 * A score worker: keeps `tutor_scores` exact by refreshing the due tutors on a schedule, and lists the high-risk
 * tutors after each round.
 *
 *   npx tsx examples/score-worker.ts --once                        # one round, then exit
 *   npx tsx examples/score-worker.ts --ticks 4 --interval-ms 500   # four rounds, half a second apart
 *   DATABASE_URL=postgres://... npx tsx examples/score-worker.ts   # a real (migrated) database, until Ctrl-C
 *
 * Each round calls `refreshDueScores` until nothing is left: it refreshes exactly the tutors whose score may have
 * changed (a write to their sessions or reschedules that the database captured, whoever wrote it, or a session
 * entering or leaving a window as time passes), and no other. Run as many copies as you like against one
 * PostgreSQL database: they split the due tutors and never wait for each other. Without DATABASE_URL it runs on an
 * in-memory demo database (loaded without scores, so the first round scores everyone) and books a rescheduled
 * session between rounds, so each later round has that one tutor to refresh.
 */
import { parseArgs } from 'node:util';
import {
  assertMigrated,
  createDatabase,
  generateDataset,
  insertDataset,
  listHighRiskTutors,
  migrate,
  refreshDueScores,
  reschedules,
  sessions,
  type TqsDatabase,
} from '@tqs/data';

const { values: args } = parseArgs({
  options: {
    once: { type: 'boolean', default: false },
    ticks: { type: 'string' }, // default: run until stopped
    'interval-ms': { type: 'string', default: '60000' },
  },
});
const maxTicks = args.once ? 1 : args.ticks === undefined ? Number.POSITIVE_INFINITY : Number(args.ticks);
const intervalMs = Number(args['interval-ms']);

const url = process.env.DATABASE_URL;
const db = await createDatabase(url ? { url } : {});
const demo = !url;
if (demo) {
  // The sessions of the demo dataset end now, so that scores as of now (the default) see them.
  await migrate(db);
  await insertDataset(db, generateDataset({ tutors: 20, sessions: 600, seed: 3, now: new Date() }), { refreshScores: false });
} else {
  // A service checks the schema before it serves anything: a database behind this package stops it here, naming the
  // pending migrations (MigrationsPendingError, code MIGRATIONS_PENDING). Closed first, or the pool keeps Node alive.
  await assertMigrated(db).catch(async (error: unknown) => {
    await db.close();
    throw error;
  });
}

let tick = 0;
let running = false;

async function runTick(): Promise<void> {
  tick += 1;
  // One set-based statement per call, up to `limit` (default 1,000) tutors each; `asOf` defaults to now.
  let refreshed = 0;
  let flagged = 0;
  for (let call = 0; call < 10_000; call++) {
    const result = await refreshDueScores(db);
    refreshed += result.refreshed;
    flagged += result.flagged;
    if (!result.more) break;
  }
  console.log(`tick ${tick}: refreshed ${refreshed} due tutor(s), ${flagged} of them high risk`);
  const { tutors: worst, total } = await listHighRiskTutors(db, { limit: 3 });
  console.log(`  high-risk tutors: ${total}`);
  for (const t of worst) {
    const rates = [t.rescheduleRate7d, t.rescheduleRate30d, t.rescheduleRate90d].map((r) => (r === null ? '-' : `${r}%`));
    console.log(`    ${t.name.padEnd(28)} 7/30/90 days: ${rates.join(' / ')}`);
  }
  if (demo) await bookRescheduledSession(db, tick);
}

/** Demo activity: a tutor-initiated reschedule of a session two hours ago; the database queues its tutor. */
async function bookRescheduledSession(db: TqsDatabase, n: number): Promise<void> {
  const tutor = await db.query.tutors.findFirst({ orderBy: (t, { asc }) => [asc(t.name)], columns: { id: true } });
  if (!tutor) return;
  const scheduledTime = new Date(Date.now() - 2 * 3600_000);
  // The session and its reschedule in one transaction: the database checks at commit that a 'rescheduled' session
  // has its reschedule (reschedule_status_rule).
  await db.transaction(async (tx) => {
    const [session] = await tx
      .insert(sessions)
      .values({ tutorId: tutor.id, studentId: `walk-in-${n}`, scheduledTime, status: 'rescheduled' })
      .returning({ id: sessions.id });
    if (!session) return;
    await tx.insert(reschedules).values({
      sessionId: session.id,
      initiator: 'tutor',
      originalTime: scheduledTime,
      newTime: new Date(scheduledTime.getTime() + 2 * 24 * 3600_000),
      cancelledAt: new Date(scheduledTime.getTime() - 3600_000),
      reason: 'Scheduling conflict',
      reasonCode: 'scheduling_conflict',
    });
  });
}

// The schedule: a tick now, then one per interval; a tick that is still running when the next is due is not
// overlapped (the next one is skipped). The worker stops after `maxTicks`, on SIGINT/SIGTERM, or on an error, and
// always closes the database: an open PGlite or postgres.js pool would keep Node running.
await new Promise<void>((resolve, reject) => {
  const timer = setInterval(() => void step(), intervalMs);
  const stop = () => {
    clearInterval(timer);
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
    resolve();
  };
  async function step(): Promise<void> {
    if (running) return;
    running = true;
    try {
      await runTick();
      if (tick >= maxTicks) stop();
    } catch (error) {
      clearInterval(timer);
      reject(error);
    } finally {
      running = false;
    }
  }
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  void step();
}).finally(() => db.close());
console.log(`stopped after ${tick} tick(s)`);
