/**
 * A score worker: refreshes `tutor_scores` on a schedule and lists the high-risk tutors after each refresh.
 *
 *   npx tsx examples/score-worker.ts --once                        # one full refresh, then exit
 *   npx tsx examples/score-worker.ts --ticks 4 --interval-ms 500   # four refreshes, half a second apart
 *   DATABASE_URL=postgres://... npx tsx examples/score-worker.ts   # a real database, until Ctrl-C; refused unless migrated
 *
 * Most ticks refresh only the stale tutors (`staleOnly`: a session or reschedule changed since their last score);
 * every `--full-every` ticks (default 4) it refreshes every tutor, which also moves the 7/30/90-day windows on and
 * catches what staleness cannot see (deleted rows, back-dated writes). Without DATABASE_URL it runs on an in-memory
 * demo database and books a rescheduled session between ticks, so the stale refreshes have something to do.
 */
import { parseArgs } from 'node:util';
import {
  assertMigrated,
  createDatabase,
  generateDataset,
  insertDataset,
  listHighRiskTutors,
  migrate,
  refreshTutorScores,
  reschedules,
  sessions,
  type TqsDatabase,
} from '@tqs/data';

const { values: args } = parseArgs({
  options: {
    once: { type: 'boolean', default: false },
    ticks: { type: 'string' }, // default: run until stopped
    'interval-ms': { type: 'string', default: '60000' },
    'full-every': { type: 'string', default: '4' },
  },
});
const maxTicks = args.once ? 1 : args.ticks === undefined ? Number.POSITIVE_INFINITY : Number(args.ticks);
const intervalMs = Number(args['interval-ms']);
const fullEvery = Number(args['full-every']);

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
  const full = (tick - 1) % fullEvery === 0;
  // One set-based statement either way; `asOf` defaults to the current time.
  const result = await refreshTutorScores(db, full ? {} : { staleOnly: true });
  console.log(
    `tick ${tick}: ${full ? 'full refresh' : 'stale-only refresh'} scored ${result.scored} tutor(s), ${result.flagged} of them high risk`,
  );
  const { tutors: worst, total } = await listHighRiskTutors(db, { limit: 3 });
  console.log(`  high-risk tutors: ${total}`);
  for (const t of worst) {
    const rates = [t.rescheduleRate7d, t.rescheduleRate30d, t.rescheduleRate90d].map((r) => (r === null ? '-' : `${r}%`));
    console.log(`    ${t.name.padEnd(28)} 7/30/90 days: ${rates.join(' / ')}`);
  }
  if (demo) await bookRescheduledSession(db, tick);
}

/** Demo activity: a tutor-initiated reschedule of a session two hours ago, which makes its tutor's score stale. */
async function bookRescheduledSession(db: TqsDatabase, n: number): Promise<void> {
  const tutor = await db.query.tutors.findFirst({ orderBy: (t, { asc }) => [asc(t.name)], columns: { id: true } });
  if (!tutor) return;
  const scheduledTime = new Date(Date.now() - 2 * 3600_000);
  const [session] = await db
    .insert(sessions)
    .values({ tutorId: tutor.id, studentId: `walk-in-${n}`, scheduledTime, status: 'rescheduled' })
    .returning({ id: sessions.id });
  if (!session) return;
  await db.insert(reschedules).values({
    sessionId: session.id,
    initiator: 'tutor',
    originalTime: scheduledTime,
    newTime: new Date(scheduledTime.getTime() + 2 * 24 * 3600_000),
    cancelledAt: new Date(scheduledTime.getTime() - 3600_000),
    reason: 'Scheduling conflict',
    reasonCode: 'scheduling_conflict',
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
